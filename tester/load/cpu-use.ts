/**
 * What the tester's threads and the host did with their CPUs during a run, read from the kernel
 * (issue 27, point 5): a throughput figure is about the server only when neither the loader nor the
 * host was short of CPU. Linux only; elsewhere every figure reads as unknown (NaN or null).
 */
import fs from 'node:fs';
import os from 'node:os';

/** A thread's time on a CPU and waiting on a run queue for one, in nanoseconds; NaN when unknown. */
export interface ThreadTime {
  cpuNs: number;
  waitNs: number;
}

const UNKNOWN_TIME: ThreadTime = { cpuNs: NaN, waitNs: NaN };

/**
 * The calling thread's own figures (/proc/thread-self is /proc/self/task/TID of whichever thread
 * reads it: Node's synchronous fs calls run on the calling thread). schedstat's first two fields
 * are nanoseconds on a CPU and waiting to get one.
 */
export function ownThreadTime(): ThreadTime {
  try {
    const [cpuNs, waitNs] = fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return Number.isFinite(cpuNs) && Number.isFinite(waitNs) ? { cpuNs, waitNs } : UNKNOWN_TIME;
  } catch {
    return UNKNOWN_TIME;
  }
}

export function threadTimeSince(start: ThreadTime): ThreadTime {
  const now = ownThreadTime();
  return { cpuNs: now.cpuNs - start.cpuNs, waitNs: now.waitNs - start.waitNs };
}

/** A thread of the tester and its time during the run. */
export interface NamedThreadTime extends ThreadTime {
  /** "JS thread", "loop thread", or either prefixed with its client thread ("client thread 2 loop thread"). */
  name: string;
}

/** The host's CPU time counters from /proc/stat's "cpu" line (all CPUs), in clock ticks. */
export interface HostTimes {
  total: number;
  /** idle + iowait: time no task wanted a CPU. */
  idle: number;
  /** Time a hypervisor gave this host's virtual CPUs to someone else. */
  steal: number;
}

export function hostTimes(): HostTimes | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number);
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    return Number.isFinite(total) ? { total, idle: idle + iowait, steal } : undefined;
  } catch {
    return undefined;
  }
}

/** The host over a run: shares of all its CPUs' time. */
export interface HostUse {
  cpus: number;
  busyShare: number;
  idleShare: number;
  stealShare: number;
}

export function hostUseBetween(start: HostTimes | undefined, end: HostTimes | undefined): HostUse | null {
  if (!start || !end || end.total <= start.total) return null;
  const total = end.total - start.total;
  const idleShare = (end.idle - start.idle) / total;
  return {
    cpus: os.availableParallelism(),
    busyShare: 1 - idleShare,
    idleShare,
    stealShare: (end.steal - start.steal) / total,
  };
}
