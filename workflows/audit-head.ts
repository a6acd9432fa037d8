import type { ChannelModel } from '../blocks/models.js';
import { chainHeadView } from '../blocks/views/audit.js';
import { appendAudit, type PendingEntry } from '../src/audit/append.js';
import { auditActorOf, systemActor, type AuditActor } from '../src/audit/types.js';
import { latestHead, type ChainHead } from '../src/audit/verify.js';
import { channelsOf, type Config } from '../src/config.js';
import type { Actor } from '../src/domain/actor.js';
import { PLATFORMS, type Platform } from '../src/domain/users.js';
import { AppError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { checkMayVerifyAudit, type AuditJobRequest } from './audit-verify.js';

/** Who publishes: a user through `/audit head`, or the daily job. */
export interface PublishedBy {
  actor: AuditActor;
  platform: Platform | 'system';
  channelId?: string;
  requestId?: string;
}

export interface HeadPublication {
  /** The newest entry when the head was read; null when the log is empty (then nothing is posted). */
  head: ChainHead | null;
  posted: ChannelModel[];
  failed: ChannelModel[];
  /** The `audit.head_published` entry; null when there was no head. */
  entry: PendingEntry | null;
}

/** The audit channel of each platform that has one (SLACK_AUDIT_CHANNEL, MATTERMOST_AUDIT_CHANNEL). */
export function auditChannels(config: Pick<Config, Platform>): ChannelModel[] {
  return PLATFORMS.flatMap((platform) => {
    const channelId = channelsOf(config, platform)?.auditChannel;
    return channelId ? [{ platform, channelId }] : [];
  });
}

export function noAuditChannel(): AppError {
  return new AppError('no_audit_channel', 'No audit channel is configured, so there is nowhere to publish the chain head.', {
    hint: 'Set SLACK_AUDIT_CHANNEL and/or MATTERMOST_AUDIT_CHANNEL to a channel id the bot can post in, then restart.',
  });
}

/**
 * Posts the newest entry's id and hash to every audit channel, then appends `audit.head_published` with where it went
 * (outcome `error` when a channel could not be reached). Refuses when no audit channel is configured.
 */
export async function publishChainHead(s: Pick<Services, 'db' | 'clock' | 'config' | 'notifiers' | 'log'>, by: PublishedBy): Promise<HeadPublication> {
  const channels = auditChannels(s.config);
  if (channels.length === 0) throw noAuditChannel();
  const head = await latestHead(s.db);
  if (!head) return { head: null, posted: [], failed: [], entry: null };
  const view = chainHeadView(head, s.clock.now());
  const posted: ChannelModel[] = [];
  const failed: ChannelModel[] = [];
  for (const channel of channels) {
    try {
      await s.notifiers.get(channel.platform).post(channel.channelId, view);
      posted.push(channel);
    } catch (error) {
      s.log.error({ err: error, ...channel, headId: head.id }, 'could not post the audit chain head');
      failed.push(channel);
    }
  }
  const entry = await appendAudit(s.db, s.clock, {
    eventType: 'audit.head_published',
    actor: by.actor,
    platform: by.platform,
    channelId: by.channelId ?? null,
    resource: { type: 'audit_log', id: `#${head.id}` },
    outcome: failed.length === 0 ? 'ok' : 'error',
    requestId: by.requestId ?? null,
    details: { headId: head.id, headHash: head.hash, posted, failed },
  });
  return { head, posted, failed, entry };
}

/** `/audit head`: an admin publishes the chain head now, as the daily job does. */
export async function publishChainHeadFor(
  s: Pick<Services, 'db' | 'clock' | 'config' | 'notifiers' | 'log'>,
  actor: Actor,
  request: AuditJobRequest,
): Promise<HeadPublication> {
  await checkMayVerifyAudit(s, actor, 'publish the audit chain head');
  return publishChainHead(s, {
    actor: auditActorOf(actor),
    platform: actor.user.platform,
    ...(request.channelId ? { channelId: request.channelId } : {}),
    requestId: request.requestId,
  });
}

/**
 * The daily `audit-head` job. Without an audit channel it does nothing; a channel that could not be reached fails the
 * run so that it is retried (the channels that did get it then get the newer head as well).
 */
export async function runAuditHead(s: Pick<Services, 'db' | 'clock' | 'config' | 'notifiers' | 'log'>): Promise<HeadPublication | null> {
  if (auditChannels(s.config).length === 0) {
    s.log.info('no audit channel configured; the chain head is not published');
    return null;
  }
  const publication = await publishChainHead(s, { actor: systemActor('publisher'), platform: 'system' });
  s.log.info({ head: publication.head, posted: publication.posted, failed: publication.failed }, 'audit chain head published');
  if (publication.failed.length > 0) {
    throw new Error(`the chain head could not be posted to ${publication.failed.map((channel) => `${channel.platform} ${channel.channelId}`).join(', ')}`);
  }
  return publication;
}
