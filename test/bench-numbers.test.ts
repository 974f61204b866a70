/**
 * README's benchmark figures and bench/RESULTS.md are renderings of the committed
 * bench/results.json: a hand-edited figure, or results committed without rendering, fail here.
 * Fix with `npm run build && npm run bench:render`.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { currentReadmeBlock, renderReadmeBlock } from '../bench/readme-block.js';
import { type BenchResults, renderMarkdown } from '../bench/report.js';
import { ROOT } from './helpers/server-process.js';

const results = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results.json'), 'utf8')) as BenchResults;
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test("README's benchmark block is the committed results, rendered", (t) => {
  t.is(currentReadmeBlock(readme), renderReadmeBlock(results), 'run npm run bench:render');
});

test('bench/RESULTS.md is the committed results, rendered', (t) => {
  t.is(
    fs.readFileSync(path.join(ROOT, 'bench/RESULTS.md'), 'utf8'),
    renderMarkdown(results),
    'run npm run bench:render',
  );
});

test("README's Benchmarks section quotes no figure outside the generated block", (t) => {
  const section = readme.slice(readme.indexOf('## Benchmarks'), readme.indexOf('## Reliability'));
  const block = currentReadmeBlock(section) ?? '';
  const prose = section.replace(block, '');
  // Speeds, latencies and ratios; a target ("1.5x autocannon" as a goal) is allowed when it says so.
  const figures = prose.match(/\d[\d,.]*\s?(?:µs|ms|k\b|rps)|\b\d+\.\d+x\b/g) ?? [];
  t.deepEqual(figures, ['1.5x'], 'only the autocannon target is quoted in prose');
});

test('methods that promise nothing read "as designed" in the check column, not "pass"', (t) => {
  const markdown = renderMarkdown(results);
  for (const method of ['lost_update', 'no_lock']) {
    t.regex(
      markdown,
      new RegExp(`\\| ${method} \\| tester \\| 10 \\| .* \\| as designed \\(method promises nothing\\) \\|`),
    );
  }
  t.regex(markdown, /\| inplace_update \| tester \| 10 \| .* \| pass \|/);
});

test('results without the machine\'s figures render "not recorded", never "undefined"', (t) => {
  const block = renderReadmeBlock({ ...results, environment: {} });
  t.notRegex(block, /undefined/);
  t.regex(block, /CPUs not recorded, Node not recorded, PostgreSQL not measured;/);
});
