/**
 * Tools for the fault, bad-input and security suites: process inspection (worker pids, RSS),
 * hard kills, raw sockets that report how the server ended an exchange, a server that stalls,
 * a seeded fuzzer, the service scripts, and a small load driver that judges any counter
 * factory with the tester's own history checker.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { CounterFactory } from '../../counters/counter.js';
import { checkHistory, type HistoryCheck } from '../../tester/check/check-history.js';
import { monotonicUs, Outcome } from '../../tester/check/history.js';
import { verdictLine } from '../../tester/check/verdict.js';
import { LoadRecorder, runClients } from '../../tester/load/client-loop.js';
import { ROOT } from './server-process.js';

const SERVER_MAIN = path.join(ROOT, 'dist/server/main.js');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `intervalMs` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitFor(probe: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return true;
    } catch {
      // not yet
    }
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** Runs a command to its end (bounded), resolving with its exit code and output; never rejects. */
export function run(
  command: string,
  args: string[],
  timeoutMs = 60_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

// ------------------------------------------------------------------------------------------
// Processes

/** Direct children of `pid` (the server's workers, for a primary). */
export async function childPids(pid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(pid)], 5000);
  return stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resident set size of a process in MB, or undefined when it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process (sockets included), or undefined when it is gone. */
export function openFdCount(pid: number): number | undefined {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** SIGKILLs every pid in one go (ignoring the dead), then waits up to 5 s for them to be gone. */
export async function killHard(pids: number[]): Promise<boolean> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return waitFor(() => pids.every((pid) => !isAlive(pid)), 5000, 20);
}

/**
 * GET /health over a fresh connection (not fetch, whose pool keeps reaching one worker): the
 * answering worker's pid. SO_REUSEPORT spreads fresh connections over every live worker.
 */
export function healthPid(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve((JSON.parse(body) as { pid: number }).pid));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
  });
}

/** One request over a fresh connection, with a timeout; the status, or 0 when it failed. */
export async function statusOf(port: number, method: string, urlPath: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { method, headers, signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

export async function countOf(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/count`, { signal: AbortSignal.timeout(5000) });
    if (response.status !== 200) return undefined;
    return ((await response.json()) as { count: number }).count;
  } catch {
    return undefined;
  }
}

export interface SequentialRun {
  /** How many answers had each status (0: no answer within 5 s). */
  statuses: Record<number, number>;
  slowestMs: number;
  elapsedMs: number;
}

/** `count` requests one after another on a single keep-alive connection, as one busy client sends them. */
export async function sendSequentially(port: number, method: string, urlPath: string, count: number): Promise<SequentialRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const statuses: Record<number, number> = {};
  let slowestMs = 0;
  const began = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const sent = performance.now();
      const status = await new Promise<number>((resolve) => {
        const request = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, timeout: 5000 }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        request.on('timeout', () => request.destroy());
        request.on('error', () => resolve(0));
        request.end();
      });
      statuses[status] = (statuses[status] ?? 0) + 1;
      slowestMs = Math.max(slowestMs, performance.now() - sent);
    }
  } finally {
    agent.destroy();
  }
  return { statuses, slowestMs, elapsedMs: performance.now() - began };
}

/** Spawns a command and resolves once it exited and its stderr is fully read ('close', not 'exit'). */
function runToClose(command: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(command, args, { env: { ...process.env, HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

/**
 * Runs the server expecting it to refuse to start. Unlike runServerToFailure it waits for
 * 'close', so the last line of stderr is never lost to a loaded machine.
 */
export function runServerToExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stderr: string }> {
  return runToClose(process.execPath, [SERVER_MAIN], env, timeoutMs);
}

/**
 * Runs the server in a network namespace of its own (only loopback, up): a HOST that needs a
 * DNS lookup fails there without any packet leaving the machine. Resolves with its exit.
 */
export function runServerInPrivateNetwork(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  return runToClose('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${SERVER_MAIN}"`], env, timeoutMs);
}

// ------------------------------------------------------------------------------------------
// Raw sockets

export type ExchangeEnd = 'answered-and-closed' | 'answered' | 'closed' | 'reset' | 'hung' | 'refused';

export interface Exchange {
  /** How the server ended it: an answer, a close (FIN), a reset, or nothing before the timeout. */
  end: ExchangeEnd;
  /** Status codes of the HTTP responses received, in order. */
  statuses: number[];
  bytes: number;
  ms: number;
}

/** Status codes of the `HTTP/1.x NNN` status lines in `text`. */
export function statusCodes(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
}

/**
 * Opens a fresh connection, writes `payload` (half-closing after it when `halfClose`), and
 * waits until the server closes or `timeoutMs` passes. With `halfClose` false, the first
 * complete answer ends the exchange ('answered').
 */
export function exchange(port: number, payload: Buffer | string, options: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<Exchange> {
  const { halfClose = true, timeoutMs = 5000 } = options;
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = '';
    let bytes = 0;
    let settled = false;
    const finish = (end: ExchangeEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      const statuses = statusCodes(received);
      const answered = statuses.length > 0;
      const final: ExchangeEnd = end === 'closed' && answered ? 'answered-and-closed' : end === 'hung' && answered ? 'answered' : end;
      resolve({ end: final, statuses, bytes, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish('hung'), timeoutMs);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.write(payload);
      if (halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Only the head of each response matters; bodies are short JSON.
      if (received.length < 1_000_000) received += chunk.toString('latin1');
      if (!halfClose && /\r\n\r\n/.test(received) && completeResponse(received)) finish('answered');
    });
    socket.on('end', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(!connected && err.code === 'ECONNREFUSED' ? 'refused' : 'reset'));
  });
}

function completeResponse(text: string): boolean {
  const head = text.indexOf('\r\n\r\n');
  if (head < 0) return false;
  const length = /content-length:\s*(\d+)/i.exec(text.slice(0, head));
  return length ? text.length - head - 4 >= Number(length[1]) : true;
}

/** Opens `count` connections (in batches) and leaves them idle; returns them for closing. */
export async function openIdleSockets(port: number, count: number, timeoutMs = 20_000): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const deadline = Date.now() + timeoutMs;
  while (sockets.length < count && Date.now() < deadline) {
    const batch = Math.min(100, count - sockets.length);
    const opened = await Promise.all(
      Array.from(
        { length: batch },
        () =>
          new Promise<net.Socket | undefined>((resolve) => {
            const socket = net.connect({ port, host: '127.0.0.1' });
            socket.on('error', () => resolve(undefined));
            socket.once('connect', () => resolve(socket));
          }),
      ),
    );
    for (const socket of opened) if (socket) sockets.push(socket);
  }
  return sockets;
}

// ------------------------------------------------------------------------------------------
// A web counter that stalls

export interface StallServer {
  port: number;
  /** Increments received, answered or not. */
  received(): number;
  stop(): Promise<void>;
}

/**
 * A web counter (the real server's API) that never answers some requests: every `stallEvery`th
 * POST /inc is counted `stalledWeight` times (0: not at all) and left unanswered; with
 * `stallEverything`, no request at all is ever answered. Runs in the test process.
 */
export function startStallServer(
  port: number,
  options: { stallEvery?: number; stalledWeight?: number; stallEverything?: boolean },
): Promise<StallServer> {
  const { stallEvery = 4, stalledWeight = 1, stallEverything = false } = options;
  let count = 0;
  let incCount = 0;
  const reply = (res: http.ServerResponse, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (stallEverything) return;
      const route = `${req.method} ${req.url}`;
      if (route === 'POST /reset') {
        count = 0;
        incCount = 0;
        reply(res, { count });
      } else if (route === 'GET /count') reply(res, { count });
      else if (route === 'POST /inc') {
        incCount++;
        if (incCount % stallEvery === 0) {
          count += stalledWeight;
          return; // never answered
        }
        reply(res, { count: ++count });
      } else {
        res.writeHead(404).end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port,
        received: () => incCount,
        stop: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}

// ------------------------------------------------------------------------------------------
// Fuzzing

/** mulberry32: a small seeded generator, so a fuzz run is the same every time. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '\r\n', '\n', '\r', ' ', ':', '\0', '%00', '%', '/', '..', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9',
  'Content-Length: 5\r\n', 'Content-Length: -1\r\n', 'Content-Length: 99999999999999999999\r\n',
  'Transfer-Encoding: chunked\r\n', 'Transfer-Encoding: gzip, chunked\r\n', 'Connection: close\r\n',
  'Expect: 100-continue\r\n', 'Upgrade: websocket\r\n', 'Host: \r\n', '\u00ff\u00fe', 'GET', 'POST', 'PUT',
  'DELETE', 'OPTIONS', 'BREW', 'CONNECT', '0\r\n\r\n', 'ffffffff\r\n', '?a=1&a=2', '#frag', '*',
];

/**
 * A mutation of `seed`: byte flips, deletions, insertions of random bytes or HTTP-ish tokens,
 * truncation, duplication of a slice, or (one time in eight) random bytes with no seed at all.
 */
export function mutate(random: () => number, seed: string): Buffer {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  if (random() < 0.125) return randomBytes(1 + Math.floor(random() * 300));
  let bytes = Buffer.from(seed, 'latin1');
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (Math.floor(random() * 7)) {
      case 0: // flip a byte
        if (bytes.length > 0) {
          bytes = Buffer.from(bytes);
          bytes[Math.min(at, bytes.length - 1)] = Math.floor(random() * 256);
        }
        break;
      case 1: // delete a run
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + Math.floor(random() * 8)))]);
        break;
      case 2: // insert random bytes
        bytes = Buffer.concat([bytes.subarray(0, at), randomBytes(1 + Math.floor(random() * 16)), bytes.subarray(at)]);
        break;
      case 3: // insert a token
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(pick(TOKENS), 'latin1'), bytes.subarray(at)]);
        break;
      case 4: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 5: {
        // duplicate a slice (pipelining, repeated headers)
        const end = Math.min(bytes.length, at + 1 + Math.floor(random() * 40));
        bytes = Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
      default: // a long run of one byte (long names, long values)
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.alloc(1 + Math.floor(random() * 5000), pick([0x41, 0x20, 0x3a, 0x0d])), bytes.subarray(at)]);
    }
  }
  return bytes;
}

// ------------------------------------------------------------------------------------------
// Services

/** `bash scripts/postgres.sh <action>`, bounded. */
export function postgresScript(action: 'start' | 'stop' | 'status'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('bash', ['scripts/postgres.sh', action], 90_000);
}

/** `bash scripts/hazelcast.sh <action>`, bounded. */
export function hazelcastScript(action: 'start' | 'stop' | 'status' | 'restart'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('bash', ['scripts/hazelcast.sh', action], 180_000);
}

/**
 * `scripts/hazelcast.sh restart` until it succeeds (at most `attempts` times). Under load the
 * script can declare a member it has just forked "exited during startup" and drop its pid file
 * while the member runs on; the next attempt would then find its port taken. Such a member,
 * started by the failed attempt, is stopped by its pid before trying again.
 */
export async function restartHazelcast(attempts = 3): Promise<{ ok: boolean; log: string[] }> {
  const log: string[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const began = Date.now();
    const result = await hazelcastScript('restart');
    log.push(`restart attempt ${attempt}: exit ${result.code} after ${Date.now() - began} ms${result.code === 0 ? '' : `: ${result.stderr.trim()}`}`);
    if (result.code === 0) return { ok: true, log };
    for (const n of [1, 2, 3]) {
      if (hazelcastMemberPid(n) !== undefined) continue;
      const { stdout } = await run('pgrep', ['-f', '--', `-Dhz.network.port.port=${5700 + n} `], 5000);
      for (const pid of stdout.split('\n').map(Number).filter((p) => p > 0)) {
        let cmdline = '';
        try {
          cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        if (!cmdline.includes('HazelcastMemberStarter') || !cmdline.includes(path.join(ROOT, 'docker/hazelcast-cp.yaml'))) continue;
        log.push(`stopping member ${n} (pid ${pid}) that the script lost track of`);
        process.kill(pid, 'SIGTERM');
        if (!(await waitFor(() => !isAlive(pid), 15_000))) process.kill(pid, 'SIGKILL');
      }
    }
  }
  return { ok: false, log };
}

/** The pid of Hazelcast member `n` (1-3) that scripts/hazelcast.sh started, when it runs. */
export function hazelcastMemberPid(n: number): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(ROOT, '.hazelcast/run', `member-${n}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A 3-member CP cluster of the test's own (the project's member config, another name and other
 * ports), started from the jar scripts/hazelcast.sh cached: a test may take all of it down
 * without touching the shared cluster on 5701-5703.
 */
export class PrivateHazelcastCluster {
  private readonly members: Array<ChildProcess | undefined> = [];
  private readonly logs: string[] = [];

  constructor(
    readonly clusterName: string,
    readonly ports: number[],
    private readonly dir: string,
  ) {}

  /** HZ_* for a server or counter using this cluster. */
  get env(): Record<string, string> {
    return { HZ_CLUSTER_NAME: this.clusterName, HZ_CLUSTER_MEMBERS: this.ports.map((port) => `127.0.0.1:${port}`).join(',') };
  }

  /** Starts every member and resolves once their CP Subsystem has formed (at most `timeoutMs`). */
  async start(timeoutMs = 120_000): Promise<void> {
    const jar = path.join(ROOT, '.hazelcast/lib/hazelcast-5.4.0.jar');
    if (!fs.existsSync(jar)) throw new Error(`${jar} is missing: run scripts/hazelcast.sh start first (it caches the jar)`);
    const config = parseYaml(fs.readFileSync(path.join(ROOT, 'docker/hazelcast-cp.yaml'), 'utf8'));
    config.hazelcast['cluster-name'] = this.clusterName;
    config.hazelcast.network.join['tcp-ip']['member-list'] = this.ports.map((port) => `127.0.0.1:${port}`);
    this.ports.forEach((port, i) => {
      config.hazelcast.network.port = { port, 'auto-increment': false };
      const file = path.join(this.dir, `member-${i + 1}.yaml`);
      fs.writeFileSync(file, stringifyYaml(config));
      this.logs[i] = '';
      const child = spawn(
        'java',
        ['-Xms64m', '-Xmx192m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.net.preferIPv4Stack=true',
          `-Dhazelcast.config=${file}`, '-Dhazelcast.socket.bind.any=false', '-cp', jar, 'com.hazelcast.core.server.HazelcastMemberStarter'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.on('data', (chunk: Buffer) => (this.logs[i] += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (this.logs[i] += chunk.toString()));
      this.members[i] = child;
    });
    process.once('exit', () => this.members.forEach((child) => child?.kill('SIGKILL')));
    const formed = await waitFor(() => this.logs.some((log) => log.includes('CP Subsystem is initialized')), timeoutMs, 250);
    if (!formed) throw new Error(`the private Hazelcast cluster did not form within ${timeoutMs / 1000} s:\n${this.logs.join('\n')}`);
  }

  /** kill -9 of every member: the whole cluster is gone at once. */
  async killAll(): Promise<void> {
    const pids = this.members.map((child) => child?.pid).filter((pid): pid is number => pid !== undefined);
    await killHard(pids);
    this.members.length = 0;
  }
}

// ------------------------------------------------------------------------------------------
// A small load driver over any counter factory

export interface DriveOptions {
  clientCount: number;
  durationMs: number;
  /** Called once, `faultAtMs` after the measured calls start. */
  faultAtMs?: number;
  fault?: () => void | Promise<void>;
}

export interface DrivenRun {
  name: string;
  check: HistoryCheck;
  verdict: string;
  errors: Record<string, number>;
  errorExamples: Record<string, string>;
  initialCount: number;
  finalCount: number | undefined;
  retryCount: number;
  /** Acknowledged increments invoked after `us` (monotonicUs clock): did the service go on after a fault? */
  okInvokedAfter(us: number): number;
  /** Milliseconds from `us` to the first acknowledgement completed after it (undefined: none). */
  firstOkAfterMs(us: number): number | undefined;
  /** The longest any acknowledged call took, in ms. */
  maxLatencyMs: number;
}

/**
 * runLoad's flow for a factory built here (so several runs can use their own object names at
 * once): open the clients, reset, read the initial count, let every client call until the
 * deadline while `fault` strikes, read the final count (patiently), and judge the history.
 */
export async function driveFactory(factory: CounterFactory, options: DriveOptions): Promise<DrivenRun> {
  const counters = [];
  try {
    for (let i = 0; i < options.clientCount; i++) counters.push(await factory.open());
    await counters[0].reset();
    const initialCount = await counters[0].read();
    const recorder = new LoadRecorder();
    const startUs = monotonicUs();
    let faultDone: Promise<void> = Promise.resolve();
    const timer =
      options.fault !== undefined
        ? setTimeout(() => {
            faultDone = Promise.resolve().then(options.fault);
          }, options.faultAtMs ?? 0)
        : undefined;
    await runClients(counters, 0, { startUs, deadlineUs: startUs + options.durationMs * 1000 }, recorder);
    clearTimeout(timer);
    await faultDone;
    let finalCount: number | undefined;
    for (let attempt = 0; attempt < 20 && finalCount === undefined; attempt++) {
      finalCount = await counters[0].read().catch(async () => {
        await sleep(500);
        return undefined;
      });
    }
    const data = recorder.history.data();
    const okInvokedAfter = (us: number) => {
      let n = 0;
      for (let i = 0; i < data.length; i++) if (data.invokeUs[i] > us && data.outcomes[i] === Outcome.ok) n++;
      return n;
    };
    const firstOkAfterMs = (us: number) => {
      let first = Infinity;
      for (let i = 0; i < data.length; i++) if (data.completeUs[i] > us && data.outcomes[i] === Outcome.ok) first = Math.min(first, data.completeUs[i]);
      return Number.isFinite(first) ? (first - us) / 1000 : undefined;
    };
    let maxLatencyMs = 0;
    for (let i = 0; i < data.length; i++) if (data.outcomes[i] === Outcome.ok) maxLatencyMs = Math.max(maxLatencyMs, (data.completeUs[i] - data.invokeUs[i]) / 1000);
    const check = checkHistory(data, { initial: initialCount, final: finalCount, valuesExpected: factory.linearizable });
    return {
      name: factory.name,
      check,
      verdict: verdictLine(check, !factory.promisesExact || !factory.linearizable),
      errors: recorder.errorCounts as Record<string, number>,
      errorExamples: recorder.errorExamples as Record<string, string>,
      initialCount,
      finalCount,
      retryCount: counters.reduce((sum, counter) => sum + counter.retryCount, 0),
      okInvokedAfter,
      firstOkAfterMs,
      maxLatencyMs,
    };
  } finally {
    await Promise.allSettled(counters.map((counter) => counter.close()));
    await factory.close();
  }
}

