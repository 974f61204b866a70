/**
 * The order of cells within each round, shuffled from a seed that the run prints and --seed
 * replays, so that a slow minute of a shared host falls on every scenario alike rather than on
 * whichever runs last (Kalibera & Jones, "Rigorous benchmarking in reasonable time", 2013:
 * randomise the order at the level that varies).
 */
import { randomInt } from 'node:crypto';

/** A fresh seed for a run that was given none: an unsigned 32-bit integer, short enough to print and retype. */
export const randomSeed = (): number => randomInt(2 ** 32);

/** mulberry32 (Tommy Ettinger): a small generator of numbers in [0, 1), one sequence per seed on any platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniformly random permutation (Fisher-Yates, Knuth's Algorithm P) drawn from `random`. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return shuffled;
}

/** One order of the items per round, all from one seed: the same seed gives the same rounds. */
export function shuffledRounds<T>(items: readonly T[], rounds: number, seed: number): T[][] {
  const random = seededRandom(seed);
  return Array.from({ length: rounds }, () => shuffle(items, random));
}
