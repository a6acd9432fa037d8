import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ENV_STATES } from '../domain/lifecycle.js';
import type { Platform } from '../domain/users.js';
import type { Logger } from '../log.js';
import type { Door } from './server.js';

export interface JobCount {
  queue: string;
  state: string;
  count: number;
}

export interface LabCount {
  state: string;
  count: number;
}

/** Read at scrape time, so the figures are as fresh as the scrape. */
export interface MetricsSources {
  jobCounts?: () => Promise<JobCount[]>;
  labCounts?: () => Promise<LabCount[]>;
}

export type AckKind = 'command' | 'action' | 'dialog';
export type JobOutcome = 'completed' | 'failed';
export type TimerKind = 'remind' | 'expire';

interface Observer<L> {
  observe(labels: L, seconds: number): void;
}

/** The app's metrics: one registry per process, typed helpers for every observation the code makes. */
export interface AppMetrics {
  registry: Registry;
  httpRequest: Observer<{ method: string; route: string; status: number }>;
  /** Time from receiving a chat request to acknowledging it (Slack's limit is 3 s). */
  ackLatency: Observer<{ platform: Platform; kind: AckKind }>;
  /** A job attempt ended: its queue, whether it completed or failed, and how long it ran. */
  jobFinished: Observer<{ queue: string; outcome: JobOutcome }>;
  /** Seconds a remind/expire job started after its due time. */
  timerLateness: Observer<{ kind: TimerKind }>;
  auditAppend: { observe(seconds: number): void };
  render(): Promise<{ contentType: string; body: string }>;
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10];
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800];
const LATENESS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
const AUDIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export function createMetrics(options: { sources?: MetricsSources; log?: Logger } = {}): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const ackLatency = new Histogram({
    name: 'ack_latency_seconds',
    help: 'Time from receiving a chat request to acknowledging it',
    labelNames: ['platform', 'kind'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const jobsFinished = new Counter({
    name: 'jobs_finished_total',
    help: 'Job attempts that ended, by queue and outcome (completed or failed)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Job attempt duration by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [registry],
  });
  const timerLateness = new Histogram({
    name: 'timer_lateness_seconds',
    help: 'Seconds a remind or expire job started after its due time',
    labelNames: ['kind'] as const,
    buckets: LATENESS_BUCKETS,
    registers: [registry],
  });
  const auditAppend = new Histogram({
    name: 'audit_append_duration_seconds',
    help: 'Time to append one audit entry (hash chain included)',
    buckets: AUDIT_BUCKETS,
    registers: [registry],
  });
  registerSourceGauges(registry, options.sources ?? {}, options.log);

  return {
    registry,
    httpRequest: {
      observe({ method, route, status }, seconds) {
        const labels = { method, route, status: String(status) };
        httpRequests.inc(labels);
        httpDuration.observe(labels, seconds);
      },
    },
    ackLatency: { observe: (labels, seconds) => ackLatency.observe(labels, seconds) },
    jobFinished: {
      observe(labels, seconds) {
        jobsFinished.inc(labels);
        jobDuration.observe(labels, seconds);
      },
    },
    timerLateness: { observe: (labels, seconds) => timerLateness.observe(labels, Math.max(0, seconds)) },
    auditAppend: { observe: (seconds) => auditAppend.observe(seconds) },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

interface SourceReadings {
  jobs: JobCount[] | undefined;
  labs: LabCount[] | undefined;
}

/**
 * Gauges read from the sources at scrape time. The registry collects every metric at once, so one reading per scrape
 * is shared by the gauges and by `metrics_source_up`, which says whether each source answered.
 */
function registerSourceGauges(registry: Registry, sources: MetricsSources, log: Logger | undefined): void {
  const read = async <T>(name: string, source: (() => Promise<T[]>) | undefined): Promise<T[] | undefined> => {
    if (!source) return undefined;
    try {
      return await source();
    } catch (error) {
      log?.warn({ err: error, source: name }, 'metrics source failed; its gauge is empty for this scrape');
      return undefined;
    }
  };
  let current: Promise<SourceReadings> | undefined;
  const readings = (): Promise<SourceReadings> => {
    current ??= Promise.all([read('jobs', sources.jobCounts), read('labs', sources.labCounts)])
      .then(([jobs, labs]) => ({ jobs, labs }))
      .finally(() => {
        current = undefined;
      });
    return current;
  };

  if (sources.jobCounts) {
    new Gauge({
      name: 'jobs',
      help: 'Jobs by queue and state, read from Redis at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        const { jobs } = await readings();
        this.reset();
        for (const row of jobs ?? []) this.set({ queue: row.queue, state: row.state }, row.count);
      },
    });
  }
  if (sources.labCounts) {
    new Gauge({
      name: 'labs',
      help: 'Labs by state, read from Postgres at scrape time',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        const { labs } = await readings();
        this.reset();
        if (!labs) return;
        // Every state is reported, zero included, so dashboards see a state empty out.
        for (const state of ENV_STATES) this.set({ state }, 0);
        for (const row of labs) this.set({ state: row.state }, row.count);
      },
    });
  }
  new Gauge({
    name: 'metrics_source_up',
    help: '1 when this scrape could read the source (jobs, labs), 0 when it failed',
    labelNames: ['source'] as const,
    registers: [registry],
    async collect() {
      const { jobs, labs } = await readings();
      this.reset();
      if (sources.jobCounts) this.set({ source: 'jobs' }, jobs ? 1 : 0);
      if (sources.labCounts) this.set({ source: 'labs' }, labs ? 1 : 0);
    },
  });
}

/** `GET /metrics`: the registry in Prometheus's text format. */
export function metricsDoor(metrics: AppMetrics): Door {
  return async (door) => {
    door.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.code(200).type(contentType).send(body);
    });
  };
}

/** Labs by state, straight from the environments table. */
export function labCountsFrom(pool: pg.Pool): () => Promise<LabCount[]> {
  return async () => {
    const result = await pool.query<{ state: string; count: number }>(
      'select state, count(*)::int as count from environments group by state',
    );
    return result.rows;
  };
}

/** The BullMQ job states worth a series. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'completed', 'failed'];

/** What `jobCountsFrom` needs of a queue (BullMQ's `Queue` has it). */
export interface CountableQueue {
  name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

/** Jobs by queue and state, asked of each queue at scrape time. */
export function jobCountsFrom(queues: readonly CountableQueue[]): () => Promise<JobCount[]> {
  return async () => {
    const perQueue = await Promise.all(
      queues.map(async (queue) => {
        const counts = await queue.getJobCounts(...JOB_STATES);
        return JOB_STATES.map((state) => ({ queue: queue.name, state, count: counts[state] ?? 0 }));
      }),
    );
    return perQueue.flat();
  };
}
