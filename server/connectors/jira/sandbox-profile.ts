/**
 * Atlassian as the generic sandbox plays it for Jira (see ../atlassian/sandbox-profile.ts):
 * accessible-resources answers two Jira sites, so `npm start` shows the choice after consent.
 */
import { atlassianSandboxProfile } from '../atlassian/sandbox-profile.js';

export const JIRA_SANDBOX_SITES = [
  { id: '11111111-aaaa-4bbb-8ccc-000000000001', name: 'Sandbox Engineering', url: 'https://sandbox-engineering.atlassian.net' },
  { id: '22222222-aaaa-4bbb-8ccc-000000000002', name: 'Sandbox Support', url: 'https://sandbox-support.atlassian.net' },
] as const;

export const jiraSandboxProfile = atlassianSandboxProfile(
  JIRA_SANDBOX_SITES.map((site) => ({ ...site, scopes: ['read:jira-work', 'read:jira-user'] })),
);
