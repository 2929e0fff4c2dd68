import { describe, expect, it } from 'vitest';
import { checkResultText, eventText, healthReasonText, needsReconnectText, refreshFailingText } from './connector-messages';

describe('health messages', () => {
  it('says in plain words why a connection needs a reconnect', () => {
    expect(healthReasonText('invalid_grant', 'Linear')).toBe('Linear no longer accepts the stored authorization (it was revoked or expired).');
    expect(needsReconnectText('identity_rejected', 'Intercom')).toMatch(/^Intercom rejected the stored token/);
    expect(needsReconnectText('invalid_grant', 'Linear')).toMatch(/until an admin reconnects it\.$/);
    expect(healthReasonText('http_401', 'Jira')).toBe('Jira refused the stored authorization (HTTP 401).');
    expect(healthReasonText(null, 'Jira')).toBe('Jira did not say why.');
  });

  it('still names an unknown code, so support can look it up', () => {
    expect(healthReasonText('access_revoked_by_policy', 'Linear')).toBe('Linear refused the stored authorization (reason: access_revoked_by_policy).');
  });

  it('keeps a passing failure short, with the reason in brackets', () => {
    expect(refreshFailingText('timeout', 'Linear')).toBe('Linear did not answer the last refresh (it timed out); Plugboard keeps retrying.');
    expect(refreshFailingText('http_503', 'Linear')).toBe('Linear did not answer the last refresh (a server error, HTTP 503); Plugboard keeps retrying.');
    expect(refreshFailingText('weird', 'Linear')).toContain('(reason: weird)');
  });

  it('labels the health events of the activity list with their detail', () => {
    expect(eventText('needs_reconnect', 'invalid_grant', 'Linear')).toBe(
      'Reconnect needed: Linear no longer accepts the stored authorization (it was revoked or expired).',
    );
    expect(eventText('refresh_failing', 'rate_limited', 'Linear')).toBe('Refreshing the token failed; retrying (too many requests)');
    expect(eventText('recovered', null, 'Linear')).toBe('Working again');
    expect(eventText('reconnected', null, 'Linear')).toBe('Reconnected');
  });

  it('says what a check found', () => {
    expect(checkResultText('healthy', 'Linear')).toBe('Checked just now: Linear accepted the connection.');
    expect(checkResultText('needs_reconnect', 'Linear')).toMatch(/no longer accepts/);
  });
});
