import { appendAudit } from '../src/audit/append.js';
import type { AuditEntryInput } from '../src/audit/types.js';
import type { Invocation, Reply } from '../src/chat/types.js';
import { chatActor } from '../src/domain/actor.js';
import { isFieldErrors } from '../src/domain/cloud-keys.js';
import type { Platform, UserRef } from '../src/domain/users.js';
import { AppError, stopsProcess, type Outcome } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { runAction, runDialog } from './actions/index.js';
import { clip } from './args.js';
import { runApiKeyCommand } from './apikey.js';
import { runAuditCommand } from './audit.js';
import { runCloudKeyCommand } from './cloudkey.js';
import type { AuditNotes, CommandContext, HandlerContext } from './context.js';
import { runEnvCommand } from './env.js';
import { presentError } from './present-error.js';
import { runTeamCommand } from './team.js';

const COMMANDS: Readonly<Record<string, (ctx: CommandContext, text: string) => Promise<Reply>>> = {
  env: runEnvCommand,
  team: runTeamCommand,
  audit: runAuditCommand,
  cloudkey: runCloudKeyCommand,
  apikey: runApiKeyCommand,
};

/** The slash commands this bot answers, without their slash (for help texts and coverage checks). */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/**
 * The single entry of every platform adapter: runs a slash command, a button click or a dialog submission as the
 * verified user, and answers. It never throws: refusals and failures become replies through `presentError`. Every
 * invocation writes exactly one audit entry (`command.invoked` or `action.clicked`) with its outcome.
 */
export async function handleInvocation(s: Services, invocation: Invocation): Promise<Reply> {
  const log = s.log.child({ requestId: invocation.requestId, platform: invocation.platform, kind: invocation.kind });
  const ctx: HandlerContext = { s, invocation, actor: chatActor(invocation.user), log, audit: { details: initialDetails(invocation) } };
  let reply: Reply;
  let outcome: Outcome = 'ok';
  try {
    reply = await route(ctx);
  } catch (error) {
    const presented = safePresent(error, invocation.requestId, ctx);
    reply = { view: presented.view, ...(isFieldErrors(error) ? { fieldErrors: error.problems } : {}) };
    outcome = presented.outcome;
    ctx.audit.details.error = presented.code;
    if (stopsProcess(error)) s.processMustStop?.(error);
  }
  await writeAudit(s, ctx.log, {
    eventType: invocation.kind === 'command' ? 'command.invoked' : 'action.clicked',
    actor: { type: 'user', id: invocation.user.id, name: invocation.user.name },
    platform: invocation.platform,
    channelId: invocation.channelId || null,
    resource: ctx.audit.resource ?? null,
    outcome,
    details: ctx.audit.details,
    requestId: invocation.requestId,
  });
  return { ...reply, outcome };
}

async function route(ctx: HandlerContext): Promise<Reply> {
  const { invocation } = ctx;
  switch (invocation.kind) {
    case 'command': {
      const name = invocation.command.replace(/^\//, '').toLowerCase();
      const run = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
      if (!run) {
        throw new AppError('unknown_command', `/${clip(name)} is not a command of this bot.`, { hint: 'Try `/env help`.' });
      }
      return run({ ...ctx, invocation }, invocation.text);
    }
    case 'action':
      return runAction({ ...ctx, invocation });
    case 'dialog':
      return runDialog({ ...ctx, invocation });
  }
}

function initialDetails(invocation: Invocation): AuditNotes['details'] {
  switch (invocation.kind) {
    case 'command':
      return { command: invocation.command, text: invocation.text };
    case 'action':
      return { actionId: invocation.actionId, value: invocation.value };
    case 'dialog':
      return { callbackId: invocation.callbackId, value: invocation.value };
  }
}

/** The presenter's answer, or a bare one should presenting itself fail: this function must not throw. */
function safePresent(error: unknown, requestId: string, ctx: HandlerContext): ReturnType<typeof presentError> {
  try {
    return presentError(error, requestId, ctx.log);
  } catch (presenterError) {
    ctx.log.error({ err: presenterError, cause: error }, 'presenting an error failed');
    const text = `Something went wrong (request id ${requestId}).`;
    return { outcome: 'error', code: 'internal', view: { text, tone: 'danger', blocks: [{ kind: 'text', text }] } };
  }
}

/** Writes an invocation's audit entry; a failure is logged loudly but cannot change the answer already decided. */
async function writeAudit(s: Services, log: HandlerContext['log'], entry: AuditEntryInput): Promise<void> {
  try {
    await appendAudit(s.db, s.clock, entry);
  } catch (error) {
    log.error({ err: error, eventType: entry.eventType, outcome: entry.outcome }, 'could not write the audit entry of a request');
  }
}

export interface RejectedRequest {
  platform: Platform;
  requestId: string;
  kind: 'command' | 'action' | 'dialog';
  /** Who the request says sent it. */
  user?: UserRef;
  channelId?: string;
  /** What was wrong with it (missing fields, unparsable payload): for the audit log, never shown to users. */
  reason: string;
  /** `invalid` (the default): verified but unreadable; `denied`: it failed verification (token, signature, state). */
  outcome?: 'invalid' | 'denied';
  /**
   * The platform did not vouch for the sender: the audit actor must be someone it vouched for, so the actor is
   * recorded as unverified and the claimed user is kept in the details only.
   */
  unverified?: boolean;
}

const UNVERIFIED_ACTOR = { type: 'user', id: 'unverified', name: 'unverified request' } as const;

/**
 * Audits a request an adapter refused before it reached a handler: one that passed verification but could not be
 * read (outcome `invalid`), or one that failed verification (outcome `denied`). Adapters call it instead of
 * `handleInvocation`; like it, it never throws.
 */
export async function recordRejectedRequest(s: Services, request: RejectedRequest): Promise<void> {
  const outcome = request.outcome ?? 'invalid';
  const log = s.log.child({ requestId: request.requestId, platform: request.platform, kind: request.kind });
  log.warn({ reason: request.reason, outcome }, outcome === 'denied' ? 'request failed verification' : 'verified request could not be read');
  const claimed = request.unverified && request.user ? { claimedUserId: request.user.id, claimedUserName: request.user.name } : {};
  await writeAudit(s, log, {
    eventType: request.kind === 'command' ? 'command.invoked' : 'action.clicked',
    actor: request.unverified ? UNVERIFIED_ACTOR : { type: 'user', id: request.user?.id ?? 'unknown', name: request.user?.name ?? '' },
    platform: request.platform,
    channelId: request.channelId ?? null,
    outcome,
    details: { kind: request.kind, reason: request.reason, error: outcome === 'denied' ? 'verification_failed' : 'malformed_request', ...claimed },
    requestId: request.requestId,
  });
}
