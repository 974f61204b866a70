import * as echarts from 'echarts';
import type { ComparisonRow } from './run-comparison.js';

/** Category label of a scenario on the x axes. */
export const scenarioLabel = (row: Pick<ComparisonRow, 'suite' | 'scenario'>): string => `${row.suite} ${row.scenario}`;

const clientsName = (n: number) => `${n} client${n === 1 ? '' : 's'}`;

/**
 * The comparison as an SVG document, rendered by ECharts on the server side: two stacked bar
 * charts sharing the scenario axis, throughput (req/s) on top and p99 latency (us, log scale)
 * below, with one bar per client count in each scenario's group. Scenarios that could not run
 * have no bar.
 */
export function comparisonChartSvg(rows: readonly ComparisonRow[], title = 'Counter comparison'): string {
  const categories = [...new Set(rows.map(scenarioLabel))];
  const clientCounts = [...new Set(rows.map((row) => row.clients))].sort((a, b) => a - b);
  const cell = new Map(rows.map((row) => [`${scenarioLabel(row)}\u0000${row.clients}`, row]));
  const values = (clients: number, pick: (row: ComparisonRow) => number | null) =>
    categories.map((category) => {
      const row = cell.get(`${category}\u0000${clients}`);
      const value = row ? pick(row) : null;
      // The log axis cannot show zero; a null leaves the slot empty.
      return value === null || value <= 0 ? null : Math.round(value);
    });

  const groupWidth = Math.max(56, clientCounts.length * 16 + 24);
  const width = Math.max(900, 160 + categories.length * groupWidth);
  const height = 1080;
  const xAxis = (gridIndex: number) => ({
    type: 'category' as const,
    gridIndex,
    data: categories,
    axisLabel: { rotate: 35, interval: 0, fontSize: 11 },
  });

  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      title: [
        { text: title, left: 'center', top: 8 },
        { text: 'Throughput (req/s, higher is better)', left: 80, top: 70, textStyle: { fontSize: 14 } },
        { text: 'p99 latency (us, log scale, lower is better)', left: 80, top: 560, textStyle: { fontSize: 14 } },
      ],
      legend: { top: 40, data: clientCounts.map(clientsName) },
      grid: [
        { left: 80, right: 40, top: 100, height: 280 },
        { left: 80, right: 40, top: 590, height: 280 },
      ],
      xAxis: [xAxis(0), xAxis(1)],
      yAxis: [
        { type: 'value', gridIndex: 0, name: 'req/s' },
        { type: 'log', gridIndex: 1, name: 'us', logBase: 10 },
      ],
      series: clientCounts.flatMap((clients) => [
        { type: 'bar' as const, name: clientsName(clients), xAxisIndex: 0, yAxisIndex: 0, data: values(clients, (row) => row.rps) },
        { type: 'bar' as const, name: clientsName(clients), xAxisIndex: 1, yAxisIndex: 1, data: values(clients, (row) => row.p99Us) },
      ]),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
