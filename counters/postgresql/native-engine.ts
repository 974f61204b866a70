import { isMainThread } from 'node:worker_threads';
import {
  conninfo,
  CONNECT_TIMEOUT_S,
  explainConnectError,
  noAnswerMessage,
  type SqlError,
} from '../../backends/postgresql/connection.js';
import { firstLine } from '../../backends/first-line.js';
import { LostRace } from '../../backends/retry-backoff.js';
import type { LoaderCalls } from '../../native/http-loader.js';
import { loadPgLoader, type PgFailure, type PgLoader, type PgLoaderModule } from '../../native/pg-loader.js';
import {
  CounterError,
  type EngineCalls,
  type EnginePlan,
  type EngineRunEnd,
  type IncrementEngine,
  REFUSED_PAUSE_MS,
} from '../counter.js';
import { toCounterError } from './errors.js';
import { methodSteps } from './method-steps.js';
import { gaveUp, missingRow, type PostgresMethod, VERSION_CONFLICT } from './methods.js';
import type { Settings } from './settings.js';

/** What a failed call tells JS (see native/pg-loader.ts). */
interface Failed {
  failure: PgFailure;
  sqlState: string;
  message: string;
  committing: boolean;
}

/**
 * The PostgreSQL counter's engine: the addon's epoll loop runs each method's statements through
 * libpq's asynchronous API; this side turns its failed calls into the errors the JS engine
 * (methods.ts, errors.ts) would have thrown, with the same functions.
 */
class NativePgEngine implements IncrementEngine {
  constructor(
    private readonly loader: PgLoader,
    private readonly failureNames: readonly PgFailure[],
    private readonly settings: Settings,
    private readonly userId: number,
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
  }

  private judge(result: LoaderCalls): EngineCalls {
    const errors = new Map<number, Error>();
    const { sides } = result;
    for (let k = 0; k < sides.index.length; k++) {
      const bytes = sides.bytes.subarray(k === 0 ? 0 : sides.end[k - 1], sides.end[k]).toString('utf8');
      const newline = bytes.indexOf('\n');
      const failure = this.failureNames[sides.status[k]];
      // A code without a name: an addon from another build. Fail loudly rather than count the call.
      if (failure === undefined) throw new Error(`native engine: failure code ${sides.status[k]} has no name`);
      const failed = {
        failure,
        sqlState: bytes.slice(0, newline),
        message: bytes.slice(newline + 1),
        committing: sides.flag[k] === 1,
      };
      errors.set(sides.index[k], this.errorOf(failed));
    }
    const { clientIndex, dueUs, invokeUs, completeUs, values, watermarkUs } = result;
    return { length: clientIndex.length, clientIndex, dueUs, invokeUs, completeUs, values, errors, watermarkUs };
  }

  /** The error the JS engine would have failed this call with. */
  private errorOf({ failure, sqlState, message, committing }: Failed): Error {
    const { config } = this.settings;
    switch (failure) {
      case 'statement':
        return toCounterError(config, sqlError(message, sqlState), committing);
      case 'noAnswer':
        return toCounterError(config, sqlError(noAnswerMessage(config.statementTimeoutMs), '08006'), committing);
      case 'gaveUp': {
        const lost = sqlState ? new LostRace(firstLine(message), sqlError(message, sqlState)) : VERSION_CONFLICT;
        return gaveUp(this.settings, lost);
      }
      case 'missingRow':
        return missingRow({ config, userId: this.userId });
      case 'connect':
        // As PostgresCounter's reconnect: nothing was sent, certainly not applied.
        return new CounterError(explainConnectError(config, config.database, new Error(message)).message, 'refused');
    }
  }
}

function sqlError(message: string, sqlState: string): SqlError {
  const err: SqlError = new Error(message);
  if (sqlState) err.sqlState = sqlState;
  return err;
}

let loaded: PgLoaderModule | string | undefined;

/** The addon's loop, or undefined (with a one-line note on stderr, once) when it cannot load. */
export function nativePgLoader(): PgLoaderModule | undefined {
  if (loaded === undefined) {
    loaded = loadPgLoader();
    if (typeof loaded === 'string' && isMainThread) {
      process.stderr.write(`tester: ${loaded}; using the JS PostgreSQL client\n`);
    }
  }
  return typeof loaded === 'string' ? undefined : loaded;
}

export interface NativeEngineOptions {
  settings: Settings;
  method: PostgresMethod;
  doRetries: boolean;
  userId: number;
  clientCount: number;
}

/** `clientCount` clients on the native loop; each connects on its first call, as after a lost connection. */
export function openNativePgEngine(native: PgLoaderModule, options: NativeEngineOptions): IncrementEngine {
  const { settings, method, doRetries, userId, clientCount } = options;
  const loader = new native.PgLoader({
    conninfo: conninfo(settings.config),
    clientCount,
    connectTimeoutMs: CONNECT_TIMEOUT_S * 1000,
    statementTimeoutMs: settings.config.statementTimeoutMs,
    refusedPauseMs: REFUSED_PAUSE_MS,
    userId,
    shards: settings.shards,
    retry: settings.retry,
    method: methodSteps(method, doRetries),
  });
  return new NativePgEngine(loader, native.failureNames, settings, userId);
}
