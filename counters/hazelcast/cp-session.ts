/**
 * The CP session the native engine's FencedLock calls run in: one per engine and CP group, as
 * hazelcast-client's CPSessionManager keeps one per client and group. Created with
 * CPSessionCreateSession, kept alive with CPSessionHeartbeatSession every heartbeatMillis the
 * member asks for (else it expires after its TTL and its locks are freed), closed at the end so a
 * finished run leaves no session behind.
 *
 * The heartbeats are a JS timer sent through the factory's hazelcast-client, not through the native
 * loop: a session belongs to the process, not to a connection, and the client already keeps a
 * connection to every member with its own failover, so a beat still goes out while the member
 * the loop's users talk to is away. The loop runs on its own thread: the JS thread is free for them.
 */
import { codec, invokeOnRandomTarget } from '../../backends/hazelcast/client-internals.js';
import type { HazelcastClient } from '../../backends/hazelcast/connect.js';
import type Long from 'long';

export interface CpSession {
  /** The session's id, as the lock requests carry it. */
  readonly id: Long;
  /** Heartbeats the member answered (the session alive at the member when it answered). */
  readonly beats: number;
  /** The last heartbeat's failure, if the last one failed (a session expired or closed). */
  readonly beatError: Error | undefined;
  /** Stops the heartbeats and closes the session; its locks, if any are held, are freed. */
  close(): Promise<void>;
}

interface SessionAnswer {
  sessionId: Long;
  ttlMillis: Long;
  heartbeatMillis: Long;
}

/** A new session in `groupId` (a RaftGroupId), named after the client as hazelcast-client names it. */
export async function openCpSession(client: HazelcastClient, groupId: unknown): Promise<CpSession> {
  const create = codec('CPSessionCreateSessionCodec');
  const answer = (await invokeOnRandomTarget(
    client,
    create.encodeRequest(groupId, client.getName()),
    create.decodeResponse,
  )) as SessionAnswer;
  const id = answer.sessionId;
  const heartbeat = codec('CPSessionHeartbeatSessionCodec');
  let beats = 0;
  let beatError: Error | undefined;
  const timer = setInterval(() => {
    invokeOnRandomTarget(client, heartbeat.encodeRequest(groupId, id), () => undefined).then(
      () => {
        beats++;
        beatError = undefined;
      },
      (err: Error) => {
        beatError = err;
      },
    );
  }, answer.heartbeatMillis.toNumber());
  // A heartbeat alone keeps no process up: the run that needs it does.
  timer.unref();
  return {
    id,
    get beats() {
      return beats;
    },
    get beatError() {
      return beatError;
    },
    async close() {
      clearInterval(timer);
      const closeSession = codec('CPSessionCloseSessionCodec');
      await invokeOnRandomTarget(client, closeSession.encodeRequest(groupId, id), closeSession.decodeResponse);
    },
  };
}
