/**
 * One-time notices ("Signed out.", "Intercom disconnected.") carried across a redirect in a
 * signed cookie of their own, `__flash`, instead of `?success=` in the URL: an action sets it,
 * the next page's root loader reads it once and clears it. Separate from the session cookie so a
 * notice can be shown to someone who is not (or no longer) signed in.
 */
import { randomUUID } from 'node:crypto';
import { createCookieSessionStorage, redirect, type SessionStorage } from '@remix-run/node';
import { z } from 'zod';
import { parseEnv } from '../../server/env';
import { toRuntimeEnv } from '../../server/runtime-env';

export const FLASH_COOKIE = '__flash';

export const flashSchema = z.object({
  /** Tells one notice from the next, so the client shows each exactly once. */
  id: z.string().min(1).max(64),
  tone: z.enum(['info', 'success', 'warning', 'error']),
  text: z.string().min(1).max(500),
});
export type Flash = z.infer<typeof flashSchema>;
export type FlashInput = Omit<Flash, 'id'>;

const KEY = 'flash';

export interface FlashStorageOptions {
  /** SESSION_SECRET: the cookie is signed, so a visitor cannot forge a notice. */
  secret: string;
  /** Secure when the app is served over https (APP_URL). */
  secure: boolean;
}

export function createFlashStorage({ secret, secure }: FlashStorageOptions): SessionStorage {
  return createCookieSessionStorage({
    cookie: {
      name: FLASH_COOKIE,
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      secrets: [secret],
      // A notice nobody picked up within ten minutes is stale.
      maxAge: 600,
    },
  });
}

let storage: SessionStorage | undefined;

/**
 * The server's own secret and origin, resolved by the same rules as server/services.ts (the
 * env variable, or in development the secret generated into DATA_DIR), once per process.
 */
function flashStorage(): SessionStorage {
  if (!storage) {
    const env = toRuntimeEnv(parseEnv(process.env));
    storage = createFlashStorage({ secret: env.SESSION_SECRET, secure: env.APP_URL.startsWith('https:') });
  }
  return storage;
}

/**
 * The Set-Cookie header that carries `flash` to the next page, appended to `headers` (or new
 * headers). Use with a redirect: `redirect(url, { headers: await setFlash(request, {...}) })`.
 */
export async function setFlash(request: Request, flash: FlashInput, headers: HeadersInit = {}): Promise<Headers> {
  const parsed = flashSchema.parse({ ...flash, id: randomUUID() });
  const store = flashStorage();
  const session = await store.getSession(request.headers.get('Cookie'));
  session.flash(KEY, parsed);
  const out = new Headers(headers);
  out.append('Set-Cookie', await store.commitSession(session));
  return out;
}

export async function redirectWithFlash(request: Request, url: string, flash: FlashInput, init: ResponseInit = {}) {
  return redirect(url, { ...init, headers: await setFlash(request, flash, init.headers) });
}

/**
 * The pending notice, if any, and the headers that clear it: return them with the page, or the
 * notice shows again on the next request. A tampered or malformed cookie reads as no notice.
 */
export async function readFlash(request: Request): Promise<{ flash: Flash | null; headers: Headers }> {
  const headers = new Headers();
  const cookie = request.headers.get('Cookie');
  if (!cookie?.includes(`${FLASH_COOKIE}=`)) return { flash: null, headers };
  const store = flashStorage();
  const session = await store.getSession(cookie);
  const parsed = flashSchema.safeParse(session.get(KEY));
  headers.append('Set-Cookie', await store.destroySession(session));
  return { flash: parsed.success ? parsed.data : null, headers };
}
