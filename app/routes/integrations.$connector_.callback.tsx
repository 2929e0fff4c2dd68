/**
 * The OAuth redirect target. Its loader hands `code` and `state` (and an app installation's
 * `installation_id` and `setup_action`, or OAuth 1.0a's `oauth_token` and `oauth_verifier`) to the connector's
 * `exchange` procedure and answers with a redirect to the connector page carrying a one-time
 * flash notice (connected, or what went wrong; `?finishing=1` when the connect is finished in
 * the background, so the page follows the status), a 404 for an unknown connector, or a redirect
 * to the choice page when the authorization reaches several accounts. Nothing else renders
 * here, and `Referrer-Policy: no-referrer` keeps the code out of any Referer header.
 */
import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { connectedText, flowMessage } from '~/lib/connector-messages';
import { redirectWithFlash } from '~/lib/flash.server';
import { callOrThrow, connectorCaller, failureReason, getCaller, requireSession, toFailure } from '~/lib/trpc.server';

// Referrer-Policy: no-referrer for this path is set with the other security headers
// (server/http/security.ts), so it is on every response here, errors included.
const NO_STORE = { 'Cache-Control': 'no-store' };

/** The same 404 as any unknown page (the root ErrorBoundary renders it in the app shell). */
const notFound = () => new Response(null, { status: 404, statusText: 'Not Found', headers: NO_STORE });

/**
 * Reads a query parameter without URLSearchParams' `+` to space rule: codes are opaque and
 * must reach the token endpoint byte for byte (Intercom codes can end with `=`).
 */
export function rawQueryParam(url: URL, name: string): string | null {
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (key !== name) continue;
    try {
      return decodeURIComponent(eq === -1 ? '' : pair.slice(eq + 1));
    } catch {
      return null;
    }
  }
  return null;
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  requireSession(request, context);
  const connector = params.connector ?? '';
  if (!/^[a-z_]{1,64}$/.test(connector)) throw notFound();
  // An unknown or not-yet-available connector has no callback: a 404 here, rather than a
  // redirect to its page that would 404 there. catalog.get answers NOT_FOUND (a 404 Response).
  const entry = await callOrThrow(request, () => getCaller(context).catalog.get({ id: connector }));
  if (entry.availability !== 'available') throw notFound();
  const page = `/integrations/${connector}`;
  const name = entry.name;
  const back = (reason: string) => {
    const message = flowMessage(reason, name)!;
    return redirectWithFlash(request, page, message, { headers: NO_STORE });
  };

  const url = new URL(request.url);
  // OAuth 1.0a (RFC 5849 §2.2): approval sends the request token back with a verifier; a
  // provider that sends the user back after a refusal (Trello) sends the token without one.
  const oauthToken = rawQueryParam(url, 'oauth_token') ?? undefined;
  const oauthVerifier = rawQueryParam(url, 'oauth_verifier') ?? undefined;
  const providerError = rawQueryParam(url, 'error') ?? (oauthToken !== undefined && !oauthVerifier ? 'access_denied' : null);
  if (providerError !== null) {
    // The admin declined (access_denied) or the provider refused: say so, store nothing.
    if (providerError !== 'access_denied') return back('provider_error');
    // Declining a reconnect leaves the live connection as it was: say that, not "nothing connected".
    const connected = await connectorCaller(context, connector)
      .status()
      .then((status) => status.connected)
      .catch(() => false);
    return back(connected ? 'access_denied_connected' : 'access_denied');
  }
  const code = rawQueryParam(url, 'code');
  const state = rawQueryParam(url, 'state');
  // An app installation's callback (GitHub Apps) names the installation and what happened to it;
  // one awaiting an owner's approval (`setup_action=request`) may come back without a code.
  const installationId = rawQueryParam(url, 'installation_id') ?? undefined;
  const setupAction = rawQueryParam(url, 'setup_action') ?? undefined;
  if (!state || (!code && !oauthVerifier && setupAction !== 'request')) return back('invalid_request');
  if (setupAction !== undefined && !['install', 'update', 'request'].includes(setupAction)) return back('invalid_request');

  try {
    const iss = rawQueryParam(url, 'iss') ?? undefined;
    const { finishing, redirectTo } = await connectorCaller(context, connector).exchange({
      code: code ?? undefined,
      state,
      iss,
      installation_id: installationId,
      setup_action: setupAction as 'install' | 'update' | 'request' | undefined,
      oauth_token: oauthToken,
      oauth_verifier: oauthVerifier,
    });
    // Several accounts: the choice page, a path the server built under this connector's page.
    if (redirectTo?.startsWith(`${page}/choose/`)) return redirect(redirectTo, { headers: NO_STORE });
    // The secret backend has not answered yet: the page says so and follows the status.
    if (finishing) return redirect(`${page}?finishing=1`, { headers: NO_STORE });
  } catch (error) {
    // A connector in the catalog without a router: no such procedure, so no such page.
    if (toFailure(error).code === 'NOT_FOUND') throw notFound();
    return back(failureReason(error));
  }
  return redirectWithFlash(request, page, { tone: 'success', text: connectedText(name) }, { headers: NO_STORE });
}

// Never rendered (the loader always redirects or throws), but a component makes this a UI
// route, so a 404 here gets the same page, in the app shell, as any unknown URL.
export default function OAuthCallback() {
  return null;
}
