import { formatVerdict } from '../stats/statistics.js';
import { changeText } from './against.js';
import { type Comparison, type ComparisonRow, scenarioLabel, shownResult } from './comparison-rows.js';
import { limitText, rangeText, summaryText } from './round-figures.js';
import { HOST_IDLE_SHARE, LOADER_BUSY_SHARE } from '../load/run-resources.js';

export const TABLE_HEADER = [
  'Suite',
  'Scenario',
  'Clients',
  'RPS median [95% CI]',
  'RPS min-max',
  'p99 (us) median [95% CI]',
  'vs baseline',
  'Rank',
  'Loader/host limited',
  'Errors',
  'Verdict',
  'Details',
] as const;

/** Table cells must stay on one line and must not close the cell early. */
const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

function errorCount(row: ComparisonRow): string {
  if (row.results.length === 0) return '-';
  const totals: Record<string, number> = {};
  for (const result of row.results)
    for (const [kind, n] of Object.entries(result.errors)) if (n) totals[kind] = (totals[kind] ?? 0) + n;
  const entries = Object.entries(totals);
  if (entries.length === 0) return '0';
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return `${total} (${entries.map(([kind, n]) => `${kind} ${n}`).join(', ')})`;
}

export function baselineText(row: ComparisonRow, baseline: string): string {
  if (row.vsBaseline) return formatVerdict(row.vsBaseline);
  return row.figures && scenarioLabel(row) === baseline ? 'baseline' : '-';
}

function cells(row: ComparisonRow, baseline: string): string[] {
  const { figures } = row;
  return [
    row.suite,
    row.scenario,
    String(row.clients),
    figures ? summaryText(figures.rps) : '-',
    figures ? rangeText(figures.rps) : '-',
    figures ? summaryText(figures.p99Us) : '-',
    baselineText(row, baseline),
    row.rank === null ? '-' : String(row.rank),
    figures ? limitText(figures) || 'no' : '-',
    errorCount(row),
    row.verdict,
    shownResult(row)?.verdict ?? '',
  ];
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

/** What the columns mean, under the table: the numbers are claims only with these words. */
function notes(comparison: Comparison): string[] {
  const { seed, rounds, alpha, baseline } = comparison;
  return [
    `${rounds} round${rounds === 1 ? '' : 's'} per cell, in an order shuffled per round from seed ${seed} ` +
      `(--seed ${seed} replays it). Medians over the rounds, in brackets their 95% confidence interval ` +
      '(order statistics; 6 rounds are the fewest that give one), then the spread.',
    `vs baseline: RPS against ${baseline} at the same client count, the ratio of medians and its interval, ` +
      `where a Mann-Whitney U test finds a difference at alpha ${alpha}; "~" where it does not. Rank: 1 is the ` +
      'fastest at its client count; cells that share a rank are not significantly different.',
    `Loader/host limited: rounds in which a tester thread was busy ${percent(LOADER_BUSY_SHARE)} of the run or ` +
      `more, or the host had under ${percent(HOST_IDLE_SHARE)} idle CPU: there the loader or the host, not the ` +
      'server, may have set the speed.',
  ];
}

/** --against: one line per cell the saved run also has. */
function againstLines(comparison: Comparison): string[] {
  const { against } = comparison;
  if (!against) return [];
  const lines = comparison.rows.flatMap((row) =>
    row.against ? [`- ${scenarioLabel(row)}, ${row.clients} clients: ${changeText(row.against, against.maxRegression)}`] : [],
  );
  return ['', `Against ${against.file} (RPS, new against saved):`, '', ...(lines.length ? lines : ['- no cell in common'])];
}

/**
 * The comparison as a GitHub Markdown table, one row per scenario and client count, then what
 * its columns mean and, with --against, the change from the saved run. Verdict is PASS or FAIL
 * (methods without guarantees pass whatever they lose), or why the scenario could not run;
 * Details is the checker's one-line verdict.
 */
export function comparisonTable(comparison: Comparison): string {
  const right = new Set([2, 3, 4, 5]);
  const lines = [
    `| ${TABLE_HEADER.join(' | ')} |`,
    `|${TABLE_HEADER.map((_, i) => (right.has(i) ? '---:' : '---')).join('|')}|`,
    ...comparison.rows.map((row) => `| ${cells(row, comparison.baseline).map(cell).join(' | ')} |`),
    ...notes(comparison).flatMap((note) => ['', note]),
    ...againstLines(comparison),
  ];
  return lines.join('\n') + '\n';
}
