/**
 * The segments' results added up into one run's, as if one process had made every call: exact
 * sums, the rate over the union of their times, percentiles from their histograms added up
 * (never averaged). Their clocks are each host's own wall clock.
 */
import type { ErrorKind } from '../../counters/counter.js';
import type { CountResult } from '../check/count-checker.js';
import type { ShownResult } from '../load/load-result.js';
import { summarize } from '../load/latency-summary.js';
import { addCounts, RATE_HELD_SHARE } from '../load/run-load.js';
import type { RunResources, SpeedLimit } from '../load/run-resources.js';
import { segmentText, type Share } from './segment.js';
import type { SegmentFile } from './segment-file.js';
import type { SegmentResult } from './record-segment.js';

/** One segment's part in the merged run. */
export interface SegmentSummary {
  index: number;
  file: string;
  clients: Share;
  okCount: number;
  attemptedCount: number;
  rps: number;
  lateMs: number;
  startWallMs: number;
  endWallMs: number;
}

/** The whole run, merged from its segments' --output files. */
export type MergedResult = ShownResult & {
  /** Segment 1's read before the calls; null when it is missing or did not read. */
  initialCount: number | null;
  segmentCount: number;
  segments: SegmentSummary[];
  /** Segments of the run whose results were not given (killed, or left out): the verdict fails. */
  missingSegments: number[];
  count: CountResult;
};

/** The merged measures, before the verdict (merged-verdict.ts). */
export type MergedMeasures = Omit<MergedResult, 'verdict' | 'witnesses' | 'passed' | 'count' | 'thresholds'>;

/** Why these files are not the segments of one run (a one-line reason), or undefined when they are. */
export function notOneRun(files: readonly SegmentFile[]): string | undefined {
  const [first, ...others] = files;
  const facts = (file: SegmentFile) => file.result.segment;
  for (const other of others) {
    const names = `${first.file} and ${other.file}`;
    if (facts(other).count !== facts(first).count)
      return `${names} are segments ${segmentText(facts(first))} and ${segmentText(facts(other))}: not of one run`;
    const differing = differingKey(
      { counter: first.result.counter, ...facts(first).plan },
      { counter: other.result.counter, ...facts(other).plan },
    );
    if (differing) return `${names} are segments of different runs: their ${differing} differ`;
  }
  const seen = new Map<number, string>();
  for (const { file, result } of files) {
    const twin = seen.get(result.segment.index);
    if (twin) return `${twin} and ${file} are both segment ${segmentText(result.segment)}`;
    seen.set(result.segment.index, file);
  }
  return undefined;
}

/** The first key (a flag's name where there is one) on which two plans differ. */
function differingKey(a: Record<string, unknown>, b: Record<string, unknown>): string | undefined {
  const flags: Record<string, string> = {
    counter: 'counter',
    clientCount: '--n-clients',
    callsPerClient: '--n-calls-per-client',
    durationMs: '--duration',
    ratePerSecond: '--rate',
    startAtMs: '--start-at',
    thresholds: 'thresholds',
  };
  const key = Object.keys(flags).find((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name]));
  return key && flags[key];
}

/** Files already shown to be one run's segments (notOneRun), in any order. */
export function mergeSegments(files: readonly SegmentFile[]): MergedMeasures {
  const sorted = [...files].sort((a, b) => a.result.segment.index - b.result.segment.index);
  const results = sorted.map((file) => file.result);
  const [first] = results;
  const { plan, count: segmentCount } = first.segment;
  const present = new Set(results.map((result) => result.segment.index));
  const totalCalls = sum(results, (result) => result.totalCalls);
  const totalTimeS = unionMs(results.map(({ segment }) => [segment.startWallMs, segment.endWallMs])) / 1000;
  const segment1 = results.find((result) => result.segment.index === 1);
  return {
    counter: first.counter,
    clientCount: sum(results, (result) => result.segment.clients.size),
    callsPerClient: plan.callsPerClient,
    durationMs: plan.durationMs,
    ratePerSecond: plan.ratePerSecond,
    totalCalls,
    attemptedCount: sum(results, (result) => result.attemptedCount),
    totalTimeS,
    rps: totalTimeS > 0 ? totalCalls / totalTimeS : 0,
    initialCount: segment1?.initialCount ?? null,
    finalCount: null,
    latency: summarize(results.map((result) => result.segment.histograms.latency)),
    ...openLoopFields(results),
    errors: addCounts(results.map((result) => result.errors)),
    errorExamples: firstExamples(results),
    retryCount: sum(results, (result) => result.retryCount),
    promisesExact: first.promisesExact,
    nemesisEvents: [],
    peakRssMb: Math.max(...results.map((result) => result.peakRssMb)),
    resources: mergedResources(results),
    segmentCount,
    segments: sorted.map(({ file, result }) => summary(file, result)),
    missingSegments: Array.from({ length: segmentCount }, (_, i) => i + 1).filter((index) => !present.has(index)),
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

/** The length of the union of [start, end] spans: the time some segment was making calls. */
export function unionMs(spans: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = [-Infinity, -Infinity];
  for (const [start, end] of sorted) {
    if (start > to) {
      if (to > from) total += to - from;
      [from, to] = [start, end];
    } else to = Math.max(to, end);
  }
  return total + (to > from ? to - from : 0);
}

/** --rate: the open loop's histograms added up, and the rate the segments sent together. */
function openLoopFields(results: readonly SegmentResult[]): Partial<ShownResult> {
  const rate = results[0].segment.plan.ratePerSecond;
  if (rate === null) return {};
  const sentRate = sum(results, (result) => result.sentRate ?? 0);
  return {
    uncorrectedLatency: summarize(results.map((result) => result.segment.histograms.uncorrected!)),
    pacerLag: summarize(results.map((result) => result.segment.histograms.pacerLag!)),
    sentRate: Math.round(sentRate),
    rateHeld: sentRate >= RATE_HELD_SHARE * rate,
  };
}

function firstExamples(results: readonly SegmentResult[]): Partial<Record<ErrorKind, string>> {
  const examples: Partial<Record<ErrorKind, string>> = {};
  for (const result of results)
    for (const [kind, message] of Object.entries(result.errorExamples) as Array<[ErrorKind, string]>)
      examples[kind] ??= message;
  return examples;
}

/**
 * Every segment's threads, named by segment; the host shown is the busiest segment's (least idle),
 * and a limit any segment met is the run's.
 */
function mergedResources(results: readonly SegmentResult[]): RunResources {
  const threads = results.flatMap(({ segment, resources }) =>
    resources.threads.map((thread) => ({ ...thread, name: `segment ${segmentText(segment)} ${thread.name}` })),
  );
  const hosts = results.filter((result) => result.resources.host !== null);
  const busiest = hosts.reduce<SegmentResult | undefined>(
    (most, result) => (most && most.resources.host!.idleShare <= result.resources.host!.idleShare ? most : result),
    undefined,
  );
  const limits: SpeedLimit[] = ['loader', 'host'];
  return {
    threads,
    host: busiest?.resources.host ?? null,
    loadAverage: busiest?.resources.loadAverage ?? [],
    limitedBy: limits.filter((limit) => results.some((result) => result.resources.limitedBy.includes(limit))),
  };
}

function summary(file: string, result: SegmentResult): SegmentSummary {
  const { segment } = result;
  return {
    index: segment.index,
    file,
    clients: segment.clients,
    okCount: result.totalCalls,
    attemptedCount: result.attemptedCount,
    rps: result.rps,
    lateMs: segment.lateMs,
    startWallMs: segment.startWallMs,
    endWallMs: segment.endWallMs,
  };
}
