/** Rounds' progress: how long the rest will take, from how long the runs so far took. */

/** "12 s", "3 min 05 s". */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** "about 1 min 20 s left", or '' before the first run has ended (nothing to estimate from). */
export function timeLeftText(elapsedMs: number, doneRuns: number, totalRuns: number): string {
  if (doneRuns === 0) return '';
  if (doneRuns >= totalRuns) return `done in ${durationText(elapsedMs)}`;
  return `about ${durationText((elapsedMs / doneRuns) * (totalRuns - doneRuns))} left`;
}
