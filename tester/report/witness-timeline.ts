/**
 * The calls around an anomaly, as Porcupine draws a history: one lane per client, each call a
 * bar from invoke to completion. The window spans the witnesses with room on both sides, and
 * is capped (lanes, then calls nearest the witnesses) so a page about a 1M-call run stays small.
 * An indeterminate call's bar runs to the window's end: it may take effect any time later.
 */
import { Outcome, type HistoryData } from '../check/history.js';
import type { OpOutcome, Timeline, TimelineOp } from './report-shapes.js';

export const maxLanes = 12;
export const maxTimelineOps = 160;

const outcomeNames: Record<number, OpOutcome> = {
  [Outcome.ok]: 'ok',
  [Outcome.failed]: 'fail',
  [Outcome.indeterminate]: 'info',
};

/** An increment named as evidence: its row in the history, and the bounds its value broke, if any. */
export interface WitnessRow {
  row: number;
  bounds?: [number, number];
}

/** The tester's final read, named as evidence: it is not among the clients' rows. */
export interface WitnessRead {
  invokeUs: number;
  completeUs: number;
  value: number;
  bounds: [number, number];
  /** Where the window starts: the read comes after the clients stop, so they need room too. */
  contextFromUs: number;
}

/** `witnesses` name rows of `data`; times become ms since `originUs`. */
export function witnessTimeline(
  data: HistoryData,
  originUs: number,
  witnesses: readonly WitnessRow[],
  read?: WitnessRead,
): Timeline {
  const spans = witnesses.map(({ row }) => [data.invokeUs[row], data.completeUs[row]]);
  if (read) spans.push([read.contextFromUs, read.completeUs]);
  const fromUs = Math.min(...spans.map(([from]) => from));
  const toUs = Math.max(...spans.map(([, to]) => to));
  const longestUs = Math.max(...spans.map(([from, to]) => to - from));
  const padUs = read ? (toUs - fromUs) / 10 : Math.max((toUs - fromUs) / 2, longestUs * 1.5, 50);
  const window = { fromUs: fromUs - padUs, toUs: toUs + padUs };

  const inWindow: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data.invokeUs[i] <= window.toUs && data.completeUs[i] >= window.fromUs) inWindow.push(i);
  }
  const rows = witnesses.map(({ row }) => row);
  const lanes = pickLanes(data, rows, inWindow);
  const witnessBounds = new Map(witnesses.map(({ row, bounds }) => [row, bounds]));
  const centerUs = (fromUs + toUs) / 2;
  const distance = (i: number) =>
    witnessBounds.has(i) ? -1 : Math.abs((data.invokeUs[i] + data.completeUs[i]) / 2 - centerUs);
  const drawn = inWindow
    .filter((i) => lanes.has(data.clientIds[i]))
    .sort((a, b) => distance(a) - distance(b))
    .slice(0, maxTimelineOps);
  const ms = (us: number) => Math.round(us - originUs) / 1000;
  const ops: TimelineOp[] = drawn.map((i) => ({
    lane: lanes.get(data.clientIds[i]) ?? 0,
    f: 'inc',
    invokeMs: ms(data.invokeUs[i]),
    completeMs: ms(data.completeUs[i]),
    value: Number.isNaN(data.values[i]) ? null : data.values[i],
    outcome: outcomeNames[data.outcomes[i]],
    witness: witnessBounds.has(i),
    ...(witnessBounds.get(i) ? { bounds: witnessBounds.get(i) } : {}),
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
    omittedCount: inWindow.length - drawn.length,
  };
}

/** Client id -> lane: the witnesses' clients first, then the busiest others in the window. */
function pickLanes(data: HistoryData, witnesses: readonly number[], inWindow: number[]): Map<number, number> {
  const busy = new Map<number, number>();
  for (const i of inWindow) busy.set(data.clientIds[i], (busy.get(data.clientIds[i]) ?? 0) + 1);
  const witnessClients = [...new Set(witnesses.map((i) => data.clientIds[i]))].sort((a, b) => a - b);
  const others = [...busy.keys()]
    .filter((c) => !witnessClients.includes(c))
    .sort((a, b) => busy.get(b)! - busy.get(a)! || a - b);
  const chosen = [...witnessClients, ...others.slice(0, Math.max(0, maxLanes - witnessClients.length))];
  return new Map(chosen.sort((a, b) => a - b).map((clientId, lane) => [clientId, lane]));
}
