/**
 * The documents' sample output cannot drift: each block (README.md, docs/*.md) marked <!-- output of `npx tester ARGS` -->
 * is compared, line by line with numbers blanked, to what that command prints against our
 * server. The Caution line is left out on both sides: whether the loader or the host limited a run
 * depends on the host's load at that moment. UPDATE_README=1 writes the real output into the
 * document instead of failing.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { CAUTION_LABEL } from '../tester/output/result-text.js';
import { describeRun, runTester } from './helpers/run-tester.js';
import { DOC_FILES, readDoc } from './helpers/docs.js';
import { onFreePort, ROOT, startServer } from './helpers/server-process.js';

const SAMPLE = /<!-- output of `npx tester ([^`]+)` -->\n```\n([\s\S]*?)\n```/g;

/** A line's shape: what stays when every number is blanked. */
const shapeOf = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => !line.startsWith(CAUTION_LABEL))
    .map((line) => line.replace(/\d+(?:\.\d+)?/g, '#'));

const samples = DOC_FILES.flatMap((file) =>
  [...readDoc(file).matchAll(SAMPLE)].map((match) => ({ file, args: match[1], block: match[2] })),
);

test('the documents have sample output blocks to check', (t) => {
  t.true(samples.length > 0);
});

for (const { file, args, block } of samples) {
  test.serial(`${file}'s output of \`npx tester ${args}\` has the real output's lines`, async (t) => {
    const server = await onFreePort((port) => startServer({ PORT: String(port), WORKERS: '1' }));
    let stdout: string;
    try {
      const target = ['--counter-host', '127.0.0.1', '--counter-port', String(server.port)];
      const run = await runTester([...args.split(' '), ...target]);
      t.is(run.code, 0, describeRun(run));
      stdout = run.stdout.trimEnd();
    } finally {
      await server.stop();
    }
    if (process.env.UPDATE_README) {
      const at = path.join(ROOT, file);
      fs.writeFileSync(
        at,
        readDoc(file).replace(
          `\`npx tester ${args}\` -->\n\`\`\`\n${block}\n`,
          `\`npx tester ${args}\` -->\n\`\`\`\n${stdout}\n`,
        ),
      );
    }
    t.deepEqual(
      shapeOf(block),
      shapeOf(stdout),
      `${file} block (left) vs real output (right): run with UPDATE_README=1 to refresh`,
    );
  });
}
