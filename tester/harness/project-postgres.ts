/**
 * The project's own PostgreSQL cluster, which scripts/postgres.sh runs on 127.0.0.1:55432
 * (PG_TEST_PORT). Tests and the bench use it unless DB_HOST or DB_PORT point elsewhere, so a
 * fresh clone never measures or disturbs the machine's own PostgreSQL on 5432.
 */
export const OWN_POSTGRES = { host: '127.0.0.1', port: Number(process.env.PG_TEST_PORT || 55432) };

/** DB_* for the project's cluster itself: the fault tests stop and start it, and no other. */
export const OWN_POSTGRES_ENV = {
  DB_HOST: OWN_POSTGRES.host,
  DB_PORT: String(OWN_POSTGRES.port),
  POSTGRES_USER: 'postgres',
  POSTGRES_PASSWORD: 'postgres',
};

/** Points DB_HOST/DB_PORT at the project's cluster unless the user set either. */
export function useProjectPostgresUnlessSet(): void {
  if (process.env.DB_HOST || process.env.DB_PORT) return;
  process.env.DB_HOST = OWN_POSTGRES.host;
  process.env.DB_PORT = String(OWN_POSTGRES.port);
}
