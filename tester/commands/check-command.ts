import { Command, Option, UsageError } from 'clipanion';
import fs from 'node:fs';
import type { CallBatch } from '../check/call-batch.js';
import { HistoryChecker } from '../check/check-history.js';
import { HistoryError, type HistoryHead } from '../history/history-reader.js';
import { streamHistoryInWorker } from '../history/history-reader-thread.js';
import { checkInput, judgeChecked, type JudgedRun } from '../judge/judge-run.js';
import { judgeSegments } from '../judge/judge-segments.js';
import { withThresholds } from '../judge/thresholds.js';
import { verdictLines } from '../output/result-text.js';
import { reportHtml } from '../report/report-html.js';
import { ReportRecorder } from '../report/report-recorder.js';
import { EXIT } from '../options/exit-codes.js';
import { clockSkewUs } from '../options/validate.js';

export class CheckCommand extends Command {
  static paths = [['check']];
  static usage = Command.Usage({
    description: 'Judge a history saved by --history again, offline',
    details: `
      Reads a history written by \`tester ... --history FILE\` (JSON Lines or EDN, told apart by
      its first line; plain or gzip, told by its first bytes; \`-\` reads standard input) as a
      stream and prints the verdict the run printed, with the operations that prove a failure;
      the exit code is the run's: 0 passed, 1 failed, and 2 for a file that is not such a history
      (one line says where and why). A history cut short by a killed tester is judged as far as
      it goes, its torn last line skipped, with one line of warning.
    `,
    examples: [
      ['Re-judge a saved run', '$0 check run.jsonl'],
      ['A history in Jepsen\'s EDN', '$0 check run.edn'],
      ['A compressed one', '$0 check run.jsonl.gz'],
      ['From a pipe', 'cat run.jsonl | $0 check -'],
      ['Its HTML report: charts, verdict, witnesses', '$0 check run.jsonl --report run.html'],
      ['The segments of one run (--segment i/n) judged as one', '$0 check seg1.jsonl seg2.jsonl seg3.jsonl'],
      ['... on hosts whose clocks agree within 2 ms', '$0 check seg1.jsonl seg2.jsonl --clock-skew 2ms'],
    ],
  });

  files = Option.Rest({ required: 1, name: 'FILE' });
  report = Option.String('--report', { description: 'Also write the HTML report of the history to this file' });
  clockSkew = Option.String('--clock-skew', {
    description:
      "For several segments' histories: the most their hosts' clocks may differ (0 on one host); measured by default",
  });

  get file(): string {
    return this.files[0];
  }

  async execute(): Promise<number> {
    for (const file of this.files) {
      if (file !== '-' && !fs.existsSync(file)) {
        throw new UsageError(`${file} does not exist: give a file saved by --history, or - for standard input`);
      }
    }
    const skewUs = clockSkewUs(this.clockSkew);
    if (this.files.length > 1) return this.judgeSegments(skewUs);
    if (skewUs !== undefined) throw new UsageError('--clock-skew is for several segments\' histories: give them all');
    const judged = await this.judge();
    if (judged === undefined) return EXIT.usage;
    this.context.stdout.write(`${verdictLines(judged).join('\n')}\n`);
    return judged.passed ? EXIT.passed : EXIT.failed;
  }

  /** Several segments' histories, judged as the one run they make. */
  private async judgeSegments(skewUs: number | undefined): Promise<number> {
    if (this.report) throw new UsageError('--report draws one history: give one file, or leave --report out');
    if (this.files.includes('-')) throw new UsageError('- (standard input) holds one history: give the segments as files');
    try {
      const { judged, clocks, warnings, startUnknown } = await judgeSegments(this.files, skewUs);
      for (const warning of warnings) this.context.stderr.write(`tester: warning: ${oneLine(warning)}\n`);
      const verdict = startUnknown ? [`FAIL: nothing judged: ${startUnknown}`] : verdictLines(judged);
      this.context.stdout.write(`${[clocks.said, ...verdict].join('\n')}\n`);
      return judged.passed ? EXIT.passed : EXIT.failed;
    } catch (err) {
      if (!(err instanceof HistoryError)) throw err;
      this.context.stderr.write(`tester: ${oneLine(err.message)}\n`);
      return EXIT.usage;
    }
  }

  /**
   * The verdict, judged as the file is read (in memory independent of its length), or undefined
   * once what is wrong with the file is said in one line.
   */
  private async judge(): Promise<JudgedRun | undefined> {
    let checker: HistoryChecker | undefined;
    let recorder: ReportRecorder | undefined;
    const open = (head: HistoryHead) => {
      if (!head.controlOps.some((op) => op.f === 'read' && op.type === 'ok')) {
        throw new HistoryError(`${this.file}: the first call comes before the tester's read of the count`);
      }
      const input = checkInput(head);
      recorder = this.report ? new ReportRecorder(head.originUs) : undefined;
      checker = new HistoryChecker(input.initial, input.reads, (ops) => recorder?.mark(ops));
      const sinks = [checker, ...(recorder ? [recorder] : [])];
      return { add: (batch: CallBatch) => sinks.forEach((sink) => sink.add(batch)) };
    };
    try {
      const { warnings, ...run } = await streamHistoryInWorker(this.file, open);
      // What a tester killed mid-run leaves: said once, then judged as far as it goes.
      const name = this.file === '-' ? 'standard input' : this.file;
      if (warnings.length > 0) this.context.stderr.write(`tester: warning: ${name}: ${oneLine(warnings.join('; '))}\n`);
      const judged = withThresholds(judgeChecked(checker!.finish(checkInput(run)), run), run.meta.thresholds);
      if (recorder) fs.writeFileSync(this.report!, reportHtml({ kind: 'run', report: recorder.report(judged, run) }));
      return judged;
    } catch (err) {
      if (!(err instanceof HistoryError)) throw err;
      this.context.stderr.write(`tester: ${oneLine(err.message)}\n`);
      return undefined;
    }
  }
}

/** A message quoting a hostile file stays one short line. */
function oneLine(message: string, maxLength = 300): string {
  const line = message.replace(/\s+/g, ' ');
  return line.length > maxLength ? `${line.slice(0, maxLength)}…` : line;
}
