import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './helpers/server-process.js';

const TESTER_MAIN = path.join(ROOT, 'dist/tester/main.js');
/** This file's web server port; server.test.ts uses 18180 and up. */
const PORT = 18700;
const WEB_STORES = ['shared_memory_flock', 'shared_memory_atomic', 'disk', 'postgresql'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runTester(args: string[], timeoutMs = 150_000): Promise<Run> {
  const child = spawn(process.execPath, [TESTER_MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

interface Row {
  suite: string;
  scenario: string;
  clients: number;
  rps: number;
  p99Us: number;
  passed: boolean;
  verdict: string;
  result: { clientCount: number; totalCalls: number; passed: boolean } | null;
}

test('compare --suite web runs every store at every client count and writes JSON, Markdown, SVG and HTML', async (t) => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-test-'));
  t.teardown(() => fs.rmSync(outDir, { recursive: true, force: true }));

  const run = await runTester([
    'compare',
    '--suite',
    'web',
    '--clients',
    '1,2',
    '--calls',
    '300',
    '--port',
    String(PORT),
    '--out',
    outDir,
  ]);
  t.is(run.code, 0, `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`);

  const rows = JSON.parse(fs.readFileSync(path.join(outDir, 'comparison.json'), 'utf8')) as Row[];
  t.is(rows.length, 8);
  t.deepEqual(
    rows.map((row) => `${row.suite} ${row.scenario} ${row.clients}`),
    WEB_STORES.flatMap((store) => [`web ${store} 1`, `web ${store} 2`]),
  );
  for (const row of rows) {
    t.true(row.passed, `${row.scenario} ${row.clients}: ${row.verdict}`);
    t.is(row.verdict, 'PASS');
    t.true(row.rps > 0);
    t.true(row.p99Us > 0);
    t.like(row.result, { clientCount: row.clients, totalCalls: 300 * row.clients, passed: true });
  }

  const markdown = fs.readFileSync(path.join(outDir, 'comparison.md'), 'utf8');
  const lines = markdown.trim().split('\n');
  t.regex(lines[0], /^\| Suite \| Scenario \| Clients \| RPS \| p50 \(us\) \| p99 \(us\) \| Errors \| Verdict \|/);
  t.regex(lines[1], /^\|[-:|]+\|$/);
  t.is(lines.length, 2 + 8);
  for (const line of lines.slice(2)) t.regex(line, /^\| web \| \w+ \| [12] \| \d+ \| \d+ \| \d+ \| 0 \| PASS \|/);

  const svg = fs.readFileSync(path.join(outDir, 'comparison.svg'), 'utf8');
  t.true(svg.startsWith('<svg'), svg.slice(0, 80));
  for (const store of WEB_STORES) t.true(svg.includes(`web ${store}`), `chart names ${store}`);
  // test/report-browser.test.ts opens such a page in chromium.
  const html = fs.readFileSync(path.join(outDir, 'comparison.html'), 'utf8');
  t.true(html.startsWith('<!doctype html>'), html.slice(0, 80));
  for (const store of WEB_STORES) t.true(html.includes(`"scenario":"web ${store}"`), `report lists ${store}`);

  // The table on stdout, progress on stderr.
  t.is(run.stdout, markdown);
  t.regex(run.stderr, /\[1\/8\] web shared_memory_flock 1 client \.\.\. \d+ req\/s PASS/);
  t.regex(run.stderr, /\[8\/8\] web postgresql 2 clients \.\.\. \d+ req\/s PASS/);
});

test('compare with an unknown suite is a usage error on one line', async (t) => {
  const run = await runTester(['compare', '--suite', 'nope'], 30_000);
  t.is(run.code, 2);
  t.is(run.stdout, '');
  const lines = run.stderr.trim().split('\n');
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0], /--suite nope/);
});

test('compare with a bad client list is a usage error', async (t) => {
  const run = await runTester(['compare', '--suite', 'web', '--clients', '1,x'], 30_000);
  t.is(run.code, 2);
  t.regex(run.stderr.trim(), /^tester: --clients 1,x is invalid/);
});
