import { UsageError } from 'clipanion';
import type { Writable } from 'node:stream';

/**
 * The value of a flag that was renamed: the old name keeps working for one release, with one
 * line on stderr naming the new one. Giving both is a mistake, refused.
 */
export function renamedFlag<T>(
  stderr: Writable,
  names: { old: string; current: string },
  values: { old: T | undefined; current: T | undefined },
  fallback: T,
): T {
  if (values.old === undefined) return values.current ?? fallback;
  if (values.current !== undefined)
    throw new UsageError(`${names.old} is the old name of ${names.current}: give only ${names.current}`);
  stderr.write(`tester: ${names.old} is deprecated and will be removed in the next release: use ${names.current}\n`);
  return values.old;
}
