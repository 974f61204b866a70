import { Command, Option, UsageError } from 'clipanion';
import fs from 'node:fs';
import { EXIT } from '../options/exit-codes.js';
import * as validate from '../options/validate.js';
import { extraBlock, rateWarning, referenceBlock } from '../output/result-text.js';
import { segmentsBlock } from '../output/segment-text.js';
import { mergeSegments, notOneRun } from '../segments/merge-segments.js';
import { judgeMerged } from '../segments/merged-verdict.js';

/** `tester merge A.json B.json ...`: the segments of a run (--segment i/n) as one run. */
export class MergeCommand extends Command {
  static paths = [['merge']];
  static usage = Command.Usage({
    description: "Add up the --output files of a run's segments (--segment i/n) into the whole run's result",
    details: `
      Prints the result block one process running every client would print, and its verdict:
      sums of calls and errors, RPS over the union of the segments' time, percentiles from their
      latency histograms added up (never averaged), the thresholds the segments were given over
      the whole run, and the count: segment 1's read before --start-at against the last read
      after every segment's end, for the increments all segments acknowledged. The values the
      increments returned are judged by tester check over the segments' histories.

      A segment whose file is not given (one killed mid-run leaves none) is named in the verdict,
      which then fails. Files that are not segment outputs, or segments of different runs
      (another plan, another --start-at, another n, the same i twice), are refused: exit 2.
      Exit codes otherwise as a run's: 0 passed, 1 failed.
    `,
    examples: [
      ['Three segments run on three hosts', '$0 merge seg1.json seg2.json seg3.json'],
      ['As one JSON object', '$0 merge seg*.json --json'],
    ],
  });

  files = Option.Rest({ required: 1, name: 'FILE' });
  json = Option.Boolean('--json', false, { description: 'Print the merged result as one JSON object on stdout' });
  output = Option.String('--output', { description: 'Also write the merged JSON result to this file' });

  async execute(): Promise<number> {
    validate.writableFile('--output', this.output);
    const files = validate.segmentFiles(this.files);
    const mismatch = notOneRun(files);
    if (mismatch) throw new UsageError(mismatch);
    const result = judgeMerged(files, mergeSegments(files));
    const warning = rateWarning(result);
    if (warning) this.context.stderr.write(warning);
    if (this.output) fs.writeFileSync(this.output, JSON.stringify(result, null, 2) + '\n');
    if (this.json) this.context.stdout.write(JSON.stringify(result) + '\n');
    else this.context.stdout.write(`${referenceBlock(result)}\n${extraBlock(result)}\n${segmentsBlock(result)}`);
    return result.passed ? EXIT.passed : EXIT.failed;
  }
}
