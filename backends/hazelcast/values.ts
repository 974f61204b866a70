import { createRequire } from 'node:module';
import type LongType from 'long';
import { CounterError } from '../counter-error.js';

/**
 * The `Long` class of long.js *as hazelcast-client loads it*. The client picks a serializer by
 * the value's constructor, so only instances of its own copy of the class are written as Java
 * Longs; loading it through the client's own `require` keeps that true even if another version
 * of `long` sits at the top of node_modules.
 */
const requireHere = createRequire(import.meta.url);
export const Long: typeof LongType = createRequire(requireHere.resolve('hazelcast-client'))('long');
export type Long = LongType;

/**
 * Counter values are 64-bit integers on the cluster (a Java Long, like the Java and Python
 * clients write), never doubles: a plain JS number would be serialized as a double by default,
 * and `serialization.defaultNumberType: 'long'` would require Long objects anyway.
 */
export function toLong(value: number): Long {
  return Long.fromNumber(value);
}

/**
 * A stored counter value as a JS number. Accepts what other clients may have written: a Long,
 * a JS number (double/int/short/byte on the wire), or nothing (0).
 */
export function toCount(value: unknown, where: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
  } else if (Long.isLong(value)) {
    const long = value as Long;
    if (long.lessThanOrEqual(Number.MAX_SAFE_INTEGER) && long.greaterThanOrEqual(Number.MIN_SAFE_INTEGER))
      return long.toNumber();
    throw new CounterError(
      `${where} holds ${long.toString()}, beyond what this client can count exactly (2^53)`,
      'protocol',
    );
  }
  const shown =
    typeof value === 'object' ? (value.constructor?.name ?? 'object') : `${typeof value} ${JSON.stringify(value)}`;
  throw new CounterError(`${where} holds ${shown}, not an integer counter value`, 'protocol');
}
