#!/usr/bin/env node
/**
 * node dist/bench/history-stream-speed.js [calls] [clients]
 *
 * Issue 26's history as a stream, on this machine: a correct run of `calls` increments (default
 * 5M, 64 clients, 1% indeterminate) is laid out as the load delivers it (4096 calls a delivery,
 * the watermark at the next call's invoke) with no file, then saved as JSONL, EDN and gzip
 * JSONL; each file is then read back as a stream (streamHistory, a sink that only counts), and
 * judged by `tester check FILE` (the CLI from start to exit, through /usr/bin/time: the reading
 * thread and the judge together). Each phase runs in a process of its own, which reports its
 * calls per second (wall) and its peak RSS: neither the writer's nor the reader's memory may grow
 * with the run. Issue 26's goals: `tester check` at 1M calls/s or more in at most 500 MB (the
 * load average is printed beside it: on a shared host the CPU figure is what an idle one would
 * take); reading alone well over that; writing a small share of a run at 200k calls/s.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { History, Outcome } from '../tester/check/history.js';
import { streamHistory } from '../tester/history/history-reader.js';
import { HistoryStream } from '../tester/history/history-stream.js';

const SELF = fileURLToPath(import.meta.url);
const TESTER = fileURLToPath(new URL('../tester/main.js', import.meta.url));
const TIME = '/usr/bin/time';
const CHECK_GOAL = { callsPerS: 1e6, maxRssMb: 500 };
const DELIVERY_CALLS = 4096;
/** A new call begins every 0.5 µs, round robin over the clients; each lasts 60% of its client's turn. */
const STEP_US = 0.5;
const CALL_SHARE = 0.6;

interface Phase {
  callCount: number;
  wallMs: number;
  /** User + system: what an idle host would take, whatever else runs. */
  cpuMs: number;
  maxRssMb: number;
  bytes?: number;
}

/** Lays out (and saves to `file`, if any) a synthetic run, delivered as a load delivers it. */
function write(callCount: number, clientCount: number, file: string | undefined): Phase {
  const started = performance.now();
  const callUs = clientCount * STEP_US * CALL_SHARE;
  const endUs = 1000 + callCount * STEP_US + 2 * callUs;
  let sunk = 0;
  const stream = new HistoryStream({
    file: file === undefined ? undefined : { path: file, format: file.includes('.edn') ? 'edn' : 'jsonl' },
    meta: { counter: 'synthetic', clientCount, promisesExact: true, linearizable: true },
    originUs: 0,
    controlOps: [
      { f: 'reset', invokeUs: 10, completeUs: 20, type: 'ok', value: null },
      { f: 'read', invokeUs: 30, completeUs: 40, type: 'ok', value: 0 },
    ],
    nemesisEvents: [],
    sinks: [{ add: (batch) => (sunk += batch.length) }],
  });
  for (let first = 0; first < callCount; first += DELIVERY_CALLS) {
    const last = Math.min(callCount, first + DELIVERY_CALLS);
    const calls = new History(last - first);
    for (let i = first; i < last; i++) {
      const invokeUs = 1000 + i * STEP_US;
      const outcome = i % 100 === 99 ? Outcome.indeterminate : Outcome.ok;
      calls.record(i % clientCount, invokeUs, invokeUs + callUs, outcome === Outcome.ok ? i + 1 : undefined, outcome);
    }
    stream.deliver(calls.data(), last === callCount ? Infinity : 1000 + last * STEP_US);
  }
  stream.finish([{ f: 'read', invokeUs: endUs, completeUs: endUs + 10, type: 'ok', value: callCount }], { unreadableCount: 0 });
  if (sunk !== callCount) throw new Error(`the sinks got ${sunk} of ${callCount} calls`);
  const bytes = file === undefined ? undefined : fs.statSync(file).size;
  return { callCount, wallMs: performance.now() - started, cpuMs: cpuMs(), maxRssMb: maxRssMb(), bytes };
}

async function read(file: string): Promise<Phase> {
  const started = performance.now();
  let callCount = 0;
  await streamHistory(file, { add: (batch) => (callCount += batch.length) });
  return { callCount, wallMs: performance.now() - started, cpuMs: cpuMs(), maxRssMb: maxRssMb() };
}

/** CPU time of this process so far, start-up included (tens of ms). */
function cpuMs(): number {
  const { userCPUTime, systemCPUTime } = process.resourceUsage();
  return (userCPUTime + systemCPUTime) / 1000;
}

function maxRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** `tester check FILE` as a person runs it, timed by /usr/bin/time; it must pass, as the synthetic run does. */
function check(file: string, callCount: number): Phase {
  const started = performance.now();
  const run = spawnSync(TIME, ['-f', 'time %U %S %M', process.execPath, TESTER, 'check', file], { encoding: 'utf8' });
  const wallMs = performance.now() - started;
  const time = /time ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(run.stderr);
  if (run.status !== 0 || !run.stdout.includes('PASS') || !time) {
    throw new Error(`tester check ${file} exited ${run.status}: ${run.stdout}${run.stderr}`);
  }
  const [user, system, maxRssKb] = time.slice(1).map(Number);
  return { callCount, wallMs, cpuMs: (user + system) * 1000, maxRssMb: maxRssKb / 1024 };
}

function checkVerdict({ callCount, wallMs, maxRssMb: rss }: Phase): string {
  const passed = (callCount / wallMs) * 1000 >= CHECK_GOAL.callsPerS && rss <= CHECK_GOAL.maxRssMb;
  return `${passed ? 'PASS' : 'FAIL'} (>= ${CHECK_GOAL.callsPerS / 1e6}M calls/s wall, <= ${CHECK_GOAL.maxRssMb} MB)`;
}

/** One phase in a process of its own, for its own peak RSS. */
function phase(...args: string[]): Phase {
  const run = spawnSync(process.execPath, [SELF, 'phase', ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`phase ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Phase;
}

function line(name: string, { callCount, wallMs, cpuMs: cpu, maxRssMb: rss, bytes }: Phase): string {
  const rate = (ms: number) => `${(callCount / ms / 1000).toFixed(2)}M calls/s`;
  const size = bytes === undefined ? '' : `, ${(bytes / 1e6).toFixed(0)} MB`;
  const took = `${callCount} calls in ${(wallMs / 1000).toFixed(2)} s wall = ${rate(wallMs)}`;
  return `${name}: ${took} (CPU ${(cpu / 1000).toFixed(2)} s = ${rate(cpu)}), peak RSS ${rss.toFixed(0)} MB${size}`;
}

if (process.argv[2] === 'phase') {
  const [kind, a, b, c] = process.argv.slice(3);
  const result = kind === 'read' ? await read(a) : write(Number(a), Number(b), c === '-' ? undefined : c);
  process.stdout.write(JSON.stringify(result));
} else {
  const callCount = Number(process.argv[2] ?? 5_000_000);
  const clientCount = Number(process.argv[3] ?? 64);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-stream-speed-'));
  const load = () => os.loadavg().map((average) => average.toFixed(1)).join(' ');
  console.log(`${callCount} calls, ${clientCount} clients, on ${os.cpus().length} cores, load average ${load()}`);
  try {
    console.log(line('lay out, no file', phase('write', String(callCount), String(clientCount), '-')));
    for (const name of ['run.jsonl', 'run.edn', 'run.jsonl.gz']) {
      const file = path.join(dir, name);
      console.log(line(`write ${name}`, phase('write', String(callCount), String(clientCount), file)));
      console.log(line(`read ${name}`, phase('read', file)));
      const checked = check(file, callCount);
      console.log(`${line(`tester check ${name}`, checked)}: ${checkVerdict(checked)}; load average ${load()}`);
      fs.rmSync(file);
    }
    console.log(`load average ${load()}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
