/**
 * Saves a run's history, one event per line, as JSON Lines or as Jepsen's EDN. The run's
 * metadata rides on the first event under `run`: an extra key every Jepsen tool ignores,
 * so the file stays a plain history of operations.
 *
 * Written after the run from the recorded columns: lines are built into a buffer flushed in
 * large writes, with no object per operation.
 */
import fs from 'node:fs';
import { Outcome } from '../check/history.js';
import { historyLayout, Phase, Source } from './history-layout.js';
import type { EventType, RunHistory } from './run-history.js';

export const HISTORY_FORMATS = ['jsonl', 'edn'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

const FLUSH_CHARS = 1 << 20;
const COMPLETION_TYPES: Record<number, EventType> = {
  [Outcome.ok]: 'ok',
  [Outcome.failed]: 'fail',
  [Outcome.indeterminate]: 'info',
};

/** How one event is spelled (without its closing brace); `value` comes rendered, strings as JSON (valid EDN too). */
interface Syntax {
  line(index: number, time: number, process: number | string, type: EventType, f: string, value: string): string;
  /** The metadata, appended to the first line. */
  run(history: RunHistory): string;
  nil: string;
}

const jsonl: Syntax = {
  line: (index, time, process, type, f, value) =>
    `{"index":${index},"time":${time},"process":${typeof process === 'number' ? process : `"${process}"`},` +
    `"type":"${type}","f":"${f}","value":${value}`,
  run: (history) => `,"run":${JSON.stringify(history.meta)}`,
  nil: 'null',
};

const edn: Syntax = {
  line: (index, time, process, type, f, value) =>
    `{:index ${index}, :time ${time}, :process ${typeof process === 'number' ? process : `:${process}`}, ` +
    `:type :${type}, :f :${f}, :value ${value}`,
  run: (history) => `, :run ${ednValue(history.meta)}`,
  nil: 'nil',
};

export function writeHistory(path: string, history: RunHistory, format: HistoryFormat = 'jsonl'): void {
  const syntax = format === 'edn' ? edn : jsonl;
  const { ops, controlOps, nemesisEvents } = history;
  const layout = historyLayout(history);
  const fd = fs.openSync(path, 'w');
  try {
    let chunk = '';
    for (let k = 0; k < layout.length; k++) {
      const item = layout.items[k];
      const phase = layout.phases[k];
      const time = layout.timesNs[k];
      let line: string;
      if (layout.sources[k] === Source.client) {
        const process = layout.processes[item];
        if (phase === Phase.invoke) line = syntax.line(k, time, process, 'invoke', 'inc', syntax.nil);
        else {
          const value = ops.values[item];
          const type = COMPLETION_TYPES[ops.outcomes[item]];
          const text = type === 'ok' && !Number.isNaN(value) ? String(value) : syntax.nil;
          line = syntax.line(k, time, process, type, 'inc', text);
        }
      } else if (layout.sources[k] === Source.tester) {
        const op = controlOps[item];
        const type = phase === Phase.invoke ? 'invoke' : op.type;
        const value = phase === Phase.invoke || op.value === null ? syntax.nil : String(op.value);
        line = syntax.line(k, time, 'tester', type, op.f, value);
      } else {
        const event = nemesisEvents[item];
        line = syntax.line(k, time, 'nemesis', 'info', event.f, JSON.stringify(event.value));
      }
      chunk += k === 0 ? `${line}${syntax.run(history)}}\n` : `${line}}\n`;
      if (chunk.length >= FLUSH_CHARS) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

/** Plain data as EDN: maps with keyword keys, vectors, strings, numbers, booleans, nil. */
export function ednValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return `[${value.map(ednValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `:${key} ${ednValue(item)}`).join(', ')}}`;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
