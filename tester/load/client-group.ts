import * as hdr from 'hdr-histogram-js';
import { isMainThread, Worker } from 'node:worker_threads';
import type { Counter, CounterFactory, EngineCalls, ErrorKind, IncrementEngine } from '../../counters/counter.js';
import { type HistoryData, monotonicUs } from '../check/history.js';
import { deliveringWhile, type OnCalls } from './call-stream.js';
import { type CallPlan, CallsInFlight, LoadRecorder, runClients } from './client-loop.js';
import { createFactory, type CounterSpec } from './counter-spec.js';
import { type NamedThreadTime, ownThreadTime, type ThreadTime, threadTimeSince } from './cpu-use.js';

/** What a group of clients hands back after its calls (the calls themselves went to its stream). */
export interface GroupResult {
  /** hdr-histogram, compressed: histograms from several threads are added up. */
  latencyBase64: string;
  /** Open loop only (else empty): latency from the send, and how late each call was sent. */
  uncorrectedBase64: string;
  pacerLagBase64: string;
  errorCounts: Partial<Record<ErrorKind, number>>;
  errorExamples: Partial<Record<ErrorKind, string>>;
  retryCount: number;
  /** When the group's last call ended (monotonic microseconds), before its bookkeeping. */
  endUs: number;
  /** The group's own threads over the run: its engine's loop, and its JS thread when that is a worker's. */
  threads: NamedThreadTime[];
}

/** Some of a run's clients, connected and waiting for the start signal. */
export interface ClientGroup {
  /** [done, errors] so far, readable at any time (shared memory when in a worker thread). */
  readonly progress: Float64Array<ArrayBufferLike>;
  /** Makes the plan's calls, handing them to `onCalls` as they end (see OnCalls). */
  run(plan: CallPlan, onCalls: OnCalls): Promise<GroupResult>;
  close(): Promise<void>;
}

async function openCounters(
  factory: CounterFactory,
  clientCount: number,
): Promise<{ counters: Counter[]; close(): Promise<void> }> {
  const counters: Counter[] = [];
  try {
    for (let i = 0; i < clientCount; i++) counters.push(await factory.open());
  } catch (err) {
    await Promise.allSettled(counters.map((counter) => counter.close()));
    await factory.close();
    throw err;
  }
  return {
    counters,
    close: async () => {
      await Promise.allSettled(counters.map((counter) => counter.close()));
      await factory.close();
    },
  };
}

/** Clients on this thread: the factory's engine when it has one, else one Counter each. */
export async function openLocalGroup(
  spec: CounterSpec,
  clientCount: number,
  firstClientId: number,
  progress: Float64Array<ArrayBufferLike> = new Float64Array(2),
): Promise<ClientGroup> {
  const factory = await createFactory(spec);
  if (factory.openEngine) return openEngineGroup(factory, clientCount, firstClientId, progress);
  const { counters, close } = await openCounters(factory, clientCount);
  return {
    progress,
    async run(plan, onCalls) {
      const jsStart = ownThreadTime();
      const recorder = new LoadRecorder(progress);
      const inFlight = new CallsInFlight(firstClientId, clientCount);
      const deliver = () => onCalls(recorder.take(), inFlight.watermarkUs());
      recorder.onFull = deliver;
      await deliveringWhile(() => runClients(counters, firstClientId, plan, recorder, inFlight), deliver);
      onCalls(recorder.take(), Infinity);
      const retryCount = counters.reduce((sum, counter) => sum + counter.retryCount, 0);
      return groupResult(recorder, retryCount, monotonicUs(), ownThreads(jsStart));
    },
    close,
  };
}

async function openEngineGroup(
  factory: CounterFactory,
  clientCount: number,
  firstClientId: number,
  progress: Float64Array<ArrayBufferLike>,
): Promise<ClientGroup> {
  let engine: IncrementEngine;
  try {
    engine = await factory.openEngine!(clientCount);
  } catch (err) {
    await factory.close();
    throw err;
  }
  return {
    progress,
    async run(plan, onCalls) {
      const jsStart = ownThreadTime();
      const recorder = new LoadRecorder(progress);
      const open = plan.intervalUs !== undefined;
      const deliver = (calls: EngineCalls, watermarkUs: number) => {
        recordEngineCalls(recorder, calls, firstClientId, open);
        onCalls(recorder.take(), watermarkUs);
      };
      const end = await deliveringWhile(
        () => engine.run(plan),
        () => {
          const calls = engine.drain();
          deliver(calls, calls.watermarkUs);
        },
      );
      deliver(end, Infinity);
      return groupResult(recorder, end.retryCount ?? 0, end.endUs, ownThreads(jsStart, end.loopTime));
    },
    async close() {
      await engine.close();
      await factory.close();
    },
  };
}

/** The engine's calls into the recorder: their latency and errors counted, their outcomes decided. */
function recordEngineCalls(recorder: LoadRecorder, calls: EngineCalls, firstClientId: number, open: boolean): void {
  for (let i = 0; i < calls.length; i++) {
    const clientId = firstClientId + calls.clientIndex[i];
    const dueUs = open ? calls.dueUs[i] : undefined;
    const error = calls.errors.get(i);
    const value = Number.isNaN(calls.values[i]) ? undefined : calls.values[i];
    if (error) recorder.recordFailure(clientId, dueUs, calls.invokeUs[i], calls.completeUs[i], error);
    else recorder.recordOk(clientId, dueUs, calls.invokeUs[i], calls.completeUs[i], value);
  }
}

/**
 * The threads this group alone ran on: the engine's loop thread, and the JS thread when it is a
 * worker's (the main thread is run-load's to measure, whichever group runs on it).
 */
function ownThreads(jsStart: ThreadTime, loopTime?: ThreadTime): NamedThreadTime[] {
  const threads: NamedThreadTime[] = [];
  if (!isMainThread) threads.push({ name: 'JS thread', ...threadTimeSince(jsStart) });
  if (loopTime) threads.push({ name: 'loop thread', ...loopTime });
  return threads;
}

function groupResult(
  recorder: LoadRecorder,
  retryCount: number,
  endUs: number,
  threads: NamedThreadTime[],
): GroupResult {
  return {
    endUs,
    threads,
    latencyBase64: hdr.encodeIntoCompressedBase64(recorder.latencyUs),
    uncorrectedBase64: hdr.encodeIntoCompressedBase64(recorder.uncorrectedUs),
    pacerLagBase64: hdr.encodeIntoCompressedBase64(recorder.pacerLagUs),
    errorCounts: recorder.errorCounts,
    errorExamples: recorder.errorExamples,
    retryCount,
  };
}

/** A worker group's calls, posted with their buffers transferred. */
export interface CallsMessage {
  calls: HistoryData;
  watermarkUs: number;
}

/** Clients on a worker thread of their own, for hosts with more cores than one thread can load. */
export function openWorkerGroup(
  spec: CounterSpec,
  clientCount: number,
  firstClientId: number,
  label: string,
): Promise<ClientGroup> {
  const progress = new Float64Array(new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT));
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), {
    workerData: { spec, clientCount, firstClientId, progress },
  });
  // The calls the worker posts while it runs go to the run's stream, in the order posted.
  let onCalls: OnCalls = () => {};
  worker.on('message', (message: Partial<CallsMessage>) => {
    if (message.calls) onCalls(message.calls, message.watermarkUs!);
  });
  /** The worker's next message that is not calls. */
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: { error?: string; calls?: HistoryData } & T) => {
        if (message.calls) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve(message);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  return next<{ ready: true }>().then(() => ({
    progress,
    async run(plan: CallPlan, groupOnCalls: OnCalls) {
      onCalls = groupOnCalls;
      worker.postMessage({ plan });
      const result = await next<GroupResult>();
      return { ...result, threads: result.threads.map((thread) => ({ ...thread, name: `${label} ${thread.name}` })) };
    },
    async close() {
      worker.postMessage({ close: true });
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  }));
}
