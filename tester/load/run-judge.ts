/**
 * A run judged as it goes: its calls are laid out into the saved history (written as they come
 * when --history asks for it), and each, once laid out, goes on to the checker and to any other
 * sink (the report) in completion order. Nothing here grows with the run's length.
 */
import type { CallSink } from '../check/call-batch.js';
import { HistoryChecker } from '../check/check-history.js';
import type { HistoryData } from '../check/history.js';
import type { OpExample } from '../check/witness.js';
import type { HistoryFormat } from '../history/line-spelling.js';
import { HistoryStream, type RunStart } from '../history/history-stream.js';
import type { ControlOp, RunHistory } from '../history/run-history.js';
import { checkInput, judgeChecked, type JudgedRun } from '../judge/judge-run.js';
import { withThresholds } from '../judge/thresholds.js';
import type { RunContext } from '../judge/witness-lines.js';
import type { LoadMeasures } from './load-result.js';
import { measureThresholds, type Thresholds } from './thresholds.js';

/** What a run knows of itself when its measured calls begin. */
export interface RunBeginning {
  meta: RunStart;
  /** `monotonicUs()` when the run started. */
  originUs: number;
  /** The reset and the initial read. */
  controlOps: readonly ControlOp[];
  /** The nemesis's events as it pushes them. */
  nemesisEvents: RunHistory['nemesisEvents'];
  /** Before which time every nemesis event still to come is stamped (monotonicUs). */
  nemesisBusySinceUs?: () => number;
}

/** Sinks beside the checker, opened when the run's origin is known; `witnessed` hears of the checker's examples. */
export interface RunSinks {
  sinks: CallSink[];
  witnessed?: (ops: OpExample[]) => void;
}

export interface JudgeOptions {
  /** Where to save the history as the run goes. */
  historyFile?: { path: string; format: HistoryFormat };
  thresholds?: Thresholds;
  openSinks?: (originUs: number) => RunSinks;
}

export class RunJudge {
  readonly #stream: HistoryStream;
  readonly #checker: HistoryChecker;

  constructor(
    beginning: RunBeginning,
    private readonly options: JudgeOptions,
  ) {
    const { sinks, witnessed } = options.openSinks?.(beginning.originUs) ?? { sinks: [] };
    const input = checkInput(beginning);
    this.#checker = new HistoryChecker(input.initial, input.reads, witnessed);
    this.#stream = new HistoryStream({ ...beginning, file: options.historyFile, sinks: [this.#checker, ...sinks] });
  }

  deliver(calls: HistoryData, watermarkUs: number): void {
    this.#stream.deliver(calls, watermarkUs);
  }

  /** Lays out the rest with the tester's calls after the load and judges the whole. */
  finish(measures: LoadMeasures, run: Omit<RunContext, 'controlOps'> & { controlOps: readonly ControlOp[] }): {
    judged: JudgedRun & Pick<LoadMeasures, 'thresholds'>;
    context: RunContext;
  } {
    const thresholds = this.options.thresholds ? measureThresholds(measures, this.options.thresholds) : undefined;
    const laidOut = this.#stream.controlOps.length;
    this.#stream.finish(run.controlOps.slice(laidOut), { unreadableCount: run.meta.unreadableCount, thresholds });
    const context = { ...run, controlOps: this.#stream.controlOps };
    const check = this.#checker.finish(checkInput(context));
    return { judged: withThresholds(judgeChecked(check, context), thresholds), context };
  }

  /** Saves what is laid out, for a run that failed. */
  close(): void {
    this.#stream.close();
  }
}
