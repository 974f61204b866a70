/**
 * What a load run produces, as plain data: the text report, --json, thresholds and compare all
 * read it; `run-load.ts` makes it.
 */
import type { ErrorKind } from '../../counters/counter.js';
import type { HistoryCheck } from '../check/check-history.js';
import type { NemesisEvent } from '../history/nemesis-event.js';
import type { ThresholdResult } from '../history/run-history.js';
import type { RunResources } from './run-resources.js';
import type { SegmentFacts } from '../segments/segment-facts.js';
import type { MedianSummary, Verdict } from '../stats/statistics.js';

export interface LatencySummary {
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
}

/** A run's whole outcome as plain data: the text report and --json both render this. */
export interface LoadResult {
  counter: string;
  clientCount: number;
  callsPerClient: number | null;
  durationMs: number | null;
  ratePerSecond: number | null;
  /** Successful increments (the reference's "Total calls made"). */
  totalCalls: number;
  attemptedCount: number;
  totalTimeS: number;
  rps: number;
  initialCount: number;
  /** null when the counter could not be read after the run. */
  finalCount: number | null;
  /** From when each call was due in open loop (--rate), corrected for coordinated omission; else from its send. */
  latency: LatencySummary;
  /** --rate only: from each call's send, as a closed-loop tool would measure it. */
  uncorrectedLatency?: LatencySummary;
  /** --rate only: how late each call was sent after it was due (the pacer's lag plus any wait for a connection). */
  pacerLag?: LatencySummary;
  /** --rate only: the calls went out at 95% or more of the rate asked for. */
  rateHeld?: boolean;
  /** --rate only: the rate the calls actually went out at, per second. */
  sentRate?: number;
  errors: Partial<Record<ErrorKind, number>>;
  errorExamples: Partial<Record<ErrorKind, string>>;
  retryCount: number;
  /** Whether the method promises no lost updates (false for lost_update, no_lock). */
  promisesExact: boolean;
  check: HistoryCheck;
  verdict: string;
  /** For a failure, up to three lines per anomaly naming the operations that prove it. */
  witnesses: string[];
  /** Faults injected and healed during the run (--nemesis), times counted from its start; saved in the history. */
  nemesisEvents: NemesisEvent[];
  /** The run kept every promise its method makes. */
  passed: boolean;
  /** Peak resident memory (MB) of the process so far, worker threads included (over every run of a `compare`). */
  peakRssMb: number;
  /** The tester's threads and the host over the run, and whether either may have set the speed. */
  resources: RunResources;
  /** The --max-p99, --min-rps and --max-errors limits asked for, each judged (absent when none). */
  thresholds?: ThresholdResult[];
  /**
   * --rounds above 1: every round's RPS and p99 with medians and intervals; the fields above are
   * then one round's, the first that failed or else the one nearest the median RPS.
   */
  rounds?: RoundFigures;
  /** --against: these rounds' RPS against the saved run's. */
  against?: SavedRunChange;
  /** --segment: what `tester merge` needs of this share of a run (the fields above are the share's). */
  segment?: SegmentFacts;
}

/** What the result blocks show: a run's result, a segment's, or the segments' merged (no checks' details). */
export type ShownResult = Omit<LoadResult, 'check' | 'initialCount'>;

/** A run's result before its calls are judged: what a run that keeps none of them can report. */
export type LoadMeasures = Omit<LoadResult, 'check' | 'verdict' | 'witnesses' | 'passed'>;

/** A cell's rounds (tester/compare/round-figures.ts makes them). */
export interface RoundFigures {
  /** Rounds measured. */
  count: number;
  /** Each round's figure, in the order the rounds ran: what `--against` compares. */
  samples: { rps: number[]; p99Us: number[] };
  rps: MedianSummary;
  p99Us: MedianSummary;
  /** Rounds in which the loader, or the host, may have set the speed rather than the server. */
  limitedBy: { loader: number; host: number };
}

/** A run's RPS against a saved run's (--against). */
export interface SavedRunChange {
  file: string;
  /** --max-regression, a fraction. */
  maxRegression: number;
  verdict: Verdict;
  /** Significantly slower by more than maxRegression: the run fails. */
  regression: boolean;
}
