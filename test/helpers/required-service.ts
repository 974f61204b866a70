import test from 'ava';

export interface RequiredService {
  /** e.g. "PostgreSQL at 127.0.0.1:5432". */
  what: string;
  /** Why a probe failed (the service's own one-line error, which says how to fix it), or undefined. */
  unavailable: string | undefined;
  /** The variable that, set to 1, skips the tests that need the service. */
  optOut: string;
}

/**
 * The test functions for tests that need a service. A missing service fails the run (one test
 * says which service and why; the others fail on their own errors): a suite that
 * skips silently passes on any machine. Only an explicit opt-out skips them, and says so.
 */
export function serviceTest(service: RequiredService) {
  const optedOut = process.env[service.optOut] === '1';
  if (optedOut) {
    console.warn(`${service.optOut}=1: SKIPPING every test that needs ${service.what}`);
  } else {
    test(`${service.what} answers`, (t) => {
      const skipHint = `or set ${service.optOut}=1 to skip the tests that need it`;
      t.is(service.unavailable, undefined, `${service.what} is unreachable: ${service.unavailable}; ${skipHint}`);
    });
  }
  return { test: optedOut ? test.skip : test, serial: optedOut ? test.skip : test.serial };
}
