/** What the HTML report of a `tester compare` grid shows: the chart, then every scenario's row. */
import { comparisonChartOption, rowAnomalies, scenarioLabel } from '../compare/comparison-chart.js';
import type { ComparisonRow } from '../compare/run-comparison.js';
import type { CompareReport } from './report-shapes.js';

export function compareReport(rows: readonly ComparisonRow[], title = 'Counter comparison'): CompareReport {
  const { option, width, height } = comparisonChartOption(rows, title);
  return {
    title,
    chart: { option, widthPx: width, heightPx: height },
    rows: rows.map((row) => ({
      scenario: scenarioLabel(row),
      clients: row.clients,
      rps: row.rps,
      p99Ms: row.p99Us === null ? null : row.p99Us / 1000,
      ...rowAnomalies(row),
      passed: row.passed,
      verdict: row.verdict,
      detail: row.result?.verdict ?? row.verdict,
    })),
  };
}
