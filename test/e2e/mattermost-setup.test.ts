import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSetupArgs, runSetupCli } from '../../src/chat/mattermost/setup-cli.js';
import { PROJECT_ROOT } from '../../src/project-files.js';
import { FakeMattermost } from '../fakes/mattermost.js';

let fake: FakeMattermost;
let adminToken: string;
let teamId: string;

beforeEach(async () => {
  fake = await FakeMattermost.start();
  const admin = fake.store.addUser({ username: 'sysadmin', admin: true });
  adminToken = fake.store.addToken(admin.id, 'admintoken').token;
  const team = fake.store.addTeam('secops');
  teamId = team.id;
  fake.store.addChannel({ name: 'lab-approvals', teamId, members: [admin.id] });
});
afterEach(async () => {
  await fake.close();
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (chunk: Buffer) => (chunks.out += chunk.toString()));
  err.on('data', (chunk: Buffer) => (chunks.err += chunk.toString()));
  const code = await runSetupCli(args, out, err);
  return { code, ...chunks };
}

function envOf(output: string): Record<string, string> {
  return Object.fromEntries(output.split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

const base = () => ['--url', fake.url, '--token', adminToken, '--team', 'secops'];

describe('npm run mattermost:setup against the fake server', () => {
  it('creates the bot, its token and the three slash commands, and prints the variables to set', async () => {
    const result = await run([...base(), '--public-url', 'https://bot.example.com/', '--approvals-channel', 'lab-approvals']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const env = envOf(result.out);
    const bot = fake.store.userByName('aithroyz')!;
    expect(bot.is_bot).toBe(true);
    expect([...fake.store.bots.values()].map((item) => item.username)).toEqual(['aithroyz']);
    expect(fake.store.teams.get(teamId)!.members.has(bot.id)).toBe(true);
    const approvals = [...fake.store.channels.values()].find((channel) => channel.name === 'lab-approvals')!;
    expect(approvals.members.has(bot.id)).toBe(true);

    const commands = [...fake.store.commands.values()];
    expect(commands.map((command) => command.trigger).sort()).toEqual(['apikey', 'audit', 'cloudkey', 'env', 'team']);
    for (const command of commands) {
      expect(command).toMatchObject({ team_id: teamId, method: 'P', url: 'https://bot.example.com/mattermost/command', auto_complete: true });
      expect(command.auto_complete_hint).not.toBe('');
    }
    expect(env).toEqual({
      MATTERMOST_URL: fake.url,
      MATTERMOST_BOT_TOKEN: expect.stringMatching(/^[a-z0-9]+$/),
      MATTERMOST_COMMAND_TOKENS: commands.map((command) => command.token).join(','),
      PUBLIC_URL: 'https://bot.example.com',
      MATTERMOST_APPROVALS_CHANNEL: approvals.id,
    });
    // The printed token is the bot's: it authenticates as the bot.
    const me = await fetch(`${fake.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${env.MATTERMOST_BOT_TOKEN}` } });
    expect(((await me.json()) as { id: string }).id).toBe(bot.id);
    expect(result.out).toContain('AllowedUntrustedInternalConnections');
    expect(result.out).toContain('Show Email Address (PrivacySettings.ShowEmailAddress) is on');
  });

  it('says when Show Email Address is off, which the console’s OIDC sign-in needs on', async () => {
    fake.store.showEmailAddress = false;
    const result = await run([...base(), '--public-url', 'https://bot.example.com']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('Show Email Address (PrivacySettings.ShowEmailAddress) is off: turn it on for the console');
  });

  it('is idempotent: a second run updates the same bot and commands (keeping their tokens) and takes the URL from them', async () => {
    const first = envOf((await run([...base(), '--public-url', 'https://bot.example.com'])).out);
    fake.store.commands.forEach((command) => (command.description = 'edited by hand'));
    const second = await run(base());
    expect(second.code).toBe(0);
    const env = envOf(second.out);
    expect([...fake.store.bots.values()]).toHaveLength(1);
    expect([...fake.store.commands.values()]).toHaveLength(5);
    expect(env.MATTERMOST_COMMAND_TOKENS).toBe(first.MATTERMOST_COMMAND_TOKENS);
    expect(env.PUBLIC_URL).toBe('https://bot.example.com');
    expect(env.MATTERMOST_BOT_TOKEN).not.toBe(first.MATTERMOST_BOT_TOKEN);
    expect([...fake.store.commands.values()].every((command) => command.description !== 'edited by hand')).toBe(true);
    expect(second.out).toContain('updated');
    expect(fake.callsTo('POST', '/api/v4/commands')).toHaveLength(5);
    expect(fake.callsTo('PUT', /^\/api\/v4\/commands\//)).toHaveLength(5);
  });

  it('accepts the team id as well as its name, and re-enables a disabled bot', async () => {
    await run([...base(), '--public-url', 'https://bot.example.com']);
    const bot = [...fake.store.bots.values()][0]!;
    bot.delete_at = 123;
    const again = await run(['--url', fake.url, '--token', adminToken, '--team', teamId]);
    expect(again.code).toBe(0);
    expect(bot.delete_at).toBe(0);
    expect(fake.callsTo('POST', `/api/v4/bots/${bot.user_id}/enable`)).toHaveLength(1);
  });

  it.each([
    ['a refused admin token', ['--token', 'wrong'], /refused the token given with --token/],
    ['an unknown team', ['--team', 'nope'], /There is no team "nope"/],
    ['no public URL on the first run', [], /--public-url is required/],
  ])('explains %s and changes nothing', async (_label, overrides, message) => {
    const args = base();
    for (let index = 0; index < overrides.length; index += 2) args[args.indexOf(overrides[index]!) + 1] = overrides[index + 1]!;
    const result = await run(args);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(message);
    expect(fake.store.commands.size).toBe(0);
  });

  it('refuses a token of a user who is not a system admin', async () => {
    const user = fake.store.addUser({ username: 'someone' });
    fake.store.addToken(user.id, 'usertoken');
    const result = await run(['--url', fake.url, '--token', 'usertoken', '--team', 'secops', '--public-url', 'https://bot.example.com']);
    expect(result).toMatchObject({ code: 1 });
    expect(result.err).toContain('not a system admin');
    expect(fake.store.bots.size).toBe(0);
  });

  it('refuses a bot username that belongs to a person', async () => {
    fake.store.addUser({ username: 'aithroyz' });
    const result = await run([...base(), '--public-url', 'https://bot.example.com']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('belongs to a user who is not a bot');
  });

  it('says what is missing from the command line', () => {
    expect(() => parseSetupArgs(['--url', 'http://x'])).toThrow(/Missing --token, --team/);
    expect(() => parseSetupArgs(['--url', 'ftp://x', '--token', 't', '--team', 'a'])).toThrow(/must start with http/);
    expect(() => parseSetupArgs(['--bogus'])).toThrow(/Unknown option '--bogus'/);
    expect(parseSetupArgs([...base(), '--bot-username', 'labbot'])).toMatchObject({ botUsername: 'labbot', team: 'secops' });
  });

  it('prints its usage on --help and exits 0', async () => {
    const help = await run(['--help']);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toContain('--public-url');
  });

  it('runs as a script', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/mattermost-setup.ts', ...base(), '--public-url', 'https://bot.example.com'],
      { cwd: PROJECT_ROOT },
    );
    expect(stdout).toMatch(/^MATTERMOST_BOT_TOKEN=/m);
    const failed = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/mattermost-setup.ts', '--url', fake.url], { cwd: PROJECT_ROOT }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('Missing --token, --team') });
  });
});
