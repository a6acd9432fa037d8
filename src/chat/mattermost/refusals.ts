import { recordRejectedRequest } from '../../../commands/index.js';
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
 * Audits a refused request through the commands' own recorder, with the same event types as handled ones. A request
 * that failed verification has no sender the platform vouched for: its claimed sender goes to the details only.
 */
export async function auditRejectedRequest(s: Services, request: RejectedMattermostRequest): Promise<void> {
  await recordRejectedRequest(s, { ...request, unverified: request.outcome === 'denied' });
}
