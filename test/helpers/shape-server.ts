import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How one counter service answers: the body for each endpoint, given the count after the call. */
export interface AnswerShape {
  inc(count: number): string;
  read(count: number): string;
  reset?: string;
  /** How answers are framed (default `length`: Content-Length, keep-alive). */
  framing?: Framing;
  /** Every request gets this status and an error body (a server that is not a counter). */
  status?: number;
  /** Every `loseEvery`-th increment is acknowledged but not counted (a broken counter). */
  loseEvery?: number;
  /** Every `failEvery`-th increment is refused with 503 and not counted. */
  failEvery?: number;
}

/**
 * `chunked`: Transfer-Encoding: chunked, a chunk per two characters; `length-then-close`:
 * Content-Length and `Connection: close`; `until-close`: no length, the close ends the body
 * (as HTTP/1.0 servers answer).
 */
export type Framing = 'length' | 'chunked' | 'length-then-close' | 'until-close';

export interface ShapeServer {
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: string, framing: Framing): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  if (framing === 'length-then-close' || framing === 'until-close') res.setHeader('Connection', 'close');
  if (framing === 'length' || framing === 'length-then-close') {
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    return;
  }
  // Without a Content-Length Node's server frames the writes as chunks, unless told not to.
  if (framing === 'until-close') res.useChunkedEncodingByDefault = false;
  for (let i = 0; i < body.length; i += 2) res.write(body.slice(i, i + 2));
  res.end();
}

/** A real HTTP/1.1 counter on 127.0.0.1 (a free port) that answers in the given shape. */
export async function startShapeServer(shape: AnswerShape): Promise<ShapeServer> {
  let count = 0;
  let incCount = 0;
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: string) => send(res, status, body, shape.framing ?? 'length');
    if (shape.status !== undefined) return answer(shape.status, '{"error":"not implemented"}');
    const route = `${req.method} ${req.url}`;
    if (route === 'POST /reset') {
      count = 0;
      return answer(200, shape.reset ?? shape.read(0));
    }
    if (route === 'POST /inc') {
      incCount++;
      if (shape.failEvery && incCount % shape.failEvery === 0) return answer(503, '{"error":"busy"}');
      if (!shape.loseEvery || incCount % shape.loseEvery !== 0) count++;
      return answer(200, shape.inc(count));
    }
    if (route === 'GET /count') return answer(200, shape.read(count));
    answer(404, '{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
