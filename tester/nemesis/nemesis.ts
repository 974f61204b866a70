/**
 * The scheduler: every interval it injects the next fault of the list, holds it for one
 * interval, heals it, and records both moments as history events. No fault begins after the
 * run's deadline: the calls still in flight then are the run's drain, not its load, and a
 * fault begun there would strike a run that is already over (and outlast it).
 */
import type { NemesisEvent } from '../history/nemesis-event.js';
import { monotonicUs } from '../check/history.js';
import type { Fault } from './fault.js';

export class Nemesis {
  readonly events: NemesisEvent[] = [];
  /** When the fault being injected began (monotonicUs), until its event is recorded; Infinity otherwise. */
  busySinceUs = Infinity;
  #originUs = 0;
  #untilUs = Infinity;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly faults: readonly Fault[],
    private readonly intervalMs: number,
    /** Called with each event as it is recorded, e.g. to print it. */
    private readonly onEvent: (event: NemesisEvent) => void = () => {},
  ) {}

  /**
   * Starts the schedule; event times count from `originUs` (monotonicUs), the run's start, and no
   * fault begins at or after `untilUs` (monotonicUs; a run of a set number of calls has none).
   */
  start(originUs: number, untilUs = Infinity): void {
    this.#originUs = originUs;
    this.#untilUs = untilUs;
    this.#running ??= this.#loop();
  }

  /** Heals the fault in force, if any, and ends the schedule; resolves with every event. */
  async stop(): Promise<NemesisEvent[]> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
    return this.events;
  }

  async #loop(): Promise<void> {
    for (let turn = 0; ; turn++) {
      await this.#pause();
      if (this.#stopping || monotonicUs() >= this.#untilUs) return;
      const fault = this.faults[turn % this.faults.length];
      await this.#step(fault, 'start', () => fault.start());
      await this.#pause();
      await this.#step(fault, 'stop', () => fault.stop());
    }
  }

  /** Runs one half of a fault; a failure is recorded as what was done and the schedule goes on. */
  async #step(fault: Fault, half: 'start' | 'stop', action: () => Promise<string>): Promise<void> {
    // A start is stamped when it begins and a stop when it is done, so the window covers the whole disturbance.
    const beganUs = monotonicUs();
    // A start's event is stamped before it is recorded: the history must not be laid out past it meanwhile.
    if (half === 'start') this.busySinceUs = beganUs;
    const value = await action().catch((err: unknown) => `failed: ${err instanceof Error ? err.message : String(err)}`);
    const atUs = half === 'start' ? beganUs : monotonicUs();
    this.#record({ time: Math.round((atUs - this.#originUs) * 1000), f: `${half}-${fault.name}`, value });
    this.busySinceUs = Infinity;
  }

  #record(event: NemesisEvent): void {
    this.events.push(event);
    this.onEvent(event);
  }

  /** Waits one interval, or less when stopped meanwhile. */
  #pause(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.intervalMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
