import { Command, Option, UsageError } from 'clipanion';
import fs from 'node:fs';
import { parseBoolean } from '../../backends/env.js';
import type { CounterSpec } from '../load/counter-spec.js';
import { ServerStartError } from '../harness/server-launcher.js';
import { HISTORY_FORMATS, type HistoryFormat, writeHistory } from '../history/history-writer.js';
import { ConnectError, type RecordedLoad, recordLoad } from '../load/run-load.js';
import { FaultChoiceError, parseFaultList } from '../nemesis/catalogue.js';
import { healDeadTesters, healedLine } from '../nemesis/heal.js';
import { StateDirError } from '../nemesis/leftovers.js';
import { prepareRun, type PreparedRun } from '../nemesis/nemesis-setup.js';
import { nemesisEventLine } from '../output/nemesis-line.js';
import { parseServerEnv } from './parse-server-env.js';
import { applyThresholds, type Thresholds } from '../load/thresholds.js';
import { progressBar } from '../output/progress-bar.js';
import { extraBlock, rateWarning, referenceBlock } from '../output/result-text.js';
import { reportHtml } from '../report/report-html.js';
import { runReport } from '../report/run-report.js';
import { parseDurationMs } from './parse-duration.js';
import { renamedFlag } from './renamed-flag.js';
import { wholeNumber } from './whole-number.js';

export const COUNTER_TYPES = ['web', 'postgresql', 'hazelcast'] as const;
export type CounterType = (typeof COUNTER_TYPES)[number];

/** Exit codes, as the README documents them. */
export const EXIT = { passed: 0, failed: 1, usage: 2, connect: 3 } as const;

/**
 * Options and flow shared by every load command: `tester web|postgresql|hazelcast` and the
 * reference's `tester --counter-type ...`. Subclasses only name their counter type.
 */
export abstract class LoadCommand extends Command {
  counterTypeOption = Option.String('--counter-type', {
    description: 'web, postgresql or hazelcast (the reference form; the subcommand names it otherwise)',
  });
  // Checked in execute(): clipanion reports a missing required option as "command not found".
  clientCount = Option.String('--n-clients', {
    validator: wholeNumber(1, 100_000),
    description: 'Concurrent clients (required)',
  });
  callsPerClient = Option.String('--n-calls-per-client', '10000', {
    validator: wholeNumber(1, 1_000_000_000),
    description: 'Calls each client makes in sequence (default 10000)',
  });
  hosts = Option.String('--counter-host', process.env.COUNTER_HOST || 'localhost', {
    description: 'Web server host, or several comma-separated (default localhost or COUNTER_HOST)',
  });
  ports = Option.String('--counter-port', process.env.COUNTER_PORT || '8080', {
    description: 'Web server port, or several comma-separated (default 8080 or COUNTER_PORT)',
  });
  method = Option.String('--method', { description: 'Concurrency-control method (postgresql, hazelcast)' });
  doRetries = Option.String('--do-retries', 'False', {
    description: 'Retry serialization failures (postgresql): True/False/true/false/1/0',
  });
  clientThreads = Option.String('--client-threads', {
    validator: wholeNumber(0, 64),
    description: 'Worker threads to spread clients over (default 0: all on the main thread)',
  });
  /** The old name of --client-threads. */
  workers = Option.String('--workers', { validator: wholeNumber(0, 64), hidden: true });
  resetToken = Option.String('--reset-token', process.env.RESET_TOKEN || '', {
    description: "The server's RESET_TOKEN, sent with POST /reset (default RESET_TOKEN)",
  });
  timeoutMs = Option.String('--timeout-ms', '10000', {
    validator: wholeNumber(1, 3_600_000),
    description: 'Per-call timeout (web)',
  });
  duration = Option.String('--duration', { description: 'Run for a time (e.g. 30s, 2m) instead of a call count' });
  warmup = Option.String('--warmup', { description: 'Unrecorded calls for this long first (e.g. 5s)' });
  rate = Option.String('--rate', {
    validator: wholeNumber(1, 10_000_000),
    description: 'Open loop: total calls per second',
  });
  engine = Option.String('--engine', 'native', {
    description: 'web: native (an epoll loop on its own thread, the default) or js (Node sockets, one client each)',
  });
  countField = Option.String('--count-field', {
    description:
      'JSON field of the answers that holds the count, e.g. total or data.count (web; default count, then value)',
  });
  maxP99 = Option.String('--max-p99', {
    description: 'Threshold: fail (exit 1) when the p99 latency is above this (e.g. 5ms, 500us)',
  });
  minRps = Option.String('--min-rps', {
    validator: wholeNumber(1, 1_000_000_000),
    description: 'Threshold: fail when RPS is below this',
  });
  maxErrors = Option.String('--max-errors', {
    validator: wholeNumber(0, 1_000_000_000),
    description: 'Threshold: fail when more calls than this failed',
  });
  json = Option.Boolean('--json', false, { description: 'Print the result as one JSON object on stdout' });
  output = Option.String('--output', { description: 'Also write the JSON result to this file' });
  nemesisList = Option.String('--nemesis', {
    description:
      'Faults to inject in turn while clients run, comma-separated: kill-worker, kill-server, ' +
      'restart-postgresql, pause-postgresql, kill-member, pause-member, partition, latency',
  });
  nemesisInterval = Option.String('--nemesis-interval', '5s', {
    description: 'Healthy time before each fault, and how long each fault lasts (default 5s)',
  });
  server = Option.String('--server', {
    description: 'Start our web server with these settings, e.g. "STORAGE_METHOD=postgresql WORKERS=2" (web)',
  });
  history = Option.String('--history', {
    description: "Save every operation to this file, in Jepsen's vocabulary (see tester check)",
  });
  historyFormat = Option.String('--history-format', 'jsonl', {
    description: "jsonl (JSON Lines, default) or edn (Jepsen's EDN)",
  });
  report = Option.String('--report', {
    description: 'Write an HTML report to this file: throughput and latency over time, the verdict, its witnesses',
  });

  /** The subcommand's counter type; undefined for the reference form. */
  protected abstract readonly fixedType: CounterType | undefined;

  async execute(): Promise<number> {
    const clientCount = this.clientCount;
    if (clientCount === undefined)
      throw new UsageError('--n-clients is required: say how many clients run at once, e.g. --n-clients 10');
    const spec = await this.counterSpec();
    const thresholds = this.thresholds();
    const historyFormat = this.checkHistoryFormat();
    checkWritable('--output', this.output);
    checkWritable('--history', this.history);
    checkWritable('--report', this.report);
    await this.healDeadTesters();
    const prepared = await this.prepareRun(spec);
    if (prepared.serverTarget && spec.backend === 'web') spec.targets = [prepared.serverTarget];
    const bar = this.json
      ? { update: () => {}, stop: () => {} }
      : progressBar(this.context.stderr as NodeJS.WriteStream);
    let recorded: RecordedLoad;
    try {
      recorded = await recordLoad({
        spec,
        nemesis: prepared.nemesis,
        clientCount,
        callsPerClient: this.callsPerClient,
        durationMs: this.durationOption('--duration', this.duration),
        warmupMs: this.durationOption('--warmup', this.warmup),
        ratePerSecond: this.rate,
        workerCount: renamedFlag(
          this.context.stderr,
          { old: '--workers', current: '--client-threads' },
          { old: this.workers, current: this.clientThreads },
          0,
        ),
        onProgress: bar.update,
      });
    } finally {
      bar.stop();
      await prepared.cleanup();
    }
    const result = applyThresholds(recorded.result, thresholds);
    const warning = rateWarning(result);
    if (warning) this.context.stderr.write(warning);
    const history = { ...recorded.history, nemesisEvents: result.nemesisEvents };
    if (this.history) {
      writeHistory(
        this.history,
        { ...history, meta: { ...history.meta, thresholds: result.thresholds } },
        historyFormat,
      );
    }
    if (this.output) fs.writeFileSync(this.output, JSON.stringify(result, null, 2) + '\n');
    if (this.report) fs.writeFileSync(this.report, reportHtml({ kind: 'run', report: runReport(result, history) }));
    if (this.json) this.context.stdout.write(JSON.stringify(result) + '\n');
    else this.context.stdout.write(`${referenceBlock(result)}\n${extraBlock(result)}\n`);
    return result.passed ? EXIT.passed : EXIT.failed;
  }

  /** Undoes what testers killed during a fault left (a paused or stopped store), saying so. */
  private async healDeadTesters(): Promise<void> {
    try {
      for (const healed of await healDeadTesters()) this.context.stderr.write(`tester: ${healedLine(healed)}\n`);
    } catch (err) {
      if (err instanceof StateDirError) throw new UsageError(err.message);
      throw err;
    }
  }

  /** The server (--server) and the faults (--nemesis), ready before the first call. */
  private async prepareRun(spec: CounterSpec): Promise<PreparedRun> {
    const intervalMs = this.durationOption('--nemesis-interval', this.nemesisInterval)!;
    const stderr = this.context.stderr as NodeJS.WriteStream;
    if (intervalMs <= 0) throw new UsageError(`--nemesis-interval ${this.nemesisInterval} must be above zero, e.g. 5s`);
    try {
      return await prepareRun({
        counterType: this.counterType(),
        faultNames: this.nemesisList === undefined ? [] : parseFaultList(this.nemesisList),
        intervalMs,
        serverEnv: this.server === undefined ? undefined : parseServerEnv(this.server),
        serverPort: spec.backend === 'web' ? spec.targets[0].port : undefined,
        onEvent: (event) => stderr.write(nemesisEventLine(event, stderr.isTTY)),
      });
    } catch (err) {
      if (err instanceof FaultChoiceError) throw new UsageError(err.message);
      if (err instanceof ServerStartError) {
        throw new ConnectError(`--server: our server did not start: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }

  private checkHistoryFormat(): HistoryFormat {
    const format = this.historyFormat;
    if ((HISTORY_FORMATS as readonly string[]).includes(format)) return format as HistoryFormat;
    throw new UsageError(`--history-format ${format} is unknown: use ${HISTORY_FORMATS.join(' or ')}`);
  }

  private counterType(): CounterType {
    const given = this.counterTypeOption;
    if (given !== undefined && !(COUNTER_TYPES as readonly string[]).includes(given)) {
      throw new UsageError(`--counter-type ${given} is unknown: use one of ${COUNTER_TYPES.join(', ')}`);
    }
    if (this.fixedType && given && given !== this.fixedType) {
      throw new UsageError(`--counter-type ${given} contradicts the subcommand ${this.fixedType}`);
    }
    const type = (this.fixedType ?? given) as CounterType | undefined;
    if (!type)
      throw new UsageError('say which counter to test: npx tester web|postgresql|hazelcast, or --counter-type');
    return type;
  }

  private thresholds(): Thresholds {
    return { maxP99Ms: this.durationOption('--max-p99', this.maxP99), minRps: this.minRps, maxErrors: this.maxErrors };
  }

  private durationOption(flag: string, text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const ms = parseDurationMs(text);
    if (ms === undefined) throw new UsageError(`${flag} ${text} is not a duration: use e.g. 30s, 2m, 500ms or 500us`);
    return ms;
  }

  private async counterSpec(): Promise<CounterSpec> {
    const type = this.counterType();
    const doRetries = parseBoolean(this.doRetries);
    if (doRetries === undefined) throw new UsageError(`--do-retries ${this.doRetries} is invalid: use True or False`);
    if (type !== 'web' && this.countField !== undefined)
      throw new UsageError(`--count-field applies to web, not ${type}`);
    if (this.engine !== 'native' && this.engine !== 'js')
      throw new UsageError(`--engine ${this.engine} is unknown: use native or js`);
    switch (type) {
      case 'web':
        if (this.method !== undefined) throw new UsageError('--method applies to postgresql and hazelcast, not web');
        return {
          backend: 'web',
          targets: this.targets(),
          timeoutMs: this.timeoutMs,
          resetToken: this.resetToken || undefined,
          countField: this.countField || undefined,
          engine: this.engine,
        };
      case 'postgresql': {
        const { POSTGRES_METHODS, DEFAULT_POSTGRES_METHOD } = await import('../../counters/postgresql/methods.js');
        return {
          backend: 'postgresql',
          method: checkMethod(this.method ?? DEFAULT_POSTGRES_METHOD, POSTGRES_METHODS),
          doRetries,
        };
      }
      case 'hazelcast': {
        const { HAZELCAST_METHODS, DEFAULT_HAZELCAST_METHOD } = await import('../../backends/hazelcast/config.js');
        return {
          backend: 'hazelcast',
          method: checkMethod(this.method ?? DEFAULT_HAZELCAST_METHOD, HAZELCAST_METHODS),
        };
      }
    }
  }

  /** Every host with every port: several servers (or hosts) share one run. */
  private targets(): Array<{ host: string; port: number }> {
    const hosts = this.hosts
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean);
    const ports = this.ports.split(',').map((port) => {
      const value = Number(port.trim());
      if (!Number.isInteger(value) || value < 1 || value > 65535) {
        throw new UsageError(`--counter-port ${port} is invalid: use a port from 1 to 65535`);
      }
      return value;
    });
    if (hosts.length === 0) throw new UsageError('--counter-host is empty');
    return hosts.flatMap((host) => ports.map((port) => ({ host, port })));
  }
}

/** Fails before the run, not after it, when a result file could not be saved. */
function checkWritable(flag: string, file: string | undefined): void {
  if (!file) return;
  try {
    fs.closeSync(fs.openSync(file, 'a'));
  } catch (err) {
    throw new UsageError(`${flag} ${file} cannot be written: ${(err as Error).message}`);
  }
}

function checkMethod<M extends string>(method: string, methods: readonly M[]): M {
  const known = methods.find((name) => name === method);
  if (known === undefined) throw new UsageError(`--method ${method} is unknown: use one of ${methods.join(', ')}`);
  return known;
}
