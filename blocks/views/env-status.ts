import { formatDuration } from '../../src/domain/durations.js';
import { describeState } from '../../src/domain/lifecycle.js';
import type { Preset } from '../../src/domain/presets.js';
import { formatUtc } from '../../src/domain/time.js';
import { mention, type Field, type View, type ViewBlock } from '../view.js';
import { envLabel, lifeSummary } from './env-summary.js';
import { code, stateTone } from './format.js';
import { runningEnvironmentButtons } from './lifecycle-notices.js';
import type { EnvironmentModel, HistoryEntryModel } from '../models.js';

/** The latest history entries shown; the full record is in `/audit export`. */
export const MAX_HISTORY_SHOWN = 10;

export interface EnvStatusInput {
  env: EnvironmentModel;
  preset: Preset | undefined;
  /** Audit entries about the environment, oldest first; chat entries (commands, clicks) are left out. */
  history: readonly HistoryEntryModel[];
  now: Date;
}

/** `/env status`: state, owner, endpoints, expiry and history of one environment, with its buttons when running. */
export function envStatusView(input: EnvStatusInput): View {
  const { env, preset, now } = input;
  const title = envLabel(env, preset);
  const events = input.history.filter((row) => row.category !== 'chat').slice(-MAX_HISTORY_SHOWN);
  const historyItems = events.map(
    (row) => `${formatUtc(row.occurredAt)} · ${row.eventType} · ${row.actorName || row.actorId}${row.outcome === 'ok' ? '' : ` (${row.outcome})`}`,
  );
  const endpointItems = Object.entries(env.endpoints).map(([toolId, url]) => `${toolName(preset, toolId)}: ${url}`);
  const blocks: ViewBlock[] = [
    { kind: 'header', text: `${env.id} · ${preset?.name ?? env.presetId}` },
    { kind: 'fields', fields: statusFields(env, preset, now) },
  ];
  if (env.failureReason) blocks.push({ kind: 'text', text: `Failure: ${env.failureReason}` });
  if (endpointItems.length > 0) blocks.push({ kind: 'text', text: '*Endpoints*' }, { kind: 'list', items: endpointItems });
  if (historyItems.length > 0) blocks.push({ kind: 'text', text: '*History*' }, { kind: 'list', items: historyItems });
  if (env.state === 'running') {
    blocks.push({ kind: 'actions', buttons: runningEnvironmentButtons(env.id) });
  }
  const text = [
    `${title}: ${describeState(env.state)}, ${lifeSummary(env, now)}. Owner ${env.ownerName}.`,
    ...(env.failureReason ? [`Failure: ${env.failureReason}`] : []),
    ...(endpointItems.length > 0 ? ['Endpoints:', ...endpointItems] : []),
    ...(historyItems.length > 0 ? ['History:', ...historyItems] : []),
  ];
  return { text: text.join('\n'), tone: stateTone(env.state), blocks };
}

function statusFields(env: EnvironmentModel, preset: Preset | undefined, now: Date): Field[] {
  const fields: Field[] = [
    { label: 'State', value: `${describeState(env.state)}: ${lifeSummary(env, now)}` },
    { label: 'Owner', value: mention({ id: env.ownerId, name: env.ownerName }) },
    { label: 'Preset', value: preset ? `${preset.name} ${code(preset.id)}` : code(env.presetId) },
    { label: 'TTL', value: formatDuration(env.ttlSeconds) },
    { label: 'Requested', value: formatUtc(env.requestedAt) },
  ];
  if (env.name) fields.push({ label: 'Name', value: env.name });
  if (env.runningAt) fields.push({ label: 'Running since', value: formatUtc(env.runningAt) });
  if (env.expiresAt) fields.push({ label: 'Expires', value: formatUtc(env.expiresAt) });
  if (env.maxExpiresAt) fields.push({ label: 'Latest possible expiry', value: formatUtc(env.maxExpiresAt) });
  if (env.finishedAt) fields.push({ label: 'Ended', value: formatUtc(env.finishedAt) });
  return fields;
}

function toolName(preset: Preset | undefined, toolId: string): string {
  return preset?.tools.find((tool) => tool.id === toolId)?.name ?? toolId;
}
