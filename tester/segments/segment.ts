/**
 * Execution segments, as k6 has them: n processes (on n hosts) each run share i of the same
 * plan, with no coordinator while they run; `tester merge` adds their results up afterwards.
 * The shares are exact: the n segments together are the single-process run, client for client.
 */

/** Share `index` (1-based) of `count`. */
export interface Segment {
  index: number;
  count: number;
}

/** A segment's part of something counted: `size` items numbered from `first`. */
export interface Share {
  first: number;
  size: number;
}

/**
 * Segment i's part of `total` items numbered from 0: the remainder goes one each to the first
 * segments, so every process computes every share alike and the shares tile 0..total-1.
 */
export function shareOf(total: number, { index, count }: Segment): Share {
  const base = Math.floor(total / count);
  const extra = total % count;
  const before = index - 1;
  return { first: before * base + Math.min(before, extra), size: base + (before < extra ? 1 : 0) };
}

/** "2/3". */
export function segmentText({ index, count }: Segment): string {
  return `${index}/${count}`;
}
