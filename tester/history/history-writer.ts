/**
 * Saves a run's history, one event per line, as JSON Lines or as Jepsen's EDN. The run's
 * metadata rides on the first event under `run`: an extra key every Jepsen tool ignores,
 * so the file stays a plain history of operations.
 *
 * Written after the run from the recorded columns, byte by byte into one buffer flushed in
 * large writes: no object and no string per operation.
 */
import { Outcome } from '../check/history.js';
import { ByteWriter } from './byte-writer.js';
import { historyLayout, Phase, Source, type HistoryLayout } from './history-layout.js';
import { bytesOf } from './line-scanning.js';
import { SPELLINGS, type HistoryFormat, type Spelling } from './line-spelling.js';
import type { RunHistory } from './run-history.js';

export { HISTORY_FORMATS, type HistoryFormat } from './line-spelling.js';

const COMPLETION_TYPES: Record<number, string> = {
  [Outcome.ok]: 'ok',
  [Outcome.failed]: 'fail',
  [Outcome.indeterminate]: 'info',
};
const END = bytesOf('}\n');

/** One event's fields; `value` NaN for none, a string only for a nemesis event. */
interface Fields {
  process: number | Uint8Array;
  type: string;
  f: string;
  value: number | string;
}

export function writeHistory(path: string, history: RunHistory, format: HistoryFormat = 'jsonl'): void {
  const spelling = SPELLINGS[format];
  const layout = historyLayout(history);
  const words = new Map<string, Uint8Array>();
  const wordBytes = (word: string) => words.get(word) ?? words.set(word, bytesOf(word)).get(word)!;
  const fields: Fields = { process: 0, type: '', f: '', value: NaN };
  const out = new ByteWriter(path);
  try {
    for (let k = 0; k < layout.length; k++) {
      eventFields(history, layout, k, spelling, fields);
      out.bytes(spelling.index);
      out.number(k);
      out.bytes(spelling.time);
      out.number(layout.timesNs[k]);
      out.bytes(spelling.process);
      if (typeof fields.process === 'number') out.number(fields.process);
      else out.bytes(fields.process);
      out.bytes(spelling.type);
      out.bytes(wordBytes(fields.type));
      out.bytes(spelling.f);
      out.bytes(wordBytes(fields.f));
      out.bytes(spelling.value);
      if (typeof fields.value === 'string') out.text(JSON.stringify(fields.value));
      else if (Number.isNaN(fields.value)) out.bytes(spelling.nil);
      else out.number(fields.value);
      if (k === 0) out.text(runField(history, format));
      out.bytes(END);
    }
  } finally {
    out.close();
  }
}

/** The metadata, after the first event's fields. */
function runField({ meta }: RunHistory, format: HistoryFormat): string {
  return format === 'edn' ? `, :run ${ednValue(meta)}` : `,"run":${JSON.stringify(meta)}`;
}

/** The fields of the k-th event in saved order, into `fields`. */
function eventFields(history: RunHistory, layout: HistoryLayout, k: number, spelling: Spelling, fields: Fields): void {
  const item = layout.items[k];
  const invoke = layout.phases[k] === Phase.invoke;
  if (layout.sources[k] === Source.client) {
    const { ops } = history;
    fields.process = layout.processes[item];
    fields.type = invoke ? 'invoke' : COMPLETION_TYPES[ops.outcomes[item]];
    fields.f = 'inc';
    fields.value = fields.type === 'ok' ? ops.values[item] : NaN;
  } else if (layout.sources[k] === Source.tester) {
    const op = history.controlOps[item];
    fields.process = spelling.tester;
    fields.type = invoke ? 'invoke' : op.type;
    fields.f = op.f;
    fields.value = invoke || op.value === null ? NaN : op.value;
  } else {
    const event = history.nemesisEvents[item];
    fields.process = spelling.nemesis;
    fields.type = 'info';
    fields.f = event.f;
    fields.value = event.value;
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
