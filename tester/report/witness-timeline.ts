/**
 * The calls around an anomaly, as Porcupine draws a history: one lane per client, each call a
 * bar from invoke to completion. The window spans the witnesses with room on both sides, and
 * is capped (lanes, then calls nearest the witnesses) so a page about a 1M-call run stays small.
 * An indeterminate call's bar runs to the window's end: it may take effect any time later.
 */
import { Outcome } from '../check/history.js';
import type { OpExample } from '../check/witness.js';
import type { KeptCall } from './call-ring.js';
import type { KeptWindow } from './marked-window.js';
import type { OpOutcome, Timeline, TimelineOp } from './report-shapes.js';

export const maxLanes = 12;
export const maxTimelineOps = 160;

const outcomeNames: Record<number, OpOutcome> = {
  [Outcome.ok]: 'ok',
  [Outcome.failed]: 'fail',
  [Outcome.indeterminate]: 'info',
};

/** An increment named as evidence, as the checker saw it, and the bounds its value broke, if any. */
export interface WitnessOp extends OpExample {
  bounds?: [number, number];
}

/** The tester's final read, named as evidence: it is not among the clients' calls. */
export interface WitnessRead {
  invokeUs: number;
  completeUs: number;
  value: number;
  bounds: [number, number];
  /** Where the window starts: the read comes after the clients stop, so they need room too. */
  contextFromUs: number;
}

/** The stretch of the run a timeline of these witnesses shows: theirs, with room on both sides. */
export function witnessWindow(
  witnesses: ReadonlyArray<Pick<OpExample, 'invokeUs' | 'completeUs'>>,
  read?: WitnessRead,
): { fromUs: number; toUs: number } {
  const spans = witnesses.map(({ invokeUs, completeUs }) => [invokeUs, completeUs]);
  if (read) spans.push([read.contextFromUs, read.completeUs]);
  const fromUs = Math.min(...spans.map(([from]) => from));
  const toUs = Math.max(...spans.map(([, to]) => to));
  const longestUs = Math.max(...spans.map(([from, to]) => to - from));
  const padUs = read ? (toUs - fromUs) / 10 : Math.max((toUs - fromUs) / 2, longestUs * 1.5, 50);
  return { fromUs: fromUs - padUs, toUs: toUs + padUs };
}

/** `kept` holds the calls of `witnessWindow(witnesses, read)`; times become ms since `originUs`. */
export function witnessTimeline(
  kept: KeptWindow,
  originUs: number,
  witnesses: readonly WitnessOp[],
  read?: WitnessRead,
): Timeline {
  const window = witnessWindow(witnesses, read);
  const calls = withWitnesses(kept.calls, witnesses);
  const lanes = pickLanes(kept.busy, witnesses);
  const witnessBounds = new Map(witnesses.map(({ row, bounds }) => [row, bounds]));
  // The room is the same on both sides: the window's middle is the witnesses'.
  const centerUs = (window.fromUs + window.toUs) / 2;
  const distance = (call: KeptCall) =>
    witnessBounds.has(call.row) ? -1 : Math.abs((call.invokeUs + call.completeUs) / 2 - centerUs);
  const drawn = calls
    .filter((call) => lanes.has(call.clientId))
    .sort((a, b) => distance(a) - distance(b))
    .slice(0, maxTimelineOps);
  const ms = (us: number) => Math.round(us - originUs) / 1000;
  const ops: TimelineOp[] = drawn.map((call) => ({
    lane: lanes.get(call.clientId) ?? 0,
    f: 'inc',
    invokeMs: ms(call.invokeUs),
    completeMs: ms(call.completeUs),
    value: Number.isNaN(call.value) ? null : call.value,
    outcome: outcomeNames[call.outcome],
    witness: witnessBounds.has(call.row),
    ...(witnessBounds.get(call.row) ? { bounds: witnessBounds.get(call.row) } : {}),
  }));
  const laneNames = [...lanes.keys()].map((clientId) => `client ${clientId}`);
  if (read) {
    const { invokeUs, completeUs, value } = read;
    const op = { f: 'read' as const, invokeMs: ms(invokeUs), completeMs: ms(completeUs), value, bounds: read.bounds };
    ops.push({ ...op, lane: laneNames.length, outcome: 'ok', witness: true });
    laneNames.push('tester');
  }
  return {
    fromMs: ms(window.fromUs),
    toMs: ms(window.toUs),
    lanes: laneNames,
    ops,
    omittedCount: Math.max(kept.inWindowCount, calls.length) - drawn.length,
  };
}

/** The kept calls, and any witness no longer kept as the checker saw it (an acknowledged increment). */
function withWitnesses(calls: readonly KeptCall[], witnesses: readonly WitnessOp[]): KeptCall[] {
  const rows = new Set(calls.map((call) => call.row));
  const missing = witnesses
    .filter((witness) => !rows.has(witness.row))
    .map(({ row, clientId, invokeUs, completeUs, value }) => ({
      row,
      clientId,
      invokeUs,
      completeUs,
      value,
      outcome: Outcome.ok as Outcome,
    }));
  return missing.length === 0 ? [...calls] : [...calls, ...missing].sort((a, b) => a.row - b.row);
}

/** Client id -> lane: the witnesses' clients first, then the busiest others in the window. */
function pickLanes(busy: ReadonlyMap<number, number>, witnesses: readonly WitnessOp[]): Map<number, number> {
  const witnessClients = [...new Set(witnesses.map((op) => op.clientId))].sort((a, b) => a - b);
  const others = [...busy.keys()]
    .filter((c) => !witnessClients.includes(c))
    .sort((a, b) => busy.get(b)! - busy.get(a)! || a - b);
  const chosen = [...witnessClients, ...others.slice(0, Math.max(0, maxLanes - witnessClients.length))];
  return new Map(chosen.sort((a, b) => a - b).map((clientId, lane) => [clientId, lane]));
}
