import net from 'node:net';
import { isMainThread } from 'node:worker_threads';
import {
  type HttpLoader,
  type HttpLoaderModule,
  loadHttpLoader,
  type LoaderCalls,
  type LoaderSides,
} from '../../native/http-loader.js';
import {
  CounterError,
  type EngineCalls,
  type EnginePlan,
  type EngineRunEnd,
  type ErrorKind,
  type IncrementEngine,
  REFUSED_PAUSE_MS,
} from '../counter.js';
import { OWN_ANSWER } from './answer-count.js';
import { Endpoint } from './endpoint.js';
import type { Target } from './http-connection.js';
import { MAX_BODY_BYTES, MAX_HEAD_BYTES, ProtocolError, ResponseParser } from './response-parser.js';
import type { WebCounterOptions } from './web-counter-options.js';

/**
 * The web counter's engine: the addon's epoll loop makes the calls; this side turns what it
 * could not settle (answers other than {"count":N}, failures) into the values and CounterErrors
 * the JS client would have produced, with the same Endpoint and ResponseParser.
 */
class NativeEngine implements IncrementEngine {
  constructor(
    private readonly loader: HttpLoader,
    /** Names the side codes: the addon's own tables. */
    private readonly codes: Pick<HttpLoaderModule, 'sideTypes' | 'errorKinds'>,
    private readonly targets: Target[],
    private readonly endpoints: Endpoint[],
    private readonly countField: string | undefined,
  ) {}

  run(plan: EnginePlan): Promise<EngineRunEnd> {
    return new Promise((resolve, reject) => {
      this.loader.run(plan, (result) => {
        if (result.error !== undefined) reject(new Error(`native engine: ${result.error}`));
        else resolve({ ...this.judge(result), endUs: result.endUs, loopTime: result.loopTime });
      });
    });
  }

  drain(): EngineCalls {
    return this.judge(this.loader.drain());
  }

  async close(): Promise<void> {
    this.loader.close();
  }

  private judge(result: LoaderCalls): EngineCalls {
    const errors = new Map<number, CounterError>();
    const { sides } = result;
    for (let k = 0; k < sides.index.length; k++) {
      try {
        result.values[sides.index[k]] = this.settle(sides, k) ?? NaN;
      } catch (err) {
        if (!(err instanceof CounterError)) throw err;
        errors.set(sides.index[k], err);
      }
    }
    // Every other call was our own answer, its value read by the loop.
    const { clientIndex, dueUs, invokeUs, completeUs, values, watermarkUs } = result;
    return { length: clientIndex.length, clientIndex, dueUs, invokeUs, completeUs, values, errors, watermarkUs };
  }

  /** The value of a side answer, or throws the CounterError the JS client would have failed with. */
  private settle(sides: LoaderSides, k: number): number | undefined {
    const target = sides.target[k];
    const bytes = sides.bytes.subarray(k === 0 ? 0 : sides.end[k - 1], sides.end[k]);
    const flag = sides.flag[k] === 1;
    const type = this.codes.sideTypes[sides.type[k]];
    switch (type) {
      case 'answer': {
        const response = { status: sides.status[k], body: bytes.toString('utf8'), keepAlive: flag };
        return this.endpoints[target].count(response, this.countField);
      }
      case 'error':
        throw new CounterError(bytes.toString('utf8'), this.codes.errorKinds[sides.kind[k]] as ErrorKind);
      case 'unframed': {
        const { host, port } = this.targets[target];
        throw new CounterError(`${host}:${port}: ${unframedReason(bytes, flag)}`, 'protocol');
      }
      default:
        // A code without a name: an addon from another build. Fail loudly rather than count the call.
        throw new Error(`native engine: side type ${sides.type[k]} has no name`);
    }
  }
}

/** Why the JS parser refuses these bytes: the same words as the JS client's protocol errors. */
function unframedReason(bytes: Buffer, ended: boolean): string {
  const parser = new ResponseParser(() => {});
  try {
    parser.feed(bytes);
    if (ended) parser.end();
  } catch (err) {
    if (err instanceof ProtocolError) return err.message;
    throw err;
  }
  return `answer could not be framed: ${JSON.stringify(bytes.subarray(0, 80).toString('latin1'))}`;
}

/**
 * The address Node itself would connect to (it may try IPv6 and IPv4 for a name such as
 * localhost); when nothing answers, the first address the name resolves to.
 */
async function peerAddress(target: Target, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port, timeout: timeoutMs });
    const done = (address: string) => {
      socket.destroy();
      resolve(address);
    };
    socket.once('connect', () => done(socket.remoteAddress ?? target.host));
    socket.once('error', () => {
      if (net.isIP(target.host)) done(target.host);
      else void lookupFirst(target.host).then(done);
    });
    socket.once('timeout', () => socket.destroy(new Error('timeout')));
  });
}

async function lookupFirst(host: string): Promise<string> {
  const { lookup } = await import('node:dns/promises');
  return lookup(host).then(
    (found) => found.address,
    () => host,
  );
}

let loaded: HttpLoaderModule | string | undefined;

/** The addon's loop, or undefined (with a one-line note on stderr, once) when it cannot load. */
export function nativeLoader(): HttpLoaderModule | undefined {
  if (loaded === undefined) {
    loaded = loadHttpLoader();
    if (typeof loaded === 'string' && isMainThread) {
      process.stderr.write(`tester: ${loaded}; using the JS web client, about 0.7x as fast\n`);
    }
  }
  return typeof loaded === 'string' ? undefined : loaded;
}

/** Opens `clientCount` clients on the native loop, spread over the targets as `open()` spreads them. */
export async function openNativeEngine(
  native: HttpLoaderModule,
  options: WebCounterOptions,
  clientCount: number,
): Promise<IncrementEngine> {
  const { targets, timeoutMs, countField } = options;
  const endpoints = targets.map((target) => new Endpoint('POST', '/inc', target));
  const addresses = await Promise.all(targets.map((target) => peerAddress(target, timeoutMs)));
  const loader = new native.HttpLoader({
    targets: targets.map((target, i) => ({
      name: `${target.host}:${target.port}`,
      address: addresses[i],
      port: target.port,
      request: endpoints[i].request,
    })),
    clientCount,
    // The loop's rules, each from its one home, the same the JS client runs by.
    timeoutMs,
    refusedPauseMs: REFUSED_PAUSE_MS,
    maxHeadBytes: MAX_HEAD_BYTES,
    maxBodyBytes: MAX_BODY_BYTES,
    // A count field of the user's: no answer is ours to read in the loop.
    ownAnswer: countField === undefined ? OWN_ANSWER : null,
  });
  return new NativeEngine(loader, native, targets, endpoints, countField);
}
