import { CounterError } from '../counter.js';
import { quoteBody, readCount } from './answer-count.js';
import { buildRequest, type Target } from './http-connection.js';
import { ProtocolError, type ParsedResponse } from './response-parser.js';

const NOT_A_COUNTER = ': is it a counter server? The tester needs POST /reset, POST /inc and GET /count';
/** What a status most likely means for a tester run, when it is not a passing failure of the server. */
const STATUS_HINTS: Record<number, string> = {
  401: ': it needs a reset token (set RESET_TOKEN or --reset-token)',
  404: NOT_A_COUNTER,
  405: NOT_A_COUNTER,
  501: NOT_A_COUNTER,
};

/** One endpoint of the counter service: its prebuilt request and how to name it in errors. */
export class Endpoint {
  readonly request: Buffer;
  /** "127.0.0.1:8080 POST /inc", to name the call in one-line errors. */
  private readonly name: string;

  constructor(method: 'GET' | 'POST', path: string, target: Target, extraHeaders = '') {
    this.request = buildRequest(method, path, target, extraHeaders);
    this.name = `${target.host}:${target.port} ${method} ${path}`;
  }

  /** Any 2xx answer is the call's success; any other is its error. */
  checkStatus(response: ParsedResponse): ParsedResponse {
    const { status } = response;
    if (status >= 200 && status < 300) return response;
    throw new CounterError(`${this.name} answered status ${status}${STATUS_HINTS[status] ?? ''}`, 'http_status');
  }

  /** The count of a 2xx answer; undefined when the answer carries none. */
  count(response: ParsedResponse, countField: string | undefined): number | undefined {
    try {
      return readCount(this.checkStatus(response).body, countField);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      throw new CounterError(`${this.name}: ${err.message}`, 'protocol', { cause: err });
    }
  }

  /** A read must carry the count: without it nothing can be checked. */
  noCount(response: ParsedResponse): CounterError {
    const hint = 'answer {"count":N}, {"value":N} or a bare N, or name the field with --count-field';
    return new CounterError(`${this.name} answered without a count, ${quoteBody(response.body)}: ${hint}`, 'protocol');
  }
}
