/**
 * Lines out of chunks of bytes, found in place: a saved history of a million operations is
 * hundreds of megabytes, which neither need to be in memory at once nor decoded into one
 * string to be split. Only a line cut by a chunk's end is copied (into one carry buffer), and
 * no line may be longer than `MAX_LINE_BYTES`, so what is held never exceeds a chunk and a
 * line, whatever the input: /dev/zero ends as a line too long.
 */

/** Far above any event line (the first, with the run's metadata, is under 1 KiB). */
export const MAX_LINE_BYTES = 1 << 20;
const NEWLINE = 10;

/**
 * `bytes[start, end)` is line `lineNumber` (from 1), without its newline; valid during the
 * call only. `terminated` is false for a last line with no newline: a writer stopped mid-line.
 */
export type LineVisitor = (bytes: Buffer, start: number, end: number, lineNumber: number, terminated: boolean) => void;

/** A line longer than `MAX_LINE_BYTES`: not a history. */
export class LineTooLongError extends Error {
  constructor(readonly lineNumber: number) {
    super(`longer than ${MAX_LINE_BYTES / (1 << 20)} MiB: not a history`);
  }
}

export class LineSplitter {
  #lineNumber = 1;
  /** The start of a line cut by the last chunk's end. */
  #carry: Buffer | undefined;
  #carried = 0;

  constructor(readonly visit: LineVisitor) {}

  /** Visits the lines `chunk` ends; it may be reused once this returns. */
  push(chunk: Buffer): void {
    let start = 0;
    if (this.#carried > 0) {
      const newline = chunk.indexOf(NEWLINE);
      const piece = newline < 0 ? chunk.length : newline;
      this.#carryOn(chunk, 0, piece);
      if (newline < 0) return;
      this.visit(this.#carry!, 0, this.#carried, this.#lineNumber++, true);
      this.#carried = 0;
      start = newline + 1;
    }
    const visit = this.visit;
    for (let newline = chunk.indexOf(NEWLINE, start); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      if (newline - start > MAX_LINE_BYTES) throw new LineTooLongError(this.#lineNumber);
      visit(chunk, start, newline, this.#lineNumber++, true);
      start = newline + 1;
    }
    this.#carryOn(chunk, start, chunk.length);
  }

  /** The input ended: visits its last line if it had no newline. */
  end(): void {
    if (this.#carried === 0) return;
    const carried = this.#carried;
    this.#carried = 0;
    this.visit(this.#carry!, 0, carried, this.#lineNumber, false);
  }

  #carryOn(chunk: Buffer, from: number, to: number): void {
    if (to === from) return;
    if (this.#carried + to - from > MAX_LINE_BYTES) throw new LineTooLongError(this.#lineNumber);
    this.#carry ??= Buffer.allocUnsafe(MAX_LINE_BYTES);
    chunk.copy(this.#carry, this.#carried, from, to);
    this.#carried += to - from;
  }
}
