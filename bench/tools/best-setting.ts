/**
 * An external anchor in its best configuration for this machine: every candidate setting runs
 * once in the round, the fastest is the round's figure, and the sample says which won and what
 * each reached. A setting that fails drops out; the row fails only when every setting did.
 */
import type { Measured } from '../measurement.js';

export interface Candidate {
  /** As the tool's command line says it, e.g. "-t1". */
  setting: string;
  run(): Promise<Measured>;
}

export async function bestOf(candidates: Candidate[], round: number): Promise<Measured> {
  if (candidates.length === 0) throw new Error('no setting to try');
  // Alternate the order, so that no setting always meets a server that the other just ran hot.
  const ordered = round % 2 === 0 ? [...candidates].reverse() : candidates;
  const tried: Array<Measured & { setting: string }> = [];
  let firstError: unknown;
  for (const candidate of ordered) {
    try {
      tried.push({ ...(await candidate.run()), setting: candidate.setting });
    } catch (err) {
      firstError ??= err;
    }
  }
  if (tried.length === 0) throw firstError;
  const best = tried.reduce((a, b) => (b.rps > a.rps ? b : a));
  return { ...best, triedRps: Object.fromEntries(tried.map((t) => [t.setting, Math.round(t.rps)])) };
}

/** Thread counts from 1 to min(connections, cores): a thread without a connection of its own idles. */
export function threadCounts(connections: number, cores: number): number[] {
  return Array.from({ length: Math.max(1, Math.min(connections, cores)) }, (_, i) => i + 1);
}
