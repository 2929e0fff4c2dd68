import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export interface SecurityOptions {
  /** Send Strict-Transport-Security: only when the public origin (APP_URL) is https. */
  hsts: boolean;
  appOrigin: string;
  /** Origins a form may be redirected to (OAuth consent pages). Chrome applies form-action to redirects. */
  formActionOrigins: readonly string[];
}

/**
 * OAuth callbacks carry a code in their URL: no Referer may ever repeat it. Matched on the
 * path as a router could read it (percent-decoded, any case, repeated or trailing slashes),
 * for any connector id and anything below the callback.
 */
const NO_REFERRER_PATH = /^\/integrations\/[^/]+\/callback/;

export function isOAuthCallbackPath(rawPath: string): boolean {
  let path = rawPath;
  for (let i = 0; i < 3 && path.includes('%'); i++) {
    try {
      path = decodeURIComponent(path);
    } catch {
      break;
    }
  }
  return NO_REFERRER_PATH.test(path.toLowerCase().replace(/\/{2,}/g, '/'));
}

/** Security headers on every response; a fresh CSP nonce in `res.locals.nonce`. */
export function securityHeaders(options: SecurityOptions) {
  // The policy is fixed at start-up but for the nonce, which each response gets afresh.
  const [beforeNonce, afterNonce] = [
    "default-src 'self'",
    "script-src 'self' 'nonce-\0'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    `form-action 'self' ${options.formActionOrigins.join(' ')}`.trim(),
  ]
    .join('; ')
    .split('\0') as [string, string];
  return (req: Request, res: Response, next: NextFunction) => {
    const nonce = randomBytes(16).toString('base64');
    res.locals.nonce = nonce;
    res.setHeader('Content-Security-Policy', beforeNonce + nonce + afterNonce);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', isOAuthCallbackPath(req.path) ? 'no-referrer' : 'strict-origin-when-cross-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (options.hsts) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    res.removeHeader('X-Powered-By');
    next();
  };
}

/**
 * Cross-site request forgery, second fence after SameSite=Lax cookies: a state-changing
 * request that names a foreign Origin is refused before any handler runs.
 */
export function sameOriginWrites(appOrigin: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const origin = req.headers.origin;
    if (origin && origin !== appOrigin && origin !== 'null') {
      res.status(403).type('text/plain').send('Cross-origin request refused.');
      return;
    }
    if (origin === 'null') {
      res.status(403).type('text/plain').send('Cross-origin request refused.');
      return;
    }
    next();
  };
}
