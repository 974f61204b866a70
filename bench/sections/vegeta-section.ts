/**
 * Open-loop latency: vegeta and `tester web --rate` at the same fixed rates, with the same 50
 * clients, on the same bare uWS counter in the same round. At a rate the server serves easily,
 * both should see the server's own latency; a loader whose pacing runs late charges its own
 * lateness to the server. At an overload rate, both should show the queue.
 */
import path from 'node:path';
import type { LaunchedServer } from '../../tester/harness/server-launcher.js';
import { type Metric, type RatioSpec, rowId, type Tool } from '../measurement.js';
import { BARE_UWS, startServer } from '../servers.js';
import { runTester } from '../tools/tester-cli.js';
import { runVegeta } from '../tools/vegeta.js';
import { runWrk } from '../tools/wrk.js';
import { type BenchContext, missing, type Section } from './section.js';

const TITLE = 'Open-loop latency: tester --rate vs vegeta';
const CLIENTS = 50;
/** The goal's rates, then one far above what this host serves (wrk-best peaks near 160k). */
export const OPEN_LOOP_RATES = [1_000, 10_000, 50_000];
export const OVERLOAD_RATE = 250_000;
const TOOLS: Tool[] = ['vegeta', 'tester'];
const SERVER_WARMUP_S = 1;

export const openLoopSubject = (rate: number) =>
  `${BARE_UWS} at ${rate.toLocaleString('en-US')} req/s${rate === OVERLOAD_RATE ? ' (overload)' : ''}`;

export function vegetaSection(ctx: BenchContext): Section {
  const { recorder } = ctx;
  const { vegeta } = ctx.tools;
  const rates = [...OPEN_LOOP_RATES, OVERLOAD_RATE];
  for (const rate of rates)
    for (const tool of TOOLS)
      recorder.row(TITLE, openLoopSubject(rate), tool, CLIENTS, { subject: openLoopSubject(rate), tool: 'vegeta' });
  const skipAll = (why: string, tool?: Tool) =>
    rates.forEach((rate) =>
      TOOLS.filter((t) => !tool || t === tool).forEach((t) =>
        recorder.skip(rowId(openLoopSubject(rate), t, CLIENTS), why),
      ),
    );

  const measure = async (server: LaunchedServer, round: number) => {
    const url = `http://127.0.0.1:${server.port}/inc`;
    const target = ['web', '--counter-host', '127.0.0.1', '--counter-port', String(server.port)];
    await runWrk(url, 10, SERVER_WARMUP_S, 1);
    const tools = round % 2 === 1 ? TOOLS : [...TOOLS].reverse();
    for (const rate of rates) {
      for (const tool of tools) {
        const id = rowId(openLoopSubject(rate), tool, CLIENTS);
        if (tool === 'vegeta' && 'command' in vegeta)
          await recorder.measure(id, round, () => runVegeta(vegeta.command, url, rate, CLIENTS, ctx.durationS));
        if (tool === 'tester')
          await recorder.measure(id, round, () =>
            runTester(ctx.root, [...target, '--rate', String(rate)], CLIENTS, ctx.durationS),
          );
      }
    }
  };

  return {
    title: TITLE,
    refHeader: '× vegeta',
    kind: 'latency',
    ratios: openLoopRatios(),
    notes: [
      `Open loop: vegeta ${'version' in vegeta ? `(${vegeta.version}) ` : ''}\`attack -rate R/s -workers ` +
        `${CLIENTS} -max-workers ${CLIENTS} -keepalive=true\` and \`tester web --rate R --n-clients ${CLIENTS}\` ` +
        `(its history checked) on one fresh ${BARE_UWS} per round, warmed up by wrk for ${SERVER_WARMUP_S} s; ` +
        `rates ${OPEN_LOOP_RATES.map((r) => r.toLocaleString('en-US')).join(', ')} and ` +
        `${OVERLOAD_RATE.toLocaleString('en-US')} req/s (above what this host serves: the queue should show). ` +
        "The tester's p50 / p99 is its corrected latency (from each call's scheduled time); uncorrected (from " +
        "the actual send), pacer lag and rate held are what its --json reports, \"not reported\" when it does " +
        'not. vegeta "held" the rate when it sent at least 95% of it.',
    ],
    async run(round) {
      const why = missing(vegeta);
      if (why) skipAll(why, 'vegeta');
      let server: LaunchedServer;
      try {
        server = await startServer({
          label: BARE_UWS,
          workers: 1,
          script: path.join(ctx.root, 'dist/bench/bare-uws-counter.js'),
          env: {},
          connections: [CLIENTS],
          tools: TOOLS,
        });
      } catch (err) {
        return skipAll(`did not start: ${(err as Error).message}`);
      }
      try {
        await measure(server, round);
      } finally {
        await server.stop();
      }
    },
  };
}

function openLoopRatios(): RatioSpec[] {
  const ratio = (rate: number, metric: Metric, target?: number): RatioSpec => ({
    name:
      `tester / vegeta ${metric === 'p50Us' ? 'p50' : 'p99'} latency, ` +
      `${rate.toLocaleString('en-US')} req/s, ${CLIENTS} clients`,
    top: rowId(openLoopSubject(rate), 'tester', CLIENTS),
    bottom: rowId(openLoopSubject(rate), 'vegeta', CLIENTS),
    metric,
    ...(target === undefined ? { why: 'informative: both should show the queue' } : { target }),
  });
  return [
    ...OPEN_LOOP_RATES.flatMap((rate) => [ratio(rate, 'p50Us', 1.25), ratio(rate, 'p99Us', 1.25)]),
    ratio(OVERLOAD_RATE, 'p50Us'),
    ratio(OVERLOAD_RATE, 'p99Us'),
  ];
}
