/**
 * Each kind of anomaly the checkers found, with its witnesses drawn on a timeline: the
 * increments that returned the same value, the pair that broke real-time order, each value
 * (or the final read) with the [lower, upper] bounds it broke.
 */
import type { HistoryCheck } from '../check/check-history.js';
import { isCrashed } from '../check/check-result.js';
import type { BoundsExample, DuplicateExample, OpExample, StaleExample } from '../check/witness.js';
import type { ControlOp } from '../history/run-history.js';
import type { AnomalySection, Timeline, WitnessView } from './report-shapes.js';
import type { WitnessOp, WitnessRead } from './witness-timeline.js';

/** Timelines per kind: enough to see the pattern, few enough for a light page. */
export const maxWitnessesPerKind = 5;

/** What drawing the witnesses needs from the run's calls (a `ReportRecorder` holds them). */
export interface WitnessCanvas {
  readonly originUs: number;
  /** The timeline around these witnesses (and the final read), from the calls kept. */
  timeline(witnesses: readonly WitnessOp[], read?: WitnessRead): Timeline;
  /** Where the clients' calls ended and how long one took on average; undefined without calls. */
  clientsEnd(): { lastCompleteUs: number; meanLatencyUs: number } | undefined;
}

/** The examples each section draws: the first `maxWitnessesPerKind` of each kind. */
function drawnExamples(check: HistoryCheck) {
  const { unique, realTimeOrder, range } = check.checks;
  const first = <T>(examples: readonly T[]) => examples.slice(0, maxWitnessesPerKind);
  return {
    duplicates: isCrashed(unique) ? [] : first(unique.examples),
    stale: isCrashed(realTimeOrder) ? [] : first(realTimeOrder.examples),
    range: isCrashed(range) ? [] : first(range.examples),
  };
}

/** The increments of each timeline the page will draw: what to `mark` while their calls go by. */
export function drawnWitnessOps(check: HistoryCheck): OpExample[][] {
  const { duplicates, stale, range } = drawnExamples(check);
  return [
    ...duplicates.map((example) => example.ops),
    ...stale.map(({ earlier, later }) => [earlier, later]),
    ...range.flatMap(({ op }) => (op ? [[op]] : [])),
  ];
}

export function anomalySections(
  check: HistoryCheck,
  canvas: WitnessCanvas,
  controlOps: readonly ControlOp[],
): AnomalySection[] {
  const { count, unique, realTimeOrder, range } = check.checks;
  const drawn = drawnExamples(check);
  const sections: AnomalySection[] = [];
  if (!isCrashed(count) && count.valid === false) {
    const lost = count.lostCount > 0;
    sections.push({
      kind: 'count',
      title: `${lost ? 'Lost increments' : 'Extra increments'}: ${lost ? count.lostCount : count.extraCount}`,
      explanation:
        'The final read must lie in [initial + acknowledged, initial + attempted]: every acknowledged increment ' +
        'counted, nothing beyond those that may have been applied (as Jepsen’s counter checker judges each read).',
      witnesses: count.examples.map((example) => finalReadWitness(example, canvas, controlOps)),
    });
  }
  if (!isCrashed(unique) && unique.valid === false) {
    sections.push({
      kind: 'duplicate',
      title: titled('Duplicate values', unique.duplicatedValueCount),
      explanation:
        'Each increment of a correct counter returns a value no other increment saw. Increments that returned ' +
        'the same value started from the same state: all but one of them were lost.',
      witnesses: drawn.duplicates.map((example) => duplicateWitness(example, canvas)),
    });
  }
  if (!isCrashed(realTimeOrder) && realTimeOrder.valid === false) {
    sections.push({
      kind: 'real-time-order',
      title: titled('Out of real-time order', realTimeOrder.staleCount),
      explanation:
        'An increment invoked after another one completed must return a larger value. These returned a value ' +
        'not above one that was already known: they acted on a stale counter (not linearizable).',
      witnesses: drawn.stale.map((example) => staleWitness(example, canvas)),
    });
  }
  if (!isCrashed(range) && range.valid === false) {
    sections.push({
      kind: 'range',
      title: titled('Impossible values', range.outOfRangeCount),
      explanation:
        'The counter only grows from its initial value to its final one, so every value an increment returned ' +
        'must lie in [initial + 1, final]. These did not.',
      witnesses: drawn.range.flatMap((example) => rangeWitness(example, canvas)),
    });
  }
  return sections;
}

/** The title with the count, and how many of them the section draws and leaves out. */
function titled(title: string, count: number): string {
  return count > maxWitnessesPerKind
    ? `${title}: ${count} (the first ${maxWitnessesPerKind} shown, ${count - maxWitnessesPerKind} more)`
    : `${title}: ${count}`;
}

const msText = (us: number, originUs: number) => `${((us - originUs) / 1000).toFixed(3)} ms`;
const opText = (op: OpExample, originUs: number) =>
  `client ${op.clientId} [${msText(op.invokeUs, originUs)}–${msText(op.completeUs, originUs)}]`;

function duplicateWitness(example: DuplicateExample, canvas: WitnessCanvas): WitnessView {
  const who = example.ops.map((op) => opText(op, canvas.originUs)).join(', ');
  return {
    caption: `value ${example.value} returned ${example.times} times: ${who}`,
    timeline: canvas.timeline(example.ops),
  };
}

function staleWitness({ earlier, later }: StaleExample, canvas: WitnessCanvas): WitnessView {
  const { originUs } = canvas;
  return {
    caption:
      `${opText(later, originUs)} returned ${later.value}, ` +
      `after ${opText(earlier, originUs)} had returned ${earlier.value}`,
    timeline: canvas.timeline([earlier, later]),
  };
}

function rangeWitness({ lower, value, upper, op }: BoundsExample, canvas: WitnessCanvas): WitnessView[] {
  if (!op) return [];
  return [
    {
      caption: `${opText(op, canvas.originUs)} returned ${value}, outside [${lower}, ${upper}]`,
      timeline: canvas.timeline([{ ...op, bounds: [lower, upper] }]),
    },
  ];
}

/** The final read is the tester's last call, after every client stopped: shown with the run's last calls. */
function finalReadWitness(
  { lower, value, upper }: BoundsExample,
  canvas: WitnessCanvas,
  controlOps: readonly ControlOp[],
): WitnessView {
  const read = controlOps.filter((op) => op.f === 'read').at(-1);
  if (!read) throw new Error('a history judged on its final read has no read');
  const end = canvas.clientsEnd();
  // Room for the clients' last few calls before the read.
  const contextFromUs = end
    ? Math.min(read.invokeUs, end.lastCompleteUs - 4 * end.meanLatencyUs)
    : read.invokeUs;
  return {
    caption: `final read ${value} outside [${lower}, ${upper}] (initial + acknowledged, initial + attempted)`,
    timeline: canvas.timeline([], { ...read, value, bounds: [lower, upper], contextFromUs }),
  };
}
