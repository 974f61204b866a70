/**
 * Undoes what testers that died (SIGKILL, a crash, a power cut of their terminal) left in
 * force: each fault family says how to undo its own leftover. Run at the start of every load
 * run and by `tester heal`.
 */
import { claimDeadTestersState, type Leftover, writeState } from './leftovers.js';
import { stopLeftServer } from './managed-server.js';
import { bringBack, resume } from './process-faults.js';
import { removeNetworkSync } from './server-network.js';

/** What was undone of one dead tester's leftovers, and what could not be (it stays recorded). */
export interface Healed {
  tester: number;
  done: string[];
  failed: string[];
}

function undo(leftover: Leftover): Promise<string> | string {
  switch (leftover.kind) {
    case 'paused':
      return resume(leftover);
    case 'killed':
      return bringBack(leftover);
    case 'server':
      return stopLeftServer(leftover);
    case 'namespace':
      return removeNetworkSync(leftover);
  }
}

/**
 * Undoes, newest first, what each dead tester left: its server is stopped before its
 * namespace goes. What could not be undone is kept for the next attempt.
 */
export async function healDeadTesters(): Promise<Healed[]> {
  const healed: Healed[] = [];
  for (const state of claimDeadTestersState()) {
    const result: Healed = { tester: state.tester, done: [], failed: [] };
    const kept: Leftover[] = [];
    for (const leftover of [...state.leftovers].reverse()) {
      try {
        result.done.push(await undo(leftover));
      } catch (err) {
        result.failed.push(err instanceof Error ? err.message : String(err));
        kept.unshift(leftover);
      }
    }
    writeState(state.file, { tester: state.tester, leftovers: kept });
    healed.push(result);
  }
  return healed;
}

/** One line per dead tester, e.g. "healed what tester pid 4242 left: SIGCONT postmaster pids 10, 11 (port 5432)". */
export function healedLine({ tester, done, failed }: Healed): string {
  if (failed.length === 0) return `healed what tester pid ${tester} left: ${done.join('; ')}`;
  const said = [...done, ...failed.map((why) => `FAILED ${why}`)];
  return `could not heal all tester pid ${tester} left: ${said.join('; ')}`;
}
