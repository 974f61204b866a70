import type { MergedResult, SegmentSummary } from '../segments/merge-segments.js';
import type { SegmentFacts } from '../segments/segment-facts.js';
import { segmentText } from '../segments/segment.js';
import { RULER, row } from './result-text.js';

/** Later than this after --start-at is worth a line: timers and a busy host account for less. */
export const LATE_NOTE_MS = 10;

/** "tester: segment 2/3 started 1234 ms after --start-at", or undefined when it was on time. */
export function lateWarning(segment: Pick<SegmentFacts, 'index' | 'count' | 'lateMs'>): string | undefined {
  if (segment.lateMs <= LATE_NOTE_MS) return undefined;
  return `tester: segment ${segmentText(segment)} started ${Math.round(segment.lateMs)} ms after --start-at\n`;
}

/** The merged run's segments, one row each, the missing ones named; then where the values are judged. */
export function segmentsBlock(result: MergedResult): string {
  const count = result.segmentCount;
  const rows = Array.from({ length: count }, (_, i) => {
    const label = `Segment ${segmentText({ index: i + 1, count })}:`;
    const shown = result.segments.find((segment) => segment.index === i + 1);
    return row(label, shown ? segmentLine(shown) : 'MISSING (killed, or its --output not given)');
  });
  const values = row('Values:', "judged by tester check over the segments' --history files together");
  return [...rows, values, RULER].join('\n') + '\n';
}

function segmentLine(segment: SegmentSummary): string {
  const { first, size } = segment.clients;
  const late = segment.lateMs > LATE_NOTE_MS ? `, started ${Math.round(segment.lateMs)} ms late` : '';
  const rate = `${segment.rps.toFixed(2)} req/s`;
  return `clients ${first}-${first + size - 1}, ${segment.okCount} acknowledged, ${rate}${late} (${segment.file})`;
}
