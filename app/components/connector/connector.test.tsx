import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { flowMessage } from '~/lib/connector-messages';
import type { ConnectorStatus } from '../../../server/trpc/schemas';
import { eventsLimit } from './ActivityList';
import { ConnectionFacts } from './ConnectionDetails';
import { ConnectorHeader } from './ConnectorHeader';
import { HealthBanner } from './HealthBanner';
import { primaryActionFor } from './types';

const base: ConnectorStatus = {
  connector: 'linear',
  configured: true,
  missingConfiguration: [],
  sandbox: true,
  connected: false,
  state: 'not_connected',
  installationStatus: null,
  workspace: null,
  connectedBy: null,
  connectedAt: null,
  disconnectedBy: null,
  disconnectedAt: null,
  finishing: false,
  settings: [],
  health: null,
  healthReason: null,
  expiresAt: null,
  scopes: null,
  missingScopes: [],
  revocable: true,
  revocation: 'at_provider',
  removedAtProvider: null,
  learned: [],
};
const connected: ConnectorStatus = {
  ...base,
  connected: true,
  state: 'connected',
  installationStatus: 'active',
  workspace: { id: 'org_1', name: 'Acme' },
  connectedBy: 'admin@example.test',
  connectedAt: '2026-01-02T03:04:00.000Z',
  health: 'healthy',
};

describe('primaryActionFor', () => {
  it('is one action that fits the state', () => {
    expect(primaryActionFor(base, true)).toBe('connect');
    expect(primaryActionFor({ ...base, state: 'disconnected' }, true)).toBe('reconnect');
    expect(primaryActionFor(connected, true)).toBe('disconnect');
    expect(primaryActionFor({ ...connected, health: 'refresh_failing' }, true)).toBe('disconnect');
    expect(primaryActionFor({ ...connected, health: 'needs_reconnect' }, true)).toBe('reconnect');
  });
  it('is none for a member or an unconfigured connector', () => {
    expect(primaryActionFor(connected, false)).toBeNull();
    expect(primaryActionFor({ ...base, configured: false, state: 'not_configured' }, true)).toBeNull();
  });
});

describe('ConnectorHeader', () => {
  const connector = { name: 'Linear', tagline: 'Issues', brandColor: '#5E6AD2', icon: null };
  it('renders Connect as a filled button that submits the Connect form', () => {
    const html = renderToStaticMarkup(<ConnectorHeader connector={connector} status="not_connected" sandbox primary="connect" busy={false} />);
    expect(html.match(/<h1/g)).toHaveLength(1);
    expect(html).toContain('form="connect-form"');
    expect(html).toContain('bg-primary');
    expect(html).toContain('Connect Linear</button>');
    expect(html).toContain('Sandbox');
  });
  it('renders the Disconnect control it is given while healthy, and no Reconnect', () => {
    const html = renderToStaticMarkup(
      <ConnectorHeader connector={connector} status="connected" sandbox={false} primary="disconnect" busy={false} disconnect={<button type="button">Disconnect</button>} />,
    );
    expect(html).toContain('Disconnect</button>');
    expect(html).not.toContain('Reconnect');
    expect(html).not.toContain('Sandbox');
  });
});

describe('ConnectionFacts', () => {
  it('shows UTC times in the server render, inside <time>', () => {
    const html = renderToStaticMarkup(<ConnectionFacts status={connected} name="Linear" />);
    expect(html).toContain('Connected to Acme');
    expect(html).toContain('<time dateTime="2026-01-02T03:04:00.000Z"');
    expect(html).toMatch(/Jan 2, 2026, 3:04\s?AM UTC<\/time>/);
    expect(html).toContain('Not reported by Linear');
  });
});

describe('missing scopes', () => {
  const drive = 'https://www.googleapis.com/auth/drive.readonly';
  const missing: ConnectorStatus = {
    ...connected,
    scopes: ['openid', 'email'],
    missingScopes: [{ scope: drive, label: 'See and download all your Google Drive files' }],
  };
  const banner = (status: ConnectorStatus, isAdmin: boolean) =>
    renderToStaticMarkup(<HealthBanner status={status} name="Google Drive" isAdmin={isAdmin} tenantName="Acme" />);

  it('names each missing permission in plain words, with the scope, and tells an admin how to grant it', () => {
    const html = banner(missing, true);
    expect(html).toContain('A permission was not granted');
    expect(html).toContain('See and download all your Google Drive files');
    expect(html).toContain(`(${drive})`);
    expect(html).toContain('use “Reconnect Google Drive” below and leave this permission ticked on the consent screen');
    expect(html).not.toContain('Reconnect needed');
  });
  it('tells a member to ask an admin, and counts several', () => {
    const html = banner({ ...missing, missingScopes: [...missing.missingScopes, { scope: 'x.read', label: 'x.read' }] }, false);
    expect(html).toContain('2 permissions were not granted');
    expect(html).toContain('Ask an admin of Acme to reconnect Google Drive and leave every permission ticked');
    // A scope without plain words is shown once, not twice.
    expect(html.match(/x\.read/g)).toHaveLength(2); // the list item and its data attribute
  });
  it('says nothing when every scope was granted, and sends to the top when a reconnect is needed anyway', () => {
    expect(banner(connected, true)).toBe('');
    const html = banner({ ...missing, health: 'needs_reconnect', healthReason: 'invalid_grant' }, true);
    expect(html).toContain('Reconnect needed');
    expect(html).toContain('use “Reconnect Google Drive” at the top of the page and leave this permission ticked');
  });
  it('the facts do not call the connection healthy', () => {
    const html = renderToStaticMarkup(<ConnectionFacts status={missing} name="Google Drive" />);
    expect(html).toContain('Working, with permissions missing');
    expect(html).not.toContain('>Healthy<');
    expect(renderToStaticMarkup(<ConnectionFacts status={connected} name="Linear" />)).toContain('>Healthy<');
  });
});

describe('eventsLimit', () => {
  it('reads ?events= within the procedure limits', () => {
    expect(eventsLimit(new URL('http://x/integrations/linear'))).toBe(10);
    expect(eventsLimit(new URL('http://x/?events=30'))).toBe(30);
    expect(eventsLimit(new URL('http://x/?events=5000'))).toBe(50);
    expect(eventsLimit(new URL('http://x/?events=-1'))).toBe(10);
    expect(eventsLimit(new URL('http://x/?events=abc'))).toBe(10);
  });
});

describe('flow messages', () => {
  it('a Deny while connected says the connection is still active', () => {
    expect(flowMessage('access_denied_connected', 'Linear')).toEqual({
      tone: 'info',
      text: "You declined access on Linear's consent page. Nothing changed: your Linear connection is still active.",
    });
  });
  it('an invalid callback says the attempt is not valid or expired', () => {
    const text = flowMessage('invalid_request', 'Linear')?.text ?? '';
    expect(text).toMatch(/not valid or has expired/);
    expect(text).not.toMatch(/missing its code or state/);
  });
});
