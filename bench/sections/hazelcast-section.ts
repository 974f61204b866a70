/**
 * Hazelcast methods: the tester's RPS per method against the official Java client doing the same
 * operation with the same number of users; and the web store's coalescing against `atomic`.
 */
import { readHazelcastConfig } from '../../backends/hazelcast/config.js';
import { HAZELCAST_METHODS } from '../../counters/hazelcast/method.js';
import { JAVA_CLIENT_SETTINGS, runJavaClient } from '../hazelcast/java-client.js';
import { type Measured, rowId } from '../measurement.js';
import { storeSubject } from '../servers.js';
import { bestOf } from '../tools/best-setting.js';
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

  /** One JVM per client setting, all methods in each; every method keeps its faster setting. */
  const runJava = async (round: number) => {
    const java = ctx.tools.java;
    if ('missing' in java) return skipAll(java.missing, 'Java client');
    const settings = round % 2 === 0 ? [...JAVA_CLIENT_SETTINGS].reverse() : JAVA_CLIENT_SETTINGS;
    const runs: Array<{ setting: string; results: Map<string, Measured> | Error }> = [];
    for (const { setting, properties } of settings) {
      const config = readHazelcastConfig(process.env);
      const run = () =>
        runJavaClient(java, properties, config, [...HAZELCAST_METHODS], USERS, ctx.durationS, JAVA_WARMUP_S);
      runs.push({ setting, results: await run().catch((err: Error) => err) });
    }
    for (const method of HAZELCAST_METHODS) {
      await recorder.measure(rowId(method, 'Java client', USERS), round, () =>
        bestOf(
          runs.map(({ setting, results }) => ({
            setting,
            run: async () => {
              if (results instanceof Error) throw results;
              const measured = results.get(method);
              if (!measured) throw new Error(`the Java client printed no result for ${method}`);
              return measured;
            },
          })),
          round,
        ),
      );
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
        top: rowId(storeSubject('Hazelcast CP IAtomicLong, coalescing', 1), 'tester', USERS),
        bottom: rowId('atomic', 'tester', USERS),
        target: 5,
      },
    ],
    notes: [
      "The Java client (bench/hazelcast/HazelcastMethodBench.java, compiled with javac against the 5.4.0 member " +
        "jar) runs one client with one thread per user, closed loop, all methods in one JVM after a 0.5 " +
        "s warm-up each; Java's map lock belongs to the calling thread, so one client serves every user. It runs " +
        'once with the default client threads and once with 1 response thread (-Dhazelcast.client.response.' +
        'thread.count=1) in each round; each method keeps the faster (the setting column). The ' +
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
