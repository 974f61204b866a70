/**
 * The tester's checker (tester/check/) on histories written by hand. Each increment is: which
 * client, when it was sent and answered (µs), the value it returned, how it ended. Two clients
 * overlap; in the second history both were told 1, and the final count shows one was lost.
 * Given a history a run saved (--history), it judges that instead; exit 1 when it fails.
 *   node dist/examples/check-history.js
 *   node dist/examples/check-history.js test/histories/lost-update.jsonl
 */
import { checkHistory } from '../tester/check/check-history.js';
import { History, Outcome } from '../tester/check/history.js';
import { verdictLine } from '../tester/judge/verdict.js';
import { readHistory } from '../tester/history/history-reader.js';
import { judgeRun } from '../tester/judge/judge-run.js';

const saved = process.argv[2];
if (saved) {
  const judged = judgeRun(readHistory(saved));
  console.log(`${saved}: ${judged.passed ? 'PASS' : 'FAIL'}: ${judged.verdict}`);
  for (const witness of judged.witnesses) console.log(`  ${witness}`);
  process.exit(judged.passed ? 0 : 1);
}

type Increment = [clientId: number, invokeUs: number, completeUs: number, value: number];

function historyOf(increments: Increment[]): History {
  const history = new History();
  for (const [clientId, invokeUs, completeUs, value] of increments) {
    history.record(clientId, invokeUs, completeUs, value, Outcome.ok);
  }
  return history;
}

const cases: Array<{ name: string; increments: Increment[]; final: number }> = [
  { name: 'correct', increments: [[0, 0, 10, 1], [1, 5, 20, 2], [0, 30, 40, 3]], final: 3 },
  { name: 'lost update', increments: [[0, 0, 10, 1], [1, 5, 20, 1], [0, 30, 40, 2]], final: 2 },
];

for (const { name, increments, final } of cases) {
  const result = checkHistory(historyOf(increments), { initial: 0, final });
  console.log(`${name}: valid=${result.valid}: ${verdictLine(result)}`);
}
