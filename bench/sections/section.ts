import type { JavaClient } from '../hazelcast/java-client.js';
import type { RatioSpec } from '../measurement.js';
import type { Recorder } from '../recorder.js';
import type { SectionKind } from '../report.js';
import type { Availability, LocatedTool } from '../tools/external-tool.js';

/** What every section gets: where the build is, how long to measure, which tools and services answered. */
export interface BenchContext {
  /** The snapshot of dist/ and build/ every process of the run starts from. */
  root: string;
  /** The working tree: Java source, the Hazelcast jar. */
  sourceRoot: string;
  durationS: number;
  recorder: Recorder;
  log(line: string): void;
  tools: {
    wrk: Availability;
    autocannon: Availability;
    redis: Availability;
    pgbench: Availability;
    java: JavaClient | { missing: string };
    vegeta: LocatedTool;
  };
  services: { postgresql: Availability; hazelcast: Availability };
}

/** One part of the bench: declares its rows at creation, measures all of them once per round. */
export interface Section {
  title: string;
  /** What the table's ratio column divides by. */
  refHeader: string;
  /** 'latency': tabled by latency percentiles (an open-loop comparison); 'soak': its plot and slopes. */
  kind?: SectionKind;
  ratios: RatioSpec[];
  notes: string[];
  /** What each of our servers said it runs (GET /health), by label. */
  storage?: Map<string, string>;
  /** Measured in the first round only: its length is the measurement, not its repetition (the soak). */
  once?: boolean;
  run(round: number): Promise<void>;
  /** Lines printed under the section's table once every round ran (e.g. the PostgreSQL methods' ranking). */
  summarize?(): string[];
}

export const missing = (availability: Availability | object): string | undefined =>
  'missing' in availability ? (availability as { missing: string }).missing : undefined;
