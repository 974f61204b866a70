import { isCrashed } from '../check/check-result.js';
import type { HistoryCheck } from '../check/check-history.js';
import type { NemesisEvent } from '../history/nemesis-event.js';

const failed = (event: NemesisEvent) => event.value.startsWith('failed:');
/** "5.0-10.1 s", or "2.5-4.5 ms" for a window over within the first second. */
function span(startNs: number, endNs: number): string {
  const [unitNs, unit] = endNs < 1e9 ? [1e6, 'ms'] : [1e9, 's'];
  return `${(startNs / unitNs).toFixed(1)}-${(endNs / unitNs).toFixed(1)} ${unit}`;
}
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * The verdict's part about faults: which ran and when, how many calls ended indeterminate,
 * and whether anything acknowledged was lost, e.g. "faults: kill-worker 5.0-10.1 s;
 * 3 calls indeterminate; nothing acknowledged lost". Empty when no fault ran.
 */
export function nemesisVerdictPart(events: readonly NemesisEvent[], check: HistoryCheck): string[] {
  if (events.length === 0) return [];
  const indeterminate = `${plural(check.indeterminateCount, 'call')} indeterminate`;
  return [`faults: ${faultWindows(events).join(', ')}`, indeterminate, lossPart(check)];
}

/** "kill-worker 5.0-10.1 s" per start/stop pair, in order. */
function faultWindows(events: readonly NemesisEvent[]): string[] {
  const windows: string[] = [];
  const open = new Map<string, NemesisEvent>();
  for (const event of events) {
    const name = event.f.replace(/^(start|stop)-/, '');
    const start = open.get(name);
    if (event.f.startsWith('start-')) open.set(name, event);
    else if (start) {
      const note = failed(start) ? ' (could not inject)' : failed(event) ? ' (could not heal)' : '';
      windows.push(`${name} ${span(start.time, event.time)}${note}`);
      open.delete(name);
    }
  }
  for (const [name, start] of open) windows.push(`${name} from ${(start.time / 1e9).toFixed(1)} s (never healed)`);
  return windows;
}

function lossPart(check: HistoryCheck): string {
  const { count } = check.checks;
  if (isCrashed(count) || count.appliedCount === undefined) return 'losses unknown (final count unread)';
  if (count.lostCount === 0) return 'nothing acknowledged lost';
  return `${plural(count.lostCount, 'acknowledged increment')} LOST`;
}
