/**
 * An admin's browser, reduced to HTTP: signs in through `auth.signIn`, then drives the Intercom
 * connection over `/api/trpc` with the session cookie, approving on the sandbox's consent page
 * the way a person would (the page's form, posted as a form). Works against any instance that
 * shares the session secret, so one admin can act on two instances of one database.
 */

/** What a tRPC call answered: the data, or the error as the client sees it. */
export type CallResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; message: string; code: string | undefined };

export class AppClient {
  constructor(
    /** The instance: requests go there. */
    readonly baseUrl: string,
    readonly cookie: string,
    /** The deployment's public APP_URL, which every write carries as its Origin (default: the instance). */
    readonly origin: string = baseUrl,
  ) {}

  /** Signs in over HTTP; throws when the server refuses. */
  static async signIn(baseUrl: string, email: string, password: string, origin = baseUrl): Promise<AppClient> {
    const response = await fetch(`${baseUrl}/api/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ email, password }),
    });
    // `__Host-plugboard_session` in production (Secure; sent here by hand, as a browser would over HTTPS).
    const setCookie = response.headers.getSetCookie().find((c) => /^(__Host-)?plugboard_session=/.test(c));
    await response.body?.cancel();
    if (!response.ok || !setCookie) throw new Error(`sign-in failed with HTTP ${response.status}`);
    return new AppClient(baseUrl, setCookie.split(';')[0] ?? '', origin);
  }

  /** The same session, talking to another instance. */
  on(baseUrl: string): AppClient {
    return new AppClient(baseUrl, this.cookie, this.origin);
  }

  /**
   * POSTs a mutation the way tRPC's own batch link does (`?batch=1`, inputs keyed by index, so a
   * procedure without input gets `{}`). A network failure (the server died) rejects; an error
   * answer resolves.
   */
  async call<T>(procedure: string, input?: unknown): Promise<CallResult<T>> {
    const response = await fetch(`${this.baseUrl}/api/trpc/${procedure}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.origin, cookie: this.cookie },
      body: JSON.stringify(input === undefined ? {} : { 0: input }),
    });
    const text = await response.text();
    type Answer = { result?: { data?: T }; error?: { message?: string; data?: { code?: string } } };
    let answer: Answer = {};
    try {
      const parsed = JSON.parse(text) as Answer[] | Answer;
      answer = (Array.isArray(parsed) ? parsed[0] : parsed) ?? {};
    } catch {
      // not JSON (a proxy's page, a refusal in plain text): reported by status below
    }
    if (response.ok && answer.result) return { ok: true, status: response.status, data: answer.result.data as T };
    return {
      ok: false,
      status: response.status,
      message: answer.error?.message ?? `HTTP ${response.status}`,
      code: answer.error?.data?.code,
    };
  }

  /** `intercom.connect`: the consent URL. */
  async startConnect(): Promise<string> {
    const result = await this.call<{ authorizeUrl: string }>('intercom.connect');
    if (!result.ok) throw new Error(`intercom.connect failed: ${result.status} ${result.message}`);
    return result.data.authorizeUrl;
  }

  exchange(callback: { code: string; state: string }): Promise<CallResult<{ success: true; redirectTo: string | null }>> {
    return this.call('intercom.exchange', callback);
  }

  disconnect(): Promise<CallResult<{ success: true; redirectTo: string | null }>> {
    return this.call('intercom.disconnect');
  }

  /** connect, approve, exchange: one whole Connect (or Reconnect) click. */
  async connectIntercom(): Promise<CallResult<{ success: true; redirectTo: string | null }>> {
    return this.exchange(await approveOnConsentPage(await this.startConnect()));
  }
}

/**
 * Opens the provider's consent page, submits its form with "approve", and returns the code and
 * state the provider redirected back with (the redirect is not followed: the test completes the
 * flow through `intercom.exchange`, as the callback page would).
 */
export async function approveOnConsentPage(authorizeUrl: string): Promise<{ code: string; state: string }> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (!page.ok) throw new Error(`consent page answered HTTP ${page.status}`);
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error('the consent page has no form');
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(match[1] ?? '', unescapeHtml(match[2] ?? ''));
  }
  // Ticked checkboxes (a consent page that lets the user untick scopes) go with the form, as a browser sends them.
  for (const match of html.matchAll(/<input type="checkbox"[^>]* name="([^"]+)" value="([^"]*)" checked>/g)) {
    form.append(match[1] ?? '', unescapeHtml(match[2] ?? ''));
  }
  form.set('decision', 'approve');
  const decision = await fetch(new URL(unescapeHtml(action), authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  await decision.body?.cancel();
  const location = decision.headers.get('location');
  if (decision.status < 300 || decision.status >= 400 || !location) {
    throw new Error(`approving did not redirect (HTTP ${decision.status})`);
  }
  const back = new URL(location);
  const code = back.searchParams.get('code');
  const state = back.searchParams.get('state');
  if (!code || !state) throw new Error('the redirect carries no code and state');
  return { code, state };
}

function unescapeHtml(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
