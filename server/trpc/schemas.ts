/**
 * zod schemas shared by procedures and forms. This file imports only zod, so `app/` may use
 * it in the browser bundle.
 */
import { z } from 'zod';

export const signInInput = z.object({
  email: z.email('Enter a valid email address.').max(320),
  password: z.string().min(1, 'Enter your password.').max(1024),
});
export type SignInInput = z.infer<typeof signInInput>;

export const sessionUserOutput = z.object({
  email: z.string(),
  role: z.enum(['admin', 'member']),
  tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
});

/** `needs_reconnect`: connected, but the provider no longer accepts the stored authorization. */
export const connectorStatus = z.enum(['connected', 'needs_reconnect', 'not_connected', 'disconnected', 'coming_soon']);

export const catalogEntry = z.object({
  id: z.string(),
  name: z.string(),
  tagline: z.string(),
  brandColor: z.string().regex(/^#[0-9A-Fa-f]{6}$/),
  icon: z.object({ title: z.string(), svgPath: z.string() }).nullable(),
  /** Letters for the tile when there is no icon (distinct across the catalog). */
  monogram: z.string(),
  category: z.enum(['communication', 'engineering', 'documents', 'crm', 'support']),
  accessItems: z.array(z.string()),
  availability: z.enum(['available', 'coming_soon']),
  status: connectorStatus,
  accountName: z.string().nullable(),
});
export type CatalogEntry = z.infer<typeof catalogEntry>;

/** Callback parameters. The code is kept byte for byte: Intercom codes can end with `=`. */
export const oauthCallbackInput = z.object({
  /** Absent only where the provider comes back without one (an installation awaiting approval). */
  code: z.string().min(1, 'The authorization code is missing.').max(2048).optional(),
  state: z
    .string()
    .min(16, 'The state parameter is malformed.')
    .max(256, 'The state parameter is malformed.')
    .regex(/^[A-Za-z0-9_-]+$/, 'The state parameter is malformed.'),
  /** RFC 9207: the authorization server's issuer, checked when the provider sends it. */
  iss: z.string().min(1).max(2048).optional(),
  /** An app installation's callback (GitHub Apps): which installation, and what happened to it. */
  installation_id: z.string().regex(/^\d{1,20}$/, 'The installation id is malformed.').optional(),
  setup_action: z.enum(['install', 'update', 'request']).optional(),
  /** OAuth 1.0a (RFC 5849 §2.2): the request token and the verifier the provider sends back. */
  oauth_token: z.string().min(1).max(512).optional(),
  oauth_verifier: z.string().min(1).max(512).optional(),
});
export type OAuthCallbackInput = z.infer<typeof oauthCallbackInput>;

export const connectorState = z.enum(['not_configured', 'not_connected', 'connected', 'disconnected']);
export type ConnectorState = z.infer<typeof connectorState>;

/** What a connector's page shows. By construction it has no field that could hold a token. */
/** A connection setting as the page shows and asks for it (never a secret). */
export const connectionSettingOutput = z.object({
  name: z.string(),
  label: z.string(),
  help: z.string().nullable(),
  options: z.array(z.object({ value: z.string(), label: z.string() })).nullable(),
  /** False when the form may leave the field empty. */
  required: z.boolean(),
  /** The stored value of the live connection, or null. */
  value: z.string().nullable(),
});
export type ConnectionSettingView = z.infer<typeof connectionSettingOutput>;

/** What `connect` takes: the connection settings, by setting name (form field names). */
export const connectInput = z
  .object({ settings: z.record(z.string().max(64), z.string().max(256)).optional() })
  .strict()
  .optional();

/**
 * What `connectWithKey` takes (API-key connectors, docs/decisions/019-api-key-mode.md): the key
 * and the connection settings. The key is never echoed back, in errors or anywhere else.
 */
export const apiKeyConnectInput = z
  .object({
    apiKey: z
      .string()
      .trim()
      .min(1, 'Enter the API key.')
      .max(1024, 'The API key is too long.')
      .regex(/^[\x21-\x7e]+$/, 'An API key has letters, digits and punctuation only, no spaces.'),
    settings: z.record(z.string().max(64), z.string().max(256)).optional(),
  })
  .strict();
export type ApiKeyConnectInput = z.infer<typeof apiKeyConnectInput>;

export const connectorStatusOutput = z.object({
  connector: z.string(),
  configured: z.boolean(),
  missingConfiguration: z.array(z.string()),
  sandbox: z.boolean(),
  connected: z.boolean(),
  state: connectorState,
  installationStatus: z.enum(['active', 'disconnected']).nullable(),
  workspace: z.object({ id: z.string().nullable(), name: z.string().nullable() }).nullable(),
  connectedBy: z.string().nullable(),
  connectedAt: z.string().nullable(),
  disconnectedBy: z.string().nullable(),
  disconnectedAt: z.string().nullable(),
  /** A change is being finished in the background (a slow secret backend); poll until false. */
  finishing: z.boolean(),
  /** The connector's connection settings with the stored values; empty when it has none. */
  settings: z.array(connectionSettingOutput),
  /** How the live connection is doing; null when not connected (server/tokens/health.ts). */
  health: z.enum(['healthy', 'refresh_failing', 'needs_reconnect']).nullable(),
  /** Why it is not healthy: a reason code (`invalid_grant`, `timeout`, `identity_rejected`, ...). */
  healthReason: z.string().nullable(),
  /** When the live access token expires; null when it does not (or the provider does not say). */
  expiresAt: z.string().nullable(),
  /** The scopes the provider granted, when it says. */
  scopes: z.array(z.string()).nullable(),
  /**
   * Requested scopes the provider says it did not grant (unticked on a consent screen that
   * allows it, as Google's does), each with plain words; empty when all were granted or the
   * provider does not say. The token still works, but the connector cannot do all its job
   * until an admin reconnects and grants them.
   */
  missingScopes: z.array(z.object({ scope: z.string(), label: z.string() })),
  /** False when Disconnect only forgets the tokens (`revocation` says why). */
  revocable: z.boolean(),
  /**
   * What Disconnect does at the provider: `at_provider` revokes the access there; `not_offered`:
   * the provider offers apps no revocation (Atlassian); `turned_off`: the connection's settings
   * say not to (HubSpot's refresh token shared with another install).
   */
  revocation: z.enum(['at_provider', 'not_offered', 'turned_off']),
  /** The access itself is removed at the provider (an app is uninstalled there): what to say, and where (https), if known. */
  removedAtProvider: z.object({ text: z.string(), url: z.url({ protocol: /^https$/ }).nullable() }).nullable(),
  /** What the provider told about the live connection (Salesforce's instance, Atlassian's site id). */
  learned: z.array(z.object({ name: z.string(), label: z.string(), value: z.string().nullable() })),
  /** The connector connects with a pasted API key instead of OAuth: the key field as the form shows it. */
  apiKey: z.object({ label: z.string(), help: z.string().nullable(), maxLength: z.number().int() }).nullable().optional(),
});
export type ConnectorStatus = z.infer<typeof connectorStatusOutput>;

export const connectorEventOutput = z.object({
  id: z.string(),
  action: z.enum(['connected', 'reconnected', 'disconnected', 'revocation_failed', 'refresh_failing', 'needs_reconnect', 'recovered']),
  /** For health events: the reason, a safe code. */
  detail: z.string().nullable(),
  actorEmail: z.string(),
  workspaceName: z.string().nullable(),
  at: z.string(),
});
export type ConnectorEventView = z.infer<typeof connectorEventOutput>;

/** A pending choice after consent, by its id (the session that connected must be the caller's). */
export const choiceInput = z.object({ id: z.uuid('This choice is not valid. Please connect again.') }).strict();
export const chooseInput = z
  .object({
    id: z.uuid('This choice is not valid. Please connect again.'),
    account: z.string().min(1, 'Pick one of the listed accounts.').max(255),
  })
  .strict();
export const accountChoiceOutput = z.object({
  accounts: z.array(z.object({ id: z.string(), name: z.string(), approvedBy: z.string().nullable() })),
  expiresAt: z.string(),
});
export type AccountChoiceView = z.infer<typeof accountChoiceOutput>;

/** `finishing`: the change is recorded and its last step runs in the background. */
export const flowResult = z.object({ success: z.literal(true), redirectTo: z.string().nullable(), finishing: z.boolean() });
