/**
 * Soak: our server (shared memory) loaded by the tester at full rate for minutes, with the
 * resident memory of both read from /proc every 10 s. A tester or a server whose memory grows
 * with the run's length cannot run for hours; the slope after the first minute says whether
 * either does.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaunchedServer } from '../../tester/harness/server-launcher.js';
import { waitUntil } from '../../tester/harness/wait-until.js';
import { childPids, childRunning, statusKb } from '../process-memory.js';
import { describeServer, storeSpec, startServer } from '../servers.js';
import {
  SOAK_LIMIT_MB_PER_MINUTE,
  serverMb,
  type SoakResult,
  type SoakSample,
  type SoakTesterOutcome,
  soakPassed,
  soakSlopes,
} from '../soak-result.js';
import { runTester } from '../tools/tester-cli.js';
import type { BenchContext, Section } from './section.js';

export const SOAK_TITLE = 'Soak: memory over a long run at full rate';
export const SOAK_MINUTES = { full: 3, quick: 2 };
const CLIENTS = 10;
/** As the Servers table runs the shared-memory store: a worker per core of this 2-core host. */
const WORKERS = 2;
const LABEL = 'ours: shm flock';

export interface SoakOptions {
  minutes: number;
  /** How often RSS is read: every 10 s by default; a test's short run reads it more often. */
  sampleIntervalS?: number;
  /** Samples before this are left out of the slopes: heaps and JIT code grow while they warm up. */
  settleS?: number;
}

/** The server's count now. */
async function countOf(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/count`, { signal: AbortSignal.timeout(5000) });
  return ((await response.json()) as { count: number }).count;
}

const mb = (kb: number) => Number((kb / 1024).toFixed(1));
const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/**
 * The server's primary and the sum of its workers now; undefined when one is gone (a worker being
 * replaced would make the sum read low).
 */
function serverRss(primary: number): Pick<SoakSample, 'serverPrimaryMb' | 'serverWorkersMb'> | undefined {
  const primaryKb = statusKb(primary, 'VmRSS');
  const workersKb = childPids(primary).flatMap((pid) => statusKb(pid, 'VmRSS') ?? []);
  if (primaryKb === undefined || workersKb.length !== WORKERS) return undefined;
  return { serverPrimaryMb: mb(primaryKb), serverWorkersMb: mb(workersKb.reduce((a, b) => a + b, 0)) };
}

function outcomeOf(err: unknown): SoakTesterOutcome {
  return { failed: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
}

export function soakSection(ctx: BenchContext, storageDir: string, options: SoakOptions): Section {
  const { minutes, sampleIntervalS = 10, settleS = 60 } = options;
  const durationS = minutes * 60;
  const spec = storeSpec(ctx.root, storageDir, 'shared_memory_flock', {
    label: LABEL,
    workers: WORKERS,
    connections: [CLIENTS],
    tools: ['tester'],
  });
  const testerMain = path.join(ctx.root, 'dist/tester/main.js');

  const resultOf = (
    startedMs: number,
    server: string,
    samples: SoakSample[],
    tester: SoakTesterOutcome,
  ): SoakResult => {
    const slopes = soakSlopes(samples, settleS);
    return {
      date: new Date(startedMs).toISOString(),
      minutes,
      clients: CLIENTS,
      sampleIntervalS,
      settleS,
      limitMbPerMinute: SOAK_LIMIT_MB_PER_MINUTE,
      server,
      workers: WORKERS,
      samples,
      tester,
      ...slopes,
      passed: soakPassed(slopes, tester, SOAK_LIMIT_MB_PER_MINUTE),
    };
  };

  /** Runs the tester to its end, sampling both processes from its first call until its load time is over. */
  const soak = async (server: LaunchedServer, name: string): Promise<SoakResult> => {
    const target = ['web', '--counter-host', '127.0.0.1', '--counter-port', String(server.port)];
    let done = false;
    const run = runTester(ctx.root, target, CLIENTS, durationS).then(
      ({ rps, passed, verdict, peakRssMb, errorCount }): SoakTesterOutcome => ({
        rps,
        passed: passed ?? false,
        verdict: verdict ?? 'no verdict in the --json',
        errorCount,
        ...(peakRssMb === undefined ? {} : { peakRssMb }),
      }),
      outcomeOf,
    );
    void run.then(() => (done = true));
    // Before its first call the tester may be a process still loading node (a fraction of a MB).
    await waitUntil(async () => done || (await countOf(server.port)) > 0, (durationS + 120) * 1000);
    const startedMs = Date.now();
    const samples: SoakSample[] = [];
    let testerPid: number | undefined;
    for (let dueS = 0; dueS <= durationS; dueS += sampleIntervalS) {
      // Unreferenced: a tester that ends early must not leave the bench waiting on this timer.
      await Promise.race([sleep(startedMs + dueS * 1000 - Date.now(), undefined, { ref: false }), run]);
      if (done) break;
      testerPid ??= childRunning(testerMain);
      const testerKb = testerPid === undefined ? undefined : statusKb(testerPid, 'VmRSS');
      const serverNow = serverRss(server.pid);
      if (testerKb === undefined || serverNow === undefined) continue;
      const atS = Number(((Date.now() - startedMs) / 1000).toFixed(1));
      const sample = { atS, testerMb: mb(testerKb), ...serverNow };
      samples.push(sample);
      ctx.log(
        `soak ${clock(atS)} / ${clock(durationS)}: tester ${Math.round(sample.testerMb)} MB, server ` +
          `${Math.round(serverMb(sample))} MB (primary ${Math.round(sample.serverPrimaryMb)}, ` +
          `workers ${Math.round(sample.serverWorkersMb)})`,
      );
    }
    if (!done) ctx.log('soak: load time over, waiting for the tester to judge its history');
    return resultOf(startedMs, name, samples, await run);
  };

  return {
    title: SOAK_TITLE,
    refHeader: '',
    kind: 'soak',
    ratios: [],
    notes: [
      `Soak: ${LABEL}, WORKERS=${WORKERS}, loaded by \`tester web --n-clients ${CLIENTS} --json\` (closed loop, ` +
        `full rate, its history checked) for ${minutes} minute(s) (\`--soak-minutes\`); the resident memory ` +
        '(VmRSS in /proc/PID/status) of the tester process and of the server (its primary plus the sum of its ' +
        `workers) read every ${sampleIntervalS} s. The slope is the least-squares line through the samples after ` +
        `the first ${settleS} s, in MB per minute; the soak passes when both slopes are under ` +
        `${SOAK_LIMIT_MB_PER_MINUTE} MB/min and the tester's verdict is PASS. It runs once, in the first round.`,
    ],
    once: true,
    async run() {
      const name = `${LABEL}, WORKERS=${WORKERS}`;
      let server: LaunchedServer;
      try {
        server = await startServer(spec);
      } catch (err) {
        const why = outcomeOf(new Error(`the server did not start: ${(err as Error).message}`));
        return ctx.recorder.addSoak(resultOf(Date.now(), name, [], why));
      }
      try {
        const described = await describeServer(server.port);
        ctx.recorder.addSoak(await soak(server, described ? `${name} (${described})` : name));
      } finally {
        await server.stop();
      }
    },
  };
}
