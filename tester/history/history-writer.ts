/**
 * Saves a whole run's history at once, as JSON Lines or as Jepsen's EDN (`.gz`: compressed):
 * the history stream (history-stream.ts) given every call in one delivery, the metadata whole
 * on the first line.
 */
import { HistoryStream } from './history-stream.js';
import type { HistoryFormat } from './line-spelling.js';
import type { RunHistory } from './run-history.js';

export { HISTORY_FORMATS, type HistoryFormat } from './line-spelling.js';

export function writeHistory(path: string, history: RunHistory, format: HistoryFormat = 'jsonl'): void {
  const { meta, originUs, controlOps, nemesisEvents, ops } = history;
  const stream = new HistoryStream({ file: { path, format }, meta, originUs, controlOps, nemesisEvents });
  try {
    stream.deliver(ops, Infinity);
    stream.finish();
  } finally {
    stream.close();
  }
}
