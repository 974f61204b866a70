/**
 * README's sample output cannot drift: each block marked <!-- output of `npx tester ARGS` -->
 * is compared, line by line with numbers blanked, to what that command prints against our
 * server. The Caution line is left out on both sides: whether the loader or the host limited a run
 * depends on the host's load at that moment. UPDATE_README=1 writes the real output into README.md
 * instead of failing.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../tester/harness/free-port.js';
import { CAUTION_LABEL } from '../tester/output/result-text.js';
import { describeRun, runTester } from './helpers/run-tester.js';
import { ROOT, startServer } from './helpers/server-process.js';

const README_PATH = path.join(ROOT, 'README.md');
const SAMPLE = /<!-- output of `npx tester ([^`]+)` -->\n```\n([\s\S]*?)\n```/g;

/** A line's shape: what stays when every number is blanked. */
const shapeOf = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => !line.startsWith(CAUTION_LABEL))
    .map((line) => line.replace(/\d+(?:\.\d+)?/g, '#'));

const samples = [...fs.readFileSync(README_PATH, 'utf8').matchAll(SAMPLE)].map((match) => ({
  args: match[1],
  block: match[2],
}));

test('README has sample output blocks to check', (t) => {
  t.true(samples.length > 0);
});

for (const { args, block } of samples) {
  test.serial(`README's output of \`npx tester ${args}\` has the real output's lines`, async (t) => {
    const port = await freePort();
    const server = await startServer({ PORT: String(port), WORKERS: '1' });
    let stdout: string;
    try {
      const run = await runTester([...args.split(' '), '--counter-host', '127.0.0.1', '--counter-port', String(port)]);
      t.is(run.code, 0, describeRun(run));
      stdout = run.stdout.trimEnd();
    } finally {
      await server.stop();
    }
    if (process.env.UPDATE_README) {
      const readme = fs.readFileSync(README_PATH, 'utf8');
      fs.writeFileSync(
        README_PATH,
        readme.replace(
          `\`npx tester ${args}\` -->\n\`\`\`\n${block}\n`,
          `\`npx tester ${args}\` -->\n\`\`\`\n${stdout}\n`,
        ),
      );
    }
    t.deepEqual(
      shapeOf(block),
      shapeOf(stdout),
      'README block (left) vs real output (right): run with UPDATE_README=1 to refresh',
    );
  });
}
