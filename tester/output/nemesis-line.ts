import type { NemesisEvent } from '../history/nemesis-event.js';

/**
 * One line per fault injected or healed, on stderr while the run goes on. On a terminal it
 * first erases the progress bar's line; the bar redraws itself below.
 */
export function nemesisEventLine(event: NemesisEvent, terminal = false): string {
  const seconds = (event.time / 1e9).toFixed(2).padStart(8);
  return `${terminal ? '\r\x1b[2K' : ''}nemesis ${seconds} s  ${event.f}: ${event.value}\n`;
}
