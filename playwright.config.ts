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
      use: {
        browserName: 'chromium',
        // Playwright cannot download its own browser here: drive Debian's chromium package.
        launchOptions: {
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
        },
      },
    },
  ],
  // The build is the npm script's job (`test:e2e` = `remix build && playwright test`).
  webServer: {
    command: 'npx tsx server/main.ts',
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
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
  },
});
