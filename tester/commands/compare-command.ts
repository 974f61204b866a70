import { Command, Option, UsageError } from 'clipanion';
import fs from 'node:fs';
import path from 'node:path';
import { comparisonTable } from '../compare/comparison-table.js';
import { type ComparisonRow, rowIsUnreachable, runComparison } from '../compare/run-comparison.js';
import {
  buildGrid,
  DEFAULT_CALLS_PER_CLIENT,
  DEFAULT_CLIENTS,
  parseClientList,
  parseSuite,
  scenarioCount,
  SUITE_CHOICES,
} from '../compare/scenarios.js';
import { EXIT } from '../options/exit-codes.js';
import { clientThreadsFlag, timeoutMsFlag } from '../options/flags.js';
import { renamedFlag } from '../options/renamed-flag.js';
import { wholeNumber } from '../options/whole-number.js';

/** Output file names inside --out. */
export const COMPARE_FILES = {
  json: 'comparison.json',
  markdown: 'comparison.md',
  svg: 'comparison.svg',
  html: 'comparison.html',
} as const;

/** results/compare-2024-05-01T12-30-00: sortable, and safe in any file system. */
function defaultOutDir(now = new Date()): string {
  return path.join('results', `compare-${now.toISOString().slice(0, 19).replace(/:/g, '-')}`);
}

export class CompareCommand extends Command {
  static paths = [['compare']];
  static usage = Command.Usage({
    description: "Run the reference's whole scenario grid and compare the counters in one table and chart",
    details: `
      Runs every scenario of the chosen suites at every client count, one after the other. The web suite starts
      our own server (dist/server/main.js on 127.0.0.1) once per store: shared memory with flock, shared memory
      with atomic fetch-add, disk (a temporary counter file) and PostgreSQL; it stops the server (SIGTERM) before
      the next store. A store whose server does not start is reported in one line and skipped. The postgresql
      suite runs every increment method (serializable_update with retries) with settings from DB_HOST, DB_PORT,
      POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD; the hazelcast suite runs every method on the cluster in
      HZ_CLUSTER_MEMBERS.

      Writes comparison.json (every row with its full result), comparison.md (the table, also printed on stdout),
      comparison.svg (throughput, p99 latency and the anomalies found per scenario and client count) and
      comparison.html (that chart and every scenario's row in one self-contained page) to --out. Progress goes to
      stderr.

      Exits 0 when every scenario passed (methods without guarantees, such as lost_update or no_lock, pass
      whatever they lose), 1 when one failed, and 3 when a backend could not be reached or a server did not start
      (the table says why; 3 wins over 1).
    `,
    examples: [
      ["The reference's grid on every backend", '$0 compare'],
      ['Web stores only, quick', '$0 compare --suite web --clients 1,2 --calls 1000'],
      ['PostgreSQL methods at 10 and 50 clients', '$0 compare --suite postgresql --clients 10,50'],
      ['Server on a fixed port with 4 workers', '$0 compare --suite web --port 18080 --server-workers 4'],
      ['Into a chosen directory', '$0 compare --suite hazelcast --out results/hazelcast-run'],
    ],
  });

  suite = Option.String('--suite', 'all', {
    description: `Which scenarios: ${SUITE_CHOICES.join(', ')} (default all)`,
  });
  clients = Option.String('--clients', DEFAULT_CLIENTS.join(','), {
    description: `Comma-separated client counts to run each scenario at (default ${DEFAULT_CLIENTS.join(',')})`,
  });
  calls = Option.String('--calls', String(DEFAULT_CALLS_PER_CLIENT), {
    validator: wholeNumber(1, 1_000_000_000),
    description: `Calls each client makes (default ${DEFAULT_CALLS_PER_CLIENT})`,
  });
  out = Option.String('--out', {
    description: 'Directory for the JSON, Markdown and SVG files (default results/compare-<timestamp>)',
  });
  port = Option.String('--port', {
    validator: wholeNumber(1, 65535),
    description: 'Port for our web server (default: a free one per store)',
  });
  serverWorkers = Option.String('--server-workers', {
    validator: wholeNumber(1, 256),
    description: 'WORKERS of our web server (default 2)',
  });
  /** The old name of --server-workers. */
  workers = Option.String('--workers', { validator: wholeNumber(1, 256), hidden: true });
  clientThreads = clientThreadsFlag();
  timeoutMs = timeoutMsFlag();

  async execute(): Promise<number> {
    const serverWorkers = renamedFlag(
      this.context.stderr,
      { old: '--workers', current: '--server-workers' },
      { old: this.workers, current: this.serverWorkers },
      2,
    );
    const suites = parseSuite(this.suite);
    if (!suites) throw new UsageError(`--suite ${this.suite} is unknown: use one of ${SUITE_CHOICES.join(', ')}`);
    const clients = parseClientList(this.clients);
    if (!clients)
      throw new UsageError(
        `--clients ${this.clients} is invalid: use comma-separated whole numbers from 1, e.g. 1,2,5,10`,
      );
    const outDir = this.out ?? defaultOutDir();
    try {
      fs.mkdirSync(outDir, { recursive: true });
    } catch (err) {
      throw new UsageError(`--out ${outDir} cannot be created: ${(err as Error).message}`);
    }

    const groups = await buildGrid(suites, clients);
    const stderr = this.context.stderr;
    stderr.write(
      `compare: ${scenarioCount(groups)} scenarios (${suites.join(', ')}; clients ${clients.join(',')}; ` +
        `${this.calls} calls each)\n`,
    );
    const rows = await runComparison({
      groups,
      callsPerClient: this.calls,
      serverWorkers,
      port: this.port,
      clientThreads: this.clientThreads,
      webTimeoutMs: this.timeoutMs,
      log: (text) => stderr.write(text),
    });

    const table = comparisonTable(rows);
    // ECharts is big: load it only when a comparison has something to draw.
    const { comparisonChartSvg } = await import('../compare/comparison-chart.js');
    const { compareReport } = await import('../report/compare-report.js');
    const { reportHtml } = await import('../report/report-html.js');
    const files = {
      json: path.join(outDir, COMPARE_FILES.json),
      markdown: path.join(outDir, COMPARE_FILES.markdown),
      svg: path.join(outDir, COMPARE_FILES.svg),
      html: path.join(outDir, COMPARE_FILES.html),
    };
    fs.writeFileSync(files.json, JSON.stringify(rows, null, 2) + '\n');
    fs.writeFileSync(files.markdown, table);
    fs.writeFileSync(files.svg, comparisonChartSvg(rows) + '\n');
    fs.writeFileSync(files.html, reportHtml({ kind: 'compare', report: compareReport(rows) }));
    stderr.write(`compare: wrote ${files.json}, ${files.markdown}, ${files.svg}, ${files.html}\n`);
    this.context.stdout.write(table);
    return exitCode(rows);
  }
}

/** 3 when anything could not be reached, else 1 when anything failed, else 0. */
export function exitCode(rows: readonly ComparisonRow[]): number {
  if (rows.some(rowIsUnreachable)) return EXIT.connect;
  return rows.every((row) => row.passed) ? EXIT.passed : EXIT.failed;
}
