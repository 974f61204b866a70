/**
 * The tester's checker (tester/check/) on histories written by hand. Each increment is: which
 * client, when it was sent and answered (µs), the value it returned, how it ended. Two clients
 * overlap; in the second history both were told 1, and the final count shows one was lost.
 *   node dist/examples/check-history.js
 */
import { checkHistory } from '../tester/check/check-history.js';
import { History, Outcome } from '../tester/check/history.js';
import { verdictLine } from '../tester/check/verdict.js';

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
