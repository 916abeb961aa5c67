// The first paint before WebAssembly: index.html carries the course outline
// and a lesson's frame with its text, so a reader sees the page while the
// app's wasm is still on its way; the app then takes over with the same
// page in the same place. The wasm requests are held back to look at the
// page before the app, then let through.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, assertClean, BASE } from './support.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/**
 * Opens `fragment` with every wasm request held until `release()`; records
 * layout shifts from the start.
 */
async function openHeld(fragment, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await context.addInitScript(() => {
    window.shifts = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.shifts.push({ value: e.value, at: e.startTime }); })
      .observe({ type: 'layout-shift', buffered: true });
    // What is on screen: each heading and link by role, name and box.
    window.screenNow = () => [...document.querySelectorAll('main h1, main h2, main a[href], header a[href]')]
      .filter((e) => e.getClientRects().length > 0)
      .map((e) => {
        const r = e.getBoundingClientRect();
        const role = e.tagName === 'A' ? 'link' : `heading ${e.tagName[1]}`;
        return `${role} "${e.textContent.trim()}" at ${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.width)}x${Math.round(r.height)}`;
      });
    // The app's first frame, taken in the task that mounted it (before
    // anything it then fetches can arrive).
    new MutationObserver((_, observer) => {
      if (document.readyState !== 'loading' && !document.querySelector('[data-prerender]')) {
        window.atMount = window.screenNow();
        window.mountedAt = performance.now();
        window.mountedText = document.querySelector('.prose')?.innerText;
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  let open;
  const gate = new Promise((done) => { open = done; });
  await context.route(/\.wasm(\?|$)/, async (route) => { await gate; await route.continue(); });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} for ${r.url()}`));
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(BASE + fragment, { waitUntil: 'commit' });
  return { context, page, problems, requested, release: open };
}

const mounted = (page) => page.waitForFunction(() => !document.querySelector('[data-prerender]') && document.querySelector('main'));

const screen = (page) => page.evaluate(() => window.screenNow());
const atMount = (page) => page.evaluate(() => window.atMount);
/** Layout shifts from the app's mount on (the lesson text arriving before it moves what follows, as it would in the app). */
const shiftsSinceMount = async (page) => {
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  return page.evaluate(() => window.shifts.filter((s) => s.at >= window.mountedAt - 1).map((s) => s.value));
};

test('the course outline paints before the wasm arrives and the app mounts over it in place', async () => {
  const { page, context, problems, release } = await openHeld('');
  await page.getByRole('heading', { level: 1, name: 'Learn message brokers by touching them' }).waitFor();
  const main = page.getByRole('main');
  await main.getByRole('link', { name: 'Consumers & Consumer Groups', exact: true }).waitFor();
  assert.ok(await main.getByRole('link').count() > 20, 'every lesson is linked');
  assert.ok(await main.getByRole('heading', { level: 2, name: 'Module 2: Apache Kafka' }).isVisible());
  assert.equal(await page.locator('[data-prerender]').count(), 1, 'the app has not mounted yet');
  assert.equal(await page.getByRole('searchbox', { name: 'Search the course' }).isDisabled(), true, 'controls wait for the app');
  assert.equal(await page.title(), 'Course · Brokerlab');
  const painted = await screen(page);

  release();
  await mounted(page);
  assert.equal(await page.getByRole('searchbox', { name: 'Search the course' }).isDisabled(), false);
  assert.deepEqual(await atMount(page), painted, 'the same headings and links, in the same places');
  assert.deepEqual(await shiftsSinceMount(page), [], 'no layout shift');

  await main.getByRole('link', { name: 'Consumers & Consumer Groups', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Consumers & Consumer Groups' }).waitFor();
  assertClean(problems);
  await context.close();
});

test('a lesson\'s frame and text paint before the wasm arrives; the app takes the text over without fetching it again', async () => {
  const slug = 'consumers-and-consumer-groups';
  const fragment = await readFile(join(process.env.BROKERLAB_DIST ?? '../../dist', 'lessons', `${slug}.html`), 'utf8');
  const firstSection = fragment.match(/<h2>([^<]+)<\/h2>/)[1];
  const { page, context, problems, requested, release } = await openHeld(`#/course/${slug}`);
  const article = page.getByRole('article');
  await page.getByRole('heading', { level: 1, name: 'Consumers & Consumer Groups' }).waitFor();
  await article.getByRole('heading', { level: 2, name: firstSection }).waitFor();
  assert.equal(await page.locator('[data-prerender]').count(), 1, 'the app has not mounted yet');
  assert.equal(await page.title(), 'Consumers & Consumer Groups · Brokerlab');
  const contents = page.getByRole('navigation', { name: 'Course contents' });
  assert.equal(await contents.locator('[aria-current="page"]').textContent(), 'Consumers & Consumer Groups');
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]').textContent(), 'Course');
  await page.getByRole('complementary', { name: 'Live scenarios' }).getByText('Starting the broker engines…').waitFor();
  const painted = await screen(page);
  const text = await article.locator('.prose').innerText();

  release();
  await mounted(page);
  assert.deepEqual(await atMount(page), painted, 'the same headings and links, in the same places');
  assert.equal(await page.evaluate(() => window.mountedText), text, 'the same text');
  assert.deepEqual(await shiftsSinceMount(page), [], 'no layout shift');
  assert.equal(requested.filter((u) => u.endsWith(`lessons/${slug}.html`)).length, 1, 'the text is fetched once');

  const mark = page.getByRole('button', { name: 'Mark as read' });
  await mark.click();
  assert.equal(await mark.getAttribute('aria-pressed'), 'true');
  await page.getByRole('navigation', { name: 'Previous and next lessons' }).getByRole('link', { name: /Next/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Kafka Performance Secrets: Zero-Copy & Page Cache' }).waitFor();
  assertClean(problems);
  await context.close();
});

test('reading progress shows in the prerendered outline, and a link followed before the app loads shows that lesson', async () => {
  const { page, context, problems, release } = await openHeld('');
  await page.getByRole('heading', { level: 1, name: 'Learn message brokers by touching them' }).waitFor();
  await page.evaluate(() => localStorage.setItem('brokerlab.progress', JSON.stringify(
    { format: 'brokerlab-progress', version: 1, read: ['push-vs-pull-models'], solved: [], answers: {} })));
  await page.reload({ waitUntil: 'commit' });
  const module = page.getByRole('region', { name: 'Module 1: Broker Foundations' });
  assert.equal(await module.getByText(/^\d+ \/ \d+ read$/).textContent(), '1 / 4 read');
  assert.match(await page.getByText(/^\d+ \/ \d+ read$/).first().textContent(), /^1 \/ \d+ read$/);
  assert.ok(await module.getByText('✓ read').isVisible());

  await page.getByRole('main').getByRole('link', { name: 'Push vs. Pull Models', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Push vs. Pull Models' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Mark as read' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('[data-prerender]').count(), 1, 'still before the app');
  // Back to the course and into the lesson again, still before the app.
  await page.evaluate(() => history.back());
  await page.getByRole('heading', { level: 1, name: 'Learn message brokers by touching them' }).waitFor();
  assert.equal(await module.getByText(/^\d+ \/ \d+ read$/).textContent(), '1 / 4 read');
  await page.getByRole('main').getByRole('link', { name: 'Push vs. Pull Models', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Push vs. Pull Models' }).waitFor();
  assert.equal(await page.locator('[data-prerender]').count(), 1, 'still before the app');

  release();
  await mounted(page);
  await page.getByRole('heading', { level: 1, name: 'Push vs. Pull Models' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Mark as read' }).getAttribute('aria-pressed'), 'true');
  assertClean(problems);
  await context.close();
});

test('the playground never shows the course outline before the app, and without JavaScript the notice shows', async () => {
  const { page, context, problems, release } = await openHeld('#/playground');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).locator('[aria-current="page"]').textContent(), 'Playground');
  assert.equal(await page.getByRole('heading', { name: 'Learn message brokers by touching them' }).count(), 0);
  assert.equal(await page.getByRole('main').getByRole('link').count(), 0, 'an empty page while the app loads');
  release();
  await mounted(page);
  await page.getByRole('group', { name: 'Parts' }).waitFor();
  assertClean(problems);
  await context.close();

  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const still = await noScript.newPage();
  await still.goto(BASE);
  // Playwright's text locators leave out <noscript>; the page's text has it.
  assert.match(await still.locator('body').innerText(), /^Brokerlab runs its broker engines in your browser and needs JavaScript and WebAssembly\.\s*$/);
  assert.equal(await still.getByRole('heading', { name: 'Learn message brokers by touching them' }).isVisible(), false);
  await noScript.close();
});
