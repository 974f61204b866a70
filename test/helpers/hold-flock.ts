import { spawn } from 'node:child_process';

export interface FlockHolder {
  /** Ends the holder (and its lock); resolves once it is gone. */
  release(): Promise<void>;
}

/**
 * Another process that holds a flock on `file` (as any user who can open it could) for at
 * most `holdMs`; resolves once the lock is taken.
 */
export function holdFlock(file: string, kind: 'shared' | 'exclusive', holdMs: number): Promise<FlockHolder> {
  const seconds = String(holdMs / 1000);
  // Its own process group: the lock lives in both flock(1) and the shell it runs.
  const child = spawn('flock', [`--${kind}`, file, 'sh', '-c', `echo held; exec sleep ${seconds}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => process.kill(-child.pid!, 'SIGKILL');
  process.once('exit', killOnExit);
  const release = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve({ release }));
    child.once('error', reject);
    void exited.then(() => reject(new Error(`flock ${file} ended before taking the lock`)));
  });
}
