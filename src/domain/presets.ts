import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { DEFAULT_PRESETS_FILE } from '../project-files.js';
import { durationSchema, formatDuration } from './durations.js';


const toolSchema = z.object({
  name: z.string().min(1),
  image: z.string().regex(/^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)$/, 'must be an image with a pinned tag, e.g. grafana/grafana:11.3.0'),
  port: z.number().int().min(1).max(65535),
  memoryMb: z.number().int().min(64),
});

const presetSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{2,40}$/, 'must be lowercase letters, digits and dashes'),
  name: z.string().min(1).max(60),
  tools: z.array(z.string()).min(1),
  defaultTtl: durationSchema,
  maxTtl: durationSchema,
  approval: z.enum(['required', 'none']),
  instanceSize: z.string().min(1),
  hourlyCostUsd: z.number().nonnegative(),
  /** The cloud key (by name) the preset's labs deploy with; the default key when absent. */
  cloudKey: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'must be a cloud key name: lowercase letters, digits and dashes').optional(),
});

const catalogSchema = z
  .object({ tools: z.record(z.string().regex(/^[a-z0-9-]+$/), toolSchema), presets: z.array(presetSchema).min(1) })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.presets.forEach((preset, index) => {
      if (seen.has(preset.id)) ctx.addIssue({ code: 'custom', path: ['presets', index, 'id'], message: `duplicate preset id ${preset.id}` });
      seen.add(preset.id);
      if (preset.defaultTtl > preset.maxTtl) {
        ctx.addIssue({ code: 'custom', path: ['presets', index, 'defaultTtl'], message: 'is longer than maxTtl' });
      }
      preset.tools.forEach((tool, toolIndex) => {
        if (!(tool in catalog.tools)) {
          ctx.addIssue({ code: 'custom', path: ['presets', index, 'tools', toolIndex], message: `unknown tool "${tool}"` });
        }
      });
    });
  });

export type ToolDefinition = z.infer<typeof toolSchema> & { id: string };

/** A preset with TTLs in seconds and its tools resolved. */
export interface Preset {
  id: string;
  name: string;
  tools: ToolDefinition[];
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  approvalRequired: boolean;
  instanceSize: string;
  hourlyCostUsd: number;
  /** The name of the cloud key its labs deploy with; the default key when undefined. */
  cloudKey?: string;
}

export class PresetCatalog {
  constructor(readonly presets: readonly Preset[]) {}

  find(id: string): Preset | undefined {
    return this.presets.find((preset) => preset.id === id);
  }

  /** The preset for user-typed text, or an `unknown_preset` AppError listing the valid ids. */
  get(text: string | undefined): Preset {
    const id = (text ?? '').trim().toLowerCase();
    const preset = this.find(id);
    if (preset) return preset;
    const shown = (text ?? '').trim().slice(0, 40);
    throw new AppError('unknown_preset', shown === '' ? 'A preset is missing.' : `There is no preset "${shown}".`, {
      hint: `Presets: ${this.presets.map((item) => item.id).join(', ')} (see \`/env presets\`).`,
    });
  }
}

/** Validates catalog data; throws an Error whose message lists every problem with its path. */
export function parseCatalog(data: unknown, source = 'catalog'): PresetCatalog {
  const parsed = catalogSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`Invalid presets catalog ${source}:\n${problems.join('\n')}`);
  }
  const { tools, presets } = parsed.data;
  return new PresetCatalog(
    presets.map((preset) => ({
      id: preset.id,
      name: preset.name,
      tools: preset.tools.map((id) => ({ id, ...tools[id]! })),
      defaultTtlSeconds: preset.defaultTtl,
      maxTtlSeconds: preset.maxTtl,
      approvalRequired: preset.approval === 'required',
      instanceSize: preset.instanceSize,
      hourlyCostUsd: preset.hourlyCostUsd,
      ...(preset.cloudKey === undefined ? {} : { cloudKey: preset.cloudKey }),
    })),
  );
}

export function loadCatalog(file: string = DEFAULT_PRESETS_FILE): PresetCatalog {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the presets catalog ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseCatalog(data, file);
}

/** "≈ $9.60 for 8h". */
export function costEstimate(preset: Preset, ttlSeconds: number): string {
  const cost = (preset.hourlyCostUsd * ttlSeconds) / 3600;
  return `≈ $${cost.toFixed(2)} for ${formatDuration(ttlSeconds)}`;
}
