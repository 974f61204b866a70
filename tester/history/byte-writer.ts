/**
 * A file written through one buffer, byte by byte: two million history lines built as strings
 * and concatenated cost more in garbage collection and UTF-8 encoding than in writing.
 *
 * Compressed, each flush is a gzip member of its own (gunzip reads concatenated members as one
 * stream): a writer killed mid-run leaves every member it finished readable.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

const BUFFER_BYTES = 1 << 20;
/** Room enough for any number's digits. */
const NUMBER_BYTES = 32;
const [MINUS, ZERO] = [...'-0'].map((c) => c.charCodeAt(0));
/** The low part of a number above 32 bits: its last 8 digits. */
const LOW_PART = 1e8;
const LOW_DIGITS = 8;
/** Speed over size: a history is written while the load runs, on the thread that feeds it. */
const GZIP_OPTIONS = { level: zlib.constants.Z_BEST_SPEED };

export class ByteWriter {
  readonly #fd: number;
  readonly #gzip: boolean;
  readonly #buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  #at = 0;

  constructor(path: string, options: { gzip?: boolean } = {}) {
    this.#fd = fs.openSync(path, 'w');
    this.#gzip = options.gzip ?? false;
  }

  bytes(bytes: Uint8Array): void {
    const length = bytes.length;
    if (this.#at + length > BUFFER_BYTES) this.flush();
    if (length > BUFFER_BYTES) return this.#writeLarge(bytes);
    const buffer = this.#buffer;
    const at = this.#at;
    for (let i = 0; i < length; i++) buffer[at + i] = bytes[i];
    this.#at = at + length;
  }

  text(text: string): void {
    this.bytes(Buffer.from(text, 'utf8'));
  }

  /** A number as JSON and EDN spell it: whole ones digit by digit, others (rare) as text. */
  number(n: number): void {
    if (!Number.isSafeInteger(n)) return this.text(String(n));
    if (this.#at + NUMBER_BYTES > BUFFER_BYTES) this.flush();
    const buffer = this.#buffer;
    let at = this.#at;
    if (n < 0) buffer[at++] = MINUS;
    const whole = Math.abs(n);
    // Digits are computed on 32-bit parts: division of larger numbers is floating point, and slow.
    if (whole < LOW_PART) at = digits(buffer, at, whole);
    else {
      const high = Math.floor(whole / LOW_PART);
      at = lowDigits(buffer, digits(buffer, at, high), whole - high * LOW_PART);
    }
    this.#at = at;
  }

  flush(): void {
    if (this.#at === 0) return;
    const bytes = this.#buffer.subarray(0, this.#at);
    if (this.#gzip) {
      const member = zlib.gzipSync(bytes, GZIP_OPTIONS);
      this.#write(member, member.length);
    } else this.#write(bytes, bytes.length);
    this.#at = 0;
  }

  /** Flushes and closes. */
  close(): void {
    try {
      this.flush();
    } finally {
      fs.closeSync(this.#fd);
    }
  }

  /** More than a buffer: compressed, it is a member of its own. */
  #writeLarge(bytes: Uint8Array): void {
    const out = this.#gzip ? zlib.gzipSync(bytes, GZIP_OPTIONS) : bytes;
    this.#write(out, out.length);
  }

  #write(bytes: Uint8Array, length: number): void {
    for (let written = 0; written < length; ) written += fs.writeSync(this.#fd, bytes, written, length - written);
  }
}

/** `n` (< 2^31) in decimal at `at`; the position after it. */
function digits(buffer: Buffer, at: number, n: number): number {
  let count = 1;
  for (let power = 10; power <= n; power *= 10) count++;
  return lowDigits(buffer, at, n, count);
}

/** The last `count` digits of `n` (< 2^31), zeros first if need be; the position after them. */
function lowDigits(buffer: Buffer, at: number, n: number, count = LOW_DIGITS): number {
  let rest = n;
  for (let i = at + count - 1; i >= at; i--) {
    const next = (rest / 10) | 0;
    buffer[i] = ZERO + rest - next * 10;
    rest = next;
  }
  return at + count;
}
