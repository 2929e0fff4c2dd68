import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{app,server,db,test}/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
