/**
 * The lines `--history` writes, read as they are written: `{"index":I,"time":T,"process":P,
 * "type":"X","f":"Y","value":V}` or `{:index I, :time T, :process P, :type :X, :f :Y, :value V}`,
 * matched literal by literal. They are all but a few lines of a saved history, and this reads
 * them about twice as fast as reading keys in any order (event-scanner.ts, which takes the rest).
 *
 * Two thirds of such a line is literal text: it is compared four bytes at a time, through a
 * DataView of the chunk the line lies in, so that only the numbers are read byte by byte.
 */
import type { ScannedEvent } from './scanned-event.js';
import { bytesOf, CLOSE, FAILED, integerEnd, integerRead } from './line-scanning.js';
import { SPELLINGS, type HistoryFormat } from './line-spelling.js';

/** Literal text as little-endian 32-bit words, then the bytes left over. */
interface Literal {
  length: number;
  words: Int32Array;
  tail: Uint8Array;
}

/** What lies between a line's `type` key and its value: the type, the f key, the f and the value key. */
interface Middle extends Literal {
  type: string;
  f: string;
}

interface OwnSpelling {
  index: Literal;
  time: Literal;
  process: Literal;
  tester: Literal;
  type: Literal;
  nil: Literal;
  /** The usual ones first: a client's invoke and completions. */
  middles: Middle[];
}

const PAIRS = [
  ...['invoke', 'ok', 'info', 'fail'].map((type) => [type, 'inc']),
  ...['invoke', 'ok', 'fail', 'info'].flatMap((type) => [
    [type, 'read'],
    [type, 'reset'],
  ]),
];
const OWN: Record<HistoryFormat, OwnSpelling> = { jsonl: ownSpelling('jsonl'), edn: ownSpelling('edn') };

function ownSpelling(format: HistoryFormat): OwnSpelling {
  const { index, time, process, tester, type, f: fKey, value: valueKey, nil } = SPELLINGS[format];
  const middles = PAIRS.map(([type, f]) => ({
    type,
    f,
    ...literal(Buffer.concat([bytesOf(type), fKey, bytesOf(f), valueKey])),
  }));
  const [indexKey, timeKey, processKey, testerName, typeKey, nilWord] = [index, time, process, tester, type, nil].map(literal);
  return { index: indexKey, time: timeKey, process: processKey, tester: testerName, type: typeKey, nil: nilWord, middles };
}

function literal(bytes: Uint8Array): Literal {
  const whole = bytes.length >> 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const words = Int32Array.from({ length: whole }, (_, k) => view.getInt32(4 * k, true));
  return { length: bytes.length, words, tail: Uint8Array.from(bytes.subarray(4 * whole)) };
}

/** The chunk last read and a DataView of it (a chunk holds thousands of lines). */
let viewed: Uint8Array | undefined;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/** Reads a line as `--history` writes it into `into`: false for any other line. */
export function scanOwnLine(bytes: Uint8Array, start: number, end: number, format: HistoryFormat, into: ScannedEvent) {
  if (bytes !== viewed) {
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    viewed = bytes;
  }
  const own = OWN[format];
  let at = integerEnd(bytes, literalEnd(bytes, start, end, own.index), end);
  at = integerEnd(bytes, literalEnd(bytes, at, end, own.time), end);
  into.time = integerRead;
  at = literalEnd(bytes, at, end, own.process);
  const tester = literalEnd(bytes, at, end, own.tester);
  at = tester === FAILED ? integerEnd(bytes, at, end) : tester;
  into.process = tester === FAILED ? integerRead : 'tester';
  at = literalEnd(bytes, at, end, own.type);
  if (at === FAILED) return false;
  const middle = middleAt(bytes, at, end, own.middles);
  if (middle === undefined) return false;
  into.type = middle.type;
  into.f = middle.f;
  at += middle.length;
  const nil = literalEnd(bytes, at, end, own.nil);
  at = nil === FAILED ? integerEnd(bytes, at, end) : nil;
  into.value = nil === FAILED ? integerRead : null;
  return at !== FAILED && at === end - 1 && bytes[at] === CLOSE;
}

function middleAt(bytes: Uint8Array, at: number, end: number, middles: Middle[]): Middle | undefined {
  for (let m = 0; m < middles.length; m++) if (literalEnd(bytes, at, end, middles[m]) !== FAILED) return middles[m];
  return undefined;
}

/** After `expected`, compared a word at a time in the chunk's view. */
function literalEnd(bytes: Uint8Array, at: number, end: number, expected: Literal): number {
  if (at === FAILED || end - at < expected.length) return FAILED;
  const words = expected.words;
  let i = at;
  for (let k = 0; k < words.length; k++, i += 4) if (view.getInt32(i, true) !== words[k]) return FAILED;
  const tail = expected.tail;
  for (let k = 0; k < tail.length; k++) if (bytes[i + k] !== tail[k]) return FAILED;
  return at + expected.length;
}
