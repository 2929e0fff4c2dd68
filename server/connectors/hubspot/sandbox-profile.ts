/**
 * HubSpot as the generic sandbox plays it, from the 2026-03 OAuth API
 * (https://developers.hubspot.com/docs/api-reference/latest/authentication/manage-oauth-tokens):
 * the install page at `/oauth/authorize` (space-separated scopes), the token endpoint at
 * `/oauth/2026-03/token` taking a form with the client secret in it, 30-minute access tokens and
 * a long-lived refresh token that a refresh answers unchanged, the v1-shaped answer (`bearer`,
 * `hub_id`, a `scopes` array instead of `scope`), RFC 7009 revocation of the refresh token at
 * `/oauth/2026-03/token/revoke`, account details at `/account-info/2026-03/details`, and
 * HubSpot's error bodies (the RFC 6749 `error` beside HubSpot's `status` and `message`).
 * Loaded only by the sandbox hook, the sandbox CLI and tests.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxError, SandboxProfile } from '../../sandbox/profile.js';

export const HUBSPOT_SANDBOX_ACCOUNT = { portalId: 2519445, uiDomain: 'app-eu1.hubspot.com' } as const;

/**
 * https://developers.hubspot.com/changelog/new-oauth-v3-api-endpoints-and-standardized-error-responses:
 * OAuth errors carry `error` and `error_description` (RFC 6749) and keep HubSpot's `status` and
 * `message`. API errors (account details) are HubSpot's standard error body.
 */
export function hubspotErrorAnswer({ endpoint, status, error, description }: SandboxError): { status: number; body: unknown } {
  const message = description ?? error;
  const correlationId = randomUUID();
  if (endpoint === 'identity' || endpoint === 'other') {
    const category = status === 401 ? 'INVALID_AUTHENTICATION' : status === 404 ? 'OBJECT_NOT_FOUND' : 'VALIDATION_ERROR';
    return { status, body: { status: 'error', message, correlationId, category } };
  }
  return { status, body: { error, error_description: message, status: 'error', message, correlationId } };
}

export const hubspotSandboxProfile: SandboxProfile = {
  provider: 'HubSpot',
  accountName: `portal ${HUBSPOT_SANDBOX_ACCOUNT.portalId}`,
  authorizePath: '/oauth/authorize',
  scopeSeparator: ' ',
  tokenPath: '/oauth/2026-03/token',
  clientAuthentication: 'client_secret_post',
  accessTokenTtlSeconds: 1800,
  // The refresh token lasts; each refresh answers the same one.
  refreshTokens: { rotate: false, echo: true },
  answerScope: true,
  tokenPrefix: 'hs_sbx_',
  // https://developers.hubspot.com/changelog/additional-details-returned-when-generating-oauth-access-tokens
  tokenAnswer: ({ scope, token_type, ...rest }) => ({
    ...rest,
    token_type: token_type.toLowerCase(),
    hub_id: HUBSPOT_SANDBOX_ACCOUNT.portalId,
    scopes: (scope ?? '').split(' ').filter(Boolean),
  }),
  errorAnswer: hubspotErrorAnswer,
  revocation: { path: '/oauth/2026-03/token/revoke', style: 'rfc7009' },
  identity: {
    path: '/account-info/2026-03/details',
    method: 'GET',
    answer: {
      portalId: HUBSPOT_SANDBOX_ACCOUNT.portalId,
      accountType: 'STANDARD',
      timeZone: 'Europe/Berlin',
      companyCurrency: 'EUR',
      additionalCurrencies: [],
      utcOffset: '+01:00',
      utcOffsetMilliseconds: 3_600_000,
      uiDomain: HUBSPOT_SANDBOX_ACCOUNT.uiDomain,
      dataHostingLocation: 'eu1',
    },
  },
};
