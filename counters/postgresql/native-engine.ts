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
import { type FailedSide, LoaderEngine } from '../../native/loader-engine.js';
import { loadPgLoader, type PgFailure, type PgLoaderModule } from '../../native/pg-loader.js';
import { CounterError, type IncrementEngine, REFUSED_PAUSE_MS } from '../counter.js';
import { toCounterError } from './errors.js';
import { methodSteps } from './method-steps.js';
import { gaveUp, missingRow, type PostgresMethod, VERSION_CONFLICT } from './methods.js';
import type { Settings } from './settings.js';

/**
 * The error the JS engine (methods.ts, errors.ts) would have failed a call with, from what the
 * addon's loop says of it: its failure, whether it may have committed, and "SQLSTATE\nmessage".
 */
function pgErrorOf(settings: Settings, userId: number, side: FailedSide<PgFailure>): Error {
  const { config } = settings;
  const text = side.bytes.toString('utf8');
  const newline = text.indexOf('\n');
  const sqlState = text.slice(0, newline);
  const message = text.slice(newline + 1);
  const committing = side.mayHaveApplied;
  switch (side.failure) {
    case 'statement':
      return toCounterError(config, sqlError(message, sqlState), committing);
    case 'noAnswer':
      return toCounterError(config, sqlError(noAnswerMessage(config.statementTimeoutMs), '08006'), committing);
    case 'gaveUp': {
      const lost = sqlState ? new LostRace(firstLine(message), sqlError(message, sqlState)) : VERSION_CONFLICT;
      return gaveUp(settings, lost);
    }
    case 'missingRow':
      return missingRow({ config, userId });
    case 'connect':
      // As PostgresCounter's reconnect: nothing was sent, certainly not applied.
      return new CounterError(explainConnectError(config, config.database, new Error(message)).message, 'refused');
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
  return new LoaderEngine(loader, native.failureNames, (side) => pgErrorOf(settings, userId, side));
}
