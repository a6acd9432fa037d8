import { formatUtc } from '../../src/domain/time.js';
import type { ApiKeyModel } from '../models.js';
import { mention, type View } from '../view.js';
import { code } from './format.js';

/**
 * `/apikey create`: the key, shown this once to its owner alone (the reply is ephemeral and stays nowhere), with how
 * to use it.
 */
export function apiKeyCreatedView(key: string, model: ApiKeyModel): View {
  const summary = `API key *${model.name}* (${model.scope}) created; it expires ${formatUtc(model.expiresAt)}.`;
  const warning = 'Copy it now: it is shown only this once and cannot be shown again. Keep it out of chats and repositories.';
  const usage = `Use it as ${code('Authorization: Bearer <key>')} on ${code('/api/v1')}; revoke it with ${code(`/apikey revoke ${model.name}`)}.`;
  return {
    text: [summary, key, warning, usage].join('\n'),
    tone: 'good',
    blocks: [
      { kind: 'text', text: summary },
      { kind: 'text', text: code(key) },
      { kind: 'context', text: `${warning} ${usage}` },
    ],
  };
}

function keyLine(model: ApiKeyModel, now: Date, withOwner: boolean): string {
  const expired = model.expiresAt <= now;
  const parts = [
    `*${model.name}*`,
    code(model.prefix),
    model.scope,
    ...(withOwner ? [mention(model.owner)] : []),
    `created ${formatUtc(model.createdAt)}`,
    model.lastUsedAt ? `last used ${formatUtc(model.lastUsedAt)}` : 'never used',
    `${expired ? 'expired' : 'expires'} ${formatUtc(model.expiresAt)}`,
  ];
  return parts.join(' · ');
}

/** `/apikey list`: name, prefix, scope, (owner), created, last used and expiry of each key that is not revoked. */
export function apiKeyListView(keys: readonly ApiKeyModel[], input: { all: boolean; now: Date }): View {
  const title = input.all ? 'All API keys' : 'Your API keys';
  if (keys.length === 0) {
    const empty = input.all ? 'There are no API keys.' : 'You have no API keys. Create one with `/apikey create <name>`.';
    return { text: empty, blocks: [{ kind: 'header', text: title }, { kind: 'text', text: empty }] };
  }
  const items = keys.slice(0, 50).map((key) => keyLine(key, input.now, input.all));
  const footer = keys.length > items.length ? `${keys.length - items.length} more not shown.` : 'Revoke one with `/apikey revoke <name|prefix>`.';
  return {
    text: [`${title}:`, ...items, footer].join('\n'),
    blocks: [{ kind: 'header', text: title }, { kind: 'list', items }, { kind: 'context', text: footer }],
  };
}

/** `/apikey revoke`: which key stopped working. */
export function apiKeyRevokedView(model: ApiKeyModel): View {
  const text = `API key *${model.name}* (${code(model.prefix)}) of ${mention(model.owner)} is revoked: the next request made with it is refused.`;
  return { text, tone: 'good', blocks: [{ kind: 'text', text }] };
}
