/**
 * The soak's curve as an SVG file beside RESULTS.md: RSS over time, the tester above and the
 * server below, each on its own scale (a tester of gigabytes would flatten a server of a hundred
 * megabytes), with the settling time shaded and the fitted line of each slope drawn over the
 * samples it was fitted to. Plain SVG text, the same bytes for the same results.
 */
import { serverMb, type SoakResult, type SoakSample } from './soak-result.js';
import { formatSlope } from './number-format.js';

/** Its name beside RESULTS.md, as RESULTS.md links it. */
export const SOAK_PLOT_FILE = 'soak.svg';

const WIDTH = 760;
const PANEL_HEIGHT = 200;
const MARGIN = { left: 70, right: 20, top: 40, gap: 50, bottom: 45 };
const HEIGHT = MARGIN.top + 2 * PANEL_HEIGHT + MARGIN.gap + MARGIN.bottom;
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
/** The y axis spans at least this much, so that a flat line's noise does not fill the panel. */
const MIN_SPAN_MB = 10;

interface Series {
  name: string;
  color: string;
  mb: (sample: SoakSample) => number;
  slope: number | null;
}

const fixed = (n: number) => Number(n.toFixed(1)).toString();
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step (1, 2 or 5 times a power of ten) that cuts `span` into about `count` parts. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw)!;
}

function ticks(low: number, high: number, count: number): { low: number; high: number; values: number[] } {
  const step = niceStep(high - low, count);
  const [from, to] = [Math.floor(low / step) * step, Math.ceil(high / step) * step];
  const values: number[] = [];
  for (let v = from; v <= to + step / 2; v += step) values.push(Number(v.toPrecision(12)));
  return { low: from, high: to, values };
}

function panel(result: SoakResult, series: Series, top: number, x: (s: number) => number): string[] {
  const values = result.samples.map(series.mb);
  const [min, max] = [Math.min(...values), Math.max(...values)];
  const pad = Math.max(0, MIN_SPAN_MB - (max - min)) / 2;
  const axis = ticks(Math.max(0, min - pad), max + pad, 5);
  const y = (mb: number) => top + PANEL_HEIGHT - ((mb - axis.low) / (axis.high - axis.low)) * PANEL_HEIGHT;
  const right = MARGIN.left + PLOT_WIDTH;
  const lines = [
    `<text x="${MARGIN.left}" y="${top - 8}" font-weight="bold">${escape(series.name)}: ` +
      `${escape(formatSlope(series.slope))} after the first ${fixed(result.settleS)} s</text>`,
    `<rect x="${MARGIN.left}" y="${top}" width="${fixed(Math.min(x(result.settleS), right) - MARGIN.left)}" ` +
      `height="${PANEL_HEIGHT}" fill="#eee"/>`,
    ...axis.values.flatMap((v) => [
      `<line x1="${MARGIN.left}" x2="${right}" y1="${fixed(y(v))}" y2="${fixed(y(v))}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${fixed(y(v) + 4)}" text-anchor="end">${fixed(v)}</text>`,
    ]),
    `<text transform="translate(16 ${top + PANEL_HEIGHT / 2}) rotate(-90)" text-anchor="middle">RSS (MB)</text>`,
    `<rect x="${MARGIN.left}" y="${top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#888"/>`,
    `<polyline fill="none" stroke="${series.color}" stroke-width="2" points="` +
      result.samples.map((s) => `${fixed(x(s.atS))},${fixed(y(series.mb(s)))}`).join(' ') +
      '"/>',
  ];
  const settled = result.samples.filter((s) => s.atS >= result.settleS);
  if (series.slope !== null && settled.length > 0) {
    // The fitted line passes through the mean of the points it was fitted to.
    const meanS = settled.reduce((sum, s) => sum + s.atS, 0) / settled.length;
    const meanMb = settled.reduce((sum, s) => sum + series.mb(s), 0) / settled.length;
    const at = (s: number) => meanMb + (series.slope! * (s - meanS)) / 60;
    const [from, to] = [settled[0].atS, settled.at(-1)!.atS];
    lines.push(
      `<line x1="${fixed(x(from))}" y1="${fixed(y(at(from)))}" x2="${fixed(x(to))}" y2="${fixed(y(at(to)))}" ` +
        'stroke="#000" stroke-dasharray="6 4"/>',
    );
  }
  return lines;
}

export function renderSoakPlot(result: SoakResult): string {
  // The time axis ends with the run, not at the next round tick.
  const lastMinutes = Math.max(result.minutes * 60, ...result.samples.map((s) => s.atS)) / 60;
  const timeTicks = ticks(0, lastMinutes, 6).values.filter((m) => m <= lastMinutes);
  const x = (s: number) => MARGIN.left + (s / 60 / lastMinutes) * PLOT_WIDTH;
  const tops = [MARGIN.top, MARGIN.top + PANEL_HEIGHT + MARGIN.gap];
  const series: Series[] = [
    { name: 'tester', color: '#1f77b4', mb: (s) => s.testerMb, slope: result.testerMbPerMinute },
    {
      name: `server (primary + ${result.workers} workers)`,
      color: '#d62728',
      mb: serverMb,
      slope: result.serverMbPerMinute,
    },
  ];
  const bottom = tops[1] + PANEL_HEIGHT;
  const body =
    result.samples.length === 0
      ? [`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no samples</text>`]
      : [
          ...series.flatMap((s, i) => panel(result, s, tops[i], x)),
          ...timeTicks.map(
            (m) => `<text x="${fixed(x(m * 60))}" y="${bottom + 18}" text-anchor="middle">${fixed(m)}</text>`,
          ),
          `<text x="${MARGIN.left + PLOT_WIDTH / 2}" y="${bottom + 38}" text-anchor="middle">` +
            'minutes since the tester started (shaded: settling, not fitted; dashed: the fitted line)</text>',
        ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14">RSS during a ${fixed(result.minutes)}-minute ` +
      `soak, ${result.clients} clients at full rate, sampled every ${fixed(result.sampleIntervalS)} s</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
