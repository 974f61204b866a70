import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CounterError } from '../../counters/counter.js';
import { ConfigError } from '../../backends/env.js';
import type { CounterSpec } from '../load/counter-spec.js';
import { ConnectError, runLoad } from '../load/run-load.js';
import type { LoadResult } from '../load/load-result.js';
import type { ScenarioGroup, Suite } from './scenarios.js';
import { freePort } from '../harness/free-port.js';
import { type LaunchedServer, launchServer, ServerStartError } from '../harness/server-launcher.js';
import { storeEnv } from '../harness/store-catalogue.js';
import { firstLine } from '../../backends/first-line.js';
import { timeLeftText } from '../output/time-left.js';
import { shuffledRounds } from '../stats/statistics.js';

/** Why a scenario has no result: the backend was out of reach, or the run broke off. */
export interface ScenarioError {
  /** `connect` and `server` make the comparison exit 3; `run` counts as a failure. */
  kind: 'connect' | 'server' | 'run';
  message: string;
}

/** One cell of the grid (a scenario at a client count) and what its rounds gave. */
export interface CellRun {
  suite: Suite;
  scenario: string;
  clients: number;
  /** One result per round that ran, in the order the rounds ran. */
  results: LoadResult[];
  /** Set when the cell stopped: its later rounds did not run. */
  error: ScenarioError | null;
}

export interface ComparisonOptions {
  groups: ScenarioGroup[];
  callsPerClient: number;
  /** Times each cell runs, in an order shuffled per round. */
  rounds: number;
  /** Seeds the rounds' orders: the same seed runs the cells in the same order. */
  seed: number;
  /** Unrecorded calls before each measured run. */
  warmupMs: number;
  /** WORKERS for our own web server. */
  serverWorkers: number;
  /** The first web store's port, the next store's one above, and so on; free ones when undefined. */
  port?: number;
  /** Tester worker threads per run (runLoad's workerCount). */
  clientThreads: number;
  /** Per-call timeout of web calls. */
  webTimeoutMs: number;
  /** Progress text for stderr; `line` ends with a newline when the line is complete. */
  log(text: string): void;
}

const HOST = '127.0.0.1';

export function errorVerdict(error: ScenarioError): string {
  switch (error.kind) {
    case 'connect':
      return `could not connect: ${error.message}`;
    case 'server':
      return `server did not start: ${error.message}`;
    case 'run':
      return `error: ${error.message}`;
  }
}

/**
 * What a failed runLoad means for the grid. Unreachable backends and configuration problems
 * (ConnectError, ConfigError) and counter errors before the first call become cell errors;
 * anything else is a bug and propagates.
 */
function classify(err: unknown): ScenarioError {
  if (err instanceof ConnectError || err instanceof ConfigError) return { kind: 'connect', message: firstLine(err) };
  if (err instanceof CounterError) return { kind: 'run', message: firstLine(err) };
  throw err;
}

/** The counters of a comparison, ready: our server started for each web store, stopped by `stop`. */
interface Setup {
  specs: Map<ScenarioGroup, CounterSpec | ScenarioError>;
  stop(): Promise<void>;
}

/**
 * Starts our server for every web store before the first round, all at once, so that rounds can
 * visit the stores in any order; each keeps its store (and counter file) for the whole comparison.
 * A store whose server does not start becomes an error for its cells.
 */
async function setUp(options: ComparisonOptions): Promise<Setup> {
  const specs = new Map<ScenarioGroup, CounterSpec | ScenarioError>();
  const servers: LaunchedServer[] = [];
  let tempDir: string | undefined;
  const stop = async () => {
    await Promise.allSettled(servers.map((server) => server.stop()));
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  };
  let webStores = 0;
  try {
    for (const group of options.groups) {
      if (!('store' in group)) {
        specs.set(group, group.spec);
        continue;
      }
      tempDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'counters-compare-'));
      const env = storeEnv(group.store, path.join(tempDir, `${group.scenario}-counter.txt`));
      try {
        const port = options.port === undefined ? await freePort(HOST) : options.port + webStores++;
        const server = await launchServer({ host: HOST, port, workers: options.serverWorkers, env });
        servers.push(server);
        specs.set(group, { backend: 'web', targets: [{ host: server.host, port: server.port }], timeoutMs: options.webTimeoutMs });
      } catch (err) {
        if (!(err instanceof ServerStartError)) throw err;
        const error: ScenarioError = { kind: 'server', message: firstLine(err) };
        options.log(`web ${group.scenario}: server did not start: ${error.message}\n`);
        specs.set(group, error);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { specs, stop };
}

interface Cell extends CellRun {
  group: ScenarioGroup;
}

/**
 * Runs every cell once per round, in an order shuffled per round from the seed (Kalibera and
 * Jones: randomise at the level that varies), so that a slow minute of a shared host falls on
 * every scenario alike. Each run warms up first, unrecorded. A cell whose backend cannot be
 * reached, or whose run broke off, stops there; once a PostgreSQL or Hazelcast connection fails,
 * the rest of that suite stops too without retrying (it would only wait out the same timeout again).
 */
export async function runComparison(options: ComparisonOptions): Promise<CellRun[]> {
  const cells: Cell[] = options.groups.flatMap((group) =>
    group.clients.map((clients) => ({ group, suite: group.suite, scenario: group.scenario, clients, results: [], error: null })),
  );
  const setup = await setUp(options);
  const unreachableSuite = new Map<Suite, ScenarioError>();
  const totalRuns = cells.length * options.rounds;
  const startedMs = performance.now();
  let done = 0;
  const stopCell = (cell: Cell, error: ScenarioError, note: string) => {
    cell.error = error;
    options.log(`${cell.suite} ${cell.scenario} ${clientsText(cell.clients)}: ${note}\n`);
  };
  try {
    for (const [index, order] of shuffledRounds(cells, options.rounds, options.seed).entries()) {
      for (const cell of order) {
        const spec = setup.specs.get(cell.group)!;
        const known = unreachableSuite.get(cell.suite);
        if (cell.error) continue;
        if ('kind' in spec) stopCell(cell, spec, 'skipped: no server');
        else if (known) stopCell(cell, known, 'skipped: could not connect before');
        else {
          options.log(`round ${index + 1}/${options.rounds} [${++done}/${totalRuns}] ${cell.suite} ${cell.scenario} ${clientsText(cell.clients)} ... `);
          const outcome = await runCell(cell, spec, options);
          if ('kind' in outcome) {
            options.log(`${errorVerdict(outcome)}\n`);
            cell.error = outcome;
            // A database or cluster that is down is down for every method; our own server is per store.
            if (outcome.kind === 'connect' && !('store' in cell.group)) unreachableSuite.set(cell.suite, outcome);
            continue;
          }
          cell.results.push(outcome);
          const timeLeft = timeLeftText(performance.now() - startedMs, done, runsLeft(cells, options.rounds, index) + done);
          options.log(`${Math.round(outcome.rps)} req/s ${outcome.passed ? 'PASS' : 'FAIL'} (${timeLeft})\n`);
        }
      }
    }
  } finally {
    await setup.stop();
  }
  return cells.map(({ group: _, ...cell }) => cell);
}

async function runCell(cell: Cell, spec: CounterSpec, options: ComparisonOptions): Promise<LoadResult | ScenarioError> {
  try {
    return await runLoad({
      spec,
      clientCount: cell.clients,
      callsPerClient: options.callsPerClient,
      warmupMs: options.warmupMs || undefined,
      workerCount: options.clientThreads,
    });
  } catch (err) {
    return classify(err);
  }
}

/** Runs still to come after the current one: the cells still running, for every round after this. */
function runsLeft(cells: readonly Cell[], rounds: number, roundIndex: number): number {
  const running = cells.filter((cell) => !cell.error).length;
  const leftThisRound = cells.filter((cell) => !cell.error && cell.results.length <= roundIndex).length;
  return leftThisRound + running * (rounds - roundIndex - 1);
}

const clientsText = (n: number) => `${n} client${n === 1 ? '' : 's'}`;
