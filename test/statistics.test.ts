/**
 * tester/stats against scipy (test/helpers/scipy_statistics.py in the venv .services/venv, which
 * scripts/test-tools.sh makes from test/requirements.txt): Mann-Whitney U and its p-value, median
 * intervals and ratio intervals on seeded random samples with and without ties; then what the
 * verdicts must do on synthetic samples: "~" between samples of one distribution in at least 95%
 * of trials, a verdict in every trial between clearly different ones. Seeded, no timing: the same
 * numbers on every run. A missing venv fails the scipy tests, naming the fix.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  compareSamples,
  defaultRounds,
  formatVerdict,
  mannWhitneyU,
  medianInterval,
  rankCells,
  ratioOfMedians,
  samplesForMedianInterval,
  seededRandom,
  shuffledRounds,
  summarize,
  type Verdict,
} from '../tester/stats/statistics.js';
import { toolPath } from './helpers/client-tools.js';
import { ROOT } from './helpers/server-process.js';

type Pair = { a: number[]; b: number[] };
type Interval = { low: number; high: number };

interface ScipyCases {
  mannWhitney?: Pair[];
  medianIntervals?: Array<{ x: number[]; confidence: number }>;
  ratioIntervals?: Array<Pair & { alpha: number }>;
}

interface ScipyAnswers {
  mannWhitney: Array<{ u: number; p: number }>;
  medianIntervals: Array<Interval | null>;
  ratioIntervals: Array<{ interval: Interval | null; contiguous: boolean }>;
}

/** scipy's answers, from one Python process for all the cases (importing scipy takes seconds). */
async function scipy(cases: Required<ScipyCases>): Promise<ScipyAnswers> {
  const script = path.join(ROOT, 'test/helpers/scipy_statistics.py');
  const python = promisify(execFile)(toolPath('python'), [script], { maxBuffer: 1 << 26 });
  python.child.stdin!.end(JSON.stringify(cases));
  return JSON.parse((await python).stdout);
}

const relativeError = (x: number, y: number) => (x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));

/** Log-normal draws around `center` (Box-Muller): skewed and positive, like throughputs and latencies. */
function logNormal(random: () => number, count: number, center: number, sigma: number): number[] {
  return Array.from({ length: count }, () => {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return center * Math.exp(sigma * normal);
  });
}

const integer = (random: () => number, low: number, high: number) => low + Math.floor(random() * (high - low + 1));

/**
 * A random pair of samples of sizes 1..maxSize. A third are continuous; a third rounded to a
 * coarse grid, so that values tie within and across the samples; a third small integers, ties
 * everywhere. B's center is off by up to 30% either way, so p-values span (0, 1].
 */
function randomPair(random: () => number, maxSize: number): Pair {
  const [n1, n2] = [integer(random, 1, maxSize), integer(random, 1, maxSize)];
  const shift = Math.exp((random() - 0.5) * 0.5);
  const kind = integer(random, 0, 2);
  const draw = (count: number, center: number): number[] => {
    const values = logNormal(random, count, center, 0.15);
    if (kind === 0) return values;
    if (kind === 1) return values.map((value) => Math.round(value / 100) * 100);
    return values.map((value) => Math.max(1, Math.round(value / 200)));
  };
  return { a: draw(n1, 1000), b: draw(n2, 1000 * shift) };
}

/** The cases for scipy, drawn from fixed seeds: 400 mixed pairs, 16 for the exact branch, 252 medians, 120 ratios. */
function scipyCases(): Required<ScipyCases> {
  const mixed = seededRandom(27);
  const exact = seededRandom(2701);
  const medians = seededRandom(2702);
  const ratios = seededRandom(2703);
  const medianSizes = [...Array.from({ length: 60 }, (_, i) => i + 1), 100, 501, 2000];
  return {
    mannWhitney: [
      ...Array.from({ length: 400 }, () => randomPair(mixed, 25)),
      // the exact branch (no ties, a sample of at most 8) up to 8 against 300, b further off the larger it is
      ...[1, 3, 5, 8].flatMap((small) =>
        [9, 40, 120, 300].map((large) => ({
          a: logNormal(exact, small, 1000, 0.3),
          b: logNormal(exact, large, 1000 + 10 * large, 0.3),
        })),
      ),
    ],
    medianIntervals: [0.8, 0.9, 0.95, 0.99].flatMap((confidence) =>
      medianSizes.map((n) => ({ x: logNormal(medians, n, 1000, 0.2).map((v) => Math.round(v / 10) * 10), confidence })),
    ),
    ratioIntervals: Array.from({ length: 120 }, (_, i) => ({
      ...randomPair(ratios, 14),
      alpha: [0.05, 0.01, 0.1][i % 3],
    })),
  };
}

const cases = scipyCases();
const answers = scipy(cases);
answers.catch(() => {}); // each scipy test reports the failure; unobserved until they await it

test('Mann-Whitney U and p equal scipy.stats.mannwhitneyu to 1e-9 relative on 416 pairs, ties included', async (t) => {
  const expected = (await answers).mannWhitney;
  const methods = { exact: 0, asymptotic: 0 };
  let worstP = 0;
  cases.mannWhitney.forEach((pair, i) => {
    const result = mannWhitneyU(pair.a, pair.b);
    methods[result.method]++;
    t.is(result.u, expected[i].u, `U for ${JSON.stringify(pair)}`);
    const error = relativeError(result.p, expected[i].p);
    worstP = Math.max(worstP, error);
    t.true(error <= 1e-9, `p ${result.p} against scipy's ${expected[i].p} for ${JSON.stringify(pair)}`);
  });
  const tied = cases.mannWhitney.filter((pair) => new Set([...pair.a, ...pair.b]).size < pair.a.length + pair.b.length);
  const smallest = Math.min(...expected.map((answer) => answer.p));
  t.log(`${JSON.stringify(methods)}, ${tied.length} with ties, smallest p ${smallest}, worst p error ${worstP}`);
  t.true(methods.exact >= 60 && methods.asymptotic >= 200 && tied.length >= 200 && smallest < 1e-9);
});

test('median intervals equal scipy.stats.quantile_test(x, p=0.5).confidence_interval() at 80-99%', async (t) => {
  const expected = (await answers).medianIntervals;
  cases.medianIntervals.forEach((item, i) => {
    const interval = medianInterval(item.x, item.confidence) ?? null;
    t.deepEqual(interval, expected[i], `n=${item.x.length} at ${item.confidence}`);
  });
  const withInterval = expected.filter(Boolean).length;
  t.log(`${withInterval} of ${expected.length} with an interval, the others too small for one in both`);
  t.true(withInterval > 200 && expected.length - withInterval >= 15);
});

test('ratio intervals equal the ratios at which scipy finds a / r and b not significantly different', async (t) => {
  const expected = (await answers).ratioIntervals;
  let bounded = 0;
  cases.ratioIntervals.forEach((item, i) => {
    t.true(expected[i].contiguous, `scipy accepts a contiguous set of ratios for ${JSON.stringify(item)}`);
    const { interval } = ratioOfMedians(item.a, item.b, item.alpha);
    t.deepEqual(interval ?? null, expected[i].interval, JSON.stringify(item));
    if (interval) bounded++;
  });
  t.log(`${bounded} of ${expected.length} bounded, the others too small for the test to ever reject`);
  t.true(bounded >= 80 && bounded < expected.length);
});

/** `trials` verdicts between samples of `rounds` log-normal values, a's center `scale` times b's. */
function trialVerdicts(seed: number, trials: number, rounds: number, scale: number, sigma: number, grid = 0) {
  const random = seededRandom(seed);
  const draw = (center: number) =>
    logNormal(random, rounds, center, sigma).map((value) => (grid ? Math.round(value / grid) * grid : value));
  return Array.from({ length: trials }, () => compareSamples(draw(150_000 * scale), draw(150_000)));
}

const saysSame = (verdicts: Verdict[]) => verdicts.filter((verdict) => formatVerdict(verdict).startsWith('~')).length;

test('identical distributions: "~" in at least 95% of 1000 trials at alpha 0.05', (t) => {
  // At the default 6 rounds and at 10 the test is exact or nearly so, and conservative: its
  // false-positive rate is at most 0.041 (6 against 6: P(p <= 0.05) = 38/924).
  for (const rounds of [defaultRounds(), 10]) {
    const same = saysSame(trialVerdicts(27_000 + rounds, 1000, rounds, 1, 0.1));
    t.log(`${rounds} rounds: "~" in ${same} of 1000`);
    t.true(same >= 950, `${rounds} rounds: ${same}`);
  }
  // With heavy ties the tie-corrected normal approximation holds alpha on average (0.049 over
  // 20,000 trials) rather than below it, so 1000 trials may fall either side of 950: the bound
  // is alpha plus three binomial standard deviations (sqrt(1000 * 0.05 * 0.95) = 6.9).
  const tied = saysSame(trialVerdicts(27_020, 1000, 20, 1, 0.1, 5000));
  t.log(`20 rounds, values on a grid of a third of the spread: "~" in ${tied} of 1000`);
  t.true(tied >= 1000 - 50 - 21, `${tied}`);
});

test('clearly different distributions (30% apart, 5% noise): significant in every one of 1000 trials', (t) => {
  const verdicts = trialVerdicts(27_001, 1000, defaultRounds(), 1.3, 0.05);
  t.true(verdicts.every((verdict) => verdict.direction === 'faster'));
  const covered = verdicts.filter((verdict) => verdict.interval!.low <= 1.3 && 1.3 <= verdict.interval!.high).length;
  t.log(`the 95% ratio interval holds the true 1.3 in ${covered} of 1000`);
  t.true(covered >= 950, `${covered}`);
  const slower = trialVerdicts(27_002, 1000, defaultRounds(), 1 / 1.3, 0.05);
  t.true(slower.every((verdict) => verdict.direction === 'slower'));
  const [higher, lower] = [
    [130, 131, 129, 133, 128, 132],
    [100, 101, 99, 102, 98, 103],
  ];
  t.is(compareSamples(higher, lower, { higherIsBetter: false }).direction, 'slower');
});

test('median intervals from 6 rounds hold the true median in at least 95% of 1000 trials', (t) => {
  const random = seededRandom(27_003);
  let covered = 0;
  for (let trial = 0; trial < 1000; trial++) {
    const interval = summarize(logNormal(random, defaultRounds(), 150_000, 0.2)).interval!;
    if (interval.low <= 150_000 && 150_000 <= interval.high) covered++;
  }
  t.log(`covered in ${covered} of 1000 (nominal 1 - 2/64 = 96.9%)`);
  t.true(covered >= 950, `${covered}`);
});

test('too few rounds for an interval are said, with how many are needed (benchstat: need >= 6 at 95%)', (t) => {
  t.is(defaultRounds(), 6);
  t.is(samplesForMedianInterval(0.99), 8);
  const five = summarize([5, 1, 4, 2, 3]);
  t.deepEqual(five, { n: 5, median: 3, confidence: 0.95, range: { low: 1, high: 5 }, samplesNeeded: 6 });
  t.deepEqual(summarize([6, 5, 1, 4, 2, 3]).interval, { low: 1, high: 6 });
  const tooFew = ratioOfMedians([10, 11, 12], [20, 21, 22]);
  t.is(tooFew.interval, undefined);
  t.is(formatVerdict(compareSamples([10, 11, 12], [20, 21, 22])), '~ (p=0.10)');
});

test('verdict text: "1.80x [1.53-2.18] faster", "~ (p=0.42)"', (t) => {
  const [fast, slow] = [
    [20, 21, 22, 23, 24, 25],
    [10, 11, 12, 13, 14, 15],
  ];
  t.is(formatVerdict(compareSamples(fast, slow)), '1.80x [1.53-2.18] faster');
  t.is(formatVerdict(compareSamples(slow, fast)), '0.56x [0.46-0.65] slower');
  t.regex(formatVerdict(compareSamples([10, 12, 14, 16, 18, 20], [11, 13, 15, 17, 19, 21])), /^~ \(p=0\.\d\d\)$/);
  t.is(formatVerdict(compareSamples(fast, slow, { alpha: 0.001 })), '~ (p=0.0022)');
});

test('a ranking orders only cells that differ significantly, not by transitivity', (t) => {
  const spaced = (start: number) => Array.from({ length: 6 }, (_, i) => start + 2 * i);
  const clear = rankCells([
    { key: 'slow', samples: spaced(100) },
    { key: 'fast-a', samples: spaced(200) },
    { key: 'fast-b', samples: spaced(201) },
  ]);
  t.deepEqual(
    clear.map(({ key, rank }) => `${rank} ${key}`),
    ['1 fast-b', '1 fast-a', '2 slow'],
  );
  // top beats bottom (p=0.013), middle is within reach of both (p=0.13): one group, though the medians differ.
  const [bottom, middle, top] = [spaced(100), spaced(104), spaced(108)];
  t.is(compareSamples(top, bottom).direction, 'faster');
  t.is(compareSamples(top, middle).direction, undefined);
  t.is(compareSamples(middle, bottom).direction, undefined);
  const chain = rankCells([
    { key: 'bottom', samples: bottom },
    { key: 'middle', samples: middle },
    { key: 'top', samples: top },
  ]);
  t.deepEqual(
    chain.map(({ key, rank }) => `${rank} ${key}`),
    ['1 top', '1 middle', '1 bottom'],
  );
  const latencies = rankCells([{ key: 'high', samples: spaced(200) }, { key: 'low', samples: spaced(100) }], {
    higherIsBetter: false,
  });
  t.deepEqual(latencies, [
    { key: 'low', rank: 1 },
    { key: 'high', rank: 2 },
  ]);
});

test('round orders: a permutation per round, the same for the same seed, another for another seed', (t) => {
  const cells = ['a', 'b', 'c', 'd', 'e', 'f'];
  const rounds = shuffledRounds(cells, 6, 12345);
  t.deepEqual(rounds, shuffledRounds(cells, 6, 12345));
  t.notDeepEqual(rounds, shuffledRounds(cells, 6, 12346));
  for (const round of rounds) t.deepEqual([...round].sort(), cells);
  t.true(new Set(rounds.map((round) => round.join(''))).size > 1, 'rounds differ from one another');
});

test('samples must be finite, non-empty, and positive for a ratio', (t) => {
  t.throws(() => mannWhitneyU([1, NaN], [2]), { instanceOf: RangeError });
  t.throws(() => summarize([]), { instanceOf: RangeError });
  t.throws(() => ratioOfMedians([1, 0], [1, 2]), { instanceOf: RangeError });
});
