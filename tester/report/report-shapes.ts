/**
 * What an HTML report's page draws: plain data, embedded in the page as JSON. The page's
 * script compiles apart from the tester (it runs in a browser), so this file imports nothing.
 * Times are milliseconds since the run started.
 */

/** Throughput and latency per time bucket; arrays are parallel, one entry per bucket. */
export interface TimeSeries {
  bucketMs: number;
  /** Each bucket's start. */
  startMs: number[];
  /** Acknowledged increments per second, by completion time. */
  okPerSecond: number[];
  /** Certainly failed and indeterminate calls per second. */
  failedPerSecond: number[];
  indeterminatePerSecond: number[];
  /** Latency percentiles of the calls completing in the bucket; null when none did. */
  p50Ms: Array<number | null>;
  p90Ms: Array<number | null>;
  p99Ms: Array<number | null>;
  maxMs: Array<number | null>;
  /** How far a percentile (not the max) may lie from the exact one, relative: they come from log-spaced bins. */
  percentileError: number;
}

/** Latency counts on log-spaced bins: bin i holds latencies in [edgesMs[i], edgesMs[i + 1]). */
export interface LatencyHistogram {
  edgesMs: number[];
  okCount: number[];
  failedCount: number[];
  indeterminateCount: number[];
}

/** A fault the nemesis held: from its start event to its stop (the run's end when it never stopped). */
export interface FaultWindow {
  fault: string;
  startMs: number;
  stopMs: number;
  /** What was done, e.g. "SIGKILL worker pid 4242". */
  description: string;
}

export type OpOutcome = 'ok' | 'fail' | 'info';

/** One call drawn on a client's lane. */
export interface TimelineOp {
  lane: number;
  f: 'inc' | 'read';
  invokeMs: number;
  /** When the client saw the outcome; an indeterminate call may take effect even later. */
  completeMs: number;
  value: number | null;
  outcome: OpOutcome;
  /** Part of the evidence, not just a neighbour. */
  witness: boolean;
  /** For a read: the value it had to lie in, [lower, upper]. */
  bounds?: [number, number];
}

/** The calls around one anomaly, one lane per client, as Porcupine draws a history. */
export interface Timeline {
  fromMs: number;
  toMs: number;
  lanes: string[];
  ops: TimelineOp[];
  /** Calls in the window left out to keep the page small. */
  omittedCount: number;
}

export interface WitnessView {
  /** One line naming the evidence, e.g. "value 4411 returned twice". */
  caption: string;
  timeline: Timeline;
}

export interface AnomalySection {
  kind: string;
  /** e.g. "Duplicate values: 199 (the first 5 shown, 194 more)". */
  title: string;
  /** What the anomaly means, for a person who has not read the checker. */
  explanation: string;
  witnesses: WitnessView[];
}

export interface ReportFact {
  label: string;
  value: string;
  /** Drawn as a problem. */
  bad?: boolean;
}

export interface RunReport {
  title: string;
  /** true, false or 'unknown', as the checkers say. */
  valid: boolean | 'unknown';
  passed: boolean;
  verdict: string;
  facts: ReportFact[];
  series: TimeSeries;
  histogram: LatencyHistogram;
  faults: FaultWindow[];
  anomalies: AnomalySection[];
}

/** One cell of a `tester compare` grid: its speed beside its verdict. */
export interface CompareRowView {
  scenario: string;
  clients: number;
  /** Medians over the rounds. */
  rps: number | null;
  p99Ms: number | null;
  /** "41148 [39002-42310]": the median RPS with its 95% interval, or why there is none; '-' when no round ran. */
  rpsText: string;
  /** Against the baseline: "1.31x [1.22-1.40] faster", "~ (p=0.42)", "baseline" or '-'. */
  vsBaseline: string;
  rank: number | null;
  /** "loader 6/6, host 2/6": rounds whose speed the loader or the host may have set; '' for none. */
  limited: string;
  /** Null when the scenario did not run, or its checker could not tell. */
  lostCount: number | null;
  duplicateCount: number | null;
  outOfOrderCount: number | null;
  passed: boolean;
  /** PASS, FAIL or why it could not run; then the checkers' line. */
  verdict: string;
  detail: string;
}

export interface CompareReport {
  title: string;
  /** The comparison chart's ECharts option (plain data, no functions) and the height it needs. */
  chart: { option: object; widthPx: number; heightPx: number };
  rows: CompareRowView[];
}

/** What one HTML file holds. */
export type ReportPage = { kind: 'run'; report: RunReport } | { kind: 'compare'; report: CompareReport };
