/**
 * The merged run's verdict, as one process would give it on the count: the growth between
 * segment 1's read before --start-at and the latest read after every segment's end, against the
 * increments every segment acknowledged and attempted. The values the increments returned are
 * judged over the segments' histories together (tester check), not here.
 */
import { checkCount, type CountResult } from '../check/count-checker.js';
import type { ThresholdResult } from '../history/run-history.js';
import { withThresholds } from '../judge/thresholds.js';
import { countPart, type Part, partsLine, unreadableAnswersPart } from '../judge/verdict.js';
import { measureThresholds } from '../load/thresholds.js';
import type { SegmentFile } from './segment-file.js';
import type { MergedMeasures, MergedResult } from './merge-segments.js';
import type { WallCall } from './segment-facts.js';
import { segmentText } from './segment.js';

/** The measures judged: count, missing segments, unreadable answers, thresholds. */
export function judgeMerged(files: readonly SegmentFile[], measures: MergedMeasures): MergedResult {
  const { count, finalCount, countNote } = mergedCount(files, measures);
  const missing = measures.missingSegments.map((index) => segmentText({ index, count: measures.segmentCount }));
  const parts: Part[] = [countNote ?? countPart(count)];
  if (missing.length > 0) {
    const which = `segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
    parts.push({ text: `MISSING ${which}: killed, or --output not given; its calls are unknown`, kind: 'violation' });
  }
  const unreadable = unreadableAnswersPart(measures.errors.protocol ?? 0);
  const expectedUnsafe = !measures.promisesExact;
  const countPassed = !measures.promisesExact || count.valid === true;
  const judged = {
    ...measures,
    finalCount,
    count,
    verdict: [partsLine(parts, expectedUnsafe), ...unreadable].join('; '),
    witnesses: [],
    passed: countPassed && missing.length === 0 && unreadable.length === 0,
  };
  const thresholds: ThresholdResult[] = measureThresholds(measures, files[0].result.segment.plan.thresholds);
  return withThresholds(judged, thresholds);
}

/**
 * The count check over every segment's calls; `countNote` says why it could not be judged, or
 * what a missing segment still lets it prove (lost increments: the missing ones only add).
 */
function mergedCount(
  files: readonly SegmentFile[],
  measures: MergedMeasures,
): { count: CountResult; finalCount: number | null; countNote?: Part } {
  const results = files.map((file) => file.result);
  const outcomes = {
    okCount: results.reduce((total, result) => total + result.segment.okCount, 0),
    failedCount: results.reduce((total, result) => total + result.segment.failedCount, 0),
    indeterminateCount: results.reduce((total, result) => total + result.segment.indeterminateCount, 0),
  };
  const initial = initialRead(files);
  const final = finalRead(files);
  const count = checkCount(outcomes, {
    initial: typeof initial === 'number' ? initial : NaN,
    final: typeof final === 'number' ? final : undefined,
  });
  const finalCount = typeof final === 'number' ? final : null;
  const unknown = [initial, final].find((read): read is string => typeof read === 'string');
  if (unknown) {
    const countNote: Part = { text: `count not judged: ${unknown}`, kind: 'unknown' };
    return { count: { ...count, reason: unknown }, finalCount, countNote };
  }
  if (measures.missingSegments.length === 0) return { count, finalCount };
  // A missing segment's increments may have been counted too: only acknowledged ones the count lacks are proven.
  const lost = count.lostCount > 0;
  const partial: CountResult = { ...count, extraCount: 0, valid: lost ? false : 'unknown', examples: [] };
  const acknowledged = `${count.acknowledgedCount} increments the segments given acknowledged`;
  const countNote: Part = lost
    ? { text: `LOST at least ${count.lostCount} of the ${acknowledged}`, kind: 'violation', expectable: true }
    : { text: `count not judged: ${count.appliedCount} counted, against the ${acknowledged}`, kind: 'unknown' };
  return { count: partial, finalCount, countNote };
}

/** Segment 1's read before the calls, or why there is none to trust. */
function initialRead(files: readonly SegmentFile[]): number | string {
  const first = files.find((file) => file.result.segment.index === 1)?.result.segment;
  if (!first) return 'segment 1, which reset the counter and read it first, is missing';
  const read = first.controlCalls.find((call) => call.f === 'read');
  if (!okValue(read)) return 'segment 1 could not read the count before the calls';
  const startAtMs = first.plan.startAtMs;
  if (startAtMs !== null && read.completeWallMs > startAtMs) {
    const lateMs = Math.round(read.completeWallMs - startAtMs);
    return `segment 1 reset and read the counter ${lateMs} ms after --start-at, when others may have counted`;
  }
  return read.value;
}

/**
 * The count after every segment's end: the largest of the segments' reads after their calls. The
 * counter only grows, so the largest read is the latest, whichever host's clock runs ahead; the
 * clocks only tell whether any read came after the last segment's end.
 */
function finalRead(files: readonly SegmentFile[]): number | string {
  const lastEndMs = Math.max(...files.map((file) => file.result.segment.endWallMs));
  const finals = files
    .map((file) => file.result.segment.controlCalls.filter((call) => call.f === 'read'))
    .filter((reads) => reads.length > 1)
    .map((reads) => reads.at(-1)!)
    .filter(okValue);
  const afterEveryEnd = finals.some((read) => read.invokeWallMs >= lastEndMs);
  if (!afterEveryEnd) return 'no segment read the count after the last segment ended';
  return Math.max(...finals.map((read) => read.value));
}

function okValue(call: WallCall | undefined): call is WallCall & { value: number } {
  return call?.type === 'ok' && typeof call.value === 'number';
}
