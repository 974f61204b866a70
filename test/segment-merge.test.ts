/**
 * Several segments' histories judged as one: a random history's clients split into segments,
 * each segment on a clock of its own (shifted by a random offset), cut into random batches and
 * interleaved at random. Judged through SegmentMerge, the union must get what the whole-history
 * oracle gives the same calls on one clock, each widened by half the skew on either side; and a
 * call counts as stale also when its own segment's calls, on their one clock, show it stale.
 */
import test from 'ava';
import type { CallBatch, CallSink } from '../tester/check/call-batch.js';
import { HistoryChecker, type CheckInput } from '../tester/check/check-history.js';
import { Outcome, type HistoryData } from '../tester/check/history.js';
import { withSegmentExamples } from '../tester/check/real-time-order-checker.js';
import { SegmentMerge } from '../tester/check/segment-merge.js';
import { seededRandom } from './helpers/fuzz.js';
import { randomHistory, SERVER_FAULTS } from './helpers/random-histories.js';
import { checkHistory as wholeHistory } from './helpers/whole-history-checker/check-history.js';

const size = { maxCalls: 300, clients: 12, callsPerClient: 40 };

interface Split {
  segments: number;
  segmentOf: (client: number) => number;
  offsets: number[];
  skew: number;
}

/** Rows of `data` (those `keep` takes) in completion order, ties in row order. */
function rowsByCompletion(data: HistoryData, keep: (row: number) => boolean): number[] {
  const rows = Array.from({ length: data.length }, (_, i) => i).filter(keep);
  return rows.sort((a, b) => data.completeUs[a] - data.completeUs[b] || a - b);
}

/** Segment k's calls on its own clock, as batches cut at random, each with its true watermark. */
function segmentBatches(data: HistoryData, rows: number[], offset: number, random: () => number): CallBatch[] {
  const batches: CallBatch[] = [];
  for (let from = 0; from < rows.length; ) {
    const to = Math.min(rows.length, from + 1 + Math.floor(random() * 5));
    const part = rows.slice(from, to);
    const later = rows.slice(to).map((row) => data.invokeUs[row] - offset);
    batches.push({
      length: part.length,
      firstRow: from,
      clientIds: Uint32Array.from(part, (row) => data.clientIds[row]),
      invokeUs: Float64Array.from(part, (row) => data.invokeUs[row] - offset),
      completeUs: Float64Array.from(part, (row) => data.completeUs[row] - offset),
      values: Float64Array.from(part, (row) => data.values[row]),
      outcomes: Uint8Array.from(part, (row) => data.outcomes[row]),
      invokeIndex: Float64Array.from(part, (row) => row),
      processes: Float64Array.from(part, (row) => data.clientIds[row]),
      pendingSinceUs: Math.min(Infinity, ...later),
    });
    from = to;
  }
  return batches;
}

/** The union judged through the merge, segments delivered interleaved at random. */
function merged(data: HistoryData, input: CheckInput, split: Split, random: () => number) {
  const checker = new HistoryChecker(input.initial, input.reads?.slice(0, 1));
  const rows: number[] = [];
  const sink: CallSink = {
    add: (batch) => {
      for (let i = 1; i < batch.length; i++) if (batch.completeUs[i] < batch.completeUs[i - 1]) throw new Error('order');
      rows.push(...batch.invokeIndex);
      checker.add(batch);
    },
  };
  const merge = new SegmentMerge(split.segments);
  // Placed once every segment's first lines are in: here after a few batches, at random.
  let toPlace = Math.floor(random() * 6);
  const queues = split.offsets.map((offset, k) =>
    segmentBatches(data, rowsByCompletion(data, (row) => split.segmentOf(data.clientIds[row]) === k), offset, random),
  );
  const open = queues.map((_, k) => k);
  while (open.length > 0) {
    const pick = Math.floor(random() * open.length);
    const k = open[pick];
    const batch = queues[k].shift();
    if (toPlace-- === 0) merge.place(split.offsets, split.skew, sink);
    if (batch) merge.input(k).add(batch);
    else {
      merge.end(k);
      open.splice(pick, 1);
    }
  }
  if (toPlace >= 0) merge.place(split.offsets, split.skew, sink);
  const check = checker.finish(input);
  const realTimeOrder = check.checks.realTimeOrder;
  if (!('error' in realTimeOrder)) check.checks.realTimeOrder = withSegmentExamples(realTimeOrder, merge.segmentStale());
  return { check, rows };
}

/** The calls on the reference clock, each widened by half the skew on both sides. */
function widened(data: HistoryData, skew: number): HistoryData {
  return {
    ...data,
    invokeUs: data.invokeUs.map((us) => us - skew / 2),
    completeUs: data.completeUs.map((us) => us + skew / 2),
  };
}

/** Brute force: valued calls that returned no more than one that ended before they began, by either rule. */
function staleCount(data: HistoryData, split: Split): number {
  let stale = 0;
  const valued = (i: number) => data.outcomes[i] === Outcome.ok && !Number.isNaN(data.values[i]);
  for (let b = 0; b < data.length; b++) {
    if (!valued(b)) continue;
    const segment = split.segmentOf(data.clientIds[b]);
    for (let a = 0; a < data.length; a++) {
      if (!valued(a) || data.values[a] < data.values[b]) continue;
      const same = split.segmentOf(data.clientIds[a]) === segment;
      const gap = data.invokeUs[b] - data.completeUs[a];
      if (gap > 0 && (same || gap > split.skew)) {
        stale++;
        break;
      }
    }
  }
  return stale;
}

test('the union of segments is judged as the widened calls on one clock, and within a segment exactly', (t) => {
  const random = seededRandom(28);
  for (let n = 0; n < 600; n++) {
    const fault = SERVER_FAULTS[n % SERVER_FAULTS.length];
    const history = randomHistory(random, fault, size);
    const segments = 1 + Math.floor(random() * 4);
    const split: Split = {
      segments,
      segmentOf: (client) => client % segments,
      offsets: Array.from({ length: segments }, () => Math.round((random() - 0.5) * 2000)),
      skew: random() < 0.3 ? 0 : Math.floor(random() * 4),
    };
    // Each segment's clock runs `offset` behind the reference: the merge puts it back.
    const own = { ...history.data, invokeUs: history.data.invokeUs, completeUs: history.data.completeUs };
    const reads = history.reads.map((read) => ({ ...read, invokeUs: read.invokeUs - split.skew / 2, completeUs: read.completeUs + split.skew / 2 }));
    const input = { initial: history.initial, final: history.final, reads, valuesExpected: true };
    const label = `history ${n} (${fault}, ${segments} segments, skew ${split.skew})`;
    const { check, rows } = merged(own, input, split, random);
    t.deepEqual([...rows].sort((a, b) => a - b), Array.from({ length: own.length }, (_, i) => i), label);
    const expected = wholeHistory(widened(own, split.skew), input);
    for (const name of ['count', 'unique', 'range'] as const) {
      t.is(check.checks[name].valid, expected.checks[name].valid, `${label}: ${name}`);
    }
    const order = check.checks.realTimeOrder;
    const stale = staleCount(own, split);
    t.is('staleCount' in order ? order.staleCount : -1, stale, `${label}: stale calls`);
    t.is(order.examples.length, Math.min(10, stale), `${label}: stale examples`);
    const plainer = [check.checks.count, check.checks.unique, order, check.checks.range].some((c) => c.valid === false);
    t.is(check.checks.linearizable.valid, plainer ? false : expected.checks.linearizable.valid, `${label}: linearizable`);
  }
});
