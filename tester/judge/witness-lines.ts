/**
 * The evidence behind a failed verdict, one line per witness and at most three per anomaly,
 * naming each operation as a person finds it in the saved history: its client, the index of
 * its invoke event and its time since the run started, e.g.
 *   "duplicate value 4411: client 3 op 812 [12.301 ms–12.340 ms] and client 7 op 799 [...]"
 */
import type { HistoryCheck } from '../check/check-history.js';
import { isCrashed } from '../check/check-result.js';
import type { Anchor, LinearizabilityExample, ReadWindow } from '../check/linearizability-checker.js';
import type { BoundsExample, OpExample } from '../check/witness.js';
import { sinceStartNs, type ControlOp, type RunHistory } from '../history/run-history.js';

/**
 * What naming a run's calls needs besides them: the tester's calls carry their invoke's index;
 * for a run judged from several segments' histories, `clientSource` names each client's file.
 */
export type RunContext = Pick<RunHistory, 'meta' | 'originUs' | 'nemesisEvents'> & {
  controlOps: readonly ControlOp[];
  clientSource?: (clientId: number) => string;
  /** For several segments: the file a tester's call is in, and its times on that file's clock. */
  controlSource?: (call: ControlOp) => Pick<ControlOp, 'invokeUs' | 'completeUs'> & { file: string };
};

export const maxWitnessLines = 3;

export function witnessLines(check: HistoryCheck, history: RunContext): string[] {
  const name = (op: OpExample) => opName(op, history);
  const { count, unique, realTimeOrder, range, linearizable } = check.checks;
  const lines: string[][] = [];
  if (!isCrashed(count) && count.valid === false) {
    lines.push(count.examples.map((example) => `final read ${bounds(example)}: ${finalReadName(history)}`));
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
  // Only when nothing plainer explains the failure (as in the verdict line).
  if (!isCrashed(linearizable) && linearizable.valid === false && lines.length === 0) {
    const read = (window: ReadWindow) => readName(window, history);
    lines.push(linearizable.examples.map((example) => linearizableLine(example, name, read)));
  }
  return lines.flatMap((kind) => kind.slice(0, maxWitnessLines));
}

/**
 * "value 2 never produced: due after client 0 op 4 [...] (returned 1) began and before client 0
 * op 6 [...] (returned 3) ended; client 1 op 8 [...] began too late"
 */
function linearizableLine(
  example: LinearizabilityExample,
  name: (op: OpExample) => string,
  read: (window: ReadWindow) => string,
): string {
  const anchor = (a: Anchor) => ('op' in a ? `${name(a.op)} (returned ${a.op.value})` : read(a.read));
  const window = (after?: Anchor, before?: Anchor) =>
    [after && `after ${anchor(after)} began`, before && `before ${anchor(before)} ended`].filter(Boolean).join(' and ');
  if (example.kind === 'unplaced') {
    return `acknowledged increment ${name(example.op)} returned no value, and no value is left for it`;
  }
  if (example.kind === 'conflict') {
    return `value ${example.value} has no time to take effect: due ${window(example.after, example.before)}`;
  }
  const why = { taken: 'was needed for value', late: 'began too late', early: 'ended too early' };
  const candidates = example.candidates.map(({ op, usedFor, why: reason }) =>
    `${name(op)} ${why[reason]}${usedFor === undefined ? '' : ` ${usedFor}`}`);
  const none = candidates.length === 0 ? 'no increment returned no value' : listed(candidates);
  return `value ${example.value} never produced: due ${window(example.after, example.before) || 'any time'}; ${none}`;
}

/** A read of the count named as saved: "tester read 30 op 64 [...]". */
function readName(window: ReadWindow, history: RunContext): string {
  const item = history.controlOps.findIndex((op) => op.f === 'read' && op.invokeUs === window.invokeUs);
  return `tester read ${window.value} ${controlName(item, history)}`;
}

function opName(op: OpExample, { originUs, clientSource }: RunContext): string {
  const span = timeSpan(sinceStartNs(op.invokeUs, originUs), sinceStartNs(op.completeUs, originUs));
  const source = clientSource ? ` of ${clientSource(op.clientId)}` : '';
  return `client ${op.clientId} op ${op.invokeIndex}${source} ${span}`;
}

/** The tester's last read of the count, as saved: its invoke's index and its time span. */
function finalReadName(history: RunContext): string {
  return controlName(history.controlOps.map((op) => op.f).lastIndexOf('read'), history);
}

/** The tester's call `item`, as saved: its invoke's index and its time span. */
function controlName(item: number, history: RunContext): string {
  const call = history.controlOps[item];
  const own = history.controlSource?.(call);
  const [invokeUs, completeUs] = own ? [own.invokeUs, own.completeUs] : [call.invokeUs, call.completeUs];
  const span = timeSpan(sinceStartNs(invokeUs, history.originUs), sinceStartNs(completeUs, history.originUs));
  return `tester op ${call.invokeIndex ?? -1}${own ? ` of ${own.file}` : ''} ${span}`;
}

/** "97 outside [100, 100]", Jepsen's [lower, value, upper] said in words. */
function bounds({ lower, value, upper }: BoundsExample): string {
  return `${value} outside [${lower}, ${upper === Infinity ? '∞' : upper}]`;
}

function timeSpan(invokeNs: number, completeNs: number): string {
  return `[${(invokeNs / 1e6).toFixed(3)} ms–${(completeNs / 1e6).toFixed(3)} ms]`;
}

/** "a", "a and b", "a, b and c". */
function listed(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
