/**
 * Each kind of anomaly the checkers found, with its witnesses drawn on a timeline: the
 * increments that returned the same value, the pair that broke real-time order, each value
 * (or the final read) with the [lower, upper] bounds it broke.
 */
import type { HistoryCheck } from '../check/check-history.js';
import { isCrashed } from '../check/check-result.js';
import type { BoundsExample, DuplicateExample, OpExample, StaleExample } from '../check/witness.js';
import type { RunHistory } from '../history/run-history.js';
import type { AnomalySection, WitnessView } from './report-shapes.js';
import { witnessTimeline } from './witness-timeline.js';

/** Timelines per kind: enough to see the pattern, few enough for a light page. */
export const maxWitnessesPerKind = 5;

export function anomalySections(check: HistoryCheck, history: RunHistory): AnomalySection[] {
  const { count, unique, realTimeOrder, range } = check.checks;
  const sections: AnomalySection[] = [];
  if (!isCrashed(count) && count.valid === false) {
    const lost = count.lostCount > 0;
    sections.push({
      kind: 'count',
      title: `${lost ? 'Lost increments' : 'Extra increments'}: ${lost ? count.lostCount : count.extraCount}`,
      explanation:
        'The final read must lie in [initial + acknowledged, initial + attempted]: every acknowledged increment ' +
        'counted, nothing beyond those that may have been applied (as Jepsen’s counter checker judges each read).',
      witnesses: count.examples.map((example) => finalReadWitness(example, history)),
    });
  }
  if (!isCrashed(unique) && unique.valid === false) {
    sections.push({
      kind: 'duplicate',
      title: titled('Duplicate values', unique.duplicatedValueCount),
      explanation:
        'Each increment of a correct counter returns a value no other increment saw. Increments that returned ' +
        'the same value started from the same state: all but one of them were lost.',
      witnesses: unique.examples.slice(0, maxWitnessesPerKind).map((example) => duplicateWitness(example, history)),
    });
  }
  if (!isCrashed(realTimeOrder) && realTimeOrder.valid === false) {
    sections.push({
      kind: 'real-time-order',
      title: titled('Out of real-time order', realTimeOrder.staleCount),
      explanation:
        'An increment invoked after another one completed must return a larger value. These returned a value ' +
        'not above one that was already known: they acted on a stale counter (not linearizable).',
      witnesses: realTimeOrder.examples.slice(0, maxWitnessesPerKind).map((example) => staleWitness(example, history)),
    });
  }
  if (!isCrashed(range) && range.valid === false) {
    sections.push({
      kind: 'range',
      title: titled('Impossible values', range.outOfRangeCount),
      explanation:
        'The counter only grows from its initial value to its final one, so every value an increment returned ' +
        'must lie in [initial + 1, final]. These did not.',
      witnesses: range.examples.slice(0, maxWitnessesPerKind).flatMap((example) => rangeWitness(example, history)),
    });
  }
  return sections;
}

/** The title with the count, and how many of them the section draws. */
function titled(title: string, count: number): string {
  return count > maxWitnessesPerKind
    ? `${title}: ${count} (the first ${maxWitnessesPerKind} shown)`
    : `${title}: ${count}`;
}

const msText = (us: number, originUs: number) => `${((us - originUs) / 1000).toFixed(3)} ms`;
const opText = (op: OpExample, originUs: number) =>
  `client ${op.clientId} [${msText(op.invokeUs, originUs)}–${msText(op.completeUs, originUs)}]`;

function duplicateWitness(example: DuplicateExample, { ops, originUs }: RunHistory): WitnessView {
  const who = example.ops.map((op) => opText(op, originUs)).join(', ');
  return {
    caption: `value ${example.value} returned ${example.times} times: ${who}`,
    timeline: witnessTimeline(
      ops,
      originUs,
      example.ops.map(({ row }) => ({ row })),
    ),
  };
}

function staleWitness({ earlier, later }: StaleExample, { ops, originUs }: RunHistory): WitnessView {
  return {
    caption:
      `${opText(later, originUs)} returned ${later.value}, ` +
      `after ${opText(earlier, originUs)} had returned ${earlier.value}`,
    timeline: witnessTimeline(ops, originUs, [{ row: earlier.row }, { row: later.row }]),
  };
}

function rangeWitness({ lower, value, upper, op }: BoundsExample, { ops, originUs }: RunHistory): WitnessView[] {
  if (!op) return [];
  return [
    {
      caption: `${opText(op, originUs)} returned ${value}, outside [${lower}, ${upper}]`,
      timeline: witnessTimeline(ops, originUs, [{ row: op.row, bounds: [lower, upper] }]),
    },
  ];
}

/** The final read is the tester's last call, after every client stopped: shown with the run's last calls. */
function finalReadWitness({ lower, value, upper }: BoundsExample, history: RunHistory): WitnessView {
  const { ops, originUs, controlOps } = history;
  const read = controlOps.filter((op) => op.f === 'read').at(-1);
  if (!read) throw new Error('a history judged on its final read has no read');
  let lastUs = -Infinity;
  let totalUs = 0;
  for (let i = 0; i < ops.length; i++) {
    lastUs = Math.max(lastUs, ops.completeUs[i]);
    totalUs += ops.completeUs[i] - ops.invokeUs[i];
  }
  // Room for the clients' last few calls before the read.
  const meanUs = totalUs / Math.max(1, ops.length);
  const contextFromUs = ops.length === 0 ? read.invokeUs : Math.min(read.invokeUs, lastUs - 4 * meanUs);
  return {
    caption: `final read ${value} outside [${lower}, ${upper}] (initial + acknowledged, initial + attempted)`,
    timeline: witnessTimeline(ops, originUs, [], { ...read, value, bounds: [lower, upper], contextFromUs }),
  };
}
