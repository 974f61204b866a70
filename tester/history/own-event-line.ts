/**
 * The lines `--history` writes, read as they are written: `{"index":I,"time":T,"process":P,
 * "type":"X","f":"Y","value":V}` or `{:index I, :time T, :process P, :type :X, :f :Y, :value V}`,
 * matched literal by literal. They are all but a few lines of a saved history, and this reads
 * them about twice as fast as reading keys in any order (event-scanner.ts, which takes the rest).
 */
import type { ScannedEvent } from './scanned-event.js';
import { bytesOf, CLOSE, FAILED, integerEnd, integerRead, literalEnd } from './line-scanning.js';
import { SPELLINGS, type HistoryFormat } from './line-spelling.js';

/**
 * What lies between a line's `type` key and its value: the type, the f key, the f and the value
 * key, matched as one literal; the usual ones first (a client's invoke and completions).
 */
interface Middle {
  type: string;
  f: string;
  bytes: Uint8Array;
}
const PAIRS = [...['invoke', 'ok', 'info', 'fail'].map((type) => [type, 'inc']), ...['invoke', 'ok', 'fail', 'info'].flatMap((type) => [[type, 'read'], [type, 'reset']])];
const MIDDLES: Record<HistoryFormat, Middle[]> = { jsonl: middles('jsonl'), edn: middles('edn') };

function middles(format: HistoryFormat): Middle[] {
  const { f: fKey, value: valueKey } = SPELLINGS[format];
  return PAIRS.map(([type, f]) => ({ type, f, bytes: Buffer.concat([bytesOf(type), fKey, bytesOf(f), valueKey]) }));
}

/** Reads a line as `--history` writes it into `into`: false for any other line. */
export function scanOwnLine(bytes: Uint8Array, start: number, end: number, format: HistoryFormat, into: ScannedEvent) {
  const spelling = SPELLINGS[format];
  let at = integerEnd(bytes, literalEnd(bytes, start, end, spelling.index), end);
  at = integerEnd(bytes, literalEnd(bytes, at, end, spelling.time), end);
  into.time = integerRead;
  at = literalEnd(bytes, at, end, spelling.process);
  const tester = literalEnd(bytes, at, end, spelling.tester);
  at = tester === FAILED ? integerEnd(bytes, at, end) : tester;
  into.process = tester === FAILED ? integerRead : 'tester';
  at = literalEnd(bytes, at, end, spelling.type);
  if (at === FAILED) return false;
  const middle = middleAt(bytes, at, end, MIDDLES[format]);
  if (middle === undefined) return false;
  into.type = middle.type;
  into.f = middle.f;
  at += middle.bytes.length;
  const nil = literalEnd(bytes, at, end, spelling.nil);
  at = nil === FAILED ? integerEnd(bytes, at, end) : nil;
  into.value = nil === FAILED ? integerRead : null;
  return at !== FAILED && at === end - 1 && bytes[at] === CLOSE;
}

function middleAt(bytes: Uint8Array, at: number, end: number, middles: Middle[]): Middle | undefined {
  for (const middle of middles) if (literalEnd(bytes, at, end, middle.bytes) !== FAILED) return middle;
  return undefined;
}
