import { recordRejectedRequest } from '../../../commands/index.js';
import { appendAudit } from '../../audit/append.js';
import type { UserRef } from '../../domain/users.js';
import type { Services } from '../../services.js';
import type { Invocation } from '../types.js';

/** A request the adapter refused before it reached a handler. */
export interface RejectedMattermostRequest {
  platform: 'mattermost';
  requestId: string;
  kind: Invocation['kind'];
  /** Who the request says sent it. Unverified when `outcome` is `denied`. */
  user?: UserRef;
  channelId?: string;
  /** For the audit log and logs, never shown to users. */
  reason: string;
  /** `denied`: it failed verification (command token, button signature, dialog state); `invalid`: it could not be read. */
  outcome: 'invalid' | 'denied';
}

/**
 * Audits a refused request with the same event types as handled ones. Unreadable requests go through the commands'
 * own recorder; for requests that failed verification the claimed sender is kept in the details only, because the
 * audit actor must be someone the platform vouched for.
 */
export async function auditRejectedRequest(s: Services, request: RejectedMattermostRequest): Promise<void> {
  const { outcome, ...rest } = request;
  if (outcome === 'invalid') {
    await recordRejectedRequest(s, rest);
    return;
  }
  try {
    await appendAudit(s.db, s.clock, {
      eventType: request.kind === 'command' ? 'command.invoked' : 'action.clicked',
      actor: { type: 'user', id: 'unverified', name: 'unverified request' },
      platform: 'mattermost',
      channelId: request.channelId ?? null,
      outcome: 'denied',
      details: {
        kind: request.kind,
        reason: request.reason,
        error: 'verification_failed',
        ...(request.user ? { claimedUserId: request.user.id, claimedUserName: request.user.name } : {}),
      },
      requestId: request.requestId,
    });
  } catch (error) {
    s.log.error({ err: error, requestId: request.requestId }, 'could not audit a refused Mattermost request');
  }
}
