import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/domain/presets.js';
import { retryWhileBusy } from '../../src/provisioners/pulumi/busy.js';
import { engineErrorOf, summarizeEngineOutput } from '../../src/provisioners/pulumi/engine-errors.js';
import { labEventOf } from '../../src/provisioners/pulumi/local-engine.js';
import { EngineError } from '../../src/provisioners/pulumi/engine.js';
import { resourceNameOf, resourceTypeOf, toolIdOfUrn, toolRuleName } from '../../src/provisioners/pulumi/naming.js';
import { pendingOperationsOf, withoutPendingOperations } from '../../src/provisioners/pulumi/recovery.js';
import { scrubEngineText } from '../../src/provisioners/pulumi/scrub.js';
import { architectureOf, renderUserData, toolUrl } from '../../src/provisioners/pulumi/user-data.js';

/** The SDK's own error factory (internal, but exported at run time): the errors LocalWorkspace really throws. */
const sdk = pulumi.automation as unknown as {
  createCommandError(result: unknown): Error;
  CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
};

function commandError(stderr: string, stdout = ''): Error {
  return sdk.createCommandError(new sdk.CommandResult(stdout, stderr, 255));
}

const PASSPHRASE = 'correct-horse-battery';

describe('engineErrorOf: what a failed Automation API call means', () => {
  it('knows the SDK error classes', () => {
    expect(typeof sdk.createCommandError).toBe('function');
    expect(engineErrorOf(commandError('error: [409] Conflict: Another update is currently in progress.'), []).kind).toBe('concurrent_update');
    expect(engineErrorOf(commandError('error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.'), []).kind).toBe('concurrent_update');
    expect(engineErrorOf(commandError("error: no stack named 'env-abc123' found"), []).kind).toBe('stack_missing');
  });

  it.each([
    ['spawn pulumi ENOENT', 'cli_missing'],
    ['error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables', 'secrets'],
    ['error: incorrect passphrase', 'secrets'],
    ['error: configuring Terraform AWS Provider: no valid credential sources for Terraform AWS Provider found.', 'credentials'],
    ['api error InvalidClientTokenId: The security token included in the request is invalid.', 'credentials'],
    ['api error UnauthorizedOperation: You are not authorized to perform this operation.', 'permissions'],
    ['* creating EC2 Instance: InsufficientInstanceCapacity: We currently do not have sufficient capacity', 'failed'],
  ] as const)('classifies "%s" as %s', (stderr, kind) => {
    expect(engineErrorOf(commandError(stderr), []).kind).toBe(kind);
  });

  it('keeps no credential in its detail: access key ids, secret keys, the passphrase, Pulumi tokens', () => {
    const leaky = [
      `error: 1 error occurred:`,
      `* creating EC2 Instance: AuthFailure: key AKIAIOSFODNN7EXAMPLE with aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY passphrase ${PASSPHRASE} token pul-0123456789abcdef0123456789abcdef01234567`,
    ].join('\n');
    const error = engineErrorOf(commandError(leaky), [PASSPHRASE]);
    expect(error).toBeInstanceOf(EngineError);
    for (const secret of ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI', PASSPHRASE, 'pul-0123456789abcdef']) {
      expect(error.detail).not.toContain(secret);
      expect(error.message).not.toContain(secret);
    }
    expect(error.detail).toContain('aws_secret_access_key=[redacted]');
    expect(error).not.toHaveProperty('cause');
  });

  it('passes EngineErrors through and wraps anything else as a plain failure', () => {
    const own = new EngineError('credentials', 'x');
    expect(engineErrorOf(own, [])).toBe(own);
    expect(engineErrorOf('boom', [])).toMatchObject({ kind: 'failed', detail: 'boom' });
  });
});

describe('summarizeEngineOutput', () => {
  it("prefers the provider's detail line over Pulumi's generic ones", () => {
    const output = [
      'code: 255',
      ' stdout: Updating (env-abc123):',
      'Diagnostics:',
      '  aws:ec2:Instance (lab):',
      '    error: 1 error occurred:',
      '    \t* creating EC2 Instance: InvalidParameterValue: Invalid availability zone',
      '  pulumi:pulumi:Stack (aithroyz-labs-env-abc123):',
      '    error: update failed',
    ].join('\n');
    expect(summarizeEngineOutput(output)).toBe('creating EC2 Instance: InvalidParameterValue: Invalid availability zone');
  });

  it('falls back to the first specific error line, then the first line, on one line of at most 300 characters', () => {
    expect(summarizeEngineOutput('code: 255\n stderr: error: update failed\nerror: program failed: boom')).toBe('program failed: boom');
    expect(summarizeEngineOutput(`stderr: ${'x'.repeat(500)}`)).toHaveLength(300);
    expect(summarizeEngineOutput('')).toBe('no output');
  });
});

describe('scrubEngineText', () => {
  it('removes colour codes and session credentials', () => {
    expect(scrubEngineText('\u001b[31merror\u001b[0m ASIAXXXXXXXXXXXXXXXX AWS_SESSION_TOKEN: abc X-Amz-Signature=deadbeef&x=1')).toBe(
      'error [redacted] AWS_SESSION_TOKEN: [redacted] X-Amz-Signature=[redacted]&x=1',
    );
  });
});

describe('labEventOf: engine events reduced for progress', () => {
  const metadata = { op: 'create' as const, urn: 'urn:pulumi:s::p::aws:ec2/instance:Instance::lab', type: 'aws:ec2/instance:Instance', provider: '' };

  it('keeps resource steps, failures and error or warning diagnostics, scrubbed', () => {
    expect(labEventOf({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata } })).toEqual({ type: 'resource-started', urn: metadata.urn, op: 'create' });
    expect(labEventOf({ sequence: 2, timestamp: 0, resOutputsEvent: { metadata } })).toEqual({ type: 'resource-done', urn: metadata.urn, op: 'create' });
    expect(labEventOf({ sequence: 3, timestamp: 0, resOpFailedEvent: { metadata, status: 1, steps: 1 } })).toEqual({ type: 'resource-failed', urn: metadata.urn, op: 'create' });
    const diagnostic = { message: `AuthFailure for AKIAIOSFODNN7EXAMPLE ${PASSPHRASE}\n`, color: 'never', severity: 'error' as const, urn: metadata.urn };
    expect(labEventOf({ sequence: 4, timestamp: 0, diagnosticEvent: diagnostic }, [PASSPHRASE])).toEqual({
      type: 'diagnostic',
      severity: 'error',
      message: 'AuthFailure for [redacted] [redacted]',
      urn: metadata.urn,
    });
  });

  it('drops planning steps, info diagnostics and output text', () => {
    expect(labEventOf({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata, planning: true } })).toBeUndefined();
    expect(labEventOf({ sequence: 2, timestamp: 0, diagnosticEvent: { message: 'hi', color: 'never', severity: 'info' } })).toBeUndefined();
    expect(labEventOf({ sequence: 3, timestamp: 0, stdoutEvent: { message: 'secret stuff', color: 'never' } })).toBeUndefined();
  });
});

describe('resource names', () => {
  it('maps a URN to its tool, its name and its own type', () => {
    const urn = `urn:pulumi:env-abc123::aithroyz-labs::aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::${toolRuleName('dfir-iris', 2)}`;
    expect(toolIdOfUrn(urn)).toBe('dfir-iris');
    expect(resourceNameOf(urn)).toBe('dfir-iris-ingress-2');
    expect(resourceTypeOf('urn:pulumi:s::p::my:comp:Parent$aws:ec2/instance:Instance::lab')).toBe('aws:ec2/instance:Instance');
    expect(toolIdOfUrn('urn:pulumi:s::p::aws:ec2/instance:Instance::lab')).toBeUndefined();
    expect(toolIdOfUrn('urn:pulumi:s::p::aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::lab-egress')).toBeUndefined();
  });
});

describe('pending operations', () => {
  const state = { version: 3, deployment: { resources: [{ urn: 'a' }], pending_operations: [{ resource: { urn: 'u1', type: 't' }, type: 'creating' }] } };

  it('reads them from an export, and finds none in a clean, missing or odd state', () => {
    expect(pendingOperationsOf(state)).toEqual([{ urn: 'u1', type: 'creating' }]);
    expect(pendingOperationsOf({ version: 3, deployment: { resources: [] } })).toEqual([]);
    expect(pendingOperationsOf({ version: 3, deployment: { pending_operations: null } })).toEqual([]);
    expect(pendingOperationsOf(undefined)).toEqual([]);
    expect(pendingOperationsOf({ version: 3, deployment: 'garbage' })).toEqual([]);
  });

  it('drops them and keeps everything else', () => {
    expect(withoutPendingOperations(state)).toEqual({ version: 3, deployment: { resources: [{ urn: 'a' }] } });
  });
});

describe('user data and URLs', () => {
  const sandbox = loadCatalog().find('quick-sandbox')!;

  it('quotes anything unusual so the script stays one command per tool', () => {
    const odd = { ...sandbox.tools[0]!, id: "it's", image: 'a b:1' };
    expect(renderUserData([odd])).toContain(`--name 'it'\\''s'`);
    expect(renderUserData([odd])).toContain(`'a b:1' || echo`);
  });

  it('serves ports ending in 443 over https, picks arm64 for Graviton sizes', () => {
    expect(toolUrl({ port: 4443 }, 'h')).toBe('https://h:4443');
    expect(toolUrl({ port: 3000 }, 'h')).toBe('http://h:3000');
    expect(architectureOf('m7g.xlarge')).toBe('arm64');
    expect(architectureOf('c6gn.large')).toBe('arm64');
    expect(architectureOf('m5.2xlarge')).toBe('x86_64');
    expect(architectureOf('g5.xlarge')).toBe('x86_64');
  });
});

describe('retryWhileBusy', () => {
  it('doubles its waits up to the cap and gives up after the last attempt with the concurrent-update error', async () => {
    const waits: number[] = [];
    let calls = 0;
    const busy = new EngineError('concurrent_update', 'locked');
    const attempt = retryWhileBusy(
      async () => {
        calls += 1;
        throw busy;
      },
      { attempts: 5, firstDelayMs: 1, maxDelayMs: 4 },
      new AbortController().signal,
      (_attempt, delayMs) => waits.push(delayMs),
    );
    await expect(attempt).rejects.toBe(busy);
    expect(calls).toBe(5);
    expect(waits).toEqual([1, 2, 4, 4]);
  });

  it('does not retry other failures, and an abort ends a wait at once', async () => {
    const failed = new EngineError('failed', 'x');
    await expect(retryWhileBusy(() => Promise.reject(failed), { attempts: 5, firstDelayMs: 1, maxDelayMs: 1 }, new AbortController().signal, () => undefined)).rejects.toBe(failed);
    const controller = new AbortController();
    const started = Date.now();
    const waiting = retryWhileBusy(() => Promise.reject(new EngineError('concurrent_update', 'locked')), { attempts: 5, firstDelayMs: 60_000, maxDelayMs: 60_000 }, controller.signal, () =>
      controller.abort(new Error('stopping')),
    );
    await expect(waiting).rejects.toThrow('stopping');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
