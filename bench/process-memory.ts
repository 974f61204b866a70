/**
 * Processes and their memory as Linux shows them in /proc: a process's children, the child that
 * runs a given script, resident memory now (VmRSS) and at its peak (VmHWM).
 */
import fs from 'node:fs';

const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process has gone
  }
};

/** A figure of /proc/<pid>/status in kB (VmRSS, VmHWM), or undefined once the process has gone. */
export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(read(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The direct children of a process. Each thread lists the children it forked, so every thread is read. */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const pids = tasks.flatMap((task) => (read(`/proc/${pid}/task/${task}/children`) ?? '').trim().split(/\s+/));
  return pids.filter(Boolean).map(Number);
}

/**
 * Our child that runs `node <script> ...`, found by its command line: for a child that a helper
 * spawned without telling us its pid (the tester harness).
 */
export function childRunning(script: string): number | undefined {
  return childPids(process.pid).find((pid) => read(`/proc/${pid}/cmdline`)?.split('\0')[1] === script);
}
