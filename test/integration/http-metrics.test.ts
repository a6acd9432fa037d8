import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendJson } from '../../src/http/answers.js';
import { createMetrics, jobCountsFrom, labCountsFrom, metricsDoor, type AppMetrics, type MetricsSources } from '../../src/http/metrics.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestRedis, type TestRedis } from '../support/redis.js';

let database: TestDatabase;
let redis: TestRedis;
let current: HttpServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await createTestRedis('http-metrics');
});

afterAll(async () => {
  await redis.cleanup();
  await database.drop();
});

afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(metrics: AppMetrics): Promise<string> {
  const http = createHttpServer({ log: silentLogger, observeRequest: metrics.httpRequest.observe });
  http.register(async (door) => {
    door.get('/hello', async (_request, reply) => sendJson(reply, 200, { hello: 'world' }));
  });
  http.register(metricsDoor(metrics));
  current = http;
  const { port } = await http.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${port}`;
}

async function scrape(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return response.text();
}

/** The value of one sample line, e.g. `labs{state="running"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function insertEnvironment(id: string, state: string): Promise<void> {
  const running = state === 'running';
  await database.pool.query(
    `insert into environments (id, preset_id, platform, owner_id, owner_name, state, ttl_seconds, requested_at,
       approval_deadline, running_at, expires_at, max_expires_at, updated_at)
     values ($1, 'web-basic', 'slack', 'U1', 'ana', $2, 3600, now(), now() + interval '1 day',
       ${running ? "now(), now() + interval '1 hour', now() + interval '1 day'" : 'null, null, null'}, now())`,
    [id, state],
  );
}

describe('GET /metrics', () => {
  it('serves process metrics and the HTTP request counter and histogram, labelled by route', async () => {
    const metrics = createMetrics();
    const base = await serve(metrics);
    await fetch(`${base}/hello`);
    await fetch(`${base}/hello`);
    await fetch(`${base}/no/such/path`);
    const text = await scrape(base);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(sample(text, 'http_requests_total{method="GET",route="/hello",status="200"}')).toBe(2);
    expect(sample(text, 'http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain('/no/such/path');
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/hello",status="200"}')).toBe(2);
  });

  it('exposes every typed observation under its labels', async () => {
    const metrics = createMetrics();
    metrics.ackLatency.observe({ platform: 'slack', kind: 'command' }, 0.042);
    metrics.ackLatency.observe({ platform: 'mattermost', kind: 'dialog' }, 2.5);
    metrics.jobFinished.observe({ queue: 'deploy', outcome: 'completed' }, 12);
    metrics.jobFinished.observe({ queue: 'deploy', outcome: 'failed' }, 0.3);
    metrics.jobFinished.observe({ queue: 'deploy', outcome: 'failed' }, 0.4);
    metrics.timerLateness.observe({ kind: 'expire' }, 0.2);
    metrics.timerLateness.observe({ kind: 'remind' }, -0.01);
    metrics.auditAppend.observe(0.003);
    const text = await scrape(await serve(metrics));

    expect(sample(text, 'ack_latency_seconds_bucket{le="0.05",platform="slack",kind="command"}')).toBe(1);
    expect(sample(text, 'ack_latency_seconds_bucket{le="2",platform="mattermost",kind="dialog"}')).toBe(0);
    expect(sample(text, 'ack_latency_seconds_bucket{le="3",platform="mattermost",kind="dialog"}')).toBe(1);
    expect(sample(text, 'jobs_finished_total{queue="deploy",outcome="completed"}')).toBe(1);
    expect(sample(text, 'jobs_finished_total{queue="deploy",outcome="failed"}')).toBe(2);
    expect(sample(text, 'job_duration_seconds_sum{queue="deploy",outcome="completed"}')).toBe(12);
    expect(sample(text, 'timer_lateness_seconds_sum{kind="expire"}')).toBe(0.2);
    // A timer that fired a hair early counts as on time, not as negative lateness.
    expect(sample(text, 'timer_lateness_seconds_sum{kind="remind"}')).toBe(0);
    expect(sample(text, 'audit_append_duration_seconds_bucket{le="0.005"}')).toBe(1);
    expect(sample(text, 'audit_append_duration_seconds_count')).toBe(1);
  });

  it('reads labs by state from Postgres at scrape time, every state included', async () => {
    const metrics = createMetrics({ sources: { labCounts: labCountsFrom(database.pool) } });
    const base = await serve(metrics);
    await insertEnvironment('env-aaaaa1', 'running');
    await insertEnvironment('env-aaaaa2', 'running');
    await insertEnvironment('env-aaaaa3', 'pending_approval');
    let text = await scrape(base);
    expect(sample(text, 'labs{state="running"}')).toBe(2);
    expect(sample(text, 'labs{state="pending_approval"}')).toBe(1);
    expect(sample(text, 'labs{state="destroyed"}')).toBe(0);
    expect(sample(text, 'metrics_source_up{source="labs"}')).toBe(1);

    await database.pool.query("update environments set state = 'destroying' where id = 'env-aaaaa1'");
    text = await scrape(base);
    expect(sample(text, 'labs{state="running"}')).toBe(1);
    expect(sample(text, 'labs{state="destroying"}')).toBe(1);
  });

  it('reads jobs by queue and state from BullMQ at scrape time', async () => {
    const deploy = redis.queue('deploy');
    const remind = redis.queue('remind');
    await deploy.add('deploy', { envId: 'env-aaaaa1' }, { jobId: 'deploy-env-aaaaa1' });
    await remind.add('remind', { envId: 'env-aaaaa1' }, { jobId: 'remind-1', delay: 3_600_000 });
    await remind.add('remind', { envId: 'env-aaaaa2' }, { jobId: 'remind-2', delay: 3_600_000 });
    const metrics = createMetrics({ sources: { jobCounts: jobCountsFrom([deploy, remind]) } });
    const text = await scrape(await serve(metrics));
    expect(sample(text, 'jobs{queue="deploy",state="waiting"}')).toBe(1);
    expect(sample(text, 'jobs{queue="deploy",state="delayed"}')).toBe(0);
    expect(sample(text, 'jobs{queue="remind",state="delayed"}')).toBe(2);
    expect(sample(text, 'jobs{queue="remind",state="failed"}')).toBe(0);
  });

  it('still answers when a source fails, marking that source down and logging why', async () => {
    const lines: string[] = [];
    const log = createLogger('warn', { write: (line: string) => void lines.push(line) });
    const sources: MetricsSources = {
      jobCounts: async () => Promise.reject(new Error('redis went away')),
      labCounts: async () => [{ state: 'running', count: 3 }],
    };
    const metrics = createMetrics({ sources, log });
    const text = await scrape(await serve(metrics));
    expect(sample(text, 'metrics_source_up{source="jobs"}')).toBe(0);
    expect(sample(text, 'metrics_source_up{source="labs"}')).toBe(1);
    expect(text).not.toMatch(/^jobs\{/m);
    expect(sample(text, 'labs{state="running"}')).toBe(3);
    expect(lines.some((line) => line.includes('redis went away') && line.includes('"source":"jobs"'))).toBe(true);
  });

  it('keeps one registry per instance, so two apps in one process do not share figures', async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.auditAppend.observe(0.01);
    expect(sample(await second.registry.metrics(), 'audit_append_duration_seconds_count')).toBe(0);
    expect(sample(await first.registry.metrics(), 'audit_append_duration_seconds_count')).toBe(1);
  });
});
