/**
 * PostgreSQL methods: the tester's RPS per method against pgbench running the very same SQL with
 * the same clients; and pgbench's hot-row UPDATE, the reference for the web store's coalescing.
 */
import path from 'node:path';
import { type PostgresConfig, readPostgresConfig } from '../../backends/postgresql/config.js';
import {
  closeUserCounterConnections,
  DEFAULT_USER_ID,
  initUserCounterTable,
  pgbenchScript,
  POSTGRES_METHODS,
  type PostgresMethod,
} from '../../counters/postgresql/postgresql-counter.js';
import { COUNTER_ROW, prepareWebTable, WEB_SQL } from '../../server/stores/web-table.js';
import { type RatioSpec, rowId } from '../measurement.js';
import { storeSubject } from '../servers.js';
import { bestOf } from '../tools/best-setting.js';
import {
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
/** The method also measured with one client: there, per-call overhead shows most. */
const SINGLE_CLIENT_METHOD: PostgresMethod = 'inplace_update';

export function postgresqlSection(ctx: BenchContext): Section {
  const { recorder } = ctx;
  const plan = [
    ...POSTGRES_METHODS.map((method) => ({ method, clients: CLIENTS })),
    { method: SINGLE_CLIENT_METHOD, clients: 1 },
  ];
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
    ratios: [
      ...plan.map(({ method, clients }): RatioSpec => ({
        name: `tester / pgbench, ${method}, ${clients} client(s)`,
        top: rowId(method, 'tester', clients),
        bottom: rowId(method, 'pgbench', clients),
        target: 0.9,
        ...(method === 'optimistic_concurrency_control'
          ? { why: 'not like for like: pgbench counts failed version checks as transactions (see below)' }
          : {}),
      })),
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
        `run) with -M prepared, one connection per client, --max-tries 1000 ` +
        `(serialization failures retried, as the tester's serializable_update with --do-retries True). The tester ` +
        `is \`tester postgresql --method M --json\` in its own process, user ${DEFAULT_USER_ID}. pgbench's -j ` +
        `(threads) is chosen in each round: -j 1 and -j 2 run the hot-row script at ${CLIENTS} clients first, ` +
        `and the methods run with the faster (-j 1 at 1 client).`,
      "optimistic_concurrency_control is not like for like: pgbench counts a transaction whose version check " +
        "failed (it incremented nothing) as done and goes on, while the tester retries it after a jittered backoff " +
        "until it counts; the tester's RPS counts acknowledged increments only.",
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
            ),
          );
        const pgbench = () =>
          recorder.measure(rowId(method, 'pgbench', clients), round, () =>
            runPgbench(
              pg,
              pgbenchScriptFile(scriptDir, method, pgbenchScript(method, DEFAULT_USER_ID)),
              clients,
              ctx.durationS,
              threads,
            ).then((measured) => ({ ...measured, setting: `${pgbenchSetting(threads)} (best on the hot row)` })),
          );
        // Alternate who goes first, so neither always meets a table the other just left hot.
        for (const step of round % 2 === 1 ? [tester, pgbench] : [pgbench, tester]) await step();
      }
    },
  };
}
