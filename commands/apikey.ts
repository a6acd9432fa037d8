import { apiKeyCreatedView, apiKeyListView, apiKeyRevokedView } from '../blocks/views/api-keys.js';
import { helpView } from '../blocks/views/help.js';
import type { ApiKeyModel } from '../blocks/models.js';
import type { Reply } from '../src/chat/types.js';
import type { KeyScope } from '../src/domain/actor.js';
import { DEFAULT_KEY_LIFETIME_SECONDS, parseApiKeyName, parseKeyScope } from '../src/domain/api-keys.js';
import { parseDuration } from '../src/domain/durations.js';
import { AppError } from '../src/errors.js';
import { createApiKey, keyOwnerOf, listApiKeys, revokeApiKey } from '../workflows/api-keys.js';
import { clip, isSubcommand, parseArgs, splitSubcommand } from './args.js';
import { badArguments, withUsage, type CommandContext } from './context.js';
import { APIKEY_SUBCOMMANDS, APIKEY_USAGE, type ApiKeySubcommand } from './usage.js';

type KeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];

function modelOf(row: KeyRow): ApiKeyModel {
  return {
    name: row.name,
    prefix: row.prefix,
    scope: row.scope,
    owner: keyOwnerOf(row),
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
  };
}

const FOOTER = 'Keys act as you, with your role at the time of each request; `read` keys only read. The REST API is under /api/v1.';

function apiKeyHelp(): Reply {
  return { view: helpView({ title: 'API key commands', entries: APIKEY_SUBCOMMANDS.map((name) => APIKEY_USAGE[name]), footer: FOOTER }) };
}

export interface CreateArgs {
  name: string;
  scope: KeyScope;
  lifetimeSeconds: number;
}

/** `/apikey create <name> [--scope read|write] [--expires 90d]`. */
export function parseCreateArgs(text: string): CreateArgs {
  const line = APIKEY_USAGE.create;
  return withUsage(line, () => {
    const { positionals, flags } = parseArgs(text, { scope: { kind: 'value', example: 'write' }, expires: { kind: 'value', example: '90d' } });
    if (positionals.length === 0) throw badArguments('Name the key: `/apikey create ci-pipeline`.', line);
    if (positionals.length > 1) throw badArguments(`Unexpected "${clip(positionals[1]!)}": give one name, then flags.`, line);
    const scope = flags.get('scope');
    const expires = flags.get('expires');
    return {
      name: parseApiKeyName(positionals[0]),
      scope: typeof scope === 'string' ? parseKeyScope(scope) : 'read',
      lifetimeSeconds: typeof expires === 'string' ? parseDuration(expires) : DEFAULT_KEY_LIFETIME_SECONDS,
    };
  });
}

async function runCreate(ctx: CommandContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  const args = parseCreateArgs(text);
  const created = await createApiKey(s, { actor: ctx.actor, ...args, requestId: invocation.requestId, channelId: invocation.channelId });
  ctx.audit.resource = { type: 'api_key', id: created.row.prefix };
  return { view: apiKeyCreatedView(created.key, modelOf(created.row)) };
}

async function runList(ctx: CommandContext, text: string): Promise<Reply> {
  const line = APIKEY_USAGE.list;
  const { flags } = withUsage(line, () => {
    const parsed = parseArgs(text, { all: { kind: 'boolean' } });
    if (parsed.positionals.length > 0) throw badArguments(`Unexpected "${clip(parsed.positionals[0]!)}".`, line);
    return parsed;
  });
  const all = flags.get('all') === true;
  const rows = await listApiKeys(ctx.s, { actor: ctx.actor, all });
  return { view: apiKeyListView(rows.map(modelOf), { all, now: ctx.s.clock.now() }) };
}

async function runRevoke(ctx: CommandContext, text: string): Promise<Reply> {
  const line = APIKEY_USAGE.revoke;
  const ref = withUsage(line, () => {
    const { positionals } = parseArgs(text, {});
    if (positionals.length !== 1) throw badArguments('Which key? Give its name or its prefix (`/apikey list`).', line);
    return positionals[0]!;
  });
  const { s, invocation } = ctx;
  const revoked = await revokeApiKey(s, { actor: ctx.actor, ref, requestId: invocation.requestId, channelId: invocation.channelId });
  ctx.audit.resource = { type: 'api_key', id: revoked.prefix };
  return { view: apiKeyRevokedView(modelOf(revoked)) };
}

const HANDLERS: Readonly<Record<ApiKeySubcommand, (ctx: CommandContext, text: string) => Reply | Promise<Reply>>> = {
  help: () => apiKeyHelp(),
  create: runCreate,
  list: runList,
  revoke: runRevoke,
};

/** `/apikey <sub-command> …`; `/apikey` alone shows its help. */
export async function runApiKeyCommand(ctx: CommandContext, text: string): Promise<Reply> {
  const { word, rest } = splitSubcommand(text);
  if (word === '') return apiKeyHelp();
  const subcommand = word.toLowerCase();
  if (!isSubcommand(APIKEY_SUBCOMMANDS, subcommand)) {
    const known = APIKEY_SUBCOMMANDS.map((name) => `\`${APIKEY_USAGE[name].syntax}\``).join('\n');
    throw new AppError('unknown_subcommand', `There is no \`/apikey ${clip(word)}\`.`, { hint: `Try one of:\n${known}` });
  }
  ctx.audit.details.subcommand = subcommand;
  return HANDLERS[subcommand](ctx, rest);
}
