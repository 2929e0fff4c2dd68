import type { Request, Response } from 'express';
import { readSessionToken } from '../auth/session-cookie.js';
import { resolveSession, type SessionUser } from '../auth/sessions.js';
import type { AppServices } from '../services.js';

/** Lets a procedure set or clear the session cookie whatever transport called it. */
export interface CookieJar {
  set(header: string): void;
}

/** Lets a procedure set a response header (e.g. Retry-After); a no-op for server callers. */
export interface ResponseHeaders {
  set(name: string, value: string): void;
}

export interface Context {
  services: AppServices;
  session: SessionUser | null;
  requestId: string;
  cookies: CookieJar;
  responseHeaders: ResponseHeaders;
  /** The client IP (`req.ip`: behind the production proxy, the address it reports). */
  ip: string | null;
}

/** The pure context: tests and server callers build it directly. */
export function createContextInner(input: {
  services: AppServices;
  session: SessionUser | null;
  requestId?: string;
  cookies?: CookieJar;
  responseHeaders?: ResponseHeaders;
  ip?: string | null;
}): Context {
  return {
    services: input.services,
    session: input.session,
    requestId: input.requestId ?? crypto.randomUUID(),
    cookies: input.cookies ?? { set: () => {} },
    responseHeaders: input.responseHeaders ?? { set: () => {} },
    ip: input.ip ?? null,
  };
}

/** The HTTP context: resolves the session from the signed cookie. */
export async function createContext(input: {
  services: AppServices;
  req: Pick<Request, 'headers'> & { id?: string; ip?: string | undefined };
  res: Pick<Response, 'append' | 'setHeader'>;
}): Promise<Context> {
  const token = readSessionToken(input.req.headers.cookie, input.services.env);
  const session = token ? await resolveSession(input.services.orm, token, input.services.env) : null;
  return createContextInner({
    services: input.services,
    session,
    requestId: input.req.id,
    cookies: { set: (header) => input.res.append('Set-Cookie', header) },
    responseHeaders: { set: (name, value) => void input.res.setHeader(name, value) },
    ip: input.req.ip ?? null,
  });
}
