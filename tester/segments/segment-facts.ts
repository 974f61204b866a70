/**
 * What a segment's --output carries beyond a run's result: enough for `tester merge` to add the
 * segments up exactly (histograms, outcome counts) and to place them on one time line (wall
 * clock: each host's own, so its error is the hosts' clock skew).
 */
import type { Thresholds } from '../judge/thresholds.js';
import type { Segment, Share } from './segment.js';

/** What every segment of one run was asked for: segments whose plans differ are not one run. */
export interface SegmentPlan {
  /** The whole run's: --n-clients and --rate as given to every segment. */
  clientCount: number;
  callsPerClient: number | null;
  durationMs: number | null;
  ratePerSecond: number | null;
  /** --start-at, wall clock ms since the epoch; null for a run of one segment started at once. */
  startAtMs: number | null;
  /** The thresholds `tester merge` judges over the whole run. */
  thresholds: Thresholds;
}

/** One of the tester's own calls (reset, read), on the wall clock. */
export interface WallCall {
  f: 'reset' | 'read';
  type: 'ok' | 'fail' | 'info';
  value: number | null;
  invokeWallMs: number;
  completeWallMs: number;
}

export interface SegmentFacts extends Segment {
  plan: SegmentPlan;
  /** This segment's clients: the run's client numbers first .. first + size - 1. */
  clients: Share;
  /** Wall clock (ms since the epoch) at the run's origin: its --history's times count from here. */
  originWallMs: number;
  /** When its calls began and when its last call ended, wall clock ms. */
  startWallMs: number;
  endWallMs: number;
  /** How long after --start-at its calls began (0 when on time or without --start-at). */
  lateMs: number;
  /** The reset (segment 1 only) and the reads of the count before and after its calls. */
  controlCalls: WallCall[];
  okCount: number;
  failedCount: number;
  indeterminateCount: number;
  /**
   * Latency histograms as hdr-histogram-js's encodeIntoCompressedBase64 writes them (1 us to
   * 60 s, 3 significant digits): `latency` always; with --rate, from the send and the pacer's lag.
   */
  histograms: { latency: string; uncorrected?: string; pacerLag?: string };
}
