/**
 * A run's whole history as `--history` saves it and `tester check` loads it: the clients'
 * increments (columns, as the load recorded them), the tester's own calls around them, the
 * nemesis's faults, and what the checker needs to judge it again the same way.
 */
import type { HistoryData } from '../check/history.js';
import type { NemesisEvent } from './nemesis-event.js';

/** One threshold's outcome, as `--json` shows it. */
export interface ThresholdResult {
  flag: '--max-p99' | '--min-rps' | '--max-errors';
  /** The limit and the measured value, in `unit`. */
  limit: number;
  actual: number;
  unit: 'ms' | 'requests/s' | 'errors';
  passed: boolean;
}

/** One line of a saved history, in Jepsen's vocabulary. */
export interface HistoryEvent {
  /** Position in the file, from 0. */
  index: number;
  /** Nanoseconds since the run started (monotonic). */
  time: number;
  /** A client number (a new one after each `info`, as Jepsen does), the tester, or the nemesis. */
  process: number | 'tester' | 'nemesis';
  type: EventType;
  /** inc, read, reset, or a nemesis's "start-<fault>" / "stop-<fault>". */
  f: string;
  value: number | string | null;
}

/** invoke; ok; fail: certainly not applied; info: may or may not have been applied. */
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

/** A call the tester made itself: the reset before the run, the reads of the count around it. */
export interface ControlOp {
  f: 'reset' | 'read';
  /** On the history's clock (`originUs`'s). */
  invokeUs: number;
  completeUs: number;
  type: 'ok' | 'fail' | 'info';
  /** The count read; null for a reset or a read that failed. */
  value: number | null;
  /** The index of its invoke event in the saved history, once laid out or read. */
  invokeIndex?: number;
}

/**
 * What judging the run needs beyond its operations: the method's promises (which decide the
 * exit code) and the measurements the verdict names. Saved under `run`: with the first event,
 * and what the run knows only at its end (`unreadableCount`, `thresholds`) with the last when
 * the history is saved as the run goes.
 */
export interface RunMeta {
  counter: string;
  clientCount: number;
  /** The method promises no lost updates. */
  promisesExact: boolean;
  /** The method's increments return values that must be unique and in real-time order. */
  linearizable: boolean;
  /**
   * Answers that could not be read (protocol errors): a run with any never passes. NaN, unknown,
   * for a history that ends before the run's last line (a tester killed mid-run).
   */
  unreadableCount: number;
  /** The --max-p99, --min-rps and --max-errors limits the run was judged by, if any. */
  thresholds?: ThresholdResult[];
  /** For a run split over several processes (--segment i/n): this one's share and its clock. */
  segment?: SegmentMeta;
}

/**
 * Which share of a run split over several processes a history holds, and where its clock stands:
 * what `tester check` needs to judge the segments' histories as one.
 */
export interface SegmentMeta {
  /** From 1 to `count`. */
  index: number;
  count: number;
  /** The wall clock (Unix epoch, microseconds) when the run's clock read `originUs`. */
  wallClockOriginUs: number;
  /**
   * The target's clock minus this host's wall clock, in microseconds, as measured before the
   * load: somewhere in [lowUs, highUs]. Absent where the target has no clock to read.
   */
  clockOffset?: ClockOffset;
}

export interface ClockOffset {
  lowUs: number;
  highUs: number;
  /** What was read: "the server's Date header", "PostgreSQL's clock_timestamp()". */
  against: string;
}

export interface RunHistory {
  meta: RunMeta;
  /** `monotonicUs()` when the run started: saved times are nanoseconds since then. */
  originUs: number;
  /** In time order: the reset, the initial read (after any warmup), the final read. */
  controlOps: ControlOp[];
  /** The clients' increments. */
  ops: HistoryData;
  nemesisEvents: NemesisEvent[];
}

/** Nanoseconds since the run started, as saved: an integer, whatever the clock's fraction. */
export function sinceStartNs(us: number, originUs: number): number {
  return Math.round((us - originUs) * 1000);
}
