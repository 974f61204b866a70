/**
 * The servers under test, each started as its own child process (so no server shares an
 * event loop with the bench) with the compare command's launcher, and stopped with SIGTERM,
 * which lets our primary unlink its shared-memory segment.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tester/harness/free-port.js';
import { type LaunchedServer, launchServer } from '../tester/harness/server-launcher.js';
import { type StoreName, STORES, storeEnv } from '../tester/harness/store-catalogue.js';
import type { Tool } from './measurement.js';
import { childPids, statusKb } from './process-memory.js';

/** The tree this bench was compiled in: dist/ and build/ of the working copy. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HOST = '127.0.0.1';

export interface ServerSpec {
  /** Its name in the tables, results.json and ratios. */
  label: string;
  /** Processes answering HTTP: 1 for the bare counters, WORKERS for ours. */
  workers: number;
  script: string;
  env: Record<string, string>;
  /** Connection counts it is loaded with. */
  connections: number[];
  /** The loaders it is measured with. */
  tools: Tool[];
  /** A backend it needs: not measured when that is unreachable. */
  needs?: 'postgresql' | 'hazelcast';
}

export const BARE_UWS = 'bare uWS counter';

/** The stores of the WORKERS table, as the tables name them. */
export const STORE_LABELS: ReadonlyArray<[label: string, store: StoreName]> = [
  ['shm flock', 'shared_memory_flock'],
  ['shm atomic', 'shared_memory_atomic'],
  ['disk', 'disk'],
  ['disk + fdatasync', 'disk_fdatasync'],
  ['PostgreSQL, coalescing', 'postgresql'],
  ['Hazelcast CP IAtomicLong, coalescing', 'hazelcast'],
];

/** How a row names our server in one store with WORKERS=N. */
export const storeSubject = (label: string, workers: number) => `ours: ${label}, WORKERS=${workers}`;

/** Our server in one store: a fresh counter file under storageDir for the disk stores. */
export function storeSpec(
  root: string,
  storageDir: string,
  store: StoreName,
  shape: Pick<ServerSpec, 'label' | 'workers' | 'connections' | 'tools'>,
): ServerSpec {
  const { needs } = STORES[store];
  const env = storeEnv(store, path.join(storageDir, 'counter.txt'));
  if (needs === 'postgresql') env.DB_HOST = HOST;
  return { ...shape, script: path.join(root, 'dist/server/main.js'), env, needs };
}

/**
 * The servers of the Servers table: the two bare baselines, then ours in each store. Local
 * stores run `localWorkers` (one per core); remote ones one worker, the default.
 */
export function serverSpecs(root: string, storageDir: string, localWorkers: number): ServerSpec[] {
  const bare = (script: string, label: string, connections: number[], tools: Tool[]): ServerSpec => ({
    label,
    workers: 1,
    script: path.join(root, `dist/bench/${script}.js`),
    env: {},
    connections,
    tools,
  });
  const ours = (label: string, store: StoreName, connections: number[], tools: Tool[]): ServerSpec => {
    const workers = STORES[store].needs ? 1 : localWorkers;
    return storeSpec(root, storageDir, store, { label: `ours: ${label}`, workers, connections, tools });
  };
  const wrk: Tool[] = ['wrk'];
  return [
    bare('bare-uws-counter', BARE_UWS, [1, 10, 100], ['wrk', 'tester', 'autocannon']),
    bare('bare-node-http-counter', 'bare node:http counter', [1, 10], ['wrk', 'tester']),
    // The scaling series (up to 1000 connections) and the memory figures come from this one.
    ours('shm flock', 'shared_memory_flock', [1, 10, 100, 1000], ['wrk', 'tester']),
    // The tester's figures for the other stores are the WORKERS table's.
    ours('shm atomic', 'shared_memory_atomic', [10], wrk),
    ours('disk', 'disk', [10], wrk),
    ours('disk + fdatasync', 'disk_fdatasync', [10], wrk),
    ours('PostgreSQL, coalescing', 'postgresql', [10], wrk),
    ours('PostgreSQL, COALESCE=false', 'postgresql_uncoalesced', [10], ['wrk', 'tester']),
    ours('Hazelcast CP IAtomicLong, coalescing', 'hazelcast', [10], wrk),
  ];
}

export async function startServer(spec: ServerSpec): Promise<LaunchedServer> {
  return launchServer({
    host: HOST,
    port: await freePort(HOST),
    workers: spec.workers,
    env: spec.env,
    script: spec.script,
  });
}

/** Peak resident memory (VmHWM, MB) of each worker of our server: the primary's children. */
export function workerPeakRssMb(server: LaunchedServer, workers: number): number[] {
  const children = childPids(server.pid);
  if (children.length !== workers) throw new Error(`${children.length} of ${workers} workers running`);
  return children.map((pid) => Math.round((statusKb(pid, 'VmHWM') ?? NaN) / 1024));
}

/**
 * What our server reports it runs (GET /health's storage, e.g. "postgresql (..., coalescing)"),
 * so the results say which store configuration was measured. The bare counters have none.
 */
export async function describeServer(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return undefined;
    return ((await response.json()) as { storage?: string }).storage;
  } catch {
    return undefined;
  }
}

/** What the servers, the tester and the bench import at run time: every compiled folder but the tests. */
const RUNTIME_DIRS = ['server', 'backends', 'counters', 'native', 'tester', 'bench'];

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
  for (const dir of RUNTIME_DIRS) walk(path.join(DIST, dir));
  walk(path.join(root, 'build/Release'));
  const hash = createHash('sha256');
  for (const file of files.sort()) hash.update(path.relative(root, file)).update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 12);
}

/** The commit, and how many source files differ from it (other work in progress). */
export function sourceVersion(): string {
  const root = ROOT;
  try {
    const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'server', 'counters', 'native'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .split('\n')
      .filter(Boolean).length;
    return dirty ? `${head} + ${dirty} uncommitted file(s) in server/, counters/, native/` : head;
  } catch {
    return 'unknown (no git)';
  }
}

const SNAPSHOT_DIRS = [...RUNTIME_DIRS.map((dir) => `dist/${dir}`), 'build/Release'];

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
    if (attempt === 5)
      throw new Error('dist/ keeps changing while the bench copies it: wait for the other build to finish');
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
