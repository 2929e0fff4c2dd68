import { defineConfig } from '@playwright/test';
import baseConfig, { E2E_SERVER } from './playwright.config.js';

/**
 * `npm run screenshots`: renders the catalog and a connector page into docs/screenshots/*.png
 * for the README. Its own config, so `npx playwright test` never runs it (its files end in
 * `.shots.ts`, which the normal test match ignores); same web server and browser as the tests.
 */
const chromium = baseConfig.projects?.find((p) => p.name === 'chromium');
const mainServer = Array.isArray(baseConfig.webServer) ? baseConfig.webServer[0] : baseConfig.webServer;

export default defineConfig({
  testDir: 'e2e/screenshots',
  testMatch: '*.shots.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${E2E_SERVER.port}`,
    colorScheme: 'light',
    deviceScaleFactor: 1,
  },
  projects: [{ name: 'screenshots', use: { browserName: 'chromium', launchOptions: chromium?.use?.launchOptions } }],
  webServer: mainServer,
});
