import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{app,server,db,test}/**/*.test.{ts,tsx}'],
    environment: 'node',
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores here: files run in parallel, each against its own database.
    pool: 'forks',
  },
});
