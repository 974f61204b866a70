/**
 * The nemesis logs "start-<fault>" and "stop-<fault>" events; a window is each start with
 * the next stop of the same fault. A fault still on when the run ended lasts to `endMs`.
 */
import type { NemesisEvent } from '../history/nemesis-event.js';
import type { FaultWindow } from './report-shapes.js';

export function faultWindows(events: readonly NemesisEvent[], endMs: number): FaultWindow[] {
  const open = new Map<string, FaultWindow>();
  const windows: FaultWindow[] = [];
  for (const event of [...events].sort((a, b) => a.time - b.time)) {
    const [, verb, fault] = /^(start|stop)-(.+)$/.exec(event.f) ?? [];
    const atMs = event.time / 1e6;
    const current = open.get(fault);
    if (verb === 'start' && !current) {
      const window = { fault, startMs: atMs, stopMs: endMs, description: event.value };
      open.set(fault, window);
      windows.push(window);
    } else if (verb === 'stop' && current) {
      current.stopMs = atMs;
      open.delete(fault);
    }
  }
  return windows;
}
