/**
 * One segment's run. Its calls alone cannot be judged: the counter and the values it returns
 * count every segment's increments. So a segment only measures and saves its history as it goes
 * (--history); `tester merge` judges the count over every segment's result, and the values are
 * judged over the segments' histories together.
 */
import { HistoryStream } from '../history/history-stream.js';
import type { HistoryFormat } from '../history/line-spelling.js';
import type { LoadMeasures, LoadResult } from '../load/load-result.js';
import { type LoadOptions, streamLoad } from '../load/run-load.js';
import type { SegmentFacts } from './segment-facts.js';
import { segmentText } from './segment.js';

/** A segment's result: its share's measures, and a verdict that defers to `tester merge`. */
export type SegmentResult = LoadMeasures & Pick<LoadResult, 'verdict' | 'witnesses' | 'passed'> & { segment: SegmentFacts };

export async function recordSegment(
  options: LoadOptions & { segment: NonNullable<LoadOptions['segment']>; historyFile?: { path: string; format: HistoryFormat } },
): Promise<SegmentResult> {
  let history: HistoryStream | undefined;
  try {
    const { historyFile } = options;
    const streamed = await streamLoad({
      ...options,
      onStart: (beginning) => {
        if (historyFile) history = new HistoryStream({ ...beginning, file: historyFile });
      },
      onCalls: (calls, watermarkUs) => history?.deliver(calls, watermarkUs),
    });
    const { controlOps, meta } = streamed.history;
    history?.finish(controlOps.slice(history.controlOps.length), { unreadableCount: meta.unreadableCount });
    const segment = streamed.measures.segment!;
    const verdict =
      `segment ${segmentText(segment)} measured; the run is judged over every segment ` +
      '(tester merge: the count, over their --output files; tester check: the values, over their histories)';
    return { ...streamed.measures, segment, verdict, witnesses: [], passed: true };
  } finally {
    history?.close();
  }
}
