import type { Reply } from '../src/chat/types.js';
import { AppError } from '../src/errors.js';
import { authorize } from '../workflows/roles.js';
import { clip, isSubcommand, splitSubcommand } from './args.js';
import type { CommandContext } from './context.js';
import { runConsole } from './env-console.js';
import { runDestroy } from './env-destroy.js';
import { runExtend } from './env-extend.js';
import { envHelp, envUsageList } from './env-help.js';
import { runList } from './env-list.js';
import { runPresets } from './env-presets.js';
import { runRequest } from './env-request.js';
import { runRole } from './env-role.js';
import { runStatus } from './env-status.js';
import { ENV_SUBCOMMANDS, type EnvSubcommand } from './usage.js';

type SubcommandHandler = (ctx: CommandContext, text: string) => Reply | Promise<Reply>;

const ENV_HANDLERS: Readonly<Record<EnvSubcommand, SubcommandHandler>> = {
  help: async (ctx) => {
    await authorize(ctx.s, ctx.actor, 'read');
    return envHelp();
  },
  presets: runPresets,
  request: runRequest,
  list: runList,
  status: runStatus,
  extend: runExtend,
  destroy: runDestroy,
  role: runRole,
  console: runConsole,
};

/**
 * `/env <sub-command> …`; `/env` alone shows the help. Every sub-command is for people in the team: the workflows they
 * call authorise, and `help` and `presets` check on their own once their text is read.
 */
export async function runEnvCommand(ctx: CommandContext, text: string): Promise<Reply> {
  const { word, rest } = splitSubcommand(text);
  if (word === '') return ENV_HANDLERS.help(ctx, '');
  const subcommand = word.toLowerCase();
  if (!isSubcommand(ENV_SUBCOMMANDS, subcommand)) {
    throw new AppError('unknown_subcommand', `There is no \`/env ${clip(word)}\`.`, { hint: `Try one of:\n${envUsageList()}` });
  }
  ctx.audit.details.subcommand = subcommand;
  return ENV_HANDLERS[subcommand](ctx, rest);
}
