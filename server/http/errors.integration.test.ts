import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTenant, makeUser, TEST_PASSWORD } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { rawRequest, useHttpApp } from '../../test/support/http-app.js';

const db = useTestDatabase();
const app = useHttpApp(db);

/** What the process writes to stdout and stderr while a test runs (Express's default handler prints there). */
let written: string[] = [];
beforeEach(() => {
  written = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
  }
});
afterEach(() => vi.restoreAllMocks());

async function signedInCookie(): Promise<{ cookie: string; email: string }> {
  const em = db.orm.em.fork();
  const tenant = await makeTenant(em);
  const user = await makeUser(em, tenant.slug, 'admin');
  const response = await fetch(`${app.base}/api/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
  });
  expect(response.status).toBe(200);
  return { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0]!, email: user.email };
}

describe('a database failure while serving a request', () => {
  it('is logged without the statement and answered with a generic 500, as HTML or JSON', async () => {
    const { cookie } = await signedInCookie();
    const token = decodeURIComponent(cookie.split('=')[1]!).split('.')[0]!;
    // Every request with a session now fails inside the session lookup, before any route runs.
    await db.sql('alter table sessions rename to sessions_gone');
    try {
      const page = await fetch(`${app.base}/integrations`, { headers: { cookie, accept: 'text/html' } });
      const html = await page.text();
      expect(page.status).toBe(500);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(html).toContain('Something went wrong on our side. Please try again.');
      expect(html).toContain(page.headers.get('x-request-id')!);

      const data = await fetch(`${app.base}/integrations?_data=routes%2Fintegrations._index`, {
        headers: { cookie, accept: 'application/json' },
      });
      expect(data.status).toBe(500);
      expect(await data.json()).toMatchObject({ error: { message: 'Something went wrong on our side. Please try again.' } });

      const api = await fetch(`${app.base}/api/trpc/auth.me`, { headers: { cookie } });
      const apiBody = await api.text();
      expect(api.status).toBe(500);
      expect(JSON.parse(apiBody)).toMatchObject({ error: { message: 'Something went wrong on our side. Please try again.' } });

      const answers = [html, apiBody].join('\n');
      const output = [app.logs.text(), ...written].join('\n');
      for (const text of [answers, output]) {
        expect(text).not.toMatch(/select|sessions_gone|token_hash/i);
        expect(text).not.toContain(token);
      }
      expect(answers).not.toMatch(/at .*\.(js|ts):\d+/);
      const failure = app.logs.lines.map((l) => JSON.parse(l) as { msg: string; err?: { sqlState?: string } }).find((l) => l.msg === 'request failed');
      expect(failure?.err?.sqlState).toBe('42P01');
    } finally {
      await db.sql('alter table sessions_gone rename to sessions');
    }
  });
});

describe('client errors that reach Express', () => {
  it('answers a malformed path with a short 400, no stack', async () => {
    const answer = await rawRequest(`${app.base}/build/%E0%A4%A`, { method: 'GET' });
    expect(answer.status).toBe(400);
    expect(answer.body).not.toMatch(/URIError|at .*\.(js|ts):\d+/);
    expect(written.join('')).not.toMatch(/URIError/);
  });
});
