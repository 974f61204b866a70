import { isCrashed } from '../check/check-result.js';
import type { HistoryCheck } from '../check/check-history.js';
import type { NemesisEvent } from '../history/nemesis-event.js';

const failed = (event: NemesisEvent) => event.value.startsWith('failed:');
const seconds = (ns: number) => (ns / 1e9).toFixed(1);

/**
 * The verdict's part about faults: which ran and when, how many calls ended indeterminate,
 * and whether anything acknowledged was lost, e.g. "faults: kill-worker 5.0-10.1 s;
 * 3 calls indeterminate; nothing acknowledged lost". Empty when no fault ran.
 */
export function nemesisVerdictPart(events: readonly NemesisEvent[], check: HistoryCheck): string[] {
  if (events.length === 0) return [];
  const windows: string[] = [];
  const open = new Map<string, NemesisEvent>();
  for (const event of events) {
    const [half, ...rest] = event.f.split('-');
    const name = rest.join('-');
    const start = open.get(name);
    if (half === 'start') open.set(name, event);
    else if (start) {
      const note = failed(start) ? ' (could not inject)' : failed(event) ? ' (could not heal)' : '';
      windows.push(`${name} ${seconds(start.time)}-${seconds(event.time)} s${note}`);
      open.delete(name);
    }
  }
  for (const [name, start] of open) windows.push(`${name} from ${seconds(start.time)} s (never healed)`);
  const { count } = check.checks;
  const lost = isCrashed(count) || count.appliedCount === undefined
    ? 'losses unknown (final count unread)'
    : count.lostCount > 0 ? `${count.lostCount} acknowledged increments LOST` : 'nothing acknowledged lost';
  const calls = check.indeterminateCount === 1 ? 'call' : 'calls';
  return [`faults: ${windows.join(', ')}`, `${check.indeterminateCount} ${calls} indeterminate`, lost];
}
