import { describe, expect, it } from 'vitest';
import { chatActor } from '../../src/domain/actor.js';
import { runAuditCommand } from '../../commands/audit.js';
import type { CommandContext } from '../../commands/context.js';
import { runEnvCommand } from '../../commands/env.js';
import { envHelp } from '../../commands/env-help.js';
import type { CommandInvocation } from '../../src/chat/types.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import { loadCatalog } from '../../src/domain/presets.js';
import type { Platform } from '../../src/domain/users.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { JobQueue } from '../../src/queue/jobs.js';
import { Notifiers, type Services } from '../../src/services.js';

/** Anything that reaches for I/O fails the test: these paths must answer from the text alone. */
const noIo = new Proxy({}, { get: (_target, property) => { throw new Error(`unexpected I/O: ${String(property)}`); } });

function context(text: string, platform: Platform = 'slack'): CommandContext {
  const s: Services = {
    config: loadConfig({}),
    db: noIo as Db,
    clock: new ManualClock(),
    log: silentLogger,
    catalog: loadCatalog(),
    jobs: noIo as JobQueue,
    notifiers: new Notifiers(),
    provisioner: noIo as Services['provisioner'],
  };
  const invocation: CommandInvocation = {
    kind: 'command',
    command: 'env',
    text,
    requestId: 'req-unit',
    platform,
    user: { platform, id: 'U0ALICE', name: 'alice' },
    channelId: 'C0LABS',
    receivedAt: new Date(),
  };
  return { s, invocation, actor: chatActor(invocation.user), log: silentLogger, audit: { details: {} } };
}

async function refusal(run: () => Promise<unknown>): Promise<AppError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('/env routing', () => {
  it('routes /env alone and /env help to the help, in any case, which then checks the user is in the team', async () => {
    expect(envHelp().view.text).toContain('/env request <preset>');
    for (const text of ['', '   ', 'help', 'HELP', 'Help me please']) {
      const ctx = context(text);
      // The membership is read from Postgres (the integration tests answer it); the help answers members only.
      await expect(runEnvCommand(ctx, text)).rejects.toThrow('unexpected I/O');
    }
  });

  it('refuses an unknown sub-command, naming it and listing the real ones', async () => {
    const ctx = context('deploy soc-platform');
    const error = await refusal(() => runEnvCommand(ctx, 'deploy soc-platform'));
    expect(error.code).toBe('unknown_subcommand');
    expect(error.message).toContain('/env deploy');
    expect(error.hint).toContain('/env request <preset>');
    expect(error.hint).toContain('/env destroy <env-id>');
    expect(ctx.audit.details.subcommand).toBeUndefined();
  });

  it('clips an absurd sub-command in the refusal', async () => {
    const word = 'x'.repeat(500);
    const error = await refusal(() => runEnvCommand(context(word), word));
    expect(error.message.length).toBeLessThan(80);
  });

  it('refuses 10 KB of text before routing', async () => {
    const text = `request ${'a'.repeat(10_240)}`;
    expect((await refusal(() => runEnvCommand(context(text), text))).code).toBe('text_too_long');
  });

  it('routes presets, records the sub-command, and refuses its bad arguments with its usage', async () => {
    const ctx = context('presets');
    // Well-formed, it goes on to check the user is in the team, in Postgres (tests/integration answer it).
    await expect(runEnvCommand(ctx, 'presets')).rejects.toThrow('unexpected I/O');
    expect(ctx.audit.details.subcommand).toBe('presets');
    const error = await refusal(() => runEnvCommand(context('presets all'), 'presets all'));
    expect(error.hint).toContain('/env presets');
  });

  it('refuses bad arguments before any I/O: each sub-command checks its text first', async () => {
    for (const text of ['request', 'request nope', 'request soc-platform --ttl 90s', 'list --everything', 'status', 'extend env-7k2p9q', 'destroy env-1', 'role @alice admin']) {
      const error = await refusal(() => runEnvCommand(context(text), text));
      expect(error.code).not.toBe('internal');
      expect(error.message).not.toContain('unexpected I/O');
    }
  });

  it('answers the same words on every platform: an unresolved @name is nobody this chat knows', async () => {
    for (const platform of ['slack', 'mattermost'] as const) {
      const error = await refusal(() => runEnvCommand(context('role @alice admin', platform), 'role @alice admin'));
      expect(error.code).toBe('unknown_user');
      expect(error.hint).toContain('pick them from the list');
    }
    expect(envHelp().view.text).not.toMatch(/slack|mattermost/i);
  });
});

describe('/audit routing', () => {
  it('answers /audit alone and /audit help with its help', async () => {
    for (const text of ['', 'help']) {
      expect((await runAuditCommand(context(text), text)).view.text).toContain('/audit export');
    }
  });

  it('refuses an unknown sub-command with the real ones', async () => {
    const error = await refusal(() => runAuditCommand(context('delete'), 'delete'));
    expect(error.code).toBe('unknown_subcommand');
    expect(error.message).toContain('/audit delete');
    expect(error.hint).toContain('/audit export');
  });
});
