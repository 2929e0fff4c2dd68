/**
 * Atlassian as the generic sandbox plays it for Confluence (see ../atlassian/sandbox-profile.ts):
 * the account reaches two Confluence sites and one Jira-only site, so the choice after consent
 * offers the two Confluence sites only.
 */
import { atlassianSandboxProfile } from '../atlassian/sandbox-profile.js';

const CONFLUENCE_SITE_SCOPES = ['read:confluence-space.summary', 'read:confluence-content.summary'];

export const CONFLUENCE_SANDBOX_SITES = [
  { id: '33333333-aaaa-4bbb-8ccc-000000000003', name: 'Sandbox Wiki', url: 'https://sandbox-wiki.atlassian.net', scopes: CONFLUENCE_SITE_SCOPES },
  { id: '44444444-aaaa-4bbb-8ccc-000000000004', name: 'Sandbox Handbook', url: 'https://sandbox-handbook.atlassian.net', scopes: CONFLUENCE_SITE_SCOPES },
] as const;

/** Reached by the same account, with Jira scopes only: never offered for Confluence. */
export const CONFLUENCE_SANDBOX_JIRA_ONLY_SITE = {
  id: '55555555-aaaa-4bbb-8ccc-000000000005',
  name: 'Sandbox Tracker',
  url: 'https://sandbox-tracker.atlassian.net',
  scopes: ['read:jira-work'],
} as const;

export const confluenceSandboxProfile = atlassianSandboxProfile([...CONFLUENCE_SANDBOX_SITES, CONFLUENCE_SANDBOX_JIRA_ONLY_SITE]);
