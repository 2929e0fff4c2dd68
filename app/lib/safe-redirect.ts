/**
 * Where a `redirectTo` taken from a request may send the browser: a path on this site, or
 * the integrations page. Pure (no server imports), so forms can use it too.
 *
 * An open redirect after sign-in is a phishing tool, and browsers are lenient: they strip
 * tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or `/\evil.example`
 * become `//evil.example`, another host. Prefix checks alone miss these, so the value is
 * also resolved with the WHATWG URL parser (the one browsers use) and must keep the origin.
 *
 * Decisions:
 * - Rejected outright: non-strings, empty or longer than {@link MAX_REDIRECT_LENGTH}, any
 *   control character (C0, DEL, C1), any backslash, and anything not starting with exactly
 *   one `/` (absolute URLs, `javascript:`, `data:`, `mailto:`, scheme-relative `//host`,
 *   leading spaces).
 * - Percent-encoded `/` or `\` in the path (`/%2F/evil.example`, `/%5Cevil.example`) is
 *   rejected too. A browser would treat `%2F` as part of a path segment, so it is not an open
 *   redirect by itself, but a proxy or a later redirect that decodes the path would turn it
 *   into `//evil.example`; no Plugboard route has an encoded slash in its path.
 * - What is returned is the parsed path, query and fragment: dot segments resolved and
 *   non-ASCII percent-encoded, so the `Location` header is always valid ASCII (unicode dots
 *   and slashes such as `。` or `／` end up as harmless percent-escapes in a path segment).
 *   A result that normalises to `//...` (`/.//evil.example`) is rejected.
 * - It never throws: a bad value is a fallback, never a 500.
 */
export const DEFAULT_REDIRECT = '/integrations';

/** Longer values are not paths we produce; they fall back rather than fill a header. */
export const MAX_REDIRECT_LENGTH = 2048;

// Any origin works for the check: only whether the value changes it matters. `.invalid`
// (RFC 2606) can never be a real host.
const BASE = 'http://plugboard.invalid';

// C0 controls, DEL and C1 controls; backslashes, which browsers read as slashes.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\\]/;
const ENCODED_SLASH = /%(2f|5c)/i;
// What a Location header may carry after parsing: printable ASCII without spaces.
const HEADER_SAFE = /^[\u0021-\u007e]+$/;

export function safeRedirect(to: unknown, fallback: string = DEFAULT_REDIRECT): string {
  if (typeof to !== 'string' || to.length === 0 || to.length > MAX_REDIRECT_LENGTH) return fallback;
  if (FORBIDDEN.test(to)) return fallback;
  if (!to.startsWith('/') || to.startsWith('//')) return fallback;
  let url: URL;
  try {
    url = new URL(to, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  if (ENCODED_SLASH.test(url.pathname)) return fallback;
  const target = url.pathname + url.search + url.hash;
  if (!target.startsWith('/') || target.startsWith('//') || !HEADER_SAFE.test(target)) return fallback;
  return target;
}
