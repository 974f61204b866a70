/**
 * The lines `--history` writes, read as they are written: `{"index":I,"time":T,"process":P,
 * "type":"X","f":"Y","value":V}` or `{:index I, :time T, :process P, :type :X, :f :Y, :value V}`,
 * matched literal by literal. They are all but a few lines of a saved history, and this reads
 * them about twice as fast as reading keys in any order (event-scanner.ts, which takes the rest).
 */
import type { HistorySyntax, ScannedEvent } from './event-scanner.js';
import {
  bytesOf,
  CLOSE,
  FAILED,
  integerEnd,
  integerRead,
  knownWordEnd,
  knownWords,
  literalEnd,
  wordRead,
} from './line-bytes.js';

interface Spelling {
  /** What comes before each field's value. */
  index: Uint8Array;
  time: Uint8Array;
  process: Uint8Array;
  type: Uint8Array;
  f: Uint8Array;
  value: Uint8Array;
  tester: Uint8Array;
  nil: Uint8Array;
}

const SPELLINGS: Record<HistorySyntax, Spelling> = {
  jsonl: spelling(['{"index":', ',"time":', ',"process":', ',"type":"', '","f":"', '","value":', '"tester"', 'null']),
  edn: spelling(['{:index ', ', :time ', ', :process ', ', :type :', ', :f :', ', :value ', ':tester', 'nil']),
};
const TYPES = knownWords(['invoke', 'ok', 'fail', 'info']);
const FUNCTIONS = knownWords(['inc', 'read', 'reset']);

/** Reads a line as `--history` writes it into `into`: false for any other line. */
export function scanOwnLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  syntax: HistorySyntax,
  into: ScannedEvent,
): boolean {
  const spelling = SPELLINGS[syntax];
  let at = integerEnd(bytes, literalEnd(bytes, start, end, spelling.index), end);
  at = integerEnd(bytes, literalEnd(bytes, at, end, spelling.time), end);
  into.time = integerRead;
  at = literalEnd(bytes, at, end, spelling.process);
  const tester = literalEnd(bytes, at, end, spelling.tester);
  at = tester === FAILED ? integerEnd(bytes, at, end) : tester;
  into.process = tester === FAILED ? integerRead : 'tester';
  at = knownWordEnd(bytes, literalEnd(bytes, at, end, spelling.type), end, TYPES);
  into.type = wordRead;
  at = knownWordEnd(bytes, literalEnd(bytes, at, end, spelling.f), end, FUNCTIONS);
  into.f = wordRead;
  at = literalEnd(bytes, at, end, spelling.value);
  const nil = literalEnd(bytes, at, end, spelling.nil);
  at = nil === FAILED ? integerEnd(bytes, at, end) : nil;
  into.value = nil === FAILED ? integerRead : null;
  return at !== FAILED && at === end - 1 && bytes[at] === CLOSE;
}

function spelling(parts: string[]): Spelling {
  const [index, time, process, type, f, value, tester, nil] = parts.map(bytesOf);
  return { index, time, process, type, f, value, tester, nil };
}
