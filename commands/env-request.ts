import { requestAckView } from '../blocks/views/request-ack.js';
import type { Reply } from '../src/chat/types.js';
import { parseDuration } from '../src/domain/durations.js';
import { checkRequestedTtl } from '../src/domain/policy.js';
import type { Preset, PresetCatalog } from '../src/domain/presets.js';
import { parseEnvironmentName } from '../src/domain/environment-name.js';
import { requestEnvironment } from '../workflows/request.js';
import { clip, parseArgs, type FlagSpec } from './args.js';
import { badArguments, environmentResource, withUsage, type HandlerContext } from './context.js';
import { ENV_USAGE } from './usage.js';

const FLAGS: FlagSpec = { ttl: { kind: 'value', example: '8h' }, name: { kind: 'value', example: '"My lab"' } };
export interface RequestArgs {
  preset: Preset;
  /** Undefined when not given: the preset's default applies. */
  ttlSeconds: number | undefined;
  name: string | undefined;
}

export interface RequestParseOptions {
  catalog: PresetCatalog;
  minTtlSeconds: number;
}

/** `/env request <preset> [--ttl 8h] [--name text]`, checked against the catalog and the TTL range. */
export function parseRequestArgs(text: string, options: RequestParseOptions): RequestArgs {
  return withUsage(ENV_USAGE.request, () => {
    const { positionals, flags } = parseArgs(text, FLAGS);
    if (positionals.length === 0) throw badArguments('Which preset? `/env presets` lists them.', ENV_USAGE.request);
    if (positionals.length > 1) {
      throw badArguments(`Unexpected "${clip(positionals[1]!)}": give one preset, then flags.`, ENV_USAGE.request);
    }
    const preset = options.catalog.get(positionals[0]);
    const ttl = flags.get('ttl');
    const ttlSeconds = typeof ttl === 'string' ? parseDuration(ttl) : undefined;
    if (ttlSeconds !== undefined) checkRequestedTtl(ttlSeconds, preset, options.minTtlSeconds);
    const name = flags.get('name');
    return { preset, ttlSeconds, name: typeof name === 'string' ? parseEnvironmentName(name) : undefined };
  });
}

export async function runRequest(ctx: HandlerContext, text: string): Promise<Reply> {
  const { s, invocation } = ctx;
  const args = parseRequestArgs(text, { catalog: s.catalog, minTtlSeconds: s.config.MIN_TTL });
  const env = await requestEnvironment(s, {
    actor: ctx.actor,
    channelId: invocation.channelId,
    presetId: args.preset.id,
    ttlSeconds: args.ttlSeconds,
    name: args.name,
    requestId: invocation.requestId,
  });
  ctx.audit.resource = environmentResource(env.id);
  return { view: requestAckView(env, s.catalog.find(env.presetId) ?? args.preset) };
}
