import { cloudKeyDefaultView, cloudKeyListView, deleteCloudKeyConfirmView, rotateCloudKeyDialog, addCloudKeyDialog } from '../blocks/views/cloud-keys.js';
import { helpView } from '../blocks/views/help.js';
import type { Reply } from '../src/chat/types.js';
import { looksLikeSecret, parseCloudKeyName } from '../src/domain/cloud-keys.js';
import { AppError } from '../src/errors.js';
import {
  checkMayAddCloudKey,
  checkMayManageCloudKeys,
  checkNotInUse,
  findCloudKey,
  listCloudKeys,
  setDefaultCloudKey,
} from '../workflows/cloud-keys.js';
import { clip, isSubcommand, splitSubcommand } from './args.js';
import { badArguments, NOTHING_MORE, withUsage, type CommandContext } from './context.js';
import { CLOUDKEY_SUBCOMMANDS, CLOUDKEY_USAGE, type CloudKeySubcommand } from './usage.js';

/** What the audit entry keeps of command text that looked like a key: nothing of it. */
export const WITHHELD_TEXT = '[withheld: it looked like a key or a secret]';

const FOOTER = 'Admins only. The pair is never typed after the command: `add` and `rotate` open a form, and the secret is not shown again.';

function help(): Reply {
  return { view: helpView({ title: 'Cloud key commands', entries: CLOUDKEY_SUBCOMMANDS.map((name) => CLOUDKEY_USAGE[name]), footer: FOOTER }) };
}

/** The one name a sub-command takes. */
function nameArgument(subcommand: 'rotate' | 'delete' | 'default', rest: string): string {
  const words = rest.trim().split(/\s+/u).filter((word) => word !== '');
  if (words.length !== 1) throw badArguments(words.length === 0 ? 'Which key? Name it.' : 'Name one key only.', CLOUDKEY_USAGE[subcommand]);
  return withUsage(CLOUDKEY_USAGE[subcommand], () => parseCloudKeyName(words[0]));
}

function noArguments(subcommand: 'list' | 'add', rest: string): void {
  if (rest.trim() !== '') throw badArguments(`\`/cloudkey ${subcommand}\` takes nothing after it.`, CLOUDKEY_USAGE[subcommand]);
}

const HANDLERS: Readonly<Record<CloudKeySubcommand, (ctx: CommandContext, rest: string) => Promise<Reply>>> = {
  help: async () => help(),
  list: async (ctx, rest) => {
    await checkMayManageCloudKeys(ctx.s, ctx.actor, 'read');
    noArguments('list', rest);
    return { view: cloudKeyListView(await listCloudKeys(ctx.s, ctx.actor)) };
  },
  add: async (ctx, rest) => {
    await checkMayAddCloudKey(ctx.s, ctx.actor);
    noArguments('add', rest);
    return { view: NOTHING_MORE, openDialog: addCloudKeyDialog(ctx.s.config.LAB_AWS_REGION) };
  },
  rotate: async (ctx, rest) => {
    await checkMayAddCloudKey(ctx.s, ctx.actor);
    const key = await findCloudKey(ctx.s, ctx.actor, nameArgument('rotate', rest));
    ctx.audit.resource = { type: 'cloud_key', id: key.id };
    return { view: NOTHING_MORE, openDialog: rotateCloudKeyDialog(key) };
  },
  delete: async (ctx, rest) => {
    await checkMayManageCloudKeys(ctx.s, ctx.actor, 'change');
    const key = await findCloudKey(ctx.s, ctx.actor, nameArgument('delete', rest));
    ctx.audit.resource = { type: 'cloud_key', id: key.id };
    checkNotInUse(key, key.activeLabs);
    return { view: deleteCloudKeyConfirmView(key) };
  },
  default: async (ctx, rest) => {
    await checkMayManageCloudKeys(ctx.s, ctx.actor, 'change');
    const key = await setDefaultCloudKey(ctx.s, {
      actor: ctx.actor,
      name: nameArgument('default', rest),
      requestId: ctx.invocation.requestId,
      channelId: ctx.invocation.channelId,
    });
    ctx.audit.resource = { type: 'cloud_key', id: key.id };
    return { view: cloudKeyDefaultView(key) };
  },
};

/**
 * `/cloudkey <sub-command> …`, for admins. Text that looks like a key or a secret is refused before anything else,
 * and the audit entry keeps none of it: command text is otherwise audited as typed.
 */
export async function runCloudKeyCommand(ctx: CommandContext, text: string): Promise<Reply> {
  if (looksLikeSecret(text)) {
    ctx.audit.details.text = WITHHELD_TEXT;
    throw new AppError('secret_in_command', 'That looks like a cloud key or a secret, so it was not used and not kept: text typed after a command is not secret.', {
      hint: 'Type `/cloudkey add` (or `/cloudkey rotate <name>`) alone, and paste the pair into the form it opens.',
    });
  }
  const { word, rest } = splitSubcommand(text);
  if (word === '') return help();
  const subcommand = word.toLowerCase();
  if (!isSubcommand(CLOUDKEY_SUBCOMMANDS, subcommand)) {
    const known = CLOUDKEY_SUBCOMMANDS.map((name) => `\`${CLOUDKEY_USAGE[name].syntax}\``).join('\n');
    throw new AppError('unknown_subcommand', `There is no \`/cloudkey ${clip(word)}\`.`, { hint: `Try one of:\n${known}` });
  }
  ctx.audit.details.subcommand = subcommand;
  return HANDLERS[subcommand](ctx, rest);
}
