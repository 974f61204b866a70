/**
 * A segment's --output, read back for `tester merge`: what merging needs is checked, so that a
 * file that is not a segment's is refused in one line rather than merged into nonsense.
 */
import type { SegmentResult } from './record-segment.js';

/** A file's result and its name, for the messages that name it. */
export interface SegmentFile {
  file: string;
  result: SegmentResult;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The result, or what is wrong with it ("is not ..."). */
export function segmentResultOf(saved: unknown): SegmentResult | string {
  const result = saved as Partial<SegmentResult> | null;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return 'is not a JSON object';
  const segment = result.segment;
  if (segment === undefined) return "is not a segment's --output (run the load command with --segment i/n --output FILE)";
  const fields = [
    segment.index,
    segment.count,
    segment.startWallMs,
    segment.endWallMs,
    segment.okCount,
    segment.failedCount,
    segment.indeterminateCount,
    segment.clients?.first,
    segment.clients?.size,
    segment.plan?.clientCount,
  ];
  const complete =
    fields.every(isNumber) &&
    typeof segment.histograms?.latency === 'string' &&
    Array.isArray(segment.controlCalls) &&
    typeof result.counter === 'string' &&
    typeof result.errors === 'object';
  return complete ? (result as SegmentResult) : "is a segment's --output with fields missing or malformed";
}
