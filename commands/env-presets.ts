import { presetsView } from '../blocks/views/presets.js';
import type { Reply } from '../src/chat/types.js';
import { authorize } from '../workflows/roles.js';
import { parseArgs } from './args.js';
import { badArguments, withUsage, type HandlerContext } from './context.js';
import { ENV_USAGE } from './usage.js';

/** `/env presets` takes no arguments. */
export function parsePresetsArgs(text: string): void {
  const { positionals } = withUsage(ENV_USAGE.presets, () => parseArgs(text, {}));
  if (positionals.length > 0) throw badArguments('`/env presets` takes no arguments.', ENV_USAGE.presets);
}

/** The catalog, for people in the team. */
export async function runPresets(ctx: HandlerContext, text: string): Promise<Reply> {
  parsePresetsArgs(text);
  await authorize(ctx.s, ctx.actor, 'read');
  return { view: presetsView(ctx.s.catalog.presets) };
}
