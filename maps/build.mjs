// Builds the web apps into dist/: every page (maps/<app>/*.html) with the scripts and styles it
// names, bundled and minified by esbuild, under content-hashed names the server may cache forever.
//
//   node build.mjs           build when a source is newer than the last build, then print sizes
//   node build.mjs --force   build regardless
//
// Output:
//   dist/pages/<app>/<page>.html   the page, its asset links rewritten to /assets/… (served no-cache)
//   dist/assets/…-<HASH>.js|css    bundles and shared chunks (served immutable)
//   dist/manifest.json             pages, what each loads, and their sizes
//   dist/public/<app>/…            an app's fixed-name files (web manifest, icons), copied from maps/<app>/public/
//   dist/sw/<app>.js               an app's service worker (maps/<app>/sw.js), given the list of what to precache
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const manifestPath = join(dist, 'manifest.json');

// What the apps must run on: phones from the last few years and current Firefox and Safari.
const target = ['es2020', 'chrome100', 'firefox115', 'safari16'];

const force = process.argv.includes('--force');

/** Every page: an .html file in an app folder (not node_modules or dist). */
function findPages() {
  const pages = [];
  for (const app of readdirSync(root, { withFileTypes: true })) {
    if (!app.isDirectory() || ['node_modules', 'dist'].includes(app.name) || app.name.startsWith('.')) continue;
    for (const file of readdirSync(join(root, app.name))) {
      if (file.endsWith('.html')) pages.push({ app: app.name, name: file.replace(/\.html$/, ''), path: join(root, app.name, file) });
    }
  }
  return pages.sort((a, b) => (a.app + a.name).localeCompare(b.app + b.name));
}

/** The newest modification time under a folder, skipping build output and packages. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist'].includes(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

// A page names its own scripts and styles relatively: <script type="module" src="./x.js">, <link rel="stylesheet" href="../shared/y.css">.
const assetReference = /(<script\b[^>]*\bsrc=")(\.{1,2}\/[^"]+\.js)("[^>]*>)|(<link\b[^>]*\bhref=")(\.{1,2}\/[^"]+\.css)("[^>]*>)/g;

function referencesOf(page) {
  const html = readFileSync(page.path, 'utf8');
  return [...html.matchAll(assetReference)].map(m => resolve(dirname(page.path), m[2] ?? m[5]));
}

function sizes(files) {
  let raw = 0, gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

const kb = n => `${(n / 1024).toFixed(1)} KB`;

function printSizes(manifest) {
  console.log('웹 빌드 (앱마다 페이지와 그 페이지가 불러오는 스크립트·스타일, 같은 파일은 한 번):');
  for (const [name, app] of Object.entries(manifest.apps)) {
    const own = app.ownJs ? `   우리 스크립트 ${kb(app.ownJs.gzip)} gzip` : '';
    console.log(`  ${name.padEnd(14)} ${kb(app.raw).padStart(10)} 원본  ${kb(app.gzip).padStart(10)} gzip   (${app.pages.join(', ')})${own}`);
  }
}

const pages = findPages();
if (!force && existsSync(manifestPath) && statSync(manifestPath).mtimeMs >= newest(root)) {
  printSizes(JSON.parse(readFileSync(manifestPath, 'utf8')));
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
const entryPoints = [...new Set(pages.flatMap(referencesOf))];

// Files a library loads by itself, shipped prebuilt beside it — MapLibre GL JS's web worker, ZXing's WebAssembly — copied
// as they are under content-hashed names, and their addresses compiled into the apps (a page then never guesses where
// they live, and a library never falls back to its CDN). `apps` lists whose service worker keeps a copy for offline use.
const vendorFiles = {
  MAPLIBRE_WORKER_URL: { source: 'node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs', name: 'maplibre-gl-worker', ext: 'js', apps: [] },
  ZXING_READER_WASM_URL: { source: 'node_modules/zxing-wasm/dist/reader/zxing_reader.wasm', name: 'zxing-reader', ext: 'wasm', apps: ['inspector'] },
};
const vendorWorkers = {};
for (const [define, vendor] of Object.entries(vendorFiles)) {
  const bytes = readFileSync(join(root, vendor.source));
  const hash = createHash('sha256').update(bytes).digest('base64url').replace(/[^A-Za-z0-9]/g, '').slice(0, 8).toUpperCase();
  const file = join(dist, 'assets', 'vendor', `${vendor.name}-${hash}.${vendor.ext}`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  vendor.url = '/assets/vendor/' + relative(join(dist, 'assets', 'vendor'), file);
  vendorWorkers[define] = JSON.stringify(vendor.url);
}
let result;
try {
  result = await build({
  entryPoints,
  absWorkingDir: root,
  outbase: root,
  outdir: join(dist, 'assets'),
  entryNames: '[dir]/[name]-[hash]',
  chunkNames: 'chunks/[name]-[hash]',
  assetNames: 'media/[name]-[hash]',
  bundle: true,
  splitting: true,
  define: vendorWorkers,
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  target,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  });
} catch {
  // esbuild has printed each error with its file and line.
  console.error('웹 빌드 실패: 위의 오류를 고치세요.');
  process.exit(1);
}

// Map each source entry to its output, and each output to what it loads with it (shared chunks, its CSS).
const outputs = new Map(Object.entries(result.metafile.outputs).map(([file, meta]) => [resolve(root, file), meta]));
const outputOf = new Map([...outputs].filter(([, meta]) => meta.entryPoint).map(([file, meta]) => [resolve(root, meta.entryPoint), file]));
const urlOf = file => '/assets/' + relative(join(dist, 'assets'), file).split('\\').join('/');
// What a page loads before it can be used (static imports), or — with dynamic — also what it may load later (import()).
function closure(file, seen = new Set(), dynamic = false) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const meta = outputs.get(file);
  for (const imported of meta?.imports ?? []) {
    if (imported.kind === 'import-statement' || (dynamic && imported.kind === 'dynamic-import')) closure(resolve(root, imported.path), seen, dynamic);
  }
  if (meta?.cssBundle) seen.add(resolve(root, meta.cssBundle));
  return seen;
}

const manifest = { builtAt: new Date().toISOString(), target, pages: [] };
for (const page of pages) {
  let html = readFileSync(page.path, 'utf8');
  const loaded = new Set();
  const later = new Set();
  html = html.replace(assetReference, (whole, s1, src, s3, l1, href, l3) => {
    const source = resolve(dirname(page.path), src ?? href);
    const out = outputOf.get(source);
    if (!out) throw new Error(`${relative(root, page.path)}: ${src ?? href} was not built`);
    for (const file of closure(out)) loaded.add(file);
    for (const file of closure(out, new Set(), true)) if (!loaded.has(file)) later.add(file);
    return src ? `${s1}${urlOf(out)}${s3}` : `${l1}${urlOf(out)}${l3}`;
  });
  const target = join(dist, 'pages', page.app, `${page.name}.html`);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, html);
  manifest.pages.push({
    app: page.app,
    name: page.name,
    file: relative(dist, target),
    assets: [...loaded].map(urlOf).sort(),
    size: sizes([target, ...loaded]),
    // Loaded only when asked for (the QR scanner, photo preparation): not in the page's size, but kept for offline use.
    later: [...later].filter(f => !loaded.has(f)).map(urlOf).sort(),
  });
}
// Fixed-name files and service workers. A service worker precaches its app's pages (by the hash of their HTML, so a
// new build replaces them), every asset they load (already content-hashed), and the app's public files.
const revision = file => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]);
}
for (const app of [...new Set(pages.map(p => p.app))]) {
  const publicDir = join(root, app, 'public');
  const publicFiles = existsSync(publicDir) ? filesUnder(publicDir) : [];
  if (publicFiles.length > 0) cpSync(publicDir, join(dist, 'public', app), { recursive: true });
  const worker = join(root, app, 'sw.js');
  if (!existsSync(worker)) continue;
  const own = manifest.pages.filter(p => p.app === app);
  const precache = [
    ...own.map(p => ({ url: p.name === 'index' ? `/${app}/` : `/${app}/${p.name}`, revision: revision(join(dist, p.file)) })),
    ...[...new Set(own.flatMap(p => [...p.assets, ...p.later]))].map(url => ({ url, revision: null })),
    ...Object.values(vendorFiles).filter(v => v.apps.includes(app)).map(v => ({ url: v.url, revision: null })),
    ...publicFiles.map(f => ({ url: `/${app}/` + relative(publicDir, f).split('\\').join('/'), revision: revision(f) })),
  ];
  try {
    await build({
      entryPoints: [worker],
      outfile: join(dist, 'sw', `${app}.js`),
      bundle: true,
      format: 'iife',
      minify: true,
      target,
      define: { __PRECACHE_MANIFEST__: JSON.stringify(precache), 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    });
  } catch {
    console.error(`웹 빌드 실패: ${app}/sw.js`);
    process.exit(1);
  }
  manifest.workers = { ...(manifest.workers ?? {}), [app]: { file: `sw/${app}.js`, precache: precache.length } };
}

manifest.apps = {};
for (const app of [...new Set(pages.map(p => p.app))]) {
  const own = manifest.pages.filter(p => p.app === app);
  const files = new Set(own.flatMap(p => [join(dist, p.file), ...p.assets.map(a => join(dist, a))]));
  manifest.apps[app] = { pages: own.map(p => p.name), ...sizes([...files]) };
}
// Our own JavaScript beside the libraries: each app's scripts built again with every npm package left out, so a budget
// on our code (the control room's 150 KB gzip beside MapLibre) is measured, not guessed.
for (const app of Object.keys(manifest.apps)) {
  const scripts = [...new Set(pages.filter(p => p.app === app).flatMap(referencesOf).filter(f => f.endsWith('.js')))];
  const own = await build({
    entryPoints: scripts, absWorkingDir: root, outdir: join(dist, '.own'), bundle: true, splitting: true, format: 'esm', minify: true,
    target, define: vendorWorkers, packages: 'external', write: false, logLevel: 'silent',
  });
  const js = own.outputFiles.filter(f => f.path.endsWith('.js'));
  manifest.apps[app].ownJs = {
    raw: js.reduce((n, f) => n + f.contents.length, 0),
    gzip: js.reduce((n, f) => n + gzipSync(f.contents, { level: 9 }).length, 0),
  };
}
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
printSizes(manifest);
