/**
 * A file's lines as byte ranges, read in large chunks into one buffer: a saved history of a
 * million operations is hundreds of megabytes, which neither need to be in memory at once nor
 * decoded into one string to be split.
 */
import fs from 'node:fs';

const CHUNK_BYTES = 1 << 22;
const NEWLINE = 10;

/** `bytes[start, end)` is line `lineNumber` (from 1), without its newline; valid during the call only. */
export type LineVisitor = (bytes: Buffer, start: number, end: number, lineNumber: number) => void;

export function forEachLine(path: string, visit: LineVisitor): void {
  const fd = fs.openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = 0;
    let lineNumber = 1;
    for (;;) {
      // The buffer holds only the start of a line longer than itself: make room for the rest.
      if (filled === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
      const readCount = fs.readSync(fd, buffer, filled, buffer.length - filled, null);
      const view = buffer.subarray(0, filled + readCount);
      let start = 0;
      for (let newline = view.indexOf(NEWLINE, filled); newline >= 0; newline = view.indexOf(NEWLINE, start)) {
        visit(view, start, newline, lineNumber++);
        start = newline + 1;
      }
      if (readCount === 0) {
        if (start < view.length) visit(view, start, view.length, lineNumber);
        return;
      }
      buffer.copyWithin(0, start, view.length);
      filled = view.length - start;
    }
  } finally {
    fs.closeSync(fd);
  }
}
