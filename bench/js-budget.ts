/**
 * Each route's JavaScript, as a browser downloads it on a first visit: the manifest, the client
 * entry, and every route module from root down to the route, with their shared chunks (each file
 * once), measured gzipped from the Remix build. Budget: 120 KB gzip per route.
 * `tsx bench/js-budget.ts` prints the table (`npm run bench` runs it first); app/budget.test.ts
 * fails when a route is over budget. Needs `npx remix build` first.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

export const JS_BUDGET_BYTES = 120 * 1024;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PUBLIC_DIR = path.join(root, 'public');
export const SERVER_BUILD = path.join(root, 'build', 'index.js');

interface ManifestModule {
  module: string;
  imports?: string[];
}
interface Manifest {
  url: string;
  entry: ManifestModule;
  routes: Record<string, ManifestModule & { id: string; parentId?: string; path?: string; index?: boolean }>;
}

export interface RouteSize {
  route: string;
  files: number;
  rawBytes: number;
  gzipBytes: number;
  overBudget: boolean;
  /** Fetched after hydration by the route's dynamic imports (not part of the first visit's budget). */
  lazyGzipBytes: number;
}

/**
 * The manifest the server build serves (its URL is in build/index.js), so a stale manifest left
 * in public/build by an earlier build is never measured; null when there is no build.
 */
export function findManifest(publicDir = PUBLIC_DIR, serverBuild = SERVER_BUILD): string | null {
  if (existsSync(serverBuild)) {
    const url = /"(\/build\/manifest-[A-Za-z0-9]+\.js)"/.exec(readFileSync(serverBuild, 'utf8'))?.[1];
    if (url && existsSync(path.join(publicDir, url))) return path.join(publicDir, url);
  }
  const dir = path.join(publicDir, 'build');
  if (!existsSync(dir)) return null;
  const manifests = readdirSync(dir)
    .filter((f) => /^manifest-.*\.js$/.test(f))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return manifests[0] ?? null;
}

export function readManifest(file: string): Manifest {
  const text = readFileSync(file, 'utf8');
  const json = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
  return JSON.parse(json) as Manifest;
}

export function measureRoutes(manifestFile: string, publicDir = PUBLIC_DIR): RouteSize[] {
  const manifest = readManifest(manifestFile);
  const sizes = new Map<string, { raw: number; gzip: number }>();
  const sizeOf = (url: string) => {
    let s = sizes.get(url);
    if (!s) {
      const content = readFileSync(path.join(publicDir, url));
      s = { raw: content.length, gzip: gzipSync(content, { level: 9 }).length };
      sizes.set(url, s);
    }
    return s;
  };
  return Object.values(manifest.routes)
    .map((route) => {
      const files = new Set<string>([manifest.url, manifest.entry.module, ...(manifest.entry.imports ?? [])]);
      // The route and its parents down from root: Remix loads every matched route's module.
      const chain: ManifestModule[] = [];
      for (let r: (typeof manifest.routes)[string] | undefined = route; r; r = r.parentId ? manifest.routes[r.parentId] : undefined) {
        chain.push(r);
      }
      for (const r of chain) {
        files.add(r.module);
        for (const i of r.imports ?? []) files.add(i);
      }
      let rawBytes = 0;
      let gzipBytes = 0;
      for (const f of files) {
        const s = sizeOf(f);
        rawBytes += s.raw;
        gzipBytes += s.gzip;
      }
      let lazyGzipBytes = 0;
      for (const f of lazyFiles(files, publicDir)) lazyGzipBytes += sizeOf(f).gzip;
      return { route: route.id, files: files.size, rawBytes, gzipBytes, overBudget: gzipBytes > JS_BUDGET_BYTES, lazyGzipBytes };
    })
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
}

/**
 * The files a page fetches later through `import()` in its first-visit files (a lazy component),
 * with what those import in turn, minus what the first visit already has.
 */
export function lazyFiles(firstVisit: Set<string>, publicDir = PUBLIC_DIR): Set<string> {
  const seen = new Set<string>();
  const queue: string[] = [];
  const scan = (url: string, dynamicOnly: boolean) => {
    const text = readFileSync(path.join(publicDir, url), 'utf8');
    const pattern = dynamicOnly ? /import\("(\/build\/[^"]+\.js)"\)/g : /(?:from|import)\s*\(?"(\/build\/[^"]+\.js)"/g;
    for (const match of text.matchAll(pattern)) {
      const target = match[1] as string;
      if (!firstVisit.has(target) && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  };
  for (const url of firstVisit) if (url.endsWith('.js')) scan(url, true);
  while (queue.length) scan(queue.shift() as string, false);
  return seen;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function formatReport(rows: RouteSize[]): string {
  const width = Math.max(...rows.map((r) => r.route.length), 'route'.length);
  const lines = [
    `JavaScript per route (gzip, first visit; budget ${kb(JS_BUDGET_BYTES)}; "+ later": fetched after hydration when used)`,
    `${'route'.padEnd(width)}  ${'files'.padStart(5)}  ${'raw'.padStart(10)}  ${'gzip'.padStart(10)}  ${'+ later'.padStart(10)}  budget`,
    ...rows.map(
      (r) =>
        `${r.route.padEnd(width)}  ${String(r.files).padStart(5)}  ${kb(r.rawBytes).padStart(10)}  ${kb(r.gzipBytes).padStart(10)}  ${kb(
          r.lazyGzipBytes,
        ).padStart(10)}  ${
          r.overBudget ? `OVER by ${kb(r.gzipBytes - JS_BUDGET_BYTES)}` : `ok (${Math.round((r.gzipBytes / JS_BUDGET_BYTES) * 100)}%)`
        }`,
    ),
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const manifest = findManifest();
  if (!manifest) {
    console.error('No Remix build in public/build: run `npx remix build` first.');
    process.exit(1);
  }
  const rows = measureRoutes(manifest);
  console.log(formatReport(rows));
  if (rows.some((r) => r.overBudget)) process.exitCode = 1;
}
