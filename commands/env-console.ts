import { consoleLinkSentView } from '../blocks/views/console.js';
import type { Reply } from '../src/chat/types.js';
import { sendSignInLink } from '../workflows/console-sessions.js';
import { clip } from './args.js';
import { badArguments, type CommandContext } from './context.js';
import { ENV_USAGE } from './usage.js';

/** `/env console`: a one-time sign-in link to the web console, by DM (the console is on when PUBLIC_URL is set). */
export async function runConsole(ctx: CommandContext, text: string): Promise<Reply> {
  const extra = text.trim();
  if (extra !== '') throw badArguments(`Unexpected "${clip(extra)}": \`/env console\` takes nothing more.`, ENV_USAGE.console);
  const { expiresAt } = await sendSignInLink(ctx.s, ctx.actor);
  return { view: consoleLinkSentView(expiresAt) };
}
