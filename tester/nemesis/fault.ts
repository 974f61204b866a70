/** One kind of fault, bound to its target: injected by `start`, healed by `stop`. */
export interface Fault {
  /** Its catalogue name, e.g. "kill-worker". */
  readonly name: string;
  /** Injects the fault; resolves with what was done, for a person ("SIGKILL worker pid 4242"). */
  start(): Promise<string>;
  /** Heals it (restarts, resumes, lifts the rule); resolves with what was done. */
  stop(): Promise<string>;
}

/** A fault that could not be injected or healed: the run goes on, the history says why. */
export class FaultError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaultError';
  }
}
