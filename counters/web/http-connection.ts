import net from 'node:net';
import { CounterError } from '../counter.js';
import { startWatchdog } from '../watchdog.js';
import { type ParsedResponse, ProtocolError, ResponseParser } from './response-parser.js';

export interface Target {
  host: string;
  port: number;
}

/**
 * One keep-alive HTTP/1.1 connection over a raw socket, one request at a time (a simulated
 * user makes its calls in sequence). A connection that failed is reopened on the next
 * request; failures become CounterErrors whose kind tells the checker whether the request
 * may have been applied.
 */
export class HttpConnection {
  private socket: net.Socket | undefined;
  private parser: ResponseParser | undefined;
  private waiter: { resolve(response: ParsedResponse): void; reject(err: CounterError): void } | undefined;
  private sentAtMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: Target,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Sends prebuilt request bytes and resolves with the parsed response. Not async: on an open
   * connection the bytes leave in this very call, without an extra promise hop per request.
   */
  request(bytes: Buffer): Promise<ParsedResponse> {
    if (this.socket) return this.send(this.socket, bytes);
    return this.open().then((socket) => this.send(socket, bytes));
  }

  private send(socket: net.Socket, bytes: Buffer): Promise<ParsedResponse> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.sentAtMs = performance.now();
      socket.write(bytes);
    });
  }

  close(): void {
    this.drop(new CounterError('connection closed', 'reset'));
  }

  private open(): Promise<net.Socket> {
    const { host, port } = this.target;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      const timer = setTimeout(() => socket.destroy(new Error('connect timed out')), this.timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new CounterError(`cannot connect to ${host}:${port}: ${err.message}`, 'refused', { cause: err }));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        this.attach(socket);
        resolve(socket);
      });
    });
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this.parser = new ResponseParser((response) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      // The server closes this connection after the response: the next request must not be sent on it.
      if (!response.keepAlive) this.drop(new CounterError('connection closed after the response', 'reset'));
      if (waiter) waiter.resolve(response);
      else this.drop(new CounterError('server sent an unrequested response', 'protocol'));
    });
    socket.on('data', (chunk: Buffer) => this.parse(chunk));
    // The server's end of the stream completes a response framed by the close, if one is pending.
    socket.on('end', () => this.parse(undefined));
    socket.on('error', (err) =>
      this.drop(new CounterError(`connection error: ${err.message}`, 'reset', { cause: err })),
    );
    socket.on('close', () => this.drop(new CounterError('connection closed by server', 'reset')));
    this.timer = startWatchdog(
      this.timeoutMs,
      () => (this.waiter ? this.sentAtMs : 0),
      () => this.drop(new CounterError(`no answer within ${this.timeoutMs} ms`, 'timeout')),
    );
  }

  /** Feeds a chunk (or the stream's end) to the parser; bytes it cannot frame fail the request in flight. */
  private parse(chunk: Buffer | undefined): void {
    try {
      if (chunk) this.parser?.feed(chunk);
      else this.parser?.end();
    } catch (err) {
      const { host, port } = this.target;
      this.drop(new CounterError(`${host}:${port}: ${(err as ProtocolError).message}`, 'protocol', { cause: err }));
    }
  }

  /** Forgets the socket (the next request reconnects) and fails the request in flight. */
  private drop(err: CounterError): void {
    const socket = this.socket;
    this.socket = undefined;
    this.parser = undefined;
    clearInterval(this.timer);
    if (socket) {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
    }
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(err);
  }
}

/** The request bytes, built once per client. */
export function buildRequest(method: 'GET' | 'POST', path: string, target: Target, extraHeaders = ''): Buffer {
  const body = method === 'POST' ? 'Content-Length: 0\r\n' : '';
  return Buffer.from(
    `${method} ${path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n${extraHeaders}${body}\r\n`,
    'latin1',
  );
}
