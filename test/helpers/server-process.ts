import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tester/harness/free-port.js';
import { type LaunchedServer, launchServer, ServerStartError } from '../../tester/harness/server-launcher.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVER_MAIN = path.join(ROOT, 'dist/server/main.js');

export type ServerProcess = LaunchedServer;
export type ServerEnv = Record<string, string>;

/** A test server on loopback (unless env sets HOST), at env's PORT: each test file picks its own range. */
export async function startServer(env: ServerEnv): Promise<ServerProcess> {
  if (!env.PORT) throw new Error('startServer needs a PORT in env');
  try {
    return await launchServer({ host: env.HOST ?? '127.0.0.1', port: Number(env.PORT), env });
  } catch (err) {
    if (!(err instanceof ServerStartError)) throw err;
    throw new Error(`server did not start: ${err.message}\n${err.output}`);
  }
}

/**
 * Whether the server exits within `timeoutMs`; once true, its output() holds everything it wrote
 * (the wait is for its stderr's end, not only its exit).
 */
export async function exitsWithin(server: ServerProcess, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([server.exited.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a server on a port the kernel just found free. Another process may take the port before
 * the server binds it (a connection's local port, another test's server): the server then refuses
 * to start, as it binds exclusively, and another port is tried.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      const said = `${(err as Error).message}\n${(err as { output?: string }).output ?? ''}`;
      if (attempt === 5 || !/already in use|EADDRINUSE/.test(said)) throw err;
    }
  }
}

type Exit = { code: number | null; stderr: string };

/** Spawns a command and resolves once it exited and its stderr is fully read ('close', not 'exit'). */
function runToClose(command: string, args: string[], env: ServerEnv, timeoutMs: number): Promise<Exit> {
  const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
  const child = spawn(command, args, { env: { ...process.env, HOST: '127.0.0.1', ...env }, stdio });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

/** Runs the server expecting it to refuse to start; resolves with its exit code and stderr. */
export function runServerToExit(env: ServerEnv, timeoutMs = 30_000): Promise<Exit> {
  return runToClose(process.execPath, [SERVER_MAIN], env, timeoutMs);
}

/**
 * Runs the server in a network namespace of its own (only loopback, up): a HOST that needs a
 * DNS lookup fails there without any packet leaving the machine. Resolves with its exit.
 */
export function runServerInPrivateNetwork(env: ServerEnv, timeoutMs = 20_000): Promise<Exit> {
  const script = `ip link set lo up && exec "${process.execPath}" "${SERVER_MAIN}"`;
  return runToClose('unshare', ['-n', 'sh', '-c', script], env, timeoutMs);
}

/**
 * Runs the server as user `uid` (setpriv, which needs root) expecting it to refuse to start;
 * resolves with its exit code and stderr.
 */
export function runServerToExitAs(uid: number, env: ServerEnv, timeoutMs = 30_000): Promise<Exit> {
  const ids = [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  return runToClose('setpriv', [...ids, process.execPath, SERVER_MAIN], env, timeoutMs);
}

export async function httpRequest(
  port: number,
  method: string,
  urlPath: string,
  body?: string,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { method, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}
