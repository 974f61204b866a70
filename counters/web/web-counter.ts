import http from 'node:http';
import { CounterError, type Counter, type CounterFactory, type TargetClock } from '../counter.js';
import { Endpoint } from './endpoint.js';
import { HttpConnection, type Target } from './http-connection.js';
import { nativeLoader, openNativeEngine } from './native-engine.js';
import type { WebCounterOptions } from './web-counter-options.js';

/** One simulated user of a web counter: a keep-alive connection and prebuilt requests. */
class WebCounter implements Counter {
  readonly retryCount = 0;
  private readonly connection: HttpConnection;
  private readonly inc: Endpoint;
  private readonly resetCall: Endpoint;
  private readonly countCall: Endpoint;

  constructor(target: Target, private readonly options: WebCounterOptions) {
    this.connection = new HttpConnection(target, options.timeoutMs);
    this.inc = new Endpoint('POST', '/inc', target);
    const token = options.resetToken;
    this.resetCall = new Endpoint('POST', '/reset', target, token ? `Authorization: Bearer ${token}\r\n` : '');
    this.countCall = new Endpoint('GET', '/count', target);
  }

  increment(): Promise<number | undefined> {
    const { countField } = this.options;
    return this.connection.request(this.inc.request).then((response) => this.inc.count(response, countField));
  }

  async read(): Promise<number> {
    const response = await this.connection.request(this.countCall.request);
    const count = this.countCall.count(response, this.options.countField);
    if (count === undefined) throw this.countCall.noCount(response);
    return count;
  }

  /** The server's answer to a reset is not read: counter services answer it in many shapes. */
  async reset(): Promise<void> {
    this.resetCall.checkStatus(await this.connection.request(this.resetCall.request));
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}

/**
 * The first target's clock, from the Date header of its answer to GET /count. The header counts
 * whole seconds, and a server may send one up to a second old (uWebSockets renews it once a
 * second): the clock stood somewhere in the two seconds from the one it names.
 */
function dateHeader(target: Target): Promise<TargetClock> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: target.host, port: target.port, path: '/count', timeout: 5000 }, (response) => {
      response.resume();
      const atMs = Date.parse(response.headers.date ?? '');
      if (Number.isNaN(atMs)) reject(new CounterError(`${target.host}:${target.port} sent no Date header to read its clock by`, 'backend'));
      else resolve({ atUs: atMs * 1000, resolutionUs: 2e6, against: "the server's Date header" });
    });
    request.on('timeout', () => request.destroy(new Error('no answer in 5 s')));
    request.on('error', (err) => reject(new CounterError(`${target.host}:${target.port}: cannot read its clock (${err.message})`, 'backend')));
  });
}

/**
 * Spreads users over the targets round-robin: several servers can share one counter. The load's
 * increments run on the native engine when it loads; the tester's own calls (reset, reads) and
 * the JS engine use one WebCounter per user.
 */
export function webCounterFactory(options: WebCounterOptions): CounterFactory {
  let openedCount = 0;
  const native = options.engine === 'js' ? undefined : nativeLoader();
  return {
    name: 'web',
    promisesExact: true,
    linearizable: true,
    async open() {
      return new WebCounter(options.targets[openedCount++ % options.targets.length], options);
    },
    openEngine: native && ((clientCount) => openNativeEngine(native, options, clientCount)),
    readClock: () => dateHeader(options.targets[0]),
    async close() {},
  };
}
