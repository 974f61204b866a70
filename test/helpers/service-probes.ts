/**
 * The test functions of a file whose tests need PostgreSQL or Hazelcast: probed once, so an
 * unreachable service fails with its own one-line error, and COUNTERS_SKIP_POSTGRESQL=1 or
 * COUNTERS_SKIP_HAZELCAST=1 skips them (required-service.ts).
 */
import { connectHazelcast } from '../../backends/hazelcast/connect.js';
import { readHazelcastConfig } from '../../backends/hazelcast/config.js';
import { PgConnection, readPostgresConfig } from '../../backends/postgresql/connection.js';
import { serviceTest } from './required-service.js';

/** Why a probe failed, or undefined when it succeeded. */
async function failure(probe: () => Promise<void>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Tests needing the PostgreSQL at DB_HOST/DB_PORT (the project's cluster unless set). */
export async function postgresTest() {
  const config = readPostgresConfig(process.env);
  return serviceTest({
    what: `PostgreSQL at ${config.host}:${config.port}`,
    unavailable: await failure(async () => (await PgConnection.open(config, 'postgres')).close()),
    optOut: 'COUNTERS_SKIP_POSTGRESQL',
  });
}

/** Tests needing the Hazelcast cluster at HZ_CLUSTER_MEMBERS. */
export async function hazelcastTest() {
  const config = readHazelcastConfig({ ...process.env, HZ_CONNECT_TIMEOUT_MS: '3000' });
  return serviceTest({
    what: `the Hazelcast cluster at ${config.members.join(',')}`,
    unavailable: await failure(async () => (await connectHazelcast(config)).shutdown()),
    optOut: 'COUNTERS_SKIP_HAZELCAST',
  });
}
