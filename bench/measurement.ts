/**
 * What every measurement yields, whatever made it (wrk, our tester, autocannon, redis-benchmark,
 * pgbench, the Java client), and how rows of samples become medians, spreads and ratios. The host
 * is small and shared: absolute figures drift by 20% between minutes, so every claim is a ratio
 * of two rows measured in the same round. Medians come from tester/stats, the statistics `tester
 * compare` uses too.
 */
import { median, medianInterval, samplesForMedianInterval } from '../tester/stats/statistics.js';
import { formatRatio } from './number-format.js';

export type Tool = 'wrk' | 'tester' | 'autocannon' | 'redis-benchmark' | 'pgbench' | 'Java client' | 'vegeta';

/** Latencies in microseconds, as the tester's --json has them (LatencySummary's p50Us and p99Us). */
export interface LatencyPair {
  p50Us: number;
  p99Us: number;
}

export interface Measured {
  rps: number;
  /**
   * Attempts per second, successful or not, where a call may take several (optimistic concurrency
   * control: the tester's calls plus its retries; pgbench's transactions, each one version check).
   */
  attemptRps?: number;
  p50Us?: number;
  /** Undefined when the tool does not report it (pgbench). */
  p99Us?: number;
  /** Failed calls: socket errors, non-2xx answers, failed increments. */
  errorCount: number;
  /** Tester only: the history check passed (exact count, distinct values, real-time order). */
  passed?: boolean;
  /** Tester only: the checker's one-line verdict, which says what failed. */
  verdict?: string;
  /** Tester only: its peak resident memory. */
  peakRssMb?: number;
  /**
   * Tester only: false for methods that promise no exact count (lost_update, no_lock), which pass whatever they lose.
   */
  promisesExact?: boolean;
  /** An anchor: the setting that won this round (e.g. wrk "-t1"), and what each setting tried reached. */
  setting?: string;
  triedRps?: Record<string, number>;
  /** Open loop only: what the loader says beside its (corrected) latency, when it says it. */
  openLoop?: OpenLoopFigures;
}

/** Figures an open-loop tester run may report; each is absent when the tester does not report it. */
export interface OpenLoopFigures {
  /** Latency from each call's actual send rather than its scheduled time. */
  uncorrected?: LatencyPair;
  /** How late the pacer sent calls against their schedule. */
  pacerLag?: LatencyPair;
  /** Whether the loader kept the asked rate. */
  rateHeld?: boolean;
}

export interface Sample extends Measured {
  round: number;
  /** When the sample ended (ISO time), to line it up with other logs on a shared host. */
  at: string;
  /** One-minute load average right after the sample: how busy the shared host was. */
  load1: number;
}

export interface Row {
  id: string;
  section: string;
  /** What was measured: a server, a method. */
  subject: string;
  tool: Tool;
  connections: number;
  /** The row this one is divided by in its section's table. */
  refId?: string;
  samples: Sample[];
  /** Why some or all rounds have no sample. */
  notMeasured?: string;
}

/** What a ratio divides: throughput or attempts (higher is better) or a latency percentile (lower is better). */
export type Metric = 'rps' | 'attemptRps' | 'p50Us' | 'p99Us';

export interface RatioSpec {
  name: string;
  top: string;
  bottom: string;
  /** rps unless said. */
  metric?: Metric;
  /** The ratio the goal asks for: at least this for rps, at most this for a latency. */
  target?: number;
  why?: string;
}

/** Whether a ratio meets its target: latencies must stay under it, throughput reach it. */
export const meetsTarget = (spec: RatioSpec, value: number): boolean =>
  spec.target === undefined || (lowerIsBetter(spec) ? value <= spec.target : value >= spec.target);

export const lowerIsBetter = (spec: RatioSpec): boolean => spec.metric === 'p50Us' || spec.metric === 'p99Us';

export interface Ratio extends RatioSpec {
  /** Median over rounds of top / bottom within the round. */
  value: number | null;
  perRound: number[];
}

export interface MemoryFigure {
  name: string;
  limitMb: number;
  /** One per round (the largest worker, for a server). */
  valuesMb: number[];
}

export const rowId = (subject: string, tool: Tool, connections: number) => `${subject} | ${tool} | ${connections}`;

/** (max − min) / median: how much the rounds disagree. */
export function spread(values: number[]): number {
  const m = median(values);
  return m > 0 ? (Math.max(...values) - Math.min(...values)) / m : 0;
}

/** top / bottom round by round (both measured within the same round), and their median. */
export function computeRatio(spec: RatioSpec, rows: Map<string, Row>): Ratio {
  const metric = spec.metric ?? 'rps';
  const top = rows.get(spec.top)?.samples ?? [];
  const bottom = rows.get(spec.bottom)?.samples ?? [];
  const perRound: number[] = [];
  for (const sample of top) {
    const other = bottom.find((s) => s.round === sample.round);
    const [a, b] = [sample[metric], other?.[metric]];
    if (a !== undefined && b !== undefined && b > 0) perRound.push(a / b);
  }
  return { ...spec, value: perRound.length ? median(perRound) : null, perRound };
}

/**
 * "[0.82x–1.10x]" beside a median of per-round ratios: the median's 95% confidence interval (the
 * order statistics `tester compare` uses) when the run had rounds enough for one, else their
 * range; bracketsMeaning says which.
 */
export function roundBrackets(perRound: number[]): string {
  if (perRound.length < 2) return '';
  const interval = medianInterval(perRound) ?? { low: Math.min(...perRound), high: Math.max(...perRound) };
  return ` [${formatRatio(interval.low)}–${formatRatio(interval.high)}]`;
}

/** What roundBrackets' brackets are, for a run of this many rounds. */
export function bracketsMeaning(rounds: number): string {
  const needed = samplesForMedianInterval();
  if (rounds >= needed) return 'in brackets the 95% confidence interval of that median';
  return `in brackets their range over the rounds (${rounds} rounds give no 95% interval: ${needed} do)`;
}
