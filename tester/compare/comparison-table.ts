import type { ComparisonRow } from './run-comparison.js';

export const TABLE_HEADER = [
  'Suite',
  'Scenario',
  'Clients',
  'RPS',
  'p50 (us)',
  'p99 (us)',
  'Errors',
  'Verdict',
  'Details',
] as const;

/** Table cells must stay on one line and must not close the cell early. */
const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

function errorCount(row: ComparisonRow): string {
  if (!row.result) return '-';
  const entries = Object.entries(row.result.errors).filter(([, n]) => (n ?? 0) > 0);
  if (entries.length === 0) return '0';
  const total = entries.reduce((sum, [, n]) => sum + (n ?? 0), 0);
  return `${total} (${entries.map(([kind, n]) => `${kind} ${n}`).join(', ')})`;
}

function cells(row: ComparisonRow): string[] {
  const result = row.result;
  return [
    row.suite,
    row.scenario,
    String(row.clients),
    result ? result.rps.toFixed(0) : '-',
    result ? String(result.latency.p50Us) : '-',
    result ? String(result.latency.p99Us) : '-',
    errorCount(row),
    row.verdict,
    result ? result.verdict : '',
  ];
}

/**
 * The comparison as a GitHub Markdown table: one row per scenario and client count. Verdict
 * is PASS or FAIL (methods without guarantees pass whatever they lose), or why the scenario
 * could not run; Details is the checker's one-line verdict.
 */
export function comparisonTable(rows: readonly ComparisonRow[]): string {
  const right = new Set([2, 3, 4, 5]);
  const lines = [
    `| ${TABLE_HEADER.join(' | ')} |`,
    `|${TABLE_HEADER.map((_, i) => (right.has(i) ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${cells(row).map(cell).join(' | ')} |`),
  ];
  return lines.join('\n') + '\n';
}
