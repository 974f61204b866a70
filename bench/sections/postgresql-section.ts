/**
 * PostgreSQL methods: the tester's RPS per method against pgbench running the very same SQL with
 * the same clients; and pgbench's hot-row UPDATE, the reference for the web store's coalescing.
 */
import path from 'node:path';
import { type PostgresConfig, readPostgresConfig } from '../../backends/postgresql/config.js';
import { PgConnection } from '../../backends/postgresql/connection.js';
import { readUserValue } from '../../counters/postgresql/schema.js';
import {
  closeUserCounterConnections,
  DEFAULT_USER_ID,
  initUserCounterTable,
  pgbenchScript,
  POSTGRES_METHODS,
  type PostgresMethod,
} from '../../counters/postgresql/postgresql-counter.js';
import { COUNTER_ROW, prepareWebTable, WEB_SQL } from '../../server/stores/web-table.js';
import { type Measured, type RatioSpec, rowId } from '../measurement.js';
import { methodRanking } from '../method-ranking.js';
import { storeSubject } from '../servers.js';
import { bestOf } from '../tools/best-setting.js';
import {
  PGBENCH_MAX_TRIES,
  pgbenchCandidates,
  pgbenchScriptFile,
  pgbenchSetting,
  pgbenchThreadsOf,
  runPgbench,
} from '../tools/pgbench.js';
import { runTester } from '../tools/tester-cli.js';
import { type BenchContext, missing, type Section } from './section.js';

const TITLE = 'PostgreSQL methods: tester vs pgbench, same SQL';
const CLIENTS = 10;
const HOT_ROW = 'web store statement (hot-row UPDATE ... RETURNING)';
/** Each method is also measured with one client: there the client's turnaround is the latency. */
const CLIENT_COUNTS = [CLIENTS, 1];
/** The method whose calls may take several attempts: pgbench counts attempts, the tester calls. */
const OCC: PostgresMethod = 'optimistic_concurrency_control';

/**
 * The methods that retry lost races run with pgbench's retry policy, so that both tools meet the
 * same contention: at once (pgbench has no backoff), as many tries as pgbench's --max-tries.
 */
const RETRY_LIKE_PGBENCH = { PG_RETRY_BASE_MS: '0', PG_MAX_RETRIES: String(PGBENCH_MAX_TRIES - 1) };
const RETRYING: readonly PostgresMethod[] = [OCC, 'serializable_update'];

/** The user's counter (the tester's own read): its rise over a pgbench run is the increments that succeeded. */
async function counterValue(config: PostgresConfig): Promise<number> {
  const conn = await PgConnection.open(config);
  try {
    return (await readUserValue(conn, config, DEFAULT_USER_ID)) ?? 0;
  } finally {
    await conn.close();
  }
}

/**
 * pgbench on OCC, like for like: its tps counts transactions, each one version check whether it
 * wrote or not; the increments that succeeded are the counter's rise over the run.
 */
async function successesOf(config: PostgresConfig, durationS: number, run: () => Promise<Measured>): Promise<Measured> {
  const before = await counterValue(config);
  const measured = await run();
  const after = await counterValue(config);
  return { ...measured, rps: (after - before) / Math.max(1, Math.round(durationS)), attemptRps: measured.rps };
}

export function postgresqlSection(ctx: BenchContext): Section {
  const { recorder } = ctx;
  const plan = CLIENT_COUNTS.flatMap((clients) => POSTGRES_METHODS.map((method) => ({ method, clients })));
  for (const { method, clients } of plan) {
    recorder.row(TITLE, method, 'tester', clients, { subject: method, tool: 'pgbench' });
    recorder.row(TITLE, method, 'pgbench', clients);
  }
  const hotRow = recorder.row(TITLE, HOT_ROW, 'pgbench', CLIENTS);
  const scriptDir = path.join(ctx.sourceRoot, 'bench/pgbench');

  let config: PostgresConfig | undefined;
  const prepare = async (): Promise<PostgresConfig> => {
    const pg = readPostgresConfig(process.env);
    // The tester makes its tables on first use, but pgbench may go first: make them now.
    try {
      await initUserCounterTable(DEFAULT_USER_ID);
    } finally {
      await closeUserCounterConnections();
    }
    await prepareWebTable(pg);
    return pg;
  };

  return {
    title: TITLE,
    refHeader: '× pgbench',
    summarize: () =>
      CLIENT_COUNTS.flatMap((clients, i) => [
        ...(i > 0 ? [''] : []),
        ...methodRanking(
          POSTGRES_METHODS.map((method) => ({
            method,
            tester: recorder.rows.get(rowId(method, 'tester', clients))?.samples.map((s) => s.rps) ?? [],
            reference: recorder.rows.get(rowId(method, 'pgbench', clients))?.samples.map((s) => s.rps) ?? [],
          })),
          'pgbench',
          clients,
        ),
      ]),
    ratios: [
      ...plan.map(({ method, clients }): RatioSpec => ({
        name: `tester / pgbench, ${method}, ${clients} client(s)`,
        top: rowId(method, 'tester', clients),
        bottom: rowId(method, 'pgbench', clients),
        target: 0.9,
        ...(method === OCC ? { why: 'successful increments/s against successful increments/s' } : {}),
      })),
      {
        name: `tester / pgbench, ${OCC}, attempts (successful or not), ${CLIENTS} client(s)`,
        top: rowId(OCC, 'tester', CLIENTS),
        bottom: rowId(OCC, 'pgbench', CLIENTS),
        metric: 'attemptRps',
        why: "the tester's calls plus retries against pgbench's transactions",
      },
      {
        name: 'PostgreSQL web store with coalescing (tester) / pgbench hot-row UPDATE, 10 clients',
        top: rowId(storeSubject('PostgreSQL, coalescing', 1), 'tester', 10),
        bottom: hotRow,
        target: 5,
      },
      {
        name: 'PostgreSQL web store with coalescing (wrk) / pgbench hot-row UPDATE, 10 clients',
        top: rowId('ours: PostgreSQL, coalescing', 'wrk', 10),
        bottom: hotRow,
        target: 5,
      },
    ],
    notes: [
      `pgbench runs the SQL of counters/postgresql/methods.ts (pgbenchScript, written to bench/pgbench/ on every ` +
        `run) with -M prepared, one connection per client, --max-tries ${PGBENCH_MAX_TRIES} ` +
        `(serialization failures retried at once, as the tester's serializable_update with --do-retries True). The tester ` +
        `is \`tester postgresql --method M --json\` in its own process, user ${DEFAULT_USER_ID}. pgbench's -j ` +
        `(threads) is chosen in each round: -j 1 and -j 2 run the hot-row script at ${CLIENTS} clients first, ` +
        `and the methods run with the faster (-j 1 at 1 client).`,
      `The tester runs its default engine: each method's statements in the native loop (libpq's asynchronous API, ` +
        `native/pg-loader/), one transaction in flight per client, every answer checked.`,
      `${OCC} is compared like for like: pgbench's tps counts transactions, each one version check whether it ` +
        `wrote or not, so its row is the increments that succeeded (the counter's rise over the run, per second of ` +
        `-T), as the tester's RPS counts acknowledged increments; attempts are compared apart (the tester's calls ` +
        `plus retries against pgbench's tps). Both retrying methods run the tester with pgbench's retry policy ` +
        `(PG_RETRY_BASE_MS=0: at once, PG_MAX_RETRIES=${PGBENCH_MAX_TRIES - 1}), so that both tools meet the same contention.`,
      "The hot-row reference is pgbench running the web store's own statement " +
        `(${WEB_SQL.increment.replace('$1', `'${COUNTER_ROW}'`)}) with synchronous_commit on, as the server does.`,
    ],
    async run(round) {
      const skipAll = (why: string) => {
        for (const row of recorder.rows.values()) if (row.section === TITLE) recorder.skip(row.id, why);
      };
      const why = missing(ctx.services.postgresql) ?? missing(ctx.tools.pgbench);
      if (why) return skipAll(why);
      let pg: PostgresConfig;
      try {
        pg = config ??= await prepare();
      } catch (err) {
        return skipAll(`cannot prepare the tables: ${(err as Error).message.split('\n')[0]}`);
      }
      // pgbench's -j is chosen on the hot row, first in the round; the methods run with the winner.
      const script = `${WEB_SQL.increment.replace('$1', `'${COUNTER_ROW}'`)};\n`;
      const hotRowFile = pgbenchScriptFile(scriptDir, 'hot-row', script);
      const hot = await recorder.measure(hotRow, round, () =>
        bestOf(pgbenchCandidates(pg, hotRowFile, CLIENTS, ctx.durationS), round),
      );
      const hotThreads = hot?.setting ? pgbenchThreadsOf(hot.setting) : 1;
      for (const { method, clients } of plan) {
        const threads = Math.min(hotThreads, clients);
        const tester = () =>
          recorder.measure(rowId(method, 'tester', clients), round, () =>
            runTester(
              ctx.root,
              ['postgresql', '--method', method, '--do-retries', method === 'serializable_update' ? 'True' : 'False'],
              clients,
              ctx.durationS,
              RETRYING.includes(method) ? RETRY_LIKE_PGBENCH : {},
            ),
          );
        const run = () =>
          runPgbench(
            pg,
            pgbenchScriptFile(scriptDir, method, pgbenchScript(method, DEFAULT_USER_ID)),
            clients,
            ctx.durationS,
            threads,
          );
        const pgbench = () =>
          recorder.measure(rowId(method, 'pgbench', clients), round, () =>
            (method === OCC ? successesOf(pg, ctx.durationS, run) : run()).then((measured) => ({
              ...measured,
              setting: `${pgbenchSetting(threads)} (best on the hot row)`,
            })),
          );
        // Alternate who goes first, so neither always meets a table the other just left hot.
        for (const step of round % 2 === 1 ? [tester, pgbench] : [pgbench, tester]) await step();
      }
    },
  };
}
