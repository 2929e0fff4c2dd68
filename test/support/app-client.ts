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
    return this.answer<T>(response);
  }

  /** GETs a query the way tRPC's batch link does (`?batch=1&input={"0":...}`). */
  async query<T>(procedure: string, input?: unknown): Promise<CallResult<T>> {
    const batch = encodeURIComponent(JSON.stringify(input === undefined ? {} : { 0: input }));
    const response = await fetch(`${this.baseUrl}/api/trpc/${procedure}?batch=1&input=${batch}`, {
      headers: { cookie: this.cookie },
    });
    return this.answer<T>(response);
  }

  private async answer<T>(response: Response): Promise<CallResult<T>> {
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
 * Opens the provider's consent page, submits its form with its approving button, and returns the
 * code and state (and any other parameter) the provider redirected back with (the redirect is not followed: the test completes the
 * flow through `intercom.exchange`, as the callback page would).
 */
export async function approveOnConsentPage(authorizeUrl: string): Promise<{ code: string; state: string } & Record<string, string>> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (!page.ok) throw new Error(`consent page answered HTTP ${page.status}`);
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error('the consent page has no form');
  // The form as a browser sends it: hidden fields, ticked checkboxes (scopes a user may untick) and
  // the selected radio button (an account to install on), then the approving submit button.
  const form = new URLSearchParams();
  const attrs = (tag: string) =>
    Object.fromEntries([...tag.matchAll(/\s([a-z-]+)(?:="([^"]*)")?/g)].map((m) => [m[1] ?? '', unescapeHtml(m[2] ?? '')]));
  for (const match of html.matchAll(/<input\b[^>]*>/g)) {
    const input = attrs(match[0]);
    const sent = input.type === 'hidden' || ((input.type === 'checkbox' || input.type === 'radio') && 'checked' in input);
    if (sent && input.name) form.append(input.name, input.value ?? 'on');
  }
  const buttons = [...html.matchAll(/<button\b[^>]*>/g)].map((m) => attrs(m[0])).filter((b) => b.type === 'submit' && b.name);
  const approve =
    buttons.find((b) => /\bprimary\b/.test(b.class ?? '')) ?? buttons.find((b) => !/^(cancel|deny)$/i.test(b.value ?? '')) ?? { name: 'decision', value: 'approve' };
  form.set(approve.name ?? 'decision', approve.value ?? 'approve');
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
  // OAuth 1.0a (Trello) comes back with `oauth_token` and `oauth_verifier` instead of a code.
  const verifier = back.searchParams.get('oauth_verifier');
  if ((!code && !verifier) || !state) throw new Error('the redirect carries no code and state');
  if (!code) return { ...Object.fromEntries(back.searchParams), state } as { code: string; state: string } & Record<string, string>;
  // Whatever else the provider sent back (GitHub's installation_id and setup_action) goes along.
  return { ...Object.fromEntries(back.searchParams), code, state };
}

function unescapeHtml(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
