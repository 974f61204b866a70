/**
 * Where the clocks of a run's segments stand against each other: each segment saved its wall
 * clock at its start and, where the target has a clock to read, the bounds of its offset from it.
 * The reference clock is the first segment's; two segments' calls are in real-time order only
 * when apart by more than the skew: the widest the two bounds allow, or what --clock-skew states.
 */
import { HistoryError } from '../history/history-parser.js';
import type { SegmentMeta } from '../history/run-history.js';

export interface SegmentClock {
  /** The history's file, as the user named it. */
  name: string;
  segment: SegmentMeta;
}

export interface SegmentClocks {
  /** Added to segment k's times (microseconds since its start) to put them on the reference clock. */
  offsetsUs: number[];
  skewUs: number;
  /** For the verdict: each offset, the skew and where it comes from. */
  said: string;
}

/** `statedSkewUs`: --clock-skew; the measured offsets otherwise. */
export function segmentClocks(segments: readonly SegmentClock[], statedSkewUs?: number): SegmentClocks {
  const unread = segments.find(({ segment }) => segment.clockOffset === undefined);
  if (statedSkewUs === undefined && unread) {
    throw new HistoryError(
      `${unread.name}: its target has no clock the tester could read: give --clock-skew, the most two hosts' clocks may differ (e.g. 5ms)`,
    );
  }
  const middle = ({ clockOffset }: SegmentMeta) =>
    statedSkewUs === undefined ? (clockOffset!.lowUs + clockOffset!.highUs) / 2 : 0;
  const halfWidth = ({ clockOffset }: SegmentMeta) => (clockOffset!.highUs - clockOffset!.lowUs) / 2;
  const onTarget = segments.map(({ segment }) => segment.wallClockOriginUs + middle(segment));
  const offsetsUs = onTarget.map((us) => us - onTarget[0]);
  const widths = statedSkewUs === undefined ? segments.map(({ segment }) => halfWidth(segment)).sort((a, b) => b - a) : [];
  const skewUs = statedSkewUs ?? (widths.length > 1 ? widths[0] + widths[1] : 0);
  const source =
    statedSkewUs === undefined
      ? `measured against ${[...new Set(segments.map(({ segment }) => segment.clockOffset!.against))].join(', ')}`
      : '--clock-skew';
  const shifts = segments.slice(1).map(({ name }, k) => `${name} ${signedMs(offsetsUs[k + 1])}`);
  const said =
    `segments on ${segments[0].name}'s clock${shifts.length ? `: ${shifts.join(', ')}` : ''}; ` +
    `calls of different segments in real-time order only when more than ${ms(skewUs)} apart (${source})`;
  return { offsetsUs, skewUs, said };
}

const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;
const signedMs = (us: number) => `${us < 0 ? '-' : '+'}${ms(Math.abs(us))}`;
