import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { relayStderr } from './child-stderr.js';
import type { WorkerMessage } from './messages.js';
import { WRITER_SOCKET_ENV } from './stores/writer-protocol.js';

const WRITER_MAIN = new URL('./writer-main.js', import.meta.url);

/** The writer could not start (its store did not open): the message says why. */
export class WriterStartError extends Error {}

/**
 * The primary's handle on the server's writer process (writer-main.ts). Its socket lives in a
 * directory only this user can enter (mkdtemp makes it 0700), under the same path for every
 * writer the primary starts, so workers reconnect to a restarted writer without being told.
 */
export class WriterProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private readonly socketPath: string;

  constructor(
    private readonly execArgv: string[],
    private readonly onDeath: (pid: number, how: string) => void,
  ) {
    this.socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'counters-writer-')), 'writer.sock');
  }

  /** What each worker needs in its environment to find the writer. */
  get workerEnv(): Record<string, string> {
    return { [WRITER_SOCKET_ENV]: this.socketPath };
  }

  /** Forks a writer; resolves once it listens, rejects with its reason if it cannot start. */
  start(): Promise<void> {
    const child = fork(WRITER_MAIN, [], {
      execArgv: this.execArgv,
      env: { ...process.env, ...this.workerEnv },
      stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    });
    this.child = child;
    relayStderr(child, 'writer');
    return new Promise((resolve, reject) => {
      let listening = false;
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'listening') {
          listening = true;
          resolve();
        } else if (message.type === 'fatal') reject(new WriterStartError(message.message));
      });
      child.once('exit', (code, signal) => {
        const how = signal ?? `exit ${code}`;
        if (!listening) reject(new WriterStartError(`the writer exited before it listened (${how})`));
        else if (!this.stopping) this.onDeath(child.pid!, how);
      });
    });
  }

  /** Once the workers are gone: the writer closes its store, then its directory goes. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      if (child.connected) child.send({ type: 'shutdown' });
      else child.kill('SIGTERM');
      await closed;
    }
    rmSync(path.dirname(this.socketPath), { recursive: true, force: true });
  }
}
