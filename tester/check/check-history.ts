/**
 * Runs every checker over a history's calls as they stream, and combines their answers
 * worst-first: one violation makes the whole history invalid, otherwise one undecided check
 * makes it 'unknown'. Memory holds what the checks still need (see value-window.ts), and the
 * calls go to a spool on disk for the rare second look.
 */
import type { CallBatch, CallSink } from './call-batch.js';
import { CallSpool } from './call-spool.js';
import { isCrashed, runCheck, worstValidity, type CheckResult, type CrashedCheck, type Validity } from './check-result.js';
import { checkCount, type CountInput, type CountResult } from './count-checker.js';
import { History, Outcome, type HistoryData } from './history.js';
import { LinearizabilityChecker, type LinearizabilityResult, type ReadWindow } from './linearizability-checker.js';
import { checkValueRange, type RangeResult } from './range-checker.js';
import { RealTimeOrderChecker, type RealTimeOrderResult } from './real-time-order-checker.js';
import { UniqueValuesChecker, type UniqueResult } from './unique-values-checker.js';
import { ValueWindow } from './value-window.js';
import { opAt, type OpExample } from './witness.js';

export interface CheckInput extends CountInput {
  /**
   * Whether increments should return values (default true). When none did, the value checks
   * stay 'unknown' but do not make the combined result 'unknown': a method that cannot report
   * values, or a server that acknowledges without one, is judged on its count alone. Only a
   * run that acknowledged nothing while values were expected stays undecided.
   */
  valuesExpected?: boolean;
  /**
   * Every successful read of the count with its call's times, the initial one included. Without
   * them the final count counts as read after every call.
   */
  reads?: readonly ReadWindow[];
}

export interface HistoryCheck {
  valid: Validity;
  opCount: number;
  okCount: number;
  failedCount: number;
  indeterminateCount: number;
  checks: {
    count: CountResult | CrashedCheck;
    unique: UniqueResult | CrashedCheck;
    realTimeOrder: RealTimeOrderResult | CrashedCheck;
    range: RangeResult | CrashedCheck;
    linearizable: LinearizabilityResult | CrashedCheck;
  };
}

export class HistoryChecker implements CallSink {
  readonly #counts = [0, 0, 0];
  readonly #window: ValueWindow;
  readonly #unique: UniqueValuesChecker;
  readonly #realTime: RealTimeOrderChecker;
  readonly #linearizable: LinearizabilityChecker;
  readonly #spool = new CallSpool();

  /**
   * `reads`: the reads of the count known before the calls (the initial one; all, for a whole
   * history). `witnessed` hears of the calls named as examples as they are found, while the calls
   * around them are still at hand (the report draws them).
   */
  constructor(
    readonly initial: number,
    reads: readonly ReadWindow[] = [],
    witnessed?: (ops: OpExample[]) => void,
  ) {
    this.#unique = new UniqueValuesChecker(witnessed);
    this.#realTime = new RealTimeOrderChecker(witnessed);
    this.#window = new ValueWindow(initial);
    this.#linearizable = new LinearizabilityChecker(initial, reads);
  }

  add(batch: CallBatch): void {
    this.#spool.add(batch);
    const { outcomes, values } = batch;
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i];
      this.#counts[outcome]++;
      if (outcome === Outcome.failed) continue;
      const op = opAt(batch, i);
      if (outcome === Outcome.indeterminate || Number.isNaN(values[i])) {
        this.#linearizable.addFree(op, outcome === Outcome.ok);
        continue;
      }
      this.#unique.add(op.value);
      const stale = this.#realTime.add(op, batch.staleInSegment?.[i] === 1);
      const late = this.#window.add(op);
      if (stale || late) this.#linearizable.imply();
    }
    this.#closeBefore(batch.pendingSinceUs);
  }

  /**
   * Every call still to come began at or after `pendingSinceUs`: values up to the largest one
   * returned before then (the leader's) close, since no later call can return them without being
   * stale, as far as the increments seen so far could have reached.
   */
  #closeBefore(pendingSinceUs: number): void {
    const leader = this.#realTime.leaders.before(pendingSinceUs)?.value;
    this.#realTime.leaders.forgetBefore(pendingSinceUs);
    if (leader === undefined) return;
    const reachable = this.initial + this.#counts[Outcome.ok] + this.#counts[Outcome.indeterminate];
    const closing = this.#window.close(Math.floor(Math.min(leader, reachable)));
    this.#unique.closed(closing);
    const whole = Number.isInteger(leader) && leader > this.initial && leader <= reachable;
    this.#linearizable.closed(closing, whole ? leader : undefined);
  }

  /** The verdict once every call is in; the checker is spent afterwards. */
  finish(input: CheckInput): HistoryCheck {
    try {
      return this.#judge(input);
    } finally {
      this.#spool.close();
    }
  }

  #judge(input: CheckInput): HistoryCheck {
    const [okCount, failedCount, indeterminateCount] = this.#counts;
    const outcomes = { okCount, failedCount, indeterminateCount };
    const window = this.#window;
    const count = runCheck(() => checkCount(outcomes, input));
    const unique = runCheck(() => this.#unique.result(window, this.#spool));
    const realTimeOrder = runCheck(() => this.#realTime.result());
    const valuedCount = isCrashed(unique) ? 0 : unique.valuedCount;
    const range = runCheck(() => checkValueRange(window, this.#spool, valuedCount, input));
    if ([count, unique, realTimeOrder, range].some((check) => check.valid === false)) this.#linearizable.imply();
    const linearizable = runCheck(() =>
      this.#linearizable.result(window.open(), window.odd.values(), readsOf(input), okCount + indeterminateCount),
    );
    const checks = { count, unique, realTimeOrder, range, linearizable };
    const judged: CheckResult[] = [count, linearizable];
    // A crashed value checker stays judged: its 'unknown' must show.
    const noValues = !isCrashed(unique) && unique.valuedCount === 0;
    if (!noValues || (input.valuesExpected !== false && okCount === 0)) judged.push(unique, realTimeOrder, range);
    const valid = worstValidity(judged.map((check) => check.valid));
    return { valid, opCount: okCount + failedCount + indeterminateCount, ...outcomes, checks };
  }
}

/**
 * Judges a whole history held in memory: its calls in completion order, streamed in batches
 * that each say when the calls after them began, as a run streams them.
 */
export function checkHistory(history: History | HistoryData, input: CheckInput): HistoryCheck {
  const data = history instanceof History ? history.data() : history;
  const order = completionOrder(data);
  const checker = new HistoryChecker(input.initial, input.reads);
  for (const batch of batches(data, order)) checker.add(batch);
  const check = checker.finish(input);
  renumber(check, order);
  return check;
}

const batchCalls = 4096;

function* batches(data: HistoryData, order: Uint32Array): Generator<CallBatch> {
  // pendingSince[j]: the earliest invoke among the calls from position j on.
  const pendingSince = new Float64Array(order.length + 1).fill(Infinity);
  for (let j = order.length - 1; j >= 0; j--) pendingSince[j] = Math.min(pendingSince[j + 1], data.invokeUs[order[j]]);
  for (let from = 0; from < order.length; from += batchCalls) {
    const rows = order.subarray(from, Math.min(from + batchCalls, order.length));
    yield {
      length: rows.length,
      firstRow: from,
      clientIds: Uint32Array.from(rows, (row) => data.clientIds[row]),
      invokeUs: Float64Array.from(rows, (row) => data.invokeUs[row]),
      completeUs: Float64Array.from(rows, (row) => data.completeUs[row]),
      values: Float64Array.from(rows, (row) => data.values[row]),
      outcomes: Uint8Array.from(rows, (row) => data.outcomes[row]),
      invokeIndex: new Float64Array(rows.length).fill(NaN),
      processes: new Float64Array(rows.length).fill(NaN),
      pendingSinceUs: pendingSince[from + rows.length],
    };
  }
}

/** Rows sorted by completion time, ties in row order. */
function completionOrder(data: HistoryData): Uint32Array {
  const order = new Uint32Array(data.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => data.completeUs[a] - data.completeUs[b] || a - b);
}

/** Names the examples' calls by their rows in the given history rather than in completion order. */
function renumber(value: unknown, order: Uint32Array, seen = new Set<object>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isOpExample(value)) value.row = order[value.row];
  for (const child of Object.values(value)) renumber(child, order, seen);
}

function isOpExample(value: object): value is OpExample {
  return 'row' in value && 'invokeIndex' in value && 'clientId' in value;
}

function readsOf({ reads, final }: CheckInput): readonly ReadWindow[] {
  if (reads) return reads;
  return final === undefined ? [] : [{ value: final, invokeUs: Infinity, completeUs: Infinity }];
}
