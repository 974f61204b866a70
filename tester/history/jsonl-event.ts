/**
 * Reads one event line as `--history` writes it, `{"index":I,"time":T,"process":P,"type":"X",
 * "f":"Y","value":V}`, without JSON.parse: a million-operation history has two million lines,
 * and this is several times faster. Any other line (the first, with its metadata; a nemesis
 * event's text; a file written by another tool) is left to JSON.parse.
 */

/** One event's fields, overwritten line after line. */
export interface ScannedEvent {
  time: number;
  process: number | string;
  type: string;
  f: string;
  value: number | null;
}

/** The line being scanned: module state, so scanning a line allocates nothing but its words. */
let text = '';
let at = 0;
let end = 0;

export function scanJsonlEvent(source: string, start: number, lineEnd: number, into: ScannedEvent): boolean {
  text = source;
  at = start;
  end = lineEnd;
  if (!literal('{"index":') || Number.isNaN(integer()) || !literal(',"time":')) return false;
  into.time = integer();
  if (Number.isNaN(into.time) || !literal(',"process":')) return false;
  into.process = literal('"') ? word() : integer();
  if (!literal(',"type":"')) return false;
  into.type = known(TYPES);
  if (!literal(',"f":"')) return false;
  into.f = known(FUNCTIONS);
  if (!literal(',"value":')) return false;
  into.value = literal('null') ? null : integer();
  return at === end - 1 && text.charCodeAt(at) === 125 && !Number.isNaN(into.value) && !Number.isNaN(into.process);
}

// Spelled out so that the usual words are matched in place rather than sliced out of each line.
const TYPES = ['invoke', 'ok', 'fail', 'info'];
const FUNCTIONS = ['inc', 'read', 'reset'];

/** One of `words` followed by its closing quote, or else whatever the quotes hold. */
function known(words: string[]): string {
  for (const candidate of words) {
    if (text.startsWith(candidate, at) && text.charCodeAt(at + candidate.length) === 34) {
      at += candidate.length + 1;
      return candidate;
    }
  }
  return word();
}

function literal(expected: string): boolean {
  if (!text.startsWith(expected, at)) return false;
  at += expected.length;
  return true;
}

/** A whole number of at most 15 digits (exact as a double); NaN otherwise. */
function integer(): number {
  const from = at;
  const negative = text.charCodeAt(at) === 45;
  if (negative) at++;
  let n = 0;
  for (let c = text.charCodeAt(at); c >= 48 && c <= 57; c = text.charCodeAt(++at)) n = n * 10 + (c - 48);
  const digits = at - from - (negative ? 1 : 0);
  if (digits === 0 || digits > 15) return NaN;
  return negative ? -n : n;
}

/** The text up to the next quote, which it skips. */
function word(): string {
  const close = text.indexOf('"', at);
  if (close < 0 || close > end) {
    at = end;
    return '';
  }
  const value = text.slice(at, close);
  at = close + 1;
  return value;
}
