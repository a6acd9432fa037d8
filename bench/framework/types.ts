/** What one metric of a case measures, and how to read it. */
export interface Metric {
  /** Key in the values a measurement returns. */
  key: string;
  /** Row label in the table: `audit export, 1,000,000 entries`. */
  label: string;
  unit: string;
  /** `higher` for rates, `lower` for times and memory. */
  better: 'higher' | 'lower';
  /** The most the figure may cost relative to its baseline (the ratio column), when docs/promises.md sets a target. */
  target?: number;
  /** Decimals shown. */
  digits?: number;
}

/** One repetition of a case: each metric's figure and the baseline measured right next to it. */
export type Measurement = Record<string, { figure: number; baseline: number }>;

export interface BenchCase {
  name: string;
  /** What the figure is (the product's code path). */
  figure: string;
  /** What it is compared with, measured in the same run. */
  baseline: string;
  metrics: Metric[];
  /** Repetitions, for a case that is one long run by nature (`--runs` sets the others'). */
  runs?: 1;
  measure(): Promise<Measurement>;
}

export interface SuiteOptions {
  /** Smaller inputs for a quick check of the bench itself (`--quick`); figures are then not comparable. */
  quick: boolean;
  log(message: string): void;
  /**
   * Registers what undoes the set-up so far (stop a process, drop a database): run, last registered first, if the
   * set-up fails, if the bench is interrupted, and after the suite's cases when it has no `close` of its own.
   */
  cleanup(undo: () => Promise<void>): void;
  /**
   * Lets the machine's Postgres settle (the runner does before each run; a run that measures twice does between its
   * measurements). Resolves with the milliseconds it took.
   */
  settle(): Promise<number>;
}

/** A set of cases sharing a set-up (a database, loaded data), opened once and closed after its cases ran. */
export interface BenchSuite {
  name: string;
  open(options: SuiteOptions): Promise<OpenSuite>;
}

export interface OpenSuite {
  cases: BenchCase[];
  /** Undoes the set-up after the cases; without it the registered clean-ups do. */
  close?(): Promise<void>;
}

export interface Sample {
  median: number;
  runs: number[];
}

export interface MetricResult extends Metric {
  figure: Sample;
  baseline: Sample;
  /** Cost relative to the baseline, per run and its median: figure/baseline for `lower`, baseline/figure for `higher`. */
  ratio: Sample;
  /** Whether the median ratio meets the target; absent without a target. */
  met?: boolean;
}

export interface CaseResult {
  suite: string;
  name: string;
  figure: string;
  baseline: string;
  metrics: MetricResult[];
  /** In latest.json, which merges runs: the run that measured this case, and the load average at its end. */
  run?: { startedAt: string; command: string; loadAverage: number[] };
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  quick: boolean;
  machine: { node: string; platform: string; cpus: number; cpuModel: string; memoryMb: number; loadAverage: number[] };
  results: CaseResult[];
}
