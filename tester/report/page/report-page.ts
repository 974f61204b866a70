/**
 * The script of an HTML report: reads the page's embedded JSON and draws it with ECharts,
 * which the page inlines before this script. Runs in a browser, offline.
 */
import type {
  AnomalySection,
  CompareReport,
  FaultWindow,
  ReportPage,
  RunReport,
  Timeline,
  TimelineOp,
  WitnessView,
} from '../report-shapes.js';

declare const echarts: typeof import('echarts');
type Option = import('echarts').EChartsOption;

const colors = {
  ok: '#3b7dd8',
  fail: '#9aa5b1',
  info: '#e8a33d',
  witness: '#d6336c',
  neighbour: '#b8c7d9',
  fault: 'rgba(232, 163, 61, 0.16)',
};
const font = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: { className?: string; text?: string } = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attributes.className) node.className = attributes.className;
  if (attributes.text !== undefined) node.textContent = attributes.text;
  node.append(...children);
  return node;
}

/** A div that holds one chart, drawn once it is in the document (ECharts needs its size). */
function chart(option: Option, heightPx: number, name: string): HTMLElement {
  const box = element('div', { className: 'chart' });
  box.style.height = `${heightPx}px`;
  box.dataset.chart = name;
  queueMicrotask(() => {
    const instance = echarts.init(box, null, { renderer: 'canvas' });
    instance.setOption({ animation: false, textStyle: { fontFamily: font }, ...option });
    window.addEventListener('resize', () => instance.resize());
  });
  return box;
}

const number = (n: number | null, digits = 0) =>
  n === null ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits });
const ms = (n: number) => `${n.toLocaleString('en-US', { minimumFractionDigits: 3, maximumFractionDigits: 3 })} ms`;

/** A method without guarantees passes with anomalies: the badge says they were expected. */
function badge(passed: boolean, valid: boolean | 'unknown'): HTMLElement {
  const [text, kind] = !passed
    ? ['FAIL', 'fail']
    : valid === true
      ? ['PASS', 'pass']
      : valid === false
        ? ['PASS, anomalies expected for this method', 'unknown']
        : ['PASS, not proven', 'unknown'];
  return element('span', { className: `badge ${kind}`, text });
}

function renderRun(report: RunReport): Node[] {
  const facts = element(
    'dl',
    { className: 'facts' },
    report.facts.map((fact) =>
      element('div', { className: fact.bad ? 'fact bad' : 'fact' }, [
        element('dt', { text: fact.label }),
        element('dd', { text: fact.value }),
      ]),
    ),
  );
  return [
    element('header', {}, [element('h1', { text: report.title }), badge(report.passed, report.valid)]),
    element('p', { className: 'verdict', text: report.verdict }),
    facts,
    element('h2', { text: 'Over time' }),
    report.faults.length === 0
      ? element('p', { className: 'note', text: 'No faults were injected during this run.' })
      : element('p', { className: 'note', text: `Shaded: ${report.faults.map(faultText).join('; ')}.` }),
    chart(overTimeOption(report), 560, 'over-time'),
    element('p', { className: 'note', text: precisionNote(report) }),
    element('h2', { text: 'Latency histogram' }),
    chart(histogramOption(report), 300, 'histogram'),
    element('h2', { text: 'Anomalies' }),
    ...renderAnomalies(report.anomalies),
  ];
}

/** Percentiles come from log-spaced bins, so they are close, not exact: the page says how close. */
const precisionNote = ({ series }: RunReport) =>
  `Latency percentiles (here and in p50 / p99 above) are within ±${number(series.percentileError * 100, 1)}% ` +
  `of the exact values; the maximum is exact. Each point covers ${number(series.bucketMs)} ms.`;

const faultText = (fault: FaultWindow) =>
  `${fault.fault} from ${seconds(fault.startMs)} to ${seconds(fault.stopMs)} (${fault.description})`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function faultAreas(faults: FaultWindow[]) {
  return {
    silent: true,
    itemStyle: { color: colors.fault },
    label: { color: '#8a5a12', fontSize: 11, position: 'insideTop' as const },
    data: faults.map((fault): [{ name: string; xAxis: number }, { xAxis: number }] => [
      { name: fault.fault, xAxis: fault.startMs / 1000 },
      { xAxis: fault.stopMs / 1000 },
    ]),
  };
}

function overTimeOption({ series, faults }: RunReport): Option {
  // Each value sits at its bucket's middle, so a run of one bucket is a point inside the plot, not on its edge.
  const at = (values: Array<number | null>) =>
    values.map((value, b) => [(series.startMs[b] + series.bucketMs / 2) / 1000, value]);
  const line = (name: string, values: Array<number | null>, axis: number, color: string) => ({
    type: 'line' as const,
    name,
    data: at(values),
    xAxisIndex: axis,
    yAxisIndex: axis,
    // A short run has a few buckets: without dots, a lone point would not show at all.
    showSymbol: series.startMs.length < 30,
    symbolSize: 7,
    lineStyle: { width: 1.5 },
    color,
  });
  const xAxis = (gridIndex: number) => ({
    type: 'value' as const,
    gridIndex,
    min: 0,
    max: (series.startMs.length * series.bucketMs) / 1000,
    name: gridIndex === 1 ? 'seconds since start' : '',
    nameLocation: 'middle' as const,
    nameGap: 28,
    // The end is rarely a round number: its label would crowd the last round tick.
    axisLabel: { showMaxLabel: false },
  });
  return {
    tooltip: { trigger: 'axis', valueFormatter: (value) => number(value as number, 3) },
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    legend: { top: 0, itemGap: 18 },
    grid: [
      { left: 70, right: 30, top: 40, height: 190 },
      { left: 70, right: 30, top: 300, height: 200 },
    ],
    xAxis: [xAxis(0), xAxis(1)],
    yAxis: [
      {
        type: 'value',
        gridIndex: 0,
        name: `calls/s (${series.bucketMs} ms buckets)`,
        nameTextStyle: { align: 'left' },
      },
      { type: 'log', gridIndex: 1, name: 'latency (ms, log)', nameTextStyle: { align: 'left' } },
    ],
    series: [
      { ...line('ok/s', series.okPerSecond, 0, colors.ok), areaStyle: { opacity: 0.12 }, markArea: faultAreas(faults) },
      line('failed/s', series.failedPerSecond, 0, '#6b7785'),
      line('indeterminate/s', series.indeterminatePerSecond, 0, colors.info),
      { ...line('p50', series.p50Ms, 1, '#2f9e44'), markArea: faultAreas(faults) },
      line('p90', series.p90Ms, 1, '#1c7ed6'),
      line('p99', series.p99Ms, 1, '#ae3ec9'),
      line('max', series.maxMs, 1, '#e03131'),
    ],
  };
}

function histogramOption({ histogram }: RunReport): Option {
  const labels = histogram.edgesMs.slice(0, -1).map((edge) => `${edge}`);
  const bar = (name: string, data: number[], color: string) => ({
    type: 'bar' as const,
    name,
    data,
    stack: 'calls',
    color,
    barMaxWidth: 48,
  });
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, itemGap: 18 },
    grid: { left: 70, right: 30, top: 40, bottom: 50 },
    xAxis: { type: 'category', data: labels, name: 'latency from (ms)', nameLocation: 'middle', nameGap: 32 },
    yAxis: { type: 'value', name: 'calls', nameTextStyle: { align: 'right' } },
    series: [
      bar('ok', histogram.okCount, colors.ok),
      bar('failed', histogram.failedCount, colors.fail),
      bar('indeterminate', histogram.indeterminateCount, colors.info),
    ],
  };
}

function renderAnomalies(sections: AnomalySection[]): Node[] {
  if (sections.length === 0) {
    return [element('p', { className: 'note', text: 'None: every check held, so there is no witness to show.' })];
  }
  const legend = element('p', { className: 'legend' }, [
    swatch(colors.witness, 'witness'),
    swatch(colors.neighbour, 'other call, ok'),
    swatch(colors.fail, 'failed'),
    swatch(colors.info, 'indeterminate'),
  ]);
  return [legend, ...sections.map(renderSection)];
}

function swatch(color: string, text: string): HTMLElement {
  const box = element('span', { className: 'swatch' });
  box.style.background = color;
  return element('span', { className: 'legend-item' }, [box, document.createTextNode(text)]);
}

function renderSection(section: AnomalySection): HTMLElement {
  return element('section', { className: 'anomaly' }, [
    element('h3', { text: section.title }),
    element('p', { className: 'note', text: section.explanation }),
    ...section.witnesses.map((witness, i) => renderWitness(witness, `${section.kind}-${i}`)),
  ]);
}

function renderWitness(witness: WitnessView, name: string): HTMLElement {
  const { timeline } = witness;
  const omitted =
    timeline.omittedCount > 0 ? ` · ${number(timeline.omittedCount)} more calls in this window not drawn` : '';
  return element('div', { className: 'witness' }, [
    element('p', { className: 'caption', text: witness.caption + omitted }),
    chart(timelineOption(timeline), 70 + 30 * timeline.lanes.length, `witness-${name}`),
  ]);
}

function opLabel(op: TimelineOp): string {
  const value = op.value === null ? '' : ` ${op.value}`;
  const bounds = op.bounds ? ` not in [${op.bounds[0]}, ${op.bounds[1]}]` : '';
  return `${op.f}${value}${bounds}`;
}

function opColor(op: TimelineOp): string {
  if (op.witness) return colors.witness;
  if (op.outcome === 'fail') return colors.fail;
  if (op.outcome === 'info') return colors.info;
  return colors.neighbour;
}

function opTooltip(timeline: Timeline, op: TimelineOp): string {
  const outcome = { ok: 'ok', fail: 'failed', info: 'indeterminate: may take effect any time later' }[op.outcome];
  return `${timeline.lanes[op.lane]}: ${opLabel(op)}<br>${ms(op.invokeMs)} – ${ms(op.completeMs)}, ${outcome}`;
}

/** An indeterminate call may take effect until the end of the history: its bar runs on. */
function opEndMs(timeline: Timeline, op: TimelineOp): number {
  return op.outcome === 'info' ? timeline.toMs : op.completeMs;
}

/** Each client's calls as bars on its own lane, the witnesses in colour, as Porcupine draws. */
function timelineOption(timeline: Timeline): Option {
  type Api = import('echarts').CustomSeriesRenderItemAPI;
  type Params = import('echarts').CustomSeriesRenderItemParams;
  const renderItem = (params: Params, api: Api) => {
    const op = timeline.ops[params.dataIndex];
    const from = api.coord([op.invokeMs, op.lane]);
    const to = api.coord([opEndMs(timeline, op), op.lane]);
    const height = (api.size?.([0, 1]) as number[])[1] * 0.56;
    const width = Math.max(3, to[0] - from[0]);
    const label = opLabel(op);
    const fits = width > label.length * 6.4 + 8;
    const shown = fits || op.witness;
    return {
      type: 'rect' as const,
      shape: { x: from[0], y: from[1] - height / 2, width, height, r: 3 },
      style: {
        fill: opColor(op),
        stroke: op.outcome === 'info' ? '#b57412' : undefined,
        lineDash: op.outcome === 'info' ? [4, 3] : undefined,
      },
      textContent: shown ? { style: { text: label, fontSize: 11, fontWeight: op.witness ? 600 : 400 } } : undefined,
      textConfig: shown
        ? {
            position: fits ? ('inside' as const) : ('top' as const),
            insideFill: op.witness ? '#fff' : '#243b53',
            outsideFill: colors.witness,
          }
        : undefined,
      z2: op.witness ? 10 : 1,
    };
  };
  // Enough decimals to tell the ticks apart, however short the window.
  const decimals = Math.max(1, Math.ceil(-Math.log10((timeline.toMs - timeline.fromMs) / 5)));
  return {
    tooltip: {
      trigger: 'item',
      formatter: (item) => opTooltip(timeline, timeline.ops[(item as { dataIndex: number }).dataIndex]),
    },
    grid: { left: 90, right: 30, top: 16, bottom: 42 },
    xAxis: {
      type: 'value',
      min: timeline.fromMs,
      max: timeline.toMs,
      name: 'ms since start',
      nameLocation: 'middle',
      nameGap: 26,
      axisLabel: {
        formatter: (value: number) => value.toFixed(decimals),
        hideOverlap: true,
        showMinLabel: false,
        showMaxLabel: false,
      },
      splitLine: { lineStyle: { type: 'dashed', color: '#e6e9ee' } },
    },
    yAxis: { type: 'category', data: timeline.lanes, inverse: true, axisTick: { show: false } },
    series: [
      {
        type: 'custom',
        renderItem,
        encode: { x: [1, 2], y: 0 },
        data: timeline.ops.map((op) => [op.lane, op.invokeMs, opEndMs(timeline, op)]),
        clip: true,
      },
    ],
  } as Option;
}

function renderCompare(report: CompareReport): Node[] {
  const passedCount = report.rows.filter((row) => row.passed).length;
  const header = [
    'Scenario',
    'Clients',
    'req/s median [95% CI]',
    'p99 (ms)',
    'vs baseline',
    'Rank',
    'Loader/host limited',
    'Lost',
    'Duplicate',
    'Out of order',
    'Verdict',
  ];
  const cells = (row: CompareReport['rows'][number]) => [
    row.scenario,
    String(row.clients),
    row.rpsText,
    number(row.p99Ms, 2),
    row.vsBaseline,
    number(row.rank),
    row.limited,
    number(row.lostCount),
    number(row.duplicateCount),
    number(row.outOfOrderCount),
    row.verdict,
  ];
  const table = element('table', {}, [
    element('thead', {}, [
      element(
        'tr',
        {},
        header.map((text) => element('th', { text })),
      ),
    ]),
    element(
      'tbody',
      {},
      report.rows.map((row) => {
        const tr = element(
          'tr',
          { className: row.passed ? '' : 'failed' },
          cells(row).map((text) => element('td', { text })),
        );
        tr.title = row.detail;
        return tr;
      }),
    ),
  ]);
  const failedCount = report.rows.length - passedCount;
  const summary = `${report.rows.length} scenarios: ${passedCount} passed, ${failedCount} did not.`;
  return [
    element('header', {}, [
      element('h1', { text: report.title }),
      badge(passedCount === report.rows.length, passedCount === report.rows.length),
    ]),
    element('p', { className: 'verdict', text: summary }),
    chart(report.chart.option as Option, report.chart.heightPx, 'comparison'),
    element('h2', { text: 'Every scenario' }),
    table,
  ];
}

const page = JSON.parse(byId('report-data').textContent ?? '') as ReportPage;
byId('report').append(...(page.kind === 'run' ? renderRun(page.report) : renderCompare(page.report)));
