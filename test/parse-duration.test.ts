/** Duration flags (--duration, --warmup, --nemesis-interval, --max-p99): what they read, and what they refuse. */
import test from 'ava';
import { parseDurationMs } from '../tester/options/parse-duration.js';

test('parseDurationMs reads s, m, h, ms and bare seconds', (t) => {
  t.is(parseDurationMs('30s'), 30_000);
  t.is(parseDurationMs('2m'), 120_000);
  t.is(parseDurationMs('1h'), 3_600_000);
  t.is(parseDurationMs('500ms'), 500);
  t.is(parseDurationMs('1.5s'), 1500);
  t.is(parseDurationMs('10'), 10_000);
});

test('parseDurationMs reads microseconds as us and µs (micro sign or Greek mu), as wrk and vegeta do', (t) => {
  t.is(parseDurationMs('500us'), 0.5);
  t.is(parseDurationMs('500\u00b5s'), 0.5);
  t.is(parseDurationMs('500\u03bcs'), 0.5);
  t.is(parseDurationMs('1us'), 0.001);
  t.is(parseDurationMs('1500us'), 1.5);
  t.is(parseDurationMs('2.5us'), 0.0025);
});

test('parseDurationMs refuses the rest', (t) => {
  const bad = ['3x', '', 's', '0s', '0', '-1s', '1 m', '1e3', 'us', '0us', '5u', '5 us', '5USs', '5ns'];
  for (const text of bad) t.is(parseDurationMs(text), undefined, text);
});
