import type { Counter, CounterFactory } from '../counter.js';
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
    async close() {},
  };
}
