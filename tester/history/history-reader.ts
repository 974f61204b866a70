/**
 * Reads a saved history (history-parser.ts says how): streamed, in bounded memory, from a
 * file, a FIFO or standard input, plain or gzip (`streamHistory`), the calls handed to a sink
 * as they are read; or whole, for callers that judge it whole (`collectHistory`, and the
 * synchronous `readHistory` for plain text).
 */
import type { CallBatch, CallSink } from '../check/call-batch.js';
import { History, type Outcome } from '../check/history.js';
import fs from 'node:fs';
import { GZIP_MAGIC, GzipError, historyChunks } from './history-input.js';
import { type CallSinkChoice, HistoryError, type HistoryRest, HistoryParser, SinkError } from './history-parser.js';
import { forEachLine } from './line-reader.js';
import { LineSplitter, LineTooLongError } from './line-splitter.js';
import type { RunHistory } from './run-history.js';

export { HistoryError, type CallSinkChoice, type HistoryHead, type HistoryRest } from './history-parser.js';

/** What a streamed read found beside the history: a torn last line, a gzip member cut short, one phrase each. */
export interface HistoryWarnings {
  warnings: string[];
}

/**
 * Reads `path` (`-`: standard input; gzip told by its magic bytes) as a stream, handing the
 * calls to `sink` in completion order; returns the rest. Any input it cannot take rejects
 * with one HistoryError naming the line.
 */
export async function streamHistory(path: string, sink: CallSinkChoice): Promise<HistoryRest & HistoryWarnings> {
  const parser = new HistoryParser(nameOf(path), sink);
  const warnings: string[] = [];
  try {
    const splitter = new LineSplitter((bytes, start, end, lineNumber, terminated) =>
      parser.line(bytes, start, end, lineNumber, terminated),
    );
    for await (const chunk of historyChunks(path, (warning) => warnings.push(warning))) splitter.push(chunk);
    splitter.end();
    const rest = parser.finish();
    return { ...rest, warnings: [...warnings, ...parser.warnings] };
  } catch (err) {
    throw asHistoryError(err, parser);
  }
}

/** The whole history in memory, read as a stream: what `tester check` judges until it judges as it reads. */
export async function collectHistory(path: string): Promise<RunHistory & HistoryWarnings> {
  const ops = new History();
  const { meta, originUs, controlOps, nemesisEvents, warnings } = await streamHistory(path, collector(ops));
  return { meta, originUs, controlOps, ops: ops.data(), nemesisEvents, warnings };
}

/** Reads `path` (`-`: standard input), plain text only, whole and synchronously. */
export function readHistory(path: string): RunHistory {
  const ops = new History();
  const parser = new HistoryParser(nameOf(path), collector(ops));
  let rest: HistoryRest;
  try {
    if (isGzipFile(path)) throw new HistoryError(`${path}: compressed (gzip): read it as a stream (collectHistory)`);
    forEachLine(path, (bytes, start, end, lineNumber, terminated) => parser.line(bytes, start, end, lineNumber, terminated));
    rest = parser.finish();
  } catch (err) {
    throw asHistoryError(err, parser);
  }
  const { meta, originUs, controlOps, nemesisEvents } = rest;
  return { meta, originUs, controlOps, ops: ops.data(), nemesisEvents };
}

/** A regular file starting as gzip does (a pipe or a FIFO is not peeked at: its bytes would be lost). */
function isGzipFile(path: string): boolean {
  if (path === '-' || !fs.statSync(path).isFile()) return false;
  const fd = fs.openSync(path, 'r');
  try {
    const head = Buffer.alloc(GZIP_MAGIC.length);
    return fs.readSync(fd, head, 0, head.length, 0) === head.length && head.equals(Buffer.from(GZIP_MAGIC));
  } finally {
    fs.closeSync(fd);
  }
}

function nameOf(path: string): string {
  return path === '-' ? 'standard input' : path;
}

/** A sink recording every call into `ops`. */
function collector(ops: History): CallSink {
  return {
    add(batch: CallBatch) {
      const { clientIds, invokeUs, completeUs, values, outcomes } = batch;
      for (let r = 0; r < batch.length; r++) {
        ops.record(clientIds[r], invokeUs[r], completeUs[r], values[r], outcomes[r] as Outcome);
      }
    },
  };
}

/**
 * Whatever went wrong while reading, as one line for the user: no input may end in a stack
 * trace. A sink's failure is no fault of the input: it is thrown as it was.
 */
function asHistoryError(err: unknown, parser: HistoryParser): unknown {
  if (err instanceof SinkError) return err.cause;
  if (err instanceof HistoryError) return err;
  if (err instanceof LineTooLongError) return new HistoryError(`${parser.path} line ${err.lineNumber}: ${err.message}`);
  if (err instanceof GzipError) return new HistoryError(`${parser.path}: not gzip as it claims (${err.message})`);
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined) return new HistoryError(`${parser.path}: cannot read it (${(err as Error).message})`);
  return parser.error(`cannot read it (${err instanceof Error ? err.message : String(err)})`);
}
