import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled server next to the compiled tester (dist/server/main.js). */
const SERVER_MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
/** Keep only the tail of the server's stderr: enough to explain a failure or find a log line. */
const OUTPUT_LIMIT = 1 << 20;

export interface LaunchOptions {
  host: string;
  port: number;
  /** WORKERS; when undefined, `env` (or the server's default) decides. */
  workers?: number;
  /** Store settings (STORAGE_METHOD, SHM_INCREMENT, STORAGE_PATH, ...). */
  env: Record<string, string>;
  /** Another server script taking HOST and PORT (the benchmark's bare counters, a snapshot build). */
  script?: string;
  /** A command the server runs under, e.g. ["ip", "netns", "exec", "ns1"] (it must exec the server). */
  prefix?: string[];
  /** Arguments for the script (a test fixture's mode). */
  args?: string[];
  /** Called with the server's pid as soon as it runs, before it listens (the nemesis records it). */
  onSpawn?: (pid: number) => void;
}

export interface LaunchedServer {
  host: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** The tail of what the server wrote to stderr so far. */
  output(): string;
  /** Resolves with the exit code once the server has exited and its stderr is read to its end. */
  exited: Promise<number | null>;
  /** SIGTERM, then resolves with the exit code once the server is gone (SIGKILL if it hangs). */
  stop(): Promise<number | null>;
}

/** The server exited or hung before it was listening; `message` is its last words, one line. */
export class ServerStartError extends Error {
  /** Everything it wrote to stderr (the tail), for a test's failure message. */
  constructor(message: string, readonly output = '') {
    super(message);
    this.name = 'ServerStartError';
  }
}

/** Servers still running when the tester exits (an uncaught error, Ctrl-C) go down with it. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of running) server.kill('SIGTERM');
  });
}

/** The most telling line of the server's stderr, without its "web-counter: " prefix. */
function lastLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').replace(/^web-counter:\s*/, '');
}

/**
 * Starts `node dist/server/main.js` with the given store and waits for its "listening on"
 * line. Rejects with a ServerStartError when it exits first or takes too long.
 */
export function launchServer(options: LaunchOptions): Promise<LaunchedServer> {
  const script = options.script ?? SERVER_MAIN;
  const [command, ...args] = [...(options.prefix ?? []), process.execPath, script, ...(options.args ?? [])];
  const child = spawn(command, args, {
    env: {
      ...process.env,
      // Stale store settings from the caller's environment must not leak into this store.
      STORAGE_PATH: '',
      SHM_INCREMENT: '',
      ...options.env,
      HOST: options.host,
      PORT: String(options.port),
      ...(options.workers === undefined ? {} : { WORKERS: String(options.workers) }),
    },
    // The server logs to stderr; its stdout would mix into the table we print.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  });
  // 'close', not 'exit': the server's last lines may still be in its stderr pipe when it exits.
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('close', (code) => resolve(code));
  });

  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      fn();
    };
    const timer = setTimeout(
      () =>
        settle(() => {
          void stop();
          const said = lastLine(output);
          const why = `not listening after ${START_TIMEOUT_MS / 1000} s${said ? ` (last said: ${said})` : ''}`;
          reject(new ServerStartError(why, output));
        }),
      START_TIMEOUT_MS,
    );
    const onData = () => {
      if (!/listening on/.test(output)) return;
      const { host, port } = options;
      settle(() => resolve({ host, port, pid: child.pid!, child, output: () => output, exited, stop }));
    };
    child.stderr!.on('data', onData);
    child.once('error', (err) => settle(() => reject(new ServerStartError(`cannot run ${script}: ${err.message}`))));
    void exited.then((code) =>
      settle(() => reject(new ServerStartError(lastLine(output) || `exited with ${code} before listening`, output))),
    );
  });
}
