import cliProgress from 'cli-progress';
import type { LoadProgress } from '../load/run-load.js';

/**
 * A live bar on stderr for TTYs: calls done, current RPS, errors. Returns the progress
 * listener and a stop function; on a non-TTY both do nothing.
 */
export function progressBar(stream: NodeJS.WriteStream): { update(progress: LoadProgress): void; stop(): void } {
  if (!stream.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{phase} [{bar}] {value}/{total} calls | {rps} req/s | {errors} errors | {elapsed}s',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let last = { doneCount: 0, elapsedMs: 0 };
  return {
    update(progress) {
      const windowMs = progress.elapsedMs - last.elapsedMs;
      const rps = windowMs > 0 ? Math.round(((progress.doneCount - last.doneCount) * 1000) / windowMs) : 0;
      last = progress;
      const payload = {
        phase: progress.phase,
        rps,
        errors: progress.errorCount,
        elapsed: (progress.elapsedMs / 1000).toFixed(1),
      };
      // Open-ended runs (--duration) show time instead of a call total.
      const total = progress.totalCount ?? Math.max(progress.doneCount, 1);
      if (!started) {
        bar.start(total, progress.doneCount, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(progress.doneCount, payload);
      }
    },
    stop: () => started && bar.stop(),
  };
}
