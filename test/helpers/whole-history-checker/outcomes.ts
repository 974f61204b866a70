/** Tallies over a whole history held in memory, for the whole-history checkers. */
import { Outcome, type HistoryData } from '../../../tester/check/history.js';

/** How many operations ended each way. */
export function countOutcomes(data: HistoryData): {
  okCount: number;
  failedCount: number;
  indeterminateCount: number;
} {
  const counts = [0, 0, 0];
  for (let i = 0; i < data.length; i++) counts[data.outcomes[i]]++;
  return {
    okCount: counts[Outcome.ok],
    failedCount: counts[Outcome.failed],
    indeterminateCount: counts[Outcome.indeterminate],
  };
}

/** The values returned by acknowledged increments that returned one, in recording order. */
export function okValues(data: HistoryData): Float64Array {
  const values = new Float64Array(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (data.outcomes[i] === Outcome.ok && !Number.isNaN(data.values[i])) values[n++] = data.values[i];
  }
  return values.slice(0, n);
}
