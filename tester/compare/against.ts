/**
 * A run against a saved one, as benchstat's old/new and criterion's saved baselines (issue 27,
 * point 4): each cell's RPS rounds against the same cell's saved rounds. A regression is a
 * difference the Mann-Whitney test finds at alpha, slower by more than --max-regression (ratio
 * of medians below 1 - max): the noise threshold keeps a CI pipeline from failing on a change
 * too small to matter, the test from failing on noise.
 */
import { compareSamples, formatP, formatVerdict, type Verdict } from '../stats/statistics.js';

/** How `tester compare` and a single run name a cell in a saved file. */
export const cellKey = (cell: { suite: string; scenario: string; clients: number }): string =>
  `${cell.suite} ${cell.scenario} ${cell.clients}`;
/** A single scenario's file has one cell. */
export const SINGLE_RUN_KEY = 'run';

export interface AgainstOptions {
  alpha: number;
  /** A fraction: 0.05 for 5%. */
  maxRegression: number;
}

export interface Change {
  /** The new rounds against the saved ones: ratio of medians, its interval, p-value, direction. */
  verdict: Verdict;
  regression: boolean;
}

export function judgeChange(newer: readonly number[], older: readonly number[], options: AgainstOptions): Change {
  const verdict = compareSamples(newer, older, { alpha: options.alpha });
  const regression = verdict.direction === 'slower' && verdict.ratio < 1 - options.maxRegression;
  return { verdict, regression };
}

const percent = (fraction: number) => `${Number((fraction * 100).toFixed(2))}%`;

/** "0.82x [0.75-0.90] slower: a regression beyond 5%", "1.03x [0.99-1.08] faster", "~ (p=0.42)". */
export function changeText(change: Change, maxRegression: number): string {
  const text = formatVerdict(change.verdict);
  if (change.regression) return `${text} (p=${formatP(change.verdict.p)}): a regression beyond ${percent(maxRegression)}`;
  return text;
}

interface SavedRow {
  suite?: unknown;
  scenario?: unknown;
  clients?: unknown;
  figures?: { samples?: { rps?: unknown } } | null;
}

const isSamples = (value: unknown): value is number[] =>
  Array.isArray(value) && value.length > 0 && value.every((n) => typeof n === 'number' && n > 0);

/**
 * The RPS rounds of each cell a saved file holds: a `tester compare` comparison.json, or a single
 * run's --output (one cell, SINGLE_RUN_KEY: its rounds, or its one RPS). A string says why the file
 * holds none.
 */
export function savedSamples(saved: unknown): Map<string, number[]> | string {
  const cells = new Map<string, number[]>();
  if (typeof saved !== 'object' || saved === null) return 'is not a saved run (a JSON object)';
  if (Array.isArray(saved)) return 'is a comparison.json from before rounds, without samples: save a new one';
  const object = saved as { rows?: unknown; rps?: unknown; rounds?: { samples?: { rps?: unknown } } };
  if (Array.isArray(object.rows)) {
    for (const row of object.rows as SavedRow[]) {
      const samples = row.figures?.samples?.rps;
      if (isSamples(samples)) cells.set(cellKey(row as { suite: string; scenario: string; clients: number }), samples);
    }
    return cells.size ? cells : 'holds no cell with rounds (a comparison.json of tester compare)';
  }
  const single = object.rounds?.samples?.rps ?? (typeof object.rps === 'number' ? [object.rps] : undefined);
  if (!isSamples(single)) return "is neither a comparison.json nor a run's --output JSON";
  return cells.set(SINGLE_RUN_KEY, single);
}
