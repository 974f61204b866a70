/**
 * Each Hazelcast method as the native loop runs it (native/hz-loader/steps.h): its requests,
 * encoded once here with hazelcast-client's own codecs and arguments (as its MapProxy and CP
 * proxies call them), the places the loop writes each call's values into, and what each answer
 * means. The method logic stays here, next to the JS methods it mirrors (map-methods.ts,
 * cp-methods.ts); the loop only frames, patches and reads.
 */
import type { HazelcastSession } from '../../backends/hazelcast/session.js';
import {
  type ClientMessage,
  codec,
  contentOffsets,
  type Data,
  newUuid,
  PARTITION_ID_AT,
  RESPONSE_VALUE_AT,
  serializer,
} from '../../backends/hazelcast/client-internals.js';
import { toLong } from '../../backends/hazelcast/values.js';
import type { HzStep } from '../../native/hz-loader.js';
import type { HazelcastMethod } from './method.js';

/** hazelcast-client's map calls pass thread id 0 and ttl -1 (no expiry). */
const THREAD_ID = 0;
const NO_TTL = -1;
/**
 * MapProxy's lock and unlock pass reference id 0: the member then takes each request's own call id
 * for its retry detection (a lock or unlock sent again under the same id counts once).
 */
const REFERENCE_ID = 0;
/** MapLockCodec's first frame: after the partition id, the thread id, the ttl, then the reference id. */
const MAP_LOCK_REFERENCE_ID_AT = PARTITION_ID_AT + 4 + 8 + 8;

/** A serialized Long's payload: the last 8 bytes of its Data (after partition hash and type id). */
const LONG_PAYLOAD_AT = 8;

interface Encoding {
  message: ClientMessage;
  /** A partition's operation (else any member's: a CP group's, a PN counter replica's). */
  partitioned: boolean;
  /** Each frame's content offset in `bytes`. */
  at: number[];
  bytes: Buffer;
}

function encoded(message: ClientMessage, partitionId: number): Encoding {
  message.setPartitionId(partitionId);
  return { message, partitioned: partitionId >= 0, at: contentOffsets(message), bytes: message.toBuffer() };
}

function clientProperty(session: HazelcastSession, name: string): number {
  const properties = session.client.getConfig().properties as Record<string, unknown>;
  return Number(properties[name]);
}

/** hazelcast-client's own invocation timeout (its hazelcast.client.invocation.timeout.millis). */
export function invocationTimeoutMs(session: HazelcastSession): number {
  return clientProperty(session, 'hazelcast.client.invocation.timeout.millis');
}

/** How long hazelcast-client waits for a backup-aware answer's backup acks before it takes the answer. */
export function backupTimeoutMs(session: HazelcastSession): number {
  return clientProperty(session, 'hazelcast.client.operation.backup.timeout.millis');
}

function step(request: Encoding, timeoutMs: number, rest: Partial<Omit<HzStep, 'request'>>): HzStep {
  return {
    request: request.bytes,
    patches: [],
    read: 'nothing',
    at: 0,
    writes: false,
    ifNull: false,
    ifValue: false,
    keepFrame: -1,
    guarded: false,
    always: false,
    resend: false,
    timeoutMs,
    // As hazelcast-client flags every request of a smart client; only a partition's may have backups.
    backupAware: request.partitioned,
    ...rest,
  };
}

/** Where a request's frames sit: the map calls' key is frame 2, then their values. */
const KEY_FRAME = 2;

/**
 * FencedLockLockCodec's and FencedLockUnlockCodec's first frame: after the partition id, the session
 * id, the thread id and the invocation UUID (a null flag byte, then its two longs).
 */
const LOCK_THREAD_ID_AT = PARTITION_ID_AT + 4 + 8;
const LOCK_INVOCATION_UID_AT = LOCK_THREAD_ID_AT + 8 + 1;

/** The FencedLock's CP group, object name and the engine's session in that group (cp-session.ts). */
export interface FencedLockTarget {
  groupId: unknown;
  objectName: string;
  sessionId: unknown;
}

/**
 * Where a client's requests go: the key's partition (map methods), the PN replica it sticks to,
 * the FencedLock and its session (fenced_lock).
 */
export interface StepTarget {
  partitionId: number;
  replica: unknown;
  fencedLock?: FencedLockTarget;
}

/** The steps of `method` for one client. */
export async function methodSteps(
  session: HazelcastSession,
  method: HazelcastMethod,
  { partitionId, replica, fencedLock }: StepTarget,
): Promise<HzStep[]> {
  const { config, client } = session;
  const timeoutMs = invocationTimeoutMs(session);
  const make = (request: Encoding, rest: Partial<Omit<HzStep, 'request'>>) => step(request, timeoutMs, rest);
  const data = serializer(client);
  const key: Data = data.toData(config.counterKey);
  // A placeholder Long: the loop writes each call's value over its payload.
  const value: Data = data.toData(toLong(0));
  const name = config.mapName;
  const get = encoded(codec('MapGetCodec').encodeRequest(name, key, THREAD_ID), partitionId);
  const set = encoded(codec('MapSetCodec').encodeRequest(name, key, value, THREAD_ID, NO_TTL), partitionId);
  const setValueAt = set.at[KEY_FRAME + 1] + LONG_PAYLOAD_AT;
  switch (method) {
    case 'no_lock':
      // toCounterError(config, err): every failure may have applied (noLockOps passes no flag).
      return [
        make(get, { read: 'nextFromData', writes: true }),
        make(set, { patches: [{ at: setValueAt, what: 'nextLong' }], writes: true }),
      ];
    case 'pessimistic': {
      // pessimisticOps: lock (waiting as long as it takes, as MapProxy.lock does), then get and set,
      // unlocked in a finally; the lock is the client's (its client UUID, thread 0), whichever
      // connection it reconnects on.
      const lock = encoded(codec('MapLockCodec').encodeRequest(name, key, THREAD_ID, NO_TTL, REFERENCE_ID), partitionId);
      const unlock = encoded(codec('MapUnlockCodec').encodeRequest(name, key, THREAD_ID, REFERENCE_ID), partitionId);
      return [
        // resend: a lock lost in flight may be granted still (or was), to this client: on the next
        // connection it is sent again, then unlocked, as hazelcast-client retries it and then runs the
        // finally. Its reference id is the attempt's own, so the member grants the lock sent again
        // once (the retry detection): under id 0 each request is new, and a granted lock would count twice.
        make(lock, {
          patches: [{ at: lock.at[0] + MAP_LOCK_REFERENCE_ID_AT, what: 'callLong' }],
          timeoutMs: Infinity,
          resend: true,
        }),
        make(get, { read: 'nextFromData', guarded: true }),
        make(set, { patches: [{ at: setValueAt, what: 'nextLong' }], writes: true, guarded: true }),
        make(unlock, { always: true }),
      ];
    }
    case 'optimistic': {
      // optimisticOps: get, then replaceIfSame(old as read, old + 1), or putIfAbsent when there was none.
      const replace = encoded(
        codec('MapReplaceIfSameCodec').encodeRequest(name, key, value, value, THREAD_ID),
        partitionId,
      );
      const put = encoded(codec('MapPutIfAbsentCodec').encodeRequest(name, key, value, THREAD_ID, NO_TTL), partitionId);
      return [
        make(get, { read: 'nextFromData' }),
        make(replace, {
          patches: [
            { at: replace.at[KEY_FRAME + 1], what: 'lastData' },
            { at: replace.at[KEY_FRAME + 2] + LONG_PAYLOAD_AT, what: 'nextLong' },
          ],
          read: 'swapped',
          at: RESPONSE_VALUE_AT,
          writes: true,
          ifValue: true,
        }),
        make(put, {
          patches: [{ at: put.at[KEY_FRAME + 1] + LONG_PAYLOAD_AT, what: 'nextLong' }],
          read: 'nullData',
          writes: true,
          ifNull: true,
        }),
      ];
    }
    case 'atomic': {
      // atomicOps: incrementAndGet on the CP group, any member (the client picks one at random).
      const proxy = (await session.atomicLong()) as unknown as { groupId: unknown; objectName: string };
      const add = encoded(codec('AtomicLongAddAndGetCodec').encodeRequest(proxy.groupId, proxy.objectName, toLong(1)), -1);
      return [make(add, { read: 'longAt', at: RESPONSE_VALUE_AT, writes: true })];
    }
    case 'pn_counter': {
      // pnCounterOps: incrementAndGet on the client's replica, carrying the replica timestamps each
      // answer returns into the next request (PNCounterProxy's observed vector clock; one replica,
      // so each answer's clock is after the last).
      const add = encoded(
        codec('PNCounterAddCodec').encodeRequest(config.pnCounterName, toLong(1), false, [], replica),
        -1,
      );
      const TIMESTAMPS_FRAME = 2; // after the first frame and the name, in the request; second in the answer
      return [
        make(add, {
          patches: [{ at: add.at[TIMESTAMPS_FRAME] - 6, what: 'keptFrame' }],
          read: 'longAt',
          at: RESPONSE_VALUE_AT,
          writes: true,
          keepFrame: 1,
        }),
      ];
    }
    case 'fenced_lock': {
      // fencedLockOps: lock, then get and set, unlocked in a finally (as pessimistic). The thread id
      // is each call's own and each request's invocation UUID new, as FencedLockProxy sends them; the
      // placeholders encoded here are written over per call.
      if (fencedLock === undefined) throw new Error('fenced_lock steps need the lock and its CP session');
      const { groupId, objectName, sessionId } = fencedLock;
      const [lock, unlock] = ['FencedLockLockCodec', 'FencedLockUnlockCodec'].map((name) =>
        encoded(codec(name).encodeRequest(groupId, objectName, sessionId, toLong(0), newUuid()), -1),
      );
      const perCall = (request: Encoding) => [
        { at: request.at[0] + LOCK_THREAD_ID_AT, what: 'callLong' as const },
        { at: request.at[0] + LOCK_INVOCATION_UID_AT, what: 'freshUuid' as const },
      ];
      return [
        // resend: a lock lost in flight may be granted still; FencedLockProxy's invocation retries it
        // (same invocation UUID) until answered, and so does the loop before the user's next call.
        make(lock, { patches: perCall(lock), timeoutMs: Infinity, resend: true }),
        make(get, { read: 'nextFromData', guarded: true }),
        make(set, { patches: [{ at: setValueAt, what: 'nextLong' }], writes: true, guarded: true }),
        make(unlock, { patches: perCall(unlock), always: true }),
      ];
    }
  }
}
