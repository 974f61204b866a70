/**
 * README (Coalescing): "A writer that dies fails what it was handed with 503 at once; the primary
 * starts a new one (its deaths count with the workers' towards giving up)", and the primary gives
 * up after 5 deaths in 30 s. Two writer deaths and three worker deaths leave a server that serves;
 * one more worker death makes six, and the primary gives up: with the writer's deaths left out it
 * would have counted four. Ports 19630-19639.
 */
import { waitUntil } from '../tester/harness/wait-until.js';
import { statusOf } from './helpers/http-probes.js';
import { isAlive, killHard, workerPids, writerPid } from './helpers/processes.js';
import { exitsWithin, startServer } from './helpers/server-process.js';
import { postgresTest } from './helpers/required-service.js';

const { serial } = await postgresTest();
const PORT = 19630;
const ENV = {
  STORAGE_METHOD: 'postgresql',
  POSTGRES_DB: 'counters_test_writer_deaths',
  WORKERS: '2',
  PORT: String(PORT),
};

/** Kills `victims` and waits until the primary has a live writer and 2 workers, none of them a victim, serving. */
async function killAndAwaitReplacements(primary: number, victims: number[]): Promise<boolean> {
  await killHard(victims);
  return waitUntil(
    async () => {
      const writer = await writerPid(primary);
      const workers = await workerPids(primary);
      const fresh = [writer, ...workers].every((pid) => isAlive(pid) && !victims.includes(pid));
      return fresh && workers.length === 2 && (await statusOf(PORT, 'POST', '/inc')) === 200;
    },
    20_000,
    50,
  );
}

serial("a writer's deaths count with the workers' towards the primary giving up", async (t) => {
  const server = await startServer(ENV);
  const deathLines = (what: string) => server.output().match(new RegExp(`${what} \\d+ died \\(SIGKILL\\)`, 'g')) ?? [];
  try {
    t.is(await statusOf(PORT, 'POST', '/inc'), 200);
    const primary = server.pid;
    // Deaths 1-3: the writer and both workers.
    const firstDeathAt = Date.now();
    let victims = [await writerPid(primary), ...(await workerPids(primary))];
    t.true(await killAndAwaitReplacements(primary, victims), `replaced after 3 deaths:\n${server.output()}`);
    // Deaths 4-5: the writer and one worker.
    victims = [await writerPid(primary), (await workerPids(primary))[0]];
    t.true(await killAndAwaitReplacements(primary, victims), `replaced after 5 deaths:\n${server.output()}`);
    t.is(deathLines('writer').length, 2, server.output());
    t.is(deathLines('worker').length, 3, server.output());
    t.is(server.child.exitCode, null, 'five deaths: still serving');

    // Death 6, a worker's: the sixth death in 30 s only if the writer's two count.
    await killHard([(await workerPids(primary))[0]]);
    const secondsSinceFirst = (Date.now() - firstDeathAt) / 1000;
    t.true(secondsSinceFirst < 30, `six deaths within the 30 s window (took ${secondsSinceFirst} s)`);
    t.true(await exitsWithin(server, 20_000), `the primary exits:\n${server.output()}`);
    t.is(server.child.exitCode, 1);
    t.regex(server.output(), /workers keep dying \(6 in 30 s, last: SIGKILL\): giving up/);
  } finally {
    await server.stop();
  }
});
