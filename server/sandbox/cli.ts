/**
 * A connector's sandbox on its own, for the browser tests and for trying the app against a
 * separate provider process:
 *   npx tsx server/sandbox/cli.ts --connector intercom --port 4600 --client-id ID --client-secret SECRET
 * It prints the URLs to point the app at and one line per request (method, path, status).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startOAuthSandbox } from './oauth-sandbox.js';
import type { SandboxProfile } from './profile.js';

const USAGE = `Usage: tsx server/sandbox/cli.ts --connector intercom|linear|jira|google_drive|google_email --client-id ID --client-secret SECRET
         [--port 0] [--host 127.0.0.1] [--workspace-name NAME] [--region US]   (the last two: Intercom)`;

type Args = { 'workspace-name'?: string | undefined; region?: string | undefined };

/** Google's authorization server, token and revocation host, and userinfo host all lead to the one sandbox. */
const googleOverrides = (url: string) =>
  `PROVIDER_ORIGIN_OVERRIDES=${['https://accounts.google.com', 'https://oauth2.googleapis.com', 'https://openidconnect.googleapis.com'].map((o) => `${o}=${url}`).join(',')}`;

/** Each connector's profile, and the environment variables that point the app at the sandbox. */
const CONNECTORS: Record<string, { profile: (args: Args) => Promise<SandboxProfile>; env: (url: string, oauthUrl: string) => string[] }> = {
  intercom: {
    profile: async (args) =>
      (await import('../connectors/intercom/sandbox-profile.js')).intercomSandboxProfile({
        workspace: { name: args['workspace-name'], region: args.region },
      }),
    env: (url, oauthUrl) => [`INTERCOM_OAUTH_URL=${oauthUrl}`, `INTERCOM_API_URL=${url}`],
  },
  linear: {
    profile: async () => (await import('../connectors/linear/sandbox-profile.js')).linearSandboxProfile,
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://linear.app=${url},https://api.linear.app=${url}`],
  },
  jira: {
    profile: async () => (await import('../connectors/jira/sandbox-profile.js')).jiraSandboxProfile,
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://auth.atlassian.com=${url},https://api.atlassian.com=${url}`],
  },
  google_drive: {
    profile: async () => (await import('../connectors/google/sandbox-profile.js')).googleSandboxProfile('Google Drive', { asGoogle: true }),
    env: (url) => [googleOverrides(url)],
  },
  google_email: {
    profile: async () => (await import('../connectors/google/sandbox-profile.js')).googleSandboxProfile('Gmail', { asGoogle: true }),
    env: (url) => [googleOverrides(url)],
  },
};

async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        connector: { type: 'string' },
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'workspace-name': { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  const connector = Object.hasOwn(CONNECTORS, values.connector ?? '') ? CONNECTORS[values.connector ?? ''] : undefined;
  const clientId = values['client-id'];
  const clientSecret = values['client-secret'];
  if (!connector || !clientId || !clientSecret || !Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const profile = await connector.profile(values);
  const sandbox = await startOAuthSandbox(profile, { clientId, clientSecret }, {
    port,
    host: values.host,
    onRequest: (r) => process.stdout.write(`${r.at} ${r.method} ${r.path} ${r.status ?? '-'}\n`),
  });
  process.stdout.write([`${profile.provider} sandbox listening on ${sandbox.url}`, ...connector.env(sandbox.url, sandbox.oauthUrl).map((line) => `  ${line}`), ''].join('\n'));
  const stop = (signal: NodeJS.Signals) => {
    process.stdout.write(`${signal}: stopping\n`);
    void sandbox.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
