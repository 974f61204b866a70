/**
 * Hazelcast methods: the tester's RPS per method against the official Java client doing the same
 * operation with the same number of users; and the web store's coalescing against `atomic`.
 */
import { HAZELCAST_METHODS, readHazelcastConfig } from '../../backends/hazelcast/config.js';
import { runJavaClient } from '../hazelcast/java-client.js';
import { rowId } from '../measurement.js';
import { runTester } from '../tools/tester-cli.js';
import { type BenchContext, missing, type Section } from './section.js';

const TITLE = 'Hazelcast methods: tester vs the Java client';
const USERS = 10;
const JAVA_WARMUP_S = 0.5;

export function hazelcastSection(ctx: BenchContext): Section {
  const { recorder } = ctx;
  for (const method of HAZELCAST_METHODS) {
    recorder.row(TITLE, method, 'tester', USERS, { subject: method, tool: 'Java client' });
    recorder.row(TITLE, method, 'Java client', USERS);
  }
  const skipAll = (why: string, tool?: string) => {
    for (const row of recorder.rows.values())
      if (row.section === TITLE && (!tool || row.tool === tool)) recorder.skip(row.id, why);
  };

  const runJava = async (round: number) => {
    const java = ctx.tools.java;
    if ('missing' in java) return skipAll(java.missing, 'Java client');
    let results: Awaited<ReturnType<typeof runJavaClient>>;
    try {
      results = await runJavaClient(
        java,
        readHazelcastConfig(process.env),
        [...HAZELCAST_METHODS],
        USERS,
        ctx.durationS,
        JAVA_WARMUP_S,
      );
    } catch (err) {
      return skipAll(`failed: ${(err as Error).message.split('\n')[0]}`, 'Java client');
    }
    for (const method of HAZELCAST_METHODS) {
      await recorder.measure(rowId(method, 'Java client', USERS), round, async () => {
        const measured = results.get(method);
        if (!measured) throw new Error(`the Java client printed no result for ${method}`);
        return measured;
      });
    }
  };

  return {
    title: TITLE,
    refHeader: '× Java client',
    ratios: [
      {
        name: 'tester / Java client, atomic, 10 users',
        top: rowId('atomic', 'tester', USERS),
        bottom: rowId('atomic', 'Java client', USERS),
        target: 0.8,
      },
      {
        name: 'Hazelcast web store with coalescing (tester) / tester hazelcast atomic, 10 clients',
        top: rowId('ours: Hazelcast CP IAtomicLong, coalescing', 'tester', USERS),
        bottom: rowId('atomic', 'tester', USERS),
        target: 5,
      },
    ],
    notes: [
      "The Java client (bench/hazelcast/HazelcastMethodBench.java, compiled with javac against the 5.4.0 member " +
        "jar) runs one client with one thread per user, closed loop, all methods in one JVM per round after a 0.5 " +
        "s warm-up each; Java's map lock belongs to the calling thread, so one client serves every user. The " +
        "tester is `tester hazelcast --method M --json`: pessimistic and pn_counter get one client per user (the " +
        "Node client's lock belongs to the client instance), the others share one.",
      'The cluster is the 3 local members of scripts/hazelcast.sh (CP Subsystem on), on the same 2 cores as the load.',
    ],
    async run(round) {
      const why = missing(ctx.services.hazelcast);
      if (why) return skipAll(why);
      const tester = async () => {
        for (const method of HAZELCAST_METHODS) {
          await recorder.measure(rowId(method, 'tester', USERS), round, () =>
            runTester(ctx.root, ['hazelcast', '--method', method], USERS, ctx.durationS),
          );
        }
      };
      for (const step of round % 2 === 1 ? [tester, () => runJava(round)] : [() => runJava(round), tester])
        await step();
    },
  };
}
