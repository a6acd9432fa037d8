import { SLACK_LIMITS } from '../limits.js';
import type { View, ViewBlock } from '../view.js';
import { formatDuration } from '../../src/domain/durations.js';
import { costEstimate, type Preset } from '../../src/domain/presets.js';
import { code } from './format.js';

// Two blocks per preset plus the header and a closing note must fit in one message.
const MAX_PRESETS_SHOWN = Math.floor((SLACK_LIMITS.blocksPerMessage - 2) / 2);

function approvalText(preset: Preset): string {
  return preset.approvalRequired ? 'required' : 'none (approved by policy)';
}

/** The catalog: each preset with its tools, TTLs, approval rule and the cost of a default-length environment. */
export function presetsView(presets: readonly Preset[]): View {
  const shown = presets.slice(0, MAX_PRESETS_SHOWN);
  const blocks: ViewBlock[] = [{ kind: 'header', text: 'Lab presets' }];
  for (const preset of shown) {
    blocks.push(
      { kind: 'text', text: `*${preset.name}* ${code(preset.id)}: ${preset.tools.map((tool) => tool.name).join(', ')}` },
      {
        kind: 'fields',
        fields: [
          { label: 'Default TTL', value: formatDuration(preset.defaultTtlSeconds) },
          { label: 'Max TTL', value: formatDuration(preset.maxTtlSeconds) },
          { label: 'Approval', value: approvalText(preset) },
          { label: 'Cost', value: `${costEstimate(preset, preset.defaultTtlSeconds)} (${preset.instanceSize})` },
        ],
      },
    );
  }
  const hidden = presets.length - shown.length;
  const footer = `Request one with ${code('/env request <preset> [--ttl 8h] [--name "My lab"]')}.${hidden > 0 ? ` ${hidden} more not shown.` : ''}`;
  blocks.push({ kind: 'context', text: footer });
  const text = [
    'Lab presets:',
    ...shown.map(
      (preset) =>
        `${preset.id} (${preset.name}): ${preset.tools.map((tool) => tool.name).join(', ')}; TTL ${formatDuration(preset.defaultTtlSeconds)}, ` +
        `max ${formatDuration(preset.maxTtlSeconds)}; approval ${approvalText(preset)}; ${costEstimate(preset, preset.defaultTtlSeconds)}`,
    ),
    footer,
  ];
  return { text: text.join('\n'), blocks };
}
