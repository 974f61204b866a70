/**
 * `streamHistory` with the reading on a thread of its own: a worker reads, parses and lays
 * out the history (history-reader-worker.ts) while this thread runs the sink (the judge, the
 * report), so the two halves of `tester check` overlap on two cores. The calls cross in a ring
 * of a few shared batches (batch-ring.ts), so memory stays bounded and nothing is copied but
 * into the ring. Same contract as `streamHistory`: the sink gets the same batches, the file's
 * faults the same one-line HistoryError, the sink's own failure comes out as it was.
 */
import { Worker } from 'node:worker_threads';
import type { CallSink } from '../check/call-batch.js';
import { BatchRing, type RingMemory, type SlotNote } from './batch-ring.js';
import { HistoryError, type CallSinkChoice, type HistoryHead, type HistoryRest, type HistoryWarnings } from './history-reader.js';

export interface ReaderWorkerData {
  path: string;
  memory: RingMemory;
}

/** What the reading thread posts, in this order: the head, the batches, then the rest or a failure. */
export type ReaderMessage =
  | { kind: 'head'; head: HistoryHead }
  | { kind: 'batch'; note: SlotNote }
  | { kind: 'done'; rest: HistoryRest & HistoryWarnings }
  | { kind: 'failed'; history: boolean; message: string; stack?: string };

const WORKER = new URL('./history-reader-worker.js', import.meta.url);
const CODE_RANGE_MB = 32;

export function streamHistoryInWorker(path: string, sink: CallSinkChoice): Promise<HistoryRest & HistoryWarnings> {
  const ring = new BatchRing();
  const fromStdin = path === '-';
  const workerData: ReaderWorkerData = { path, memory: ring.memory };
  // A parser's code is small: V8's default code range (128 MiB of address space) is not needed,
  // and without it `tester check` fits in 1.5 GiB of address space (test/check-hostile.test.ts).
  const worker = new Worker(WORKER, { workerData, stdin: fromStdin, resourceLimits: { codeRangeSizeMb: CODE_RANGE_MB } });
  // The worker reads its standard input from this thread's, with the pipe's flow control.
  if (fromStdin) process.stdin.pipe(worker.stdin!);
  let opened: CallSink | undefined;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      ring.stop();
      void worker.terminate();
      if (fromStdin) {
        process.stdin.unpipe(worker.stdin!);
        process.stdin.destroy();
      }
      outcome();
    };
    worker.on('message', (message: ReaderMessage) => {
      if (settled) return;
      try {
        if (message.kind === 'head') opened = typeof sink === 'function' ? sink(message.head) : sink;
        else if (message.kind === 'batch') {
          opened!.add(ring.batch(message.note));
          ring.free(message.note.slot);
        } else if (message.kind === 'done') settle(() => resolve(message.rest));
        else settle(() => reject(failure(message)));
      } catch (err) {
        settle(() => reject(err));
      }
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => {
      settle(() => reject(new Error(`the history's reading thread exited (${code}) before the history ended`)));
    });
  });
}

/** The file's fault as the one line it is; anything else as the bug it is, with the worker's stack. */
function failure({ history, message, stack }: { history: boolean; message: string; stack?: string }): Error {
  if (history) return new HistoryError(message);
  const error = new Error(message);
  if (stack !== undefined) error.stack = stack;
  return error;
}
