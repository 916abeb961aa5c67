// Offline: after one visit the service worker has every file, so with the
// network off the course, every lesson and the playground open and run; a
// new version deployed later is offered with a Reload button, or taken
// quietly when the page already came from the network.
//
// These tests serve their own copy of the built site from the sub-path
// /demo/brokerlab/, so that they can take the network away (stop the server
// and set the browser offline) and deploy a new version into it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, watch, assertClean } from './support.js';
import { CoursePage, LessonPage } from './pages.js';
import { Playground } from './playground-pages.js';

const DIST = process.env.BROKERLAB_DIST ?? fileURLToPath(new URL('../../dist', import.meta.url));
const BUILD_WORKER = fileURLToPath(new URL('../../offline/build.mjs', import.meta.url));
const SUB_PATH = '/demo/brokerlab/';
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** A static server for a copy of dist/ that can be stopped and started again on its port. */
class Site {
  /** Every copy made, so a failed test leaves no server running. */
  static made = new Set();

  static async copy() {
    const root = await mkdtemp(join(tmpdir(), 'brokerlab-offline-'));
    await cp(DIST, root, { recursive: true, dereference: true });
    const site = new Site(root);
    Site.made.add(site);
    await site.start();
    return site;
  }

  constructor(root) {
    this.root = root;
    this.port = 0;
  }

  async start() {
    this.server = createServer(async (request, response) => {
      const path = decodeURIComponent(new URL(request.url, 'http://site').pathname);
      if (!path.startsWith(SUB_PATH) || path.includes('..')) return response.writeHead(404).end();
      const file = join(this.root, path.slice(SUB_PATH.length) || 'index.html');
      try {
        const body = await readFile(file);
        response.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        response.writeHead(404).end();
      }
    });
    await new Promise((done) => this.server.listen(this.port, '127.0.0.1', done));
    this.port = this.server.address().port;
  }

  /** The network goes away: the server stops and drops every open connection. */
  async stop() {
    if (!this.server.listening) return;
    const closed = new Promise((done) => this.server.close(done));
    this.server.closeAllConnections();
    await closed;
  }

  get url() {
    return `http://127.0.0.1:${this.port}${SUB_PATH}`;
  }

  async remove() {
    await rm(this.root, { recursive: true, force: true });
  }
}

let browser;
before(async () => { browser = await launch(); });
after(async () => {
  await browser?.close();
  for (const site of Site.made) {
    await site.stop();
    await site.remove();
  }
});

/** A fresh browser (no worker, no caches) with service workers allowed, on `site`. */
async function visit(site, fragment = '') {
  const context = await browser.newContext({ serviceWorkers: 'allow', viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(site.url + fragment);
  return { context, page, problems };
}

/** Waits until a service worker controls the page and has finished installing. */
async function controlled(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((done) => navigator.serviceWorker.addEventListener('controllerchange', done, { once: true }));
    }
  });
}

/** The version the page was built as, and the version of the worker in control. */
async function versions(page) {
  return page.evaluate(async () => {
    const worker = navigator.serviceWorker.controller;
    const ofWorker = worker && await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data);
      worker.postMessage({ type: 'version' }, [channel.port2]);
    });
    return { page: document.querySelector('meta[name="brokerlab-version"]').content, worker: ofWorker };
  });
}

async function offline(site, context) {
  await site.stop();
  await context.setOffline(true);
}

async function online(site, context) {
  await site.start();
  await context.setOffline(false);
}

/** Runs a lesson's live panel a step on: the engines module works. */
async function runLivePanel(page) {
  await new LessonPage(page).waitFor('Routing Mechanics: The 4 Exchanges');
  const live = page.getByRole('region', { name: 'Try it live: The four exchange types' });
  await live.getByRole('button', { name: 'Run to the end' }).click();
  await live.getByText('Step 2 of 7', { exact: true }).waitFor();
}

/** Builds producer → queue on the playground and publishes until the message is in the queue. */
async function publishOnPlayground(page) {
  const pg = new Playground(page);
  await pg.waitUntilShown();
  await pg.canvas.waitFor();
  await pg.part('Producer').click();
  await pg.part('Queue').click();
  await page.getByLabel('Connect from', { exact: true }).selectOption({ label: 'Producer p1' });
  await page.getByLabel('Connect to', { exact: true }).selectOption({ label: 'Queue q1' });
  await pg.button('Connect').click();
  await pg.button('Publish from p1').click();
  for (let i = 0; i < 20 && (await pg.queueMessages('q1').count()) === 0; i++) await pg.step(1);
  assert.equal(await pg.queueMessages('q1').count(), 1, 'the published message arrives in q1');
  assert.match(await pg.log.innerText(), /p1 published/);
}

/**
 * Deploys a new version into `site`, as a new build would: a paragraph
 * added to a lesson, the engines module changed (and its digest in
 * index.html with it), then the worker written again.
 */
async function deployNewVersion(site, lessonSlug, paragraph) {
  const lesson = join(site.root, 'lessons', `${lessonSlug}.html`);
  await writeFile(lesson, `${await readFile(lesson, 'utf8')}\n<p>${paragraph}</p>\n`);
  const enginesJs = join(site.root, 'brokerlab-engines.js');
  await writeFile(enginesJs, `${await readFile(enginesJs, 'utf8')}\n// ${paragraph}\n`);
  const digest = createHash('sha256');
  for (const file of ['brokerlab-engines.js', 'brokerlab-engines_bg.wasm']) digest.update(await readFile(join(site.root, file)));
  const engines = digest.digest('hex').slice(0, 16);
  const index = join(site.root, 'index.html');
  const html = await readFile(index, 'utf8');
  const old = html.match(/name="?brokerlab-engines"? content="?([0-9a-f]{16})/)?.[1]
    ?? html.match(/content="?([0-9a-f]{16})"? name="?brokerlab-engines/)[1];
  await writeFile(index, html.replaceAll(old, engines));
  await promisify(execFile)(process.execPath, [BUILD_WORKER, site.root]);
  return engines;
}

test('after one visit to the course, the course, every lesson and the playground open and run offline', async () => {
  const site = await Site.copy();
  const { context, page, problems } = await visit(site);
  const course = await new CoursePage(page).waitUntilShown();
  await controlled(page);
  const lessons = await page.getByRole('main').getByRole('link').evaluateAll((links) => [
    ...new Map(links.filter((a) => a.getAttribute('href').startsWith('#/course/')).map((a) => [a.getAttribute('href'), a.textContent.trim()])).entries(),
  ]);
  assert.ok(lessons.length >= 20, `the course lists its lessons, got ${lessons.length}`);
  const { page: builtAs } = await versions(page);
  assert.match(builtAs, /^[0-9a-f]{16}$/, 'the build stamps the site\'s version into the page');

  await offline(site, context);
  await page.reload();
  await course.waitUntilShown();
  assert.ok((await course.moduleTitles()).length >= 4, 'the course outline is there');

  // Every lesson opens with its text and questions, from the course page.
  for (const [href, title] of lessons) {
    await page.goto(site.url + href);
    const lesson = await new LessonPage(page).waitFor(title);
    assert.ok((await lesson.text()).length > 200, `the text of ${title} is shown offline`);
    await page.getByRole('button', { name: 'Check answer' }).first().waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, `nothing failed to load in ${title}`);
  }

  // A lesson and the playground, each loaded afresh offline, run the engines.
  // Each is shown before the reload, so no download of it is cut short.
  const routing = '#/course/routing-mechanics-the-four-exchanges';
  await page.goto(site.url + routing);
  await new LessonPage(page).waitFor(lessons.find(([href]) => href === routing)[1]);
  await page.getByRole('button', { name: 'Check answer' }).first().waitFor();
  await page.reload();
  await runLivePanel(page);
  await page.goto(site.url + '#/playground');
  await page.getByRole('button', { name: 'Play' }).first().waitFor();
  await page.reload();
  await publishOnPlayground(page);
  assertClean(problems);
  await context.close();
  await site.remove();
});

test('a page opened from the cache offers a newer version once the network is back, and Reload loads it', async () => {
  const site = await Site.copy();
  const { context, page, problems } = await visit(site, '#/course/routing-mechanics-the-four-exchanges');
  await new LessonPage(page).waitFor('Routing Mechanics: The 4 Exchanges');
  await controlled(page);
  const first = await versions(page);
  assert.equal(first.worker, first.page);
  const paragraph = 'This paragraph is new in this version.';
  await deployNewVersion(site, 'routing-mechanics-the-four-exchanges', paragraph);

  // Offline, the cached version opens: the old lesson, and no notice.
  await offline(site, context);
  await page.reload();
  await runLivePanel(page);
  assert.doesNotMatch(await new LessonPage(page).text(), new RegExp(paragraph));
  const notice = page.getByRole('status').filter({ hasText: 'A new version of Brokerlab is ready.' });
  assert.equal(await notice.count(), 0);

  // Back online, the page looks for a new version and offers it.
  await online(site, context);
  const reloaded = page.waitForEvent('load');
  await notice.getByRole('button', { name: 'Reload' }).click();
  await reloaded;
  const lesson = await new LessonPage(page).waitFor('Routing Mechanics: The 4 Exchanges');
  assert.match(await lesson.text(), new RegExp(paragraph), 'the new version\'s lesson is shown');
  const second = await versions(page);
  assert.notEqual(second.page, first.page);
  assert.equal(second.worker, second.page, 'the new worker is in control');
  assert.equal(await notice.count(), 0);
  await runLivePanel(page);
  assertClean(problems);
  await context.close();
  await site.remove();
});

test('a page loaded from the network after a deploy takes the new worker quietly, and never a stale engines module', async () => {
  const site = await Site.copy();
  const { context, page, problems } = await visit(site, '#/course/routing-mechanics-the-four-exchanges');
  await new LessonPage(page).waitFor('Routing Mechanics: The 4 Exchanges');
  await controlled(page);
  const first = await versions(page);
  const paragraph = 'This paragraph is new in this version.';
  const engines = await deployNewVersion(site, 'routing-mechanics-the-four-exchanges', paragraph);

  // Online, the page comes from the network, new, while the old worker still
  // controls it: it must fetch the new engines module, not the cached one.
  const fetched = [];
  page.on('response', (r) => r.url().includes('brokerlab-engines.js') && fetched.push(r));
  await page.reload();
  await runLivePanel(page);
  assert.match(await new LessonPage(page).text(), new RegExp(paragraph));
  assert.equal(fetched.length, 1);
  assert.equal(new URL(fetched[0].url()).searchParams.get('v'), engines);
  const body = await fetched[0].text();
  assert.ok(body.trimEnd().endsWith(`// ${paragraph}`), 'the new engines module, not the one the old worker cached');

  // The new worker, the page's own version, takes over with no notice.
  let second = await versions(page);
  for (const started = Date.now(); second.worker !== second.page && Date.now() - started < 60000;) {
    await page.waitForTimeout(200);
    second = await versions(page);
  }
  // Where the workers stand, should the new one not have taken over.
  const state = await page.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration();
    return JSON.stringify({
      installing: r?.installing?.state ?? null,
      waiting: r?.waiting?.state ?? null,
      active: r?.active?.state ?? null,
      notice: Boolean(document.querySelector('.update-notice')),
    });
  });
  assert.equal(second.worker, second.page, `the new worker takes over (workers: ${state})`);
  assert.notEqual(second.page, first.page);
  assert.equal(await page.getByText('A new version of Brokerlab is ready.').count(), 0);

  // Offline, the new version opens from the cache: its lesson and its engines.
  await offline(site, context);
  await page.reload();
  await runLivePanel(page);
  assert.match(await new LessonPage(page).text(), new RegExp(paragraph));
  assert.equal((await versions(page)).page, second.page);
  assertClean(problems);
  await context.close();
  await site.remove();
});

test('the worker lists every file of the build, the engines module under its digest', async () => {
  const worker = await readFile(join(DIST, 'sw.js'), 'utf8');
  const list = (name) => JSON.parse(worker.match(new RegExp(`const ${name} = (\\[[^\\]]*\\]);`))[1]);
  const cached = [...list('IMMUTABLE'), ...list('MUTABLE')].map((file) => file.replace(/\?.*$/, ''));
  const files = (await readdir(DIST, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(DIST.length + 1))
    .filter((file) => file !== 'sw.js');
  assert.deepEqual([...cached].sort(), [...files].sort());
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const engines = html.match(/[0-9a-f]{16}/g).find((digest) => list('IMMUTABLE').includes(`brokerlab-engines.js?v=${digest}`));
  assert.ok(engines, 'the engines module is listed under the digest index.html carries');
  assert.ok(list('IMMUTABLE').includes(`brokerlab-engines_bg.wasm?v=${engines}`));
  assert.ok(list('MUTABLE').includes('index.html') && list('MUTABLE').includes('lessons/amqp-vs-kafka-protocol.html'));
});
