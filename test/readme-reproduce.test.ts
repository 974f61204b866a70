/**
 * The documents (docs/reliability.md) give one command to reproduce the fault and bad-input figures. It names
 * faults.test.js, which stops and starts the project's PostgreSQL, beside files that use that
 * PostgreSQL: ava runs files concurrently by default, so the command must run them one at a time
 * (--concurrency 1, as `npm test` runs the fault files), and every file it names must exist.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { allDocs } from './helpers/docs.js';
import { ROOT } from './helpers/server-process.js';

const README = allDocs();

/** The words of the `npx ava ...` part of README's "Reproduce:" command. */
function reproduceAvaArgs(): string[] {
  const command = /^Reproduce: `([^`]+)`/m.exec(README)?.[1];
  if (!command) throw new Error('README has no "Reproduce: `...`" line');
  const ava = command.split('&&').map((part) => part.trim()).find((part) => part.startsWith('npx ava '));
  if (!ava) throw new Error(`the Reproduce command runs no npx ava: ${command}`);
  return ava.split(/\s+/).slice(2);
}

test("README's Reproduce command runs its files one at a time, the fault file among them", (t) => {
  const args = reproduceAvaArgs();
  const files = args.filter((arg) => arg.endsWith('.test.js'));
  t.true(files.includes('dist/test/faults.test.js'), args.join(' '));
  t.true(files.length > 1, 'beside other files');
  const concurrency = args.indexOf('--concurrency');
  t.true(concurrency >= 0 && args[concurrency + 1] === '1', `--concurrency 1 in: ${args.join(' ')}`);
  for (const file of files) {
    const source = file.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    t.true(fs.existsSync(path.join(ROOT, source)), `${file} is built from ${source}`);
  }
});

test('npm test runs the fault files one at a time too', (t) => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  t.regex(scripts.test, /ava --concurrency 1 dist\/test\/faults\.test\.js/);
});
