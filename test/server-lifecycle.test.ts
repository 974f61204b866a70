/**
 * The server's promises about its own life: SIGTERM finishes the requests in flight before
 * exiting 0, the primary stops replacing workers that keep dying, and a failing store is
 * logged at most once per 10 s per worker. This file's ports: 18720-18739.
 */
import test from 'ava';
import fs from 'node:fs';
import { PgConnection } from '../backends/postgresql/connection.js';
import { readPostgresConfig } from '../backends/postgresql/config.js';
import { healthPid, refusesConnections } from './helpers/http-probes.js';
import { run, workerPids } from './helpers/processes.js';
import { exitsWithin, httpRequest, type ServerProcess, startServer } from './helpers/server-process.js';
import { waitUntil as waitFor } from '../tester/harness/wait-until.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql']);
const pg = services.need('postgresql');

const PG_ENV = { STORAGE_METHOD: 'postgresql', POSTGRES_DB: 'counters_test_lifecycle', DB_HOST: '127.0.0.1' };

let nextPort = 18720;

function openAdmin(): Promise<PgConnection> {
  return PgConnection.open(readPostgresConfig({ ...process.env, ...PG_ENV }));
}

/** Resolves with the exit code and the time the server exited. */
function exitOf(server: ServerProcess): Promise<{ code: number | null; atMs: number }> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) resolve({ code: server.child.exitCode, atMs: Date.now() });
    else server.child.once('exit', (code) => resolve({ code, atMs: Date.now() }));
  });
}

/** Whether `pid` listens on TCP `port`. */
async function listensOn(port: number, pid: number): Promise<boolean> {
  return (await run('ss', ['-Hltnp', `sport = :${port}`])).stdout.includes(`pid=${pid},`);
}

const lines = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line));

pg.serial('SIGTERM: requests in flight are answered, then the server exits 0', async (t) => {
  const port = nextPort++;
  const server = await startServer({ ...PG_ENV, PORT: String(port) });
  const admin = await openAdmin();
  try {
    t.is((await httpRequest(port, 'POST', '/reset')).status, 200);
    // Holding the row lock keeps the server's UPDATE, and every request behind it, in flight.
    await admin.query('BEGIN');
    await admin.query("SELECT value FROM web_counter WHERE name = 'web' FOR UPDATE");
    const answers = Array.from({ length: 5 }, () =>
      httpRequest(port, 'POST', '/inc').then((answer) => ({ ...answer, atMs: Date.now() })),
    );
    const blocked = await waitFor(
      async () => {
        const rows = await admin.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'counters' AND " +
            "wait_event_type = 'Lock'",
          [PG_ENV.POSTGRES_DB],
        );
        return Number(rows[0].n) > 0;
      },
      10_000,
      20,
    );
    t.true(blocked, 'the server is waiting on the row lock');
    const exited = exitOf(server);
    server.child.kill('SIGTERM');
    // The point of the test: while its answers are owed, the server must not go, though it stopped listening.
    t.true(await waitFor(() => refusesConnections(port), 10_000), 'the worker closed its listen socket');
    t.is(server.child.exitCode, null, 'still draining while the row is locked');
    await admin.query('COMMIT');
    const settled = await Promise.all(answers);
    const { code, atMs } = await exited;
    t.is(code, 0);
    t.deepEqual(
      settled.map((a) => a.status),
      [200, 200, 200, 200, 200],
    );
    t.deepEqual(settled.map((a) => (a.json as { count: number }).count).sort(), [1, 2, 3, 4, 5]);
    t.true(
      settled.every((a) => a.atMs <= atMs),
      'every answer arrived before the exit',
    );
  } finally {
    await admin.close();
    await server.stop();
  }
});

test.serial('the primary replaces a worker that dies, and the new one serves', async (t) => {
  const port = nextPort++;
  const server = await startServer({ PORT: String(port), WORKERS: '2' });
  try {
    const victim = await healthPid(port);
    process.kill(victim, 'SIGKILL');
    const seen = new Set<number>();
    // Two live workers other than the victim: the survivor and its replacement.
    const replaced = await waitFor(
      async () => seen.add(await healthPid(port)) && [...seen].filter((pid) => pid !== victim).length === 2,
      15_000,
      20,
    );
    t.true(replaced, `workers seen: ${[...seen].join(', ')}\n${server.output()}`);
    t.regex(server.output(), new RegExp(`worker ${victim} died \\(SIGKILL\\): starting a new one`));
  } finally {
    t.is(await server.stop(), 0);
  }
});

test.serial('SIGTERM while a replacement worker starts: it is ended at once, not killed after 10 s', async (t) => {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = nextPort++;
    const server = await startServer({ PORT: String(port), WORKERS: '2' });
    try {
      const primary = server.child.pid!;
      const before = await workerPids(primary);
      process.kill(before[0], 'SIGKILL');
      let starting: number | undefined;
      const forked = async () => {
        starting = (await workerPids(primary)).find((pid) => !before.includes(pid));
        return starting !== undefined;
      };
      t.true(await waitFor(forked, 15_000, 2), server.output());
      // Held before it listens, so the shutdown surely meets a worker still starting.
      process.kill(starting!, 'SIGSTOP');
      if (await listensOn(port, starting!)) {
        process.kill(starting!, 'SIGCONT');
        t.log(`attempt ${attempt}: the new worker listened before it was caught`);
        continue;
      }
      const exited = exitOf(server);
      const signalledMs = Date.now();
      server.child.kill('SIGTERM');
      t.true(await waitFor(() => refusesConnections(port), 10_000), 'the other worker stopped listening');
      process.kill(starting!, 'SIGCONT');
      const { code, atMs } = await exited;
      t.is(code, 0);
      // Before the primary's 10 s limit, after which it kills what is left: ended, not killed.
      t.true(atMs - signalledMs < 9500, `exited ${atMs - signalledMs} ms after SIGTERM`);
      return;
    } finally {
      await server.stop();
    }
  }
  t.fail('the new worker listened every time before it was caught');
});

test.serial('the primary replaces 5 dead workers within 30 s, and gives up at the 6th with exit 1', async (t) => {
  const port = nextPort++;
  const server = await startServer({ PORT: String(port), WORKERS: '1' });
  const segment = `/dev/shm/counters-127.0.0.1-${port}`;
  try {
    const primary = server.child.pid!;
    let victim = await healthPid(port);
    const firstKillMs = Date.now();
    for (let death = 1; death <= 6; death++) {
      process.kill(victim, 'SIGKILL');
      if (death === 6) break;
      // Each replacement is killed once it exists, not once it serves: six deaths in seconds even on a busy machine.
      let next = victim;
      const replaced = await waitFor(async () => {
        [next] = await workerPids(primary);
        return next !== undefined && next !== victim;
      }, 15_000);
      t.true(replaced, `a new worker after death ${death}:\n${server.output()}`);
      victim = next;
    }
    t.true(Date.now() - firstKillMs < 30_000, 'the six deaths fell within 30 s');
    t.true(await exitsWithin(server, 15_000), 'the primary exits');
    t.is(server.child.exitCode, 1);
    t.is(lines(server.output(), /died \(SIGKILL\): starting a new one/).length, 5);
    t.regex(server.output(), /workers keep dying \(6 in 30 s, last: SIGKILL\): giving up/);
    t.false(fs.existsSync(segment), 'giving up still releases the storage');
  } finally {
    await server.stop();
  }
});

pg.serial('a failing store is logged once, then summed up 10 s later, not once per request', async (t) => {
  const port = nextPort++;
  // One UPDATE per request, so every request fails on its own.
  const server = await startServer({ ...PG_ENV, PORT: String(port), COALESCE: 'false' });
  const admin = await openAdmin();
  try {
    t.is((await httpRequest(port, 'POST', '/inc')).status, 200);
    // The next server start creates the table again.
    await admin.query('DROP TABLE web_counter');
    const startedMs = Date.now();
    for (let i = 0; i < 40; i++) t.is((await httpRequest(port, 'POST', '/inc')).status, 503);
    t.true(Date.now() - startedMs < 9000, 'the 40 failures fell inside one 10 s interval');
    t.true(await waitFor(() => /store error:/.test(server.output()), 5000), server.output());
    t.is(lines(server.output(), /store error:/).length, 1, 'one line for the first failure');
    t.true(await waitFor(() => /more store errors/.test(server.output()), 20_000), server.output());
    t.true(Date.now() - startedMs >= 9000, 'the summary waited for the interval');
    t.deepEqual(
      lines(server.output(), /more store errors/).map((line) => line.replace(/^.*: /, '')),
      ['39 more store errors in the last 10 s'],
    );
    t.is(lines(server.output(), /store error:/).length, 1, 'and still only one full line');
  } finally {
    await admin.close();
    await server.stop();
  }
});
