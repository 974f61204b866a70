import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CounterError } from '../../counters/counter.js';
import { ConfigError } from '../../backends/env.js';
import type { CounterSpec } from '../load/counter-spec.js';
import { ConnectError, runLoad } from '../load/run-load.js';
import type { LoadResult } from '../load/load-result.js';
import { type ScenarioGroup, type Suite, scenarioCount } from './scenarios.js';
import { freePort } from '../harness/free-port.js';
import { type LaunchedServer, launchServer, ServerStartError } from '../harness/server-launcher.js';
import { storeEnv } from '../harness/store-catalogue.js';
import { firstLine } from '../../backends/first-line.js';

/** Why a scenario has no result: the backend was out of reach, or the run broke off. */
export interface ScenarioError {
  /** `connect` and `server` make the comparison exit 3; `run` counts as a failure. */
  kind: 'connect' | 'server' | 'run';
  message: string;
}

/** One cell of the grid, as the JSON file holds it. */
export interface ComparisonRow {
  suite: Suite;
  scenario: string;
  clients: number;
  rps: number | null;
  p99Us: number | null;
  passed: boolean;
  /** PASS, FAIL, or why the scenario could not run. */
  verdict: string;
  error: ScenarioError | null;
  result: LoadResult | null;
}

export interface ComparisonOptions {
  groups: ScenarioGroup[];
  callsPerClient: number;
  /** WORKERS for our own web server. */
  serverWorkers: number;
  /** Web server port; a free one per store when undefined. */
  port?: number;
  /** Tester worker threads per run (runLoad's workerCount). */
  clientThreads: number;
  /** Per-call timeout of web calls. */
  webTimeoutMs: number;
  /** Progress text for stderr; `line` ends with a newline when the line is complete. */
  log(text: string): void;
}

const HOST = '127.0.0.1';

export const rowIsUnreachable = (row: ComparisonRow): boolean =>
  row.error?.kind === 'connect' || row.error?.kind === 'server';

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

/** A scenario's row from the run it made. */
export function resultRow(
  group: Pick<ScenarioGroup, 'suite' | 'scenario'>,
  clients: number,
  result: LoadResult,
): ComparisonRow {
  return {
    suite: group.suite,
    scenario: group.scenario,
    clients,
    rps: result.rps,
    p99Us: result.latency.p99Us,
    passed: result.passed,
    verdict: result.passed ? 'PASS' : 'FAIL',
    error: null,
    result,
  };
}

function errorRow(group: ScenarioGroup, clients: number, error: ScenarioError): ComparisonRow {
  return {
    suite: group.suite,
    scenario: group.scenario,
    clients,
    rps: null,
    p99Us: null,
    passed: false,
    verdict: errorVerdict(error),
    error,
    result: null,
  };
}

/**
 * What a failed runLoad means for the grid. Unreachable backends and configuration problems
 * (ConnectError, ConfigError) and counter errors before the first call become error rows;
 * anything else is a bug and propagates.
 */
function classify(err: unknown): ScenarioError {
  if (err instanceof ConnectError || err instanceof ConfigError) return { kind: 'connect', message: firstLine(err) };
  if (err instanceof CounterError) return { kind: 'run', message: firstLine(err) };
  throw err;
}

/**
 * Runs the grid one scenario at a time (they would skew each other's numbers otherwise).
 * Web stores each get a fresh server, started before their first client count and stopped
 * (SIGTERM, wait for exit) after their last. A store whose server does not start, or a
 * backend that cannot be reached, yields error rows and the comparison goes on; once a
 * PostgreSQL or Hazelcast connection fails, the rest of that suite is marked without retrying
 * (it would only wait out the same timeout again).
 */
export async function runComparison(options: ComparisonOptions): Promise<ComparisonRow[]> {
  const total = scenarioCount(options.groups);
  const rows: ComparisonRow[] = [];
  const unreachableSuite = new Map<Suite, ScenarioError>();
  let tempDir: string | undefined;
  const label = (group: ScenarioGroup, clients: number) =>
    `[${rows.length + 1}/${total}] ${group.suite} ${group.scenario} ${clients} client${clients === 1 ? '' : 's'} ... `;
  const skip = (group: ScenarioGroup, clients: number[], error: ScenarioError, note: string) => {
    for (const n of clients) {
      options.log(`${label(group, n)}${note}\n`);
      rows.push(errorRow(group, n, error));
    }
  };

  try {
    for (const group of options.groups) {
      const known = unreachableSuite.get(group.suite);
      if (known) {
        skip(group, group.clients, known, 'skipped: could not connect before');
        continue;
      }
      let server: LaunchedServer | undefined;
      let spec: CounterSpec;
      if (group.suite === 'web') {
        tempDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'counters-compare-'));
        const env = storeEnv(group.store, path.join(tempDir, `${group.scenario}-counter.txt`));
        try {
          const port = options.port ?? (await freePort(HOST));
          server = await launchServer({ host: HOST, port, workers: options.serverWorkers, env });
        } catch (err) {
          if (!(err instanceof ServerStartError)) throw err;
          const error: ScenarioError = { kind: 'server', message: firstLine(err) };
          options.log(`web ${group.scenario}: server did not start: ${error.message}\n`);
          skip(group, group.clients, error, 'skipped: no server');
          continue;
        }
        spec = { backend: 'web', targets: [{ host: server.host, port: server.port }], timeoutMs: options.webTimeoutMs };
      } else {
        spec = group.spec;
      }

      try {
        for (const [index, clients] of group.clients.entries()) {
          options.log(label(group, clients));
          let row: ComparisonRow;
          try {
            const result = await runLoad({
              spec,
              clientCount: clients,
              callsPerClient: options.callsPerClient,
              workerCount: options.clientThreads,
            });
            row = resultRow(group, clients, result);
            options.log(`${Math.round(result.rps)} req/s ${row.verdict}\n`);
          } catch (err) {
            const error = classify(err);
            row = errorRow(group, clients, error);
            options.log(`${row.verdict}\n`);
            if (error.kind === 'connect') {
              rows.push(row);
              // A database or cluster that is down is down for every method (a ConfigError may
              // concern one method only); our own server is per store.
              if (err instanceof ConnectError && group.suite !== 'web') unreachableSuite.set(group.suite, error);
              skip(group, group.clients.slice(index + 1), error, 'skipped: could not connect before');
              break;
            }
          }
          rows.push(row);
        }
      } finally {
        await server?.stop();
      }
    }
  } finally {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  }
  return rows;
}
