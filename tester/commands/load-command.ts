import { Command, Option, UsageError } from 'clipanion';
import fs from 'node:fs';
import type { CounterSpec } from '../load/counter-spec.js';
import { ServerStartError } from '../harness/server-launcher.js';
import { ConnectError, type LoadProgress, type RecordedLoad, recordLoad } from '../load/run-load.js';
import { FaultChoiceError, parseFaultList } from '../nemesis/catalogue.js';
import { healDeadTesters, healedLine } from '../nemesis/heal.js';
import { StateDirError } from '../nemesis/leftovers.js';
import { prepareRun, type PreparedRun } from '../nemesis/nemesis-setup.js';
import { nemesisEventLine } from '../output/nemesis-line.js';
import { parseServerEnv } from '../options/parse-server-env.js';
import type { JudgeOptions, RunSinks } from '../load/run-judge.js';
import { progressBar } from '../output/progress-bar.js';
import { extraBlock, rateWarning, referenceBlock, roundsBlock } from '../output/result-text.js';
import { lateWarning } from '../output/segment-text.js';
import { recordSegment } from '../segments/record-segment.js';
import { type Segment, segmentText, shareOf } from '../segments/segment.js';
import type { SegmentPlan } from '../segments/segment-facts.js';
import type { Thresholds } from '../load/thresholds.js';
import type { HistoryFormat } from '../history/line-spelling.js';
import { timeLeftText } from '../output/time-left.js';
import { judgeChange, SINGLE_RUN_KEY } from '../compare/against.js';
import { representativeRound, roundFigures } from '../compare/round-figures.js';
import type { LoadResult, ShownResult } from '../load/load-result.js';
import { reportHtml } from '../report/report-html.js';
import { ReportRecorder } from '../report/report-recorder.js';
import { EXIT } from '../options/exit-codes.js';
import {
  againstFlag,
  alphaFlag,
  clientThreadsFlag,
  maxRegressionFlag,
  roundsFlag,
  timeoutMsFlag,
  warmupFlag,
} from '../options/flags.js';
import * as validate from '../options/validate.js';
import type { CounterType } from '../options/validate.js';
import { wholeNumber } from '../options/whole-number.js';

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
  clientThreads = clientThreadsFlag();
  resetToken = Option.String('--reset-token', process.env.RESET_TOKEN || '', {
    description: "The server's RESET_TOKEN, sent with POST /reset (default RESET_TOKEN)",
  });
  timeoutMs = timeoutMsFlag();
  duration = Option.String('--duration', { description: 'Run for a time (e.g. 30s, 2m) instead of a call count' });
  warmup = warmupFlag();
  rounds = roundsFlag(1, 'the scenario');
  alpha = alphaFlag();
  against = againstFlag("a run's --output JSON");
  maxRegression = maxRegressionFlag();
  rate = Option.String('--rate', {
    validator: wholeNumber(1, 10_000_000),
    description: 'Open loop: total calls per second',
  });
  engine = Option.String('--engine', 'native', {
    description:
      'web, postgresql, hazelcast: native (an epoll loop on its own thread, the default) or js (Node sockets, pg-native or hazelcast-client)',
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
    description: "Save every operation to this file, in Jepsen's vocabulary (FILE.gz: gzip; see tester check)",
  });
  historyFormat = Option.String('--history-format', 'jsonl', {
    description: "jsonl (JSON Lines, default) or edn (Jepsen's EDN)",
  });
  report = Option.String('--report', {
    description: 'Write an HTML report to this file: throughput and latency over time, the verdict, its witnesses',
  });
  segment = Option.String('--segment', {
    description: 'Run share i of n of this command (e.g. 2/3), one per host; tester merge adds up their --output files',
  });
  startAt = Option.String('--start-at', {
    description: 'With --segment: start the calls at this wall-clock time (ISO 8601 with a zone, or epoch ms)',
  });

  /** The subcommand's counter type; undefined for the reference form. */
  protected abstract readonly fixedType: CounterType | undefined;

  async execute(): Promise<number> {
    const clientCount = this.clientCount;
    if (clientCount === undefined)
      throw new UsageError('--n-clients is required: say how many clients run at once, e.g. --n-clients 10');
    const spec = await validate.counterSpec({
      type: this.counterType(),
      method: this.method,
      doRetries: this.doRetries,
      hosts: this.hosts,
      ports: this.ports,
      timeoutMs: this.timeoutMs,
      resetToken: this.resetToken,
      countField: this.countField,
      engine: this.engine,
    });
    validate.clientThreads(this.clientThreads, [spec.backend]);
    const thresholds = validate.thresholds(this.maxP99, this.minRps, this.maxErrors);
    const historyFormat = validate.historyFormat(this.historyFormat);
    validate.writableFile('--output', this.output);
    validate.writableFile('--history', this.history);
    validate.writableFile('--report', this.report);
    const alpha = validate.alpha(this.alpha);
    const maxRegression = validate.maxRegression(this.maxRegression);
    const segment = validate.segment(this.segment, clientCount);
    if (segment) return this.runSegment(spec, clientCount, segment, thresholds, historyFormat);
    if (this.startAt !== undefined) throw new UsageError('--start-at starts the segments of a run together: give --segment too');
    const saved = this.savedRounds();
    if (this.rounds > 1 && (this.nemesisList !== undefined || this.history || this.report))
      throw new UsageError('--rounds repeats a plain run: leave out --nemesis, --history and --report');
    const intervalMs = this.nemesisIntervalMs();
    await this.healDeadTesters();
    const prepared = await this.prepareRun(spec, intervalMs);
    if (prepared.serverTarget && spec.backend === 'web') spec.targets = [prepared.serverTarget];
    const recordings: RecordedLoad[] = [];
    const reports: ReportRecorder[] = [];
    const judging: JudgeOptions = {
      thresholds,
      historyFile: this.history ? { path: this.history, format: historyFormat } : undefined,
      openSinks: this.report ? (originUs) => reportSinks(reports, originUs) : undefined,
    };
    try {
      const startedMs = performance.now();
      for (let round = 1; round <= this.rounds; round++) {
        recordings.push(await this.recordRound(spec, prepared, clientCount, judging));
        if (this.rounds > 1) this.context.stderr.write(roundLine(round, this.rounds, recordings.at(-1)!.result, startedMs));
      }
    } finally {
      await prepared.cleanup();
    }
    const results = recordings.map((recorded) => recorded.result);
    const shown = representativeRound(results);
    const result: LoadResult = this.rounds > 1 ? { ...results[shown], rounds: roundFigures(results) } : results[0];
    if (saved) {
      const change = judgeChange(result.rounds?.samples.rps ?? [result.rps], saved, { alpha, maxRegression });
      result.against = { file: this.against!, maxRegression, ...change };
    }
    if (this.report) {
      const report = reports[shown].report(result, recordings[shown].context);
      fs.writeFileSync(this.report, reportHtml({ kind: 'run', report }));
    }
    if (this.nemesisList !== undefined && result.nemesisEvents.length === 0) {
      this.context.stderr.write(
        `tester: warning: no fault was injected: the run ended within the first --nemesis-interval (${this.nemesisInterval})\n`,
      );
    }
    this.print(result);
    return result.passed && !result.against?.regression ? EXIT.passed : EXIT.failed;
  }

  /** The result: its warnings on stderr, JSON in --output, and JSON or the text blocks on stdout. */
  private print(result: ShownResult): void {
    const warning = rateWarning(result);
    if (warning) this.context.stderr.write(warning);
    if (this.output) fs.writeFileSync(this.output, JSON.stringify(result, null, 2) + '\n');
    if (this.json) this.context.stdout.write(JSON.stringify(result) + '\n');
    else this.context.stdout.write(`${referenceBlock(result)}\n${extraBlock(result)}\n${roundsBlock(result)}`);
  }

  /**
   * --segment: this process's share of the run, started at --start-at; only segment 1 resets the
   * counter. Exits 0 once measured: `tester merge` gives the run's verdict.
   */
  private async runSegment(
    spec: CounterSpec,
    clientCount: number,
    segment: Segment,
    thresholds: Thresholds,
    historyFormat: HistoryFormat,
  ): Promise<number> {
    const given = Object.entries({
      '--rounds': this.rounds > 1,
      '--warmup': this.warmup !== undefined,
      '--nemesis': this.nemesisList !== undefined,
      '--server': this.server !== undefined,
      '--against': this.against !== undefined,
      '--report': this.report !== undefined,
    }).flatMap(([flag, set]) => (set ? [flag] : []));
    if (given.length > 0)
      throw new UsageError(`--segment runs one plain share of a run: leave out ${given.join(', ')}`);
    const startAtMs = validate.startAt(this.startAt, Date.now());
    if (segment.count > 1 && startAtMs === undefined)
      throw new UsageError(
        `--segment ${segmentText(segment)} needs --start-at: every segment starts then, after segment 1 has reset the counter`,
      );
    const durationMs = validate.durationMs('--duration', this.duration);
    const clients = shareOf(clientCount, segment);
    const plan: SegmentPlan = {
      clientCount,
      callsPerClient: durationMs === undefined ? this.callsPerClient : null,
      durationMs: durationMs ?? null,
      ratePerSecond: this.rate ?? null,
      startAtMs: startAtMs ?? null,
      thresholds,
    };
    await this.healDeadTesters();
    const result = await this.withProgress((onProgress) =>
      recordSegment({
        spec,
        clientCount: clients.size,
        callsPerClient: this.callsPerClient,
        durationMs,
        // Its clients' part of the rate: each client keeps the pace it has in the single-process run.
        ratePerSecond: this.rate === undefined ? undefined : (this.rate * clients.size) / clientCount,
        workerCount: this.clientThreads,
        onProgress,
        segment: { ...segment, plan, clients },
        startAtMs,
        historyFile: this.history ? { path: this.history, format: historyFormat } : undefined,
      }),
    );
    const late = lateWarning(result.segment);
    if (late) this.context.stderr.write(late);
    this.print(result);
    return EXIT.passed;
  }

  /** One measured run (after its warm-up), with the progress bar on a terminal. */
  private async recordRound(
    spec: CounterSpec,
    prepared: PreparedRun,
    clientCount: number,
    judging: JudgeOptions,
  ): Promise<RecordedLoad> {
    return this.withProgress((onProgress) =>
      recordLoad({
        spec,
        nemesis: prepared.nemesis,
        clientCount,
        callsPerClient: this.callsPerClient,
        durationMs: validate.durationMs('--duration', this.duration),
        warmupMs: validate.durationMs('--warmup', this.warmup),
        ratePerSecond: this.rate,
        workerCount: this.clientThreads,
        onProgress,
        ...judging,
      }),
    );
  }

  /** A run with the progress bar on stderr, unless --json asks for quiet. */
  private async withProgress<T>(run: (onProgress: (progress: LoadProgress) => void) => Promise<T>): Promise<T> {
    const bar = this.json
      ? { update: () => {}, stop: () => {} }
      : progressBar(this.context.stderr as NodeJS.WriteStream);
    try {
      return await run(bar.update);
    } finally {
      bar.stop();
    }
  }

  /** --against's rounds, read before the run so that a wrong file costs no run. */
  private savedRounds(): number[] | undefined {
    if (this.against === undefined) return undefined;
    const samples = validate.againstFile(this.against).get(SINGLE_RUN_KEY);
    if (!samples) throw new UsageError(`--against ${this.against} is a comparison: use it with tester compare --against`);
    return samples;
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

  /** --nemesis-interval, checked against --duration: a run over before its first fault tests nothing. */
  private nemesisIntervalMs(): number {
    const intervalMs = validate.durationMs('--nemesis-interval', this.nemesisInterval)!;
    if (intervalMs <= 0) throw new UsageError(`--nemesis-interval ${this.nemesisInterval} must be above zero, e.g. 5s`);
    const durationMs = validate.durationMs('--duration', this.duration);
    if (this.nemesisList !== undefined && durationMs !== undefined && durationMs <= intervalMs) {
      throw new UsageError(
        `--duration ${this.duration} ends before the first fault, which comes one --nemesis-interval ` +
          `(${this.nemesisInterval}) in: make --duration longer or --nemesis-interval shorter`,
      );
    }
    return intervalMs;
  }

  /** The server (--server) and the faults (--nemesis), ready before the first call. */
  private async prepareRun(spec: CounterSpec, intervalMs: number): Promise<PreparedRun> {
    const stderr = this.context.stderr as NodeJS.WriteStream;
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

  private counterType(): CounterType {
    return validate.counterType(this.counterTypeOption, this.fixedType);
  }
}

/** "round 2/6: 41148 req/s PASS (about 12 s left)", on stderr after each round. */
function roundLine(round: number, rounds: number, result: LoadResult, startedMs: number): string {
  const timeLeft = timeLeftText(performance.now() - startedMs, round, rounds);
  return `round ${round}/${rounds}: ${Math.round(result.rps)} req/s ${result.passed ? 'PASS' : 'FAIL'} (${timeLeft})\n`;
}

/** The report's recorder for one round, fed as the calls go, marking the calls the checker names. */
function reportSinks(reports: ReportRecorder[], originUs: number): RunSinks {
  const recorder = new ReportRecorder(originUs);
  reports.push(recorder);
  return { sinks: [recorder], witnessed: (ops) => recorder.mark(ops) };
}
