import { describeState } from '../../src/domain/lifecycle.js';
import type { Preset } from '../../src/domain/presets.js';
import { SLACK_LIMITS } from '../limits.js';
import { mention, type View } from '../view.js';
import { envLabel, lifeSummary } from './env-summary.js';
import type { EnvironmentModel } from '../models.js';

/** Items beyond this (or beyond one section's text) are counted, not listed. */
export const MAX_LISTED_ENVIRONMENTS = 20;

export interface EnvListInput {
  environments: readonly { env: EnvironmentModel; preset: Preset | undefined }[];
  /** Everyone's (admins with --all) rather than the caller's own. */
  all: boolean;
  now: Date;
}

/** `/env list`: one line per environment with its state and time left (and owner when listing everyone's). */
export function envListView(input: EnvListInput): View {
  const title = input.all ? 'All environments' : 'Your environments';
  if (input.environments.length === 0) {
    const empty = input.all
      ? 'There are no environments.'
      : 'You have no environments. Ask for one with `/env request <preset>` (see `/env presets`).';
    return { text: empty, blocks: [{ kind: 'header', text: title }, { kind: 'text', text: empty }] };
  }
  const items = fitItems(
    input.environments.slice(0, MAX_LISTED_ENVIRONMENTS).map(({ env, preset }) => {
      const owner = input.all ? ` · ${mention({ id: env.ownerId, name: env.ownerName })}` : '';
      return `${envLabel(env, preset)} · *${describeState(env.state)}* · ${lifeSummary(env, input.now)}${owner}`;
    }),
  );
  const hidden = input.environments.length - items.length;
  const more = hidden > 0 ? `${hidden} more not shown.` : undefined;
  const footer = [more, 'Details: `/env status <env-id>`.'].filter(Boolean).join(' ');
  return {
    text: [`${title}:`, ...items, footer].join('\n'),
    blocks: [
      { kind: 'header', text: title },
      { kind: 'list', items },
      { kind: 'context', text: footer },
    ],
  };
}

/** The leading items whose lines fit in one section of text. */
function fitItems(items: string[]): string[] {
  let used = 0;
  const fitting: string[] = [];
  for (const item of items) {
    used += item.length + 1;
    if (used > SLACK_LIMITS.sectionTextLength) break;
    fitting.push(item);
  }
  return fitting;
}
