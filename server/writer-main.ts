import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { readServerConfig } from './config.js';
import { describeError, exitWorker, type WorkerMessage } from './messages.js';
import { openWriter } from './stores/open-store.js';
import type { Writer } from './stores/writer.js';
import { WRITER_SOCKET_ENV } from './stores/writer-protocol.js';
import { serveWorker } from './stores/writer-service.js';

/** A stopping worker drains for up to 5 s through this writer; then the writer goes regardless. */
const DRAIN_TIMEOUT_MS = 7000;

/**
 * The server's one writer for a remote store with several workers, in a process of its own
 * (forked by the primary, see writer-process.ts): every worker connects to its unix socket and
 * hands it increments, which join one coalesced batch. A process, not the primary itself, so
 * its stderr comes through the primary's filter like a worker's (libpq prints a FATAL it gets
 * straight to stderr). It stops once every worker's link has closed, so the answers workers
 * still owe go out first: on the primary's word, a terminal's Ctrl-C, or the primary's death.
 */
async function runWriter(): Promise<void> {
  const socketPath = process.env[WRITER_SOCKET_ENV];
  if (!socketPath) throw new Error(`the writer runs only as a server's child (${WRITER_SOCKET_ENV} is not set)`);
  const config = readServerConfig();
  const server = net.createServer();
  let writer: Writer | undefined;
  let stopping = false;

  // The socket's directory is the primary's; a primary that died (kill -9) leaves it to us.
  let orphaned = false;
  const finish = async () => {
    try {
      await writer?.close();
    } catch (err) {
      console.error(`web-counter writer ${process.pid}: closing store: ${describeError(err)}`);
    }
    rmSync(orphaned ? path.dirname(socketPath) : socketPath, { recursive: true, force: true });
    process.exit(0);
  };
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (!server.listening) {
      void finish();
      return;
    }
    server.close(() => void finish());
    setTimeout(() => void finish(), DRAIN_TIMEOUT_MS).unref();
  };
  process.stderr.on('error', () => {});
  process.on('message', (message: { type?: string }) => message?.type === 'shutdown' && stop());
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const orphan = () => {
    orphaned = true;
    stop();
  };
  process.on('disconnect', orphan);
  // A primary that died while this process was starting disconnected before the listener was there.
  if (!process.connected) orphan();

  writer = await openWriter(config, `in one writer for ${config.workerCount} workers`);
  if (stopping) return;
  const opened = writer;
  server.on('connection', (socket) => serveWorker(socket, opened));
  // A writer killed before us left its socket file; the directory is the primary's own.
  rmSync(socketPath, { force: true });
  server.on('error', (err) => exitWorker(`the writer cannot listen on ${socketPath}: ${err.message}`));
  server.listen(socketPath, () => {
    if (process.connected && !stopping) process.send?.({ type: 'listening' } satisfies WorkerMessage);
  });
}

try {
  await runWriter();
} catch (err) {
  exitWorker(describeError(err));
}
