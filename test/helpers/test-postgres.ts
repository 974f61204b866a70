/**
 * ava loads this module before every test file (package.json, ava.require), so the suites and
 * the servers and testers they spawn read the project's cluster from the environment like any
 * user would, unless DB_HOST or DB_PORT point the tests at another server.
 */
import { useProjectPostgresUnlessSet } from '../../tester/harness/project-postgres.js';

export { OWN_POSTGRES, OWN_POSTGRES_ENV } from '../../tester/harness/project-postgres.js';

useProjectPostgresUnlessSet();
