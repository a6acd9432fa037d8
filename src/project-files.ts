import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the project's own files are: its root folder (where package.json is), whether running from source or from
 * dist/, the migrations and the default presets catalog.
 */
export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  let folder = start;
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`package.json not found above ${start}`);
    folder = parent;
  }
  return folder;
}

export const MIGRATIONS_FOLDER = join(PROJECT_ROOT, 'migrations');
export const DEFAULT_PRESETS_FILE = join(PROJECT_ROOT, 'catalog', 'presets.json');
