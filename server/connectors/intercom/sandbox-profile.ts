/**
 * Intercom as the generic sandbox plays it, from
 * https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth
 * ("DOCS" below): the consent page at `/oauth` (no scope parameter), the code exchange at
 * `/auth/eagle/token` (a form or JSON with the code and client credentials; the answer carries
 * the token twice, never expires and has no refresh token), `/me` (the admin and the workspace:
 * `app.id_code`, `app.name`, `app.region`), `POST /auth/uninstall` revoking the bearer token, and
 * Intercom's `error.list` errors. Loaded only by the sandbox hook, the sandbox CLI and tests.
 */
import { randomInt } from 'node:crypto';
import type { SandboxError, SandboxProfile } from '../../sandbox/profile.js';

export interface IntercomSandboxOptions {
  /** Default: `sbx` + 5 random characters, "Sandbox Workspace", region "US". */
  readonly workspace?: { readonly idCode?: string; readonly name?: string; readonly region?: string };
  /** Default: a random numeric id (Intercom's admin ids are numeric strings), "Sandbox Admin". */
  readonly admin?: { readonly id: string; readonly name: string; readonly email: string };
}

const randomIdCode = () => `sbx${Array.from({ length: 5 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[randomInt(36)]).join('')}`;

/** Intercom's error envelope. */
const errorList = (code: string, message: string) => ({ type: 'error.list', errors: [{ code, message }] });

/** Intercom answers 401 `unauthorized` with these messages; a bad code is the "Unauthorized Code" of DOCS. */
const UNAUTHORIZED = new Map([
  ['invalid_client', 'Invalid client_id or client_secret'],
  ['invalid_grant', 'Unauthorized Code'],
  ['invalid_token', 'Access Token Invalid'],
]);

export function intercomErrorAnswer({ status, error, description }: SandboxError): { status: number; body: unknown } {
  const unauthorized = UNAUTHORIZED.get(error);
  if (unauthorized) return { status: 401, body: errorList('unauthorized', unauthorized) };
  if (error === 'invalid_request') {
    return { status, body: errorList(description?.endsWith(' is required') ? 'parameter_not_found' : 'parameter_invalid', description ?? error) };
  }
  return { status, body: errorList(error, description ?? error) };
}

export function intercomSandboxProfile(options: IntercomSandboxOptions = {}): SandboxProfile {
  const workspace = {
    idCode: options.workspace?.idCode ?? randomIdCode(),
    name: options.workspace?.name ?? 'Sandbox Workspace',
    region: options.workspace?.region ?? 'US',
  };
  const admin = options.admin ?? { id: String(randomInt(1_000_000, 10_000_000)), name: 'Sandbox Admin', email: 'admin@sandbox.example' };
  return {
    provider: 'Intercom',
    accountName: workspace.name,
    authorizePath: '/oauth',
    scopeSeparator: ' ',
    tokenPath: '/auth/eagle/token',
    // DOCS: the example posts `code`, `client_id` and `client_secret` as a form; JSON works too.
    clientAuthentication: 'client_secret_post',
    tokenRequestBodies: ['form', 'json'],
    minimalCodeExchange: true,
    // DOCS: codes can end with `=`; a client that trims or re-encodes them gets "Unauthorized Code".
    codeEncoding: 'base64',
    // Opaque tokens; `dG9r` ("tok" in base64) makes sandbox ones recognisable. No expiry, no refresh.
    tokenPrefix: 'dG9r',
    tokenAnswer: ({ token_type, access_token }) => ({ token_type, token: access_token, access_token }),
    errorAnswer: intercomErrorAnswer,
    // https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/uninstalling-an-app:
    // the bearer token authenticates the request, so a revoked one is simply unauthorized.
    revocation: { path: '/auth/uninstall', style: 'bearer', alreadyRevoked: 401 },
    identity: {
      path: '/me',
      method: 'GET',
      answer: {
        type: 'admin',
        id: admin.id,
        email: admin.email,
        name: admin.name,
        email_verified: true,
        app: {
          type: 'app',
          id_code: workspace.idCode,
          name: workspace.name,
          created_at: Math.floor(Date.now() / 1000),
          secure: true,
          identity_verification: false,
          timezone: 'Europe/Dublin',
          region: workspace.region,
        },
        avatar: { type: 'avatar', image_url: null },
        has_inbox_seat: true,
      },
    },
    // The definition pins Intercom-Version on every API call: the log shows it was sent.
    loggedHeaders: ['intercom-version'],
  };
}
