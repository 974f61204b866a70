import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Store } from './stores/store.js';
import type { ErrorLog } from './error-log.js';

export const MAX_BODY_BYTES = 1024;

const JSON_TYPE = 'application/json';
const ALLOWED: Record<string, string> = { '/inc': 'POST', '/reset': 'POST', '/count': 'GET', '/health': 'GET' };

export interface RouteContext {
  store: Store;
  errors: ErrorLog;
  tracker: InFlight;
  workerCount: number;
  /** When set, POST /reset needs `Authorization: Bearer <token>`. */
  resetToken: string | undefined;
}

/** Answers still owed to clients: a stopping worker waits for them. */
export interface InFlight {
  inFlightCount: number;
}

/**
 * Writes a whole JSON answer. A client that pipelines requests but never reads would make
 * uWS queue answers without limit: when the socket cannot take this one, drop the client.
 */
function send(
  res: HttpResponse,
  status: string,
  body: string,
  closeConnection = false,
  headers?: Record<string, string>,
): void {
  res.writeStatus(status).writeHeader('Content-Type', JSON_TYPE);
  if (headers) for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
  if (closeConnection) {
    res.end(body, true);
    return;
  }
  const [written] = res.tryEnd(body, Buffer.byteLength(body));
  if (!written) res.close();
}

function countBody(count: number): string {
  return '{"count":' + count + '}';
}

function errorBody(message: string): string {
  return JSON.stringify({ error: message });
}

/** What a client learns of a store failure: the limit and a busy lock are its business; paths and causes are not. */
const STORE_ERROR_BODIES = new Map<unknown, string>([
  [
    'EOVERFLOW',
    errorBody('counter reached 2^53-1 (Number.MAX_SAFE_INTEGER), the most a JSON number holds exactly: POST /reset'),
  ],
  ['ELOCKTIMEOUT', errorBody('storage busy: another process holds the counter lock')],
]);
const UNAVAILABLE_BODY = errorBody('storage unavailable');

function storeErrorBody(err: unknown): string {
  return STORE_ERROR_BODIES.get((err as { code?: unknown } | undefined)?.code) ?? UNAVAILABLE_BODY;
}

/**
 * Answers with a store's result. Local stores return a number and are answered at once,
 * still inside uWS's implicit cork. Remote stores return a promise: the abort handler is
 * attached first, and the late answer is written inside cork() unless the client left.
 */
function answer<T>(
  res: HttpResponse,
  result: () => T | Promise<T>,
  render: (value: T) => string,
  errors: ErrorLog,
  tracker: InFlight,
): void {
  let value: T | Promise<T>;
  try {
    value = result();
  } catch (err) {
    errors.report(err);
    send(res, '503 Service Unavailable', storeErrorBody(err));
    return;
  }
  if (!(value instanceof Promise)) {
    send(res, '200 OK', render(value));
    return;
  }
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  tracker.inFlightCount++;
  value
    .then(
      (resolved) => {
        if (!aborted) res.cork(() => send(res, '200 OK', render(resolved)));
      },
      (err: unknown) => {
        errors.report(err);
        if (!aborted) res.cork(() => send(res, '503 Service Unavailable', storeErrorBody(err)));
      },
    )
    .finally(() => tracker.inFlightCount--);
}

/**
 * Runs `then` once the request body is consumed, refusing bodies over MAX_BODY_BYTES with 413.
 * The common case (no body) costs one header lookup.
 */
function afterBody(res: HttpResponse, req: HttpRequest, then: () => void): void {
  const declared = req.getHeader('content-length');
  const chunked = req.getHeader('transfer-encoding') !== '';
  if (!chunked && (declared === '' || declared === '0')) {
    then();
    return;
  }
  if (Number(declared) > MAX_BODY_BYTES) {
    // The body is not read, so the connection cannot be reused.
    send(res, '413 Payload Too Large', errorBody(`body over ${MAX_BODY_BYTES} bytes`), true);
    return;
  }
  let received = 0;
  let done = false;
  res.onAborted(() => {
    done = true;
  });
  res.onData((chunk, isLast) => {
    if (done) return;
    received += chunk.byteLength;
    if (received > MAX_BODY_BYTES) {
      done = true;
      res.cork(() => send(res, '413 Payload Too Large', errorBody(`body over ${MAX_BODY_BYTES} bytes`), true));
    } else if (isLast) {
      done = true;
      res.cork(then);
    }
  });
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
function authorized(req: HttpRequest, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(req.getHeader('authorization'));
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function addRoutes(app: TemplatedApp, context: RouteContext): TemplatedApp {
  const { store, errors, tracker, workerCount, resetToken } = context;
  const increment = () => store.increment();
  const reset = () => store.reset();
  const read = () => store.read();
  const zero = () => countBody(0);
  return app
    .post('/inc', (res, req) => afterBody(res, req, () => answer(res, increment, countBody, errors, tracker)))
    .post('/reset', (res, req) => {
      if (!authorized(req, resetToken)) {
        send(res, '401 Unauthorized', errorBody('POST /reset needs Authorization: Bearer <RESET_TOKEN>'), false, {
          'WWW-Authenticate': 'Bearer',
        });
        return;
      }
      afterBody(res, req, () => answer(res, reset, zero, errors, tracker));
    })
    .get('/count', (res) => answer(res, read, countBody, errors, tracker))
    .get('/health', (res) =>
      send(
        res,
        '200 OK',
        JSON.stringify({ status: 'ok', storage: store.description, workers: workerCount, pid: process.pid }),
      ),
    )
    .any('/*', (res, req) => {
      const allowed = ALLOWED[req.getUrl()];
      if (allowed) {
        send(res, '405 Method Not Allowed', errorBody(`use ${allowed} ${req.getUrl()}`), false, { Allow: allowed });
      } else {
        send(res, '404 Not Found', errorBody(`no such endpoint; try POST /inc, POST /reset, GET /count, GET /health`));
      }
    });
}
