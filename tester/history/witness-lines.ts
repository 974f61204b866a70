/**
 * The evidence behind a failed verdict, one line per witness and at most three per anomaly,
 * naming each operation as a person finds it in the saved history: its client, the index of
 * its invoke event and its time since the run started, e.g.
 *   "duplicate value 4411: client 3 op 812 [12.301 ms–12.340 ms] and client 7 op 799 [...]"
 */
import type { HistoryCheck } from '../check/check-history.js';
import { isCrashed } from '../check/check-result.js';
import type { BoundsExample, OpExample } from '../check/witness.js';
import { historyLayout, Phase, Source, type HistoryLayout } from './history-layout.js';
import { sinceStartNs, type RunHistory } from './run-history.js';

export const maxWitnessLines = 3;

export function witnessLines(check: HistoryCheck, history: RunHistory): string[] {
  const layout = historyLayout(history);
  const name = (op: OpExample) => opName(op, layout, history.originUs);
  const { count, unique, realTimeOrder, range } = check.checks;
  const lines: string[][] = [];
  if (!isCrashed(count) && count.valid === false) {
    lines.push(count.examples.map((example) => `final read ${bounds(example)}: ${finalReadName(history, layout)}`));
  }
  if (!isCrashed(unique) && unique.valid === false) {
    lines.push(unique.examples.map(({ value, times, ops }) => {
      const more = times > ops.length ? ` (returned ${times} times)` : '';
      return `duplicate value ${value}: ${listed(ops.map(name))}${more}`;
    }));
  }
  if (!isCrashed(realTimeOrder) && realTimeOrder.valid === false) {
    lines.push(realTimeOrder.examples.map(({ earlier, later }) =>
      `stale value ${later.value}: ${name(later)} began after ${name(earlier)} returned ${earlier.value}`));
  }
  if (!isCrashed(range) && range.valid === false) {
    lines.push(range.examples.map((example) => `value ${bounds(example)}: ${example.op ? name(example.op) : ''}`));
  }
  return lines.flatMap((kind) => kind.slice(0, maxWitnessLines));
}

/** "97 outside [100, 100]", Jepsen's [lower, value, upper] said in words. */
function bounds({ lower, value, upper }: BoundsExample): string {
  return `${value} outside [${lower}, ${upper === Infinity ? '∞' : upper}]`;
}

function opName(op: OpExample, layout: HistoryLayout, originUs: number): string {
  const span = timeSpan(sinceStartNs(op.invokeUs, originUs), sinceStartNs(op.completeUs, originUs));
  return `client ${op.clientId} op ${layout.invokeIndex[op.row]} ${span}`;
}

/** The tester's last read of the count, as saved: its invoke's index and its time span. */
function finalReadName(history: RunHistory, layout: HistoryLayout): string {
  const item = history.controlOps.map((op) => op.f).lastIndexOf('read');
  let index = -1;
  for (let k = 0; k < layout.length && index < 0; k++) {
    if (layout.sources[k] === Source.tester && layout.items[k] === item && layout.phases[k] === Phase.invoke) index = k;
  }
  const read = history.controlOps[item];
  const span = timeSpan(sinceStartNs(read.invokeUs, history.originUs), sinceStartNs(read.completeUs, history.originUs));
  return `tester op ${index} ${span}`;
}

function timeSpan(invokeNs: number, completeNs: number): string {
  return `[${(invokeNs / 1e6).toFixed(3)} ms–${(completeNs / 1e6).toFixed(3)} ms]`;
}

/** "a", "a and b", "a, b and c". */
function listed(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
