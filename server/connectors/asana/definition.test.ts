/** Asana's definition, the pure parts: the account name and what `users/me` must look like. */
import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../secrets/secret-value.js';
import type { ConnectorDefinition, OAuthSpec, ProviderCallContext } from '../types.js';
import { asana, asanaAccountName } from './definition.js';

const spec = (asana as ConnectorDefinition & { oauth: OAuthSpec<string> }).oauth;
const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

function answering(status: number, body: unknown): ProviderCallContext & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    apiUrl: 'https://app.asana.com/api/1.0',
    settings: {},
    accessToken: new SecretValue('asana-access'),
    fetch: (url) => {
      urls.push(url);
      return Promise.resolve(Response.json(body, { status }));
    },
  };
}

describe('Asana definition', () => {
  it('names the user with every workspace, counting those past the third', () => {
    expect(asanaAccountName('Ada', [])).toBe('Ada');
    expect(asanaAccountName('Ada', ['Acme'])).toBe('Ada (Acme)');
    expect(asanaAccountName('Ada', ['A', 'B', 'C'])).toBe('Ada (A, B, C)');
    expect(asanaAccountName('Ada', ['A', 'B', 'C', 'D', 'E'])).toBe('Ada (A, B, C and 2 more)');
  });

  it('reads the user from `data` of users/me: the gid is the account, the email who approved', async () => {
    const ctx = answering(200, {
      data: { gid: '42', name: 'Ada', email: 'ada@example.com', resource_type: 'user', workspaces: [{ gid: '1', name: 'Acme', resource_type: 'workspace' }] },
    });
    expect(await spec.identify(ctx)).toEqual({ id: '42', name: 'Ada (Acme)', approvedBy: 'ada@example.com' });
    expect(ctx.urls).toEqual(['https://app.asana.com/api/1.0/users/me']);
    // Without workspaces (not returned), the user alone.
    expect(await spec.identify(answering(200, { data: { gid: '42', name: 'Ada' } }))).toMatchObject({ id: '42', name: 'Ada' });
  });

  it('refuses an answer without the `data` wrapper, and passes an error status on', async () => {
    expect(await failure(spec.identify(answering(200, { gid: '42', name: 'Ada' })))).toMatchObject({ step: 'identify', failure: 'malformed_response' });
    expect(await failure(spec.identify(answering(401, { errors: [{ message: 'Not Authorized' }] })))).toMatchObject({ step: 'identify', status: 401 });
  });

  it('asks only for read scopes, in Asana’s <resource>:read form', () => {
    expect(spec.scopes).toEqual(['users:read', 'projects:read', 'tasks:read']);
    for (const scope of spec.scopes ?? []) expect(scope).toMatch(/^[a-z_.]+:read$/);
  });
});
