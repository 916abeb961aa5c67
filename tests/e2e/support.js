// Shared set-up for Brokerlab's browser tests: one headless Chromium (Debian's,
// never a downloaded one), a fresh context per test, a watch on every page for
// console errors, uncaught exceptions and failed requests, which each test
// asserts are absent, and `settle`, which waits for the page to catch up with
// input instead of sleeping for a guessed time.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

export const BASE = process.env.BROKERLAB_URL ?? 'http://127.0.0.1:8080/';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * Service workers are blocked unless a test allows them: the site's worker
 * would fetch every file of the site in the background of each test and
 * answer requests a test means to fail. offline.test.js tests the worker;
 * BROKERLAB_SERVICE_WORKERS=allow runs any test file with it.
 */
const SERVICE_WORKERS = process.env.BROKERLAB_SERVICE_WORKERS ?? 'block';

/**
 * Opens the app at `fragment` (e.g. `#/playground`) in a fresh context;
 * `prepare(context)` runs before the page loads (e.g. to install a clock).
 */
export async function open(browser, fragment = '', options = {}, prepare = async () => {}) {
  const context = await browser.newContext({ serviceWorkers: SERVICE_WORKERS, ...options });
  await prepare(context);
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(BASE + fragment);
  return { context, page, problems };
}

let settles = 0;

/**
 * Waits until the page has handled the input sent to it so far, and until
 * every request that input started has been seen. Chromium hands pointer
 * moves to the page at the start of a frame, so two frames see them handled
 * (with the promises their handlers started); a request the page makes after
 * that is reported after any it made before, so once its answer is back, an
 * earlier request would have been counted.
 */
export async function settle(page) {
  settles += 1;
  const url = new URL(`?settled=${settles}`, page.url()).href;
  await Promise.all([
    page.waitForResponse(url),
    page.evaluate(async (url) => {
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      await fetch(url, { cache: 'no-store' });
    }, url),
  ]);
}

export function watch(page) {
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  // A download the page was still making when it was reloaded or left is
  // cancelled by the browser; that is leaving, not a failure. Anything else
  // that fails, counts.
  // The browser may report the cancellation just before the navigation that
  // caused it (a service worker answering for both, say), so a cancellation
  // is also forgiven when a navigation follows within a second.
  let documents = 0;
  const madeUnder = new WeakMap();
  const cancelled = [];
  page.on('request', (r) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) {
      documents += 1;
      for (const { problem, at } of cancelled.splice(0)) {
        const i = problems.indexOf(problem);
        if (Date.now() - at < 1000 && i >= 0) problems.splice(i, 1);
      }
    } else madeUnder.set(r, documents);
  });
  page.on('requestfailed', (r) => {
    const aborted = r.failure()?.errorText === 'net::ERR_ABORTED';
    const left = aborted && madeUnder.get(r) < documents;
    if (left) return;
    const problem = `request failed: ${r.url()} (${r.failure()?.errorText})`;
    problems.push(problem);
    if (aborted) cancelled.push({ problem, at: Date.now() });
  });
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} for ${r.url()}`));
  return problems;
}

/** Fails the test if the page logged an error or a request failed. */
export function assertClean(problems) {
  assert.deepEqual(problems, [], 'the page must log no errors and fail no requests');
}
