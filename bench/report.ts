/**
 * Turns raw samples into medians, spreads and ratios, and renders them as Markdown
 * (stdout and bench/RESULTS.md) and JSON (bench/results.json). Every speed figure is put
 * next to a reference measured in the same run: on a shared 2-core host only ratios mean much.
 */
import fs from 'node:fs';

export type Loader = 'wrk' | 'tester';
export const LOADERS: Loader[] = ['wrk', 'tester'];
export const CONNECTIONS = [1, 10] as const;

export interface Sample {
  round: number;
  /** When the sample ended (ISO time), to line it up with other logs on a shared host. */
  at?: string;
  rps: number;
  p99Us: number;
  /** Failed calls (wrk: socket errors and non-2xx; tester: every error kind). */
  errorCount: number;
  /** One-minute load average right after the sample: how busy the shared host was. */
  load1?: number;
  /** Tester only: the history check passed (exact count, distinct values, real-time order). */
  passed?: boolean;
  /** Tester only: the checker's one-line verdict, which says what failed. */
  verdict?: string;
}

export interface Cell {
  serverId: string;
  loader: Loader;
  connections: number;
  samples: Sample[];
  /**
   * The reference (bare uWS) measured with the same load generator and connections just
   * before each sample, same round: on a shared host only a ratio taken seconds apart holds.
   */
  refSamples?: Sample[];
  /** Why some or all rounds have no sample, e.g. "install wrk". */
  notMeasured?: string;
}

export interface CellSummary {
  medianRps: number;
  /** (max - min) / median over the rounds. */
  spread: number;
  medianP99Us: number;
  errorCount: number;
  /** Tester cells: every round's history check passed. */
  allPassed?: boolean;
  /** Median over rounds of sample / adjacent reference sample, when refSamples exist. */
  pairedRatio?: number;
  pairedRatios?: number[];
}

export interface ServerInfo {
  id: string;
  label: string;
  workers: number;
  /** What our server said it runs (GET /health), once per distinct answer. */
  storage?: string[];
}

export interface Ratio {
  name: string;
  /** Ratio of the two medians. */
  value: number | null;
  /** The same ratio within each round (both sides measured minutes apart at most). */
  perRound: number[];
  /** The ratio the goal asks for, if any. */
  target?: number;
  why?: string;
}

export interface BenchResults {
  date: string;
  mode: 'quick' | 'full';
  settings: { durationS: number; repeat: number; serverWarmupS: number; testerWarmupMs: number };
  environment: Record<string, string | number>;
  servers: ServerInfo[];
  cells: Array<Cell & { summary: CellSummary | null }>;
  ratios: Ratio[];
  notes: string[];
  elapsedS: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** sample / reference, round by round, for the rounds that have both. */
function perRoundRatios(top: Sample[], bottom: Sample[]): number[] {
  const ratios: number[] = [];
  for (const s of top) {
    const other = bottom.find((t) => t.round === s.round);
    if (other && other.rps > 0) ratios.push(s.rps / other.rps);
  }
  return ratios;
}

export function summarize(cell: Cell): CellSummary | null {
  if (cell.samples.length === 0) return null;
  const rps = cell.samples.map((s) => s.rps);
  const medianRps = median(rps);
  const paired = cell.refSamples ? perRoundRatios(cell.samples, cell.refSamples) : [];
  return {
    ...(paired.length > 0 ? { pairedRatio: median(paired), pairedRatios: paired } : {}),
    medianRps,
    spread: medianRps > 0 ? (Math.max(...rps) - Math.min(...rps)) / medianRps : 0,
    medianP99Us: median(cell.samples.map((s) => s.p99Us)),
    errorCount: cell.samples.reduce((sum, s) => sum + s.errorCount, 0),
    allPassed: cell.loader === 'tester' ? cell.samples.every((s) => s.passed) : undefined,
  };
}

/** numerator / denominator, as a ratio of medians and round by round. */
export function ratio(name: string, top: Cell | undefined, bottom: Cell | undefined, extra: Partial<Ratio> = {}): Ratio {
  const a = top && summarize(top);
  const b = bottom && summarize(bottom);
  const perRound = perRoundRatios(top?.samples ?? [], bottom?.samples ?? []);
  return { name, value: a && b && b.medianRps > 0 ? a.medianRps / b.medianRps : null, perRound, ...extra };
}

/** A cell against the reference measured just before each of its samples (see Cell.refSamples). */
export function pairedRatio(name: string, cell: Cell, extra: Partial<Ratio> = {}): Ratio {
  const summary = summarize(cell);
  return { name, value: summary?.pairedRatio ?? null, perRound: summary?.pairedRatios ?? [], ...extra };
}

/**
 * top / bottom with each first divided by its own paired reference: two servers measured
 * minutes apart are compared through a reference taken seconds before each of them.
 */
export function normalizedRatio(name: string, top: Cell, bottom: Cell, extra: Partial<Ratio> = {}): Ratio {
  const a = summarize(top);
  const b = summarize(bottom);
  const perRound: number[] = [];
  for (const r of a?.pairedRatios ? top.samples.map((s) => s.round) : []) {
    const ta = pairedAt(top, r);
    const tb = pairedAt(bottom, r);
    if (ta !== undefined && tb !== undefined && tb > 0) perRound.push(ta / tb);
  }
  const value = a?.pairedRatio !== undefined && b?.pairedRatio ? a.pairedRatio / b.pairedRatio : null;
  return { name, value, perRound, ...extra };
}

function pairedAt(cell: Cell, round: number): number | undefined {
  const s = cell.samples.find((t) => t.round === round);
  const ref = cell.refSamples?.find((t) => t.round === round);
  return s && ref && ref.rps > 0 ? s.rps / ref.rps : undefined;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${Math.round(n * 100)}%`;
const x = (n: number | null | undefined) => (n === null || n === undefined ? '–' : `${n.toFixed(2)}x`);

function latency(us: number): string {
  if (us >= 10_000) return `${(us / 1000).toFixed(0)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(1)} ms`;
  return `${Math.round(us)} µs`;
}

/** Says whether the target holds, and whether every round agrees: one lucky median is not a result. */
function verdict(value: number, perRound: number[], target: number): string {
  const reached = perRound.filter((r) => r >= target).length;
  const rounds = `${reached} of ${perRound.length} rounds reach it`;
  if (value < target) return ` — **below the ${target}x target**${perRound.length > 1 ? ` (${rounds})` : ''}`;
  if (perRound.length > 1 && reached < perRound.length) return ` — median meets the ${target}x target, but only ${rounds}: not settled`;
  return ` — meets the ${target}x target${perRound.length > 1 ? ' in every round' : ''}`;
}

function describeRatio(r: Ratio): string {
  let text = `${r.name}: **${x(r.value)}**`;
  if (r.perRound.length > 1) text += ` (per round ${x(Math.min(...r.perRound))}–${x(Math.max(...r.perRound))})`;
  if (r.target !== undefined && r.value !== null) text += verdict(r.value, r.perRound, r.target);
  if (r.value === null) text += ' (not measured)';
  if (r.why) text += ` — ${r.why}`;
  return `- ${text}`;
}

/** The main table: one row per server and connection count, wrk and tester side by side. */
export function renderTable(results: BenchResults): string {
  const find = (serverId: string, loader: Loader, connections: number) =>
    results.cells.find((c) => c.serverId === serverId && c.loader === loader && c.connections === connections);
  const lines = [
    '| Server | Workers | Conns | wrk RPS | spread | × bare uWS | wrk p99 | tester RPS | spread | × bare uWS | tester p99 | tester/wrk |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const server of results.servers) {
    for (const connections of CONNECTIONS) {
      const parts: string[] = [server.label, String(server.workers), String(connections)];
      const medians: Record<string, number | undefined> = {};
      for (const loader of LOADERS) {
        const cell = find(server.id, loader, connections);
        const summary = cell?.summary;
        if (!summary) {
          parts.push(`not measured (${cell?.notMeasured ?? 'unknown'})`, '–', '–', '–');
          continue;
        }
        medians[loader] = summary.medianRps;
        const base = find('bare-uws', loader, connections)?.summary;
        let rps = int(summary.medianRps);
        if (summary.errorCount > 0) rps += ` (${int(summary.errorCount)} errors)`;
        if (summary.allPassed === false) rps += ' (check FAILED)';
        if (cell?.notMeasured) rps += ` (some rounds: ${cell.notMeasured})`;
        // Paired (†) where the reference was measured right before; otherwise a ratio of medians.
        const times = summary.pairedRatio !== undefined ? `${x(summary.pairedRatio)}†` : base ? x(summary.medianRps / base.medianRps) : '–';
        parts.push(rps, pct(summary.spread), times, latency(summary.medianP99Us));
      }
      parts.push(medians.wrk && medians.tester ? x(medians.tester / medians.wrk) : '–');
      lines.push(`| ${parts.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** Tester runs whose history check failed, with the checker's verdict: a speed is no use if it counts wrong. */
function failures(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const cell of results.cells) {
    for (const s of cell.samples) {
      if (s.passed === false) lines.push(`- ${cell.serverId}, ${cell.connections} connection(s), round ${s.round}: ${s.verdict ?? 'check failed'}`);
    }
  }
  return lines.length ? ['## Failed checks', '', ...lines, ''] : [];
}

function serverList(results: BenchResults): string[] {
  const described = results.servers.filter((s) => s.storage?.length);
  if (described.length === 0) return [];
  return ['## What each server said it runs (GET /health)', '', ...described.map((s) => `- ${s.id}: ${s.storage!.join('; ')}`), ''];
}

export function renderMarkdown(results: BenchResults): string {
  const env = results.environment;
  const { durationS, repeat, serverWarmupS, testerWarmupMs } = results.settings;
  return [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench${results.mode === 'quick' ? ' -- --quick' : ''}\` on ${results.date} (took ${Math.round(results.elapsedS)} s).`,
    '',
    '| | |',
    '|---|---|',
    ...Object.entries(env).map(([key, value]) => `| ${key} | ${value} |`),
    `| settings | ${durationS} s per measurement, ${repeat} round(s), median quoted; ${serverWarmupS} s server warm-up, ${testerWarmupMs} ms tester warm-up |`,
    '',
    '## Requests per second (POST /inc)',
    '',
    renderTable(results),
    '',
    'spread = (max − min) / median over the rounds. × bare uWS: same load generator and connection count; † = paired, the median over rounds of this sample / a reference bare uWS counter (kept running all along) measured just before it; unmarked = this median / the bare uWS row\'s median (the same rounds, minutes apart).',
    '',
    ...failures(results),
    '## Key ratios',
    '',
    ...results.ratios.map(describeRatio),
    '',
    ...serverList(results),
    '## How it was measured, and what to keep in mind',
    '',
    ...results.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}

export function writeResults(results: BenchResults, markdownPath: string, jsonPath: string): string {
  const markdown = renderMarkdown(results);
  fs.writeFileSync(markdownPath, markdown);
  fs.writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
  return markdown;
}
