/**
 * Reading a history line in place, in the file's bytes: each function takes the position to
 * read from and returns the one after what it read, or FAILED (which it also passes on, so
 * that reads chain without a check between them). Positions are passed rather than kept in
 * module state so that the compiler keeps them in registers: this is the loop that decides
 * how long `tester check` takes.
 */

export const FAILED = -1;
export const [SPACE, TAB, LF, CR, QUOTE, BACKSLASH, COMMA, MINUS, COLON, ZERO, NINE, OPEN, CLOSE] = [
  ...' \t\n\r"\\,-:09{}',
].map((c) => c.charCodeAt(0));

/** The number `integerEnd` read last. */
export let integerRead = 0;

/** After `expected`. */
export function literalEnd(bytes: Uint8Array, at: number, end: number, expected: Uint8Array): number {
  if (at === FAILED || end - at < expected.length) return FAILED;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return FAILED;
  return at + expected.length;
}

/**
 * After a whole number of at most 15 digits (exact as a double) followed by a delimiter:
 * `1.5`, `7N`, `1e3` and `007` are left to the generic parsers. Sets `integerRead`.
 */
export function integerEnd(bytes: Uint8Array, at: number, end: number): number {
  if (at === FAILED || at === end) return FAILED;
  const negative = bytes[at] === MINUS;
  const from = negative ? at + 1 : at;
  let n = 0;
  let i = from;
  for (; i < end; i++) {
    const c = bytes[i];
    if (c < ZERO || c > NINE) break;
    n = n * 10 + (c - ZERO);
  }
  const digits = i - from;
  if (digits === 0 || digits > 15 || (digits > 1 && bytes[from] === ZERO) || !isDelimiter(bytes, i, end)) {
    return FAILED;
  }
  integerRead = negative ? -n : n;
  return i;
}

/** The closing quote of a string whose text starts at `at`; FAILED when it has an escape or no end. */
export function closingQuote(bytes: Uint8Array, at: number, end: number): number {
  for (let i = at; i < end; i++) {
    const c = bytes[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) return FAILED;
  }
  return FAILED;
}

export function delimiterAt(bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  while (!isDelimiter(bytes, i, end)) i++;
  return i;
}

/** What may follow a scalar: space, a comma, the map's end, or the line's. */
export function isDelimiter(bytes: Uint8Array, i: number, end: number): boolean {
  if (i >= end) return true;
  const c = bytes[i];
  return c === SPACE || c === COMMA || c === CLOSE || c === TAB || c === CR || c === LF;
}

/** After any spaces (and commas, which are spaces in EDN). */
export function spaceEnd(bytes: Uint8Array, at: number, end: number, edn: boolean): number {
  let i = at;
  for (; i < end; i++) {
    const c = bytes[i];
    if (c !== SPACE && c !== TAB && c !== CR && c !== LF && !(edn && c === COMMA)) break;
  }
  return i;
}

export function equalAt(bytes: Uint8Array, expected: Uint8Array, from: number, to: number): boolean {
  return to - from === expected.length && literalEnd(bytes, from, to, expected) === to;
}

/** A word matched in place, so that the usual ones are never sliced out of a line. */
export interface KnownWord {
  word: string;
  bytes: Uint8Array;
}

export function knownWords(words: string[]): KnownWord[] {
  return words.map((word) => ({ word, bytes: bytesOf(word) }));
}

/** Which of `words` `bytes[from, to)` is; undefined for none. */
export function knownWord(bytes: Uint8Array, from: number, to: number, words: KnownWord[]): string | undefined {
  for (const known of words) if (equalAt(bytes, known.bytes, from, to)) return known.word;
  return undefined;
}

export function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
