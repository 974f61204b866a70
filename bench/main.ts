#!/usr/bin/env node
/**
 * npm run bench [-- --quick] [-- --repeat N] [-- --only SECTIONS] [-- --soak-minutes N]
 *
 * One run measures every section (servers, stores × WORKERS, PostgreSQL methods, Hazelcast
 * methods, open-loop latency against vegeta) in rounds, each against a well-known reference
 * measured in the same round, then the soak (memory over minutes at full rate) once, and writes
 * bench/RESULTS.md and bench/results.json. The host is small (2 cores) and shared, so what we
 * claim are ratios, never absolute speeds on their own.
 */
import { useProjectPostgresUnlessSet } from '../tester/harness/project-postgres.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileJavaClient } from './hazelcast/java-client.js';
import { computeRatio } from './measurement.js';
import { defaultRounds } from '../tester/stats/statistics.js';
import { updateReadme } from './readme-block.js';
import { Recorder } from './recorder.js';
import { type BenchResults, renderMarkdown, type SectionInfo, withSections, writeResults } from './report.js';
import { hazelcastSection } from './sections/hazelcast-section.js';
import { postgresqlSection } from './sections/postgresql-section.js';
import { type BenchContext, type Section } from './sections/section.js';
import { serversSection } from './sections/servers-section.js';
import { SOAK_MINUTES, soakSection } from './sections/soak-section.js';
import { vegetaSection } from './sections/vegeta-section.js';
import { workersSection } from './sections/workers-section.js';
import { buildFingerprint, makeStorageDir, snapshotBuild, sourceVersion } from './servers.js';
import { autocannonVersion } from './tools/autocannon.js';
import { type Availability, ensureTool } from './tools/external-tool.js';
import { TESTER_WARMUP_MS } from './tools/tester-cli.js';
import { ensureVegeta } from './tools/vegeta.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODES = {
  quick: { durationS: 1, repeat: 1 },
  // As many rounds as `tester compare`: the fewest that give every median a 95% interval.
  full: { durationS: 2, repeat: defaultRounds() },
};

const log = (line: string) => console.error(`bench: ${line}`);

const SECTION_NAMES = ['servers', 'workers', 'postgresql', 'hazelcast', 'vegeta', 'soak'] as const;
type SectionName = (typeof SECTION_NAMES)[number];

function usageError(message: string): never {
  // One line: parseArgs' own messages run over several.
  console.error(`bench: ${message.replace(/\s*\n\s*/g, ' ')}`);
  process.exit(2);
}

interface Options {
  quick: boolean;
  repeat: number;
  only: SectionName[] | undefined;
  soakMinutes: number;
}

function parseOptions(): Options {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        repeat: { type: 'string' },
        only: { type: 'string' },
        'soak-minutes': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usageError(`${(err as Error).message}; see npm run bench -- --help`);
  }
  if (values.help) {
    console.log(
      'usage: npm run bench [-- --quick] [-- --repeat N] [-- --only SECTIONS] [-- --soak-minutes N]\n' +
        `  --quick          1 s per measurement, 1 round, a ${SOAK_MINUTES.quick}-minute soak (about 8 minutes)\n` +
        `  --repeat N       rounds (default ${MODES.full.repeat}, or 1 with --quick); the median is quoted\n` +
        `  --only SECTIONS  comma-separated, of ${SECTION_NAMES.join(', ')}: their rows replace the committed\n` +
        '                   ones in bench/RESULTS.md, marked with when they ran; the other sections stay\n' +
        `  --soak-minutes N how long the soak runs: a positive number (default ${SOAK_MINUTES.full}, or ` +
        `${SOAK_MINUTES.quick} with --quick)`,
    );
    process.exit(0);
  }
  const only = values.only?.split(',') as SectionName[] | undefined;
  const unknown = only?.find((name) => !SECTION_NAMES.includes(name));
  if (only !== undefined && (unknown !== undefined || only.length === 0))
    usageError(`--only ${values.only} is invalid: use one or more of ${SECTION_NAMES.join(', ')}, comma-separated`);
  const quick = values.quick ?? false;
  const repeat = values.repeat === undefined ? MODES[quick ? 'quick' : 'full'].repeat : Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 50)
    usageError(`--repeat ${values.repeat} is invalid: use a whole number from 1 to 50`);
  return { quick, repeat, only, soakMinutes: soakMinutes(values['soak-minutes'], quick, only) };
}

function soakMinutes(text: string | undefined, quick: boolean, only: SectionName[] | undefined): number {
  if (text === undefined) return SOAK_MINUTES[quick ? 'quick' : 'full'];
  if (only && !only.includes('soak'))
    usageError(`--soak-minutes is for the soak section, which --only ${only.join(',')} leaves out`);
  // Number('') is 0 and Number(' 2 ') is 2: only a plain decimal is a number of minutes.
  const minutes = /^\d*\.?\d+$/.test(text) ? Number(text) : NaN;
  if (!(minutes > 0)) usageError(`--soak-minutes ${text} is invalid: use a positive number of minutes, e.g. 3 or 0.5`);
  return minutes;
}

function commandLine(file: string, args: string[]): string | undefined {
  try {
    return execFileSync(file, args, { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

/**
 * A service the tests also use, through its script: up already, or started when we may (root),
 * or reported as not measured with the script's own words.
 */
function ensureService(script: string): Availability {
  const file = path.join(ROOT, 'scripts', script);
  const status = commandLine('bash', [file, 'status']);
  if (status) return { version: status };
  if (process.getuid?.() === 0) {
    log(`bash scripts/${script} start`);
    commandLine('bash', [file, 'start']);
    const started = commandLine('bash', [file, 'status']);
    if (started) return { version: started };
  }
  return { missing: `not running: start it with bash scripts/${script} start` };
}

function environment(
  ctx: BenchContext,
  measured: string,
  treeNote: string,
  loadBefore: string,
): Record<string, string> {
  const text = (a: Availability | object) =>
    'version' in a ? a.version : 'missing' in a ? `not measured (${a.missing})` : 'compiled';
  const load = () =>
    os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  return {
    CPUs: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    Node: process.version,
    OS: `${os.type()} ${os.release()}`,
    'server source': sourceVersion(),
    'build measured':
      `${measured} (a copy of dist/ and build/Release taken at the start; ` +
      `the working tree's build was ${treeNote})`,
    PostgreSQL:
      'version' in ctx.services.postgresql
        ? (commandLine('psql', ['--version']) ?? 'psql not found') + `; ${ctx.services.postgresql.version}`
        : text(ctx.services.postgresql),
    Hazelcast: text(ctx.services.hazelcast),
    wrk: text(ctx.tools.wrk),
    autocannon: text(ctx.tools.autocannon),
    'redis-benchmark': text(ctx.tools.redis),
    pgbench: text(ctx.tools.pgbench),
    vegeta: text(ctx.tools.vegeta),
    'Java client':
      'classPath' in ctx.tools.java ? (commandLine('javac', ['-version']) ?? 'javac') : text(ctx.tools.java),
    'disk store file system': `${commandLine('stat', ['-f', '-c', '%T', os.tmpdir()]) ?? 'unknown'} (${os.tmpdir()})`,
    'load average before / after': `${loadBefore} / ${load()}`,
  };
}

async function main(): Promise<void> {
  const startedMs = Date.now();
  useProjectPostgresUnlessSet();
  const { quick, repeat, only, soakMinutes } = parseOptions();
  const { durationS } = MODES[quick ? 'quick' : 'full'];
  const loadBefore = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  const storageDir = makeStorageDir();
  const snapshot = snapshotBuild();
  // Sync removal works in an exit handler: no temp copies left behind, even after a crash.
  // Ctrl-C or a kill would otherwise skip every exit hook: temp copies and server children would stay.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  process.on('exit', () => {
    snapshot.cleanup();
    fs.rmSync(storageDir, { recursive: true, force: true });
  });
  const treeBefore = buildFingerprint();
  const measured = buildFingerprint(snapshot.root);

  const services = { postgresql: ensureService('postgres.sh'), hazelcast: ensureService('hazelcast.sh') };
  const tools = {
    wrk: ensureTool('wrk', ['-v'], 'wrk', log),
    autocannon: autocannonVersion(),
    redis: ensureTool('redis-benchmark', ['--version'], 'redis-server', log),
    pgbench: ensureTool('pgbench', ['--version'], 'postgresql-client', log),
    java: await compileJavaClient(ROOT),
    vegeta: ensureVegeta(ROOT, log),
  };
  const recorder = new Recorder(log);
  const ctx: BenchContext = { root: snapshot.root, sourceRoot: ROOT, durationS, recorder, log, tools, services };
  // Sections declare their rows when built: build only the ones that run.
  const build: Record<SectionName, () => Section> = {
    servers: () => serversSection(ctx, storageDir),
    workers: () => workersSection(ctx, storageDir),
    postgresql: () => postgresqlSection(ctx),
    hazelcast: () => hazelcastSection(ctx),
    vegeta: () => vegetaSection(ctx),
    soak: () => soakSection(ctx, storageDir, { minutes: soakMinutes }),
  };
  // Table order, whatever order --only names them in.
  const sections = SECTION_NAMES.filter((name) => !only || only.includes(name)).map((name) => build[name]());

  log(`${recorder.rows.size} rows, ${durationS} s each, ${repeat} round(s)`);
  for (let round = 1; round <= repeat; round++) {
    for (const section of sections.filter((s) => round === 1 || !s.once)) {
      log(`round ${round}/${repeat}: ${section.title} (${Math.round((Date.now() - startedMs) / 1000)} s so far)`);
      await section.run(round);
    }
  }

  const treeAfter = buildFingerprint();
  const treeNote =
    treeBefore === treeAfter ? 'unchanged during the run' : `rebuilt during the run (${treeBefore} → ${treeAfter})`;
  const results: BenchResults = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    settings: { durationS, repeat, testerWarmupMs: TESTER_WARMUP_MS },
    environment: environment(ctx, measured, treeNote, loadBefore),
    sections: sections.map(sectionInfo),
    rows: [...recorder.rows.values()],
    ratios: sections.flatMap((section) => section.ratios.map((spec) => computeRatio(spec, recorder.rows))),
    memory: recorder.memory,
    storage: Object.fromEntries(sections.flatMap((section) => [...(section.storage ?? [])])),
    ...(recorder.soak && { soak: recorder.soak }),
    elapsedS: (Date.now() - startedMs) / 1000,
  };
  console.log(renderMarkdown(results));
  const took = Math.round(results.elapsedS);
  // A partial run replaces only its own sections (marked as run apart) in the committed results.
  if (only) {
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results.json'), 'utf8')) as BenchResults;
    const { mode, settings } = committed;
    if (mode !== results.mode || settings.repeat !== repeat) {
      return log(`--only ${only.join(',')}: done in ${took} s; printed only: bench/RESULTS.md holds a ${mode} run of ${settings.repeat} round(s)`);
    }
    write(withSections(committed, results, only.join(',')));
    return log(`--only ${only.join(',')}: done in ${took} s; its sections replaced theirs in bench/RESULTS.md`);
  }
  write(results);
  log(`done in ${took} s`);
}

function sectionInfo({ title, refHeader, notes, kind, summarize }: Section): SectionInfo {
  return { title, refHeader, notes, ...(kind && { kind }), ...(summarize && { summary: summarize() }) };
}

function write(results: BenchResults): void {
  writeResults(results, path.join(ROOT, 'bench/RESULTS.md'), path.join(ROOT, 'bench/results.json'));
  updateReadme(path.join(ROOT, 'docs/benchmarks.md'), results);
  log('wrote bench/RESULTS.md (with bench/soak.svg), bench/results.json and docs/benchmarks.md\'s figures');
}

await main();
