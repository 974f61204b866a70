/**
 * A file's lines, read synchronously in large chunks (`-` is standard input; a FIFO opens like
 * a file) and split in place (line-splitter.ts). The async history reader reads streams
 * instead (history-input.ts); this serves callers that load a history whole and at once.
 */
import fs from 'node:fs';
import { LineSplitter, type LineVisitor } from './line-splitter.js';

export { LineTooLongError, MAX_LINE_BYTES, type LineVisitor } from './line-splitter.js';

const CHUNK_BYTES = 1 << 22;

/** Visits every line of `path` (`-`: standard input). */
export function forEachLine(path: string, visit: LineVisitor): void {
  const fd = path === '-' ? 0 : fs.openSync(path, 'r');
  try {
    const splitter = new LineSplitter(visit);
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let n = readSome(fd, buffer); n > 0; n = readSome(fd, buffer)) splitter.push(buffer.subarray(0, n));
    splitter.end();
  } finally {
    if (fd !== 0) fs.closeSync(fd);
  }
}

/** Up to a chunk; 0 at the end. A non-blocking stdin is waited on, not spun. */
function readSome(fd: number, buffer: Buffer): number {
  for (;;) {
    try {
      return fs.readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
