/**
 * The pure parts of Slack's definition: the token answer made RFC 6749 shaped (and the user
 * token dropped), and how the identify and revoke hooks read Web API answers, which are HTTP
 * 200 with `ok: false` on errors.
 */
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../oauth/provider-error.js';
import { SecretValue } from '../../secrets/secret-value.js';
import type { ProviderCallContext, RevokeOutcome } from '../types.js';
import { normalizeSlackTokenAnswer, slack } from './definition.js';

const oauth = slack.oauth!;
const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

/** A hook context whose fetch answers `body` with `status`, and records what it was asked. */
function answering(status: number, body: unknown) {
  const seen: { url: string; init: RequestInit | undefined }[] = [];
  const ctx: ProviderCallContext = {
    apiUrl: 'https://slack.com/api',
    settings: {},
    accessToken: new SecretValue('xoxb-test-token'),
    fetch: async (url, init) => {
      seen.push({ url, init });
      return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    },
  };
  return { ctx, seen };
}

const revoke = (ctx: ProviderCallContext): Promise<RevokeOutcome> => {
  if (typeof oauth.revoke !== 'function') throw new Error('Slack revokes with a hook');
  return oauth.revoke(ctx);
};

describe('normalizeSlackTokenAnswer', () => {
  const installed = {
    ok: true,
    app_id: 'A0KRD7HC3',
    authed_user: { id: 'U1234', scope: 'chat:write', access_token: 'xoxp-1234', token_type: 'user' },
    scope: 'channels:read,channels:history,users:read,team:read',
    token_type: 'bot',
    access_token: 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy',
    bot_user_id: 'U0KRQLJ9H',
    team: { id: 'T9TK3CUKW', name: 'Slack Softball Team' },
    enterprise: null,
    is_enterprise_install: false,
  };

  it('keeps the bot token as a Bearer token with space-separated scopes, and drops authed_user and the rest', () => {
    expect(normalizeSlackTokenAnswer(installed)).toEqual({
      access_token: installed.access_token,
      token_type: 'Bearer',
      scope: 'channels:read channels:history users:read team:read',
    });
    expect(JSON.stringify(normalizeSlackTokenAnswer(installed))).not.toContain('xoxp');
  });

  it('keeps the expiry and refresh token of an app with token rotation', () => {
    const rotated = { ...installed, access_token: 'xoxe.xoxb-1-abc', refresh_token: 'xoxe-1-def', expires_in: 43200 };
    expect(normalizeSlackTokenAnswer(rotated)).toMatchObject({ access_token: 'xoxe.xoxb-1-abc', refresh_token: 'xoxe-1-def', expires_in: 43200 });
  });

  it('refuses an answer without a bot token (a user token only, or no token) as malformed, without repeating it', () => {
    for (const body of [
      { ...installed, token_type: 'user', access_token: 'xoxp-only-user' },
      { ok: true, authed_user: installed.authed_user, team: installed.team },
      { ...installed, expires_in: '43200' },
    ]) {
      let error: unknown = null;
      try {
        normalizeSlackTokenAnswer(body);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ step: 'token', failure: 'malformed_response' });
      expect((error as Error).message).not.toContain('xox');
    }
  });
});

describe('identify: team.info', () => {
  it('names the workspace from `team`, calling GET team.info with the bearer token', async () => {
    const { ctx, seen } = answering(200, { ok: true, team: { id: 'T12345', name: 'My Team', domain: 'example' } });
    expect(await oauth.identify(ctx)).toEqual({ id: 'T12345', name: 'My Team' });
    expect(seen[0]?.url).toBe('https://slack.com/api/team.info');
    expect(new Headers(seen[0]?.init?.headers).get('authorization')).toBe('Bearer xoxb-test-token');
    expect(seen[0]?.init?.method ?? 'GET').toBe('GET');
  });

  it('ok: false refusing the token is a 401 with its code; any other error code a 503; a 429 stays a 429', async () => {
    for (const code of ['invalid_auth', 'token_revoked', 'token_expired', 'account_inactive', 'missing_scope']) {
      expect(await failure(oauth.identify(answering(200, { ok: false, error: code }).ctx))).toMatchObject({ step: 'identify', status: 401, oauthError: code });
    }
    expect(await failure(oauth.identify(answering(200, { ok: false, error: 'internal_error' }).ctx))).toMatchObject({ status: 503, oauthError: 'internal_error' });
    expect(await failure(oauth.identify(answering(200, { ok: false, error: 'Bad <b>text</b>' }).ctx))).toMatchObject({ status: 503, oauthError: null });
    expect(await failure(oauth.identify(answering(429, { ok: false, error: 'ratelimited' }).ctx))).toMatchObject({ status: 429 });
  });

  it('an answer without the team, or not JSON, is malformed', async () => {
    expect(await failure(oauth.identify(answering(200, { ok: true }).ctx))).toMatchObject({ failure: 'malformed_response' });
    expect(await failure(oauth.identify(answering(200, '<html>').ctx))).toMatchObject({ failure: 'malformed_response' });
  });
});

describe('revoke: auth.revoke', () => {
  it('revoked: POST auth.revoke with the bearer token answers {ok: true, revoked: true}', async () => {
    const { ctx, seen } = answering(200, { ok: true, revoked: true });
    expect(await revoke(ctx)).toBe('revoked');
    expect(seen[0]).toMatchObject({ url: 'https://slack.com/api/auth.revoke', init: { method: 'POST' } });
    expect(new Headers(seen[0]?.init?.headers).get('authorization')).toBe('Bearer xoxb-test-token');
  });

  it('a token that no longer authenticates is already revoked; an expired one, other errors and {revoked: false} throw', async () => {
    for (const code of ['invalid_auth', 'token_revoked', 'account_inactive']) expect(await revoke(answering(200, { ok: false, error: code }).ctx)).toBe('already_revoked');
    expect(await failure(revoke(answering(200, { ok: false, error: 'token_expired' }).ctx))).toMatchObject({ step: 'revoke', status: 401, oauthError: 'token_expired' });
    expect(await failure(revoke(answering(200, { ok: false, error: 'fatal_error' }).ctx))).toMatchObject({ step: 'revoke', status: 503 });
    expect(await failure(revoke(answering(200, { ok: true, revoked: false }).ctx))).toMatchObject({ step: 'revoke', failure: 'malformed_response' });
    expect(await failure(revoke(answering(500, 'oops').ctx))).toMatchObject({ step: 'revoke', status: 500 });
  });
});
