/** What the connector page says (as a flash notice) for each outcome of the flow, by its reason code. */
export const FLOW_MESSAGES: Record<string, { tone: 'info' | 'error'; text: (name: string) => string }> = {
  access_denied: {
    tone: 'info',
    text: (name) => `You declined access on ${name}'s consent page, so nothing was connected. You can connect whenever you are ready.`,
  },
  // Declining a reconnect changes nothing: the connection that was there still works.
  access_denied_connected: {
    tone: 'info',
    text: (name) => `You declined access on ${name}'s consent page. Nothing changed: your ${name} connection is still active.`,
  },
  provider_error: { tone: 'error', text: (name) => `${name} could not complete the authorization. Please try again.` },
  invalid_request: {
    tone: 'error',
    text: () => 'This connection attempt is not valid or has expired. Please connect again.',
  },
  state_unknown: {
    tone: 'error',
    text: () => 'This connection attempt is not valid: it may have been used already. Please connect again.',
  },
  state_mismatch: {
    tone: 'error',
    text: () => 'This connection attempt was started by another session or account. Please connect again from here.',
  },
  state_expired: { tone: 'error', text: () => 'This connection attempt expired after 10 minutes. Please connect again.' },
  token_rejected: { tone: 'error', text: (name) => `${name} rejected the authorization. Please connect again.` },
  provider_unavailable: { tone: 'error', text: (name) => `${name} did not answer in time. Please try again.` },
  provider_malformed: { tone: 'error', text: (name) => `${name} sent an answer we could not read. Please try again.` },
  identify_failed: { tone: 'error', text: (name) => `${name} did not let us read the workspace. Please try again.` },
  storage_failed: { tone: 'error', text: () => 'We could not save the connection securely. Nothing was changed; please try again.' },
  storage_incomplete: {
    tone: 'error',
    text: () => 'We could not save the change. We are restoring the previous state in the background; this page will update.',
  },
  token_unreadable: {
    tone: 'error',
    text: () =>
      'The stored token could not be read, so it could not be revoked. Nothing was changed. Check the secret backend and try again.',
  },
  attempt_expired: { tone: 'error', text: () => 'This connection attempt was given up before it finished. Please connect again.' },
  approval_pending: {
    tone: 'info',
    text: (name) =>
      `Your request to install the ${name} app was sent to an owner of the account for approval. Nothing was connected; connect again once it is approved.`,
  },
  account_not_verified: {
    tone: 'error',
    text: (name) =>
      `That ${name} installation does not belong to an account you can access, so nothing was connected. Connect again and install the app on your own account or organization.`,
  },
  choice_unknown: { tone: 'error', text: () => 'That choice has expired or was already made. Please connect again.' },
  choice_cancelled: { tone: 'info', text: () => 'Nothing was connected: the authorization was cancelled and is being revoked.' },
  not_configured: { tone: 'error', text: (name) => `${name} is not configured on this server yet.` },
  forbidden: { tone: 'error', text: () => 'Only an admin of this workspace can connect an integration.' },
  unknown: { tone: 'error', text: () => 'Something went wrong while connecting. Please try again.' },
};

export function flowMessage(reason: string | null, name: string): { tone: 'info' | 'error'; text: string } | null {
  if (!reason) return null;
  const entry = FLOW_MESSAGES[reason] ?? FLOW_MESSAGES.unknown!;
  return { tone: entry.tone, text: entry.text(name) };
}

/**
 * A connection's health reason (server/tokens/health.ts) in plain words. The codes are ours or
 * RFC 6749 §5.2's, never a provider's text; an unknown code still shows, so support can look it up.
 */
export const HEALTH_REASONS: Record<string, (name: string) => string> = {
  invalid_grant: (name) => `${name} no longer accepts the stored authorization (it was revoked or expired).`,
  identity_rejected: (name) => `${name} rejected the stored token when Plugboard checked it (access was removed or revoked).`,
  expired: (name) => `The stored authorization expired and ${name} gave Plugboard no way to renew it.`,
  invalid_scope: (name) => `${name} no longer grants the access Plugboard asked for.`,
  unauthorized_client: (name) => `${name} no longer lets this app use the stored authorization.`,
  invalid_client: (name) => `${name} did not accept Plugboard's app credentials (check the client id and secret on the server).`,
  timeout: (name) => `${name} did not answer in time.`,
  network: (name) => `${name} could not be reached.`,
  rate_limited: (name) => `${name} asked Plugboard to slow down (too many requests).`,
  malformed_response: (name) => `${name} sent an answer Plugboard could not read.`,
  unexpected_answer: (name) => `${name} sent an answer Plugboard did not expect.`,
  internal_error: () => 'Something went wrong on our side while renewing the token.',
};

export function healthReasonText(reason: string | null, name: string): string {
  if (!reason) return `${name} did not say why.`;
  const known = HEALTH_REASONS[reason];
  if (known) return known(name);
  const http = /^http_(\d{3})$/.exec(reason);
  if (http) {
    const status = Number(http[1]);
    return status >= 500
      ? `${name} had a server error (HTTP ${status}).`
      : `${name} refused the stored authorization (HTTP ${status}).`;
  }
  return `${name} refused the stored authorization (reason: ${reason}).`;
}

/** The "Reconnect needed" banner's sentence. */
export const needsReconnectText = (reason: string | null, name: string) =>
  `${healthReasonText(reason, name)} Plugboard cannot use this connection until an admin reconnects it.`;

/** Short words for a reason that may pass, to sit in brackets. */
const PASSING_REASONS: Record<string, string> = {
  timeout: 'it timed out',
  network: 'it could not be reached',
  rate_limited: 'too many requests',
  malformed_response: 'an unreadable answer',
  unexpected_answer: 'an unexpected answer',
  invalid_client: "Plugboard's app credentials were refused",
  unauthorized_client: 'the app is not allowed to refresh',
  internal_error: 'an error on our side',
};

function passingReason(reason: string | null): string {
  if (!reason) return 'no reason given';
  const http = /^http_(\d{3})$/.exec(reason);
  if (http) return Number(http[1]) >= 500 ? `a server error, HTTP ${http[1]}` : `HTTP ${http[1]}`;
  return PASSING_REASONS[reason] ?? `reason: ${reason}`;
}

/** The notice while refreshes fail for a reason that may pass. */
export const refreshFailingText = (reason: string | null, name: string) =>
  `${name} did not answer the last refresh (${passingReason(reason)}); Plugboard keeps retrying.`;

/** The activity list's "What" for each event action; health events add their reason in words. */
export const EVENT_LABELS: Record<string, string> = {
  connected: 'Connected',
  reconnected: 'Reconnected',
  disconnected: 'Disconnected',
  revocation_failed: 'Revoking an old token failed; revoke it at the provider',
  refresh_failing: 'Refreshing the token failed; retrying',
  needs_reconnect: 'Reconnect needed',
  recovered: 'Working again',
};

export function eventText(action: string, detail: string | null, name: string): string {
  const label = EVENT_LABELS[action] ?? action;
  if (action === 'refresh_failing') return `${label} (${passingReason(detail)})`;
  if (action === 'needs_reconnect') return `${label}: ${healthReasonText(detail, name)}`;
  return label;
}

/** What "Check connection" found, for the notice beside the button. */
export function checkResultText(health: 'healthy' | 'refresh_failing' | 'needs_reconnect', name: string): string {
  if (health === 'healthy') return `Checked just now: ${name} accepted the connection.`;
  if (health === 'refresh_failing') return `Checked just now: ${name} did not answer; Plugboard keeps retrying.`;
  return `Checked just now: ${name} no longer accepts the connection.`;
}

/** The flash notices of the connector page's own outcomes. */
export const connectedText = (name: string) => `${name} is connected.`;
export const disconnectedText = (name: string) => `${name} was disconnected and its token removed.`;
