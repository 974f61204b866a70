/**
 * A file's lines as byte ranges, read in large chunks into one buffer: a saved history of a
 * million operations is hundreds of megabytes, which neither need to be in memory at once nor
 * decoded into one string to be split. Reads a stream as well as a file (`-` is standard
 * input; a FIFO opens like a file), and never holds more than one line of at most
 * `MAX_LINE_BYTES` plus a chunk, whatever the input: /dev/zero ends as a line too long.
 */
import fs from 'node:fs';

const CHUNK_BYTES = 1 << 22;
/** Far above any event line (the first, with the run's metadata, is under 1 KiB). */
export const MAX_LINE_BYTES = 1 << 20;
const NEWLINE = 10;

/** `bytes[start, end)` is line `lineNumber` (from 1), without its newline; valid during the call only. */
export type LineVisitor = (bytes: Buffer, start: number, end: number, lineNumber: number) => void;

/** A line longer than `MAX_LINE_BYTES`: not a history. */
export class LineTooLongError extends Error {
  constructor(readonly lineNumber: number) {
    super(`longer than ${MAX_LINE_BYTES / (1 << 20)} MiB: not a history`);
  }
}

/** Visits every line of `path` (`-`: standard input). */
export function forEachLine(path: string, visit: LineVisitor): void {
  const fd = path === '-' ? 0 : fs.openSync(path, 'r');
  try {
    readLines(fd, visit);
  } finally {
    if (fd !== 0) fs.closeSync(fd);
  }
}

function readLines(fd: number, visit: LineVisitor): void {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES + MAX_LINE_BYTES);
  let filled = 0;
  let lineNumber = 1;
  for (;;) {
    const readCount = readSome(fd, buffer, filled);
    const view = buffer.subarray(0, filled + readCount);
    let start = 0;
    for (let newline = view.indexOf(NEWLINE, filled); newline >= 0; newline = view.indexOf(NEWLINE, start)) {
      if (newline - start > MAX_LINE_BYTES) throw new LineTooLongError(lineNumber);
      visit(view, start, newline, lineNumber++);
      start = newline + 1;
    }
    if (view.length - start > MAX_LINE_BYTES) throw new LineTooLongError(lineNumber);
    if (readCount === 0) {
      if (start < view.length) visit(view, start, view.length, lineNumber);
      return;
    }
    buffer.copyWithin(0, start, view.length);
    filled = view.length - start;
  }
}

/** Up to a chunk into `buffer` at `at`; 0 at the end. A non-blocking stdin is waited on, not spun. */
function readSome(fd: number, buffer: Buffer, at: number): number {
  const room = Math.min(CHUNK_BYTES, buffer.length - at);
  for (;;) {
    try {
      return fs.readSync(fd, buffer, at, room, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
