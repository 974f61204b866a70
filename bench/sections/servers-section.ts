/**
 * Servers: bare uWS and node:http counters, ours in every store, and Redis INCR, loaded by wrk,
 * our tester and (on the bare uWS counter) autocannon at 1 and 10 connections; the shm store
 * also at 100 and 1000 (scaling), with the workers' and the tester's peak memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Measured, type RatioSpec, rowId, type Tool } from '../measurement.js';
import type { LaunchedServer } from '../../tester/harness/server-launcher.js';
import { describeServer, type ServerSpec, serverSpecs, startServer, workerPeakRssMb } from '../servers.js';
import { runAutocannon } from '../tools/autocannon.js';
import { runRedisBenchmark, startRedis } from '../tools/redis-benchmark.js';
import { runTester } from '../tools/tester-cli.js';
import { runWrk } from '../tools/wrk.js';
import { type BenchContext, missing, type Section } from './section.js';

const TITLE = 'Servers: POST /inc';
const BARE = 'bare uWS counter';
const REDIS = 'Redis INCR (redis-server, no persistence)';
const WORKERS = 2;
/** The goal's memory limits. */
const WORKER_RSS_LIMIT_MB = 80;
const TESTER_RSS_LIMIT_MB = 150;
const SERVER_WARMUP_S = 1;

export function serversSection(ctx: BenchContext, storageDir: string): Section {
  const { recorder } = ctx;
  const specs = serverSpecs(ctx.root, storageDir, WORKERS);
  const toolsOf = (spec: ServerSpec): Tool[] => (spec.autocannon ? ['wrk', 'tester', 'autocannon'] : ['wrk', 'tester']);
  for (const spec of specs) {
    for (const tool of toolsOf(spec)) {
      for (const c of spec.connections) recorder.row(TITLE, spec.label, tool, c, { subject: BARE, tool });
    }
  }
  for (const c of [1, 10]) recorder.row(TITLE, REDIS, 'redis-benchmark', c);
  const storage = new Map<string, string>();

  const load = (tool: Tool, port: number, connections: number): Promise<Measured> => {
    const url = `http://127.0.0.1:${port}/inc`;
    if (tool === 'wrk') return runWrk(url, connections, ctx.durationS);
    if (tool === 'autocannon') return runAutocannon(url, connections, ctx.durationS);
    return runTester(
      ctx.root,
      ['web', '--counter-host', '127.0.0.1', '--counter-port', String(port)],
      connections,
      ctx.durationS,
    );
  };

  const skipSpec = (spec: ServerSpec, why: string) => {
    for (const tool of toolsOf(spec))
      for (const c of spec.connections) recorder.skip(recorder.row(TITLE, spec.label, tool, c), why);
  };

  const measureServer = async (spec: ServerSpec, round: number, server: LaunchedServer) => {
    const described = await describeServer(server.port);
    if (described) storage.set(spec.label, described);
    const why = (tool: Tool) => (tool === 'wrk' || tool === 'autocannon' ? missing(ctx.tools[tool]) : undefined);
    for (const tool of toolsOf(spec).filter(why))
      for (const c of spec.connections) recorder.skip(recorder.row(TITLE, spec.label, tool, c), why(tool)!);
    const tools = toolsOf(spec).filter((tool) => !why(tool));
    try {
      if (tools.includes('wrk')) await runWrk(`http://127.0.0.1:${server.port}/inc`, 10, SERVER_WARMUP_S);
      else
        await runTester(
          ctx.root,
          ['web', '--counter-host', '127.0.0.1', '--counter-port', String(server.port)],
          10,
          SERVER_WARMUP_S,
        );
    } catch (err) {
      return skipSpec(spec, `warm-up failed: ${(err as Error).message}`);
    }
    // Alternate which load generator goes first, so none always meets a server that just ran hot.
    if (round % 2 === 0) tools.reverse();
    for (const tool of tools) {
      for (const c of spec.connections) {
        const measured = await recorder.measure(recorder.row(TITLE, spec.label, tool, c), round, () =>
          load(tool, server.port, c),
        );
        if (tool === 'tester' && c === 1000 && measured?.peakRssMb)
          recorder.addMemory('tester, 1000 clients (web, shm store)', TESTER_RSS_LIMIT_MB, measured.peakRssMb);
      }
    }
    if (spec.script.endsWith(path.join('server', 'main.js'))) {
      const name = `largest server worker, ${spec.label}, after up to ${Math.max(...spec.connections)} connections`;
      try {
        recorder.addMemory(name, WORKER_RSS_LIMIT_MB, Math.max(...workerPeakRssMb(server, spec.workers)));
      } catch (err) {
        // A worker died (its replacement's figure would read low): a missing figure, not a failed bench.
        ctx.log(`memory ${name}: not read (${(err as Error).message})`);
      }
    }
  };

  const measureRedis = async (round: number) => {
    const why = missing(ctx.tools.redis);
    const ids = [1, 10].map((c) => recorder.row(TITLE, REDIS, 'redis-benchmark', c));
    if (why) return ids.forEach((id) => recorder.skip(id, why));
    let redis: Awaited<ReturnType<typeof startRedis>>;
    try {
      redis = await startRedis();
    } catch (err) {
      return ids.forEach((id) => recorder.skip(id, `redis-server did not start: ${(err as Error).message}`));
    }
    try {
      for (const [i, c] of [1, 10].entries())
        await recorder.measure(ids[i], round, () => runRedisBenchmark(redis.port, c, ctx.durationS));
    } finally {
      await redis.stop();
    }
  };

  return {
    title: TITLE,
    refHeader: '× bare uWS (same tool)',
    storage,
    ratios: serverRatios(),
    notes: [
      `Our servers run under node:cluster, WORKERS=${WORKERS} (one per core) for the local stores and WORKERS=1 ` +
        `(the default) for the remote ones, PostgreSQL and Hazelcast, whose batches one worker fills best; the ` +
        `bare counters are one process. Each server is a fresh process per round, warmed up for ${SERVER_WARMUP_S} ` +
        `s.`,
      'wrk uses one thread per connection up to one per core; the tester is `tester web --json` in its own ' +
        'process (one keep-alive connection per client, every answer parsed and the whole history checked); ' +
        'autocannon is its CLI; redis-benchmark sends INCR without pipelining to a private redis-server without ' +
        'persistence.',
      'Every load generator shares the 2 cores with the server it loads: figures are "server + load generator on ' +
        'this host", not a server\'s capacity.',
    ],
    async run(round) {
      for (const spec of specs) {
        const why = spec.needs && missing(ctx.services[spec.needs]);
        if (why) {
          skipSpec(spec, why);
          continue;
        }
        if (spec.env.STORAGE_PATH) fs.rmSync(spec.env.STORAGE_PATH, { force: true });
        let server: LaunchedServer;
        try {
          server = await startServer(spec);
        } catch (err) {
          skipSpec(spec, `did not start: ${(err as Error).message}`);
          continue;
        }
        try {
          await measureServer(spec, round, server);
        } finally {
          await server.stop();
        }
      }
      await measureRedis(round);
    },
  };
}

function serverRatios(): RatioSpec[] {
  const id = rowId;
  const ratios: RatioSpec[] = [];
  for (const store of ['ours: shm flock', 'ours: shm atomic']) {
    for (const tool of ['wrk', 'tester'] as Tool[]) {
      ratios.push({
        name: `${store} / bare uWS, 10 connections, ${tool}`,
        top: id(store, tool, 10),
        bottom: id(BARE, tool, 10),
        target: 0.9,
      });
    }
    ratios.push({
      name: `${store} (wrk) / Redis INCR (redis-benchmark), 10 connections`,
      top: id(store, 'wrk', 10),
      bottom: id(REDIS, 'redis-benchmark', 10),
      target: 1.2,
    });
  }
  for (const tool of ['wrk', 'tester'] as Tool[]) {
    ratios.push({
      name: `disk / shm flock, 10 connections, ${tool}`,
      top: id('ours: disk', tool, 10),
      bottom: id('ours: shm flock', tool, 10),
      target: 0.6,
    });
  }
  for (const c of [1, 10]) {
    ratios.push(
      {
        name: `tester / wrk on the bare uWS counter, ${c} connection(s)`,
        top: id(BARE, 'tester', c),
        bottom: id(BARE, 'wrk', c),
        target: 0.95,
      },
      {
        name: `tester / autocannon on the bare uWS counter, ${c} connection(s)`,
        top: id(BARE, 'tester', c),
        bottom: id(BARE, 'autocannon', c),
        target: 1.5,
      },
    );
  }
  for (const tool of ['tester', 'wrk'] as Tool[]) {
    ratios.push({
      name: `PostgreSQL store coalescing / COALESCE=false, 10 connections, ${tool}`,
      top: id('ours: PostgreSQL, coalescing', tool, 10),
      bottom: id('ours: PostgreSQL, COALESCE=false', tool, 10),
      target: 10,
    });
  }
  return ratios;
}
