import {
  Client,
  type ClientConfig,
  ClientNotActiveError,
  ClientOfflineError,
  HazelcastInstanceNotActiveError,
  IndeterminateOperationStateError,
  IOError,
  type ILogger,
  LogLevel,
  OperationTimeoutError,
  ReconnectMode,
  TargetDisconnectedError,
} from 'hazelcast-client';
import { CounterError, type ErrorKind } from '../counter-error.js';
import { ConfigError } from '../env.js';
import type { HazelcastConfig } from './config.js';
import { firstLine } from '../first-line.js';

export type HazelcastClient = Client;

/** How to get the cluster this project expects, for error messages. */
export const START_HINT =
  'start the 3-member CP cluster with scripts/hazelcast.sh start (it uses docker/hazelcast-cp.yaml)';

/**
 * Keeps the client quiet (its default logger prints INFO lines to the console) while remembering
 * why the last connection attempt failed, so a connect error can say it in one line.
 */
class QuietLogger implements ILogger {
  lastConnectFailure: string | undefined;

  log(level: LogLevel, _objectName: string, message: string): void {
    if (level > LogLevel.WARN) return;
    const failed = /Error during initial connection to (\S+)\s+(?:Error: )?(.*)/s.exec(message);
    if (failed) this.lastConnectFailure = `${failed[1]}: ${firstLine(failed[2])}`;
  }
  error(objectName: string, message: string): void {
    this.log(LogLevel.ERROR, objectName, message);
  }
  warn(objectName: string, message: string): void {
    this.log(LogLevel.WARN, objectName, message);
  }
  info(): void {}
  debug(): void {}
  trace(): void {}
}

/** Where we tried, for messages: `cluster "dev" at 127.0.0.1:5701,...`. */
export function describeCluster(config: HazelcastConfig): string {
  return `Hazelcast cluster "${config.clusterName}" at ${config.members.join(',')}`;
}

/** How a connected client behaves once it loses every member. */
export interface ConnectOptions {
  /**
   * Fail calls at once (ClientOfflineError) while the client reconnects, instead of holding them
   * until it gives up after HZ_CONNECT_TIMEOUT_MS: a server answers 503 rather than hang.
   */
  failWhileOffline?: boolean;
  /**
   * The client's user makes one call at a time (a tester user on a client of its own): write each
   * request at once. The client's default, auto-pipelining, defers every write to the next tick to
   * coalesce the requests of concurrent callers; with never a second request to join, that is only
   * a deferral and a copy per call (measured 5% more increments per second at 1 user on 2 cores).
   */
  oneCallAtATime?: boolean;
}

export function clientConfig(
  config: HazelcastConfig,
  logger: ILogger = new QuietLogger(),
  options: ConnectOptions = {},
): ClientConfig {
  return {
    clusterName: config.clusterName,
    network: { clusterMembers: config.members },
    connectionStrategy: {
      reconnectMode: options.failWhileOffline ? ReconnectMode.ASYNC : ReconnectMode.ON,
      // The client's default is to try forever; the tester needs a bounded, explained failure.
      connectionRetry: {
        clusterConnectTimeoutMillis: config.connectTimeoutMs,
        initialBackoffMillis: 250,
        maxBackoffMillis: 2000,
      },
    },
    customLogger: logger,
    ...(options.oneCallAtATime ? { properties: { 'hazelcast.client.autopipelining.enabled': false } } : {}),
  };
}

/**
 * A connected client, or a one-line ConfigError naming the members and how to start them.
 * Each client is a separate Hazelcast client instance (own connections, own lock ownership).
 */
export async function connectHazelcast(
  config: HazelcastConfig,
  options: ConnectOptions = {},
): Promise<HazelcastClient> {
  const logger = new QuietLogger();
  try {
    return await Client.newHazelcastClient(clientConfig(config, logger, options));
  } catch (err) {
    throw explainConnectError(config, err, logger.lastConnectFailure);
  }
}

function explainConnectError(config: HazelcastConfig, err: unknown, lastFailure: string | undefined): ConfigError {
  const seconds = Math.round(config.connectTimeoutMs / 100) / 10;
  let reason = lastFailure ?? (err instanceof Error ? firstLine(err.message) : String(err));
  let fix = `check HZ_CLUSTER_MEMBERS, or ${START_HINT}`;
  if (/cluster name .*does not match/i.test(reason)) {
    // The client's text also blames credentials, which this project never sets.
    reason = `${reason.replace(/: .*$/s, '')}: the member's cluster is not named "${config.clusterName}"`;
    fix = `set HZ_CLUSTER_NAME to the cluster's name (the project's cluster is "dev")`;
  }
  return new ConfigError(`cannot connect to ${describeCluster(config)} within ${seconds} s (${reason}); ${fix}`, {
    cause: err,
  });
}

/**
 * CP data structures need the CP Subsystem. Without it, Hazelcast 5.4 members still serve them,
 * in "UNSAFE mode" (no Raft, no linearizability), and only log a warning. The client cannot ask
 * whether CP is on, but the group a CP proxy lands in tells: with CP on, `name` lands in the CP
 * group named after "@" ("default" without one); in UNSAFE mode every object gets a group named
 * after itself. (`groupId` is not in the client's public typings; when it is missing, or the
 * object is itself named like its expected group, we cannot tell.)
 */
export function checkCpProxy(config: HazelcastConfig, proxy: object, name: string, what: string): void {
  const group = (proxy as { groupId?: { name?: unknown } }).groupId;
  if (group === undefined || typeof group.name !== 'string') return;
  const at = name.indexOf('@');
  const expected = at < 0 ? 'default' : name.slice(at + 1);
  if (group.name.toLowerCase() === expected.toLowerCase()) return;
  throw new ConfigError(
    `${describeCluster(config)} runs without the CP Subsystem (its members serve ${what} in UNSAFE mode, without ` +
      `consistency guarantees); ${START_HINT}`,
  );
}

/** Rejects after `ms` with a ConfigError built by `message` unless `promise` settles first. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfigError(message())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Turns a failed operation into what the tester understands. `mayHaveApplied` is false when the
 * failure certainly came before the write (e.g. while taking a lock or reading).
 */
export function toCounterError(config: HazelcastConfig, err: unknown, mayHaveApplied = true): Error {
  if (err instanceof CounterError || err instanceof ConfigError) return err;
  let kind: ErrorKind = 'backend';
  if (err instanceof ClientNotActiveError) kind = 'refused';
  else if (err instanceof ClientOfflineError) kind = 'refused';
  else if (err instanceof OperationTimeoutError) kind = mayHaveApplied ? 'timeout' : 'refused';
  else if (
    err instanceof TargetDisconnectedError ||
    err instanceof IOError ||
    err instanceof HazelcastInstanceNotActiveError ||
    err instanceof IndeterminateOperationStateError
  ) {
    kind = mayHaveApplied ? 'reset' : 'refused';
  }
  const text = err instanceof Error ? `${err.name}: ${firstLine(err.message)}` : String(err);
  return new CounterError(`${describeCluster(config)}: ${text}`, kind, { cause: err });
}
