import type { EnvState } from '../src/domain/lifecycle.js';
import type { Platform } from '../src/domain/users.js';

/**
 * What views are given: the facts they show, and nothing of where those facts are stored or who produced them.
 * Stored rows and worker results have these fields (and more), so callers pass them as they are; views never import
 * the database schema, the provisioners or the audit log.
 */

/** An environment as views show it. */
export interface EnvironmentModel {
  id: string;
  name: string | null;
  presetId: string;
  state: EnvState;
  ownerId: string;
  ownerName: string;
  ttlSeconds: number;
  requestedAt: Date;
  runningAt: Date | null;
  expiresAt: Date | null;
  /** No extension goes past it. */
  maxExpiresAt: Date | null;
  finishedAt: Date | null;
  /** Tool id → URL, once deployed. */
  endpoints: Record<string, string>;
  /** Why the last destroy started: owner, admin, expired, deploy_failed. */
  destroyReason: string | null;
  failureReason: string | null;
}

/** The decision on a plan; no decider when the system decided (policy, timeout). */
export interface DecisionModel {
  outcome: 'approved' | 'rejected' | 'expired';
  deciderId: string | null;
  deciderName: string | null;
  reason: string | null;
  decidedAt: Date;
}

/** One entry of an environment's history, as the audit log recorded it. */
export interface HistoryEntryModel {
  occurredAt: Date;
  category: string;
  eventType: string;
  actorId: string;
  actorName: string;
  outcome: string;
}

/** One step of a deploy or destroy, for the approval card's thread. */
export interface ToolProgressModel {
  toolName: string;
  status: 'started' | 'ready' | 'failed' | 'destroyed';
  message?: string;
}

/** An audit entry's id and hash, as published outside the database to pin the newest entry. */
export interface ChainHeadModel {
  id: number;
  hash: string;
}

/** What a check of the audit chain found: intact up to its head, or broken at its first bad entry. */
export type ChainCheckModel =
  | { checked: number; intact: true; head: ChainHeadModel | null }
  | { checked: number; intact: false; firstBroken: { id: number; reason: string } };

/** A chat channel of one platform (where the chain head is published). */
export interface ChannelModel {
  platform: Platform;
  channelId: string;
}

/** A cloud key as views show it: never its pair, only the last four characters of the access key id. */
export interface CloudKeyModel {
  id: string;
  name: string;
  provider: string;
  maskedAccessKeyId: string;
  region: string;
  accountId: string | null;
  isDefault: boolean;
  addedByName: string;
  addedAt: Date;
  rotatedAt: Date | null;
  rotatedByName: string | null;
  activeLabs: string[];
}

/** A person as views name them. */
export interface PersonModel {
  id: string;
  name: string;
}

/** Someone with a row in the team: their role, who added them and when, and their removal if they were removed. */
export interface TeamMemberModel extends PersonModel {
  role: 'admin' | 'approver' | 'member';
  addedAt: Date;
  /** Null when the configuration (ADMINS / APPROVERS) added them. */
  addedBy: PersonModel | null;
  removedAt: Date | null;
  removedBy: PersonModel | null;
}

/** An invitation to the team, as the invitee's card and the team list show it. */
export interface InvitationModel {
  id: string;
  inviteeId: string;
  inviteeName: string;
  role: 'admin' | 'approver' | 'member';
  invitedBy: PersonModel;
  expiresAt: Date;
}

/** How an invitation ended, for its card once closed and for the inviter's notice. */
export interface ClosedInvitationModel extends InvitationModel {
  state: 'pending' | 'accepted' | 'declined' | 'expired' | 'replaced' | 'withdrawn';
  answeredAt: Date | null;
}

/** `/team list`. */
export interface TeamModel {
  access: 'open' | 'invite';
  members: TeamMemberModel[];
  removed: TeamMemberModel[];
  invitations: InvitationModel[];
}

/** An API key as lists show it: never the key, only its prefix. */
export interface ApiKeyModel {
  name: string;
  prefix: string;
  scope: 'read' | 'write';
  owner: { id: string; name: string };
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
}
