import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequestArgs } from '../../commands/env-request.js';
import { newApiKey } from '../../src/domain/api-keys.js';
import { MAX_NAME_LENGTH, parseEnvironmentName } from '../../src/domain/environment-name.js';
import { parseDestroyArgs } from '../../commands/env-destroy.js';
import { parseExtendArgs } from '../../commands/env-extend.js';
import { parseListArgs } from '../../commands/env-list.js';
import { parsePresetsArgs } from '../../commands/env-presets.js';
import { parsePersonArgs } from '../../commands/team.js';
import { ENV_USAGE, TEAM_USAGE } from '../../commands/usage.js';
import type { MentionedUser } from '../../src/chat/types.js';
import { parseStatusArgs } from '../../commands/env-status.js';
import { loadCatalog } from '../../src/domain/presets.js';
import { AppError } from '../../src/errors.js';

const catalog = loadCatalog();
const options = { catalog, minTtlSeconds: 15 * 60 };
const request = (text: string) => parseRequestArgs(text, options);

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const INJECTIONS = [
  "'; drop table environments; --",
  '" or 1=1 --',
  '<script>alert(1)</script>',
  '${process.env.SLACK_BOT_TOKEN}',
  '$(rm -rf /)',
  '`id`',
  '../../etc/passwd',
  '<!channel>',
  '@here',
  '{{7*7}}',
  '%00',
];

describe('parseRequestArgs', () => {
  it('reads a preset alone: the preset default TTL applies later', () => {
    const args = request('soc-platform');
    expect(args.preset.id).toBe('soc-platform');
    expect(args.ttlSeconds).toBeUndefined();
    expect(args.name).toBeUndefined();
  });

  it('reads --ttl and a quoted --name, in any order, with a preset in any case', () => {
    const args = request('--name "My lab" SOC-Platform --ttl 1d12h');
    expect(args).toMatchObject({ ttlSeconds: 36 * 3600, name: 'My lab' });
    expect(args.preset.id).toBe('soc-platform');
  });

  it('accepts the exact bounds: the minimum TTL and the preset maximum', () => {
    expect(request('quick-sandbox --ttl 15m').ttlSeconds).toBe(900);
    expect(request('quick-sandbox --ttl 8h').ttlSeconds).toBe(8 * 3600);
  });

  it('refuses an unknown preset and lists the valid ones', () => {
    const error = refusal(() => request('soc-platfrom'));
    expect(error.code).toBe('unknown_preset');
    expect(error.message).toContain('soc-platfrom');
    expect(error.hint).toContain('quick-sandbox');
  });

  it('refuses a missing preset with the usage', () => {
    const error = refusal(() => request('--ttl 8h'));
    expect(error.code).toBe('invalid_arguments');
    expect(error.hint).toContain('/env request <preset>');
  });

  it('refuses a second positional argument', () => {
    const error = refusal(() => request('soc-platform threat-hunting'));
    expect(error.message).toContain('threat-hunting');
  });

  it('refuses --ttl abc with the duration format and the usage', () => {
    const error = refusal(() => request('soc-platform --ttl abc'));
    expect(error.code).toBe('invalid_duration');
    expect(error.message).toContain('"abc" is not a duration');
    expect(error.hint).toContain('/env request');
  });

  it('refuses --ttl -5h', () => {
    const error = refusal(() => request('soc-platform --ttl -5h'));
    expect(error.code).toBe('invalid_duration');
    expect(error.message).toContain('-5h');
  });

  it('refuses --ttl 0h', () => {
    expect(refusal(() => request('soc-platform --ttl 0h')).code).toBe('invalid_duration');
  });

  it('refuses --ttl 90s as under the minimum, naming the allowed range', () => {
    const error = refusal(() => request('soc-platform --ttl 90s'));
    expect(error.code).toBe('ttl_too_short');
    expect(error.message).toContain('1m30s');
    expect(error.message).toContain('15m');
    expect(error.message).toContain('3d');
  });

  it('refuses a TTL over the preset maximum, naming the allowed range', () => {
    const error = refusal(() => request('quick-sandbox --ttl 9h'));
    expect(error.code).toBe('ttl_too_long');
    expect(error.message).toContain('8h');
    expect(refusal(() => request('soc-platform --ttl 3d1s')).code).toBe('ttl_too_long');
  });

  it('refuses unknown and repeated flags', () => {
    expect(refusal(() => request('soc-platform --size xl')).code).toBe('unknown_flag');
    expect(refusal(() => request('soc-platform --ttl 1h --ttl 2h')).code).toBe('duplicate_flag');
  });

  it('refuses 10 KB of text', () => {
    expect(refusal(() => request(`soc-platform --name "${'a'.repeat(10_240)}"`)).code).toBe('text_too_long');
  });

  it('refuses injection strings as preset ids, never echoing more than a short clip', () => {
    for (const text of INJECTIONS) {
      const error = refusal(() => parseRequestArgs(`"${text}"`, options));
      expect(['unknown_preset', 'invalid_arguments', 'invalid_flag', 'unterminated_quote']).toContain(error.code);
      expect(error.message.length).toBeLessThan(120);
    }
  });

  it('refuses names carrying chat markup or mentions', () => {
    for (const name of ['<!channel>', '@here', 'a `b`', 'x & y', 'a|b', '<script>alert(1)</script>']) {
      expect(refusal(() => request(`soc-platform --name "${name}"`)).code).toBe('invalid_name');
    }
  });

  it('passes injection-looking names without markup through as plain text', () => {
    expect(request(`soc-platform --name "'; drop table environments; --"`).name).toBe("'; drop table environments; --");
  });
});

describe('parseEnvironmentName', () => {
  it('keeps unicode names, trimming and folding whitespace', () => {
    expect(parseEnvironmentName('  Лаборатория   1 ')).toBe('Лаборатория 1');
    expect(parseEnvironmentName('実験 🔬')).toBe('実験 🔬');
    expect(parseEnvironmentName('👩\u200d🔬 lab')).toBe('👩\u200d🔬 lab');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(parseEnvironmentName('😀'.repeat(MAX_NAME_LENGTH))).toHaveLength(MAX_NAME_LENGTH * 2);
    expect(refusal(() => parseEnvironmentName('😀'.repeat(MAX_NAME_LENGTH + 1))).message).toContain(`${MAX_NAME_LENGTH + 1} characters`);
  });

  it('refuses empty names', () => {
    expect(refusal(() => parseEnvironmentName('   ')).message).toContain('empty');
  });

  it('refuses control characters, bidi overrides and zero-width characters', () => {
    for (const name of ['a\u0000b', 'a\u0007b', 'abc\u202egnp.exe', 'a\u200bb', 'a\u2066b\u2069', 'soft\u00adhyphen']) {
      expect(refusal(() => parseEnvironmentName(name)).code).toBe('invalid_name');
    }
  });

  it('folds line breaks and other separators into single spaces', () => {
    expect(parseEnvironmentName('a\nb\u2028c\td')).toBe('a b c d');
  });

  it('refuses a name holding a pasted key or token, without repeating it', () => {
    const key = newApiKey().key;
    for (const name of [key, `lab ${key}`, 'xoxb-1234-5678-abcdef', 'AKIAABCDEFGHIJKLMNOP']) {
      const refused = refusal(() => parseEnvironmentName(name));
      expect(refused.code, name).toBe('invalid_name');
      expect(refused.message).toContain('looks like an API key or a token');
      expect(`${refused.message} ${refused.hint ?? ''}`).not.toContain(name);
    }
    // A key's visible prefix names a key, and is no secret.
    expect(parseEnvironmentName('lab for aitz_AbC12345')).toBe('lab for aitz_AbC12345');
  });
});

describe('parseListArgs', () => {
  it('reads nothing or --all', () => {
    expect(parseListArgs('')).toEqual({ all: false });
    expect(parseListArgs('--all')).toEqual({ all: true });
  });

  it('refuses positional arguments, unknown flags and --all with a value', () => {
    expect(refusal(() => parseListArgs('everything')).hint).toContain('/env list [--all]');
    expect(refusal(() => parseListArgs('--mine')).code).toBe('unknown_flag');
    expect(refusal(() => parseListArgs('--all=true')).code).toBe('invalid_flag');
  });
});

describe('parseStatusArgs and parseDestroyArgs', () => {
  it('read one environment id, case-insensitively', () => {
    expect(parseStatusArgs('ENV-7K2P9Q')).toEqual({ envId: 'env-7k2p9q' });
    expect(parseDestroyArgs(' env-7k2p9q ')).toEqual({ envId: 'env-7k2p9q' });
  });

  it('refuse a missing id, saying how ids look', () => {
    const error = refusal(() => parseStatusArgs(''));
    expect(error.code).toBe('invalid_env_id');
    expect(error.message).toContain('missing');
    expect(error.hint).toContain('env-7k2p9q');
  });

  it('refuse malformed ids', () => {
    for (const text of ['env-123', 'env-7k2p9q7', '7k2p9q', 'env_7k2p9q', 'env-7k2p9Ø', 'env-７k2p9q']) {
      expect(refusal(() => parseDestroyArgs(text)).code).toBe('invalid_env_id');
    }
  });

  it('refuse injection strings, quoted or not, with a short message', () => {
    for (const text of INJECTIONS.flatMap((item) => [item, `"${item}"`])) {
      const error = refusal(() => parseStatusArgs(text));
      expect(['invalid_env_id', 'invalid_arguments', 'invalid_flag', 'unknown_flag', 'unterminated_quote']).toContain(error.code);
      expect(error.message.length).toBeLessThan(120);
    }
  });

  it('refuse extra arguments and any flag', () => {
    expect(refusal(() => parseStatusArgs('env-7k2p9q env-aaaaaa')).hint).toContain('/env status <env-id>');
    expect(refusal(() => parseDestroyArgs('env-7k2p9q --force')).code).toBe('unknown_flag');
  });
});

describe('parseExtendArgs', () => {
  it('reads an id and a duration, with or without a leading +', () => {
    expect(parseExtendArgs('env-7k2p9q 2h')).toEqual({ envId: 'env-7k2p9q', bySeconds: 7200 });
    expect(parseExtendArgs('env-7k2p9q +1d12h')).toEqual({ envId: 'env-7k2p9q', bySeconds: 36 * 3600 });
  });

  it('refuses a missing id or duration', () => {
    expect(refusal(() => parseExtendArgs('')).code).toBe('invalid_env_id');
    const error = refusal(() => parseExtendArgs('env-7k2p9q'));
    expect(error.code).toBe('invalid_arguments');
    expect(error.message).toContain('/env extend env-7k2p9q 2h');
  });

  it('refuses bad durations: words, negatives, zero, absurd lengths', () => {
    for (const text of ['abc', '-5h', '0m', '2hours', '99999999d', '1h1d', '1.5h']) {
      const error = refusal(() => parseExtendArgs(`env-7k2p9q ${text}`));
      expect(error.code).toBe('invalid_duration');
      expect(error.hint).toContain('/env extend');
    }
  });

  it('refuses an extra argument', () => {
    expect(refusal(() => parseExtendArgs('env-7k2p9q 1h 2h')).message).toContain('"2h"');
  });
});

describe('parsePersonArgs (/team invite, role and remove; /env role)', () => {
  const alice = { id: 'U012ABCDEF', name: 'alice', bot: false };
  const ann = { id: 'mmann00000000000000000000a', name: 'Ann Lee', bot: false };
  const robot = { id: 'B0ROBOT', name: 'robot', bot: true };
  const mentions = [alice, ann, robot];
  const role = (text: string, found: readonly MentionedUser[] = mentions) => parsePersonArgs(text, found, TEAM_USAGE.role, 'required');

  it('reads a mention the door resolved, whatever the platform and whatever the name holds', () => {
    expect(role('<@U012ABCDEF|alice> approver')).toEqual({ target: alice, role: 'approver' });
    expect(role('<@mmann00000000000000000000a|Ann Lee> ADMIN')).toEqual({ target: ann, role: 'admin' });
    expect(parsePersonArgs('<@U012ABCDEF|alice>', mentions, TEAM_USAGE.invite, 'optional')).toEqual({ target: alice, role: undefined });
    expect(parsePersonArgs('<@U012ABCDEF|alice>', mentions, TEAM_USAGE.remove, 'none')).toEqual({ target: alice, role: undefined });
  });

  it('refuses mentions the door did not resolve: typed tokens, @names, platform syntax', () => {
    for (const text of ['<@U012ABCDEF|alice> approver', '@alice approver', '<@U0NOBODY> approver']) {
      const error = refusal(() => role(text, []));
      expect(error.code, text).toBe('unknown_user');
      expect(error.hint).toContain('type @ and pick them');
    }
    expect(refusal(() => role('<@U0OTHER|alice> approver')).message).toContain('@alice is not someone this chat knows');
  });

  it('refuses a bot by name, and text that is no mention at all', () => {
    const bot = refusal(() => role('<@B0ROBOT|robot> approver'));
    expect(bot.code).toBe('bot_user');
    expect(bot.message).toContain('@robot is a bot');
    const plain = refusal(() => role('U012ABCDEF approver'));
    expect(plain.code).toBe('invalid_user');
    expect(plain.message).toContain('mention them');
  });

  it('refuses unknown roles, missing parts and extra words, with the usage of the command typed', () => {
    const unknown = refusal(() => role('<@U012ABCDEF|alice> owner'));
    expect(unknown.code).toBe('invalid_role');
    expect(unknown.hint).toContain('admin, approver, member');
    expect(refusal(() => role('')).message).toContain('Who?');
    expect(refusal(() => role('<@U012ABCDEF|alice>')).message).toContain('Which role');
    const extra = refusal(() => role('<@U012ABCDEF|alice> admin now'));
    expect(extra.message).toContain('"now"');
    expect(extra.hint).toContain('/team role <@user>');
    expect(refusal(() => parsePersonArgs('<@U012ABCDEF|alice> admin now', mentions, ENV_USAGE.role, 'required')).hint).toContain('/env role <@user>');
    const removeExtra = refusal(() => parsePersonArgs('<@U012ABCDEF|alice> admin', mentions, TEAM_USAGE.remove, 'none'));
    expect(removeExtra.message).toContain('"admin"');
    expect(removeExtra.hint).toContain('/team remove <@user>');
  });
});

describe('parsePresetsArgs', () => {
  it('takes nothing and refuses anything', () => {
    expect(() => parsePresetsArgs('  ')).not.toThrow();
    expect(refusal(() => parsePresetsArgs('soc-platform')).hint).toContain('/env presets');
    expect(refusal(() => parsePresetsArgs('--all')).code).toBe('unknown_flag');
  });
});

describe('every parser on arbitrary text', () => {
  const parsers: [string, (text: string) => unknown][] = [
    ['request', request],
    ['list', parseListArgs],
    ['status', parseStatusArgs],
    ['extend', parseExtendArgs],
    ['destroy', parseDestroyArgs],
    ['team role', (text) => parsePersonArgs(text, [{ id: 'U012ABCDEF', name: 'alice', bot: false }], TEAM_USAGE.role, 'required')],
    ['team invite', (text) => parsePersonArgs(text, [{ id: 'U012ABCDEF', name: 'alice', bot: false }], TEAM_USAGE.invite, 'optional')],
    ['team remove', (text) => parsePersonArgs(text, [{ id: 'U012ABCDEF', name: 'alice', bot: false }], TEAM_USAGE.remove, 'none')],
  ];

  it.each(parsers)('%s either parses or refuses with an AppError that has a message', (_name, parse) => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom(...INJECTIONS)), (text) => {
        try {
          parse(text);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
