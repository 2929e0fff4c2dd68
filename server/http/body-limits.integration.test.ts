import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/database.js';
import { bytes, rawRequest, useHttpApp } from '../../test/support/http-app.js';
import { BODY_LIMIT_BYTES } from './body-limits.js';

const db = useTestDatabase();
const app = useHttpApp(db);
const MB = 1024 * 1024;

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

/** A syntactically valid body of the given size, so only its size can be the reason. */
function jsonBody(size: number): Buffer {
  const prefix = '{"email":"a@b.c","password":"';
  return Buffer.from(`${prefix}${'x'.repeat(size - prefix.length - 2)}"}`);
}
function formBody(size: number): Buffer {
  const prefix = 'email=a%40b.c&password=';
  return Buffer.from(`${prefix}${'x'.repeat(size - prefix.length)}`);
}

describe('request body size', () => {
  it.each([
    ['/api/trpc/auth.signIn', 'JSON', JSON_TYPE, jsonBody(MB)],
    ['/api/trpc/auth.signIn', 'form', FORM_TYPE, formBody(MB)],
    ['/login', 'JSON', JSON_TYPE, jsonBody(MB)],
    ['/login', 'form', FORM_TYPE, formBody(MB)],
    ['/integrations/intercom', 'form', FORM_TYPE, formBody(MB)],
  ])('refuses a 1 MB %s %s body by its Content-Length with 413', async (path, _kind, headers, body) => {
    const answer = await rawRequest(`${app.base}${path}`, { headers, body });
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('limited to 100 KB');
  });

  it.each([
    ['/api/trpc/auth.signIn', JSON_TYPE],
    ['/login', FORM_TYPE],
    ['/login', JSON_TYPE],
  ])('counts a chunked body to %s (%o) and stops at the limit', async (path, headers) => {
    const answer = await rawRequest(`${app.base}${path}`, { headers, body: bytes(MB) });
    expect(answer.status).toBe(413);
  });

  it('answers the API in its JSON error shape and pages in plain text', async () => {
    const api = await rawRequest(`${app.base}/api/trpc/auth.signIn`, { headers: JSON_TYPE, body: jsonBody(MB) });
    expect(api.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(api.body)).toMatchObject({ error: { data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 } } });
    const page = await rawRequest(`${app.base}/login`, { headers: FORM_TYPE, body: formBody(MB) });
    expect(page.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('still takes a body just under the limit', async () => {
    // Reaches the procedure: its input check (password too long or wrong) answers, not the limit.
    const answer = await rawRequest(`${app.base}/api/trpc/auth.signIn`, {
      headers: JSON_TYPE,
      body: jsonBody(BODY_LIMIT_BYTES - 10),
    });
    expect([400, 401]).toContain(answer.status);
  });
});

describe('request body media type', () => {
  it('answers a text/plain POST to an action with a plain 415, not a 500 with a stack', async () => {
    const answer = await rawRequest(`${app.base}/integrations/intercom`, {
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('intent=disconnect'),
    });
    expect(answer.status).toBe(415);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    expect(answer.body).toBe(
      'Content-Type text/plain is not accepted; send application/json or application/x-www-form-urlencoded.',
    );
    expect(app.logs.text()).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it.each([
    ['/login', 'multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
    ['/login', 'text/plain', 'email=a'],
    ['/api/trpc/auth.signIn', 'text/plain', '{}'],
    ['/api/trpc/auth.signIn', 'application/x-www-form-urlencoded', 'email=a'],
    ['/api/trpc/auth.signIn', 'multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
  ])('refuses %s with %s', async (path, type, body) => {
    const answer = await rawRequest(`${app.base}${path}`, { headers: { 'content-type': type }, body: Buffer.from(body) });
    expect(answer.status).toBe(415);
  });

  it('refuses a body without a Content-Type and compressed bodies', async () => {
    const untyped = await rawRequest(`${app.base}/login`, { body: Buffer.from('email=a') });
    expect(untyped.status).toBe(415);
    const gzip = await rawRequest(`${app.base}/login`, {
      headers: { ...FORM_TYPE, 'content-encoding': 'gzip' },
      body: Buffer.from('email=a'),
    });
    expect(gzip.status).toBe(415);
  });

  it('accepts a POST with no body and no Content-Type', async () => {
    const login = await rawRequest(`${app.base}/login`, {});
    expect(login.status).toBeLessThan(500);
    expect(login.status).not.toBe(415);
    const api = await rawRequest(`${app.base}/api/trpc/intercom.disconnect`, {});
    expect(api.status).toBe(401);
  });

  it('answers malformed JSON with 400, on the API and on pages', async () => {
    const api = await rawRequest(`${app.base}/api/trpc/auth.signIn`, { headers: JSON_TYPE, body: Buffer.from('{"email":') });
    expect(api.status).toBe(400);
    expect(JSON.parse(api.body)).toMatchObject({ error: { message: 'The request body is not valid JSON.' } });
    const page = await rawRequest(`${app.base}/login`, { headers: JSON_TYPE, body: Buffer.from('{nope') });
    expect(page.status).toBe(400);
  });

  it('lets an action read a JSON object like a form, and answers any other JSON with 400', async () => {
    // A JSON sign-in with wrong credentials reaches the action: its field validation answers.
    const signIn = await rawRequest(`${app.base}/login`, {
      headers: JSON_TYPE,
      body: Buffer.from(JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password' })),
    });
    expect(signIn.status).toBe(401);
    expect(signIn.body).toContain('Incorrect email or password.');
    for (const body of ['[1,2]', '"text"', '{"email":{"nested":true}}', 'null']) {
      const answer = await rawRequest(`${app.base}/login`, { headers: JSON_TYPE, body: Buffer.from(body) });
      expect(answer.status, body).toBe(400);
    }
  });
});
