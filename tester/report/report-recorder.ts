/**
 * Everything the HTML report of a run draws, gathered as its calls stream by, in memory that
 * does not grow with the run: the time series (coarsening as the run grows), the latency
 * histogram, the facts' sums, and the calls around the witnesses (a ring of the latest calls,
 * and the windows marked around anomalies). Feed it every call; `report` draws the page's data.
 */
import type { CallSink } from '../check/call-batch.js';
import type { HistoryData, Outcome } from '../check/history.js';
import type { OpExample } from '../check/witness.js';
import { countsRead } from '../judge/judge-run.js';
import type { RunContext } from '../judge/witness-lines.js';
import { anomalySections, type WitnessCanvas } from './anomaly-sections.js';
import { faultWindows } from './fault-windows.js';
import { LatencyHistogramRecorder } from './latency-histogram.js';
import type { RunReport, Timeline } from './report-shapes.js';
import { runFacts, type RunJudgement } from './run-facts.js';
import { TimeSeriesRecorder } from './time-series.js';
import { WitnessCalls } from './witness-calls.js';
import { type WitnessOp, type WitnessRead, witnessTimeline, witnessWindow } from './witness-timeline.js';

/**
 * Consecutive calls as a `CallBatch` carries them. `rows` names each call's row when they are
 * not the consecutive rows from `firstRow` (a whole history fed in completion order).
 */
export interface CallRows extends HistoryData {
  firstRow: number;
  rows?: Float64Array;
}

export type { RunContext };

export class ReportRecorder implements CallSink, WitnessCanvas {
  readonly originUs: number;
  readonly #series: TimeSeriesRecorder;
  readonly #histogram = new LatencyHistogramRecorder();
  readonly #calls = new WitnessCalls();
  #callCount = 0;
  #firstInvokeUs = Infinity;
  #lastCompleteUs = -Infinity;
  #totalLatencyUs = 0;

  /** `originUs`: when the run started, on the calls' clock; the page counts time from it. */
  constructor(originUs: number) {
    this.originUs = originUs;
    this.#series = new TimeSeriesRecorder(originUs);
  }

  add(batch: CallRows): void {
    const { rows, firstRow } = batch;
    const rowOf = rows ? (i: number) => rows[i] : (i: number) => firstRow + i;
    let fromUs = Infinity;
    let toUs = -Infinity;
    for (let i = 0; i < batch.length; i++) {
      const invokeUs = batch.invokeUs[i];
      const completeUs = batch.completeUs[i];
      const latencyUs = completeUs - invokeUs;
      const outcome = batch.outcomes[i] as Outcome;
      this.#series.add(completeUs, latencyUs, outcome);
      this.#histogram.add(latencyUs, outcome);
      this.#calls.push(batch, i, rowOf(i));
      if (invokeUs < fromUs) fromUs = invokeUs;
      if (completeUs > toUs) toUs = completeUs;
      this.#totalLatencyUs += latencyUs;
    }
    this.#callCount += batch.length;
    this.#firstInvokeUs = Math.min(this.#firstInvokeUs, fromUs);
    this.#lastCompleteUs = Math.max(this.#lastCompleteUs, toUs);
    this.#calls.offerToMarks(batch, rowOf, fromUs, toUs);
  }

  /**
   * Keeps the calls a timeline of these witnesses will draw (see `witnessWindow`): call it when
   * a checker names them, before or while their neighbours stream by. False when the recorder
   * already keeps its most windows (`maxMarks`): that witness is drawn with what the ring holds.
   */
  mark(witnesses: ReadonlyArray<Pick<OpExample, 'invokeUs' | 'completeUs'>>): boolean {
    const { fromUs, toUs } = witnessWindow(witnesses);
    return this.#calls.mark(fromUs, toUs);
  }

  timeline(witnesses: readonly WitnessOp[], read?: WitnessRead): Timeline {
    const { fromUs, toUs } = witnessWindow(witnesses, read);
    return witnessTimeline(this.#calls.callsIn(fromUs, toUs), this.originUs, witnesses, read);
  }

  clientsEnd(): { lastCompleteUs: number; meanLatencyUs: number } | undefined {
    if (this.#callCount === 0) return undefined;
    return { lastCompleteUs: this.#lastCompleteUs, meanLatencyUs: this.#totalLatencyUs / this.#callCount };
  }

  /** The page's data, once every call was added: `judged` names the witnesses to draw. */
  report(judged: RunJudgement, run: RunContext): RunReport {
    const { meta, controlOps, nemesisEvents } = run;
    const series = this.#series.series();
    const lastCall = controlOps.at(-1);
    const endMs = lastCall ? (lastCall.completeUs - this.originUs) / 1000 : series.startMs.length * series.bucketMs;
    const latencies = this.#series.wholeRun();
    const spanS = (this.#lastCompleteUs - this.#firstInvokeUs) / 1e6;
    const speed = {
      rps: spanS > 0 ? judged.check.okCount / spanS : 0,
      p50Us: latencies.percentile(0.5) ?? 0,
      p99Us: latencies.percentile(0.99) ?? 0,
    };
    const counts = countsRead(run);
    return {
      title: `${meta.counter}, ${meta.clientCount} client${meta.clientCount === 1 ? '' : 's'}`,
      valid: judged.check.valid,
      passed: judged.passed,
      verdict: judged.verdict,
      facts: runFacts(judged, counts, speed),
      series,
      histogram: this.#histogram.histogram(),
      faults: faultWindows(nemesisEvents, endMs),
      anomalies: anomalySections(judged.check, this, controlOps),
    };
  }
}
