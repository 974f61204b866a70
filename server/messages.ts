import { firstLine } from '../backends/first-line.js';

/** What a worker tells the primary over the cluster IPC channel. */
export type WorkerMessage = { type: 'listening' } | { type: 'fatal'; message: string };

/** One line for an expected failure; the stack only when DEBUG asks for it. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return process.env.DEBUG ? (err.stack ?? err.message) : firstLine(err);
}

/** Worker side: tells the primary why this worker cannot run, then exits once the message is out. */
export function exitWorker(message: string): void {
  if (!process.send || !process.connected) process.exit(1);
  process.send({ type: 'fatal', message } satisfies WorkerMessage, undefined, {}, () => process.exit(1));
}
