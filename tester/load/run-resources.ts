/**
 * Whether a run's speed was the server's (issue 27, point 5). A closed-loop loader measures the
 * server only while the loader itself waits on answers: when one of its threads wanted a CPU for
 * most of the run, or the host had no idle CPU at all, the loader or the host may have set the pace.
 * Both are said beside the figure, never instead of it.
 */
import os from 'node:os';
import type { HostUse, NamedThreadTime } from './cpu-use.js';

/** A tester thread over the run. */
export interface ThreadUse {
  name: string;
  /** Seconds on a CPU; null when the kernel keeps no schedstat. */
  cpuS: number | null;
  /** Seconds it was ready to run but waited for a CPU (other processes had them). */
  waitS: number | null;
  /**
   * (cpuS + waitS) / the run's time: the share of the run the thread wanted a CPU, whether it got
   * one or queued for it. A loader that queued is as late with its next call as one that computed.
   */
  busyShare: number | null;
}

export type SpeedLimit = 'loader' | 'host';

export interface RunResources {
  threads: ThreadUse[];
  host: HostUse | null;
  /** 1, 5 and 15 minutes, at the end of the run. */
  loadAverage: number[];
  /** What, besides the server, may have set the speed; empty when neither. */
  limitedBy: SpeedLimit[];
}

/**
 * A loader thread that wanted a CPU this much of the run had no time left to wait on the server:
 * the server's answers queued for it. "Most of the run" with a margin: a loader at half its
 * capacity still answers at once.
 */
export const LOADER_BUSY_SHARE = 0.8;
/** Below this share of idle time on all CPUs, every process, the server's included, queued for one. */
export const HOST_IDLE_SHARE = 0.05;

const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : null);

function threadUse(thread: NamedThreadTime, wallS: number): ThreadUse {
  const cpuS = seconds(thread.cpuNs);
  const waitS = seconds(thread.waitNs);
  const busyShare = cpuS === null || waitS === null || wallS <= 0 ? null : (cpuS + waitS) / wallS;
  return { name: thread.name, cpuS, waitS, busyShare };
}

export function runResources(threads: readonly NamedThreadTime[], wallS: number, host: HostUse | null): RunResources {
  const uses = threads.map((thread) => threadUse(thread, wallS));
  const limitedBy: SpeedLimit[] = [];
  if (uses.some((use) => (use.busyShare ?? 0) >= LOADER_BUSY_SHARE)) limitedBy.push('loader');
  if (host && host.idleShare < HOST_IDLE_SHARE) limitedBy.push('host');
  return { threads: uses, host, loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))), limitedBy };
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

export function busiestThread(resources: RunResources): ThreadUse | undefined {
  return resources.threads.reduce<ThreadUse | undefined>(
    (busiest, use) => ((use.busyShare ?? -1) > (busiest?.busyShare ?? -1) ? use : busiest),
    undefined,
  );
}

/** "the loader (loop thread busy 93% of the run) and the host (idle 1% of 2 CPUs)": why, for each limit. */
export function limitReasons(resources: RunResources): string {
  const reasons = resources.limitedBy.map((limit) => {
    if (limit === 'loader') {
      const thread = busiestThread(resources)!;
      return `the loader (${thread.name} busy ${percent(thread.busyShare!)} of the run)`;
    }
    const host = resources.host!;
    return `the host (idle ${percent(host.idleShare)} of ${host.cpus} CPUs, load ${resources.loadAverage[0]})`;
  });
  return reasons.join(' and ');
}

/** One line for a run whose speed may not be the server's, or undefined. */
export function speedCaution(resources: RunResources): string | undefined {
  if (resources.limitedBy.length === 0) return undefined;
  return `${limitReasons(resources)}, not the server, may have set the speed`;
}

/** "JS thread busy 5% (0.01 s on a CPU, 0.04 s waiting for one), loop thread busy 84% (...)". */
export function threadsText(resources: RunResources): string {
  const text = resources.threads.map((use) => {
    if (use.busyShare === null) return `${use.name} unknown`;
    const times = `${use.cpuS!.toFixed(2)} s on a CPU, ${use.waitS!.toFixed(2)} s waiting for one`;
    return `${use.name} busy ${percent(use.busyShare)} (${times})`;
  });
  return text.join(', ') || 'unknown';
}

/** "2 CPUs 97% busy, steal 0%; load 6.12 5.80 5.02". */
export function hostText(resources: RunResources): string {
  const { host, loadAverage } = resources;
  const load = `load ${loadAverage.join(' ')}`;
  if (!host) return `unknown; ${load}`;
  return `${host.cpus} CPUs ${percent(host.busyShare)} busy, steal ${percent(host.stealShare)}; ${load}`;
}
