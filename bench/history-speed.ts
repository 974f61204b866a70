#!/usr/bin/env node
/**
 * node dist/bench/history-speed.js [operations] [clients] [run-rps] [rounds]
 *
 * Issue 16's goal for saved histories, judged on this machine: a run of `operations` increments
 * (default 1M, 64 clients, 1% indeterminate) is saved by --history, after the run, in at most
 * 10% of the run's own time (`operations` at `run-rps` requests/s, default 41000: what a 1M-op
 * web run reached here), and `tester check FILE` (the CLI, from start to exit) judges it in
 * under 2 s, in both formats. Each is timed `rounds` times (default 3): median [range] of wall
 * and of CPU time (user + sys; the CLI's through /usr/bin/time), the load average beside them.
 * On a shared host the CPU time is what an idle one would take; the verdict goes by the wall.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { History, Outcome } from '../tester/check/history.js';
import { writeHistory, type HistoryFormat } from '../tester/history/history-writer.js';
import type { RunHistory } from '../tester/history/run-history.js';

const TESTER = fileURLToPath(new URL('../tester/main.js', import.meta.url));
const TIME = '/usr/bin/time';
const MAX_CHECK_MS = 2000;
const MAX_WRITE_SHARE = 0.1;

/** A correct run: each client waits ~20 µs per call, values handed out in completion order. */
function syntheticRun(operations: number, clientCount: number): RunHistory {
  const ops = new History(operations);
  for (let i = 0; i < operations; i++) {
    const invokeUs = 1000 + i * 0.5;
    const outcome = i % 100 === 99 ? Outcome.indeterminate : Outcome.ok;
    ops.record(i % clientCount, invokeUs, invokeUs + 20, outcome === Outcome.ok ? i + 1 : undefined, outcome);
  }
  const endUs = 1000 + operations * 0.5 + 40;
  return {
    meta: { counter: 'synthetic', clientCount, promisesExact: true, linearizable: true, unreadableCount: 0 },
    originUs: 0,
    controlOps: [
      { f: 'reset', invokeUs: 10, completeUs: 20, type: 'ok', value: null },
      { f: 'read', invokeUs: 30, completeUs: 40, type: 'ok', value: 0 },
      { f: 'read', invokeUs: endUs, completeUs: endUs + 10, type: 'ok', value: operations },
    ],
    ops: ops.data(),
    nemesisEvents: [],
  };
}

interface Timing {
  wallMs: number;
  /** User + sys; for the CLI, undefined when /usr/bin/time is missing. */
  cpuMs: number | undefined;
}

function timedWrite(file: string, run: RunHistory, format: HistoryFormat): Timing {
  const started = performance.now();
  const cpu = process.cpuUsage();
  writeHistory(file, run, format);
  const { user, system } = process.cpuUsage(cpu);
  return { wallMs: performance.now() - started, cpuMs: (user + system) / 1000 };
}

/** `tester check FILE` as a person runs it; it must pass, as the synthetic run does. */
function timedCheck(file: string): Timing {
  const timeable = fs.existsSync(TIME);
  const [command, args] = timeable
    ? [TIME, ['-f', 'cpu %U %S', process.execPath, TESTER, 'check', file]]
    : [process.execPath, [TESTER, 'check', file]];
  const started = performance.now();
  const checked = spawnSync(command, args, { encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (checked.status !== 0 || !checked.stdout.includes('PASS')) {
    throw new Error(`tester check ${file} exited ${checked.status}: ${checked.stdout}${checked.stderr}`);
  }
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(checked.stderr);
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined };
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[values.length >> 1];

/** Median [min-max] in ms. */
function spread(values: Array<number | undefined>): string {
  if (values.some((value) => value === undefined)) return 'n/a';
  const known = values as number[];
  return `${median(known).toFixed(0)} ms [${Math.min(...known).toFixed(0)}-${Math.max(...known).toFixed(0)}]`;
}

const verdict = (passed: boolean) => (passed ? 'PASS' : 'FAIL');
const percent = (share: number) => `${(100 * share).toFixed(1)}%`;

const operations = Number(process.argv[2] ?? 1_000_000);
const clientCount = Number(process.argv[3] ?? 64);
const runRps = Number(process.argv[4] ?? 41_000);
const rounds = Number(process.argv[5] ?? 3);
const runMs = (operations / runRps) * 1000;
const run = syntheticRun(operations, clientCount);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-speed-'));
const load = () => os.loadavg().map((average) => average.toFixed(1)).join(' ');
console.log(
  `${operations} ops, ${clientCount} clients, ${rounds} rounds on ${os.cpus().length} cores, load average ${load()}; ` +
    `the run itself: ${(runMs / 1000).toFixed(1)} s at ${runRps} req/s`,
);
try {
  for (const format of ['jsonl', 'edn'] as HistoryFormat[]) {
    const file = path.join(dir, `run.${format}`);
    const writes: Timing[] = [];
    const checks: Timing[] = [];
    for (let round = 0; round < rounds; round++) {
      writes.push(timedWrite(file, run, format));
      checks.push(timedCheck(file));
    }
    const share = median(writes.map((t) => t.wallMs)) / runMs;
    const cpuShare = median(writes.map((t) => t.cpuMs ?? NaN)) / runMs;
    const mb = fs.statSync(file).size / 1e6;
    console.log(
      `${format} (${mb.toFixed(0)} MB): write wall ${spread(writes.map((t) => t.wallMs))}, ` +
        `CPU ${spread(writes.map((t) => t.cpuMs))}: ${percent(share)} of the run (CPU ${percent(cpuShare)}), ` +
        `${verdict(share <= MAX_WRITE_SHARE)} (<= ${percent(MAX_WRITE_SHARE)} wall)`,
    );
    console.log(
      `${format}: tester check wall ${spread(checks.map((t) => t.wallMs))}, ` +
        `CPU ${spread(checks.map((t) => t.cpuMs))}: ` +
        `${verdict(median(checks.map((t) => t.wallMs)) < MAX_CHECK_MS)} (< ${MAX_CHECK_MS} ms wall); ` +
        `load average ${load()}`,
    );
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
