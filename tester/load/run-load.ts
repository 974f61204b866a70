import { type Counter, type CounterFactory, CounterError } from '../../counters/counter.js';
import { monotonicUs } from '../check/history.js';
import type { Nemesis } from '../nemesis/nemesis.js';
import type { RunContext } from '../judge/witness-lines.js';
import type { ClockOffset, ControlOp, RunHistory, RunMeta } from '../history/run-history.js';
import { mergeStreams, type OnCalls } from './call-stream.js';
import { CallTally } from './call-tally.js';
import { type ClientGroup, type GroupResult, openLocalGroup, openWorkerGroup } from './client-group.js';
import type { CallPlan } from './client-loop.js';
import type { LoadMeasures, LoadResult } from './load-result.js';
import { type CounterSpec, createFactory } from './counter-spec.js';
import { summarize } from './latency-summary.js';
import { resets, segmentFacts, type SegmentRun } from '../segments/segment-run.js';
import { measureClockOffset } from '../segments/clock-offset.js';
import { WallOrigin } from '../segments/wall-clock.js';
import { hostTimes, hostUseBetween, ownThreadTime, threadTimeSince } from './cpu-use.js';
import { runResources } from './run-resources.js';
import { RunJudge, type JudgeOptions, type RunBeginning } from './run-judge.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  spec: CounterSpec;
  clientCount: number;
  /** Calls per client; ignored when `durationMs` is set. */
  callsPerClient: number;
  durationMs?: number;
  /** Unrecorded calls before the measured run, to warm connections, caches and JITs. */
  warmupMs?: number;
  /** Open loop: total calls per second, spread evenly over the clients. */
  ratePerSecond?: number;
  /** Worker threads to spread clients over; 0 runs them on the main thread. */
  workerCount?: number;
  onProgress?: (progress: LoadProgress) => void;
  /** Injects faults during the measured run (not the warmup) and heals them before the final read. */
  nemesis?: Nemesis;
  /**
   * Receives the measured run's calls while it runs (the warmup's are not recorded), every
   * client group's, with a watermark that holds for the whole run (see OnCalls).
   */
  onCalls?: OnCalls;
  /** Hears, once the initial count is read, what the run knows of itself before its measured calls. */
  onStart?: (beginning: RunBeginning) => void;
  /**
   * --segment: this process runs one share of a bigger run (`clientCount` and `ratePerSecond`
   * are its share's): it resets the counter only as segment 1, and numbers its clients and
   * processes as the single-process run does.
   */
  segment?: SegmentRun;
  /** --start-at: the measured calls begin at this wall-clock time (ms since the epoch). */
  startAtMs?: number;
}

export interface LoadProgress {
  phase: 'warmup' | 'run';
  doneCount: number;
  errorCount: number;
  elapsedMs: number;
  /** Calls the run will make, when known. */
  totalCount?: number;
}

/** The counter could not be reached at all: the tester exits 3. */
export class ConnectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectError';
  }
}

const PROGRESS_INTERVAL_MS = 250;
const FINAL_READ_ATTEMPTS = 20;
const FINAL_READ_PAUSE_MS = 500;

async function openGroups(options: LoadOptions): Promise<ClientGroup[]> {
  const threadCount = Math.min(options.workerCount ?? 0, options.clientCount);
  const firstClientId = options.segment?.clients.first ?? 0;
  if (threadCount <= 1) return [await openLocalGroup(options.spec, options.clientCount, firstClientId)];
  const opening = [];
  for (let t = 0, first = firstClientId; t < threadCount; t++) {
    const size = Math.floor(options.clientCount / threadCount) + (t < options.clientCount % threadCount ? 1 : 0);
    opening.push(openWorkerGroup(options.spec, size, first, `client thread ${t + 1}`));
    first += size;
  }
  const settled = await Promise.allSettled(opening);
  const groups = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(groups.map((group) => group.close()));
    throw failed.reason;
  }
  return groups;
}

/** Runs the groups' calls, each group's to its stream, reporting progress on a timer off the hot path. */
async function runGroups(
  groups: ClientGroup[],
  plan: CallPlan,
  streams: OnCalls[],
  progress: (doneCount: number, errorCount: number) => void,
): Promise<GroupResult[]> {
  const tick = () => {
    let done = 0;
    let errors = 0;
    for (const group of groups) {
      done += group.progress[0];
      errors += group.progress[1];
    }
    progress(done, errors);
  };
  const timer = setInterval(tick, PROGRESS_INTERVAL_MS);
  try {
    return await Promise.all(groups.map((group, g) => group.run(plan, streams[g])));
  } finally {
    clearInterval(timer);
    tick();
  }
}

/** Counts by kind, added up over parts (client groups, segments). */
export function addCounts<K extends string>(parts: Array<Partial<Record<K, number>>>): Partial<Record<K, number>> {
  const sum: Partial<Record<K, number>> = {};
  for (const part of parts)
    for (const [kind, n] of Object.entries(part) as Array<[K, number]>) sum[kind] = (sum[kind] ?? 0) + n;
  return sum;
}

/** Explains a failure to reach the counter before any call was made. */
function connectError(spec: CounterSpec, err: unknown): ConnectError {
  const message = err instanceof Error ? err.message : String(err);
  const unreachable = err instanceof CounterError && err.kind === 'refused';
  const hint =
    spec.backend === 'web' && unreachable
      ? '; start the server (npm start) or check --counter-host and --counter-port'
      : '';
  return new ConnectError(message + hint, { cause: err });
}

/** A run's result, and what its report needs beside the calls. */
export interface RecordedLoad {
  result: LoadResult;
  context: RunContext;
}

/** A run that kept none of its calls: they went to `onCalls` as they ended. */
export interface StreamedLoad {
  measures: LoadMeasures;
  /** Everything the run's history holds but its calls: what judging them needs besides. */
  history: Omit<RunHistory, 'ops'>;
}

/**
 * The reference's flow: reset, start every client at once, each making its calls in
 * sequence, then read the final count and judge the history.
 */
export async function runLoad(options: LoadOptions & JudgeOptions): Promise<LoadResult> {
  return (await recordLoad(options)).result;
}

/** `runLoad`, judging the calls as they end and saving them (`historyFile`) as the run goes. */
export async function recordLoad(options: LoadOptions & JudgeOptions): Promise<RecordedLoad> {
  let judge: RunJudge | undefined;
  try {
    const streamed = await streamLoad({
      ...options,
      onStart: (beginning) => {
        judge = new RunJudge(beginning, options);
        options.onStart?.(beginning);
      },
      onCalls: (calls, watermarkUs) => {
        judge!.deliver(calls, watermarkUs);
        options.onCalls?.(calls, watermarkUs);
      },
    });
    const { judged, context } = judge!.finish(streamed.measures, streamed.history);
    return { result: { ...streamed.measures, ...judged }, context };
  } finally {
    judge?.close();
  }
}

/**
 * `runLoad` in memory independent of the run's length: the calls go to `options.onCalls` as they
 * end and none is kept, so nothing here judges them.
 */
export async function streamLoad(options: LoadOptions): Promise<StreamedLoad> {
  const origin = new WallOrigin();
  const { originUs } = origin;
  const controlOps: ControlOp[] = [];
  let factory: CounterFactory | undefined;
  let control: Counter | undefined;
  let clockOffset: ClockOffset | undefined;
  try {
    factory = await createFactory(options.spec);
    clockOffset = options.segment && (await measureClockOffset(factory));
    control = await factory.open();
    const counter = control;
    if (resets(options.segment)) await timedCall(controlOps, 'reset', () => counter.reset());
  } catch (err) {
    // An open keep-alive socket would hold the process until the server's idle timeout.
    await control?.close().catch(() => {});
    await factory?.close().catch(() => {});
    // Before the first call nothing is measured yet: any failure means the counter is not usable.
    throw connectError(options.spec, err);
  }
  let groups: ClientGroup[] = [];
  try {
    // Still before the first call (and the first contact for a segment that does not reset).
    groups = await openGroups(options).catch((err: unknown) => {
      throw connectError(options.spec, err);
    });
    const report =
      (phase: LoadProgress['phase'], startedUs: number, totalCount?: number) =>
      (doneCount: number, errorCount: number) =>
        options.onProgress?.({
          phase,
          doneCount,
          errorCount,
          elapsedMs: (monotonicUs() - startedUs) / 1000,
          totalCount,
        });

    if (options.warmupMs) {
      const startUs = monotonicUs();
      const warmup = { startUs, deadlineUs: startUs + options.warmupMs * 1000 };
      await runGroups(groups, warmup, groups.map(() => discardCalls), report('warmup', startUs));
      for (const group of groups) group.progress.fill(0);
    }
    const counter = control;
    const initialCount = await timedCall(controlOps, 'read', () => counter.read()).catch((err: unknown) => {
      throw connectError(options.spec, err);
    });
    const liveEvents = options.nemesis?.events ?? [];
    // Unreadable answers are counted at the end: a history cut short must not claim none.
    const { unreadableCount: _, ...meta } = runMeta(options, factory, [], origin, clockOffset);
    const nemesis = options.nemesis;
    const nemesisBusySinceUs = () => nemesis?.busySinceUs ?? Infinity;
    options.onStart?.({ meta, originUs, controlOps, nemesisEvents: liveEvents, nemesisBusySinceUs });
    if (options.startAtMs !== undefined) await origin.waitUntil(options.startAtMs);
    const plan = buildPlan(options);
    const lateMs = options.startAtMs === undefined ? 0 : Math.max(0, origin.wallMsAt(plan.startUs) - options.startAtMs);
    const totalCount = options.durationMs === undefined ? options.clientCount * options.callsPerClient : undefined;
    const tally = new CallTally();
    const streams = mergeStreams(groups.length, plan.startUs, (calls, watermarkUs) => {
      tally.add(calls);
      options.onCalls?.(calls, watermarkUs);
    });
    options.nemesis?.start(originUs, plan.deadlineUs);
    const [mainStart, hostStart] = [ownThreadTime(), hostTimes()];
    const results = await runGroups(groups, plan, streams, report('run', plan.startUs, totalCount));
    // Until the last call ended: recording a native group's calls after that is not load.
    const endUs = Math.max(...results.map((result) => result.endUs));
    const totalTimeS = (endUs - plan.startUs) / 1e6;
    const threads = [{ name: 'JS thread', ...threadTimeSince(mainStart) }, ...results.flatMap((r) => r.threads)];
    const resources = runResources(threads, totalTimeS, hostUseBetween(hostStart, hostTimes()));
    const nemesisEvents = (await options.nemesis?.stop()) ?? [];
    // A counter that died during the run still gets a report: the count checks become 'unknown'.
    const finalCount = await timedCall(controlOps, 'read', () => readPatiently(counter));
    const counts = { initialCount, finalCount, totalTimeS };
    const segment =
      options.segment &&
      segmentFacts(options.segment, origin, { startUs: plan.startUs, endUs, lateMs }, controlOps, tally, results);
    return {
      measures: { ...measure(options, factory, results, tally, counts, { resources, nemesisEvents }), segment },
      history: { meta: runMeta(options, factory, results, origin, clockOffset), originUs, controlOps, nemesisEvents },
    };
  } finally {
    await options.nemesis?.stop();
    await Promise.allSettled(groups.map((group) => group.close()));
    await control.close();
    await factory.close();
  }
}

/** The warmup's calls: not recorded. */
const discardCalls: OnCalls = () => {};

/** Runs one of the tester's own calls, recording it: ok with its count, or fail when it threw or read nothing. */
async function timedCall<T extends number | undefined | void>(
  ops: ControlOp[],
  f: ControlOp['f'],
  call: () => Promise<T>,
): Promise<T> {
  const invokeUs = monotonicUs();
  try {
    const value = await call();
    const ok = f === 'reset' || typeof value === 'number';
    const read = typeof value === 'number' ? value : null;
    ops.push({ f, invokeUs, completeUs: monotonicUs(), type: ok ? 'ok' : 'fail', value: read });
    return value;
  } catch (err) {
    ops.push({ f, invokeUs, completeUs: monotonicUs(), type: 'fail', value: null });
    throw err;
  }
}

/** The final read retries a little: a backend recovering from a fault should still be judged. */
async function readPatiently(counter: Counter): Promise<number | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await counter.read();
    } catch {
      if (attempt >= FINAL_READ_ATTEMPTS) return undefined;
      await sleep(FINAL_READ_PAUSE_MS);
    }
  }
}

function buildPlan(options: LoadOptions): CallPlan {
  const startUs = monotonicUs();
  const plan: CallPlan = { startUs };
  if (options.durationMs !== undefined) plan.deadlineUs = startUs + options.durationMs * 1000;
  else plan.callsPerClient = options.callsPerClient;
  if (options.ratePerSecond) plan.intervalUs = (1e6 * options.clientCount) / options.ratePerSecond;
  return plan;
}

/** What the run measured, from its groups' results and its calls' tally. */
function measure(
  options: LoadOptions,
  factory: CounterFactory,
  results: GroupResult[],
  tally: CallTally,
  counts: { initialCount: number; finalCount: number | undefined; totalTimeS: number },
  { resources, nemesisEvents }: Pick<LoadMeasures, 'resources' | 'nemesisEvents'>,
): LoadMeasures {
  const errors = addCounts(results.map((result) => result.errorCounts));
  const openLoop = options.ratePerSecond ? openLoopFields(options.ratePerSecond, results, tally) : {};
  return {
    counter: factory.name,
    clientCount: options.clientCount,
    callsPerClient: options.durationMs === undefined ? options.callsPerClient : null,
    durationMs: options.durationMs ?? null,
    ratePerSecond: options.ratePerSecond ?? null,
    totalCalls: tally.okCount,
    attemptedCount: tally.callCount,
    totalTimeS: counts.totalTimeS,
    rps: tally.okCount / counts.totalTimeS,
    initialCount: counts.initialCount,
    finalCount: counts.finalCount ?? null,
    latency: summarize(results.map((result) => result.latencyBase64)),
    ...openLoop,
    errors,
    errorExamples: Object.assign({}, ...results.map((result) => result.errorExamples)),
    retryCount: results.reduce((sum, result) => sum + result.retryCount, 0),
    promisesExact: factory.promisesExact,
    nemesisEvents,
    // maxRSS is in kilobytes.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    resources,
  };
}

/** The share of the rate a run may miss and still count as held. */
export const RATE_HELD_SHARE = 0.95;

/** Open loop's extra measures: latency from the send, the pacer's lag, and the rate really sent. */
function openLoopFields(
  ratePerSecond: number,
  results: GroupResult[],
  tally: CallTally,
): Pick<LoadResult, 'uncorrectedLatency' | 'pacerLag' | 'rateHeld' | 'sentRate'> {
  const n = tally.callCount;
  // n calls sent over the span of n - 1 intervals.
  const sentRate = n > 1 ? ((n - 1) * 1e6) / (tally.lastInvokeUs - tally.firstInvokeUs) : ratePerSecond;
  return {
    uncorrectedLatency: summarize(results.map((result) => result.uncorrectedBase64)),
    pacerLag: summarize(results.map((result) => result.pacerLagBase64)),
    rateHeld: sentRate >= RATE_HELD_SHARE * ratePerSecond,
    sentRate: Math.round(sentRate),
  };
}

/** What judging this run again needs beyond its operations. */
function runMeta(
  options: LoadOptions,
  factory: CounterFactory,
  results: GroupResult[],
  origin: WallOrigin,
  clockOffset?: ClockOffset,
): RunMeta {
  const { segment } = options;
  const wallClockOriginUs = origin.originWallMs * 1000;
  return {
    counter: factory.name,
    // A segment's processes are numbered among the whole run's clients, so that they never collide.
    clientCount: options.segment?.plan.clientCount ?? options.clientCount,
    promisesExact: factory.promisesExact,
    linearizable: factory.linearizable,
    unreadableCount: results.reduce((sum, result) => sum + (result.errorCounts.protocol ?? 0), 0),
    // A segment's history says which it is and where its clock stands, for judging the segments together.
    ...(segment && { segment: { index: segment.index, count: segment.count, wallClockOriginUs, ...(clockOffset && { clockOffset }) } }),
  };
}
