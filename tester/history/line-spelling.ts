/**
 * How `--history` spells an event line in each format: what comes before each field's value,
 * in the order written. One home for the writer, which writes every line so, and the reader,
 * which matches such lines literal by literal before reading any other spelling.
 */
import { bytesOf } from './line-scanning.js';

export const HISTORY_FORMATS = ['jsonl', 'edn'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

export interface Spelling {
  /** Before each field's value; the type's and f's words are written bare, these quote them. */
  index: Uint8Array;
  time: Uint8Array;
  process: Uint8Array;
  type: Uint8Array;
  f: Uint8Array;
  value: Uint8Array;
  /** The processes that are no client. */
  tester: Uint8Array;
  nemesis: Uint8Array;
  nil: Uint8Array;
}

export const SPELLINGS: Record<HistoryFormat, Spelling> = {
  jsonl: spelling(['{"index":', ',"time":', ',"process":', ',"type":"', '","f":"', '","value":'], '"', 'null'),
  edn: spelling(['{:index ', ', :time ', ', :process ', ', :type :', ', :f :', ', :value '], ':', 'nil'),
};

function spelling(before: string[], name: string, nil: string): Spelling {
  const [index, time, process, type, f, value] = before.map(bytesOf);
  const quoted = (word: string) => bytesOf(name === '"' ? `"${word}"` : `:${word}`);
  const [tester, nemesis] = [quoted('tester'), quoted('nemesis')];
  return { index, time, process, type, f, value, tester, nemesis, nil: bytesOf(nil) };
}
