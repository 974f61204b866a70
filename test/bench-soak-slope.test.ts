/**
 * The soak's judge: the least-squares slope against scipy.stats.linregress
 * (test/helpers/scipy_linregress.py in the venv .services/venv that scripts/test-tools.sh makes) on
 * seeded random RSS-like series, against hand-computed cases, and what the soak makes of it: the
 * settling time left out, too few samples not judged, both slopes and the verdict needed to pass.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { leastSquaresSlope } from '../bench/least-squares.js';
import { type SoakSample, soakPassed, soakSlopes } from '../bench/soak-result.js';
import { seededRandom } from '../tester/stats/statistics.js';
import { toolPath } from './helpers/client-tools.js';
import { ROOT } from './helpers/server-process.js';

type Series = { x: number[]; y: number[] };

async function scipySlopes(cases: Series[]): Promise<number[]> {
  const script = path.join(ROOT, 'test/helpers/scipy_linregress.py');
  const python = promisify(execFile)(toolPath('python'), [script], { maxBuffer: 1 << 26 });
  python.child.stdin!.end(JSON.stringify(cases));
  return JSON.parse((await python).stdout);
}

/**
 * A soak's RSS: samples every ~10 s (late by up to a second, as a busy host delays a timer),
 * a base of tens to thousands of MB, a growth from none to fast, a garbage collector's sawtooth
 * and noise; some series as long as a 30-minute run, some as short as a 2-minute one.
 */
function randomSeries(random: () => number): Series {
  const count = 3 + Math.floor(random() * 180);
  const base = 10 ** (1 + random() * 3);
  const growth = random() < 0.3 ? 0 : (random() - 0.2) * 50;
  const sawtooth = random() * 20;
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < count; i++) {
    const minutes = (i * 10 + random()) / 60;
    x.push(minutes);
    y.push(base + growth * minutes + sawtooth * ((i % 7) / 7) + (random() - 0.5) * 4);
  }
  return { x, y };
}

const points = ({ x, y }: Series) => x.map((xi, i) => [xi, y[i]] as const);

test('the slope is scipy.stats.linregress’s on 300 random RSS-like series', async (t) => {
  const random = seededRandom(26);
  const cases = Array.from({ length: 300 }, () => randomSeries(random));
  const expected = await scipySlopes(cases);
  cases.forEach((series, i) => {
    const ours = leastSquaresSlope(points(series));
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected[i]));
    t.true(Math.abs(ours - expected[i]) <= tolerance, `case ${i}: ${ours} vs ${expected[i]}`);
  });
});

test('the slope of hand-computed cases', (t) => {
  t.is(leastSquaresSlope([[0, 1], [1, 3], [2, 5]]), 2);
  // x̄ = 1.5, ȳ = 0.5: Σ(x − x̄)(y − ȳ) = 1, Σ(x − x̄)² = 5.
  t.is(leastSquaresSlope([[0, 0], [1, 1], [2, 0], [3, 1]]), 0.2);
  t.is(leastSquaresSlope([[5, 7], [6, 7], [9, 7]]), 0);
  // Far from the origin, where the raw-sum formula loses its digits.
  t.is(leastSquaresSlope([[1e9, 1e9], [1e9 + 1, 1e9 + 2], [1e9 + 2, 1e9 + 4]]), 2);
  t.throws(() => leastSquaresSlope([[1, 1]]), { instanceOf: RangeError });
  t.throws(() => leastSquaresSlope([[1, 1], [1, 2]]), { instanceOf: RangeError });
});

/** A soak's samples every 10 s: the tester grows by `testerMbPerMinute`, the server stays flat. */
function samples(count: number, testerMbPerMinute: number): SoakSample[] {
  return Array.from({ length: count }, (_, i) => ({
    atS: i * 10,
    // A jump in the first minute (warm-up) that the slope must not see.
    testerMb: 80 + (i * 10 < 60 ? i * 30 : 150) + (testerMbPerMinute * i * 10) / 60,
    serverPrimaryMb: 50,
    serverWorkersMb: 120 + (i < 3 ? i * 10 : 20),
  }));
}

test('the soak fits its slopes after the settling time only, in MB per minute', (t) => {
  const slopes = soakSlopes(samples(19, 6), 60);
  t.true(Math.abs(slopes.testerMbPerMinute! - 6) < 1e-9);
  t.is(slopes.serverMbPerMinute, 0);
});

test('a soak too short for 3 samples after the settling time is not judged', (t) => {
  const slopes = soakSlopes(samples(8, 0), 60); // samples at 60 and 70 s only
  t.deepEqual(slopes, { testerMbPerMinute: null, serverMbPerMinute: null });
  t.is(soakPassed(slopes, { rps: 1, passed: true, verdict: 'PASS', errorCount: 0 }, 1), null);
});

test('a soak passes with both slopes under the limit and the tester’s verdict PASS', (t) => {
  const pass = { rps: 1000, passed: true, verdict: 'PASS', errorCount: 0 };
  const flat = { testerMbPerMinute: 0.5, serverMbPerMinute: -0.2 };
  t.true(soakPassed(flat, pass, 1));
  t.false(soakPassed({ ...flat, testerMbPerMinute: 1 }, pass, 1));
  t.false(soakPassed({ ...flat, serverMbPerMinute: 3 }, pass, 1));
  t.false(soakPassed(flat, { ...pass, passed: false, verdict: 'FAIL: lost' }, 1));
  t.false(soakPassed(flat, { failed: 'tester failed: exit SIGKILL' }, 1));
});
