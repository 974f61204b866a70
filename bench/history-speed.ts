#!/usr/bin/env node
/**
 * node dist/bench/history-speed.js [operations] [clients]
 *
 * What a saved history costs: writing a run of `operations` increments (default 1M, 64
 * clients, 1% indeterminate) after the run, as `--history` does, and judging it again as
 * `tester check` does. Issue 16 asks for under 10% of the run's time and under 2 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { History, Outcome } from '../tester/check/history.js';
import { readHistory } from '../tester/history/history-reader.js';
import { writeHistory, type HistoryFormat } from '../tester/history/history-writer.js';
import { judgeRun } from '../tester/history/judge-run.js';
import type { RunHistory } from '../tester/history/run-history.js';

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

/** Wall and CPU milliseconds: on a shared host the CPU time is what an idle one would take. */
function timed<T>(work: () => T): { value: T; ms: string } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = work();
  const { user, system } = process.cpuUsage(cpu);
  const wallMs = performance.now() - started;
  return { value, ms: `${wallMs.toFixed(0)} ms (CPU ${((user + system) / 1000).toFixed(0)} ms)` };
}

const operations = Number(process.argv[2] ?? 1_000_000);
const clientCount = Number(process.argv[3] ?? 64);
const run = syntheticRun(operations, clientCount);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-speed-'));
try {
  for (const format of ['jsonl', 'edn'] as HistoryFormat[]) {
    const file = path.join(dir, `run.${format}`);
    const written = timed(() => writeHistory(file, run, format));
    const checked = timed(() => judgeRun(readHistory(file)));
    const mb = fs.statSync(file).size / 1e6;
    console.log(
      `${format}: ${operations} ops, ${clientCount} clients: written in ${written.ms} (${mb.toFixed(0)} MB), ` +
        `checked in ${checked.ms}: ${checked.value.verdict}`,
    );
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
