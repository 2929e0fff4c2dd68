import type { SecretValue } from '../secrets/secret-value.js';

/** One configuration key a connector owns. Sensitive keys go to the secret backend. */
export interface ConnectorKeySpec {
  readonly sensitive: boolean;
  readonly description: string;
}

/** A brand mark: an SVG path on a 24x24 viewBox (simple-icons), or null for a monogram. */
export interface ConnectorIcon {
  readonly title: string;
  readonly svgPath: string;
}

/** The account on the provider's side that an installation is connected to. */
export interface ExternalAccount {
  readonly id: string;
  readonly name: string;
  /** Who approved on the provider's side, for the audit trail (e.g. Intercom admin email). */
  readonly approvedBy?: string | undefined;
}

/** What a hook may use to call the provider. `fetch` carries the flow's timeout. */
export interface ProviderCallContext {
  readonly apiUrl: string;
  readonly accessToken: SecretValue;
  readonly fetch: (url: string, init?: RequestInit) => Promise<Response>;
}

export type RevokeOutcome = 'revoked' | 'already_revoked';

/** The environment variables that configure a connector's OAuth app. */
export interface OAuthEnvNames {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authorizeUrl: string;
  readonly apiUrl: string;
}

/** A local stand-in for the provider, started outside production when no client id is set. */
export interface ProviderSandbox {
  readonly oauthUrl: string;
  readonly apiUrl: string;
  close(): Promise<void>;
}

export interface OAuthSpec<Key extends string> {
  readonly env: OAuthEnvNames;
  readonly defaults: { readonly authorizeUrl: string; readonly apiUrl: string };
  /** Extra query parameters on the authorize URL, besides client_id, state and redirect_uri. */
  readonly authorizeParams?: Readonly<Record<string, string>>;
  readonly token: {
    /** Path on the API host (joined to the configured API URL). */
    readonly path: string;
    /** How the code, client id and secret are sent. */
    readonly format: 'form' | 'json';
    /** Validate the provider's answer and pick the token. Throws on a malformed answer. */
    readonly parse: (body: unknown) => { accessToken: string; tokenType: string };
  };
  /** Where the flow stores what it received: names of keys this connector declares. */
  readonly storage: { readonly accessToken: Key; readonly tokenType: Key };
  /** Learn which workspace the token belongs to. */
  readonly identify: (ctx: ProviderCallContext) => Promise<ExternalAccount>;
  /** Revoke the token at the provider on disconnect (best effort). */
  readonly revoke?: (ctx: ProviderCallContext) => Promise<RevokeOutcome>;
  /** Provider documentation for the flow, cited in the UI for admins. */
  readonly docsUrl?: string;
  /** Starts a loopback server speaking the provider's protocol, for development and tests. */
  readonly sandbox?: (client: { clientId: string; clientSecret: string }) => Promise<ProviderSandbox>;
}

export interface ConnectorDefinition<
  Id extends string = string,
  Keys extends Readonly<Record<string, ConnectorKeySpec>> = Readonly<Record<string, ConnectorKeySpec>>,
> {
  readonly id: Id;
  readonly name: string;
  readonly tagline: string;
  /** Brand colour as `#RRGGBB`. */
  readonly brandColor: `#${string}`;
  readonly icon: ConnectorIcon | null;
  /** What the admin grants, in plain words, shown before Connect. */
  readonly accessItems: readonly string[];
  readonly availability: 'available' | 'coming_soon';
  readonly keys: Keys;
  /** Present on available connectors. Its storage keys are checked in defineConnector. */
  readonly oauth?: OAuthSpec<string>;
}

/**
 * Identity helper that keeps literal types (id, key names) so the registry can derive the
 * union of connector ids and configuration keys the compiler checks.
 */
export function defineConnector<
  const Id extends string,
  const Keys extends Readonly<Record<string, ConnectorKeySpec>>,
>(
  definition: ConnectorDefinition<Id, Keys> & { readonly oauth?: OAuthSpec<Extract<keyof Keys, string>> },
): ConnectorDefinition<Id, Keys> {
  return definition;
}

/** A connector's icon from simple-icons, or null when it has none (monogram fallback). */
export function simpleIcon(icon: { title: string; path: string } | undefined): ConnectorIcon | null {
  return icon ? { title: icon.title, svgPath: icon.path } : null;
}
