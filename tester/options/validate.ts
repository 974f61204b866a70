/**
 * Turns flag text into checked values, as autocannon's validate.js: every rule once, each
 * mistake one UsageError that says what is wrong and how to fix it. Commands only declare
 * their flags and call these.
 */
import { UsageError } from 'clipanion';
import fs from 'node:fs';
import { ConfigError, parseBoolean, parseChoice } from '../../backends/env.js';
import { HISTORY_FORMATS, type HistoryFormat } from '../history/line-spelling.js';
import type { CounterSpec } from '../load/counter-spec.js';
import type { Thresholds } from '../load/thresholds.js';
import { savedSamples } from '../compare/against.js';
import { parseDurationMs } from './parse-duration.js';
import type { Segment } from '../segments/segment.js';
import { type SegmentFile, segmentResultOf } from '../segments/segment-file.js';

export const COUNTER_TYPES = ['web', 'postgresql', 'hazelcast'] as const;
export type CounterType = (typeof COUNTER_TYPES)[number];

/** A name from its list, or a UsageError naming the flag and the choices. */
export function choice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  try {
    return parseChoice(value, choices, `${flag} ${value}`);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export function durationMs(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new UsageError(`${flag} ${text} is not a duration: use e.g. 30s, 2m, 500ms or 500us`);
  return ms;
}

/**
 * --client-threads for the backends a run drives: PostgreSQL's clients cannot run on worker
 * threads, where pg-native's addon does not load (it is not context-aware).
 */
export function clientThreads(threads: number, backends: readonly string[]): void {
  if (threads > 1 && backends.includes('postgresql')) {
    throw new UsageError(
      `--client-threads ${threads}: PostgreSQL's clients cannot run on worker threads (pg-native does not load in one); ` +
        'leave it out: the native engine runs them on a thread of its own',
    );
  }
}

/** --clock-skew in microseconds: a duration, or 0 for segments that share one clock (one host). */
export function clockSkewUs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^0+(\.0*)?(us|µs|μs|ms|s|m|h)?$/.test(text.trim())) return 0;
  return durationMs('--clock-skew', text)! * 1000;
}

/** The counter a load command drives: its subcommand's, or --counter-type's (the reference form). */
export function counterType(given: string | undefined, fixed: CounterType | undefined): CounterType {
  const type = given === undefined ? undefined : choice('--counter-type', given, COUNTER_TYPES);
  if (fixed && type && type !== fixed) throw new UsageError(`--counter-type ${type} contradicts the subcommand ${fixed}`);
  const chosen = fixed ?? type;
  if (!chosen) throw new UsageError('say which counter to test: npx tester web|postgresql|hazelcast, or --counter-type');
  return chosen;
}

export function historyFormat(text: string): HistoryFormat {
  return choice('--history-format', text, HISTORY_FORMATS);
}

export function thresholds(maxP99: string | undefined, minRps?: number, maxErrors?: number): Thresholds {
  return { maxP99Ms: durationMs('--max-p99', maxP99), minRps, maxErrors };
}

/** Fails before the run, not after it, when a result file could not be saved. */
export function writableFile(flag: string, file: string | undefined): void {
  if (!file) return;
  try {
    fs.closeSync(fs.openSync(file, 'a'));
  } catch (err) {
    throw new UsageError(`${flag} ${file} cannot be written: ${(err as Error).message}`);
  }
}

/** What the counter flags say, for the load. */
export interface CounterFlags {
  type: CounterType;
  method: string | undefined;
  doRetries: string;
  hosts: string;
  ports: string;
  timeoutMs: number;
  resetToken: string;
  countField: string | undefined;
  engine: string;
}

export async function counterSpec(flags: CounterFlags): Promise<CounterSpec> {
  const { type, method } = flags;
  const doRetries = parseBoolean(flags.doRetries);
  if (doRetries === undefined) throw new UsageError(`--do-retries ${flags.doRetries} is invalid: use True or False`);
  if (type !== 'web' && flags.countField !== undefined) throw new UsageError(`--count-field applies to web, not ${type}`);
  const engine = choice('--engine', flags.engine, ['native', 'js'] as const);
  switch (type) {
    case 'web':
      if (method !== undefined) throw new UsageError('--method applies to postgresql and hazelcast, not web');
      return {
        backend: 'web',
        targets: targets(flags.hosts, flags.ports),
        timeoutMs: flags.timeoutMs,
        resetToken: flags.resetToken || undefined,
        countField: flags.countField || undefined,
        engine,
      };
    case 'postgresql': {
      // Loaded on demand: a web run never pays for the other backends' modules.
      const { POSTGRES_METHODS, DEFAULT_POSTGRES_METHOD } = await import('../../counters/postgresql/methods.js');
      return {
        backend: 'postgresql',
        method: choice('--method', method ?? DEFAULT_POSTGRES_METHOD, POSTGRES_METHODS),
        doRetries,
        engine,
      };
    }
    case 'hazelcast': {
      const { HAZELCAST_METHODS, DEFAULT_HAZELCAST_METHOD } = await import('../../counters/hazelcast/method.js');
      return {
        backend: 'hazelcast',
        method: choice('--method', method ?? DEFAULT_HAZELCAST_METHOD, HAZELCAST_METHODS),
        engine,
      };
    }
  }
}

/** Every host with every port: several servers (or hosts) share one run. */
function targets(hostList: string, portList: string): Array<{ host: string; port: number }> {
  const hosts = hostList
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean);
  const ports = portList.split(',').map((port) => {
    const value = Number(port.trim());
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new UsageError(`--counter-port ${port} is invalid: use a port from 1 to 65535`);
    }
    return value;
  });
  if (hosts.length === 0) throw new UsageError('--counter-host is empty');
  return hosts.flatMap((host) => ports.map((port) => ({ host, port })));
}

/** --alpha: a probability strictly between 0 and 1. */
export function alpha(text: string): number {
  const value = Number(text);
  if (!/^\s*(0?\.\d+|[01](\.\d*)?)\s*$/.test(text) || !(value > 0 && value < 1))
    throw new UsageError(`--alpha ${text} is invalid: use a probability between 0 and 1, e.g. 0.05`);
  return value;
}

/** --max-regression: "5%" or "5" (percent), as a fraction. */
export function maxRegression(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const value = match ? Number(match[1]) / 100 : NaN;
  if (!(value >= 0 && value < 1)) throw new UsageError(`--max-regression ${text} is invalid: use a percentage, e.g. 5%`);
  return value;
}

/** --against FILE: the RPS rounds of each cell it saved. */
export function againstFile(file: string): Map<string, number[]> {
  let saved: unknown;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--against ${file} cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
  const cells = savedSamples(saved);
  if (typeof cells === 'string') throw new UsageError(`--against ${file} ${cells}`);
  return cells;
}

/** --segment i/n: share i (1-based) of n; each segment needs a client of its own. */
export function segment(text: string | undefined, clientCount: number): Segment | undefined {
  if (text === undefined) return undefined;
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(count >= 1 && index >= 1 && index <= count))
    throw new UsageError(`--segment ${text} is invalid: use i/n, share i of n with 1 ≤ i ≤ n, e.g. 2/3`);
  if (count > clientCount)
    throw new UsageError(`--segment ${text}: ${count} segments need at least ${count} clients, not --n-clients ${clientCount}`);
  return { index, count };
}

/** How long ago --start-at may be: a segment launched a little late still runs, and says how late. */
export const START_AT_PAST_MS = 10_000;
/** How far ahead: further is taken for a typo rather than a plan. */
export const START_AT_AHEAD_MS = 24 * 3600_000;
/** ISO 8601 with a time zone (Z or an offset), so that hosts in different zones read one instant. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** --start-at: ISO 8601 (with a zone) or milliseconds since the epoch, neither past nor far off. */
export function startAt(text: string | undefined, nowMs: number): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : ISO_INSTANT.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(`--start-at ${text} is not a time: use ISO 8601 with a zone (2026-12-06T04:00:00Z) or epoch ms`);
  if (ms < nowMs - START_AT_PAST_MS)
    throw new UsageError(`--start-at ${text} is ${((nowMs - ms) / 1000).toFixed(1)} s in the past: give a time to come`);
  if (ms > nowMs + START_AT_AHEAD_MS) throw new UsageError(`--start-at ${text} is more than 24 h away`);
  return ms;
}

/** tester merge's files: each a segment's --output. */
export function segmentFiles(files: readonly string[]): SegmentFile[] {
  if (files.length === 0) throw new UsageError("give the segments' --output files: tester merge A.json B.json ...");
  return files.map((file) => {
    let saved: unknown;
    try {
      saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`${file} cannot be read: ${(err as Error).message.split('\n')[0]}`);
    }
    const result = segmentResultOf(saved);
    if (typeof result === 'string') throw new UsageError(`${file} ${result}`);
    return { file, result };
  });
}
