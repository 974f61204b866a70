#!/usr/bin/env node
/**
 * npm run bench [-- --quick] [-- --repeat N]
 *
 * One run measures every server of servers.ts with wrk and with our tester at 1 and 10
 * connections, repeats it in rounds, and writes bench/RESULTS.md and bench/results.json.
 * The host is small (2 cores) and shared, so what we report are ratios between servers
 * measured in the same run, never absolute speeds on their own.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from '../tester/load/run-load.js';
import {
  type BenchResults,
  type Cell,
  CONNECTIONS,
  type Loader,
  normalizedRatio,
  pairedRatio,
  type Ratio,
  ratio,
  renderMarkdown,
  type Sample,
  summarize,
  writeResults,
} from './report.js';
import {
  buildFingerprint,
  describeServer,
  makeStorageDir,
  type RunningServer,
  type ServerSpec,
  serverSpecs,
  snapshotBuild,
  sourceVersion,
  startServer,
} from './servers.js';
import { ensureWrk, runWrk } from './wrk.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HOST = '127.0.0.1';
const SERVER_WARMUP_S = 1;
const TESTER_WARMUP_MS = 300;

const log = (line: string) => console.error(`bench: ${line}`);

function parseOptions(): { quick: boolean; repeat: number } {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, repeat: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log('usage: npm run bench [-- --quick] [-- --repeat N]\n  --quick     2 s per measurement, 1 round (about 3 minutes)\n  --repeat N  rounds (default 3, or 1 with --quick)');
    process.exit(0);
  }
  const repeat = values.repeat === undefined ? (values.quick ? 1 : 3) : Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 50) {
    console.error(`bench: --repeat ${values.repeat} is invalid: use a whole number from 1 to 50`);
    process.exit(2);
  }
  return { quick: values.quick ?? false, repeat };
}

function commandLine(file: string, args: string[]): string | undefined {
  try {
    return execFileSync(file, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}

async function pgQuery<T>(sql: string): Promise<T[]> {
  const { PgConnection, readPostgresConfig } = await import('../counters/postgresql/connection.js');
  const connection = await PgConnection.open(readPostgresConfig({ ...process.env, DB_HOST: HOST }));
  try {
    return await connection.query<T>(sql);
  } finally {
    await connection.close();
  }
}

/** When the PostgreSQL server last started: a change between the start and the end means it was restarted mid-run. */
async function pgStartTime(): Promise<string | undefined> {
  try {
    const rows = await pgQuery<{ started: string }>('SELECT pg_postmaster_start_time()::text AS started');
    return rows[0].started;
  } catch {
    return undefined;
  }
}

/**
 * The server's own version (SELECT version()), or why PostgreSQL cannot be measured. As
 * root, starts the local server with scripts/postgres.sh first, as the tests do.
 */
async function postgresVersion(): Promise<{ version: string } | { missing: string }> {
  const query = async () => (await pgQuery<{ version: string }>('SELECT version()'))[0].version.split(' on ')[0];
  try {
    return { version: await query() };
  } catch (first) {
    if (process.getuid?.() === 0) {
      log('PostgreSQL is not reachable: bash scripts/postgres.sh start');
      commandLine('bash', [path.join(ROOT, 'scripts/postgres.sh'), 'start']);
      try {
        return { version: await query() };
      } catch {
        // Fall through with the first error, the one the operator can act on.
      }
    }
    return { missing: `PostgreSQL unreachable: ${(first as Error).message.split(';')[0]}` };
  }
}

async function measureTester(port: number, connections: number, durationS: number): Promise<Omit<Sample, 'round'>> {
  const result = await runLoad({
    spec: { backend: 'web', targets: [{ host: HOST, port }], timeoutMs: 10_000 },
    clientCount: connections,
    callsPerClient: 1,
    durationMs: durationS * 1000,
    warmupMs: TESTER_WARMUP_MS,
  });
  const errorCount = Object.values(result.errors).reduce((sum, n) => sum + (n ?? 0), 0);
  return { rps: result.rps, p99Us: result.latency.p99Us, errorCount, passed: result.passed, verdict: result.verdict };
}

async function measureWrk(port: number, connections: number, durationS: number): Promise<Omit<Sample, 'round'>> {
  // wrk's usual shape: one thread for one connection, two threads (one per core) for ten.
  const result = await runWrk({ url: `http://${HOST}:${port}/inc`, threads: connections === 1 ? 1 : 2, connections, durationS });
  return { rps: result.rps, p99Us: result.p99Us, errorCount: result.errorCount };
}

async function main(): Promise<void> {
  const startedMs = Date.now();
  const { quick, repeat } = parseOptions();
  const durationS = quick ? 2 : 5;
  const storageDir = makeStorageDir();
  const snapshot = snapshotBuild();
  // Sync removal works in an exit handler: no temp copies left behind, even after a crash.
  process.on('exit', () => {
    snapshot.cleanup();
    fs.rmSync(storageDir, { recursive: true, force: true });
  });
  const specs = serverSpecs(snapshot.root, storageDir);

  const wrk = ensureWrk(log);
  const postgres = await postgresVersion();
  const pgStartedBefore = await pgStartTime();
  const autocannonInstalled = fs.existsSync(path.join(ROOT, 'node_modules/autocannon/package.json'));
  const treeBefore = buildFingerprint();
  const measured = buildFingerprint(snapshot.root);
  const storageSeen = new Map<string, Set<string>>();
  const loadBefore = os.loadavg().map((n) => n.toFixed(2)).join(' ');

  const cells: Cell[] = specs.flatMap((spec) =>
    (['wrk', 'tester'] as Loader[]).flatMap((loader) => CONNECTIONS.map((connections) => ({ serverId: spec.id, loader, connections, samples: [] }))),
  );
  const cellOf = (serverId: string, loader: Loader, connections: number) =>
    cells.find((c) => c.serverId === serverId && c.loader === loader && c.connections === connections)!;
  const markAll = (spec: ServerSpec, why: string) => {
    for (const cell of cells) if (cell.serverId === spec.id) cell.notMeasured ??= why;
  };
  if ('missing' in wrk) for (const cell of cells) if (cell.loader === 'wrk') cell.notMeasured = wrk.missing;

  const estimateS = repeat * specs.length * (2 * (CONNECTIONS.length + 1) * durationS + 4);
  log(`${specs.length} servers x 2 load generators x ${CONNECTIONS.length} connection counts (+ a paired reference at 10), ${durationS} s each, ${repeat} round(s): about ${Math.ceil(estimateS / 60)} min`);

  // The paired reference: a bare uWS counter up for the whole run, measured right before
  // every 10-connection measurement of another server, so the key ratios compare figures
  // taken seconds apart rather than minutes apart on a host shared with other work.
  const reference = await startServer(specs[0]);
  const measure = (port: number, loader: Loader, connections: number) =>
    loader === 'wrk' ? measureWrk(port, connections, durationS) : measureTester(port, connections, durationS);
  try {
    await warmUp(reference.port, 'version' in wrk);
    // The tester runs in this process: without this, the first server it loads (the bare uWS
    // row) would meet a cold JIT and every tester ratio against it would be inflated.
    log('warming up the in-process tester');
    for (const connections of CONNECTIONS) await measureTester(reference.port, connections, durationS / 2);

    // Rounds go over every server, so a noisy neighbour during one minute hits all servers alike.
    for (let round = 1; round <= repeat; round++) {
      for (const spec of specs) {
        if (spec.needsPostgres && 'missing' in postgres) {
          markAll(spec, postgres.missing);
          continue;
        }
        let server: RunningServer;
        try {
          server = await startServer(spec);
        } catch (err) {
          log(`round ${round}: ${(err as Error).message}`);
          markAll(spec, `did not start: ${(err as Error).message.split('\n')[0]}`);
          continue;
        }
        try {
          const storage = await describeServer(server.port);
          if (storage) storageSeen.set(spec.id, (storageSeen.get(spec.id) ?? new Set()).add(storage));
          await warmUp(server.port, 'version' in wrk);
          // Alternate which load generator goes first, so neither always meets a server that just ran hot.
          const loaders: Loader[] = round % 2 === 1 ? ['wrk', 'tester'] : ['tester', 'wrk'];
          for (const loader of loaders) {
            if (loader === 'wrk' && 'missing' in wrk) continue;
            for (const connections of CONNECTIONS) {
              const cell = cellOf(spec.id, loader, connections);
              const paired = connections === 10 && spec !== specs[0];
              try {
                const ref = paired ? await measure(reference.port, loader, connections) : undefined;
                const sample = await measure(server.port, loader, connections);
                const load1 = Number(os.loadavg()[0].toFixed(2));
                const at = new Date().toISOString();
                cell.samples.push({ round, at, ...sample, load1 });
                if (ref) (cell.refSamples ??= []).push({ round, at, ...ref, load1 });
                const vsRef = ref ? ` (${(sample.rps / ref.rps).toFixed(2)}x the reference's ${Math.round(ref.rps)} just before)` : '';
                log(`round ${round}/${repeat} ${spec.id} ${loader} c${connections}: ${Math.round(sample.rps)} rps${vsRef}, p99 ${sample.p99Us} µs${sample.errorCount ? `, ${sample.errorCount} errors` : ''}, load ${load1}`);
              } catch (err) {
                const serverSaid = server.lastOutput();
                const why = (err as Error).message.split('\n')[0] + (serverSaid ? ` (server: ${serverSaid})` : '');
                log(`round ${round}/${repeat} ${spec.id} ${loader} c${connections} at ${new Date().toISOString()}: ${why}`);
                cell.notMeasured ??= `failed: ${why}`;
              }
            }
          }
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await reference.stop();
  }

  const treeAfter = buildFingerprint();
  const treeNote =
    treeBefore === treeAfter
      ? 'unchanged during the run'
      : `rebuilt during the run (${treeBefore} → ${treeAfter}); every row still ran the snapshot taken at the start`;
  if (treeBefore !== treeAfter) log(`dist/ was ${treeNote}`);
  const pgStartedAfter = 'version' in postgres ? await pgStartTime() : undefined;
  const pgRestarts =
    pgStartedBefore === pgStartedAfter
      ? `none (up since ${pgStartedBefore})`
      : `**restarted during the run** (up since ${pgStartedBefore}, then since ${pgStartedAfter ?? 'unreachable at the end'}): PostgreSQL rows around that time are suspect`;
  const storageFs = commandLine('stat', ['-f', '-c', '%T', os.tmpdir()]) ?? 'unknown';
  const results: BenchResults = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    settings: { durationS, repeat, serverWarmupS: SERVER_WARMUP_S, testerWarmupMs: TESTER_WARMUP_MS },
    environment: {
      CPUs: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
      Node: process.version,
      'server source': sourceVersion(),
      'server build measured': `${measured}: a copy of dist/ and build/Release taken at the start; the working tree's build was ${treeNote}`,
      OS: `${os.type()} ${os.release()}`,
      PostgreSQL: 'version' in postgres ? `${postgres.version} (server); ${commandLine('psql', ['--version']) ?? 'psql not found'}` : `not measured (${postgres.missing})`,
      'PostgreSQL restarts': 'version' in postgres ? pgRestarts : 'not measured',
      wrk: 'version' in wrk ? wrk.version : `not measured (${wrk.missing})`,
      autocannon: autocannonInstalled ? 'installed, but not wired into this bench yet: not measured' : 'not measured (not installed)',
      'disk store file system': `${storageFs} (${os.tmpdir()})`,
      'load average before / after': `${loadBefore} / ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`,
    },
    servers: specs.map(({ id, label, workers }) => ({ id, label, workers, storage: [...(storageSeen.get(id) ?? [])] })),
    cells: cells.map((cell) => ({ ...cell, summary: summarize(cell) })),
    ratios: keyRatios(cellOf),
    notes: notes(os.cpus().length),
    elapsedS: (Date.now() - startedMs) / 1000,
  };
  writeResults(results, path.join(ROOT, 'bench/RESULTS.md'), path.join(ROOT, 'bench/results.json'));
  console.log(renderMarkdown(results));
  log(`wrote bench/RESULTS.md and bench/results.json in ${Math.round(results.elapsedS)} s`);
}

/** A fresh process: let the JIT and the store settle before anything is recorded. */
async function warmUp(port: number, haveWrk: boolean): Promise<void> {
  if (haveWrk) await runWrk({ url: `http://${HOST}:${port}/inc`, threads: 2, connections: 10, durationS: SERVER_WARMUP_S });
  else await measureTester(port, 10, SERVER_WARMUP_S);
}

function keyRatios(cellOf: (serverId: string, loader: Loader, connections: number) => Cell): Ratio[] {
  const at10 = (id: string, loader: Loader = 'wrk') => cellOf(id, loader, 10);
  const ratios: Ratio[] = [];
  for (const loader of ['wrk', 'tester'] as Loader[]) {
    for (const store of ['shm-flock', 'shm-atomic']) {
      for (const workers of [2, 1]) {
        ratios.push(pairedRatio(`${store} WORKERS=${workers} / bare uWS, 10 connections, ${loader} (paired)`, at10(`${store}-w${workers}`, loader), { target: 0.9 }));
      }
    }
  }
  // Between two of our servers: each against its own paired reference, then divided.
  const normalized = (name: string, top: string, bottom: string, why?: string) =>
    normalizedRatio(`${name}, 10 connections, wrk (via paired references)`, at10(top), at10(bottom), why ? { why } : {});
  ratios.push(
    normalized('shm-flock WORKERS=2 / WORKERS=1', 'shm-flock-w2', 'shm-flock-w1', 'what a second worker buys when the load generator shares the 2 cores'),
    normalized('disk / shm-flock, WORKERS=1', 'disk-w1', 'shm-flock-w1'),
    normalized('disk / shm-flock, WORKERS=2', 'disk-w2', 'shm-flock-w2'),
    normalized('disk + fdatasync / disk, WORKERS=2', 'disk-fsync-w2', 'disk-w2'),
    normalized('PostgreSQL / shm-flock, WORKERS=2', 'postgresql-w2', 'shm-flock-w2'),
    pairedRatio('bare node:http / bare uWS, 10 connections, wrk (paired)', at10('bare-node-http')),
    ratio('tester / wrk on the bare uWS counter, 1 connection', cellOf('bare-uws', 'tester', 1), cellOf('bare-uws', 'wrk', 1)),
    ratio('tester / wrk on the bare uWS counter, 10 connections', cellOf('bare-uws', 'tester', 10), cellOf('bare-uws', 'wrk', 10)),
    { name: 'autocannon / wrk on the bare uWS counter', value: null, perRound: [], why: 'autocannon: not measured (not installed; the bench adds no dependency)' },
  );
  return ratios;
}

function notes(cpuCount: number): string[] {
  return [
    `This host has ${cpuCount} CPUs and the load generator runs on them too: wrk (-t1 -c1, or -t2 -c10) or the tester competes with the server for the same cores. A single-process server leaves a core to the load generator; WORKERS=2 does not, so it cannot double, and every figure is "server + load generator on ${cpuCount} cores", not the server's capacity.`,
    'The tester runs in the bench process (runLoad, all clients on the main thread, like `tester web` without --workers): one keep-alive raw-socket connection per client, one call at a time, every answer parsed and the whole history checked afterwards. wrk pipelines nothing either, but checks nothing and runs in C.',
    'Paired reference: a second bare uWS counter runs for the whole bench and is loaded with the same load generator just before every 10-connection measurement of another server (the reference is idle, using no CPU, while the other server is measured). Ratios marked paired are medians of these per-round ratios; ratios between two of our servers divide their paired ratios. Ratios at 1 connection are ratios of medians from the same rounds.',
    'Each server is a fresh child process per round, warmed up with 1 s of wrk at 10 connections; the tester also warms its connections for 300 ms. Rounds visit every server in turn, so slow drift on the shared host touches all servers alike; within a server, wrk and the tester alternate going first.',
    'Our server runs under node:cluster (a primary plus WORKERS workers sharing the port via SO_REUSEPORT); the bare counters are one process. The bare uWS counter sends the same response bytes as our POST /inc.',
    'PostgreSQL is the local server on the same cores, default configuration, and shared with other work (tests use their own databases on the same server, some restart it); samples carry their time (results.json `at`) to line them up with its log; the disk store writes a file in the temporary directory (file system named above), which decides what fdatasync costs.',
    'The host is shared: other work (e.g. Hazelcast members) may run during the bench. The load average before and after is above; results.json has it after every sample (load1). Trust a ratio only as far as its per-round range and the spreads allow.',
    'autocannon: not measured (not installed, and the bench does not add dependencies).',
  ];
}

await main();
