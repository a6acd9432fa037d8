import { describe, expect, it } from 'vitest';
import { readMention } from '../../commands/mentions.js';
import { resolveMentions, TYPED_NAME_MENTION, type MentionFinder } from '../../src/chat/mentions.js';
import { SLACK_MENTION } from '../../src/chat/slack/mentions.js';
import type { CommandInvocation, Invocation, MentionedUser } from '../../src/chat/types.js';
import { silentLogger } from '../../src/log.js';

const ALICE: MentionedUser = { id: 'U0ALICE', name: 'alice', bot: false };
const HUBOT: MentionedUser = { id: 'U0HUBOT', name: 'hubot', bot: true };

function command(text: string): CommandInvocation {
  const user = { platform: 'slack' as const, id: 'U0ADMIN', name: 'adam' };
  return { kind: 'command', requestId: 'r1', platform: 'slack', user, channelId: 'C1', receivedAt: new Date(), command: 'env', text };
}

/** A directory of our own behind the finder interface, recording what it was asked. */
function directory(pattern: RegExp, users: Record<string, MentionedUser>): MentionFinder & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    pattern,
    asked,
    async lookup(keys) {
      asked.push([...keys]);
      return new Map(keys.flatMap((key) => (users[key] ? [[key, users[key]] as const] : [])));
    },
  };
}

describe('resolveMentions (what every door does before the core sees the text)', () => {
  it('writes resolved users as mention tokens, lists them once each, and leaves the rest as typed', async () => {
    const finder = directory(TYPED_NAME_MENTION, { alice: ALICE, hubot: HUBOT });
    const resolved = (await resolveMentions(command('role @alice approver, cc @alice @nobody and @hubot'), finder, silentLogger)) as CommandInvocation;
    expect(resolved.text).toBe('role <@U0ALICE|alice> approver, cc <@U0ALICE|alice> @nobody and <@U0HUBOT|hubot>');
    expect(resolved.mentions).toEqual([ALICE, HUBOT]);
    expect(finder.asked).toEqual([['alice', 'nobody', 'hubot']]);
    const argument = readMention('<@U0HUBOT|hubot>', resolved.mentions);
    expect(argument).toEqual({ kind: 'user', user: HUBOT });
  });

  it('asks nothing for text that names no one, and leaves clicks alone', async () => {
    const finder = directory(TYPED_NAME_MENTION, { alice: ALICE });
    const plain = command('list --all');
    expect(await resolveMentions(plain, finder, silentLogger)).toBe(plain);
    const click: Invocation = { ...plain, kind: 'action', actionId: 'approve', value: '@alice', message: undefined };
    expect(await resolveMentions(click, finder, silentLogger)).toBe(click);
    expect(finder.asked).toEqual([]);
  });

  it('leaves every mention as typed when the directory cannot be reached: the core then refuses them', async () => {
    const failing: MentionFinder = { pattern: SLACK_MENTION, lookup: () => Promise.reject(new Error('users.info timed out')) };
    const typed = command('role <@U0ALICE> admin');
    const resolved = (await resolveMentions(typed, failing, silentLogger)) as CommandInvocation;
    expect(resolved).toBe(typed);
    expect(readMention('<@U0ALICE>', resolved.mentions)).toEqual({ kind: 'unresolved', shown: '<@U0ALICE>' });
  });
});

describe('what each platform sends for a mention', () => {
  const keys = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].map((match) => match[1]);

  it('Slack: a picked user, with or without the name Slack adds', () => {
    expect(keys(SLACK_MENTION, 'role <@U012ABCDEF> admin <@W0123|ann.lee> <#C123|general> <@u01> <!here>')).toEqual(['U012ABCDEF', 'W0123']);
  });

  it('Mattermost and the in-memory chat: @name as typed, but not inside an email address, a word or a trailing dot', () => {
    expect(keys(TYPED_NAME_MENTION, '@alice, (@bob) @carol. @d.e-f_g ann@example.com x@y @@z @9lives @')).toEqual(['alice', 'bob', 'carol', 'd.e-f_g']);
  });
});
