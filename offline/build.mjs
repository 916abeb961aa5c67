// Writes Brokerlab's service worker into a built site: run by trunk's
// post-build hook (Trunk.toml) on its staging folder, or by hand on a built
// dist/ (`node offline/build.mjs dist`), which gives the same result.
//
// It lists every file of the site and sorts them for offline/worker.js:
// the files index.html references that trunk named by a hash of their
// content, and the engines module, under the `?v=DIGEST` URL the shell
// fetches it by (src/island.rs), never change under their URL; everything
// else (index.html, the lessons, the schema) may. The version is a digest
// of every file but the worker, with index.html's own version left out, so
// it changes exactly when something the site serves does. The build stamps
// the version into index.html's `brokerlab-version` meta tag, which
// offline/register.js compares with the worker's, and writes sw.js.

import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

const WORKER = 'sw.js';
const ENGINES = ['brokerlab-engines.js', 'brokerlab-engines_bg.wasm'];
const UNSTAMPED = 'BROKERLAB_VERSION';
/** How trunk names a file by its content (`filehash` in Trunk.toml). */
const HASHED = /-[0-9a-f]{16}(?:_bg)?\.\w+$/;

const site = process.argv[2] ?? process.env.TRUNK_STAGING_DIR;
if (!site) fail('give the built site\'s folder (trunk sets TRUNK_STAGING_DIR for its hooks)');

/** Every file under `dir`, as a `/`-separated path relative to it, sorted. */
async function files(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'))
    .sort();
}

/** The `<meta name=NAME>` tag of `html` and its content, quoted or not (a release build is minified). */
function meta(html, name) {
  for (const [tag] of html.matchAll(/<meta\s[^>]*>/gi)) {
    const attributes = new Map(
      [...tag.matchAll(/([\w-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)/g)].map(([, key, value]) => [
        key.toLowerCase(),
        value.replace(/^["']|["']$/g, ''),
      ]),
    );
    if (attributes.get('name') === name) return { tag, content: attributes.get('content') ?? '' };
  }
  fail(`index.html has no <meta name="${name}"> tag`);
}

/** index.html with its version meta tag's content set to `version`. */
function stamp(html, version) {
  const { tag } = meta(html, 'brokerlab-version');
  const stamped = tag.replace(/(\bcontent\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)/i, (_, key) => `${key}"${version}"`);
  return html.replace(tag, () => stamped);
}

/**
 * The files trunk named by their content that index.html references, by
 * their path in the site: its `href` and `src` values and what its inline
 * script imports, as crates/xtask/src/size.rs reads them.
 */
function referenced(html, all) {
  const publicUrl = process.env.TRUNK_PUBLIC_URL ?? './';
  const found = new Set();
  const references = /(?:href|src)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)|(?:module_or_path:|from)\s*("[^"]*"|'[^']*')/gi;
  for (const [, attribute, imported] of html.matchAll(references)) {
    let path = (attribute ?? imported).replace(/^["']|["']$/g, '').replace(/[?#].*$/, '');
    if (path.startsWith(publicUrl)) path = path.slice(publicUrl.length);
    path = path.replace(/^\.?\//, '');
    if (all.includes(path) && HASHED.test(path)) found.add(path);
  }
  return found;
}

function fail(message) {
  console.error(`offline/build.mjs: ${message}`);
  process.exit(1);
}

const all = (await files(site)).filter((file) => file !== WORKER);
if (!all.includes('index.html')) fail(`${site} has no index.html`);
const html = await readFile(join(site, 'index.html'), 'utf8');

const engines = meta(html, 'brokerlab-engines').content;
if (!/^[0-9a-f]{16}$/.test(engines)) fail(`index.html's engines digest is "${engines}": stamp it before writing the worker`);
for (const file of ENGINES) if (!all.includes(file)) fail(`the engines module's ${file} is missing`);

const digest = createHash('sha256');
for (const file of all) {
  const bytes = file === 'index.html' ? Buffer.from(stamp(html, UNSTAMPED)) : await readFile(join(site, file));
  digest.update(`${file}\0${bytes.length}\0`).update(bytes);
}
const version = digest.digest('hex').slice(0, 16);

const hashed = referenced(html, all);
const immutable = [...[...hashed].sort(), ...ENGINES.map((file) => `${file}?v=${engines}`)];
const mutable = all.filter((file) => !hashed.has(file) && !ENGINES.includes(file));

const worker = await readFile(new URL('./worker.js', import.meta.url), 'utf8');
await writeFile(
  join(site, WORKER),
  `// Written by offline/build.mjs from offline/worker.js; edit those, not this.\n` +
    `const VERSION = ${JSON.stringify(version)};\n` +
    `const IMMUTABLE = ${JSON.stringify(immutable, null, 1)};\n` +
    `const MUTABLE = ${JSON.stringify(mutable, null, 1)};\n\n` +
    worker,
);
await writeFile(join(site, 'index.html'), stamp(html, version));
console.log(`offline/build.mjs: ${WORKER} version ${version}, ${immutable.length + mutable.length} files to precache`);
