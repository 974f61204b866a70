import { Command, Option, UsageError } from 'clipanion';
import fs from 'node:fs';
import { collectHistory, HistoryError } from '../history/history-reader.js';
import { judgeRun } from '../judge/judge-run.js';
import type { RunHistory } from '../history/run-history.js';
import { withThresholds } from '../judge/thresholds.js';
import { verdictLines } from '../output/result-text.js';
import { reportHtml } from '../report/report-html.js';
import { runReport } from '../report/run-report.js';
import { EXIT } from '../options/exit-codes.js';

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
    ],
  });

  file = Option.String({ required: true, name: 'FILE' });
  report = Option.String('--report', { description: 'Also write the HTML report of the history to this file' });

  async execute(): Promise<number> {
    const history = await this.load();
    if (history === undefined) return EXIT.usage;
    const judged = withThresholds(judgeRun(history), history.meta.thresholds);
    if (this.report) fs.writeFileSync(this.report, reportHtml({ kind: 'run', report: runReport(judged, history) }));
    this.context.stdout.write(`${verdictLines(judged).join('\n')}\n`);
    return judged.passed ? EXIT.passed : EXIT.failed;
  }

  /** The history, or undefined once what is wrong with it is said in one line. */
  private async load(): Promise<RunHistory | undefined> {
    if (this.file !== '-' && !fs.existsSync(this.file)) {
      throw new UsageError(`${this.file} does not exist: give a file saved by --history, or - for standard input`);
    }
    try {
      const { warnings, ...history } = await collectHistory(this.file);
      // What a tester killed mid-run leaves: said once, then judged as far as it goes.
      const name = this.file === '-' ? 'standard input' : this.file;
      if (warnings.length > 0) this.context.stderr.write(`tester: warning: ${name}: ${oneLine(warnings.join('; '))}\n`);
      return history;
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
