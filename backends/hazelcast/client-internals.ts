/**
 * The parts of hazelcast-client the native engine borrows (counters/hazelcast/method-steps.ts and
 * native-engine.ts): its codecs, which encode each request once as the client itself would, its
 * message reader and error factory, which read a member's error answer into the error the client
 * would have thrown, and its serializer. None is in the client's public typings: each is loaded
 * through the client's own `require`, typed here by the little that is used.
 */
import { createRequire } from 'node:module';
import type { HazelcastClient } from './connect.js';

const requireClient = createRequire(createRequire(import.meta.url).resolve('hazelcast-client'));

export interface Frame {
  content: Buffer;
  next: Frame | null;
}

/** An encoded request or a decoded answer. */
export interface ClientMessage {
  startFrame: Frame;
  setPartitionId(id: number): void;
  setCorrelationId(id: number): void;
  toBuffer(): Buffer;
}

/** A serialized value (HeapData): partition hash, type id, payload. */
export interface Data {
  toBuffer(): Buffer;
}

type Encoder = { encodeRequest(...args: unknown[]): ClientMessage; decodeResponse(answer: ClientMessage): unknown };

function internal<T>(path: string, name: string): T {
  return (requireClient(path) as Record<string, T>)[name];
}

/** The request codecs the native engine's methods use, by their class name in lib/codec. */
export function codec(name: string): Encoder {
  return internal<Encoder>(`./codec/${name}`, name);
}

/** Where every codec puts a fixed-size answer in the answer's first frame: after the backup-acks byte. */
export const RESPONSE_VALUE_AT = internal<number>('./protocol/ClientMessage', 'RESPONSE_BACKUP_ACKS_OFFSET') + 1;

/** Where a request's first frame holds its partition id; the fixed-size arguments follow it. */
export const PARTITION_ID_AT = internal<number>('./protocol/ClientMessage', 'PARTITION_ID_OFFSET');

/**
 * Where a backup event (ClientLocalBackupListenerCodec's) holds the correlation id of the request it
 * acks: after the partition id, in its first frame.
 */
export const BACKUP_EVENT_CORRELATION_AT = PARTITION_ID_AT + 4;

/** What the Node client writes as its type and serialization version when it authenticates. */
export const CLIENT_TYPE = internal<string>('./network/ConnectionManager', 'CLIENT_TYPE');
export const SERIALIZATION_VERSION = 1;

export function clientVersion(): string {
  return internal<{ getClientVersion(): string }>('./BuildInfo', 'BuildInfo').getClientVersion();
}

export function newUuid(): unknown {
  return internal<{ generate(): unknown }>('./util/UuidUtil', 'UuidUtil').generate();
}

/** The client's serializer: the bytes it would send for `value`, and back. */
export function serializer(client: HazelcastClient): { toData(value: unknown): Data; toObject(data: Data): unknown } {
  return (client as unknown as { serializationService: ReturnType<typeof serializer> }).serializationService;
}

export function heapData(bytes: Buffer): Data {
  const HeapData = internal<new (buffer: Buffer) => Data>('./serialization/HeapData', 'HeapData');
  return new HeapData(bytes);
}

/** The error the client would have thrown for a member's error answer (its whole message). */
export function errorOfAnswer(message: Buffer): Error {
  const Reader = internal<new () => { append(b: Buffer): void; read(): ClientMessage | null }>(
    './network/Connection',
    'ClientMessageReader',
  );
  const Factory = internal<new () => { createErrorFromClientMessage(m: ClientMessage): Error }>(
    './protocol/ErrorFactory',
    'ClientErrorFactory',
  );
  const reader = new Reader();
  reader.append(message);
  const decoded = reader.read();
  if (decoded === null) return new Error('an unreadable error answer');
  return new Factory().createErrorFromClientMessage(decoded);
}

/** Sends `request` through the client to any member, as its CP proxies do; resolves with the decoded answer. */
export function invokeOnRandomTarget(client: HazelcastClient, request: ClientMessage, decode: Encoder['decodeResponse']) {
  const invocations = (client as unknown as { invocationService: { invokeOnRandomTarget: InvokeOnRandomTarget } })
    .invocationService;
  return invocations.invokeOnRandomTarget(request, decode);
}
type InvokeOnRandomTarget = (request: ClientMessage, decode: Encoder['decodeResponse']) => Promise<unknown>;

/** Each frame's content offset in the message's bytes, in order. */
export function contentOffsets(message: ClientMessage): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (let frame: Frame | null = message.startFrame; frame !== null; frame = frame.next) {
    offsets.push(at + 6);
    at += 6 + frame.content.length;
  }
  return offsets;
}
