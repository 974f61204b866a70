/**
 * The PostgreSQL the tests use: the project's own cluster, which scripts/postgres.sh runs on
 * 127.0.0.1:55432 (PG_TEST_PORT), unless DB_HOST or DB_PORT point the tests at another server.
 * ava loads this module before every test file (package.json, ava.require), so the suites and
 * the servers and testers they spawn read it from the environment like any user would.
 */
export const OWN_POSTGRES = { host: '127.0.0.1', port: Number(process.env.PG_TEST_PORT || 55432) };

/** DB_* for the project's cluster itself: the fault tests stop and start it, and no other. */
export const OWN_POSTGRES_ENV = {
  DB_HOST: OWN_POSTGRES.host,
  DB_PORT: String(OWN_POSTGRES.port),
  POSTGRES_USER: 'postgres',
  POSTGRES_PASSWORD: 'postgres',
};

if (!process.env.DB_HOST && !process.env.DB_PORT) {
  process.env.DB_HOST = OWN_POSTGRES.host;
  process.env.DB_PORT = String(OWN_POSTGRES.port);
}
