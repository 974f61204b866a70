/**
 * The lines `--history` writes, read as they are written: `{"index":I,"time":T,"process":P,
 * "type":"X","f":"Y","value":V}` or `{:index I, :time T, :process P, :type :X, :f :Y, :value V}`,
 * matched literal by literal. They are all but a few lines of a saved history, and this reads
 * them about twice as fast as reading keys in any order (event-scanner.ts, which takes the rest).
 */
import type { ScannedEvent } from './scanned-event.js';
import {
  CLOSE,
  FAILED,
  integerEnd,
  integerRead,
  knownWordEnd,
  knownWords,
  literalEnd,
  wordRead,
} from './line-scanning.js';
import { SPELLINGS, type HistoryFormat } from './line-spelling.js';

const TYPES = knownWords(['invoke', 'ok', 'fail', 'info']);
const FUNCTIONS = knownWords(['inc', 'read', 'reset']);

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
