import { defineConfig } from '@playwright/test';

/**
 * Where the browser tests' server lives. e2e/fixtures.ts imports these so the fixtures open
 * the very database the web server uses; its own port and DATA_DIR keep it clear of `npm start`
 * (3000, .data, 54329) and of the unit tests' cluster (.data/test, 54339).
 */
export const E2E_SERVER = {
  port: 3210,
  /** Relative to this file's folder, which is the web server's working directory. */
  dataDir: '.data/e2e',
  embeddedPgPort: 54359,
} as const;

/**
 * A second server with the production wiring: SECRETS_BACKEND=ssm against a loopback
 * SSM-protocol endpoint, and Intercom reached through INTERCOM_OAUTH_URL / INTERCOM_API_URL at
 * a separately started Intercom-protocol server. Used by the `ssm` project (e2e/ssm/).
 */
export const E2E_SSM = {
  port: 3211,
  dataDir: '.data/e2e-ssm',
  embeddedPgPort: 54379,
  // Below the ephemeral range (32768-60999 here), where an outgoing connection may hold the port.
  ssmPort: 3212,
  intercomPort: 3213,
} as const;

const chromiumLaunch = {
  // Playwright cannot download its own browser here: drive Debian's chromium package.
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    // Without these Chromium keeps trying to reach Google over the closed network.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

const shutdown = { signal: 'SIGTERM', timeout: 15_000 } as const;

// localhost, not 127.0.0.1: the server's origin check compares the Origin header of every
// form post with APP_URL, which defaults to http://localhost:<PORT>.
const baseURL = `http://localhost:${E2E_SERVER.port}`;

export default defineConfig({
  testDir: 'e2e',
  // Two cores: one browser at a time, and the server and PostgreSQL get the other.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: 'ssm/**',
      use: { browserName: 'chromium', launchOptions: chromiumLaunch },
    },
    {
      name: 'ssm',
      testMatch: 'ssm/**/*.spec.ts',
      use: { browserName: 'chromium', launchOptions: chromiumLaunch, baseURL: `http://localhost:${E2E_SSM.port}` },
    },
  ],
  // The builds are the npm scripts' job (`npm run build`, and `test:e2e` compiles the server first).
  webServer: [
    {
      command: 'node --enable-source-maps dist/main.js',
      url: `http://127.0.0.1:${E2E_SERVER.port}/healthz`,
      env: {
        PORT: String(E2E_SERVER.port),
        DATA_DIR: E2E_SERVER.dataDir,
        EMBEDDED_PG_PORT: String(E2E_SERVER.embeddedPgPort),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'development',
      },
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      // SIGTERM lets server/main.ts close the ORM and stop the embedded PostgreSQL; the default
      // SIGKILL would leave the cluster to crash recovery on the next run.
      gracefulShutdown: shutdown,
    },
    {
      command: `npx tsx test/support/ssm-endpoint.ts --port ${E2E_SSM.ssmPort}`,
      port: E2E_SSM.ssmPort,
      reuseExistingServer: !process.env.CI,
      gracefulShutdown: shutdown,
    },
    {
      command: `npx tsx server/sandbox/cli.ts --connector intercom --port ${E2E_SSM.intercomPort} --client-id e2e-client --client-secret e2e-client-secret --workspace-name "E2E Workspace"`,
      port: E2E_SSM.intercomPort,
      reuseExistingServer: !process.env.CI,
      gracefulShutdown: shutdown,
    },
    {
      command: 'node --enable-source-maps dist/main.js',
      url: `http://127.0.0.1:${E2E_SSM.port}/healthz`,
      env: {
        PORT: String(E2E_SSM.port),
        DATA_DIR: E2E_SSM.dataDir,
        EMBEDDED_PG_PORT: String(E2E_SSM.embeddedPgPort),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'development',
        SECRETS_BACKEND: 'ssm',
        AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${E2E_SSM.ssmPort}`,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        INTERCOM_CLIENT_ID: 'e2e-client',
        INTERCOM_CLIENT_SECRET: 'e2e-client-secret',
        INTERCOM_OAUTH_URL: `http://127.0.0.1:${E2E_SSM.intercomPort}/oauth`,
        INTERCOM_API_URL: `http://127.0.0.1:${E2E_SSM.intercomPort}`,
      },
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      gracefulShutdown: shutdown,
    },
  ],
});
