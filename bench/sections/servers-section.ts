/**
 * Servers: bare uWS and node:http counters, ours in every store, and Redis INCR, loaded by wrk,
 * our tester and (on the bare uWS counter, at 1, 10 and 100 connections) autocannon; the shm
 * store also at 100 and 1000 (scaling), with the workers' and the tester's peak memory. wrk and
 * autocannon try their thread settings on the bare uWS counter; wrk then loads the other servers
 * with the thread count that won there at that connection count, in the same round.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Measured, type RatioSpec, rowId, type Tool } from '../measurement.js';
import type { LaunchedServer } from '../../tester/harness/server-launcher.js';
import {
  BARE_UWS as BARE,
  describeServer,
  type ServerSpec,
  serverSpecs,
  startServer,
  storeSubject,
  workerPeakRssMb,
} from '../servers.js';
import { autocannonCandidates } from '../tools/autocannon.js';
import { bestOf } from '../tools/best-setting.js';
import { redisCandidates, startRedis } from '../tools/redis-benchmark.js';
import { runTester } from '../tools/tester-cli.js';
import { runWrk, wrkCandidates, wrkSetting, wrkThreadsOf } from '../tools/wrk.js';
import { type BenchContext, missing, type Section } from './section.js';

const TITLE = 'Servers: POST /inc';
const REDIS = 'Redis INCR (redis-server, no persistence)';
const WORKERS = 2;
/** The goal's memory limits. */
const WORKER_RSS_LIMIT_MB = 80;
const TESTER_RSS_LIMIT_MB = 150;
const SERVER_WARMUP_S = 1;

export function serversSection(ctx: BenchContext, storageDir: string): Section {
  const { recorder } = ctx;
  const specs = serverSpecs(ctx.root, storageDir, WORKERS);
  for (const spec of specs) {
    for (const tool of spec.tools) {
      for (const c of spec.connections) recorder.row(TITLE, spec.label, tool, c, { subject: BARE, tool });
    }
  }
  for (const c of [1, 10]) recorder.row(TITLE, REDIS, 'redis-benchmark', c);
  const storage = new Map<string, string>();

  /** wrk's winning thread count on the bare uWS counter this round, by connection count. */
  const wrkThreads = new Map<number, number>();
  const calibratedThreads = (connections: number): number => {
    const below = [...wrkThreads.keys()].filter((c) => c <= connections);
    return below.length ? wrkThreads.get(Math.max(...below))! : 1;
  };
  const loadWrk = async (url: string, spec: ServerSpec, round: number, connections: number): Promise<Measured> => {
    if (spec.label === BARE) {
      const best = await bestOf(wrkCandidates(url, connections, ctx.durationS), round);
      wrkThreads.set(connections, wrkThreadsOf(best.setting!));
      return best;
    }
    const threads = calibratedThreads(connections);
    const measured = await runWrk(url, connections, ctx.durationS, threads);
    return { ...measured, setting: `${wrkSetting(threads)} (best on ${BARE})` };
  };

  const load = (tool: Tool, spec: ServerSpec, port: number, round: number, connections: number): Promise<Measured> => {
    const url = `http://127.0.0.1:${port}/inc`;
    if (tool === 'wrk') return loadWrk(url, spec, round, connections);
    if (tool === 'autocannon') return bestOf(autocannonCandidates(url, connections, ctx.durationS), round);
    return runTester(
      ctx.root,
      ['web', '--counter-host', '127.0.0.1', '--counter-port', String(port)],
      connections,
      ctx.durationS,
    );
  };

  const skipSpec = (spec: ServerSpec, why: string) => {
    for (const tool of spec.tools)
      for (const c of spec.connections) recorder.skip(recorder.row(TITLE, spec.label, tool, c), why);
  };

  const measureServer = async (spec: ServerSpec, round: number, server: LaunchedServer) => {
    const described = await describeServer(server.port);
    if (described) storage.set(spec.label, described);
    const why = (tool: Tool) => (tool === 'wrk' || tool === 'autocannon' ? missing(ctx.tools[tool]) : undefined);
    for (const tool of spec.tools.filter(why))
      for (const c of spec.connections) recorder.skip(recorder.row(TITLE, spec.label, tool, c), why(tool)!);
    const tools = spec.tools.filter((tool) => !why(tool));
    try {
      if (tools.includes('wrk')) await runWrk(`http://127.0.0.1:${server.port}/inc`, 10, SERVER_WARMUP_S, 1);
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
          load(tool, spec, server.port, round, c),
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
        await recorder.measure(ids[i], round, () => bestOf(redisCandidates(redis.port, c, ctx.durationS), round));
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
        `(the default) for the remote ones, PostgreSQL and Hazelcast; the bare counters are one process. Each ` +
        `server is a fresh process per round, warmed up for ${SERVER_WARMUP_S} s. The tester's figures for every ` +
        `store at WORKERS=1, 2 and 4 are in the WORKERS table.`,
      'Every loader runs one request in flight per connection (no pipelining), as the tester does. Anchors run in ' +
        'their best configuration for this machine, chosen in each round (the setting column): wrk tries -t1 up ' +
        `to one thread per core (never more threads than connections) on the ${BARE} and keeps the faster; on ` +
        'the other servers it runs with the thread count that won there at the same (or the next lower) ' +
        'connection count in that round. autocannon (its CLI) tries its main thread and -w 2 worker threads ' +
        '(it splits the connections over them); redis-benchmark (INCR, a private redis-server without ' +
        'persistence) tries --threads 1 and 2. The tester is `tester web --json` in its own process, closed ' +
        'loop, one keep-alive connection per client, every answer parsed and the whole history checked.',
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
  const testerRow = (label: string, workers: number, connections: number) =>
    id(storeSubject(label, workers), 'tester', connections);
  const ratios: RatioSpec[] = [];
  for (const [store, tester] of [
    ['ours: shm flock', id('ours: shm flock', 'tester', 10)],
    ['ours: shm atomic', testerRow('shm atomic', WORKERS, 10)],
  ]) {
    ratios.push(
      {
        name: `${store} / bare uWS, 10 connections, wrk`,
        top: id(store, 'wrk', 10),
        bottom: id(BARE, 'wrk', 10),
        target: 0.9,
      },
      { name: `${store} / bare uWS, 10 connections, tester`, top: tester, bottom: id(BARE, 'tester', 10), target: 0.9 },
      {
        name: `${store} (wrk) / Redis INCR (redis-benchmark), 10 connections`,
        top: id(store, 'wrk', 10),
        bottom: id(REDIS, 'redis-benchmark', 10),
        target: 1.2,
      },
    );
  }
  ratios.push(
    {
      name: 'disk / shm flock, 10 connections, wrk',
      top: id('ours: disk', 'wrk', 10),
      bottom: id('ours: shm flock', 'wrk', 10),
      target: 0.6,
    },
    {
      name: 'disk / shm flock, 10 connections, tester',
      top: testerRow('disk', WORKERS, 10),
      bottom: testerRow('shm flock', WORKERS, 10),
      target: 0.6,
    },
  );
  for (const c of [1, 10, 100]) {
    ratios.push(
      {
        name: `tester / wrk (best setting) on the bare uWS counter, ${c} connection(s)`,
        top: id(BARE, 'tester', c),
        bottom: id(BARE, 'wrk', c),
        target: 1.0,
      },
      {
        name: `tester / autocannon (best setting) on the bare uWS counter, ${c} connection(s)`,
        top: id(BARE, 'tester', c),
        bottom: id(BARE, 'autocannon', c),
        target: 1.5,
      },
    );
  }
  const uncoalesced = 'ours: PostgreSQL, COALESCE=false';
  ratios.push(
    {
      name: 'PostgreSQL store coalescing / COALESCE=false, 10 connections, tester',
      top: testerRow('PostgreSQL, coalescing', 1, 10),
      bottom: id(uncoalesced, 'tester', 10),
      target: 10,
    },
    {
      name: 'PostgreSQL store coalescing / COALESCE=false, 10 connections, wrk',
      top: id('ours: PostgreSQL, coalescing', 'wrk', 10),
      bottom: id(uncoalesced, 'wrk', 10),
      target: 10,
    },
  );
  return ratios;
}
