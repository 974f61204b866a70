/**
 * Logs store failures without flooding: the first error of a burst is printed whole, the
 * rest are counted and summarised once per interval. A dead database would otherwise
 * write one line per request, tens of thousands a second.
 */
export class ErrorLog {
  private suppressedCount = 0;
  private lastPrintMs = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly prefix: string, private readonly intervalMs = 10_000) {}

  report(err: unknown): void {
    const now = Date.now();
    if (now - this.lastPrintMs >= this.intervalMs) {
      this.lastPrintMs = now;
      console.error(`${this.prefix}: store error: ${err instanceof Error ? err.message.trim() : String(err)}`);
      return;
    }
    this.suppressedCount++;
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  flush(): void {
    this.timer = undefined;
    if (this.suppressedCount === 0) return;
    console.error(`${this.prefix}: ${this.suppressedCount} more store errors in the last ${this.intervalMs / 1000} s`);
    this.suppressedCount = 0;
  }
}
