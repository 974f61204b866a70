/**
 * The servers under test, each started as its own child process (so the bench process,
 * which also runs the in-process tester, never shares an event loop with a server) and
 * stopped with SIGTERM, which lets our primary unlink its shared-memory segment.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tester/compare/server-launcher.js';

/** The tree this bench was compiled in: dist/ and build/ of the working copy. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerSpec {
  /** Stable key for results.json and ratios, e.g. "shm-flock-w2". */
  id: string;
  /** Human name for the table. */
  label: string;
  /** Processes answering HTTP: 1 for the bare counters, WORKERS for ours. */
  workers: number;
  script: string;
  env: Record<string, string>;
  /** Needs PostgreSQL: not measured when it is unreachable. */
  needsPostgres?: boolean;
}

export interface RunningServer {
  port: number;
  /** The server's last stderr line since it started listening: why it answered 503, say. */
  lastOutput(): string | undefined;
  stop(): Promise<void>;
}

/** Every server of the goal: the two bare baselines, then ours per store at 1 and 2 workers. */
export function serverSpecs(root: string, storageDir: string): ServerSpec[] {
  const DIST = path.join(root, 'dist');
  const ours = (id: string, label: string, env: Record<string, string>, needsPostgres = false): ServerSpec[] =>
    [1, 2].map((workers) => ({
      id: `${id}-w${workers}`,
      label,
      workers,
      script: path.join(DIST, 'server/main.js'),
      env: { ...env, WORKERS: String(workers) },
      needsPostgres,
    }));
  const diskFile = path.join(storageDir, 'counter.txt');
  return [
    { id: 'bare-uws', label: 'bare uWS counter', workers: 1, script: path.join(DIST, 'bench/bare-uws-counter.js'), env: {} },
    { id: 'bare-node-http', label: 'bare node:http counter', workers: 1, script: path.join(DIST, 'bench/bare-node-http-counter.js'), env: {} },
    ...ours('shm-flock', 'ours: shm flock', { STORAGE_METHOD: 'shared_memory', SHM_INCREMENT: 'flock' }),
    ...ours('shm-atomic', 'ours: shm atomic', { STORAGE_METHOD: 'shared_memory', SHM_INCREMENT: 'atomic' }),
    ...ours('disk', 'ours: disk', { STORAGE_METHOD: 'disk', STORAGE_PATH: diskFile, DISK_FSYNC: 'false' }),
    ...ours('disk-fsync', 'ours: disk + fdatasync', { STORAGE_METHOD: 'disk', STORAGE_PATH: diskFile, DISK_FSYNC: 'true' }),
    ...ours('postgresql', 'ours: PostgreSQL', { STORAGE_METHOD: 'postgresql', DB_HOST: '127.0.0.1' }, true),
  ];
}

/** Starts a server on a free loopback port and resolves once it printed "listening on". */
export async function startServer(spec: ServerSpec, extraNodeArgs: string[] = []): Promise<RunningServer> {
  const port = await freePort('127.0.0.1');
  const child = spawn(process.execPath, [...extraNodeArgs, spec.script], {
    env: { ...process.env, ...spec.env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  let after = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.id} did not start within ${START_TIMEOUT_MS / 1000} s: ${stderr.trim()}`));
    }, START_TIMEOUT_MS);
    let listening = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      // Keep reading after startup (a full pipe would block the server); keep only a tail.
      if (listening) {
        after = (after + chunk.toString()).slice(-4096);
        return;
      }
      stderr += chunk.toString();
      if (/listening on/.test(stderr)) {
        listening = true;
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${spec.id} exited before listening: ${stderr.trim() || 'no output'}`));
    });
  });
  const lastOutput = () => after.trim().split('\n').pop() || undefined;
  return { port, lastOutput, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * What our server reports it runs (GET /health's storage, e.g. "postgresql (..., coalescing)"),
 * so the results say which store configuration was measured. The bare counters have none.
 */
export async function describeServer(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    if (!response.ok) return undefined;
    return ((await response.json()) as { storage?: string }).storage;
  } catch {
    return undefined;
  }
}

/**
 * A hash of the server as the bench runs it (compiled JS and the native addon). The tree is
 * shared with other work: if someone rebuilds during the run, the rows mix two versions,
 * and comparing the hash at the start and the end is how the report finds out.
 */
export function buildFingerprint(root: string = ROOT): string {
  const DIST = path.join(root, 'dist');
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      // build/Release/obj.target holds the linker's intermediate copy: not what is loaded.
      if (entry.isDirectory()) entry.name !== 'obj.target' && walk(full);
      else if (entry.name.endsWith('.js') || entry.name.endsWith('.node')) files.push(full);
    }
  };
  for (const dir of ['server', 'counters', 'native', 'bench']) walk(path.join(DIST, dir));
  walk(path.join(root, 'build/Release'));
  const hash = createHash('sha256');
  for (const file of files.sort()) hash.update(path.relative(root, file)).update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 12);
}

/** The commit, and how many source files differ from it (other work in progress). */
export function sourceVersion(): string {
  const root = ROOT;
  try {
    const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'server', 'counters', 'native'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .split('\n')
      .filter(Boolean).length;
    return dirty ? `${head} + ${dirty} uncommitted file(s) in server/, counters/, native/` : head;
  } catch {
    return 'unknown (no git)';
  }
}

const SNAPSHOT_DIRS = ['dist/server', 'dist/counters', 'dist/native', 'dist/bench', 'build/Release'];

/**
 * A private copy of the compiled servers, taken once at the start: the working tree is shared
 * and others rebuild dist/ while a 20-minute run goes on, which would otherwise make rows
 * measure different code. The copy keeps the layout the code relies on: package.json at its
 * root (the addon looks for build/Release next to it; "type": "module"), node_modules linked.
 */
export function snapshotBuild(): { root: string; cleanup(): void } {
  // A copy taken while someone's tsc is writing could mix versions: retry until the tree held still.
  for (let attempt = 1; ; attempt++) {
    const before = buildFingerprint();
    const snapshot = copyBuild();
    if (buildFingerprint() === before && buildFingerprint(snapshot.root) === before) return snapshot;
    snapshot.cleanup();
    if (attempt === 5) throw new Error('dist/ keeps changing while the bench copies it: wait for the other build to finish');
  }
}

function copyBuild(): { root: string; cleanup(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-bench-build-'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  for (const dir of SNAPSHOT_DIRS) {
    fs.cpSync(path.join(ROOT, dir), path.join(root, dir), {
      recursive: true,
      filter: (source) => !source.endsWith('.map') && !source.includes(`${path.sep}obj.target`),
    });
  }
  return { root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** A scratch directory for the disk store's counter file, removed by the caller. */
export function makeStorageDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'counters-bench-disk-'));
}
