/**
 * Real HTTP clients against the server, as users will point them at it: curl (HTTP/1.1 on the
 * server's port, HTTP/1.0 on the HTTP/1.0 front), ab (through the front, as README says), wrk,
 * autocannon, hey and Python requests. Every answer is checked where the tool shows it, and the
 * final count must equal the increments the tool made. Tools come from scripts/test-tools.sh
 * (npm test's pretest). Ports 19400-19449, fronts 19450-19499.
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toolPath } from './helpers/client-tools.js';
import { countOf } from './helpers/http-probes.js';
import { run } from './helpers/processes.js';
import { ROOT, startServer } from './helpers/server-process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-http-clients-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

let nextPort = 19400;
/** Increments per load tool: enough to run every connection many times, few enough to stay quick. */
const LOAD_COUNT = 2000;
const CONNECTIONS = 10;

interface Urls {
  port: number;
  /** The server's own (uWebSockets.js) port. */
  server: string;
  /** The HTTP/1.0 front's port. */
  front: string;
}

/** A two-worker server with its HTTP/1.0 front, for one test. */
async function withServer(work: (urls: Urls) => Promise<void>): Promise<void> {
  const port = nextPort++;
  const frontPort = port + 50;
  const env = { PORT: String(port), HTTP10_PORT: String(frontPort), WORKERS: '2', SHM_INCREMENT: 'atomic' };
  const server = await startServer(env);
  try {
    await work({ port, server: `http://127.0.0.1:${port}`, front: `http://127.0.0.1:${frontPort}` });
  } finally {
    await server.stop();
  }
}

async function runTool(t: ExecutionContext, command: string, args: string[]): Promise<string> {
  const result = await run(command, args, 120_000);
  t.is(result.code, 0, `${path.basename(command)} exited ${result.code}: ${result.stderr.slice(0, 500)}`);
  return result.stdout;
}

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** curl's output for each transfer: the body, then "status version connects-made seconds". */
const CURL_WRITE_OUT = '\n%{http_code} %{http_version} %{num_connects} %{time_total}\n';

interface CurlTransfer {
  count: number | undefined;
  status: number;
  version: string;
  connects: number;
  seconds: number;
}

function curlTransfers(stdout: string): CurlTransfer[] {
  const transfers: CurlTransfer[] = [];
  for (const match of stdout.matchAll(/^(.*)\n(\d{3}) (\S+) (\d+) ([\d.]+)$/gm)) {
    const body = /^\{"count":(\d+)\}$/.exec(match[1]);
    transfers.push({
      count: body ? Number(body[1]) : undefined,
      status: Number(match[2]),
      version: match[3],
      connects: Number(match[4]),
      seconds: Number(match[5]),
    });
  }
  return transfers;
}

test.serial('curl over HTTP/1.1: 300 increments on one connection, each 200 with the next count', async (t) => {
  const curl = toolPath('curl');
  await withServer(async ({ port, server }) => {
    const urls = Array<string>(300).fill(`${server}/inc`);
    const stdout = await runTool(t, curl, ['--http1.1', '-sS', '-X', 'POST', '-w', CURL_WRITE_OUT, ...urls]);
    const transfers = curlTransfers(stdout);
    t.deepEqual([...new Set(transfers.map((x) => `${x.status} HTTP/${x.version}`))], ['200 HTTP/1.1']);
    t.deepEqual(transfers.map((x) => x.count), oneTo(300));
    t.is(transfers.reduce((sum, x) => sum + x.connects, 0), 1, 'one connection served all 300');
    t.is(await countOf(port), 300);
  });
});

test.serial('curl over HTTP/1.0 on the front: 100 increments, each within 1 s with the next count', async (t) => {
  const curl = toolPath('curl');
  await withServer(async ({ port, front }) => {
    const urls = Array<string>(100).fill(`${front}/inc`);
    const stdout = await runTool(t, curl, ['--http1.0', '-sS', '-m', '2', '-X', 'POST', '-w', CURL_WRITE_OUT, ...urls]);
    const transfers = curlTransfers(stdout);
    t.deepEqual([...new Set(transfers.map((x) => x.status))], [200]);
    t.deepEqual(transfers.map((x) => x.count), oneTo(100));
    t.true(transfers.every((x) => x.seconds < 1), `slowest: ${Math.max(...transfers.map((x) => x.seconds))} s`);
    t.is(await countOf(port), 100);
  });
});

test.serial(`ab (HTTP/1.0) on the front: ${LOAD_COUNT} increments, half with -k, none failed or non-2xx`, async (t) => {
  const ab = toolPath('ab');
  await withServer(async ({ port, front }) => {
    const half = String(LOAD_COUNT / 2);
    // -l: the body's length changes with the count's digits, which ab would call a failure.
    const args = ['-n', half, '-c', String(CONNECTIONS), '-m', 'POST', '-l', `${front}/inc`];
    for (const extra of [[], ['-k']]) {
      const report = await runTool(t, ab, [...extra, ...args]);
      t.regex(report, new RegExp(`^Complete requests:\\s+${half}$`, 'm'), report);
      t.regex(report, /^Failed requests:\s+0$/m, report);
      t.notRegex(report, /Non-2xx responses/, report);
      if (extra.length) t.regex(report, new RegExp(`^Keep-Alive requests:\\s+${half}$`, 'm'), report);
    }
    t.is(await countOf(port), LOAD_COUNT);
  });
});

/** Stops after `limit` answers, checks each one, and prints the totals in one line. */
const WRK_SCRIPT = `
wrk.method = "POST"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) answered = 0; bad = 0; limit = tonumber(args[1]) end
function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 or not string.match(body, '^{"count":%d+}$') then bad = bad + 1 end
  if answered >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d bad=%d connect=%d read=%d write=%d status=%d timeout=%d\\n",
    summary.requests, bad, e.connect, e.read, e.write, e.status, e.timeout))
end
`;

test.serial(`wrk: ${LOAD_COUNT} increments, each a 200 count, no socket error; the count matches`, async (t) => {
  const wrk = toolPath('wrk');
  const script = path.join(tmp, 'inc.lua');
  fs.writeFileSync(script, WRK_SCRIPT);
  await withServer(async ({ port, server }) => {
    // wrk runs for its whole -d duration even once its thread stopped: a short one, ample for 2000 answers.
    const args = ['-t1', `-c${CONNECTIONS}`, '-d3s', '-s', script, `${server}/inc`, '--', String(LOAD_COUNT)];
    const stdout = await runTool(t, wrk, args);
    const result = /RESULT requests=(\d+) bad=(\d+) connect=(\d+) read=(\d+) write=(\d+) status=(\d+) timeout=(\d+)/
      .exec(stdout);
    if (!result) return t.fail(`no RESULT line from wrk:\n${stdout}`);
    const [requests, ...problems] = result.slice(1).map(Number);
    t.deepEqual(problems, [0, 0, 0, 0, 0, 0], `bad answers and socket errors: ${result[0]}`);
    t.true(requests >= LOAD_COUNT, result[0]);
    // wrk stops with up to one request per connection in flight, unreported but counted.
    const count = await countOf(port);
    const counted = count !== undefined && count >= requests && count <= requests + CONNECTIONS;
    t.true(counted, `count ${count} for ${result[0]}`);
  });
});

test.serial(`autocannon: ${LOAD_COUNT} increments, all 2xx, no errors or timeouts; the count matches`, async (t) => {
  const cli = path.join(ROOT, 'node_modules/autocannon/autocannon.js');
  await withServer(async ({ port, server }) => {
    const args = [cli, '-m', 'POST', '-c', String(CONNECTIONS), '-a', String(LOAD_COUNT), '-j', `${server}/inc`];
    const report = JSON.parse(await runTool(t, process.execPath, args)) as Record<string, unknown>;
    const { errors, timeouts, non2xx, resets, mismatches } = report;
    const problems = { errors, timeouts, non2xx, resets, mismatches };
    t.deepEqual(problems, { errors: 0, timeouts: 0, non2xx: 0, resets: 0, mismatches: 0 });
    t.is(report['2xx'], LOAD_COUNT);
    t.is(await countOf(port), LOAD_COUNT);
  });
});

test.serial(`hey: ${LOAD_COUNT} increments, all answered 200, no errors; the final count matches`, async (t) => {
  const hey = toolPath('hey');
  await withServer(async ({ port, server }) => {
    const args = ['-n', String(LOAD_COUNT), '-c', String(CONNECTIONS), '-m', 'POST', `${server}/inc`];
    const report = await runTool(t, hey, args);
    const statuses = [...report.matchAll(/^\s+\[(\d{3})\]\s+(\d+) responses$/gm)].map((m) => `${m[1]}: ${m[2]}`);
    t.deepEqual(statuses, [`200: ${LOAD_COUNT}`], report);
    t.notRegex(report, /Error distribution/, report);
    t.is(await countOf(port), LOAD_COUNT);
  });
});

/** One requests.Session: each answer's status and count, then the final count. */
const PYTHON_CLIENT = `
import json, sys, requests
base, n = sys.argv[1], int(sys.argv[2])
session = requests.Session()
answers = [session.post(base + "/inc", timeout=10) for _ in range(n)]
print(json.dumps({
    "statuses": sorted({a.status_code for a in answers}),
    "counts": [a.json().get("count") for a in answers],
    "final": session.get(base + "/count", timeout=10).json()["count"],
}))
`;

test.serial('Python requests: 500 increments on one session, each 200 with the next count', async (t) => {
  const python = toolPath('python');
  await withServer(async ({ port, server }) => {
    const report = JSON.parse(await runTool(t, python, ['-c', PYTHON_CLIENT, server, '500'])) as {
      statuses: number[];
      counts: number[];
      final: number;
    };
    t.deepEqual(report.statuses, [200]);
    t.deepEqual(report.counts, oneTo(500));
    t.is(report.final, 500);
    t.is(await countOf(port), 500);
  });
});
