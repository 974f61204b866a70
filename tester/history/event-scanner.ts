/**
 * Reads one event line of a saved history in place, in the file's bytes: a map of scalars in
 * either format, JSON (`{"time":5,"process":3,"type":"ok","f":"inc","value":42}`) or Jepsen's
 * EDN (`{:type :ok, :f :inc, :value 42, :process 3, :time 5}`), keys in any order, any spacing
 * (EDN's commas too), null or nil, keywords or strings, whole numbers, keys we do not use.
 * A million-operation history has two million lines: scanning one makes no object and no
 * string but an unusual word. A line it does not wholly understand (the first, whose `run`
 * holds the metadata; a nested `error`; an escaped string; a fraction) is refused (false) and
 * left to the generic parsers, which either read it or name what is wrong with it.
 */
import {
  bytesOf,
  CLOSE,
  closingQuote,
  COLON,
  COMMA,
  delimiterAt,
  equalAt,
  FAILED,
  integerEnd,
  integerRead,
  isDelimiter,
  knownWord,
  knownWords,
  MINUS,
  NINE,
  OPEN,
  QUOTE,
  spaceEnd,
  ZERO,
} from './line-scanning.js';
import type { HistoryFormat } from './line-spelling.js';
import { scanOwnLine } from './own-event-line.js';
import type { ScannedEvent } from './scanned-event.js';

const TYPES = ['invoke', 'ok', 'fail', 'info'];
const WORDS = knownWords([...TYPES, 'inc', 'read', 'reset', 'tester', 'nemesis']);
const KEYS = ['time', 'process', 'type', 'f', 'value'].map(bytesOf);
const [TIME, PROCESS, TYPE, F, VALUE] = KEYS.map((_, i) => i);
const UNUSED = -1;
/** An event needs these; `value` may be left out (Jepsen omits it on some invokes). */
const REQUIRED = (1 << TIME) | (1 << PROCESS) | (1 << TYPE) | (1 << F);
const LITERALS = { nil: bytesOf('nil'), null: bytesOf('null'), true: bytesOf('true'), false: bytesOf('false') };
const Kind = { number: 0, word: 1, nil: 2, boolean: 3 } as const;

/** The last scalar read: its kind, and its word's place in the line (a number is in `integerRead`). */
let kind: number = Kind.nil;
let wordFrom = 0;
let wordTo = 0;

export function scanEvent(bytes: Uint8Array, start: number, end: number, format: HistoryFormat, into: ScannedEvent) {
  return scanOwnLine(bytes, start, end, format, into) || scanAnyOrder(bytes, start, end, format === 'edn', into);
}

function scanAnyOrder(bytes: Uint8Array, start: number, end: number, edn: boolean, into: ScannedEvent): boolean {
  into.value = null;
  let at = spaceEnd(bytes, start, end, edn);
  if (at === end || bytes[at] !== OPEN) return false;
  at = spaceEnd(bytes, at + 1, end, edn);
  let seen = 0;
  for (let pairs = 0; at < end && bytes[at] !== CLOSE; pairs++) {
    if (!edn && pairs > 0) {
      if (bytes[at] !== COMMA) return false;
      at = spaceEnd(bytes, at + 1, end, edn);
    }
    const keyFrom = at + 1;
    at = edn ? ednKeyEnd(bytes, at, end) : jsonKeyEnd(bytes, at, end);
    if (at === FAILED) return false;
    const key = keyAt(bytes, keyFrom, edn ? at : at - 1);
    if (!edn) {
      at = spaceEnd(bytes, at, end, edn);
      if (at === end || bytes[at] !== COLON) return false;
      at++;
    }
    at = scalarEnd(bytes, spaceEnd(bytes, at, end, edn), end, edn);
    if (at === FAILED) return false;
    if (key !== UNUSED) {
      if (!assign(key, bytes, into)) return false;
      seen |= 1 << key;
    }
    at = spaceEnd(bytes, at, end, edn);
  }
  if (at === end) return false;
  return spaceEnd(bytes, at + 1, end, edn) === end && (seen & REQUIRED) === REQUIRED;
}

function assign(key: number, bytes: Uint8Array, into: ScannedEvent): boolean {
  if (key === TIME && kind === Kind.number) into.time = integerRead;
  else if (key === PROCESS && kind === Kind.number) into.process = integerRead;
  else if (key === PROCESS && kind === Kind.word) into.process = wordAt(bytes);
  else if (key === TYPE && kind === Kind.word) into.type = wordAt(bytes);
  else if (key === F && kind === Kind.word) into.f = wordAt(bytes);
  else if (key === VALUE && kind === Kind.number) into.value = integerRead;
  else if (key === VALUE && kind === Kind.word) into.value = wordAt(bytes);
  else if (key !== VALUE || kind !== Kind.nil) return false;
  return key !== TYPE || TYPES.includes(into.type);
}

/** After `:name`. */
function ednKeyEnd(bytes: Uint8Array, at: number, end: number): number {
  return bytes[at] === COLON ? delimiterAt(bytes, at + 1, end) : FAILED;
}

/** After `"name"`. */
function jsonKeyEnd(bytes: Uint8Array, at: number, end: number): number {
  if (bytes[at] !== QUOTE) return FAILED;
  const close = closingQuote(bytes, at + 1, end);
  return close === FAILED ? FAILED : close + 1;
}

function keyAt(bytes: Uint8Array, from: number, to: number): number {
  for (let key = 0; key < KEYS.length; key++) if (equalAt(bytes, KEYS[key], from, to)) return key;
  return UNUSED;
}

/** After a number, string, keyword, nil/null or boolean; sets `kind` and the number or the word's place. */
function scalarEnd(bytes: Uint8Array, at: number, end: number, edn: boolean): number {
  const c = at < end ? bytes[at] : CLOSE;
  if (c === MINUS || (c >= ZERO && c <= NINE)) {
    kind = Kind.number;
    return integerEnd(bytes, at, end);
  }
  let to: number;
  if (c === QUOTE) {
    wordFrom = at + 1;
    wordTo = closingQuote(bytes, wordFrom, end);
    to = wordTo + 1;
  } else if (edn && c === COLON) {
    wordFrom = at + 1;
    wordTo = to = delimiterAt(bytes, wordFrom, end);
  } else return nilOrBooleanEnd(bytes, at, end, edn);
  kind = Kind.word;
  return wordTo === FAILED || wordTo === wordFrom || !isDelimiter(bytes, to, end) ? FAILED : to;
}

function nilOrBooleanEnd(bytes: Uint8Array, at: number, end: number, edn: boolean): number {
  const to = delimiterAt(bytes, at, end);
  if (equalAt(bytes, edn ? LITERALS.nil : LITERALS.null, at, to)) kind = Kind.nil;
  else if (equalAt(bytes, LITERALS.true, at, to) || equalAt(bytes, LITERALS.false, at, to)) kind = Kind.boolean;
  else return FAILED;
  return to;
}

/** The word last read: a known one, or else decoded. */
function wordAt(bytes: Uint8Array): string {
  return (
    knownWord(bytes, wordFrom, wordTo, WORDS) ??
    Buffer.from(bytes.buffer, bytes.byteOffset + wordFrom, wordTo - wordFrom).toString('utf8')
  );
}
