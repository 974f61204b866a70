import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Runs the server expecting it to refuse to start; resolves with its exit code and stderr. */
export function runServerToExit(env: ServerEnv, timeoutMs = 30_000): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    // 'close', not 'exit': only then has all of stderr been read.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
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
