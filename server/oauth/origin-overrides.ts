/**
 * PROVIDER_ORIGIN_OVERRIDES: send every call meant for a provider's origin to another origin,
 * `https://api.intercom.io=http://127.0.0.1:4010,https://app.intercom.com=http://127.0.0.1:4010`.
 * Tests, demos and staging point the real connector code (authorize redirect, token, refresh,
 * identity, revoke and API calls) at a fake provider without a per-connector URL variable, and
 * production honours it too (an egress proxy, a regional mirror).
 *
 * Only the origin of a matching URL changes: path, query and fragment are kept byte for byte,
 * because providers reject a re-encoded code or signature (Intercom codes end with `=`).
 * Rewriting is one step: a target is never looked up again.
 *
 * This module imports nothing, so env.ts can validate the variable with the same parser.
 */

export const ORIGIN_OVERRIDES_VARIABLE = 'PROVIDER_ORIGIN_OVERRIDES';

/** Normalised source origin (`https://api.intercom.io`) → normalised target origin. */
export type OriginOverrides = ReadonlyMap<string, string>;

export class OriginOverridesError extends Error {
  override readonly name = 'OriginOverridesError';
  constructor(readonly problems: readonly string[]) {
    super(`${ORIGIN_OVERRIDES_VARIABLE}: ${problems.join('; ')}`);
  }
}

/** The shape an origin must have as written: scheme://host[:port], nothing after it. */
const ORIGIN_SYNTAX = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\\@\s]+$/i;

/** A pair is quoted in errors; userinfo (`user:password@`) never is. */
const quote = (raw: string): string => JSON.stringify(raw.replace(/\/\/[^/?#]*@/g, '//***@'));

const tryUrl = (raw: string): URL | null => {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
};

type OriginCheck = { ok: true; origin: string } | { ok: false; problem: string };

function checkOrigin(raw: string, role: 'source' | 'target'): OriginCheck {
  const allowed = role === 'source' ? ['https:'] : ['http:', 'https:'];
  const expected = role === 'source' ? 'an https origin' : 'an http or https origin';
  const url = tryUrl(raw);
  if (!url || !ORIGIN_SYNTAX.test(raw) || url.username !== '' || url.password !== '') {
    return { ok: false, problem: `the ${role} must be ${expected} (scheme://host[:port], no path, query or credentials)` };
  }
  if (!allowed.includes(url.protocol)) return { ok: false, problem: `the ${role} must be ${expected}, not ${url.protocol}` };
  return { ok: true, origin: url.origin };
}

/** Every problem in the value, each naming the pair it is about; empty when the value is good. */
function parse(value: string | undefined): { overrides: Map<string, string>; problems: string[] } {
  const overrides = new Map<string, string>();
  const problems: string[] = [];
  if (value === undefined || value.trim() === '') return { overrides, problems };
  value.split(',').forEach((entry, index) => {
    const pair = entry.trim();
    if (pair === '') {
      problems.push(`entry ${index + 1} is empty (a stray comma?)`);
      return;
    }
    const parts = pair.split('=');
    if (parts.length !== 2) {
      problems.push(`${quote(pair)} is not a pair like https://provider.example=http://127.0.0.1:4010`);
      return;
    }
    const source = checkOrigin(parts[0]!.trim(), 'source');
    const target = checkOrigin(parts[1]!.trim(), 'target');
    if (!source.ok) problems.push(`${quote(pair)}: ${source.problem}`);
    if (!target.ok) problems.push(`${quote(pair)}: ${target.problem}`);
    if (!source.ok || !target.ok) return;
    if (overrides.has(source.origin)) {
      problems.push(`${quote(pair)}: ${source.origin} is overridden more than once`);
      return;
    }
    overrides.set(source.origin, target.origin);
  });
  return { overrides, problems };
}

/**
 * Parses `https://provider.origin=http://127.0.0.1:PORT` pairs, comma separated (spaces around
 * them ignored). Unset or blank: no overrides. Sources must be https origins, each at most
 * once (`https://x` and `https://X:443` are the same origin); targets http or https origins.
 * Throws an OriginOverridesError naming the variable and every bad pair.
 */
export function parseOriginOverrides(value: string | undefined): OriginOverrides {
  const { overrides, problems } = parse(value);
  if (problems.length > 0) throw new OriginOverridesError(problems);
  return overrides;
}

/** Scheme and authority as written, up to the path, query or fragment (`\` counts as `/`). */
const LEADING_AUTHORITY = /^([a-z][a-z0-9+.-]*:)[/\\]*([^/\\?#]*)/i;

/**
 * The URL with its origin replaced when the origin is overridden; otherwise the very same
 * string. Path, query and fragment are kept byte for byte (no re-encoding), so a code, a
 * signature or an encoded redirect_uri reaches the target exactly as it would the provider.
 * Matching is by origin: case of the host and an explicit default port do not matter.
 */
export function rewriteUrl(url: string, overrides: OriginOverrides): string {
  if (overrides.size === 0) return url;
  const parsed = tryUrl(url);
  if (!parsed) return url;
  const target = overrides.get(parsed.origin);
  if (target === undefined) return url;
  const written = LEADING_AUTHORITY.exec(url);
  if (written) {
    const [head, scheme, authority] = written as unknown as [string, string, string];
    const at = authority.lastIndexOf('@');
    const hostPort = authority.slice(at + 1);
    if (tryUrl(`${scheme}//${hostPort}`)?.origin === parsed.origin) {
      const targetUrl = new URL(target);
      const userinfo = authority.slice(0, at + 1);
      return `${targetUrl.protocol}//${userinfo}${targetUrl.host}${url.slice(head.length)}`;
    }
  }
  // Written in a form the pattern does not follow (spaces, tabs): the parser's serialisation.
  return `${target}${parsed.pathname}${parsed.search}${parsed.hash}`;
}

/** The fetch signature the OAuth code uses; the global `fetch` is one. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that sends each request to its overridden origin. Strings, URLs and Request objects
 * (method, headers, body, signal and redirect mode carried over) are all rewritten. With no
 * overrides it is the given fetch itself.
 */
export function overridingFetch(fetchImpl: FetchLike, overrides: OriginOverrides): FetchLike {
  if (overrides.size === 0) return fetchImpl;
  return (input, init) => {
    if (typeof input === 'string') return fetchImpl(rewriteUrl(input, overrides), init);
    if (input instanceof URL) {
      const rewritten = rewriteUrl(input.href, overrides);
      return fetchImpl(rewritten === input.href ? input : rewritten, init);
    }
    const rewritten = rewriteUrl(input.url, overrides);
    return fetchImpl(rewritten === input.url ? input : new Request(rewritten, input), init);
  };
}

const isLoopbackHost = (hostname: string): boolean =>
  hostname === 'localhost' ||
  hostname.endsWith('.localhost') ||
  hostname === '[::1]' ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

/**
 * True when requests to the URL would cross the network unencrypted: plain http to anything
 * but loopback (the "potentially trustworthy" origins of W3C Secure Contexts). Tokens and
 * client secrets would travel readable; start-up can warn, or refuse in production.
 * An unparsable URL counts as insecure.
 */
export function isInsecureTarget(url: string): boolean {
  const parsed = tryUrl(url);
  if (!parsed) return true;
  if (parsed.protocol === 'https:') return false;
  return !(parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
}

/** `https://api.intercom.io → http://127.0.0.1:4010, …` for a start-up log line (no secrets: credentials are refused). */
export function describeOriginOverrides(overrides: OriginOverrides): string {
  return [...overrides].map(([source, target]) => `${source} → ${target}`).join(', ');
}
