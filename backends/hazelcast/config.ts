import { ConfigError, type Env, readInteger, readString } from '../env.js';
import { HAZELCAST_VARS as V } from '../env-vars.js';
import { readRetryPolicy, type RetryPolicy } from '../retry-backoff.js';

/** Where the counter lives and how clients behave; every field comes from an HZ_* variable. */
export interface HazelcastConfig {
  /** HZ_CLUSTER_MEMBERS: comma-separated host:port list. */
  members: string[];
  /** HZ_CLUSTER_NAME. */
  clusterName: string;
  /** HZ_MAP_NAME: the IMap holding the counter for no_lock, pessimistic, optimistic, fenced_lock. */
  mapName: string;
  /** HZ_COUNTER_KEY: the map entry's key. */
  counterKey: string;
  /** HZ_ATOMIC_LONG_NAME: the CP IAtomicLong for atomic. */
  atomicLongName: string;
  /** HZ_PN_COUNTER_NAME: the CRDT PNCounter for pn_counter. */
  pnCounterName: string;
  /** HZ_FENCED_LOCK_NAME: the CP FencedLock that fenced_lock takes around the map entry. */
  fencedLockName: string;
  /** HZ_CONNECT_TIMEOUT_MS: how long a client tries to reach the cluster before giving up. */
  connectTimeoutMs: number;
  /**
   * HZ_MAX_RETRIES, HZ_RETRY_BASE_MS, HZ_RETRY_CAP_MS: how optimistic retries a lost race before
   * the increment fails with kind 'conflict'.
   */
  retry: RetryPolicy;
  /**
   * HZ_PN_SETTLE_MS: pn_counter reads wait until the value holds still this long, so a read
   * after a run sees the replicas converged (0: a plain get). Above the members' CRDT
   * replication period (1000 ms by default, 200 ms in docker/hazelcast-cp.yaml).
   */
  pnSettleMs: number;
}

/** The variables' defaults (those of the reference), from their declarations. */
export const HAZELCAST_ENV_DEFAULTS = Object.fromEntries(
  Object.values(V).map((variable) => [variable.name, variable.fallback]),
) as { [K in keyof typeof V]: (typeof V)[K]['fallback'] };

function readMembers(env: Env): string[] {
  const raw = readString(env, V.HZ_CLUSTER_MEMBERS);
  const members = raw
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member !== '');
  const bad = members.find((member) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+)(?::(\d{1,5}))?$/.exec(member);
    return !match || (match[2] !== undefined && !(Number(match[2]) >= 1 && Number(match[2]) <= 65535));
  });
  if (members.length === 0 || bad !== undefined) {
    throw new ConfigError(
      `HZ_CLUSTER_MEMBERS=${JSON.stringify(raw)} is invalid: give host:port addresses separated by commas, e.g. ` +
        `${V.HZ_CLUSTER_MEMBERS.fallback}`,
    );
  }
  return members;
}

export function readHazelcastConfig(env: Env = process.env): HazelcastConfig {
  return {
    members: readMembers(env),
    clusterName: readString(env, V.HZ_CLUSTER_NAME),
    mapName: readString(env, V.HZ_MAP_NAME),
    counterKey: readString(env, V.HZ_COUNTER_KEY),
    atomicLongName: readString(env, V.HZ_ATOMIC_LONG_NAME),
    pnCounterName: readString(env, V.HZ_PN_COUNTER_NAME),
    fencedLockName: readString(env, V.HZ_FENCED_LOCK_NAME),
    connectTimeoutMs: readInteger(env, V.HZ_CONNECT_TIMEOUT_MS),
    retry: readRetryPolicy(env, { maxRetries: V.HZ_MAX_RETRIES, baseMs: V.HZ_RETRY_BASE_MS, capMs: V.HZ_RETRY_CAP_MS }),
    pnSettleMs: readInteger(env, V.HZ_PN_SETTLE_MS),
  };
}
