/** A fault the nemesis injected or healed: one line of the run's history, with process "nemesis". */
export interface NemesisEvent {
  /** Nanoseconds since the run started, on the same monotonic clock as the clients' operations. */
  time: number;
  /** "start-<fault>" or "stop-<fault>", e.g. "start-partition", "stop-kill-worker". */
  f: string;
  /** What was done, for a person: e.g. "SIGKILL worker pid 4242". */
  value: string;
}
