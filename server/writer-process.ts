import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { relayStderr } from './child-stderr.js';
import type { WorkerMessage } from './messages.js';
import { WRITER_SOCKET_ENV } from './stores/writer-protocol.js';

const WRITER_MAIN = new URL('./writer-main.js', import.meta.url);

/**
 * A socket directory's name: the primary's pid namespace and pid, then mkdtemp's random part. A pid
 * means something only in its own namespace: containers sharing one /tmp must not judge each
 * other's directories by it.
 */
const PID_NAMESPACE = readlinkSync('/proc/self/ns/pid').replace(/\D/g, '');
const DIRECTORY_PREFIX = `counters-writer-${PID_NAMESPACE}-${process.pid}-`;
const DIRECTORY_NAME = /^counters-writer-(\d+)-(\d+)-/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A server killed whole (kill -9 of the primary and the writer together) leaves its socket
 * directory behind, with nobody to remove it: the next server does, for every primary of its pid
 * namespace that is gone.
 */
function removeDirectoriesOfDeadPrimaries(tmp: string): void {
  for (const name of readdirSync(tmp)) {
    const [, namespace, primary] = DIRECTORY_NAME.exec(name) ?? [];
    if (namespace !== PID_NAMESPACE || isAlive(Number(primary))) continue;
    try {
      rmSync(path.join(tmp, name), { recursive: true, force: true });
    } catch {
      // Another user's, in a sticky /tmp: theirs to remove.
    }
  }
}

/** The writer could not start (its store did not open): the message says why. */
export class WriterStartError extends Error {}

/**
 * The primary's handle on the server's writer process (writer-main.ts). Its socket lives in a
 * directory only this user can enter (mkdtemp makes it 0700), under the same path for every
 * writer the primary starts, so workers reconnect to a restarted writer without being told.
 */
export class WriterProcess {
  private child: ChildProcess | undefined;
  /** The last child that said it listens: one still starting may not take messages yet. */
  private listened: ChildProcess | undefined;
  private stopping = false;
  private readonly socketPath: string;

  constructor(
    private readonly execArgv: string[],
    private readonly onDeath: (pid: number, how: string) => void,
  ) {
    removeDirectoriesOfDeadPrimaries(os.tmpdir());
    this.socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), DIRECTORY_PREFIX)), 'writer.sock');
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
          this.listened = child;
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

  /** Once the workers are gone: the writer closes its store (or is killed after `timeoutMs`), then its directory goes. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      // A writer still starting would miss the word; SIGTERM ends it with or without its handler.
      if (this.listened === child && child.connected) child.send({ type: 'shutdown' });
      else child.kill('SIGTERM');
      // It drains for at most 7 s on its own; one that cannot (stopped, wedged) must not hold the primary.
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await closed;
      clearTimeout(timer);
    }
    rmSync(path.dirname(this.socketPath), { recursive: true, force: true });
  }
}
