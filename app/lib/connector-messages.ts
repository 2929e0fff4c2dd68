/** What the connector page says for each outcome of the flow, by the reason in `?error=`. */
export const FLOW_MESSAGES: Record<string, { tone: 'info' | 'error'; text: (name: string) => string }> = {
  access_denied: {
    tone: 'info',
    text: (name) => `You declined access on ${name}'s consent page, so nothing was connected. You can connect whenever you are ready.`,
  },
  provider_error: { tone: 'error', text: (name) => `${name} could not complete the authorization. Please try again.` },
  invalid_request: { tone: 'error', text: () => 'The callback was missing its code or state. Please connect again.' },
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
  choice_unknown: { tone: 'error', text: () => 'That choice has expired or was already made. Please connect again.' },
  choice_cancelled: { tone: 'info', text: () => 'Nothing was connected: the authorization was cancelled and is being revoked.' },
  not_configured: { tone: 'error', text: (name) => `${name} is not configured on this server yet.` },
  forbidden: { tone: 'error', text: () => 'Only an admin of this workspace can connect an integration.' },
  unknown: { tone: 'error', text: () => 'Something went wrong while connecting. Please try again.' },
};

export function flowMessage(reason: string | null, name: string) {
  if (!reason) return null;
  const entry = FLOW_MESSAGES[reason] ?? FLOW_MESSAGES.unknown!;
  return { tone: entry.tone, text: entry.text(name) };
}
