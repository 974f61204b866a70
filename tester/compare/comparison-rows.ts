/**
 * The comparison's rows (issue 27, points 2 and 3): each cell's rounds as medians with their
 * intervals, its RPS against the baseline scenario's at the same client count, and its rank
 * among the cells of that client count, which puts two cells in order only when they differ
 * significantly. What comparison.json holds; the table, chart and HTML page read it.
 */
import type { LoadResult, RoundFigures } from '../load/load-result.js';
import { compareSamples, rankCells, type Verdict } from '../stats/statistics.js';
import { type Change } from './against.js';
import { representativeRound, roundFigures } from './round-figures.js';
import { type CellRun, errorVerdict, type ScenarioError } from './run-comparison.js';
import type { Suite } from './scenarios.js';

/** One cell of the grid, as comparison.json holds it. */
export interface ComparisonRow {
  suite: Suite;
  scenario: string;
  clients: number;
  /** Medians over the rounds; null when no round ran. */
  rps: number | null;
  p99Us: number | null;
  figures: RoundFigures | null;
  /** RPS against the baseline scenario's at the same client count; null for the baseline itself, or without rounds. */
  vsBaseline: Verdict | null;
  /** 1 for the fastest group at this client count; cells that share a rank are not significantly different. */
  rank: number | null;
  /** Every round passed. */
  passed: boolean;
  /** PASS, FAIL, or why the scenario could not run. */
  verdict: string;
  error: ScenarioError | null;
  /** Every round's whole result, in the order the rounds ran. */
  results: LoadResult[];
  /** --against: this cell's RPS against the saved run's; absent when the saved run lacks the cell. */
  against?: Change;
}

/** What comparison.json holds. */
export interface Comparison {
  /** Replays the rounds' order with --seed. */
  seed: number;
  rounds: number;
  warmupMs: number;
  callsPerClient: number;
  alpha: number;
  /** The scenario every cell is compared with: "suite scenario". */
  baseline: string;
  rows: ComparisonRow[];
  /** --against: the saved file and the slowdown it tolerates (a fraction). */
  against?: { file: string; maxRegression: number };
}

export const scenarioLabel = (row: Pick<ComparisonRow, 'suite' | 'scenario'>): string => `${row.suite} ${row.scenario}`;

export const rowIsUnreachable = (row: ComparisonRow): boolean =>
  row.error?.kind === 'connect' || row.error?.kind === 'server';

/** The one result a row's text stands on (its Details, its anomalies): the first failed round, else the median one. */
export function shownResult(row: ComparisonRow): LoadResult | null {
  return row.results.length ? row.results[representativeRound(row.results)] : null;
}

function baseRow(cell: CellRun): ComparisonRow {
  const figures = cell.results.length ? roundFigures(cell.results) : null;
  const passed = cell.error === null && cell.results.every((result) => result.passed);
  const verdict = cell.error ? errorVerdict(cell.error) : passed ? 'PASS' : 'FAIL';
  return {
    suite: cell.suite,
    scenario: cell.scenario,
    clients: cell.clients,
    rps: figures?.rps.median ?? null,
    p99Us: figures?.p99Us.median ?? null,
    figures,
    vsBaseline: null,
    rank: null,
    passed,
    verdict,
    error: cell.error,
    results: cell.results,
  };
}

/**
 * The rows, in the grid's order, each against `baseline` ("suite scenario") at its client count
 * and ranked among the cells of that count, at significance `alpha`.
 */
export function comparisonRows(cells: readonly CellRun[], baseline: string, alpha: number): ComparisonRow[] {
  const rows = cells.map(baseRow);
  for (const clients of new Set(rows.map((row) => row.clients))) {
    const measured = rows.filter((row) => row.clients === clients && row.figures);
    const base = measured.find((row) => scenarioLabel(row) === baseline);
    for (const row of measured) {
      if (base && row !== base) row.vsBaseline = compareSamples(row.figures!.samples.rps, base.figures!.samples.rps, { alpha });
    }
    const ranked = rankCells(measured.map((row) => ({ key: row, samples: row.figures!.samples.rps })), { alpha });
    for (const { key, rank } of ranked) key.rank = rank;
  }
  return rows;
}
