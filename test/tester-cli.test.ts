/**
 * The tester's command line: both spellings (`tester web ...`, the reference's
 * `tester --counter-type web ...`), bad input (exit 2, one line on stderr, no stack), an
 * unreachable server (exit 3), help, and the reference's result block on stdout.
 * Runs that need a server use the faulty server's correct mode: cheap, no native addon.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import {
  describeRun,
  type FaultyServer,
  matchReferenceBlock,
  parseJsonOutput,
  runTester,
  startFaultyServer,
  stderrLines,
  TESTER_MAIN,
  type TesterRun,
} from './helpers/run-tester.js';

/** This file's ports: 18600-18609. */
const OK_PORT = 18600;
/** Nothing listens here. */
const DEAD = ['--counter-host', '127.0.0.1', '--counter-port', '1'];

let server: FaultyServer | undefined;
test.before(async () => {
  server = await startFaultyServer('ok', OK_PORT);
});
test.after.always(async () => {
  await server?.stop();
});
const TARGET = ['--counter-host', '127.0.0.1', '--counter-port', String(OK_PORT)];

const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

/** An expected failure: the exit code, one line on stderr saying `message`, nothing on stdout, no stack. */
function assertOneLineFailure(t: ExecutionContext, run: TesterRun, code: number, message: RegExp): void {
  const why = describeRun(run);
  t.is(run.code, code, why);
  const lines = stderrLines(run);
  t.is(lines.length, 1, `exactly one line on stderr\n${why}`);
  t.regex(lines[0] ?? '', /^tester: /, why);
  t.regex(lines[0] ?? '', message, why);
  t.notRegex(run.stderr, /^\s+at /m, `no stack trace\n${why}`);
  t.is(run.stdout, '', `nothing on stdout\n${why}`);
}

// ---------------------------------------------------------------------------------------
// Both spellings against a live (correct) server; serial: the runs share its counter

test.serial('`tester web ...` runs and prints the reference block first', async (t) => {
  const run = await runTester(['web', '--n-clients', '3', '--n-calls-per-client', '20', ...TARGET]);
  t.is(run.code, 0, describeRun(run));
  const block = matchReferenceBlock(run.stdout);
  t.like(block, { clientCount: 3, callsPerClient: '20', totalCalls: 60, finalCount: '60' });
  t.regex(run.stdout, /^Verdict: {21}PASS: exact: 60 of 60 increments counted, no duplicates, real-time order kept$/m);
  t.true(run.stdout.endsWith('\n'));
});

test.serial('the reference form `tester --counter-type web ...` runs the same way', async (t) => {
  const run = await runTester(['--counter-type', 'web', '--n-clients', '3', '--n-calls-per-client', '20', ...TARGET]);
  t.is(run.code, 0, describeRun(run));
  t.like(matchReferenceBlock(run.stdout), { clientCount: 3, callsPerClient: '20', totalCalls: 60, finalCount: '60' });
});

test.serial('the subcommand accepts a --counter-type that agrees with it', async (t) => {
  const run = await runTester([
    'web',
    '--counter-type',
    'web',
    '--n-clients',
    '2',
    '--n-calls-per-client',
    '5',
    '--json',
    ...TARGET,
  ]);
  t.is(run.code, 0, describeRun(run));
  t.like(parseJsonOutput(run), { counter: 'web', totalCalls: 10, passed: true });
});

for (const value of ['True', 'False', 'true', 'false', '1', '0']) {
  test.serial(`--do-retries ${value} is accepted`, async (t) => {
    const run = await runTester([
      '--counter-type',
      'web',
      '--n-clients',
      '1',
      '--n-calls-per-client',
      '5',
      '--do-retries',
      value,
      '--json',
      ...TARGET,
    ]);
    t.is(run.code, 0, describeRun(run));
    t.like(parseJsonOutput(run), { totalCalls: 5, passed: true });
  });
}

// ---------------------------------------------------------------------------------------
// Bad input: exit 2, one line

const USAGE_ERRORS: Array<{ title: string; args: string[]; message: RegExp }> = [
  { title: 'missing --n-clients', args: ['web', ...DEAD], message: /--n-clients/ },
  { title: 'missing --n-clients (reference form)', args: ['--counter-type', 'web', ...DEAD], message: /--n-clients/ },
  { title: '--n-clients with no value', args: ['web', '--n-clients'], message: /--n-clients/ },
  { title: '--n-clients 0', args: ['web', '--n-clients', '0', ...DEAD], message: /--n-clients/ },
  { title: '--n-clients abc', args: ['web', '--n-clients', 'abc', ...DEAD], message: /--n-clients/ },
  { title: '--n-clients 1.5', args: ['web', '--n-clients', '1.5', ...DEAD], message: /--n-clients/ },
  {
    title: '--n-calls-per-client 0',
    args: ['web', '--n-clients', '2', '--n-calls-per-client', '0', ...DEAD],
    message: /--n-calls-per-client/,
  },
  { title: 'an unknown flag', args: ['web', '--n-clients', '2', '--bogus', ...DEAD], message: /--bogus/ },
  // pg-native's addon does not load in a worker thread: refused before anything starts, not a crash there.
  {
    title: 'postgresql --client-threads 2',
    args: ['postgresql', '--n-clients', '4', '--client-threads', '2'],
    message: /^tester: --client-threads 2: PostgreSQL's clients cannot run on worker threads/,
  },
  {
    title: 'compare --suite postgresql --client-threads 2',
    args: ['compare', '--suite', 'postgresql', '--client-threads', '2'],
    message: /^tester: --client-threads 2: PostgreSQL's clients cannot run on worker threads/,
  },
  { title: 'an extra positional argument', args: ['web', 'extra', '--n-clients', '2', ...DEAD], message: /extra/ },
  {
    title: '--counter-type nope',
    args: ['--counter-type', 'nope', '--n-clients', '2', ...DEAD],
    message: /--counter-type nope/,
  },
  { title: 'no counter type at all', args: ['--n-clients', '2', ...DEAD], message: /--counter-type/ },
  {
    title: '--counter-type contradicting the subcommand',
    args: ['web', '--counter-type', 'postgresql', '--n-clients', '2', ...DEAD],
    message: /contradicts/,
  },
  {
    title: '--do-retries maybe',
    args: ['web', '--n-clients', '2', '--do-retries', 'maybe', ...DEAD],
    message: /--do-retries maybe/,
  },
  {
    title: '--do-retries maybe (reference form, postgresql)',
    args: ['--counter-type', 'postgresql', '--n-clients', '2', '--do-retries', 'maybe'],
    message: /--do-retries maybe/,
  },
  {
    title: '--method unknown for postgresql',
    args: ['postgresql', '--n-clients', '2', '--method', 'nope'],
    message: /--method nope/,
  },
  {
    title: '--method unknown for postgresql (reference form)',
    args: ['--counter-type', 'postgresql', '--n-clients', '2', '--method', 'nope'],
    message: /--method nope/,
  },
  { title: '--method for web', args: ['web', '--n-clients', '2', '--method', 'atomic', ...DEAD], message: /--method/ },
  { title: '--duration 3x', args: ['web', '--n-clients', '2', '--duration', '3x', ...DEAD], message: /--duration 3x/ },
  { title: '--warmup soon', args: ['web', '--n-clients', '2', '--warmup', 'soon', ...DEAD], message: /--warmup soon/ },
  {
    title: '--duration within the first --nemesis-interval',
    args: ['web', '--n-clients', '2', '--duration', '5s', '--nemesis', 'kill-worker', ...DEAD],
    message: /^tester: --duration 5s ends before the first fault, which comes one --nemesis-interval \(5s\) in/,
  },
  { title: '--rate 0', args: ['web', '--n-clients', '2', '--rate', '0', ...DEAD], message: /--rate/ },
  {
    title: '--client-threads 65',
    args: ['web', '--n-clients', '2', '--client-threads', '65', ...DEAD],
    message: /--client-threads/,
  },
  {
    // One meaning per alias: --workers is compare's old name of --server-workers, never client threads.
    title: '--workers on a load command',
    args: ['web', '--n-clients', '2', '--workers', '2', ...DEAD],
    message: /Unsupported option name \("--workers"\)/,
  },
  {
    title: 'compare --workers with --server-workers',
    args: ['compare', '--workers', '2', '--server-workers', '2'],
    message: /--workers is the old name of --server-workers: give only --server-workers/,
  },
  {
    title: '--counter-port 70000',
    args: ['web', '--n-clients', '2', '--counter-host', '127.0.0.1', '--counter-port', '70000'],
    message: /--counter-port 70000/,
  },
  {
    title: '--counter-port abc',
    args: ['web', '--n-clients', '2', '--counter-host', '127.0.0.1', '--counter-port', 'abc'],
    message: /--counter-port abc/,
  },  ...[
    ['0/3', /^tester: --segment 0\/3 is invalid: use i\/n/],
    ['4/3', /^tester: --segment 4\/3 is invalid: use i\/n/],
    ['1/0', /^tester: --segment 1\/0 is invalid: use i\/n/],
    ['half', /^tester: --segment half is invalid: use i\/n/],
    ['1/3', /^tester: --segment 1\/3: 3 segments need at least 3 clients, not --n-clients 2/],
  ].map(([segment, message]) => ({
    title: `--segment ${segment as string}`,
    args: ['web', '--n-clients', '2', '--segment', segment as string, '--start-at', String(Date.now() + 60_000), ...DEAD],
    message: message as RegExp,
  })),
  ...[
    ['2020-01-01T00:00:00Z', /^tester: --start-at 2020-01-01T00:00:00Z is [\d.]+ s in the past: give a time to come/],
    ['tomorrow', /^tester: --start-at tomorrow is not a time: use ISO 8601 with a zone/],
    ['2030-01-01T00:00:00', /^tester: --start-at 2030-01-01T00:00:00 is not a time/],
    [String(Date.now() + 48 * 3600_000), /^tester: --start-at \d+ is more than 24 h away/],
  ].map(([startAt, message]) => ({
    title: `--start-at ${startAt as string}`,
    args: ['web', '--n-clients', '2', '--segment', '1/2', '--start-at', startAt as string, ...DEAD],
    message: message as RegExp,
  })),
  {
    title: '--segment 2/2 without --start-at',
    args: ['web', '--n-clients', '2', '--segment', '2/2', ...DEAD],
    message: /^tester: --segment 2\/2 needs --start-at: every segment starts then, after segment 1 has reset the counter/,
  },
  {
    title: '--start-at without --segment',
    args: ['web', '--n-clients', '2', '--start-at', String(Date.now() + 60_000), ...DEAD],
    message: /^tester: --start-at starts the segments of a run together: give --segment too/,
  },
  {
    title: '--segment with --warmup and --rounds',
    args: ['web', '--n-clients', '2', '--segment', '1/1', '--warmup', '1s', '--rounds', '2', ...DEAD],
    message: /^tester: --segment runs one plain share of a run: leave out --rounds, --warmup/,
  },
];

/** Every numeric flag says its rule in the same words, negative values included. */
const NUMBER_ERRORS: Array<{ args: string[]; message: string }> = [
  { args: ['web', '--n-clients', '-3'], message: '--n-clients must be a whole number ≥ 1 (got -3)' },
  { args: ['web', '--n-clients', '2.5'], message: '--n-clients must be a whole number ≥ 1 (got 2.5)' },
  { args: ['web', '--n-clients', '200000'], message: '--n-clients must be a whole number ≤ 100000 (got 200000)' },
  {
    args: ['web', '--n-clients', '2', '--n-calls-per-client', '-1'],
    message: '--n-calls-per-client must be a whole number ≥ 1 (got -1)',
  },
  {
    args: ['web', '--n-clients', '2', '--client-threads', '-1'],
    message: '--client-threads must be a whole number ≥ 0 (got -1)',
  },
  { args: ['compare', '--server-workers', '0'], message: '--server-workers must be a whole number ≥ 1 (got 0)' },
  {
    args: ['web', '--n-clients', '2', '--timeout-ms', 'x'],
    message: '--timeout-ms must be a whole number ≥ 1 (got x)',
  },
  { args: ['web', '--n-clients', '2', '--rate', '-100'], message: '--rate must be a whole number ≥ 1 (got -100)' },
  { args: ['compare', '--calls', '-5'], message: '--calls must be a whole number ≥ 1 (got -5)' },
];

for (const { args, message } of NUMBER_ERRORS) {
  test(`usage error: ${args.slice(-2).join(' ')} -> "${message}"`, async (t) => {
    const escaped = message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const run = await runTester(args[0] === 'web' ? [...args, ...DEAD] : args);
    assertOneLineFailure(t, run, 2, new RegExp(`^tester: ${escaped} \\(see npx tester --help\\)$`));
  });
}

for (const { word, suggestion } of [
  { word: 'wbe', suggestion: ' (did you mean web?)' },
  { word: 'postgres', suggestion: ' (did you mean postgresql?)' },
  { word: 'frobnicate', suggestion: '' },
]) {
  test(`\`tester ${word}\` names the commands${suggestion ? ' and the nearest one' : ''}`, async (t) => {
    const run = await runTester([word, '--n-clients', '2', ...DEAD]);
    assertOneLineFailure(t, run, 2, /./);
    t.is(
      stderrLines(run)[0],
      `tester: unknown command ${word}; commands: web, postgresql, hazelcast, compare, check, merge, heal${suggestion}`,
    );
  });
}

for (const { title, args, message } of USAGE_ERRORS) {
  test(`usage error: ${title} -> exit 2, one line`, async (t) => {
    assertOneLineFailure(t, await runTester(args), 2, message);
  });
}

test('the missing-option message names the option, not "Command not found"', async (t) => {
  const run = await runTester(['web', ...DEAD]);
  t.notRegex(run.stderr, /Command not found|did you mean/, describeRun(run));
});

// ---------------------------------------------------------------------------------------
// Unreachable server: exit 3, one line

test('an unreachable server -> exit 3 with one line naming host and port', async (t) => {
  const run = await runTester(['web', '--n-clients', '2', ...DEAD]);
  assertOneLineFailure(t, run, 3, /127\.0\.0\.1:1\b.*(ECONNREFUSED|refused)/);
});

test('an unreachable server in the reference form, with worker threads -> exit 3, one line', async (t) => {
  const run = await runTester([
    '--counter-type',
    'web',
    '--n-clients',
    '4',
    '--client-threads',
    '2',
    '--json',
    ...DEAD,
  ]);
  assertOneLineFailure(t, run, 3, /127\.0\.0\.1:1\b/);
});

// ---------------------------------------------------------------------------------------
// Help and version

for (const flag of ['--help', '-h']) {
  test(`\`tester ${flag}\` exits 0 and shows the reference form's examples`, async (t) => {
    const run = await runTester([flag]);
    t.is(run.code, 0, describeRun(run));
    t.is(run.stderr, '', describeRun(run));
    const text = stripAnsi(run.stdout);
    t.regex(text, /Examples/);
    t.regex(text, /\$ npx tester --counter-type web --n-clients/);
  });

  test(`\`tester ${flag}\` tells that the subcommands exist`, async (t) => {
    const text = stripAnsi((await runTester([flag])).stdout);
    for (const command of ['web', 'postgresql', 'hazelcast'])
      t.regex(text, new RegExp(`tester\\s+${command}\\b`), command);
  });
}

/** Each command's own help, reached the ways a user would try. */
const HELP: Array<{ args: string[]; example: RegExp }> = [
  { args: ['web', '--help'], example: /\$ npx tester web --n-clients/ },
  { args: ['web', '-h'], example: /\$ npx tester web --n-clients/ },
  { args: ['postgresql', '--help'], example: /\$ npx tester postgresql --n-clients .*--method/ },
  { args: ['hazelcast', '--help'], example: /\$ npx tester hazelcast --n-clients .*--method/ },
  { args: ['--counter-type', 'web', '--help'], example: /\$ npx tester --counter-type web/ },
  { args: ['web', '--n-clients', '3', '--help'], example: /\$ npx tester web --n-clients/ },
];

for (const { args, example } of HELP) {
  test(`\`tester ${args.join(' ')}\` exits 0 and shows examples`, async (t) => {
    const run = await runTester(args);
    t.is(run.code, 0, describeRun(run));
    t.is(run.stderr, '', describeRun(run));
    const text = stripAnsi(run.stdout);
    t.regex(text, /Examples/);
    t.regex(text, example);
    t.regex(text, /--n-clients/, 'the options are listed');
  });
}

test('--help into a pipe has no colour codes', async (t) => {
  const run = await runTester(['web', '--help'], { env: { FORCE_COLOR: '' } });
  t.regex(run.stdout, /Examples/);
  t.notRegex(run.stdout, /\x1b\[/);
});

/** Runs `tester web --help` on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function helpOnTerminal(env: Record<string, string>): Promise<string> {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(TESTER_MAIN)} web --help`;
  const base: Record<string, string | undefined> = {
    ...process.env,
    TERM: 'xterm-256color',
    CI: undefined,
    NO_COLOR: undefined,
  };
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', command, '/dev/null'], { env: { ...base, ...env } }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

test('--help on a terminal is coloured, unless NO_COLOR is set', async (t) => {
  t.regex(await helpOnTerminal({}), /\x1b\[/);
  const plain = await helpOnTerminal({ NO_COLOR: '1' });
  t.regex(plain, /Examples/);
  t.notRegex(plain, /\x1b\[/);
});

for (const flag of ['--version', '-v']) {
  test(`\`tester ${flag}\` prints the version`, async (t) => {
    const run = await runTester([flag]);
    t.is(run.code, 0, describeRun(run));
    t.is(run.stdout.trim(), '0.1.0');
    t.is(run.stderr, '', describeRun(run));
  });
}

test("a reader that stops early (| head) gets no stack trace, and the verdict's exit code stands", async (t) => {
  for (const [file, code] of [['correct.jsonl', 0], ['lost-update.jsonl', 1]] as const) {
    const histories = path.join(path.dirname(TESTER_MAIN), '../../test/histories');
    const child = spawn(process.execPath, [TESTER_MAIN, 'check', path.join(histories, file)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the pipe's reader is gone before the first line
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exit = await new Promise((resolve) => child.on('close', resolve));
    t.is(exit, code, stderr);
    t.notRegex(stderr, /EPIPE|\n\s+at /, file);
  }
});
