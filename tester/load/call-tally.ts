/**
 * What a run's result needs of its calls, added up as they stream past, so that a run that keeps
 * none of them still reports them: the outcome counts and the span of their sends.
 */
import { Outcome, type HistoryData } from '../check/history.js';

export class CallTally {
  callCount = 0;
  okCount = 0;
  firstInvokeUs = Infinity;
  lastInvokeUs = -Infinity;

  add(calls: HistoryData): void {
    this.callCount += calls.length;
    for (let i = 0; i < calls.length; i++) {
      if (calls.outcomes[i] === Outcome.ok) this.okCount++;
      this.firstInvokeUs = Math.min(this.firstInvokeUs, calls.invokeUs[i]);
      this.lastInvokeUs = Math.max(this.lastInvokeUs, calls.invokeUs[i]);
    }
  }
}
