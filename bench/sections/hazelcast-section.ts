/**
 * Hazelcast methods: the tester's RPS per method against the official Java client doing the same
 * operation with the same users on the same clients, at 1 and 10 users; and the web store's
 * coalescing against `atomic`.
 */
import { readHazelcastConfig } from '../../backends/hazelcast/config.js';
import { CLIENT_PER_USER } from '../../counters/hazelcast/hazelcast-counter.js';
import { HAZELCAST_METHODS } from '../../counters/hazelcast/method.js';
import { JAVA_CLIENT_SETTINGS, runJavaClient } from '../hazelcast/java-client.js';
import { type Measured, type RatioSpec, rowId } from '../measurement.js';
import { storeSubject } from '../servers.js';
import { bestOf } from '../tools/best-setting.js';
import { runTester } from '../tools/tester-cli.js';
import { type BenchContext, missing, type Section } from './section.js';

const TITLE = 'Hazelcast methods: tester vs the Java client';
const USERS = 10;
/** Latency-bound (one call in flight in all) and load-bound: where per-call overhead shows, and where the host is full. */
const USER_COUNTS = [1, USERS];
const JAVA_WARMUP_S = 0.5;

/** The Java client's method list: each method on the clients the tester gives its users. */
const JAVA_METHODS = HAZELCAST_METHODS.map((method) => (CLIENT_PER_USER[method] ? `${method}:per-user` : method));

export function hazelcastSection(ctx: BenchContext): Section {
  const { recorder } = ctx;
  for (const users of USER_COUNTS) {
    for (const method of HAZELCAST_METHODS) {
      recorder.row(TITLE, method, 'tester', users, { subject: method, tool: 'Java client' });
      recorder.row(TITLE, method, 'Java client', users);
    }
  }
  const skipAll = (why: string, tool?: string) => {
    for (const row of recorder.rows.values())
      if (row.section === TITLE && (!tool || row.tool === tool)) recorder.skip(row.id, why);
  };

  /** One JVM per client setting and user count, all methods in each; every method keeps its faster setting. */
  const runJava = async (round: number, users: number) => {
    const java = ctx.tools.java;
    if ('missing' in java) return skipAll(java.missing, 'Java client');
    const settings = round % 2 === 0 ? [...JAVA_CLIENT_SETTINGS].reverse() : JAVA_CLIENT_SETTINGS;
    const runs: Array<{ setting: string; results: Map<string, Measured> | Error }> = [];
    for (const { setting, properties } of settings) {
      const config = readHazelcastConfig(process.env);
      const run = () => runJavaClient(java, properties, config, JAVA_METHODS, users, ctx.durationS, JAVA_WARMUP_S);
      runs.push({ setting, results: await run().catch((err: Error) => err) });
    }
    for (const method of HAZELCAST_METHODS) {
      await recorder.measure(rowId(method, 'Java client', users), round, () =>
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

  const runTesters = async (round: number, users: number) => {
    for (const method of HAZELCAST_METHODS) {
      await recorder.measure(rowId(method, 'tester', users), round, () =>
        runTester(ctx.root, ['hazelcast', '--method', method], users, ctx.durationS),
      );
    }
  };

  return {
    title: TITLE,
    refHeader: '× Java client',
    ratios: [
      ...USER_COUNTS.flatMap((users) =>
        HAZELCAST_METHODS.map(
          (method): RatioSpec => ({
            name: `tester / Java client, ${method}, ${users} user(s)`,
            top: rowId(method, 'tester', users),
            bottom: rowId(method, 'Java client', users),
            target: 0.9,
          }),
        ),
      ),
      {
        name: 'Hazelcast web store with coalescing (tester) / tester hazelcast atomic, 10 clients',
        top: rowId(storeSubject('Hazelcast CP IAtomicLong, coalescing', 1), 'tester', USERS),
        bottom: rowId('atomic', 'tester', USERS),
        target: 5,
      },
    ],
    notes: [
      'The Java client (bench/hazelcast/HazelcastMethodBench.java, compiled with javac against the 5.4.0 member ' +
        'jar) runs one thread per user, closed loop, all methods in one JVM, each after a 0.5 s warm-up and ' +
        'every method warmed once before the first is measured (a JIT still compiling would slow the first), on the ' +
        "same clients as the tester's users: pessimistic and pn_counter one client per user (the Node client's " +
        'map lock belongs to the client instance, and a PN counter client sticks to one replica), the others one ' +
        'shared client. It runs once with the default client threads and once with 1 response thread ' +
        '(-Dhazelcast.client.response.thread.count=1) in each round and user count; each method keeps the faster ' +
        '(the setting column). The tester is `tester hazelcast --method M --json`.',
      'The cluster is the 3 local members of scripts/hazelcast.sh (CP Subsystem on), on the same 2 cores as the load.',
    ],
    async run(round) {
      const why = missing(ctx.services.hazelcast);
      if (why) return skipAll(why);
      for (const users of USER_COUNTS) {
        const steps = [() => runTesters(round, users), () => runJava(round, users)];
        for (const step of round % 2 === 1 ? steps : steps.reverse()) await step();
      }
    },
  };
}
