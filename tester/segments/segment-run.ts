/**
 * What run-load needs to run one segment, and the facts it records of it for `tester merge`.
 * Only segment 1 resets the counter (before --start-at); every segment reads the count before
 * and after its calls, and numbers its clients as the single-process run would.
 */
import type { ControlOp } from '../history/run-history.js';
import type { CallTally } from '../load/call-tally.js';
import { sumEncoded } from '../load/latency-summary.js';
import type { Segment, Share } from './segment.js';
import type { SegmentFacts, SegmentPlan, WallCall } from './segment-facts.js';
import type { WallOrigin } from './wall-clock.js';

export interface SegmentRun extends Segment {
  plan: SegmentPlan;
  /** This segment's clients among the run's (`shareOf(plan.clientCount, segment)`). */
  clients: Share;
}

/** Segment 1 resets the counter; the others must not wipe what it has counted by then. */
export function resets(segment: SegmentRun | undefined): boolean {
  return segment === undefined || segment.index === 1;
}

/** Histograms a segment's client groups encoded: latency, and the open loop's two. */
export interface GroupHistograms {
  latencyBase64: string;
  uncorrectedBase64: string;
  pacerLagBase64: string;
}

/** What a segment's calls came to, as `tester merge` reads it. */
export function segmentFacts(
  segment: SegmentRun,
  origin: WallOrigin,
  span: { startUs: number; endUs: number; lateMs: number },
  controlOps: readonly ControlOp[],
  tally: CallTally,
  groups: readonly GroupHistograms[],
): SegmentFacts {
  const openLoop = segment.plan.ratePerSecond !== null;
  return {
    index: segment.index,
    count: segment.count,
    plan: segment.plan,
    clients: segment.clients,
    originWallMs: origin.originWallMs,
    startWallMs: origin.wallMsAt(span.startUs),
    endWallMs: origin.wallMsAt(span.endUs),
    lateMs: span.lateMs,
    controlCalls: controlOps.map((op) => wallCall(op, origin)),
    okCount: tally.okCount,
    failedCount: tally.failedCount,
    indeterminateCount: tally.indeterminateCount,
    histograms: {
      latency: sumEncoded(groups.map((group) => group.latencyBase64)),
      ...(openLoop && {
        uncorrected: sumEncoded(groups.map((group) => group.uncorrectedBase64)),
        pacerLag: sumEncoded(groups.map((group) => group.pacerLagBase64)),
      }),
    },
  };
}

function wallCall(op: ControlOp, origin: WallOrigin): WallCall {
  return {
    f: op.f,
    type: op.type,
    value: op.value,
    invokeWallMs: origin.wallMsAt(op.invokeUs),
    completeWallMs: origin.wallMsAt(op.completeUs),
  };
}
