/** One parsed HTTP response: its status, and the `count` of its JSON body (NaN when absent). */
export interface ParsedResponse {
  status: number;
  count: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** Longer header sections are not something our server sends: refuse rather than buffer forever. */
const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
/** "HTTP/1.1 200 OK": exactly three status digits, then a space, the line's end or nothing. */
const STATUS_LINE = /^HTTP\/1\.\d (\d{3})(?:[ \r]|$)/;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Incremental HTTP/1.1 response parser for Content-Length framed answers. It accepts the
 * stream cut anywhere: bytes that do not yet make a whole response wait for the next chunk.
 * The usual case, one whole response per chunk, is parsed without copying.
 */
export class ResponseParser {
  private pending: Buffer | undefined;

  constructor(private readonly onResponse: (response: ParsedResponse) => void) {}

  /** Throws ProtocolError on input that is not a response we can frame. */
  feed(chunk: Buffer): void {
    let buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
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
    if (!head.startsWith('HTTP/1.')) throw new ProtocolError(`not an HTTP/1.x response: ${JSON.stringify(head.slice(0, 40))}`);
    const status = Number(STATUS_LINE.exec(head)?.[1]);
    if (!(status >= 100 && status <= 599)) throw new ProtocolError(`bad status line: ${JSON.stringify(head.split('\r\n')[0])}`);
    const length = contentLength(head);
    const bodyStart = headEnd + 4;
    if (buffer.length < bodyStart + length) return -1;
    this.onResponse({ status, count: parseCount(buffer.toString('latin1', bodyStart, bodyStart + length)) });
    return bodyStart + length;
  }
}

function contentLength(head: string): number {
  const match = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)/i.exec(head);
  if (!match) {
    if (/\r\ntransfer-encoding:/i.test(head)) throw new ProtocolError('chunked responses are not supported');
    throw new ProtocolError('response without Content-Length');
  }
  const length = Number(match[1]);
  if (length > MAX_BODY_BYTES) throw new ProtocolError(`response body too large (${length} bytes)`);
  return length;
}

function parseCount(body: string): number {
  const match = /"count"\s*:\s*(\d+)/.exec(body);
  return match ? Number(match[1]) : NaN;
}
