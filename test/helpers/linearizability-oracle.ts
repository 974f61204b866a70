/**
 * The judge of the linearizability checker, written from the definition and nothing of ours:
 * Wing and Gong's search as Porcupine runs it, over a sequential counter (inc adds one and
 * returns the new value, read returns the value). At each step any call not yet linearized may
 * go next if no other pending call ended before it began (equal times are concurrent); a call
 * whose fate is unknown has no end. Memoised on the set of calls done (the state follows from
 * it: the initial count plus the increments done), so small histories take milliseconds.
 */
import { Outcome, type HistoryData } from '../../tester/check/history.js';
import type { ReadWindow } from '../../tester/check/linearizability-checker.js';

interface Call {
  invoke: number;
  complete: number;
  inc: boolean;
  /** What it must return; NaN: anything. */
  value: number;
}

export const maxOracleCalls = 30;

export function oracleLinearizable(data: HistoryData, initial: number, reads: readonly ReadWindow[]): boolean {
  const calls: Call[] = reads.map((read) => ({ invoke: read.invokeUs, complete: read.completeUs, inc: false, value: read.value }));
  for (let i = 0; i < data.length; i++) {
    const outcome = data.outcomes[i];
    if (outcome === Outcome.failed) continue;
    const complete = outcome === Outcome.indeterminate ? Infinity : data.completeUs[i];
    const value = outcome === Outcome.ok ? data.values[i] : NaN;
    calls.push({ invoke: data.invokeUs[i], complete, inc: true, value });
  }
  if (calls.length > maxOracleCalls) throw new Error(`the oracle takes at most ${maxOracleCalls} calls`);
  const all = 2 ** calls.length - 1;
  const failed = new Set<number>();
  const search = (done: number, state: number): boolean => {
    if (done === all) return true;
    if (failed.has(done)) return false;
    let firstEnd = Infinity;
    calls.forEach((call, i) => {
      if (!isIn(done, i)) firstEnd = Math.min(firstEnd, call.complete);
    });
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i];
      if (isIn(done, i) || call.invoke > firstEnd) continue;
      const next = call.inc ? state + 1 : state;
      if (!Number.isNaN(call.value) && call.value !== next) continue;
      if (search(done + 2 ** i, next)) return true;
    }
    failed.add(done);
    return false;
  };
  return search(0, initial);
}

function isIn(set: number, i: number): boolean {
  return Math.floor(set / 2 ** i) % 2 === 1;
}
