import { Command, Option, UsageError } from 'clipanion';
import fs from 'node:fs';
import path from 'node:path';
import { cellKey, judgeChange } from '../compare/against.js';
import { comparisonTable } from '../compare/comparison-table.js';
import { type Comparison, comparisonRows, rowIsUnreachable, scenarioLabel } from '../compare/comparison-rows.js';
import { runComparison } from '../compare/run-comparison.js';
import {
  buildGrid,
  DEFAULT_CALLS_PER_CLIENT,
  DEFAULT_CLIENTS,
  parseClientList,
  parseSuite,
  type ScenarioGroup,
  scenarioCount,
  SUITE_CHOICES,
} from '../compare/scenarios.js';
import { EXIT } from '../options/exit-codes.js';
import {
  againstFlag,
  alphaFlag,
  clientThreadsFlag,
  maxRegressionFlag,
  roundsFlag,
  timeoutMsFlag,
  warmupFlag,
} from '../options/flags.js';
import * as validate from '../options/validate.js';
import { defaultRounds, randomSeed } from '../stats/statistics.js';
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
      Runs every scenario of the chosen suites at every client count (a cell) once per round, --rounds times, in
      an order shuffled per round from a seed it prints (--seed replays it); each run warms up first, unrecorded.
      The web suite starts our own server (dist/server/main.js on 127.0.0.1) once per store for the whole
      comparison: shared memory with flock, shared memory with atomic fetch-add, disk (a temporary counter file),
      PostgreSQL and Hazelcast; it stops them (SIGTERM) at the end. A store whose server does not start is
      reported in one line and skipped. The postgresql suite runs every increment method (serializable_update
      with retries) with settings from DB_HOST, DB_PORT, POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD; the
      hazelcast suite runs every method on the cluster in HZ_CLUSTER_MEMBERS.

      Each cell gets its median RPS and p99 with 95% confidence intervals and min-max, its RPS against the
      --baseline scenario at the same client count (ratio of medians with its interval where a Mann-Whitney test
      finds a difference at --alpha, "~" where it does not), a rank that orders only cells that differ
      significantly, and the rounds in which the loader or the host may have set the speed. --against compares
      every cell with a saved comparison.json.

      Writes comparison.json (every row with every round's full result), comparison.md (the table, also printed
      on stdout), comparison.svg (throughput and p99 latency with their intervals, and the anomalies found per
      scenario and client count) and comparison.html (that chart and every scenario's row in one self-contained
      page) to --out. Progress goes to stderr: the round, the run, and an estimate of the time left.

      Exits 0 when every scenario passed (methods without guarantees, such as lost_update or no_lock, pass
      whatever they lose), 1 when one failed or --against found a significant regression beyond
      --max-regression, and 3 when a backend could not be reached or a server did not start (the table says why;
      3 wins over 1).
    `,
    examples: [
      ["The reference's grid on every backend", '$0 compare'],
      ['Web stores only, quick (no intervals with 2 rounds)', '$0 compare --suite web --clients 1,2 --calls 1000 --rounds 2'],
      ['Against the disk store, replaying an order', '$0 compare --suite web --clients 10 --baseline disk --seed 42'],
      ['In CI, against a saved run', '$0 compare --suite web --clients 10 --against main/comparison.json'],
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
    description: "Port of our web server's first store, the next store's one above, ... (default: free ones)",
  });
  serverWorkers = Option.String('--server-workers', {
    validator: wholeNumber(1, 256),
    description: 'WORKERS of our web server (default 2)',
  });
  /** The old name of --server-workers. */
  workers = Option.String('--workers', { validator: wholeNumber(1, 256), hidden: true });
  clientThreads = clientThreadsFlag();
  timeoutMs = timeoutMsFlag();
  rounds = roundsFlag(defaultRounds(), 'each cell');
  seed = Option.String('--seed', {
    validator: wholeNumber(0, 2 ** 32 - 1),
    description: "Replays a run's order of cells in each round (default: a new seed, printed)",
  });
  warmup = warmupFlag(DEFAULT_WARMUP);
  baseline = Option.String('--baseline', {
    description: 'The scenario every cell is compared with, e.g. disk or "web disk" (default: the first)',
  });
  alpha = alphaFlag();
  against = againstFlag('its comparison.json');
  maxRegression = maxRegressionFlag();

  async execute(): Promise<number> {
    const serverWorkers = renamedFlag(
      this.context.stderr,
      { old: '--workers', current: '--server-workers' },
      { old: this.workers, current: this.serverWorkers },
      2,
    );
    const suites = parseSuite(this.suite);
    if (!suites) throw new UsageError(`--suite ${this.suite} is unknown: use one of ${SUITE_CHOICES.join(', ')}`);
    validate.clientThreads(this.clientThreads, suites);
    const clients = parseClientList(this.clients);
    if (!clients)
      throw new UsageError(
        `--clients ${this.clients} is invalid: use comma-separated whole numbers from 1, e.g. 1,2,5,10`,
      );
    const alpha = validate.alpha(this.alpha);
    const maxRegression = validate.maxRegression(this.maxRegression);
    const saved = this.against === undefined ? undefined : validate.againstFile(this.against);
    const warmupMs = validate.durationMs('--warmup', this.warmup)!;
    const outDir = this.out ?? defaultOutDir();
    try {
      fs.mkdirSync(outDir, { recursive: true });
    } catch (err) {
      throw new UsageError(`--out ${outDir} cannot be created: ${(err as Error).message}`);
    }

    const groups = await buildGrid(suites, clients);
    const baseline = baselineScenario(groups, this.baseline);
    const seed = this.seed ?? randomSeed();
    const stderr = this.context.stderr;
    stderr.write(
      `compare: ${scenarioCount(groups)} scenarios (${suites.join(', ')}; clients ${clients.join(',')}; ` +
        `${this.calls} calls each) x ${this.rounds} rounds, each after a ${warmupMs} ms warm-up; ` +
        `order shuffled per round from seed ${seed} (--seed ${seed} replays it)\n`,
    );
    const cells = await runComparison({
      groups,
      callsPerClient: this.calls,
      rounds: this.rounds,
      seed,
      warmupMs,
      serverWorkers,
      port: this.port,
      clientThreads: this.clientThreads,
      webTimeoutMs: this.timeoutMs,
      log: (text) => stderr.write(text),
    });
    const comparison: Comparison = {
      seed,
      rounds: this.rounds,
      warmupMs,
      callsPerClient: this.calls,
      alpha,
      baseline,
      rows: comparisonRows(cells, baseline, alpha),
    };
    if (saved) {
      comparison.against = { file: this.against!, maxRegression };
      for (const row of comparison.rows) {
        const older = saved.get(cellKey(row));
        if (older && row.figures) row.against = judgeChange(row.figures.samples.rps, older, { alpha, maxRegression });
      }
    }

    const table = comparisonTable(comparison);
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
    fs.writeFileSync(files.json, JSON.stringify(comparison, null, 2) + '\n');
    fs.writeFileSync(files.markdown, table);
    fs.writeFileSync(files.svg, comparisonChartSvg(comparison.rows) + '\n');
    fs.writeFileSync(files.html, reportHtml({ kind: 'compare', report: compareReport(comparison) }));
    stderr.write(`compare: wrote ${files.json}, ${files.markdown}, ${files.svg}, ${files.html}\n`);
    this.context.stdout.write(table);
    return exitCode(comparison);
  }
}

/** Unrecorded calls before each run: enough to open connections and warm the server's code paths. */
const DEFAULT_WARMUP = '500ms';

/** --baseline's scenario as "suite scenario": its full label, or a scenario name only one suite has. */
function baselineScenario(groups: readonly ScenarioGroup[], given: string | undefined): string {
  const labels = groups.map(scenarioLabel);
  if (given === undefined) return labels[0];
  const matches = labels.filter((label) => label === given || label.endsWith(` ${given}`));
  if (matches.length === 1) return matches[0];
  const why = matches.length ? `names ${matches.join(' and ')}: say which` : `is not in the grid: use one of ${labels.join(', ')}`;
  throw new UsageError(`--baseline ${given} ${why}`);
}

/** 3 when anything could not be reached, else 1 when anything failed or regressed, else 0. */
export function exitCode(comparison: Comparison): number {
  const { rows } = comparison;
  if (rows.some(rowIsUnreachable)) return EXIT.connect;
  const failed = rows.some((row) => !row.passed || row.against?.regression);
  return failed ? EXIT.failed : EXIT.passed;
}
