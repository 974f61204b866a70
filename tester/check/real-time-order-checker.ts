/**
 * Linearizability for increment-and-get: if increment A completed before increment B was
 * invoked, A took effect first, so B must return a larger value. A B that returns a value
 * <= A's saw a stale counter. Operations that overlap in time may take effect in either
 * order, so they are never compared.
 *
 * Streaming, in completion order: each acknowledged, valued call asks which call led (had
 * returned the largest value) among those completed strictly before it began. The examples are
 * the first stale calls by invoke time (then row).
 */
import { maxExamples, type CheckResult } from './check-result.js';
import { CompletionLeaders } from './completion-leaders.js';
import type { OpExample, StaleExample } from './witness.js';

export interface RealTimeOrderResult extends CheckResult {
  /** Acknowledged increments that returned a value (the ones compared). */
  comparedCount: number;
  /** Operations that returned a value not above one that had completed before they began. */
  staleCount: number;
  examples: StaleExample[];
}

export class RealTimeOrderChecker {
  readonly leaders = new CompletionLeaders();
  #compared = 0;
  #stale = 0;
  readonly #first: StaleExample[] = [];

  /** `witnessed` hears of each stale pair kept as an example, as it is found. */
  constructor(private readonly witnessed: (ops: OpExample[]) => void = () => {}) {}

  /**
   * Judges one acknowledged, valued call; true when it is stale. `staleInSegment`: it was already
   * found stale on its own segment's clock (whose example `withSegmentExamples` adds).
   */
  add(op: OpExample, staleInSegment = false): boolean {
    this.#compared++;
    const leader = this.leaders.before(op.invokeUs);
    this.leaders.add(op);
    const stale = leader !== undefined && op.value <= leader.value;
    if (!stale && !staleInSegment) return false;
    this.#stale++;
    if (stale && keepFirst(this.#first, { earlier: leader, later: op })) this.witnessed([leader, op]);
    return true;
  }

  result(): RealTimeOrderResult {
    const [comparedCount, staleCount] = [this.#compared, this.#stale];
    if (comparedCount === 0) {
      const reason = 'no increment returned a value';
      return { valid: 'unknown', reason, comparedCount, staleCount, examples: [] };
    }
    return { valid: staleCount === 0, comparedCount, staleCount, examples: this.#first };
  }
}

/** The union's result with the examples each segment found on its own clock, the earliest kept. */
export function withSegmentExamples(result: RealTimeOrderResult, segments: readonly StaleExample[]): RealTimeOrderResult {
  const first = [...result.examples];
  const named = (op: OpExample) => `${op.clientId}:${op.invokeUs}`;
  const seen = new Set(first.map((example) => named(example.later)));
  for (const example of segments) if (!seen.has(named(example.later))) keepFirst(first, example);
  return { ...result, examples: first };
}

/** Keeps `first` the maxExamples earliest by invoke time, then row (examples come in row order); true when kept. */
function keepFirst(first: StaleExample[], example: StaleExample): boolean {
  const invokeUs = example.later.invokeUs;
  if (first.length === maxExamples && invokeUs >= first[maxExamples - 1].later.invokeUs) return false;
  let i = first.length;
  while (i > 0 && first[i - 1].later.invokeUs > invokeUs) i--;
  first.splice(i, 0, example);
  if (first.length > maxExamples) first.pop();
  return true;
}
