import * as echarts from 'echarts';
import { isCrashed } from '../check/check-result.js';
import type { MedianSummary } from '../stats/statistics.js';
import { type ComparisonRow, scenarioLabel, shownResult } from './comparison-rows.js';

const clientsName = (n: number) => `${n} client${n === 1 ? '' : 's'}`;

/** What the checkers found in one scenario; null where it did not run or a checker could not tell. */
export interface RowAnomalies {
  lostCount: number | null;
  duplicateCount: number | null;
  outOfOrderCount: number | null;
}

export function rowAnomalies(row: ComparisonRow): RowAnomalies {
  const checks = shownResult(row)?.check.checks;
  if (!checks) return { lostCount: null, duplicateCount: null, outOfOrderCount: null };
  const { count, unique, realTimeOrder } = checks;
  return {
    lostCount: isCrashed(count) ? null : count.lostCount,
    duplicateCount: isCrashed(unique) ? null : unique.duplicateCount,
    outOfOrderCount: isCrashed(realTimeOrder) ? null : realTimeOrder.staleCount,
  };
}

/**
 * A cell's rounds as a box plot's five values, plain data the HTML page can embed: the whiskers
 * are the min-max spread, the box the median's 95% interval (a line at the median alone when
 * there are too few rounds for one), the line inside the median.
 */
function errorBar(summary: MedianSummary | undefined, scale = 1): number[] | null {
  if (!summary) return null;
  const { range, median, interval } = summary;
  const box = interval ?? { low: median, high: median };
  return [range.low, box.low, median, box.high, range.high].map((value) => Number((value / scale).toPrecision(4)));
}

/** One legend entry for both panels' bars. */
const ERROR_BAR_NAME = 'median: 95% CI (box), min-max (whiskers)';

const colors = {
  passed: '#3b7dd8',
  failed: '#d6336c',
  latency: '#7f8fa4',
  lost: '#c92a2a',
  duplicate: '#e8a33d',
  stale: '#7048e8',
  interval: '#1f2933',
};
const rowHeight = 30;
const top = 100;
/** Left edges and widths in % of the chart's width: the HTML report's chart is as wide as the page. */
const panels = [
  { title: 'Throughput (req/s, median of the rounds)', left: 22, width: 25 },
  { title: 'p99 latency (ms, median)', left: 53, width: 14 },
  { title: 'Anomalies found (count, log scale)', left: 72, width: 18 },
];
const percent = (n: number) => `${n}%`;

/**
 * The comparison as one ECharts option, plain data (no functions) so the HTML report can embed
 * it as JSON: a row per scenario and client count, its speed (throughput, p99 latency) beside
 * its verdict (the lost, duplicate and out-of-order counts, then PASS or FAIL). Unit names sit
 * in the panel titles, never at an axis end where they would run into a title.
 */
export function comparisonChartOption(rows: readonly ComparisonRow[], title = 'Counter comparison') {
  const labels = rows.map((row) => `${scenarioLabel(row)} · ${clientsName(row.clients)}`);
  const width = 1240;
  const height = top + rows.length * rowHeight + 56;
  const grid = (i: number) => ({
    left: percent(panels[i].left),
    width: percent(panels[i].width),
    top,
    height: rows.length * rowHeight,
  });
  const categoryAxis = (gridIndex: number) => ({
    type: 'category' as const,
    gridIndex,
    data: labels,
    inverse: true,
    axisTick: { show: false },
    axisLabel: { show: gridIndex === 0, fontSize: 12 },
  });
  const positive = (value: number | null) => (value === null || value <= 0 ? null : Number(value.toPrecision(3)));
  const anomalies = rows.map(rowAnomalies);
  const anomalyBar = (name: string, color: string, pick: (a: RowAnomalies) => number | null) => ({
    type: 'bar' as const,
    name,
    xAxisIndex: 2,
    yAxisIndex: 2,
    color,
    barGap: '50%',
    barMaxWidth: 6,
    label: { show: true, position: 'right' as const, fontSize: 9, color },
    data: anomalies.map((a) => positive(pick(a))),
  });
  const speedBar = (name: string, color: string, passed: boolean) => ({
    type: 'bar' as const,
    name,
    stack: 'speed',
    xAxisIndex: 0,
    yAxisIndex: 0,
    color,
    barMaxWidth: 14,
    label: { show: true, position: 'right' as const, fontSize: 10, color: '#52606d' },
    data: rows.map((row) => (row.passed === passed && row.rps !== null ? Math.round(row.rps) : null)),
  });
  const errorBars = (name: string, xAxisIndex: number, pick: (row: ComparisonRow) => number[] | null) => ({
    type: 'boxplot' as const,
    name,
    xAxisIndex,
    yAxisIndex: xAxisIndex,
    color: colors.interval,
    boxWidth: [3, 8],
    itemStyle: { color: 'rgba(0,0,0,0)', borderColor: colors.interval, borderWidth: 1.2 },
    data: rows.map((row) => pick(row) ?? []),
  });
  const verdictAxis = {
    ...categoryAxis(2),
    position: 'right' as const,
    data: rows.map((row) => ({
      value: row.error ? 'NOT RUN' : row.verdict,
      textStyle: { color: row.passed ? '#2b8a3e' : colors.failed, fontWeight: 'bold' as const },
    })),
    axisLabel: { show: true, fontSize: 11, margin: 56 },
    axisLine: { show: false },
  };
  const option = {
    animation: false,
    backgroundColor: '#ffffff',
    // No quotes in the family: ECharts' SVG renderer would write them unescaped into an attribute.
    textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif' },
    title: [
      { text: title, left: 'center', top: 8 },
      ...panels.map((panel) => ({
        text: panel.title,
        left: percent(panel.left),
        top: top - 28,
        textStyle: { fontSize: 13 },
      })),
    ],
    legend: { top: 40, left: 'center', itemGap: 28, itemWidth: 18, itemHeight: 10, padding: [5, 16] },
    grid: panels.map((_, i) => grid(i)),
    xAxis: [
      { type: 'value' as const, gridIndex: 0, splitNumber: 4, axisLabel: { hideOverlap: true } },
      { type: 'value' as const, gridIndex: 1, splitNumber: 4, axisLabel: { hideOverlap: true } },
      // Counts start at 1, where a log axis starts its bars.
      { type: 'log' as const, gridIndex: 2, logBase: 10, min: 1, axisLabel: { hideOverlap: true } },
    ],
    yAxis: [categoryAxis(0), categoryAxis(1), verdictAxis],
    series: [
      speedBar('passed', colors.passed, true),
      speedBar('failed', colors.failed, false),
      {
        type: 'bar' as const,
        name: 'p99 latency',
        xAxisIndex: 1,
        yAxisIndex: 1,
        color: colors.latency,
        barMaxWidth: 14,
        data: rows.map((row) => positive(row.p99Us === null ? null : row.p99Us / 1000)),
      },
      errorBars(ERROR_BAR_NAME, 0, (row) => errorBar(row.figures?.rps)),
      errorBars(ERROR_BAR_NAME, 1, (row) => errorBar(row.figures?.p99Us, 1000)),
      anomalyBar('lost', colors.lost, (a) => a.lostCount),
      anomalyBar('duplicate', colors.duplicate, (a) => a.duplicateCount),
      anomalyBar('out of order', colors.stale, (a) => a.outOfOrderCount),
    ],
  };
  return { option, width, height };
}

/** The comparison chart as an SVG document, rendered by ECharts on the server side. */
export function comparisonChartSvg(rows: readonly ComparisonRow[], title?: string): string {
  const { option, width, height } = comparisonChartOption(rows, title);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
