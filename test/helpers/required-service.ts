/**
 * The one way a test file declares tests that need PostgreSQL or Hazelcast.
 *
 * - The service is probed once per file, before any test is declared (ava takes no declaration
 *   after a wait once a test was declared), and a `<service> answers` test carries the probe's
 *   one-line error: a missing service FAILS the run, whichever machine. A suite that skips
 *   silently passes anywhere.
 * - Only an explicit opt-out, COUNTERS_SKIP_POSTGRESQL=1 or COUNTERS_SKIP_HAZELCAST=1, skips the
 *   tests that need the service, with one line saying which variable skipped what.
 * - With CI set (CI=true, as .ci/run does), the opt-out is not honoured: a CI run tests every
 *   service, so there a missing service is a failure, never a skip.
 *
 *   const services = await requireServices(['postgresql', 'hazelcast']);
 *   services.need('postgresql').serial('...', async (t) => ...);
 *   services.forStore(env).serial('...', ...);   // by STORAGE_METHOD
 */
import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectHazelcast } from '../../backends/hazelcast/connect.js';
import { readHazelcastConfig } from '../../backends/hazelcast/config.js';
import { PgConnection, readPostgresConfig } from '../../backends/postgresql/connection.js';

export type Service = 'postgresql' | 'hazelcast';

export const OPT_OUT: Readonly<Record<Service, string>> = {
  postgresql: 'COUNTERS_SKIP_POSTGRESQL',
  hazelcast: 'COUNTERS_SKIP_HAZELCAST',
};

export interface ServiceTests {
  test: typeof test | typeof test.skip;
  serial: typeof test.serial | typeof test.skip;
}

export interface Services {
  /** The test functions for tests that need every one of `services` (none: plain ava). */
  need(...services: Service[]): ServiceTests;
  /** The test functions for a server of this store: postgresql* and hazelcast* need their service. */
  forStore(env: { readonly STORAGE_METHOD?: string }): ServiceTests;
  /** True when the service answered the probe (false when it was skipped or is down). */
  answers(service: Service): boolean;
}

export interface ServiceOptions {
  /** The environment PostgreSQL is read from (default process.env; faults use the project's cluster). */
  postgresEnv?: NodeJS.ProcessEnv;
  /** The environment Hazelcast is read from (default process.env). */
  hazelcastEnv?: NodeJS.ProcessEnv;
}

/** CI as most CI systems set it: anything but unset, empty, 0 or false. */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  return ci !== undefined && !['', '0', 'false'].includes(ci.toLowerCase());
}

/** Why a probe failed (the service's own one-line error), or undefined when it succeeded. */
async function failure(probe: () => Promise<void>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
}

interface Probe {
  what: string;
  probe(): Promise<string | undefined>;
}

function probeOf(service: Service, options: ServiceOptions): Probe {
  if (service === 'postgresql') {
    const config = readPostgresConfig(options.postgresEnv ?? process.env);
    return {
      what: `PostgreSQL at ${config.host}:${config.port}`,
      probe: () => failure(async () => (await PgConnection.open(config, 'postgres')).close()),
    };
  }
  const config = readHazelcastConfig({ ...(options.hazelcastEnv ?? process.env), HZ_CONNECT_TIMEOUT_MS: '3000' });
  return {
    what: `the Hazelcast cluster at ${config.members.join(',')}`,
    probe: () => failure(async () => (await connectHazelcast(config)).shutdown()),
  };
}

const testFile = () => path.basename(fileURLToPath(test.meta.file));

/**
 * Probes `services` (those not opted out) and declares one `<service> answers` test each; call
 * it at the top of the file, before declaring any test.
 */
export async function requireServices(services: Service[], options: ServiceOptions = {}): Promise<Services> {
  const skipped = new Set<Service>();
  const answering = new Set<Service>();
  const probes = services.map((service) => ({ service, ...probeOf(service, options) }));
  const ci = underCi();
  const outcomes = await Promise.all(
    probes.map(async ({ service, what, probe }) => {
      const optOut = OPT_OUT[service];
      if (process.env[optOut] === '1') {
        if (!ci) {
          console.warn(`${optOut}=1: skipping the tests of ${testFile()} that need ${what}`);
          skipped.add(service);
          return { service, what, unavailable: undefined, skip: true, ignoredOptOut: false };
        }
        console.warn(`${optOut}=1 is ignored under CI=${process.env.CI}: a CI run tests ${what}`);
      }
      const unavailable = await probe();
      if (unavailable === undefined) answering.add(service);
      return { service, what, unavailable, skip: false, ignoredOptOut: process.env[optOut] === '1' };
    }),
  );
  for (const { service, what, unavailable, skip, ignoredOptOut } of outcomes) {
    if (skip) continue;
    const hint = ignoredOptOut
      ? `${OPT_OUT[service]}=1 does not skip under CI`
      : `or set ${OPT_OUT[service]}=1 to skip the tests that need it`;
    test(`${what} answers`, (t) => {
      if (unavailable === undefined) t.pass();
      else t.fail(`${what} is unreachable: ${unavailable}; ${hint}`);
    });
  }
  const need = (...needed: Service[]): ServiceTests => {
    for (const service of needed) {
      if (!services.includes(service)) throw new Error(`requireServices: ${service} was not required by this file`);
    }
    const skip = needed.some((service) => skipped.has(service));
    return { test: skip ? test.skip : test, serial: skip ? test.skip : test.serial };
  };
  return {
    need,
    forStore: (env) => {
      const method = env.STORAGE_METHOD ?? '';
      if (method.startsWith('postgresql')) return need('postgresql');
      if (method.startsWith('hazelcast')) return need('hazelcast');
      return need();
    },
    answers: (service) => answering.has(service),
  };
}

/** Tests needing PostgreSQL (at DB_HOST/DB_PORT: the project's cluster unless set). */
export async function postgresTest(options: ServiceOptions = {}): Promise<ServiceTests> {
  return (await requireServices(['postgresql'], options)).need('postgresql');
}

/** Tests needing the Hazelcast cluster at HZ_CLUSTER_MEMBERS. */
export async function hazelcastTest(options: ServiceOptions = {}): Promise<ServiceTests> {
  return (await requireServices(['hazelcast'], options)).need('hazelcast');
}
