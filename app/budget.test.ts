/**
 * The JavaScript budget: 120 KB of gzipped JavaScript per route on a first visit. The measuring
 * is checked on a tiny fake build; then the real build (`npm test` builds before it runs the
 * unit tests) must keep every route within the budget. `npm run bench` prints the same table.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findManifest, formatReport, JS_BUDGET_BYTES, measureRoutes } from '../bench/js-budget';

describe('JavaScript budget per route', () => {
  // The measuring itself, on a tiny fake build: shared files count once, parents count, budget flags.
  const dir = mkdtempSync(path.join(tmpdir(), 'js-budget-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sums the manifest, entry, route chain and their imports once each, gzipped', () => {
    mkdirSync(path.join(dir, 'build', '_shared'), { recursive: true });
    const write = (url: string, content: string) => writeFileSync(path.join(dir, url), content);
    write('/build/entry.js', 'entry();');
    write('/build/_shared/react.js', 'react();'.repeat(10));
    write('/build/root.js', 'root();');
    write('/build/catalog.js', 'catalog();import("/build/_shared/live.js");');
    // Fetched after hydration: counted apart, with its own imports but not the shared react.js again.
    write('/build/_shared/live.js', 'import{a}from"/build/_shared/react.js";import{q}from"/build/_shared/query.js";live();');
    write('/build/_shared/query.js', 'query();'.repeat(50));
    // Incompressible, so it is over any budget once gzipped.
    write('/build/big.js', `/*${randomBytes(200_000).toString('base64')}*/`);
    const manifestUrl = '/build/manifest-TEST.js';
    write(
      manifestUrl,
      `window.__remixManifest=${JSON.stringify({
        url: manifestUrl,
        entry: { module: '/build/entry.js', imports: ['/build/_shared/react.js'] },
        routes: {
          root: { id: 'root', module: '/build/root.js', imports: ['/build/_shared/react.js'] },
          'routes/catalog': { id: 'routes/catalog', parentId: 'root', module: '/build/catalog.js', imports: [] },
          'routes/big': { id: 'routes/big', parentId: 'root', module: '/build/big.js' },
        },
      })};`,
    );
    const rows = measureRoutes(path.join(dir, manifestUrl), dir);
    const byId = new Map(rows.map((r) => [r.route, r]));
    expect(byId.get('root')?.files).toBe(4); // manifest, entry, react (once), root
    expect(byId.get('routes/catalog')?.files).toBe(5);
    expect(byId.get('routes/catalog')?.overBudget).toBe(false);
    expect(byId.get('routes/catalog')?.lazyGzipBytes).toBeGreaterThan(0);
    expect(byId.get('root')?.lazyGzipBytes).toBe(0);
    expect(byId.get('routes/big')?.overBudget).toBe(true);
    expect(rows[0]?.route).toBe('routes/big');
    expect(formatReport(rows)).toMatch(/routes\/big .* OVER by/);
  });

  it('keeps every route of the real build within the budget', () => {
    const manifest = findManifest();
    if (!manifest) throw new Error('No Remix build in public/build: run `npx remix build` (npm test does) first.');
    const over = measureRoutes(manifest).filter((r) => r.gzipBytes > JS_BUDGET_BYTES);
    expect(over.map((r) => `${r.route}: ${(r.gzipBytes / 1024).toFixed(1)} KB`)).toEqual([]);
  });
});
