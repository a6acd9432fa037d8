import { mkdtemp, mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { letPostgresReach } from '../../src/db/embedded.js';
import { silentLogger } from '../../src/log.js';

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('letPostgresReach', () => {
  it('gives private folders above the binaries the pass-through bit for others, and nothing more', async () => {
    root = await mkdtemp(join(tmpdir(), 'aitz-reach-'));
    const binaries = join(root, 'clone', 'node_modules', 'pkg');
    await mkdir(binaries, { recursive: true, mode: 0o700 });
    const opened = await letPostgresReach(binaries, silentLogger);
    expect(opened).toContain(root);
    for (const folder of [root, join(root, 'clone'), binaries]) {
      const { mode } = await stat(folder);
      expect(mode & 0o001).toBe(0o001);
      expect(mode & 0o006).toBe(0);
    }
    expect(await letPostgresReach(binaries, silentLogger)).toEqual([]);
  });
});
