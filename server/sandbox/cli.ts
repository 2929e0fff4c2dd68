/**
 * A connector's sandbox on its own, for the browser tests and for trying the app against a
 * separate provider process:
 *   npx tsx server/sandbox/cli.ts --connector intercom --port 4600 --client-id ID --client-secret SECRET
 * It prints the URLs to point the app at and one line per request (method, path, status).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startOAuthSandbox } from './oauth-sandbox.js';
import type { SandboxClient, SandboxProfile, SandboxRequestRecord } from './profile.js';

type Args = {
  'workspace-name'?: string | undefined;
  region?: string | undefined;
  'token-rotation'?: boolean | undefined;
  'redirect-uri'?: string | undefined;
};

interface Running {
  url: string;
  oauthUrl: string;
  close(): Promise<void>;
}
type Listen = { port: number; host: string; onRequest: (r: SandboxRequestRecord) => void };

/** Google's authorization server, token and revocation host, and userinfo host all lead to the one sandbox. */
const googleOverrides = (url: string) =>
  `PROVIDER_ORIGIN_OVERRIDES=${['https://accounts.google.com', 'https://oauth2.googleapis.com', 'https://openidconnect.googleapis.com'].map((o) => `${o}=${url}`).join(',')}`;

/**
 * Each connector's profile for the generic sandbox, or its own stand-in (`start`, GitHub), and
 * the environment variables that point the app at it.
 */
const CONNECTORS: Record<
  string,
  | { profile: (args: Args) => Promise<SandboxProfile>; env: (url: string, oauthUrl: string) => string[] }
  | { start: (client: SandboxClient, args: Args, listen: Listen) => Promise<{ running: Running; env: string[] }> }
> = {
  intercom: {
    profile: async (args) =>
      (await import('../connectors/intercom/sandbox-profile.js')).intercomSandboxProfile({
        workspace: { name: args['workspace-name'], region: args.region },
      }),
    env: (url, oauthUrl) => [`INTERCOM_OAUTH_URL=${oauthUrl}`, `INTERCOM_API_URL=${url}`],
  },
  salesforce: {
    profile: async (args) =>
      (await import('../connectors/salesforce/sandbox-profile.js')).salesforceSandboxProfile({
        rotateRefreshTokens: args['token-rotation'] ?? false,
      }),
    // Every login host and the sandbox's instance lead to the one sandbox.
    env: (url) => [
      `PROVIDER_ORIGIN_OVERRIDES=${['https://login.salesforce.com', 'https://test.salesforce.com', 'https://sandbox-org.my.salesforce.com'].map((o) => `${o}=${url}`).join(',')}`,
    ],
  },
  linear: {
    profile: async () => (await import('../connectors/linear/sandbox-profile.js')).linearSandboxProfile,
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://linear.app=${url},https://api.linear.app=${url}`],
  },
  jira: {
    profile: async () => (await import('../connectors/jira/sandbox-profile.js')).jiraSandboxProfile,
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://auth.atlassian.com=${url},https://api.atlassian.com=${url}`],
  },
  confluence: {
    profile: async () => (await import('../connectors/confluence/sandbox-profile.js')).confluenceSandboxProfile,
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://auth.atlassian.com=${url},https://api.atlassian.com=${url}`],
  },
  gong: {
    profile: async () => (await import('../connectors/gong/sandbox-profile.js')).gongSandboxProfile(),
    // Identity is asked at the customer's API base from the token answer: point it here too.
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://app.gong.io=${url},https://us-60061.api.gong.io=${url}`],
  },
  hubspot: {
    profile: async () => (await import('../connectors/hubspot/sandbox-profile.js')).hubspotSandboxProfile,
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://app.hubspot.com=${url},https://api.hubapi.com=${url}`],
  },
  asana: {
    profile: async () => (await import('../connectors/asana/sandbox-profile.js')).asanaSandboxProfile,
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://app.asana.com=${url}`],
  },
  zendesk: {
    // One instance, sandbox.zendesk.com: connect with the subdomain `sandbox`.
    profile: async () => (await import('../connectors/zendesk/sandbox-profile.js')).zendeskSandboxProfile({ subdomain: 'sandbox' }),
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://sandbox.zendesk.com=${url}`],
  },
  slack: {
    profile: async (args) =>
      (await import('../connectors/slack/sandbox-profile.js')).slackSandboxProfile({ tokenRotation: args['token-rotation'] === true }),
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://slack.com=${url}`],
  },
  notion: {
    profile: async () => (await import('../connectors/notion/sandbox-profile.js')).notionSandboxProfile,
    env: (url) => [`PROVIDER_ORIGIN_OVERRIDES=https://api.notion.com=${url}`],
  },
  github: {
    start: async (client, args, listen) => {
      const { startGitHubSandbox } = await import('../connectors/github/sandbox.js');
      const sandbox = await startGitHubSandbox({ ...client, redirectUri: args['redirect-uri'] }, listen);
      // The app's private key is never printed: it goes to an owner-only file named here.
      const dir = mkdtempSync(path.join(tmpdir(), 'plugboard-github-sandbox-'));
      const keyFile = path.join(dir, 'app-private-key.pem');
      writeFileSync(keyFile, sandbox.app.privateKey, { mode: 0o600 });
      return {
        running: sandbox,
        env: [
          `PROVIDER_ORIGIN_OVERRIDES=https://github.com=${sandbox.url},https://api.github.com=${sandbox.url}`,
          `GITHUB_APP_SLUG=${sandbox.app.slug}`,
          `GITHUB_APP_PRIVATE_KEY="$(cat ${keyFile})"`,
        ],
      };
    },
  },
  trello: {
    start: async (client, _args, listen) => {
      // OAuth 1.0a: the client id and secret are the API key and secret the signatures are checked with.
      const onRequest = (r: { at: string; method: string; path: string; status: number }) => process.stdout.write(`${r.at} ${r.method} ${r.path} ${r.status}\n`);
      const sandbox = await (await import('../connectors/trello/sandbox.js')).startTrelloSandbox(client, { port: listen.port, host: listen.host, onRequest });
      return { running: sandbox, env: [`PROVIDER_ORIGIN_OVERRIDES=https://trello.com=${sandbox.url},https://api.trello.com=${sandbox.url}`] };
    },
  },
  google_drive: {
    profile: async () => (await import('../connectors/google/sandbox-profile.js')).googleSandboxProfile('Google Drive', { asGoogle: true }),
    env: (url) => [googleOverrides(url)],
  },
  google_email: {
    profile: async () => (await import('../connectors/google/sandbox-profile.js')).googleSandboxProfile('Gmail', { asGoogle: true }),
    env: (url) => [googleOverrides(url)],
  },
  // No OAuth (an API key): the client id and secret are ignored; paste the printed key and space id.
  gather: {
    start: async (_client, _args, listen) => {
      const gather = await import('../connectors/gather/sandbox.js');
      const running = await gather.startGatherSandbox({
        port: listen.port,
        host: listen.host,
        onRequest: (r) => process.stdout.write(`${new Date().toISOString()} ${r.method} ${r.path} ${r.status ?? '-'}\n`),
      });
      return {
        running,
        env: [`PROVIDER_ORIGIN_OVERRIDES=https://api.gather.town=${running.url}`, `(API key: ${gather.GATHER_SANDBOX_KEY}, space id: ${gather.GATHER_SANDBOX_SPACE})`],
      };
    },
  },
};

const USAGE = `Usage: tsx server/sandbox/cli.ts --connector ${Object.keys(CONNECTORS).join('|')} --client-id ID --client-secret SECRET
         [--port 0] [--host 127.0.0.1] [--workspace-name NAME] [--region US]   (the last two: Intercom)
         [--token-rotation]   (Slack: expiring bot tokens and single-use refresh tokens; Salesforce: refresh token rotation)
         (trello: OAuth 1.0a; --client-id and --client-secret are the API key and secret)
         [--redirect-uri URL]   (GitHub: the app's callback, default http://localhost:3000/integrations/github/callback)
         (Gather: an API key, no OAuth: any client id and secret; it prints the key and space id to paste)`;

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
        'token-rotation': { type: 'boolean' },
        'redirect-uri': { type: 'string' },
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
  const listen: Listen = {
    port,
    host: values.host,
    onRequest: (r) => process.stdout.write(`${r.at} ${r.method} ${r.path} ${r.status ?? '-'}\n`),
  };
  let sandbox: Running;
  let lines: string[];
  if ('start' in connector) {
    const started = await connector.start({ clientId, clientSecret }, values, listen);
    sandbox = started.running;
    lines = [`${values.connector} sandbox listening on ${sandbox.url}`, ...started.env.map((line) => `  ${line}`)];
  } else {
    const profile = await connector.profile(values);
    sandbox = await startOAuthSandbox(profile, { clientId, clientSecret }, listen);
    lines = [`${profile.provider} sandbox listening on ${sandbox.url}`, ...connector.env(sandbox.url, sandbox.oauthUrl).map((line) => `  ${line}`)];
  }
  process.stdout.write([...lines, ''].join('\n'));
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
