// Brokerlab's service worker: after one visit the course, every lesson and
// the playground open and run with the network off.
//
// offline/build.mjs writes this file into dist/ as sw.js, after three
// constants it works out from the build: VERSION (a digest of everything
// in dist/), IMMUTABLE (files whose URL names their content: trunk's hashed
// shell files and the engines module under its `?v=` digest) and MUTABLE
// (files that keep their URL from one version to the next: index.html, the
// lessons, the schema). Every URL is relative to this file, whose folder is
// the worker's scope, so dist/ works from any sub-path.
//
// - install: every file of this version goes into one cache, fetched past
//   the HTTP cache; if index.html turns out to be another version's (a
//   deploy landed meanwhile), the install fails and the browser tries again
//   on a later visit.
// - fetch: IMMUTABLE from the cache first; MUTABLE and the page itself from
//   the network first, from the cache when the network fails. Anything else
//   is left to the browser, as if there were no worker.
// - activate: other versions' caches for this scope are deleted.
// - message: `version` answers VERSION (the page compares it with its own
//   to decide whether to offer a reload); `skipWaiting` activates a waiting
//   worker.

const SCOPE = new URL('./', self.location).href;
const CACHE = `brokerlab ${SCOPE} ${VERSION}`;
const url = (file) => new URL(file, self.location).href;
const INDEX = url('index.html');
const IMMUTABLE_URLS = new Set(IMMUTABLE.map(url));
const MUTABLE_URLS = new Set(MUTABLE.map(url));

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all([...IMMUTABLE, ...MUTABLE].map(async (file) => {
    const response = await fetch(new Request(url(file), { cache: 'reload' }));
    if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
    // A host may redirect (index.html to ./, say); a page must not be
    // answered with a redirected response, so the cache keeps its body.
    await cache.put(url(file), response.redirected ? new Response(await response.blob(), response) : response);
  }));
  const index = await cache.match(INDEX);
  if (!index || !(await index.text()).includes(VERSION)) {
    await caches.delete(CACHE);
    throw new Error(`index.html is not version ${VERSION}: a newer version was deployed during the install`);
  }
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Cache storage is shared by every site on this origin: only this
    // scope's other versions are ours to delete.
    const ours = `brokerlab ${SCOPE} `;
    for (const name of await caches.keys()) {
      if (name.startsWith(ours) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const target = new URL(request.url);
  target.hash = '';
  // A page address is the app wherever its query and fragment point.
  if (request.mode === 'navigate' && [SCOPE, INDEX].includes(target.origin + target.pathname)) {
    event.respondWith(networkFirst(request, INDEX));
    return;
  }
  // The shell asks for the engines module again under `&retry=N` after a
  // failure; it is the same file.
  if (target.searchParams.has('retry')) target.searchParams.delete('retry');
  const key = target.href;
  if (IMMUTABLE_URLS.has(key)) event.respondWith(cacheFirst(request, key));
  else if (MUTABLE_URLS.has(key)) event.respondWith(networkFirst(request, key));
});

async function cacheFirst(request, key) {
  const cached = await (await caches.open(CACHE)).match(key);
  return cached ?? fetch(request);
}

// Online, a file that keeps its URL is always the deployed one, so a page
// loaded from the network never meets an older lesson; offline, the page and
// its lessons all come from this version's cache.
async function networkFirst(request, key) {
  try {
    return await fetch(request);
  } catch (offline) {
    const cached = await (await caches.open(CACHE)).match(key);
    if (cached) return cached;
    throw offline;
  }
}

self.addEventListener('message', (event) => {
  switch (event.data?.type) {
    case 'version':
      event.ports[0]?.postMessage(VERSION);
      break;
    case 'skipWaiting':
      self.skipWaiting();
      break;
  }
});
