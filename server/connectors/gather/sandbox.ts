/**
 * A small stand-in for Gather's HTTP API: the one call the connector makes (the space's guest
 * list with the `apiKey` header). Keys are issued and deleted by tests (Gather's own key page);
 * one fixed key works in development so a person can try the form. Gather documents no error
 * body: a refused key gets 401 with a short JSON message.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ProviderSandbox } from '../types.js';
import { faultQueue, type SandboxFault } from '../../sandbox/faults.js';
import { json, safeEqual, splitTarget, type Reply } from '../../sandbox/http.js';

/** Works on every sandbox, for trying the form in development. Never a real key. */
export const GATHER_SANDBOX_KEY = 'gather-sandbox-key-for-development';
/** The space the sandbox knows: its id as Gather's API wants it. */
export const GATHER_SANDBOX_SPACE = 'aBcD1234efGH\\Plugboard Office';

export interface GatherSandboxRequest {
  path: string;
  spaceId: string | null;
  /** Whether an apiKey header came (never its value). */
  apiKey: boolean;
  status?: number;
}

export interface GatherSandbox extends ProviderSandbox {
  readonly url: string;
  readonly log: readonly GatherSandboxRequest[];
  /** A new key for a user with rights on the sandbox's space (gather.town/apiKeys). */
  issueKey(): string;
  /** The key's owner deleted it at Gather: it is refused from now on. */
  deleteKey(key: string): void;
  /** The next answer of the guest-list call. */
  nextFault(fault: SandboxFault): void;
  keys(): string[];
  reset(): void;
}

export async function startGatherSandbox(
  options: { port?: number; host?: string; onRequest?: (r: GatherSandboxRequest & { method: string }) => void } = {},
): Promise<GatherSandbox> {
  const keys = new Set<string>();
  const log: GatherSandboxRequest[] = [];
  const shutdown = new AbortController();
  const faults = faultQueue(
    {
      error: (_endpoint, status) => json(status, { message: status >= 500 ? 'Internal Server Error' : 'Unauthorized' }),
      sample: () => ({ 'ada@example.com': { name: 'Ada', role: 'Admin' } }),
    },
    shutdown.signal,
  );
  const known = (key: string) => safeEqual(key, GATHER_SANDBOX_KEY) || [...keys].some((k) => safeEqual(key, k));

  async function route(req: IncomingMessage, record: GatherSandboxRequest): Promise<Reply> {
    const { path, query } = splitTarget(req.url ?? '/');
    if (req.method !== 'GET' || path !== '/api/getEmailGuestlist') return json(404, { message: 'Not Found' });
    const fault = await faults.take('identity');
    if (fault) return fault;
    const key = req.headers.apikey;
    record.apiKey = typeof key === 'string';
    if (typeof key !== 'string' || !known(key)) return json(401, { message: 'Unauthorized' });
    const spaceId = query.get('spaceId');
    if (spaceId !== GATHER_SANDBOX_SPACE) return json(403, { message: 'Forbidden' });
    return json(200, { 'ada@example.com': { name: 'Ada', role: 'Admin' }, 'grace@example.com': { name: 'Grace', role: 'Builder' } });
  }

  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { path, query } = splitTarget(req.url ?? '/');
    const record: GatherSandboxRequest = { path, spaceId: query.get('spaceId'), apiKey: false };
    log.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      options.onRequest?.({ ...record, method: req.method ?? 'GET' });
    });
    route(req, record).then((reply) => res.writeHead(reply.status, reply.headers).end(reply.body), () => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const url = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | null = null;
  return {
    url,
    oauthUrl: url,
    apiUrl: url,
    log,
    issueKey() {
      const key = `gk_${randomBytes(18).toString('base64url')}`;
      keys.add(key);
      return key;
    },
    deleteKey(key) {
      keys.delete(key);
    },
    nextFault(fault) {
      faults.next('identity', fault);
    },
    keys: () => [...keys],
    reset() {
      keys.clear();
      log.length = 0;
      faults.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
