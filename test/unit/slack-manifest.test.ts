import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { SLACK_EVENTS_PATH } from '../../src/chat/slack/platform.js';
import { SLACK_COMMANDS } from '../../src/chat/slack/translate.js';

const manifestSchema = z.object({
  _metadata: z.object({ major_version: z.literal(2) }),
  display_information: z.object({ name: z.string().min(1).max(35), description: z.string().min(1).max(140) }),
  features: z.object({
    bot_user: z.object({ display_name: z.string().min(1).max(80) }),
    slash_commands: z.array(
      z.object({
        command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/),
        url: z.url(),
        description: z.string().min(1).max(2000),
        usage_hint: z.string().max(1000),
        should_escape: z.boolean(),
      }),
    ),
  }),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }),
  settings: z.object({
    interactivity: z.object({ is_enabled: z.literal(true), request_url: z.url() }),
    socket_mode_enabled: z.boolean(),
  }),
});

async function loadManifest() {
  const text = await readFile(new URL('../../slack/manifest.yaml', import.meta.url), 'utf8');
  return { text, manifest: manifestSchema.parse(parse(text)) };
}

describe('Slack app manifest', () => {
  it('registers exactly the slash commands the adapter listens for, at the events URL', async () => {
    const { manifest } = await loadManifest();
    const commands = manifest.features.slash_commands;
    expect(commands.map((command) => command.command).sort()).toEqual(SLACK_COMMANDS.map((name) => `/${name}`).sort());
    for (const command of commands) {
      expect(new URL(command.url).pathname).toBe(SLACK_EVENTS_PATH);
      // Mentions must arrive as user ids for `/env role` and `/audit export --actor`.
      expect(command.should_escape).toBe(true);
    }
    expect(commands.find((command) => command.command === '/env')?.usage_hint).toMatch(/request <preset>/);
  });

  it('sends interactivity to the same events URL', async () => {
    const { manifest } = await loadManifest();
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe(SLACK_EVENTS_PATH);
  });

  it('asks for the bot scopes the adapter needs, and no others', async () => {
    const { manifest } = await loadManifest();
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(['chat:write', 'commands', 'files:write', 'im:write', 'users:read', 'users:read.email']);
  });

  it('leaves Socket Mode off by default and explains how to turn it on', async () => {
    const { manifest, text } = await loadManifest();
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(text).toMatch(/SLACK_APP_TOKEN/);
    expect(text).toMatch(/connections:write/);
  });
});
