/**
 * Renders a run as Markdown (stdout and bench/RESULTS.md) and JSON (bench/results.json): one
 * table per section, each row next to its reference row, then the goal's ratios with their
 * targets, then memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { median } from '../tester/stats/statistics.js';
import {
  bracketsMeaning,
  lowerIsBetter,
  roundBrackets,
  meetsTarget,
  type MemoryFigure,
  type Ratio,
  type Row,
  type Sample,
  spread,
} from './measurement.js';
import { latencyTable } from './latency-table.js';
import { formatInt, formatLatency, formatRatio } from './number-format.js';
import { renderSoakPlot, SOAK_PLOT_FILE } from './soak-plot.js';
import type { SoakResult } from './soak-result.js';
import { soakTable } from './soak-table.js';

export interface BenchResults {
  date: string;
  mode: 'quick' | 'full';
  settings: { durationS: number; repeat: number; testerWarmupMs: number };
  environment: Record<string, string>;
  sections: SectionInfo[];
  rows: Row[];
  ratios: Ratio[];
  memory: MemoryFigure[];
  /** What each of our servers said it runs (GET /health). */
  storage: Record<string, string>;
  /** The soak section's run, when it ran (older results have none). */
  soak?: SoakResult;
  elapsedS: number;
}

export type SectionKind = 'latency' | 'soak';

export interface SectionInfo {
  title: string;
  refHeader: string;
  notes: string[];
  /** 'latency': open loop, tabled by its percentiles; 'soak': shows results.soak. Older results have no kind. */
  kind?: SectionKind;
  /** Lines under the table, from the section's rows once every round ran (older results have none). */
  summary?: string[];
  /** Set when the section ran by itself (`--only`) after the rest: when, and the load average then. */
  apart?: { date: string; only: string; loadBefore: string };
}

const pct = (n: number) => `${Math.round(n * 100)}%`;

/** Says whether the target holds, and whether every round agrees: one lucky median is not a result. */
function verdict(r: Ratio & { value: number; target: number }): string {
  const { value, perRound, target } = r;
  const reached = perRound.filter((v) => meetsTarget(r, v)).length;
  const rounds = `${reached} of ${perRound.length} rounds reach it`;
  const side = lowerIsBetter(r) ? 'above' : 'below';
  if (!meetsTarget(r, value))
    return ` — **${side} the ${target}x target**${perRound.length > 1 ? ` (${rounds})` : ''}`;
  if (perRound.length > 1 && reached < perRound.length)
    return ` — median meets the ${target}x target, but only ${rounds}: not settled`;
  return ` — meets the ${target}x target${perRound.length > 1 ? ' in every round' : ''}`;
}

function describeRatio(r: Ratio): string {
  let text = `${r.name}: **${formatRatio(r.value)}**`;
  text += roundBrackets(r.perRound);
  if (r.target !== undefined && r.value !== null) text += verdict({ ...r, value: r.value, target: r.target });
  if (r.value === null) text += ' (not measured)';
  if (r.why) text += ` — ${r.why}`;
  return `- ${text}`;
}

/** The row's median RPS divided by its reference row's, round by round. */
function refRatio(row: Row, rows: Map<string, Row>): number | null {
  const ref = row.refId && rows.get(row.refId);
  if (!ref) return null;
  const perRound = row.samples.flatMap((s) => {
    const other = ref.samples.find((r) => r.round === s.round);
    return other && other.rps > 0 ? [s.rps / other.rps] : [];
  });
  return perRound.length ? median(perRound) : null;
}

/** A method that promises nothing passes by definition: saying "pass" would sound like a clean bill. */
function passLabel(checked: Sample[]): string {
  return checked.every((s) => s.promisesExact === false) ? 'as designed (method promises nothing)' : 'pass';
}

/** Which setting an anchor ran with, round by round: "-t1 (3 of 3)", or "-t1 ×2, -t2 ×1". */
export function settingCell(samples: Sample[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) if (s.setting) counts.set(s.setting, (counts.get(s.setting) ?? 0) + 1);
  if (counts.size === 0) return '';
  if (counts.size === 1) return `${[...counts.keys()][0]} (${samples.length} of ${samples.length})`;
  return [...counts].map(([setting, n]) => `${setting} ×${n}`).join(', ');
}

function rowCells(row: Row, rows: Map<string, Row>): string[] {
  const head = [row.subject, row.tool, String(row.connections)];
  if (row.samples.length === 0) {
    return [...head, `not measured (${row.notMeasured ?? 'unknown'})`, '–', '–', '–', '', '–'];
  }
  const rps = row.samples.map((s) => s.rps);
  const errors = row.samples.reduce((sum, s) => sum + s.errorCount, 0);
  const p99s = row.samples.flatMap((s) => (s.p99Us === undefined ? [] : [s.p99Us]));
  let figure = formatInt(median(rps));
  if (errors > 0) figure += ` (${formatInt(errors)} errors)`;
  if (row.notMeasured) figure += ` (some rounds: ${row.notMeasured})`;
  const checked = row.samples.filter((s) => s.passed !== undefined);
  const check =
    checked.length === 0
      ? ''
      : checked.every((s) => s.passed)
        ? passLabel(checked)
        : `**FAIL**: ${checked.find((s) => !s.passed)!.verdict}`;
  return [
    ...head,
    figure,
    pct(spread(rps)),
    formatLatency(p99s.length ? median(p99s) : undefined),
    formatRatio(refRatio(row, rows)),
    settingCell(row.samples),
    check,
  ];
}

function sectionTable(section: SectionInfo, results: BenchResults, rows: Map<string, Row>): string[] {
  const { title, refHeader } = section;
  const own = results.rows.filter((row) => row.section === title);
  const heading = [`## ${title}`, '', ...apartLine(section)];
  if (section.kind === 'latency') return [...heading, ...latencyTable(own, rows, refHeader), ''];
  if (section.kind === 'soak') return [...heading, ...soakTable(results.soak)];
  return [
    ...heading,
    `| What | Load | Conns | RPS (median) | spread | p99 | ${refHeader} | setting | check |`,
    '|---|---|--:|--:|--:|--:|--:|---|---|',
    ...own.map((row) => `| ${rowCells(row, rows).join(' | ')} |`),
    '',
    ...(section.summary?.length ? [...section.summary, ''] : []),
  ];
}

function apartLine({ apart }: SectionInfo): string[] {
  if (!apart) return [];
  return [`Measured by itself on ${apart.date} (\`npm run bench -- --only ${apart.only}\`; load average before / after: ${apart.loadBefore}).`, ''];
}

function memoryTable(memory: MemoryFigure[]): string[] {
  if (memory.length === 0) return [];
  return [
    '## Peak memory (RSS)',
    '',
    '| What | median | max over rounds | limit |',
    '|---|--:|--:|--:|',
    ...memory.map((m) => {
      const worst = Math.max(...m.valuesMb);
      const exceeded = worst > m.limitMb ? ' **exceeded**' : '';
      return `| ${m.name} | ${median(m.valuesMb)} MB | ${worst} MB | ${m.limitMb} MB${exceeded} |`;
    }),
    '',
  ];
}

export function renderMarkdown(results: BenchResults): string {
  const rows = new Map(results.rows.map((row) => [row.id, row]));
  const { durationS, repeat, testerWarmupMs } = results.settings;
  return [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench${results.mode === 'quick' ? ' -- --quick' : ''}\` on ${results.date} (took ` +
      `${Math.round(results.elapsedS)} s).`,
    '',
    '| | |',
    '|---|---|',
    ...Object.entries(results.environment).map(([key, value]) => `| ${key} | ${value} |`),
    `| settings | ${durationS} s per measurement, ${repeat} round(s), median quoted; tester warm-up ` +
      `${testerWarmupMs} ms |`,
    '',
    'spread = (max − min) / median over the rounds. The ratio column divides each row by its reference row, ' +
      'round by round (both measured in the same round, minutes apart at most), and quotes the median; in the ' +
      `targets, ${bracketsMeaning(repeat)}. check = the ` +
      'tester\'s history check (exact count, distinct values, real-time order) in every round; "as designed" for a ' +
      'method that promises nothing (lost_update, no_lock), whose losses are the point. setting = the ' +
      'configuration an external anchor ran with, the best of those tried in each round (rounds that chose it).',
    '',
    '## Targets',
    '',
    ...results.ratios.map(describeRatio),
    '',
    ...results.sections.flatMap((section) => sectionTable(section, results, rows)),
    ...memoryTable(results.memory),
    ...(Object.keys(results.storage).length
      ? [
          '## What each server said it runs (GET /health)',
          '',
          ...Object.entries(results.storage).map(([label, text]) => `- ${label}: ${text}`),
          '',
        ]
      : []),
    '## How it was measured',
    '',
    ...results.sections.flatMap(({ notes }) => notes.map((note) => `- ${note}`)),
    '- The host is shared and has 2 cores: every load generator, server and database competes for them. Trust a ' +
      'ratio only as far as its per-round range and the spreads allow; results.json has every sample with its time ' +
      'and load average.',
    '',
  ].join('\n');
}

/**
 * The committed results with the sections of a run of some of them (`--only`) in their place,
 * each marked with when it ran. A section's ratios divide rows of its own rounds, so a section
 * measured apart stands on its own: a 30-minute soak, or the methods after a change to them.
 */
export function withSections(committed: BenchResults, fresh: BenchResults, only: string): BenchResults {
  const rerun = new Map(fresh.sections.map((section) => [section.title, section]));
  const apart = { date: fresh.date, only, loadBefore: fresh.environment['load average before / after'] ?? '' };
  const sections = [
    ...committed.sections.map((section) => (rerun.has(section.title) ? { ...rerun.get(section.title)!, apart } : section)),
    ...fresh.sections.filter((section) => !committed.sections.some((s) => s.title === section.title)).map((s) => ({ ...s, apart })),
  ];
  const rows = [...committed.rows.filter((row) => !rerun.has(row.section)), ...fresh.rows];
  // Each rerun section's new ratios where its old ones were listed, the rest in their order.
  const sectionOf = new Map([...committed.rows, ...fresh.rows].map((row) => [row.id, row.section]));
  const pending = new Map([...rerun.keys()].map((title) => [title, fresh.ratios.filter((r) => sectionOf.get(r.top) === title)]));
  const ratios = committed.ratios.flatMap((ratio) => {
    const title = sectionOf.get(ratio.top) ?? '';
    if (!rerun.has(title)) return [ratio];
    const placed = pending.get(title) ?? [];
    pending.delete(title);
    return placed;
  });
  ratios.push(...[...pending.values()].flat());
  return {
    ...committed,
    sections,
    rows,
    ratios,
    memory: [...committed.memory.filter((m) => !fresh.memory.some((f) => f.name === m.name)), ...fresh.memory],
    storage: { ...committed.storage, ...fresh.storage },
    ...((fresh.soak ?? committed.soak) && { soak: fresh.soak ?? committed.soak }),
  };
}

/** RESULTS.md and, beside it, the soak's plot that it shows (removed when the results have no soak). */
export function writeRendering(results: BenchResults, markdownPath: string): void {
  fs.writeFileSync(markdownPath, renderMarkdown(results));
  const plot = path.join(path.dirname(markdownPath), SOAK_PLOT_FILE);
  if (results.soak) fs.writeFileSync(plot, renderSoakPlot(results.soak));
  else fs.rmSync(plot, { force: true });
}

export function writeResults(results: BenchResults, markdownPath: string, jsonPath: string): void {
  writeRendering(results, markdownPath);
  fs.writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
}
