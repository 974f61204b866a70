/**
 * The reading thread of `streamHistoryInWorker` (history-reader-thread.ts): reads, parses and
 * lays out the history as `streamHistory` does, puts each batch of calls into the shared ring
 * and posts its note; then the rest, or what went wrong. Messages arrive in the order posted,
 * so the head comes before the first batch and the rest after the last.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchRing, RingStopped } from './batch-ring.js';
import type { ReaderMessage, ReaderWorkerData } from './history-reader-thread.js';
import { HistoryError, streamHistory } from './history-reader.js';

const { path, memory } = workerData as ReaderWorkerData;
const ring = new BatchRing(memory);
const post = (message: ReaderMessage) => parentPort!.postMessage(message);

try {
  const rest = await streamHistory(path, (head) => {
    post({ kind: 'head', head });
    return { add: (batch) => post({ kind: 'batch', note: ring.put(batch) }) };
  });
  post({ kind: 'done', rest });
} catch (err) {
  // A judge that stopped has what it needs, or its own error to tell.
  if (!(err instanceof RingStopped)) {
    const { message, stack } = err instanceof Error ? err : new Error(String(err));
    post({ kind: 'failed', history: err instanceof HistoryError, message, stack });
  }
}
