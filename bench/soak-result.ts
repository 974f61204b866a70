/**
 * What a soak yields and how it is judged: resident memory of the tester and of the server,
 * sampled over a long run at full rate, and whether either keeps growing. Growth is the
 * least-squares slope after a settling time (the first minute: heaps, JIT code and buffers grow
 * while they warm up); memory that is bounded has a slope near zero however long the run.
 */
import { leastSquaresSlope } from './least-squares.js';

export const SOAK_LIMIT_MB_PER_MINUTE = 1;
/** The fewest samples after the settling time that a slope is fitted to. */
export const MIN_SLOPE_SAMPLES = 3;

export interface SoakSample {
  /** Seconds since the tester started. */
  atS: number;
  testerMb: number;
  serverPrimaryMb: number;
  /** The sum over the primary's children: its workers. */
  serverWorkersMb: number;
}

/** The server counted whole: the primary and every worker. */
export const serverMb = (sample: SoakSample): number => sample.serverPrimaryMb + sample.serverWorkersMb;

/** The tester's own figures from its --json, or why it gave none. */
export type SoakTesterOutcome =
  | { rps: number; passed: boolean; verdict: string; peakRssMb?: number; errorCount: number }
  | { failed: string };

export interface SoakSlopes {
  /** MB per minute after the settling time; null when too few samples came after it. */
  testerMbPerMinute: number | null;
  serverMbPerMinute: number | null;
}

export interface SoakResult extends SoakSlopes {
  date: string;
  minutes: number;
  clients: number;
  sampleIntervalS: number;
  settleS: number;
  limitMbPerMinute: number;
  /** The server as measured: its label and what GET /health said it runs. */
  server: string;
  workers: number;
  samples: SoakSample[];
  tester: SoakTesterOutcome;
  /** Both slopes under the limit and the tester's verdict PASS; null when the slopes could not be fitted. */
  passed: boolean | null;
}

/** The slopes of the tester's and the server's RSS over the samples after `settleS`, in MB per minute. */
export function soakSlopes(samples: SoakSample[], settleS: number): SoakSlopes {
  const settled = samples.filter((sample) => sample.atS >= settleS);
  const slope = (mb: (sample: SoakSample) => number) =>
    settled.length < MIN_SLOPE_SAMPLES ? null : leastSquaresSlope(settled.map((s) => [s.atS / 60, mb(s)]));
  return { testerMbPerMinute: slope((s) => s.testerMb), serverMbPerMinute: slope(serverMb) };
}

export const slopePassed = (mbPerMinute: number, limit: number): boolean => mbPerMinute < limit;

export function soakPassed(slopes: SoakSlopes, tester: SoakTesterOutcome, limit: number): boolean | null {
  const { testerMbPerMinute: t, serverMbPerMinute: s } = slopes;
  if (t === null || s === null) return null;
  return slopePassed(t, limit) && slopePassed(s, limit) && 'passed' in tester && tester.passed;
}
