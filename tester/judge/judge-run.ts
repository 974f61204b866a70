/**
 * A run's verdict from its history alone: what the run prints and what `tester check` prints
 * for the saved history, so both judge it the same way.
 */
import { checkHistory, type HistoryCheck } from '../check/check-history.js';
import { unreadableAnswersPart, verdictLine } from './verdict.js';
import { nemesisVerdictPart } from './nemesis-verdict.js';
import { witnessLines } from './witness-lines.js';
import type { RunHistory, RunMeta } from '../history/run-history.js';

export interface JudgedRun {
  check: HistoryCheck;
  /** One line: the checkers' verdict. */
  verdict: string;
  /** For a failure, up to three operations per anomaly that prove it, one line each. */
  witnesses: string[];
  /** The run kept every promise its method makes. */
  passed: boolean;
}

export function judgeRun(history: RunHistory): JudgedRun {
  const { meta } = history;
  const reads = history.controlOps
    .filter((op) => op.f === 'read' && op.type === 'ok' && op.value !== null)
    .map(({ value, invokeUs, completeUs }) => ({ value: value as number, invokeUs, completeUs }));
  const check = checkHistory(history.ops, { ...countsRead(history), valuesExpected: meta.linearizable, reads });
  const expectedUnsafe = !meta.promisesExact || !meta.linearizable;
  return {
    check,
    verdict: [
      verdictLine(check, expectedUnsafe),
      ...unreadableAnswersPart(meta.unreadableCount),
      ...nemesisVerdictPart(history.nemesisEvents, check),
    ].join('; '),
    witnesses: check.valid === false ? witnessLines(check, history) : [],
    // An answer that could not be read hides its value: such a run is never called correct.
    passed: runPassed(meta, check) && meta.unreadableCount === 0,
  };
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
export function countsRead({ controlOps }: RunHistory): { initial: number; final: number | undefined } {
  const reads = controlOps.filter((op) => op.f === 'read');
  const [first, last] = [reads[0], reads.at(-1)];
  if (first?.type !== 'ok' || first.value === null) throw new Error('the history has no initial read of the count');
  const final = reads.length > 1 && last?.type === 'ok' && last.value !== null ? last.value : undefined;
  return { initial: first.value, final };
}
