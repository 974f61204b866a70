/**
 * A saved history's bytes as they come, in bounded memory: a file, a FIFO or standard input
 * (`-`), read as a stream, and gunzipped when it starts as gzip does (by its magic bytes, not
 * its name). A gzip file cut short (a tester killed while writing a member) yields what its
 * last member held, with a warning.
 */
import fs from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';

const CHUNK_BYTES = 1 << 20;
export const GZIP_MAGIC = [0x1f, 0x8b];

export async function* historyChunks(path: string, warn: (message: string) => void): AsyncGenerator<Buffer> {
  const chunks = path === '-' ? streamChunks(process.stdin) : fileChunks(path);
  try {
    const head = await firstBytes(chunks);
    if (head.length === 0) return;
    if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
      yield head;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      return;
    }
    yield* gunzipped(head, chunks, warn);
  } finally {
    await chunks.return(undefined);
  }
}

/**
 * A file or a FIFO, read into two buffers in turn: the next chunk is read while the caller
 * parses this one, which stays valid until the caller asks for the next.
 */
async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const handle = await fs.promises.open(path, 'r');
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  let reading = handle.read(buffers[0], 0, CHUNK_BYTES, null);
  try {
    for (let turn = 1; ; turn ^= 1) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) return;
      reading = handle.read(buffers[turn], 0, CHUNK_BYTES, null);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await reading.catch(() => {});
    await handle.close();
  }
}

async function* streamChunks(stream: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}

/** At least the magic's length, unless the input is shorter (copied: the chunks' buffer is reused). */
async function firstBytes(chunks: AsyncIterator<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  while (length < GZIP_MAGIC.length) {
    const next = await chunks.next();
    if (next.done) break;
    parts.push(Buffer.from(next.value));
    length += next.value.length;
  }
  return Buffer.concat(parts);
}

async function* gunzipped(head: Buffer, chunks: AsyncIterator<Buffer>, warn: (message: string) => void) {
  // Copied: gunzip may hold a chunk while the next is read into the same buffer.
  async function* compressed() {
    yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield Buffer.from(next.value);
  }
  const gunzip = zlib.createGunzip({ chunkSize: CHUNK_BYTES >> 2 });
  // Errors reach the loop below through gunzip, which pipeline destroys with them.
  pipeline(Readable.from(compressed()), gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'Z_BUF_ERROR') throw code?.startsWith('Z_') ? new GzipError((err as Error).message) : err;
    warn('its last gzip member is cut short (the tester was stopped while writing it): read as far as it goes');
  }
}

/** Compressed data that does not inflate: not a history (as opposed to one cut short). */
export class GzipError extends Error {}
