/**
 * What a run's result needs of its calls, added up as they stream past, so that a run that keeps
 * none of them still reports them: the outcome counts and the span of their sends.
 */
import { Outcome, type HistoryData } from '../check/history.js';

export class CallTally {
  callCount = 0;
  okCount = 0;
  failedCount = 0;
  indeterminateCount = 0;
  firstInvokeUs = Infinity;
  lastInvokeUs = -Infinity;

  add(calls: HistoryData): void {
    this.callCount += calls.length;
    for (let i = 0; i < calls.length; i++) {
      const outcome = calls.outcomes[i];
      if (outcome === Outcome.ok) this.okCount++;
      else if (outcome === Outcome.failed) this.failedCount++;
      else this.indeterminateCount++;
      this.firstInvokeUs = Math.min(this.firstInvokeUs, calls.invokeUs[i]);
      this.lastInvokeUs = Math.max(this.lastInvokeUs, calls.invokeUs[i]);
    }
  }
}
