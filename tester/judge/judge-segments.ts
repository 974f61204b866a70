/**
 * `tester check A B ...`: the histories of a run's segments (--segment i/n, one per process or
 * host) judged as the one run they make. Each file is read as a stream; once every segment's
 * first lines say where its clock stands, their calls merge onto one clock (segment-merge.ts)
 * and go through one checker. The count is judged from the first segment's read after its reset
 * to the highest of the segments' reads after their loads: a count never goes down, so the
 * highest read is the latest, whatever the clocks say.
 */
import type { CallBatch, CallSink } from '../check/call-batch.js';
import { HistoryChecker, type HistoryCheck } from '../check/check-history.js';
import { withSegmentExamples } from '../check/real-time-order-checker.js';
import { SegmentClash, SegmentMerge } from '../check/segment-merge.js';
import type { OpExample } from '../check/witness.js';
import { HistoryError, streamHistory, type HistoryHead, type HistoryRest } from '../history/history-reader.js';
import type { ControlOp, RunMeta } from '../history/run-history.js';
import { checkInput, judgeChecked, type JudgedRun } from './judge-run.js';
import { segmentClocks, type SegmentClocks } from './segment-clocks.js';
import type { RunContext } from './witness-lines.js';

export interface JudgedSegments {
  judged: JudgedRun;
  /**
   * Why the run cannot be judged at all: a call began before the first segment's read after its
   * reset (as far as the clocks tell), so the count the run starts from is unknown.
   */
  startUnknown?: string;
  clocks: SegmentClocks;
  /** A torn last line, a segment cut short: one phrase each, its file named. */
  warnings: string[];
}

type Head = Pick<HistoryHead, 'meta' | 'controlOps'>;

/** A tester's call of segment k, on the reference clock and widened as the segment's calls are. */
interface SegmentControlOp extends ControlOp {
  segment: number;
}

export async function judgeSegments(files: readonly string[], statedSkewUs?: number): Promise<JudgedSegments> {
  const merge = new SegmentMerge(files.length);
  const heads: (Head | undefined)[] = files.map(() => undefined);
  let placed: { clocks: SegmentClocks; checker: HistoryChecker } | undefined;
  let firstCall: FirstCall;
  const place = () => {
    if (placed || heads.some((head) => head === undefined)) return;
    const known = heads as Head[];
    const clocks = segmentClocks(checkedSegments(files, known), statedSkewUs);
    const input = checkInput({ meta: known[0].meta, controlOps: unionControlOps(known, clocks) });
    const checker = new HistoryChecker(input.initial, input.reads);
    placed = { clocks, checker };
    merge.place(clocks.offsetsUs, clocks.skewUs, {
      add: (batch) => {
        firstCall = earliestCall(firstCall, batch, (clientId) => merge.segmentOf(clientId));
        checker.add(batch);
      },
    });
  };
  const read = async (file: string, k: number): Promise<HistoryRest & { warnings: string[] }> => {
    const open = (head: HistoryHead): CallSink => {
      heads[k] = head;
      place();
      return merge.input(k);
    };
    const rest = await streamHistory(file, open);
    // A history without calls never opens its sink: its head is its rest.
    heads[k] ??= rest;
    place();
    merge.end(k);
    return rest;
  };
  const rests = await Promise.all(files.map(read)).catch((err: unknown) => {
    if (!(err instanceof SegmentClash)) throw err;
    throw new HistoryError(`${files[err.second]} and ${files[err.first]} both have calls of client ${err.clientId}: not segments of one run`);
  });
  place();
  const { clocks, checker } = placed!;
  const run = unionRun(rests, clocks);
  const check = checker.finish(checkInput(run));
  const realTimeOrder = check.checks.realTimeOrder;
  if (!('error' in realTimeOrder)) check.checks.realTimeOrder = withSegmentExamples(realTimeOrder, merge.segmentStale());
  const segmentOf = (clientId: number) => merge.segmentOf(clientId);
  onOwnClocks(check, segmentOf, clocks);
  const source = (clientId: number) => files[segmentOf(clientId)];
  const warnings = rests.flatMap(({ warnings }, k) => warnings.map((warning) => `${files[k]}: ${warning}`));
  const controlSource = (call: ControlOp) => {
    const { segment } = call as SegmentControlOp;
    const widen = clocks.skewUs / 2;
    const shift = clocks.offsetsUs[segment];
    return { file: files[segment], invokeUs: call.invokeUs - shift + widen, completeUs: call.completeUs - shift - widen };
  };
  const judged = judgeChecked(check, { ...run, clientSource: source, controlSource });
  const startRead = run.controlOps.find((op) => op.f === 'read');
  if (firstCall && startRead && firstCall.invokeUs < startRead.completeUs) {
    const startUnknown =
      `${files[0]} read the count after its reset only after a call of ${source(firstCall.clientId)} may have begun ` +
      `(within the clock skew): the count the run starts from is unknown; give --start-at more time after the first segment's start`;
    return { judged: { ...judged, passed: false }, clocks, warnings, startUnknown };
  }
  return { judged, clocks, warnings };
}

type FirstCall = { invokeUs: number; clientId: number } | undefined;

/** The earliest call of the segments after the first (whose own calls follow its read on its one clock). */
function earliestCall(first: FirstCall, batch: CallBatch, segmentOf: (clientId: number) => number): FirstCall {
  for (let i = 0; i < batch.length; i++) {
    const [invokeUs, clientId] = [batch.invokeUs[i], batch.clientIds[i]];
    if (segmentOf(clientId) > 0 && (!first || invokeUs < first.invokeUs)) first = { invokeUs, clientId };
  }
  return first;
}

/** The segments' first lines, refused unless they are the n shares of one run, each given once. */
function checkedSegments(files: readonly string[], heads: readonly Head[]) {
  const segments = heads.map(({ meta }, k) => {
    if (!meta.segment) throw new HistoryError(`${files[k]}: not a segment's history (saved without --segment i/n)`);
    return { name: files[k], segment: meta.segment };
  });
  const count = segments[0].segment.count;
  const plan = (meta: RunMeta) => JSON.stringify([meta.counter, meta.clientCount, meta.promisesExact, meta.linearizable]);
  heads.forEach(({ meta }, k) => {
    if (meta.segment!.count !== count || plan(meta) !== plan(heads[0].meta)) {
      throw new HistoryError(`${files[k]} and ${files[0]} are segments of different runs (counter, clients or --segment n differ)`);
    }
  });
  for (let index = 1; index <= count; index++) {
    const given = segments.filter(({ segment }) => segment.index === index);
    if (given.length === 0) throw new HistoryError(`segment ${index}/${count} is missing: give all ${count} segments' histories`);
    if (given.length > 1) throw new HistoryError(`segment ${index}/${count} given twice: ${given.map((s) => s.name).join(' and ')}`);
  }
  return segments;
}

/**
 * The tester's calls of every segment on the reference clock: the first segment's reset and its
 * read after it (the count the run starts from), every other read, and last the highest read
 * after a segment's load, the run's final count.
 */
function unionControlOps(heads: readonly Pick<HistoryHead, 'controlOps'>[], clocks: SegmentClocks): SegmentControlOp[] {
  const widen = clocks.skewUs / 2;
  const moved = heads.map(({ controlOps }, k) =>
    controlOps.map((op) => ({
      ...op,
      invokeUs: op.invokeUs + clocks.offsetsUs[k] - widen,
      completeUs: op.completeUs + clocks.offsetsUs[k] + widen,
      segment: k,
    })),
  );
  const [first, ...others] = moved;
  const start = first.filter((op) => op.f === 'reset' || op === first.find((read) => read.f === 'read'));
  const finals = others.flatMap((ops) => (ops.length > 1 && ops.at(-1)!.f === 'read' ? [ops.at(-1)!] : []));
  if (first.length > start.length && first.at(-1)!.f === 'read') finals.push(first.at(-1)!);
  const final = finals.filter((op) => op.type === 'ok').sort((a, b) => (a.value ?? 0) - (b.value ?? 0)).at(-1);
  // A read that may have come before the reset may have read the count of a run before.
  const resetUs = Math.max(-Infinity, ...start.filter((op) => op.f === 'reset').map((op) => op.completeUs));
  const middle = moved
    .flat()
    .filter((op) => !start.includes(op) && op !== final && op.f === 'read' && op.type === 'ok' && op.invokeUs >= resetUs);
  middle.sort((a, b) => a.invokeUs - b.invokeUs);
  return [...start, ...middle, ...(final ? [final] : [])];
}

/** The run the segments make: their metadata, their tester's calls; a run cut short in one is cut short. */
function unionRun(rests: readonly HistoryRest[], clocks: SegmentClocks): Omit<RunContext, 'clientSource' | 'controlSource'> {
  const unreadable = rests.reduce((sum, { meta }) => sum + meta.unreadableCount, 0);
  const meta = { ...rests[0].meta, unreadableCount: unreadable, thresholds: undefined };
  return { meta, originUs: 0, controlOps: unionControlOps(rests, clocks), nemesisEvents: [] };
}

/** Names every call of the verdict as its own segment's history has it: its own clock, unwidened. */
function onOwnClocks(check: HistoryCheck, segmentOf: (clientId: number) => number, clocks: SegmentClocks): void {
  const widen = clocks.skewUs / 2;
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if ('row' in value && 'clientId' in value && 'invokeUs' in value) {
      const op = value as OpExample;
      const offset = clocks.offsetsUs[segmentOf(op.clientId)];
      op.invokeUs -= offset - widen;
      op.completeUs -= offset + widen;
    }
    Object.values(value).forEach(visit);
  };
  visit(check);
}
