/**
 * test/helpers/required-service.ts, the one way a test needing PostgreSQL or Hazelcast is
 * declared: run on a fixture file of its own (test/fixtures/needs-services.ts) by a real ava,
 * with the services pointed at a closed port, so this file itself needs neither service.
 */
import test from 'ava';
import { run } from './helpers/processes.js';

const AVA = 'node_modules/ava/entrypoints/cli.mjs';
const FIXTURE = 'dist/test/fixtures/needs-services.js';
/** Nothing listens on port 1 of the loopback: both probes are refused at once. */
const DOWN = { DB_HOST: '127.0.0.1', DB_PORT: '1', HZ_CLUSTER_MEMBERS: '127.0.0.1:1', HZ_CONNECT_TIMEOUT_MS: '1000' };

async function runFixture(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !['CI', 'COUNTERS_SKIP_POSTGRESQL', 'COUNTERS_SKIP_HAZELCAST'].includes(name)),
  );
  const result = await run('node', [AVA, '--timeout', '1m', FIXTURE], 90_000, { ...clean, ...DOWN, ...env });
  return { ...result, output: result.stdout + result.stderr };
}

const linesMatching = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line));

test('COUNTERS_SKIP_*=1: the tests needing the service are skipped, with one line saying why', async (t) => {
  const { code, output } = await runFixture({ COUNTERS_SKIP_POSTGRESQL: '1', COUNTERS_SKIP_HAZELCAST: '1' });
  t.is(code, 0, output);
  t.is(
    linesMatching(output, /COUNTERS_SKIP_POSTGRESQL=1: skipping the tests of needs-services\.js that need PostgreSQL at 127\.0\.0\.1:1$/).length,
    1,
    output,
  );
  t.is(
    linesMatching(output, /COUNTERS_SKIP_HAZELCAST=1: skipping the tests of needs-services\.js that need the Hazelcast cluster at 127\.0\.0\.1:1$/).length,
    1,
    output,
  );
  t.regex(output, /\[skip\] fixture: needs postgresql/);
  t.regex(output, /\[skip\] fixture: needs hazelcast/);
  t.regex(output, /✔ fixture: needs nothing/);
  t.regex(output, /2 tests passed/);
  t.regex(output, /2 tests skipped/);
  t.notRegex(output, /answers/, 'an opted-out service is not probed');
});

test('a service that does not answer fails the run, naming it and the opt-out', async (t) => {
  const { code, output } = await runFixture({});
  t.is(code, 1, output);
  t.regex(output, /✘ \[fail\]: PostgreSQL at 127\.0\.0\.1:1 answers PostgreSQL at 127\.0\.0\.1:1 is unreachable: .*Connection refused.*; or set COUNTERS_SKIP_POSTGRESQL=1/);
  t.regex(output, /✘ \[fail\]: the Hazelcast cluster at 127\.0\.0\.1:1 answers .*ECONNREFUSED.*; or set COUNTERS_SKIP_HAZELCAST=1/);
  t.notRegex(output, /\[skip\]/);
});

test('CI=true: a service that does not answer is a failure even with COUNTERS_SKIP_*=1, never a skip', async (t) => {
  const { code, output } = await runFixture({ CI: 'true', COUNTERS_SKIP_POSTGRESQL: '1', COUNTERS_SKIP_HAZELCAST: '1' });
  t.is(code, 1, output);
  t.regex(output, /COUNTERS_SKIP_POSTGRESQL=1 is ignored under CI=true: a CI run tests PostgreSQL at 127\.0\.0\.1:1/);
  t.regex(output, /✘ \[fail\]: PostgreSQL at 127\.0\.0\.1:1 answers .*unreachable.*; COUNTERS_SKIP_POSTGRESQL=1 does not skip under CI/);
  t.regex(output, /✘ \[fail\]: the Hazelcast cluster at 127\.0\.0\.1:1 answers .*unreachable.*; COUNTERS_SKIP_HAZELCAST=1 does not skip under CI/);
  t.notRegex(output, /\[skip\]/);
  t.regex(output, /2 tests failed/);
});
