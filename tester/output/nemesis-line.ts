import type { NemesisEvent } from '../history/nemesis-event.js';

/** One line per fault injected or healed, on stderr while the run goes on. */
export function nemesisEventLine(event: NemesisEvent): string {
  return `nemesis ${(event.time / 1e9).toFixed(2).padStart(8)} s  ${event.f}: ${event.value}\n`;
}
