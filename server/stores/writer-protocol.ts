/**
 * The frames workers and the server's writer process exchange over a unix socket. Fixed
 * little-endian binary frames: a request costs 9 bytes to write and a few reads to parse, where
 * node's IPC channel would serialize JSON.
 *
 * request (worker -> writer):  op u8 | id u32 | count u32
 * answer  (writer -> worker):  status u8 | id u32 | value f64            (status OK)
 *                              status u8 | id u32 | length u16 | utf-8   (FAILED: the error; HELLO: the description)
 */

/** Where the primary tells its writer and workers the writer's socket is (internal: set only by the primary). */
export const WRITER_SOCKET_ENV = 'COUNTERS_WRITER_SOCKET';

/** Ping (id 0): answered at once by a writer whose event loop runs, however slow its store. */
export const Op = { Add: 0, Read: 1, Reset: 2, Ping: 3 } as const;
export type Op = (typeof Op)[keyof typeof Op];

/** Hello: the writer's first frame on a connection (id 0), the store's description for GET /health. */
export const Status = { Ok: 0, Failed: 1, Hello: 2 } as const;
export type Status = (typeof Status)[keyof typeof Status];

const REQUEST_LENGTH = 9;
const VALUE_ANSWER_LENGTH = 13;
const TEXT_HEADER_LENGTH = 7;
const MAX_TEXT_BYTES = 0xffff;

export function encodeRequest(op: Op, id: number, count: number): Buffer {
  const frame = Buffer.allocUnsafe(REQUEST_LENGTH);
  frame[0] = op;
  frame.writeUInt32LE(id, 1);
  frame.writeUInt32LE(count, 5);
  return frame;
}

export function encodeValue(id: number, value: number): Buffer {
  const frame = Buffer.allocUnsafe(VALUE_ANSWER_LENGTH);
  frame[0] = Status.Ok;
  frame.writeUInt32LE(id, 1);
  frame.writeDoubleLE(value, 5);
  return frame;
}

export function encodeText(status: typeof Status.Failed | typeof Status.Hello, id: number, text: string): Buffer {
  const bytes = Buffer.from(text).subarray(0, MAX_TEXT_BYTES);
  const frame = Buffer.allocUnsafe(TEXT_HEADER_LENGTH + bytes.length);
  frame[0] = status;
  frame.writeUInt32LE(id, 1);
  frame.writeUInt16LE(bytes.length, 5);
  bytes.copy(frame, TEXT_HEADER_LENGTH);
  return frame;
}

export interface Request {
  op: Op;
  id: number;
  count: number;
}

export interface Answer {
  status: Status;
  id: number;
  value: number;
  text: string;
}

/**
 * Cuts a byte stream into frames. `frameLength` gives the length of the frame at `at`, or 0 while
 * too few of its bytes have arrived to tell.
 */
class FrameReader<T> {
  private rest: Buffer | undefined;

  constructor(
    private readonly frameLength: (buffer: Buffer, at: number) => number,
    private readonly decode: (buffer: Buffer, at: number) => T,
    private readonly onFrame: (frame: T) => void,
  ) {}

  push(chunk: Buffer): void {
    const buffer = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const length = this.frameLength(buffer, at);
      if (length === 0 || at + length > buffer.length) break;
      this.onFrame(this.decode(buffer, at));
      at += length;
    }
    this.rest = at < buffer.length ? buffer.subarray(at) : undefined;
  }
}

export function requestReader(onRequest: (request: Request) => void): FrameReader<Request> {
  return new FrameReader(
    (buffer, at) => (buffer.length - at >= REQUEST_LENGTH ? REQUEST_LENGTH : 0),
    (buffer, at) => ({ op: buffer[at] as Op, id: buffer.readUInt32LE(at + 1), count: buffer.readUInt32LE(at + 5) }),
    onRequest,
  );
}

export function answerReader(onAnswer: (answer: Answer) => void): FrameReader<Answer> {
  return new FrameReader(
    (buffer, at) => {
      const available = buffer.length - at;
      if (available < 1) return 0;
      if (buffer[at] === Status.Ok) return available >= VALUE_ANSWER_LENGTH ? VALUE_ANSWER_LENGTH : 0;
      return available >= TEXT_HEADER_LENGTH ? TEXT_HEADER_LENGTH + buffer.readUInt16LE(at + 5) : 0;
    },
    (buffer, at) => {
      const status = buffer[at] as Status;
      const id = buffer.readUInt32LE(at + 1);
      if (status === Status.Ok) return { status, id, value: buffer.readDoubleLE(at + 5), text: '' };
      const end = at + TEXT_HEADER_LENGTH + buffer.readUInt16LE(at + 5);
      return { status, id, value: 0, text: buffer.toString('utf8', at + TEXT_HEADER_LENGTH, end) };
    },
    onAnswer,
  );
}
