/**
 * The real server (`server/main.ts`) as a child process, for tests that need what an in-process
 * caller cannot give: a process killed with SIGKILL half-way through a request, a restart, two
 * instances on one database. Production mode, the SSM backend pointed at the loopback endpoint,
 * Intercom pointed at a sandbox the test started.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The server serves build/: build once when it is missing (a fresh clone, a clean CI). */
export function ensureBuild(): void {
  if (existsSync(path.join(REPO_ROOT, 'build/index.js'))) return;
  execFileSync('npx', ['remix', 'build'], { cwd: REPO_ROOT, stdio: 'pipe', timeout: 300_000 });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolveListen);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  return port;
}

export interface AppProcessOptions {
  databaseUrl: string;
  ssmEndpointUrl: string;
  intercom: { clientId: string; clientSecret: string; oauthUrl: string; apiUrl: string };
  /** Shared by instances that must accept each other's session cookies. Default: random. */
  sessionSecret?: string;
  /** Default: a free port. */
  port?: number;
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
  /** How long to wait for /healthz. Default 60 s. */
  startTimeoutMs?: number;
}

export interface AppProcess {
  /** `http://localhost:<port>`, also the instance's APP_URL. */
  readonly url: string;
  readonly port: number;
  readonly sessionSecret: string;
  /** stdout and stderr lines of every run, in order (LOG_LEVEL=warn: warnings and errors). */
  readonly logs: readonly string[];
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Sends the signal and resolves when the process has exited, with its code or signal. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops the process if it runs (SIGTERM), starts it again on the same port, waits for /healthz. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the server and resolves once `/healthz` answers 200. */
export async function startAppProcess(opts: AppProcessOptions): Promise<AppProcess> {
  ensureBuild();
  const port = opts.port ?? (await freePort());
  const url = `http://localhost:${port}`;
  const sessionSecret = opts.sessionSecret ?? randomBytes(32).toString('base64url');
  const logs: string[] = [];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'production',
    PORT: String(port),
    APP_URL: url,
    DATABASE_URL: opts.databaseUrl,
    SESSION_SECRET: sessionSecret,
    SECRETS_BACKEND: 'ssm',
    AWS_ENDPOINT_URL_SSM: opts.ssmEndpointUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    INTERCOM_CLIENT_ID: opts.intercom.clientId,
    INTERCOM_CLIENT_SECRET: opts.intercom.clientSecret,
    INTERCOM_OAUTH_URL: opts.intercom.oauthUrl,
    INTERCOM_API_URL: opts.intercom.apiUrl,
    OAUTH_SANDBOX: 'off',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };

  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });

  function keepLines(stream: NodeJS.ReadableStream | null): void {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      logs.push(...parts.filter(Boolean));
    });
    stream?.on('end', () => {
      if (rest) logs.push(rest);
      rest = '';
    });
  }

  async function spawnAndWait(): Promise<void> {
    const proc = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    keepLines(proc.stdout);
    keepLines(proc.stderr);
    exited = new Promise((resolveExit) => {
      proc.once('exit', (code, signal) => resolveExit({ code, signal }));
    });
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (gone) throw new Error(`the server exited during start:\n${logs.slice(-20).join('\n')}`);
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(100);
    }
    proc.kill('SIGKILL');
    throw new Error(`the server did not answer /healthz within the start timeout:\n${logs.slice(-20).join('\n')}`);
  }

  const running = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  async function kill(signal: NodeJS.Signals = 'SIGTERM') {
    if (running()) child?.kill(signal);
    return exited;
  }

  async function stop(): Promise<void> {
    if (!running()) return;
    child?.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  await spawnAndWait();
  return {
    url,
    port,
    sessionSecret,
    get logs() {
      return logs;
    },
    get pid() {
      return child?.pid;
    },
    get running() {
      return running();
    },
    kill,
    async restart() {
      await stop();
      await spawnAndWait();
    },
    stop,
  };
}
