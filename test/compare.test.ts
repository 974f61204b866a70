import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WEB_STORES } from '../tester/compare/scenarios.js';
import { freePort } from '../tester/harness/free-port.js';
import { runTester } from './helpers/run-tester.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql', 'hazelcast']);

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

const WEB_TITLE = 'compare --suite web runs every store at every client count and writes JSON, Markdown, SVG and HTML';
// WEB_STORES run a PostgreSQL and a Hazelcast server too.
services.need('postgresql', 'hazelcast').test(WEB_TITLE, async (t) => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-test-'));
  t.teardown(() => fs.rmSync(outDir, { recursive: true, force: true }));

  // A port of its own: a fixed one collided with client-errors.test.ts's 18700-18719. It cannot be
  // held for the tester, whose servers bind it exclusively later: one taken meanwhile makes a server
  // refuse to start ("already in use"), and the run is made again on another port.
  let run: Awaited<ReturnType<typeof runTester>>;
  for (let attempt = 1; ; attempt++) {
    const port = String(await freePort());
    const args = ['compare', '--suite', 'web', '--clients', '1,2', '--calls', '300', '--port', port, '--out', outDir];
    run = await runTester(args, { timeoutMs: 150_000 });
    if (attempt === 5 || !/already in use|EADDRINUSE/.test(run.stdout + run.stderr)) break;
  }
  t.is(run.code, 0, `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`);

  const rows = JSON.parse(fs.readFileSync(path.join(outDir, 'comparison.json'), 'utf8')) as Row[];
  const cells = WEB_STORES.length * 2;
  t.is(rows.length, cells);
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
  t.is(lines.length, 2 + cells);
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
  t.regex(run.stderr, new RegExp(`\\[1/${cells}\\] web shared_memory_flock 1 client \\.\\.\\. \\d+ req/s PASS`));
  t.regex(run.stderr, new RegExp(`\\[${cells}/${cells}\\] web hazelcast 2 clients \\.\\.\\. \\d+ req/s PASS`));
});

test('compare with an unknown suite is a usage error on one line', async (t) => {
  const run = await runTester(['compare', '--suite', 'nope'], { timeoutMs: 30_000 });
  t.is(run.code, 2);
  t.is(run.stdout, '');
  const lines = run.stderr.trim().split('\n');
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0], /--suite nope/);
});

test('compare with a bad client list is a usage error', async (t) => {
  const run = await runTester(['compare', '--suite', 'web', '--clients', '1,x'], { timeoutMs: 30_000 });
  t.is(run.code, 2);
  t.regex(run.stderr.trim(), /^tester: --clients 1,x is invalid/);
});
