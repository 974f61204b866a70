/** One parsed HTTP response: its status and its body (decoded as UTF-8, chunks joined). */
export interface ParsedResponse {
  status: number;
  body: string;
  /** False when the server closes the connection after this response (`Connection: close`, HTTP/1.0). */
  keepAlive: boolean;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/**
 * Longer header sections are not something a counter sends: refuse rather than buffer forever.
 * The native loop frames by the same limits: native-engine.ts hands it these.
 */
export const MAX_HEAD_BYTES = 16 * 1024;
export const MAX_BODY_BYTES = 64 * 1024;
/** "HTTP/1.1 200 OK": exactly three status digits, then a space, the line's end or nothing. */
const STATUS_LINE = /^HTTP\/1\.\d (\d{3})(?:[ \r]|$)/;
/** A chunk-size line: hex digits, maybe extensions after ';' (ignored). */
const CHUNK_SIZE = /^([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Where a response's body lies in the buffer, and where the next response starts. */
interface Frame {
  body: string;
  end: number;
}

/**
 * Incremental HTTP/1.1 response parser for Content-Length, chunked and (with `Connection: close`)
 * close-delimited answers. It accepts the stream cut anywhere: bytes that do not yet make a whole
 * response wait for the next chunk. The usual case, one whole response per chunk, is parsed
 * without copying.
 */
export class ResponseParser {
  private pending: Buffer | undefined;
  /** The server ended the stream: a response without a length ends here. */
  private ended = false;

  constructor(private readonly onResponse: (response: ParsedResponse) => void) {}

  /** Throws ProtocolError on input that is not a response we can frame. */
  feed(chunk: Buffer): void {
    this.parse(this.pending ? Buffer.concat([this.pending, chunk]) : chunk);
  }

  /** The server ended the stream; a response framed by the close is delivered now. */
  end(): void {
    this.ended = true;
    if (this.pending) this.parse(this.pending);
  }

  private parse(whole: Buffer): void {
    let buffer = whole;
    this.pending = undefined;
    let offset = 0;
    while (offset < buffer.length) {
      const end = this.parseOne(buffer, offset);
      if (end < 0) break;
      offset = end;
    }
    if (offset < buffer.length) {
      buffer = buffer.subarray(offset);
      // Keep our own copy: the socket may reuse the chunk's memory.
      this.pending = Buffer.from(buffer);
    }
  }

  /** Returns the offset after the response, or -1 when more bytes are needed. */
  private parseOne(buffer: Buffer, start: number): number {
    const headEnd = buffer.indexOf(HEADER_END, start);
    if (headEnd < 0) {
      if (buffer.length - start > MAX_HEAD_BYTES) throw new ProtocolError('response head too long');
      return -1;
    }
    const head = buffer.toString('latin1', start, headEnd);
    if (!head.startsWith('HTTP/1.'))
      throw new ProtocolError(`not an HTTP/1.x response: ${JSON.stringify(head.slice(0, 40))}`);
    const status = Number(STATUS_LINE.exec(head)?.[1]);
    if (!(status >= 100 && status <= 599))
      throw new ProtocolError(`bad status line: ${JSON.stringify(head.split('\r\n')[0])}`);
    const keepAlive = keepsAlive(head);
    let frame = frameBody(buffer, head, status, headEnd + 4);
    if (frame === null) frame = untilClose(buffer, headEnd + 4, keepAlive, this.ended);
    if (!frame) return -1;
    this.onResponse({ status, body: frame.body, keepAlive });
    return frame.end;
  }
}

/** HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 only when asked to. */
function keepsAlive(head: string): boolean {
  const connection = /\r\nconnection:([^\r]*)/i.exec(head)?.[1].toLowerCase();
  if (connection?.includes('close')) return false;
  return head.startsWith('HTTP/1.1') || connection?.includes('keep-alive') === true;
}

/**
 * The body as the head frames it (RFC 9112 §6.3): a Frame, undefined when it has not fully
 * arrived, or null when the head gives no length (the close ends the body).
 */
function frameBody(buffer: Buffer, head: string, status: number, bodyStart: number): Frame | undefined | null {
  // Transfer-Encoding wins over Content-Length, as the RFC says.
  const encoding = /\r\ntransfer-encoding:[ \t]*([^\r]*)/i.exec(head)?.[1].trim().toLowerCase();
  if (encoding !== undefined) {
    if (encoding !== 'chunked') throw new ProtocolError(`unsupported Transfer-Encoding: ${encoding}`);
    return chunkedBody(buffer, bodyStart);
  }
  const length = contentLength(head, status);
  if (length === undefined) return null;
  if (buffer.length < bodyStart + length) return undefined;
  return { body: buffer.toString('utf8', bodyStart, bodyStart + length), end: bodyStart + length };
}

/** The Content-Length; undefined when the head gives none for a status that has a body. */
function contentLength(head: string, status: number): number | undefined {
  const match = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)/i.exec(head);
  if (!match) {
    // These never carry a body, so they need no length.
    return status < 200 || status === 204 || status === 304 ? 0 : undefined;
  }
  const length = Number(match[1]);
  if (length > MAX_BODY_BYTES) throw new ProtocolError(`response body too large (${length} bytes)`);
  return length;
}

/** A body without a length: legal only when the server closes after it, and whole only once it has. */
function untilClose(buffer: Buffer, bodyStart: number, keepAlive: boolean, ended: boolean): Frame | undefined {
  if (keepAlive) throw new ProtocolError('response without Content-Length or Transfer-Encoding: chunked');
  if (buffer.length - bodyStart > MAX_BODY_BYTES)
    throw new ProtocolError(`response body too large (over ${MAX_BODY_BYTES} bytes)`);
  return ended ? { body: buffer.toString('utf8', bodyStart), end: buffer.length } : undefined;
}

/** Joins the chunks of a chunked body; trailer fields, if any, are skipped. */
function chunkedBody(buffer: Buffer, bodyStart: number): Frame | undefined {
  const chunks: Buffer[] = [];
  let size = 0;
  let offset = bodyStart;
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, offset);
    if (lineEnd < 0) return undefined;
    const line = buffer.toString('latin1', offset, lineEnd);
    const match = CHUNK_SIZE.exec(line);
    if (!match) throw new ProtocolError(`bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`);
    const chunkSize = parseInt(match[1], 16);
    if (chunkSize === 0) {
      const end = trailerEnd(buffer, lineEnd + 2);
      return end < 0 ? undefined : { body: Buffer.concat(chunks, size).toString('utf8'), end };
    }
    size += chunkSize;
    if (size > MAX_BODY_BYTES)
      throw new ProtocolError(`response body too large (over ${MAX_BODY_BYTES} bytes chunked)`);
    const dataEnd = lineEnd + 2 + chunkSize;
    if (buffer.length < dataEnd + 2) return undefined;
    const crlf = buffer[dataEnd] === 0x0d && buffer[dataEnd + 1] === 0x0a;
    if (!crlf) throw new ProtocolError('chunk data not followed by CRLF');
    chunks.push(buffer.subarray(lineEnd + 2, dataEnd));
    offset = dataEnd + 2;
  }
}

/** The offset after the empty line that ends the trailer section, or -1 when not yet here. */
function trailerEnd(buffer: Buffer, start: number): number {
  let offset = start;
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, offset);
    if (lineEnd < 0) {
      if (buffer.length - start > MAX_HEAD_BYTES) throw new ProtocolError('chunked trailer too long');
      return -1;
    }
    if (lineEnd === offset) return lineEnd + 2;
    offset = lineEnd + 2;
  }
}
