import { describe, expect, it } from 'vitest';
import { JOBS, retrySettingsOf } from '../../src/queue/jobs.js';
import { jobOptions, KEEP_COMPLETED, KEEP_FAILED, validatePayload } from '../../src/queue/queue.js';

const now = Date.parse('2026-11-26T12:00:00.000Z');

describe('jobOptions', () => {
  it('takes attempts and exponential backoff from the settings of its job, with the deterministic id', () => {
    expect(jobOptions('deploy', { jobId: 'deploy-env-abc123' }, now)).toEqual({
      jobId: 'deploy-env-abc123',
      delay: 0,
      attempts: JOBS.deploy.attempts,
      backoff: { type: 'exponential', delay: JOBS.deploy.backoffMs },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    });
  });

  it('delays until runAt, and treats a past runAt as now', () => {
    expect(jobOptions('expire', { jobId: 'x', runAt: new Date(now + 90_000) }, now).delay).toBe(90_000);
    expect(jobOptions('expire', { jobId: 'x', runAt: new Date(now - 5_000) }, now).delay).toBe(0);
  });

  it('applies overrides to the named job only', () => {
    const overrides = { deploy: { attempts: 2, backoffMs: 10 } };
    expect(jobOptions('deploy', { jobId: 'x' }, now, overrides)).toMatchObject({ attempts: 2, backoff: { delay: 10 } });
    expect(jobOptions('destroy', { jobId: 'x' }, now, overrides)).toMatchObject({ attempts: JOBS.destroy.attempts });
    expect(retrySettingsOf('deploy', overrides).timeoutMs).toBe(JOBS.deploy.timeoutMs);
  });
});

describe('validatePayload', () => {
  it('returns the parsed payload without unknown fields', () => {
    expect(validatePayload('deploy', { envId: 'env-abc123', extra: true })).toEqual({ envId: 'env-abc123' });
  });

  it('refuses a bad payload with a non-retryable AppError naming the job and the field', () => {
    expect(() => validatePayload('remind', { envId: 'env-abc123', offsetSeconds: -1, expiresAt: 'soon' })).toThrow(
      expect.objectContaining({ code: 'invalid_job_payload', retry: false, message: expect.stringMatching(/"remind".*offsetSeconds.*expiresAt/) }),
    );
  });
});
