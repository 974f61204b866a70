/**
 * A run's verdict from its history alone: what the run prints and what `tester check` prints
 * for the saved history, so both judge it the same way.
 */
import { HistoryChecker, type CheckInput, type HistoryCheck } from '../check/check-history.js';
import type { ReadWindow } from '../check/linearizability-checker.js';
import { HistoryStream } from '../history/history-stream.js';
import type { ControlOp, RunHistory, RunMeta } from '../history/run-history.js';
import { nemesisVerdictPart } from './nemesis-verdict.js';
import { unreadableAnswersPart, verdictLine } from './verdict.js';
import { witnessLines, type RunContext } from './witness-lines.js';

export interface JudgedRun {
  check: HistoryCheck;
  /** One line: the checkers' verdict. */
  verdict: string;
  /** For a failure, up to three operations per anomaly that prove it, one line each. */
  witnesses: string[];
  /** The run kept every promise its method makes. */
  passed: boolean;
}

/** The verdict on checked calls: `run` is the rest of their history (its tester's calls laid out). */
export function judgeChecked(check: HistoryCheck, run: RunContext): JudgedRun {
  const { meta } = run;
  const expectedUnsafe = !meta.promisesExact || !meta.linearizable;
  return {
    check,
    verdict: [
      verdictLine(check, expectedUnsafe),
      ...unreadableAnswersPart(meta.unreadableCount),
      ...nemesisVerdictPart(run.nemesisEvents, check),
    ].join('; '),
    witnesses: check.valid === false ? witnessLines(check, run) : [],
    // An answer that could not be read hides its value: such a run is never called correct.
    passed: runPassed(meta, check) && meta.unreadableCount === 0,
  };
}

/** What the checker is told beside the calls: the counts read and how values are expected. */
export function checkInput(run: { meta: Pick<RunMeta, 'linearizable'>; controlOps: readonly ControlOp[] }): CheckInput {
  return { ...countsRead(run), valuesExpected: run.meta.linearizable, reads: readsOf(run.controlOps) };
}

/** Every successful read of the count, with its call's times. */
export function readsOf(controlOps: readonly ControlOp[]): ReadWindow[] {
  return controlOps
    .filter((op) => op.f === 'read' && op.type === 'ok' && op.value !== null)
    .map(({ value, invokeUs, completeUs }) => ({ value: value as number, invokeUs, completeUs }));
}

/**
 * A history held whole, judged as a run judges its calls: laid out (each call's place in the saved
 * history) and streamed through the checker.
 */
export function judgeRun(history: RunHistory): JudgedRun {
  const input = checkInput(history);
  const checker = new HistoryChecker(input.initial, input.reads);
  const { ops, controlOps } = history;
  let firstInvokeUs = Infinity;
  for (let i = 0; i < ops.length; i++) firstInvokeUs = Math.min(firstInvokeUs, ops.invokeUs[i]);
  const before = controlOps.filter((op) => op.completeUs <= firstInvokeUs);
  const stream = new HistoryStream({ ...history, controlOps: before, sinks: [checker] });
  stream.deliver(ops, Infinity);
  stream.finish(controlOps.slice(before.length));
  return judgeChecked(checker.finish(input), { ...history, controlOps: stream.controlOps });
}

/**
 * Unsafe methods pass whatever they lose. A method that promises an exact count passes only on a
 * count shown exact (an unknown final count is no pass); a linearizable one needs every check.
 */
export function runPassed(promises: Pick<RunMeta, 'promisesExact' | 'linearizable'>, check: HistoryCheck): boolean {
  if (!promises.promisesExact) return true;
  return promises.linearizable ? check.valid === true : check.checks.count.valid === true;
}

/** The tester's reads: the first before the load, the last after it (undefined when it failed). */
export function countsRead({ controlOps }: { controlOps: readonly ControlOp[] }): { initial: number; final: number | undefined } {
  const reads = controlOps.filter((op) => op.f === 'read');
  const [first, last] = [reads[0], reads.at(-1)];
  if (first?.type !== 'ok' || first.value === null) throw new Error('the history has no initial read of the count');
  const final = reads.length > 1 && last?.type === 'ok' && last.value !== null ? last.value : undefined;
  return { initial: first.value, final };
}
