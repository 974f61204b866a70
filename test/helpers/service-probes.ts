/**
 * The test functions of a file whose tests need PostgreSQL or Hazelcast: probed once, so an
 * unreachable service fails with its own one-line error, and COUNTERS_SKIP_POSTGRESQL=1 or
 * COUNTERS_SKIP_HAZELCAST=1 skips them (required-service.ts).
 */
import { connectHazelcast } from '../../backends/hazelcast/connect.js';
import { readHazelcastConfig } from '../../backends/hazelcast/config.js';
import { PgConnection, readPostgresConfig } from '../../backends/postgresql/connection.js';
import { type RequiredService, serviceTest } from './required-service.js';

/** Why a probe failed, or undefined when it succeeded. */
async function failure(probe: () => Promise<void>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The PostgreSQL at DB_HOST/DB_PORT (the project's cluster unless set), probed. */
export async function probePostgres(): Promise<RequiredService> {
  const config = readPostgresConfig(process.env);
  return {
    what: `PostgreSQL at ${config.host}:${config.port}`,
    unavailable: await failure(async () => (await PgConnection.open(config, 'postgres')).close()),
    optOut: 'COUNTERS_SKIP_POSTGRESQL',
  };
}

/** The Hazelcast cluster at HZ_CLUSTER_MEMBERS, probed. */
export async function probeHazelcast(): Promise<RequiredService> {
  const config = readHazelcastConfig({ ...process.env, HZ_CONNECT_TIMEOUT_MS: '3000' });
  return {
    what: `the Hazelcast cluster at ${config.members.join(',')}`,
    unavailable: await failure(async () => (await connectHazelcast(config)).shutdown()),
    optOut: 'COUNTERS_SKIP_HAZELCAST',
  };
}

/**
 * Tests needing PostgreSQL. A file needing both services probes both before declaring any test
 * (ava takes no declaration after a wait once a test is declared): serviceTest(await probe...()).
 */
export async function postgresTest() {
  return serviceTest(await probePostgres());
}

/** Tests needing the Hazelcast cluster. */
export async function hazelcastTest() {
  return serviceTest(await probeHazelcast());
}
