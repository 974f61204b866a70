import { isMainThread } from 'node:worker_threads';
import { ClientOfflineError, OperationTimeoutError, TargetDisconnectedError } from 'hazelcast-client';
import {
  BACKUP_EVENT_CORRELATION_AT,
  CLIENT_TYPE,
  clientVersion,
  codec,
  errorOfAnswer,
  heapData,
  newUuid,
  RESPONSE_VALUE_AT,
  SERIALIZATION_VERSION,
  serializer,
} from '../../backends/hazelcast/client-internals.js';
import type { HazelcastConfig } from '../../backends/hazelcast/config.js';
import { toCounterError } from '../../backends/hazelcast/connect.js';
import { toLong } from '../../backends/hazelcast/values.js';
import type { HazelcastSession } from '../../backends/hazelcast/session.js';
import { type HzFailure, type HzLoaderModule, loadHzLoader } from '../../native/hz-loader.js';
import { type FailedSide, LoaderEngine } from '../../native/loader-engine.js';
import { CounterError, type IncrementEngine, REFUSED_PAUSE_MS } from '../counter.js';
import { entryName, optimisticGaveUp } from './map-methods.js';
import type { HazelcastMethod } from './method.js';
import { openCpSession } from './cp-session.js';
import { backupTimeoutMs, type FencedLockTarget, invocationTimeoutMs, methodSteps } from './method-steps.js';

/**
 * The error the JS engine would have failed a call with: the member's error answer read by the
 * client's own error factory, a lost connection, a timeout or an unreachable member as the client's
 * errors, each through toCounterError with whether the call may have applied its increment.
 */
function hzErrorOf(session: HazelcastSession, side: FailedSide<HzFailure>): Error {
  const { config } = session;
  const text = side.bytes.toString('utf8');
  switch (side.failure) {
    case 'errorAnswer':
      return toCounterError(config, errorOfAnswer(side.bytes), side.mayHaveApplied);
    case 'lost':
      return toCounterError(config, new TargetDisconnectedError(text), side.mayHaveApplied);
    case 'noAnswer':
      return toCounterError(
        config,
        new OperationTimeoutError(`no answer within ${invocationTimeoutMs(session)} ms`),
        side.mayHaveApplied,
      );
    case 'connect':
      return toCounterError(config, new ClientOfflineError(new Error(text)), false);
    case 'notALong':
      return notALong(session, side.bytes);
    case 'gaveUp':
      return optimisticGaveUp(config);
  }
}

/** The entry holds another type than a Long: the loop counts Longs only (what every client here writes). */
function notALong(session: HazelcastSession, bytes: Buffer): Error {
  let shown: string;
  try {
    shown = String(serializer(session.client).toObject(heapData(bytes)));
  } catch {
    shown = `${bytes.length} bytes`;
  }
  return new CounterError(
    `${entryName(session.config)} holds ${shown}, not a Long: the native engine counts Longs only (use --engine js)`,
    'protocol',
  );
}

let loaded: HzLoaderModule | string | undefined;

/** The addon's loop, or undefined (with a one-line note on stderr, once) when it cannot load. */
export function nativeHzLoader(): HzLoaderModule | undefined {
  if (loaded === undefined) {
    loaded = loadHzLoader();
    if (typeof loaded === 'string' && isMainThread) {
      process.stderr.write(`tester: ${loaded}; using hazelcast-client\n`);
    }
  }
  return typeof loaded === 'string' ? undefined : loaded;
}

/** "CP2" and an authentication as hazelcast-client sends it, as a client of its own (its own UUID). */
function hello(config: HazelcastConfig, index: number): Buffer {
  const auth = codec('ClientAuthenticationCodec').encodeRequest(
    config.clusterName,
    null,
    null,
    newUuid(),
    CLIENT_TYPE,
    SERIALIZATION_VERSION,
    clientVersion(),
    `counters-native-${index}`,
    [],
  );
  auth.setCorrelationId(0);
  return Buffer.concat([Buffer.from('CP2'), auth.toBuffer()]);
}

/**
 * Where each client connects: the map methods' and atomic's clients to the owner of the counter
 * key's partition, where the map requests go (as a smart client sends them; CP calls may go to any
 * member, which hands them to the group's leader); pn_counter's each to a member picked at random,
 * its replica (as PNCounterProxy picks one per client).
 */
export function keyOwner(session: HazelcastSession): { address: string; partitionId: number } {
  const { client, config } = session;
  const partitionId = client.getPartitionService().getPartitionId(config.counterKey);
  const owner = client.getPartitionService().getPartitionOwner(partitionId);
  const member = client.getCluster().getMembers().find((m) => owner !== undefined && m.uuid.equals(owner));
  if (member === undefined) throw new Error(`no member owns partition ${partitionId} of ${entryName(config)}`);
  return { address: `${member.address.host}:${member.address.port}`, partitionId };
}

function members(session: HazelcastSession): Array<{ address: string; uuid: unknown }> {
  return session.client
    .getCluster()
    .getMembers()
    .map((member) => ({ address: `${member.address.host}:${member.address.port}`, uuid: member.uuid }));
}

/** ClientLocalBackupListener's request, as the first after a listener's authentication. */
function listenRequest(): Buffer {
  const request = codec('ClientLocalBackupListenerCodec').encodeRequest();
  request.setCorrelationId(1);
  return request.toBuffer();
}

/**
 * `clientCount` clients on the native loop, each with a connection of its own (opened on its first
 * call, as after a lost connection) and, for the map methods, a listener for backup acks on every
 * member; `session` is the factory's client, used here once to encode the requests. A client
 * that cannot reach the key's owner connects to the other members in turn, which forward its
 * requests (a pn_counter user stays on its replica).
 * `routes`: dial routes[address] instead of a member's address (a relay in front of it).
 */
export async function openNativeHzEngine(
  native: HzLoaderModule,
  session: HazelcastSession,
  method: HazelcastMethod,
  clientCount: number,
  routes: Record<string, string> = {},
): Promise<IncrementEngine> {
  const { config } = session;
  const owner = keyOwner(session);
  // fenced_lock: the engine's own CP session, closed with the engine.
  const cp = method === 'fenced_lock' ? await fencedLockSession(session) : undefined;
  try {
    const all = members(session);
    const dial = (address: string) => routes[address] ?? address;
    const clients = [];
    for (let i = 0; i < clientCount; i++) {
      const replica =
        method === 'pn_counter' ? all[Math.floor(Math.random() * all.length)] : { address: owner.address, uuid: null };
      const target = { partitionId: owner.partitionId, replica: replica.uuid, fencedLock: cp?.target };
      const steps = await methodSteps(session, method, target);
      const others = all.filter((member) => member.address !== replica.address);
      clients.push({
        address: dial(replica.address),
        hello: hello(config, i),
        steps,
        // Every member, the owner's too: a migration may move the backup to the member this user's
        // requests go to, whose acks then come only to a listener there.
        backups: steps.some((step) => step.backupAware) ? all.map((member) => dial(member.address)) : [],
        // A pn_counter user keeps its replica: another may not hold yet what the replica timestamps it
        // carries name, and would refuse them (ConsistencyLostException).
        failover: method === 'pn_counter' ? [] : others.map((member) => dial(member.address)),
      });
    }
    const loader = new native.HzLoader({
      clients,
      authStatusAt: RESPONSE_VALUE_AT,
      connectTimeoutMs: config.connectTimeoutMs,
      refusedPauseMs: REFUSED_PAUSE_MS,
      longTypeId: serializer(session.client).toData(toLong(0)).toBuffer().readInt32BE(4),
      retry: config.retry,
      listenRequest: listenRequest(),
      ackCorrelationAt: BACKUP_EVENT_CORRELATION_AT,
      backupTimeoutMs: backupTimeoutMs(session),
    });
    return new LoaderEngine(loader, native.failureNames, (side) => hzErrorOf(session, side), cp?.session.close);
  } catch (err) {
    await cp?.session.close().catch(() => {});
    throw err;
  }
}

/** The FencedLock (its group and name, as its proxy has them) and a CP session of its own in that group. */
async function fencedLockSession(session: HazelcastSession) {
  const proxy = (await session.fencedLock()) as unknown as { groupId: unknown; objectName: string };
  const cpSession = await openCpSession(session.client, proxy.groupId);
  const target: FencedLockTarget = { groupId: proxy.groupId, objectName: proxy.objectName, sessionId: cpSession.id };
  return { session: cpSession, target };
}
