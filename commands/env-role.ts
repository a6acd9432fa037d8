import type { Reply } from '../src/chat/types.js';
import type { CommandContext } from './context.js';
import { runTeamRole } from './team.js';
import { ENV_USAGE } from './usage.js';

/** `/env role <@user> <role>`: kept working where people learnt it; it is `/team role`, and the answer says so. */
export async function runRole(ctx: CommandContext, text: string): Promise<Reply> {
  const reply = await runTeamRole(ctx, text, ENV_USAGE.role);
  const pointer = 'Roles are managed with `/team` now: `/team role`, `/team invite`, `/team remove`, `/team list`.';
  return { view: { ...reply.view, blocks: [...reply.view.blocks, { kind: 'context', text: pointer }] } };
}
