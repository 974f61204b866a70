/**
 * The benchmark figures of docs/benchmarks.md, rendered from a run's results, so that every figure it
 * quotes is one that bench/results.json holds. The block sits between two markers; `npm run bench`
 * rewrites it after a full run, `npm run bench:render` from the committed results.
 */
import fs from 'node:fs';
import { median } from '../tester/stats/statistics.js';
import {
  bracketsMeaning,
  computeRatio,
  roundBrackets,
  lowerIsBetter,
  meetsTarget,
  type Metric,
  type Row,
  rowId,
  type Tool,
} from './measurement.js';
import { type BenchResults, settingCell } from './report.js';
import { formatInt, formatLatency, formatRatio } from './number-format.js';
import { soakLine } from './soak-table.js';
import { BARE_UWS, storeSubject } from './servers.js';
import { OPEN_LOOP_RATES, openLoopSubject, OVERLOAD_RATE } from './sections/vegeta-section.js';

export const BLOCK_BEGIN =
  '<!-- bench:begin: generated from bench/results.json by npm run bench:render; do not edit -->';
export const BLOCK_END = '<!-- bench:end -->';

const REDIS = 'Redis INCR (redis-server, no persistence)';
const HOT_ROW = 'web store statement (hot-row UPDATE ... RETURNING)';

interface Comparison {
  /** Row id of the reference this row is divided by, round by round. */
  bottom: string;
  label: string;
}

interface Headline {
  what: string;
  row: string;
  versus?: Comparison[];
  /** Quote the row's p99 instead of a ratio. */
  p99?: boolean;
  /** Quote the row's p50 and p99, each against the reference's: latency is the figure (open loop). */
  latencyVersus?: Comparison;
}

const PG = 'PostgreSQL, coalescing';
const HZ = 'Hazelcast CP IAtomicLong, coalescing';
const testerAt = (label: string, workers: number, connections: number) =>
  rowId(storeSubject(label, workers), 'tester', connections);

const scaling = (what: string, label: string): Headline[] =>
  [10, 100].map((connections) => ({
    what: `${what}, WORKERS=4`,
    row: testerAt(label, 4, connections),
    versus: [{ bottom: testerAt(label, 1, connections), label: 'WORKERS=1' }],
  }));

const versus = (subject: string, tool: Tool, connections: number, label: string): Comparison => ({
  bottom: rowId(subject, tool, connections),
  label,
});

const HEADLINES: Headline[] = [
  { what: 'bare uWS counter (the baseline)', row: rowId(BARE_UWS, 'wrk', 10) },
  {
    what: 'ours, shared memory `flock`, WORKERS=2',
    row: rowId('ours: shm flock', 'wrk', 10),
    versus: [versus(BARE_UWS, 'wrk', 10, 'bare uWS'), versus(REDIS, 'redis-benchmark', 10, 'Redis')],
  },
  {
    what: 'ours, shared memory `atomic`, WORKERS=2',
    row: rowId('ours: shm atomic', 'wrk', 10),
    versus: [versus(BARE_UWS, 'wrk', 10, 'bare uWS'), versus(REDIS, 'redis-benchmark', 10, 'Redis')],
  },
  {
    what: 'ours, disk, WORKERS=2',
    row: rowId('ours: disk', 'wrk', 10),
    versus: [versus('ours: shm flock', 'wrk', 10, 'shm `flock`')],
  },
  { what: 'ours, shared memory `flock`', row: rowId('ours: shm flock', 'wrk', 1000), p99: true },
  { what: 'Redis `INCR`', row: rowId(REDIS, 'redis-benchmark', 10) },
  ...[1, 10, 100].map((connections) => ({
    what: 'our tester on the bare uWS counter',
    row: rowId(BARE_UWS, 'tester', connections),
    versus: [
      versus(BARE_UWS, 'wrk', connections, 'wrk'),
      versus(BARE_UWS, 'autocannon', connections, 'autocannon'),
    ],
  })),
  {
    what: 'wrk on the bare uWS counter',
    row: rowId(BARE_UWS, 'wrk', 1),
    versus: [versus(BARE_UWS, 'autocannon', 1, 'autocannon')],
  },
  {
    what: 'ours, PostgreSQL, coalescing, WORKERS=1',
    row: testerAt(PG, 1, 10),
    versus: [
      versus('ours: PostgreSQL, COALESCE=false', 'tester', 10, '`COALESCE=false`'),
      versus(HOT_ROW, 'pgbench', 10, 'pgbench hot row'),
    ],
  },
  {
    what: 'ours, Hazelcast, coalescing, WORKERS=1',
    row: testerAt(HZ, 1, 10),
    versus: [versus('atomic', 'tester', 10, 'tester `hazelcast --method atomic`')],
  },
  ...scaling('ours, PostgreSQL, coalescing', PG),
  ...scaling('ours, Hazelcast, coalescing', HZ),
  {
    what: 'ours, PostgreSQL, coalescing, WORKERS=1',
    row: testerAt(PG, 1, 100),
    versus: [{ bottom: testerAt('shm flock', 1, 100), label: 'shm `flock`, WORKERS=1' }],
  },
  ...[10, 1].map((connections) => ({
    what: 'tester `postgresql`, `inplace_update`',
    row: rowId('inplace_update', 'tester', connections),
    versus: [versus('inplace_update', 'pgbench', connections, 'pgbench, same SQL')],
  })),
  {
    what: 'tester `hazelcast`, `atomic`',
    row: rowId('atomic', 'tester', 10),
    versus: [versus('atomic', 'Java client', 10, 'the Java client')],
  },
  ...[...OPEN_LOOP_RATES, OVERLOAD_RATE].map((rate) => ({
    what: `tester \`web --rate ${rate}\`${rate === OVERLOAD_RATE ? ' (overload)' : ''}, bare uWS counter`,
    row: rowId(openLoopSubject(rate), 'tester', 50),
    latencyVersus: versus(openLoopSubject(rate), 'vegeta', 50, 'vegeta'),
  })),
];

/** Every row id the headlines quote: each must be one that a section of the bench declares. */
export const headlineRowIds = (): string[] =>
  HEADLINES.flatMap((h) => [
    h.row,
    ...[...(h.versus ?? []), ...(h.latencyVersus ? [h.latencyVersus] : [])].map((v) => v.bottom),
  ]);

/** "0.88x bare uWS [0.82–1.10x]": the median of per-round ratios and its interval, or their range. */
function comparison(row: Row, versus: Comparison, rows: Map<string, Row>, metric: Metric = 'rps'): string {
  const { bottom } = versus;
  // An anchor says which of its settings it ran with: "wrk -t1 (3 of 3)".
  const setting = settingCell(rows.get(bottom)?.samples ?? []);
  const label = setting ? `${versus.label} ${setting}` : versus.label;
  const ratio = computeRatio({ name: label, top: row.id, bottom, metric }, rows);
  if (ratio.value === null) return `${label}: not measured`;
  return `${formatRatio(ratio.value)} ${label}${roundBrackets(ratio.perRound)}`;
}

const medianOf = (values: Array<number | undefined>): number | undefined => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? median(known) : undefined;
};

/** "p50 1.0 ms (1.10x vegeta [..]), p99 ...": each percentile against the reference's, round by round. */
function latencyNote(row: Row, versus: Comparison, rows: Map<string, Row>): string {
  return (['p50Us', 'p99Us'] as const)
    .map((metric) => {
      const figure = formatLatency(medianOf(row.samples.map((s) => s[metric])));
      return `${metric.slice(0, 3)} ${figure} (${comparison(row, versus, rows, metric)})`;
    })
    .join(', ');
}

function headlineRow(headline: Headline, rows: Map<string, Row>): string {
  const row = rows.get(headline.row);
  // Results from before a row existed: the headline stays, and says so.
  if (!row) {
    const [, tool, connections] = headline.row.split(' | ');
    return `| ${headline.what} | ${tool} | ${connections} | not measured (not in this run's results) | |`;
  }
  const setting = settingCell(row.samples);
  const cells = [headline.what, setting ? `${row.tool} ${setting}` : row.tool, String(row.connections)];
  if (row.samples.length === 0) {
    return `| ${[...cells, `not measured (${row.notMeasured ?? 'unknown'})`, ''].join(' | ')} |`;
  }
  const rps = formatInt(median(row.samples.map((s) => s.rps)));
  let note: string;
  if (headline.p99) note = `p99 ${formatLatency(medianOf(row.samples.map((s) => s.p99Us)))}`;
  else if (headline.latencyVersus) note = latencyNote(row, headline.latencyVersus, rows);
  else note = (headline.versus ?? []).map((versus) => comparison(row, versus, rows)).join(', ');
  return `| ${[...cells, rps, note].join(' | ')} |`;
}

function memoryLine(results: BenchResults): string {
  const workers = results.memory.filter((m) => m.name.startsWith('largest server worker'));
  const tester = results.memory.find((m) => m.name.startsWith('tester'));
  const parts = [];
  if (workers.length) {
    const values = workers.flatMap((m) => m.valuesMb);
    parts.push(`server workers ${Math.min(...values)}–${Math.max(...values)} MB (limit ${workers[0].limitMb})`);
  }
  if (tester) parts.push(`the tester ${median(tester.valuesMb)} MB at 1000 clients (limit ${tester.limitMb})`);
  if (parts.length === 0) return 'Peak memory: not measured.';
  return `Peak memory (median over rounds for the tester): ${parts.join(', ')}.`;
}

function soakSummary({ soak }: BenchResults): string {
  if (!soak) return 'Soak: not measured.';
  const when = `${soak.date.slice(0, 10)} ${soak.date.slice(11, 16)} UTC`;
  const run = `${soak.minutes} minutes from ${when}, ${soak.clients} clients at full rate`;
  return `Soak (${run}; RSS slopes, plotted in \`bench/RESULTS.md\`): ${soakLine(soak)}.`;
}

/** The goal's ratios that the run's median misses, with their interval or range. */
function missedTargets(results: BenchResults): string[] {
  return results.ratios
    .filter((r) => r.target !== undefined && r.value !== null && !meetsTarget(r, r.value))
    .map((r) => {
      const target = `${lowerIsBetter(r) ? 'at most' : 'at least'} ${formatRatio(r.target)}`;
      return `- ${r.name}: ${formatRatio(r.value)}${roundBrackets(r.perRound)}, target ${target}`;
    });
}

export function renderReadmeBlock(results: BenchResults): string {
  const rows = new Map(results.rows.map((row) => [row.id, row]));
  const { environment: env, settings } = results;
  const postgresql = /PostgreSQL\) (\S+)/.exec(env.PostgreSQL ?? '')?.[1] ?? 'not measured';
  const when = `${results.date.slice(0, 10)} ${results.date.slice(11, 16)} UTC`;
  const rounds =
    settings.repeat > 1
      ? `medians of ${settings.repeat} rounds of ${settings.durationS} s; ` +
        `ratios are medians of per-round ratios, ${bracketsMeaning(settings.repeat)}`
      : `one round of ${settings.durationS} s`;
  const node = env.Node?.replace(/^v/, '') ?? 'not recorded';
  const machine = `${env.CPUs ?? 'CPUs not recorded'}, Node ${node}, PostgreSQL ${postgresql}`;
  return [
    BLOCK_BEGIN,
    `Headline rows (\`bench/RESULTS.md\`, ${results.mode} run of ${when}, ${machine}; ${rounds}):`,
    '',
    '| what | load | conns | RPS | ratio |',
    '|---|---|--:|--:|---|',
    ...HEADLINES.map((headline) => headlineRow(headline, rows)),
    '',
    memoryLine(results),
    '',
    soakSummary(results),
    '',
    'Targets the median misses:',
    '',
    ...missedTargets(results),
    BLOCK_END,
  ].join('\n');
}

/** docs/benchmarks.md's text with its block replaced; throws when the markers are missing. */
export function replaceReadmeBlock(readme: string, block: string): string {
  const begin = readme.indexOf(BLOCK_BEGIN);
  const end = readme.indexOf(BLOCK_END);
  if (begin < 0 || end < begin) throw new Error(`docs/benchmarks.md has no block between "${BLOCK_BEGIN}" and "${BLOCK_END}"`);
  return readme.slice(0, begin) + block + readme.slice(end + BLOCK_END.length);
}

/** The block as docs/benchmarks.md holds it now, markers included. */
export function currentReadmeBlock(readme: string): string | undefined {
  const begin = readme.indexOf(BLOCK_BEGIN);
  const end = readme.indexOf(BLOCK_END);
  return begin < 0 || end < begin ? undefined : readme.slice(begin, end + BLOCK_END.length);
}

export function updateReadme(readmePath: string, results: BenchResults): void {
  fs.writeFileSync(readmePath, replaceReadmeBlock(fs.readFileSync(readmePath, 'utf8'), renderReadmeBlock(results)));
}
