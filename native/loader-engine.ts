/**
 * The IncrementEngine over a native loader whose failed calls come back as sides with a failure
 * code (pg-loader, hz-loader): runs, drains and closes the loader, and turns each side into the
 * error its backend's JS engine would have thrown, through the backend's `errorOf`.
 */
import type { EngineCalls, EnginePlan, EngineRunEnd, IncrementEngine } from '../counters/counter.js';
import type { LoaderCalls } from './http-loader.js';

/** A failed call as a loader hands it over: its failure's name, its flag, its bytes. */
export interface FailedSide<F extends string> {
  failure: F;
  /** The loader's flag: the call may have applied its increment. */
  mayHaveApplied: boolean;
  bytes: Buffer;
}

export interface FailureLoader {
  run(plan: EnginePlan, done: (result: LoaderCalls & FailureLoaderEnd) => void): void;
  drain(): LoaderCalls;
  close(): void;
}

export interface FailureLoaderEnd {
  endUs: number;
  retryCount: number;
  loopTime: { cpuNs: number; waitNs: number };
  /** The loop itself failed (epoll). */
  error?: string;
}

export class LoaderEngine<F extends string> implements IncrementEngine {
  constructor(
    private readonly loader: FailureLoader,
    private readonly failureNames: readonly F[],
    private readonly errorOf: (failed: FailedSide<F>) => Error,
    /** What the engine holds beyond the loader's connections (a CP session), released after them. */
    private readonly release?: () => Promise<void>,
  ) {}

  run(plan: EnginePlan): Promise<EngineRunEnd> {
    return new Promise((resolve, reject) => {
      this.loader.run(plan, (result) => {
        if (result.error !== undefined) reject(new Error(`native engine: ${result.error}`));
        else {
          const { endUs, loopTime, retryCount } = result;
          resolve({ ...this.judge(result), endUs, loopTime, retryCount });
        }
      });
    });
  }

  drain(): EngineCalls {
    return this.judge(this.loader.drain());
  }

  async close(): Promise<void> {
    this.loader.close();
    await this.release?.();
  }

  private judge(result: LoaderCalls): EngineCalls {
    const errors = new Map<number, Error>();
    const { sides } = result;
    for (let k = 0; k < sides.index.length; k++) {
      const failure = this.failureNames[sides.status[k]];
      // A code without a name: an addon from another build. Fail loudly rather than count the call.
      if (failure === undefined) throw new Error(`native engine: failure code ${sides.status[k]} has no name`);
      const bytes = sides.bytes.subarray(k === 0 ? 0 : sides.end[k - 1], sides.end[k]);
      errors.set(sides.index[k], this.errorOf({ failure, mayHaveApplied: sides.flag[k] === 1, bytes }));
    }
    const { clientIndex, dueUs, invokeUs, completeUs, values, watermarkUs } = result;
    return { length: clientIndex.length, clientIndex, dueUs, invokeUs, completeUs, values, errors, watermarkUs };
  }
}
