import http from 'node:http';
import type { Duplex } from 'node:stream';
import { ConfigError } from '../backends/env.js';

/**
 * uWebSockets.js 20.30 parses only request lines ending in exactly "HTTP/1.1": anything else
 * (HTTP/1.0, a garbage line, CONNECT, over 48 headers) counts as an unfinished request and idles
 * until its 10 s timer closes the socket without a word. The library has no hook to answer
 * those. This front, on its own port, parses any HTTP/1.x request with node:http and relays it
 * to the uWS listener over kept-alive HTTP/1.1 connections, so ab and `curl --http1.0` get
 * answers while the routes keep one home and the uWS hot path stays untouched.
 */

/** Only the request headers the routes read travel on: uWS would stall on over 48 header lines. */
const FORWARDED_HEADERS = ['authorization', 'content-length', 'content-type', 'transfer-encoding'];
/** Hop-by-hop answer headers belong to the upstream connection; node:http writes its own Date. */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);
/** node:http parser errors and the status that names each. */
const PARSE_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_INVALID_VERSION: '505 HTTP Version Not Supported',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/** Where requests are relayed: the uWS listener, over kept-alive connections. */
interface Upstream {
  agent: http.Agent;
  host: string;
  port: number;
}

export interface Http10FrontOptions {
  host: string;
  port: number;
  upstreamPort: number;
}

function jsonError(message: string): string {
  return JSON.stringify({ error: message });
}

/** A JSON error of the front's own, the connection closed after it. */
function refuse(response: http.ServerResponse, status: number, message: string): void {
  const body = jsonError(message);
  const length = Buffer.byteLength(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': length, Connection: 'close' });
  response.end(body);
}

/** A whole answer on a raw socket, for requests that never became a node:http request. */
function endSocket(socket: Duplex, status: string, message: string): void {
  const body = jsonError(message);
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

/** The address the relay dials: a wildcard listener is reached on loopback. */
function upstreamHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/**
 * The request target as a path: uWS stalls on any other form, such as the absolute form
 * ("GET http://host/inc") that clients speaking to a proxy send. Undefined for "*" and the like.
 */
function originForm(target: string): string | undefined {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return url.pathname.startsWith('/') ? url.pathname + url.search : undefined;
  } catch {
    return undefined;
  }
}

function forwardedHeaders(request: http.IncomingMessage): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const name of FORWARDED_HEADERS) if (request.headers[name] !== undefined) headers[name] = request.headers[name];
  // An HTTP/1.0 request without Content-Length has no body; say so, or node would send chunked.
  if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
    headers['content-length'] = '0';
  }
  return headers;
}

function answerHeaders(answer: http.IncomingMessage): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(answer.headers)) if (!DROPPED_HEADERS.has(name)) headers[name] = value;
  return headers;
}

function relay(request: http.IncomingMessage, response: http.ServerResponse, upstreamAt: Upstream): void {
  if (request.httpVersionMajor !== 1) {
    refuse(response, 505, `HTTP/${request.httpVersion} is not served: use HTTP/1.0 or HTTP/1.1`);
    return;
  }
  const path = originForm(request.url ?? '');
  if (path === undefined) {
    refuse(response, 400, `cannot serve target ${JSON.stringify(request.url)}: use a path such as /inc`);
    return;
  }
  const { agent, host, port } = upstreamAt;
  let answer: http.IncomingMessage | undefined;
  const upstream = http.request(
    { host, port, agent, method: request.method, path, headers: forwardedHeaders(request) },
    (upstreamAnswer) => {
      answer = upstreamAnswer;
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, answerHeaders(answer));
      answer.pipe(response);
    },
  );
  upstream.on('error', (err) => {
    // uWS closes after refusing a body (413) while it may still be arriving: the answer is whole.
    if (answer?.complete) return;
    if (response.headersSent) {
      response.destroy();
      return;
    }
    refuse(response, 502, `counter server on port ${port} did not answer: ${err.message}`);
  });
  // A client that leaves early takes its upstream exchange with it.
  response.on('close', () => !response.writableFinished && upstream.destroy());
  request.pipe(upstream);
}

/** Starts the front; resolves once it listens, rejects with a one-line ConfigError when it cannot. */
export function openHttp10Front(options: Http10FrontOptions): Promise<http.Server> {
  const agent = new http.Agent({ keepAlive: true });
  const upstream = { agent, host: upstreamHost(options.host), port: options.upstreamPort };
  const server = http.createServer((request, response) => relay(request, response, upstream));
  // A client may half-close once its request is sent (nc -N, scripts): answer it, as uWS does,
  // instead of node's default of dropping the request on the client's FIN.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('connect', (_request: http.IncomingMessage, socket: Duplex) =>
    endSocket(socket, '405 Method Not Allowed', 'CONNECT is not served: this is a counter, not a proxy'),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = PARSE_ERROR_STATUS[err.code ?? ''] ?? '400 Bad Request';
    endSocket(socket, status, `malformed request (${err.code ?? err.message})`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          err.code === 'EADDRINUSE'
            ? `HTTP10_PORT ${options.port} is already in use on ${options.host}: choose another HTTP10_PORT`
            : `cannot listen on ${options.host}:${options.port} (HTTP10_PORT): ${err.message}`,
        ),
      ),
    );
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => resolve(server));
  });
}
