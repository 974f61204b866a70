#!/usr/bin/env node
/**
 * node dist/bench/segments-speed.js [rounds] [seconds] [calls-per-segment]
 *
 * Issue 28's measures for a run split into segments, on this machine:
 * - the merged rate of 2 segments (`--segment 1/2` and `2/2`, 5 clients each, `tester merge`)
 *   against one process with all 10 clients, on the same server (ours, shared memory, 2 workers),
 *   in alternating rounds (default 3 of 5 s each): the ratio of the medians;
 * - `tester merge` of those segments' --output files (counts and histograms: their size does not
 *   grow with the calls), and `tester check` of 10 segments' histories of `calls-per-segment`
 *   calls each (default 1M; a correct run, --clock-skew 1ms), wall time from start to exit.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { History, Outcome } from '../tester/check/history.js';
import { launchServer } from '../tester/harness/server-launcher.js';
import { freePort } from '../tester/harness/free-port.js';
import { parseJsonOutput, runTesterProcess } from '../tester/harness/tester-process.js';
import { writeHistory } from '../tester/history/history-writer.js';

const TESTER = fileURLToPath(new URL('../tester/main.js', import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const callsPerSegment = Number(process.argv[4] ?? 1_000_000);
const CLIENTS = 10;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segments-speed-'));
const load = () => os.loadavg().map((average) => average.toFixed(1)).join(' ');
const median = (values: number[]) => values.slice().sort((a, b) => a - b)[values.length >> 1];

async function singleRps(target: string[]): Promise<number> {
  const run = await runTesterProcess([...target, '--n-clients', String(CLIENTS), '--duration', `${seconds}s`, '--json']);
  return parseJsonOutput<{ rps: number }>(run).rps;
}

/** Two segments started together; their merged rate, and how long `tester merge` took. */
async function segmentsRps(target: string[], round: number): Promise<{ rps: number; mergeMs: number }> {
  const startAt = String(Date.now() + 3000);
  const outputs = [1, 2].map((i) => path.join(dir, `round${round}-${i}.json`));
  const runs = await Promise.all(
    outputs.map((output, k) =>
      runTesterProcess([
        ...target,
        ...['--n-clients', String(CLIENTS), '--duration', `${seconds}s`],
        ...['--segment', `${k + 1}/2`, '--start-at', startAt, '--output', output],
      ]),
    ),
  );
  for (const run of runs) if (run.code !== 0) throw new Error(`a segment failed: ${run.stderr}`);
  const started = performance.now();
  const merged = await runTesterProcess(['merge', ...outputs, '--json']);
  const mergeMs = performance.now() - started;
  return { rps: parseJsonOutput<{ rps: number }>(merged).rps, mergeMs };
}

/** Ten segments' histories of a correct run: values in completion order, each segment its own clients. */
function writeSegments(count: number): string[] {
  const calls = count * callsPerSegment;
  const perClient = 4;
  const parts = Array.from({ length: count }, () => new History(callsPerSegment));
  for (let i = 0; i < calls; i++) {
    const segment = i % count;
    const client = segment * perClient + (Math.floor(i / count) % perClient);
    const invokeUs = 10_000 + i * 0.5;
    parts[segment].record(client, invokeUs, invokeUs + 15, i + 1, Outcome.ok);
  }
  const endUs = 10_000 + calls * 0.5 + 100;
  return parts.map((ops, k) => {
    const file = path.join(dir, `segment-${k + 1}.jsonl`);
    const start = k === 0 ? [{ f: 'reset' as const, invokeUs: 10, completeUs: 20, type: 'ok' as const, value: null }] : [];
    writeHistory(file, {
      meta: {
        counter: 'synthetic',
        clientCount: count * perClient,
        promisesExact: true,
        linearizable: true,
        unreadableCount: 0,
        segment: { index: k + 1, count, wallClockOriginUs: 1.7e15 },
      },
      originUs: 0,
      controlOps: [
        ...start,
        { f: 'read', invokeUs: 30, completeUs: 40, type: 'ok', value: 0 },
        { f: 'read', invokeUs: endUs, completeUs: endUs + 10, type: 'ok', value: calls },
      ],
      ops: ops.data(),
      nemesisEvents: [],
    });
    return file;
  });
}

function timedCheck(files: string[]): number {
  const started = performance.now();
  const checked = spawnSync(process.execPath, [TESTER, 'check', ...files, '--clock-skew', '1ms'], { encoding: 'utf8' });
  if (checked.status !== 0) throw new Error(`tester check exited ${checked.status}: ${checked.stdout}${checked.stderr}`);
  return performance.now() - started;
}

const port = await freePort();
const server = await launchServer({ host: '127.0.0.1', port, workers: 2, env: { STORAGE_METHOD: 'shared_memory' } });
try {
  const target = ['web', '--counter-host', '127.0.0.1', '--counter-port', String(port)];
  console.log(`${rounds} rounds of ${seconds} s, ${CLIENTS} clients, ${os.cpus().length} cores, load average ${load()}`);
  const single: number[] = [];
  const merged: number[] = [];
  const mergeMs: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    single.push(await singleRps(target));
    const segments = await segmentsRps(target, round);
    merged.push(segments.rps);
    mergeMs.push(segments.mergeMs);
    console.log(`round ${round}: one process ${single.at(-1)!.toFixed(0)} req/s, 2 segments merged ${segments.rps.toFixed(0)} req/s`);
  }
  const ratio = median(merged) / median(single);
  console.log(
    `2 segments / one process: ${ratio.toFixed(2)}x (medians ${median(merged).toFixed(0)} / ${median(single).toFixed(0)} req/s); ` +
      `tester merge of 2 segments: ${median(mergeMs).toFixed(0)} ms`,
  );
} finally {
  await server.stop();
}
try {
  const files = writeSegments(10);
  const mb = files.reduce((sum, file) => sum + fs.statSync(file).size, 0) / 1e6;
  const checkMs = timedCheck(files);
  const calls = 10 * callsPerSegment;
  console.log(
    `tester check of 10 segments x ${callsPerSegment} calls (${mb.toFixed(0)} MB): ${(checkMs / 1000).toFixed(1)} s, ` +
      `${(calls / checkMs / 1000).toFixed(2)}M calls/s; load average ${load()}`,
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
