/**
 * A minimal EDN reader for Jepsen histories: maps, vectors, lists, keywords, strings,
 * numbers, booleans and nil. Keywords become their names (`:ok` -> "ok"), maps plain objects.
 */
export type EdnValue = null | boolean | number | string | EdnValue[] | { [key: string]: EdnValue };

export class EdnError extends Error {}

const DELIMITERS = new Set([' ', '\t', '\n', '\r', ',', '{', '}', '[', ']', '(', ')', '"']);

export function parseEdn(text: string): EdnValue {
  const reader = { text, at: 0 };
  const value = readValue(reader);
  skipSpace(reader);
  if (reader.at < text.length) throw new EdnError(`unexpected ${JSON.stringify(text[reader.at])} after the value`);
  return value;
}

interface Reader {
  text: string;
  at: number;
}

function skipSpace(reader: Reader): void {
  while (reader.at < reader.text.length && ' \t\n\r,'.includes(reader.text[reader.at])) reader.at++;
}

function readValue(reader: Reader): EdnValue {
  skipSpace(reader);
  const c = reader.text[reader.at];
  if (c === undefined) throw new EdnError('unexpected end of text');
  if (c === '{') return readMap(reader);
  if (c === '[' || c === '(') return readSequence(reader, c === '[' ? ']' : ')');
  if (c === '"') return readString(reader);
  const token = readToken(reader);
  if (token.startsWith(':')) return token.slice(1);
  if (token === 'nil') return null;
  if (token === 'true' || token === 'false') return token === 'true';
  const number = Number(token.replace(/[NM]$/, ''));
  if (token === '' || Number.isNaN(number)) throw new EdnError(`cannot read ${JSON.stringify(token || c)}`);
  return number;
}

function readToken(reader: Reader): string {
  const start = reader.at;
  while (reader.at < reader.text.length && !DELIMITERS.has(reader.text[reader.at])) reader.at++;
  return reader.text.slice(start, reader.at);
}

function readSequence(reader: Reader, end: string): EdnValue[] {
  reader.at++;
  const items: EdnValue[] = [];
  for (;;) {
    skipSpace(reader);
    if (reader.text[reader.at] === end) {
      reader.at++;
      return items;
    }
    items.push(readValue(reader));
  }
}

function readMap(reader: Reader): { [key: string]: EdnValue } {
  const items = readSequence(reader, '}');
  if (items.length % 2 !== 0) throw new EdnError('a map needs an even number of forms');
  const map: { [key: string]: EdnValue } = {};
  for (let i = 0; i < items.length; i += 2) map[String(items[i])] = items[i + 1];
  return map;
}

function readString(reader: Reader): string {
  const start = reader.at;
  for (reader.at++; reader.at < reader.text.length; reader.at++) {
    if (reader.text[reader.at] === '\\') reader.at++;
    else if (reader.text[reader.at] === '"') {
      reader.at++;
      // EDN's escapes (\" \\ \n \t \r \uXXXX) are JSON's.
      return JSON.parse(reader.text.slice(start, reader.at)) as string;
    }
  }
  throw new EdnError('unterminated string');
}
