import { envListView } from '../blocks/views/env-list.js';
import type { Reply } from '../src/chat/types.js';
import { listEnvironments } from '../workflows/environment-queries.js';
import { clip, parseArgs } from './args.js';
import { badArguments, withUsage, type HandlerContext } from './context.js';
import { ENV_USAGE } from './usage.js';

/** `/env list [--all]`. */
export function parseListArgs(text: string): { all: boolean } {
  return withUsage(ENV_USAGE.list, () => {
    const { positionals, flags } = parseArgs(text, { all: { kind: 'boolean' } });
    if (positionals.length > 0) {
      throw badArguments(`Unexpected "${clip(positionals[0]!)}": \`/env list\` takes only --all.`, ENV_USAGE.list);
    }
    return { all: flags.has('all') };
  });
}

export async function runList(ctx: HandlerContext, text: string): Promise<Reply> {
  const { s } = ctx;
  const { all } = parseListArgs(text);
  const rows = await listEnvironments(s, { actor: ctx.actor, all });
  const environments = rows.map((env) => ({ env, preset: s.catalog.find(env.presetId) }));
  return { view: envListView({ environments, all, now: s.clock.now() }) };
}
