/**
 * The streaming judge decides exactly what the whole-history checkers decide (kept in
 * test/helpers/whole-history-checker as the oracle): the same validity, counts and witnesses
 * for every check, however the calls are cut into batches and however late the watermarks come.
 * Where another check already shows the history is not linearizable, the linearizability check
 * only says so.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import type { CallBatch } from '../tester/check/call-batch.js';
import { HistoryChecker, type CheckInput, type HistoryCheck } from '../tester/check/check-history.js';
import { History, Outcome, type HistoryData } from '../tester/check/history.js';
import { readHistory } from '../tester/history/history-reader.js';
import { countsRead } from '../tester/judge/judge-run.js';
import { seededRandom } from './helpers/fuzz.js';
import { randomHistory, SERVER_FAULTS, type HistorySize } from './helpers/random-histories.js';
import { checkHistory as wholeHistory } from './helpers/whole-history-checker/check-history.js';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The calls in completion order (ties in row order): the order the checkers stream them in. */
function inCompletionOrder(data: HistoryData): HistoryData {
  const order = Array.from({ length: data.length }, (_, i) => i).sort(
    (a, b) => data.completeUs[a] - data.completeUs[b] || a - b,
  );
  return {
    length: data.length,
    clientIds: Uint32Array.from(order, (i) => data.clientIds[i]),
    invokeUs: Float64Array.from(order, (i) => data.invokeUs[i]),
    completeUs: Float64Array.from(order, (i) => data.completeUs[i]),
    values: Float64Array.from(order, (i) => data.values[i]),
    outcomes: Uint8Array.from(order, (i) => data.outcomes[i]),
  };
}

/** Streams `data` (in completion order) in random cuts, each batch with a watermark at or before the true one. */
function streamed(data: HistoryData, input: CheckInput, random: () => number): HistoryCheck {
  const checker = new HistoryChecker(input.initial, input.reads?.slice(0, 1));
  const pendingSince = new Float64Array(data.length + 1).fill(Infinity);
  for (let j = data.length - 1; j >= 0; j--) pendingSince[j] = Math.min(pendingSince[j + 1], data.invokeUs[j]);
  for (let from = 0; from < data.length; ) {
    const to = Math.min(data.length, from + 1 + Math.floor(random() * 6));
    const lag = random() < 0.2 ? random() * 10 : 0;
    const batch: CallBatch = {
      length: to - from,
      firstRow: from,
      clientIds: data.clientIds.slice(from, to),
      invokeUs: data.invokeUs.slice(from, to),
      completeUs: data.completeUs.slice(from, to),
      values: data.values.slice(from, to),
      outcomes: data.outcomes.slice(from, to),
      invokeIndex: new Float64Array(to - from).fill(NaN),
      processes: new Float64Array(to - from).fill(NaN),
      pendingSinceUs: random() < 0.05 ? -Infinity : pendingSince[to] - lag,
    };
    checker.add(batch);
    from = to;
  }
  return checker.finish(input);
}

/** Without the saved-history index the oracle does not know. */
function withoutIndex<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === 'invokeIndex' ? undefined : v)));
}

function agree(t: import('ava').ExecutionContext, data: HistoryData, input: CheckInput, random: () => number, label: string) {
  const sorted = inCompletionOrder(data);
  const expected = wholeHistory(sorted, input);
  const actual = withoutIndex(streamed(sorted, input, random));
  const { count, unique, realTimeOrder, range } = expected.checks;
  const plainer = [count, unique, realTimeOrder, range].some((check) => check.valid === false);
  const { linearizable: expectedLinearizable, ...expectedChecks } = expected.checks;
  const { linearizable: actualLinearizable, ...actualChecks } = actual.checks;
  t.deepEqual(actualChecks, withoutIndex(expectedChecks), label);
  t.is(actual.valid, expected.valid, label);
  if (plainer) t.is(actualLinearizable.valid, false, label);
  else t.deepEqual(actualLinearizable, withoutIndex(expectedLinearizable), label);
}

const sizes: Record<string, HistorySize> = {
  small: { maxCalls: 12, clients: 4, callsPerClient: 4 },
  long: { maxCalls: 400, clients: 12, callsPerClient: 60 },
};

for (const [name, size] of Object.entries(sizes)) {
  test(`agrees with the whole-history checkers on 1000 random ${name} histories, cut at random`, (t) => {
    const random = seededRandom(name === 'small' ? 26 : 2626);
    for (let n = 0; n < 1000; n++) {
      const fault = SERVER_FAULTS[n % SERVER_FAULTS.length];
      const history = randomHistory(random, fault, size);
      const input = { initial: history.initial, final: history.final, reads: history.reads, valuesExpected: true };
      agree(t, history.data, input, random, `${name} history ${n} (${fault})`);
    }
  });
}

test("agrees on skipped values' witnesses: the calls that could have produced them, taken or late, or none", (t) => {
  const random = seededRandom(31);
  const shapes = [sizes.small, { maxCalls: 40, clients: 6, callsPerClient: 10 }, { maxCalls: 100, clients: 8, callsPerClient: 20 }];
  const whys = new Map<string, number>();
  for (let n = 0; n < 3000; n++) {
    const history = randomHistory(random, 'skipping', { ...shapes[n % shapes.length], faultRate: 0.4, dropRate: 0.5 });
    const input = { initial: history.initial, final: history.final, reads: history.reads, valuesExpected: true };
    agree(t, history.data, input, random, `skipping history ${n}`);
    for (const example of wholeHistory(inCompletionOrder(history.data), input).checks.linearizable.examples ?? []) {
      if (example.kind !== 'skipped') continue;
      const key = example.candidates.map((candidate) => candidate.why).join(',') || 'none';
      whys.set(key, (whys.get(key) ?? 0) + 1);
    }
  }
  // Every kind of witness must be common, or the agreement proves little about it.
  for (const kind of ['taken,taken,taken', 'taken', 'late', 'none']) t.true((whys.get(kind) ?? 0) >= 20, JSON.stringify([...whys]));
});

test('a value no call could produce names the first call to begin after it, whatever cuts the history arrives in', (t) => {
  // Value 2 is skipped: both calls of unknown fate began after 3 was returned, and one of them took 5.
  const history = new History();
  const calls: [number, number, number, number | undefined, Outcome][] = [
    [0, 0, 10, 1, Outcome.ok],
    [0, 20, 30, 3, Outcome.ok],
    [0, 50, 60, 4, Outcome.ok],
    [0, 70, 80, 6, Outcome.ok],
    [0, 90, 100, 7, Outcome.ok],
    [1, 40, 45, undefined, Outcome.indeterminate],
    [2, 41, 46, undefined, Outcome.indeterminate],
  ];
  for (const [client, invoke, complete, value, outcome] of calls) history.record(client, invoke, complete, value, outcome);
  const input = { initial: 0, final: 7, reads: [{ value: 0, invokeUs: -10, completeUs: -5 }, { value: 7, invokeUs: 110, completeUs: 120 }], valuesExpected: true };
  const random = seededRandom(41);
  for (let n = 0; n < 200; n++) agree(t, history.data(), input, random, `cut ${n}`);
  const [example] = wholeHistory(history.data(), input).checks.linearizable.examples ?? [];
  t.like(example, { kind: 'skipped', value: 2, candidates: [{ op: { clientId: 1 }, why: 'late' }] });
});

test('agrees on histories whose values are anything: far above, below, between whole numbers', (t) => {
  const random = seededRandom(99);
  const wild = [() => 2 ** 40 + Math.floor(random() * 1000), () => -Math.floor(random() * 5), () => 0.5 + Math.floor(random() * 50)];
  for (let n = 0; n < 1000; n++) {
    const history = randomHistory(random, SERVER_FAULTS[n % SERVER_FAULTS.length], sizes.long);
    const values = history.data.values.slice();
    for (let i = 0; i < values.length; i++) if (random() < 0.03) values[i] = wild[Math.floor(random() * wild.length)]();
    const input = { initial: history.initial, final: history.final, reads: history.reads, valuesExpected: true };
    agree(t, { ...history.data, values }, input, random, `wild history ${n}`);
  }
});

test('memory stays flat: 8M calls take what 2M took, values closing behind the calls in flight, 2% of unknown fate', (t) => {
  const clients = 100;
  let value = 0;
  const checker = new HistoryChecker(0, [{ value: 0, invokeUs: -10, completeUs: -5 }]);
  const size = 4096;
  const batch = (from: number): CallBatch => {
    const b: CallBatch = {
      length: size,
      firstRow: from,
      clientIds: new Uint32Array(size),
      invokeUs: new Float64Array(size),
      completeUs: new Float64Array(size),
      values: new Float64Array(size),
      outcomes: new Uint8Array(size),
      invokeIndex: new Float64Array(size),
      processes: new Float64Array(size),
      // Each client has one call in flight, begun `clients` completions ago.
      pendingSinceUs: from + size - clients + 0.5,
    };
    for (let i = 0; i < size; i++) {
      const row = from + i;
      [b.clientIds[i], b.invokeUs[i], b.completeUs[i], b.invokeIndex[i]] = [row % clients, row - clients + 0.5, row, 2 * row];
      // One call in fifty times out, every other one having taken effect: a gap to match, an indeterminate
      // call to fill it; the others leave no gap, and their calls must not be kept waiting for one.
      if (row % 50 === 7) {
        [b.values[i], b.outcomes[i]] = [NaN, Outcome.indeterminate];
        if (row % 100 === 7) value++;
      } else b.values[i] = ++value;
    }
    return b;
  };
  const rss: number[] = [];
  let row = 0;
  for (const target of [2_000_000, 8_000_000]) {
    for (; row < target; row += size) checker.add(batch(row));
    rss.push(process.memoryUsage().rss);
  }
  const check = checker.finish({
    initial: 0,
    final: value,
    reads: [{ value: 0, invokeUs: -10, completeUs: -5 }, { value, invokeUs: row + 10, completeUs: row + 20 }],
  });
  t.is(check.valid, true);
  t.is(check.indeterminateCount, Math.ceil((row - 7) / 50));
  t.true(rss[1] - rss[0] < 30e6, `RSS after 2M calls ${(rss[0] / 1e6).toFixed(0)} MB, after 8M ${(rss[1] / 1e6).toFixed(0)} MB`);
});

test('agrees with the whole-history checkers on every saved golden history', (t) => {
  const dir = path.join(here, '../../test/histories');
  const random = seededRandom(7);
  for (const file of fs.readdirSync(dir)) {
    const history = readHistory(path.join(dir, file));
    const reads = history.controlOps
      .filter((op) => op.f === 'read' && op.type === 'ok' && op.value !== null)
      .map(({ value, invokeUs, completeUs }) => ({ value: value as number, invokeUs, completeUs }));
    agree(t, history.ops, { ...countsRead(history), reads, valuesExpected: true }, random, file);
  }
});
