/**
 * A saved history's lines, one event each, as JSON Lines or as Jepsen's EDN, numbered from 0.
 * The run's metadata rides on an event under `run`: an extra key every Jepsen tool ignores,
 * so the file stays a plain history of operations.
 *
 * Written byte by byte into one bounded buffer (ByteWriter): no object and no string per
 * operation.
 */
import { Outcome } from '../check/history.js';
import { ByteWriter } from './byte-writer.js';
import { bytesOf } from './line-scanning.js';
import { SPELLINGS, type HistoryFormat, type Spelling } from './line-spelling.js';

/** A completion's type by its outcome. */
const COMPLETION_TYPES: Record<number, string> = {
  [Outcome.ok]: 'ok',
  [Outcome.failed]: 'fail',
  [Outcome.indeterminate]: 'info',
};
const END = bytesOf('}\n');

/** A file ending in `.gz` is written compressed. */
export function isGzipPath(path: string): boolean {
  return path.endsWith('.gz');
}

export class EventLines {
  readonly #out: ByteWriter;
  readonly #spelling: Spelling;
  #count = 0;
  readonly #middles = new Map<string, Uint8Array>();
  /** The middles of a client's invoke and, by outcome, of its completion. */
  readonly clientInvoke: Uint8Array;
  readonly clientCompletions: Uint8Array[];

  constructor(
    path: string,
    readonly format: HistoryFormat,
  ) {
    this.#spelling = SPELLINGS[format];
    this.#out = new ByteWriter(path, { gzip: isGzipPath(path) });
    this.clientInvoke = this.middle('invoke', 'inc');
    this.clientCompletions = [Outcome.ok, Outcome.failed, Outcome.indeterminate].map((outcome) =>
      this.middle(COMPLETION_TYPES[outcome], 'inc'),
    );
  }

  /** Lines written. */
  get count(): number {
    return this.#count;
  }

  /** How the tester and the nemesis are spelled as a process. */
  get tester(): Uint8Array {
    return this.#spelling.tester;
  }

  get nemesis(): Uint8Array {
    return this.#spelling.nemesis;
  }

  /**
   * What a line with this type and f holds between its process and its value, all constant:
   * written in one piece (kept for the next time).
   */
  middle(type: string, f: string): Uint8Array {
    const key = `${type} ${f}`;
    let middle = this.#middles.get(key);
    if (middle === undefined) {
      const { type: typeKey, f: fKey, value: valueKey } = this.#spelling;
      middle = Buffer.concat([typeKey, bytesOf(type), fKey, bytesOf(f), valueKey]);
      this.#middles.set(key, middle);
    }
    return middle;
  }

  /**
   * The next event: `middle` says its type and f (`middle()`); `value` NaN for none, a string
   * only for a nemesis's; `run` on this line.
   */
  write(timeNs: number, process: number | Uint8Array, middle: Uint8Array, value: number | string, run?: object): void {
    const out = this.#out;
    const spelling = this.#spelling;
    out.bytes(spelling.index);
    out.number(this.#count++);
    out.bytes(spelling.time);
    out.number(timeNs);
    out.bytes(spelling.process);
    if (typeof process === 'number') out.number(process);
    else out.bytes(process);
    out.bytes(middle);
    if (typeof value === 'string') out.text(JSON.stringify(value));
    else if (Number.isNaN(value)) out.bytes(spelling.nil);
    else out.number(value);
    if (run !== undefined) out.text(this.format === 'edn' ? `, :run ${ednValue(run)}` : `,"run":${JSON.stringify(run)}`);
    out.bytes(END);
  }

  flush(): void {
    this.#out.flush();
  }

  close(): void {
    this.#out.close();
  }
}

/** Plain data as EDN: maps with keyword keys, vectors, strings, numbers, booleans, nil. */
function ednValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return `[${value.map(ednValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `:${key} ${ednValue(item)}`).join(', ')}}`;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
