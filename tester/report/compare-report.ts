/** What the HTML report of a `tester compare` grid shows: the chart, then every scenario's row. */
import { comparisonChartOption, rowAnomalies } from '../compare/comparison-chart.js';
import { type Comparison, scenarioLabel, shownResult } from '../compare/comparison-rows.js';
import { baselineText } from '../compare/comparison-table.js';
import { limitText, summaryText } from '../compare/round-figures.js';
import type { CompareReport } from './report-shapes.js';

export function compareReport(comparison: Comparison, title = 'Counter comparison'): CompareReport {
  const { rows } = comparison;
  const { option, width, height } = comparisonChartOption(rows, title);
  return {
    title,
    chart: { option, widthPx: width, heightPx: height },
    rows: rows.map((row) => ({
      scenario: scenarioLabel(row),
      clients: row.clients,
      rps: row.rps,
      p99Ms: row.p99Us === null ? null : row.p99Us / 1000,
      rpsText: row.figures ? summaryText(row.figures.rps) : '-',
      vsBaseline: baselineText(row, comparison.baseline),
      rank: row.rank,
      limited: row.figures ? limitText(row.figures) : '',
      ...rowAnomalies(row),
      passed: row.passed,
      verdict: row.verdict,
      detail: shownResult(row)?.verdict ?? row.verdict,
    })),
  };
}
