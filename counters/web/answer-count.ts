import { ProtocolError } from './response-parser.js';

/** Where a count may sit in an answer: the default looks in `count`, then `value`. */
const DEFAULT_COUNT_FIELDS = ['count', 'value'] as const;

/**
 * Our own server's answer, `{"count":N}` with N of 1 to 15 digits (so always a safe integer): read
 * without JSON.parse, here and by the native loop, which native-engine.ts hands this shape.
 */
export const OWN_ANSWER = { prefix: '{"count":', maxDigits: 15, suffix: '}' } as const;

const OWN_ANSWER_PATTERN = new RegExp(
  `^${escapeRegExp(OWN_ANSWER.prefix)}(\\d{1,${OWN_ANSWER.maxDigits}})${escapeRegExp(OWN_ANSWER.suffix)}$`,
);

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/**
 * The count an answer body carries, or undefined when it carries none (an empty body, `null`,
 * or an object without the field: a counter service may acknowledge without a value).
 * Accepted shapes: `{"count":N}`, `{"value":N}`, a bare `N`, or `{"<countField>":N}` (a dotted
 * countField such as `data.count` reaches into nested objects).
 * Throws ProtocolError naming the body when it is not JSON or its count is not a safe integer.
 */
export function readCount(body: string, countField?: string): number | undefined {
  if (countField === undefined) {
    const own = OWN_ANSWER_PATTERN.exec(body);
    if (own) return Number(own[1]);
  }
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ProtocolError(`answer is not JSON: ${quoteBody(body)}`);
  }
  const value = pickCount(parsed, countField);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    const shown = JSON.stringify(value);
    throw new ProtocolError(`count ${shown} is not a whole number within ±(2^53 - 1) in answer ${quoteBody(body)}`);
  }
  return value;
}

function pickCount(parsed: unknown, countField: string | undefined): unknown {
  if (parsed === null) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return parsed;
  if (countField !== undefined) return countField.split('.').reduce(fieldOf, parsed);
  return DEFAULT_COUNT_FIELDS.map((name) => fieldOf(parsed, name)).find((value) => value !== undefined);
}

/** An object's own field, or undefined (also when `value` is not an object). */
function fieldOf(value: unknown, name: string): unknown {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  return isObject && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

/** The body's first 80 bytes, quoted, so a one-line message shows what the server sent. */
export function quoteBody(body: string): string {
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length === 0) return '(empty body)';
  const shown = bytes.subarray(0, 80).toString('utf8');
  return JSON.stringify(shown) + (bytes.length > 80 ? ` (first 80 of ${bytes.length} bytes)` : '');
}
