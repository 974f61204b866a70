import { type Counter, CounterError, type CounterFactory } from '../counter.js';
import { buildRequest, HttpConnection, type Target } from './http-connection.js';
import type { ParsedResponse } from './response-parser.js';

export interface WebCounterOptions {
  targets: Target[];
  timeoutMs: number;
  /** Sent with POST /reset when the server was started with RESET_TOKEN. */
  resetToken?: string;
}

/** One simulated user of the web counter: a keep-alive connection and prebuilt requests. */
class WebCounter implements Counter {
  readonly retryCount = 0;
  private readonly connection: HttpConnection;
  private readonly incRequest: Buffer;
  private readonly resetRequest: Buffer;
  private readonly countRequest: Buffer;

  constructor(target: Target, timeoutMs: number, resetToken: string | undefined) {
    this.connection = new HttpConnection(target, timeoutMs);
    this.incRequest = buildRequest('POST', '/inc', target);
    this.resetRequest = buildRequest('POST', '/reset', target, resetToken ? `Authorization: Bearer ${resetToken}\r\n` : '');
    this.countRequest = buildRequest('GET', '/count', target);
  }

  increment(): Promise<number> {
    return this.call(this.incRequest);
  }

  read(): Promise<number> {
    return this.call(this.countRequest);
  }

  async reset(): Promise<void> {
    await this.call(this.resetRequest);
  }

  async close(): Promise<void> {
    this.connection.close();
  }

  private call(request: Buffer): Promise<number> {
    return this.connection.request(request).then(countOf);
  }
}

/** The count of a 200 answer; any other answer is the call's error. */
function countOf(response: ParsedResponse): number {
  if (response.status === 401) {
    throw new CounterError('server answered 401: it needs a reset token (set RESET_TOKEN or --reset-token)', 'http_status');
  }
  if (response.status !== 200) throw new CounterError(`server answered ${response.status}`, 'http_status');
  if (Number.isNaN(response.count)) throw new CounterError('answer has no count', 'protocol');
  return response.count;
}

/** Spreads users over the targets round-robin: several servers can share one counter. */
export function webCounterFactory(options: WebCounterOptions): CounterFactory {
  let openedCount = 0;
  return {
    name: 'web',
    promisesExact: true,
    linearizable: true,
    async open() {
      const target = options.targets[openedCount++ % options.targets.length];
      return new WebCounter(target, options.timeoutMs, options.resetToken);
    },
    async close() {},
  };
}
