// The load benchmark (not part of the test suite): `cargo xtask bench --load`
// builds for release and runs it; by hand,
// `BROKERLAB_DIST=../../dist node bench/load-bench.js`.
//
// It serves dist/ from /demo/brokerlab/ with `static-server.js` (gzip and
// 304 revalidation, as common static hosts do) and opens three pages in
// headless Chromium, each in a fresh browser context (an empty cache):
// the course, a lesson with a live panel, and the playground. First on a
// mobile profile (150 ms round trip, 1.6 Mbps down, 750 kbps up, 4x CPU
// slowdown, through the DevTools protocol), then with no throttling. For
// each it prints first contentful paint, the time until the page is
// interactive (defined below and printed), the bytes transferred until then,
// and, after a reload in the same context, the bytes transferred again.
// Each figure is the median of BENCH_RUNS visits (3 by default).
import { chromium } from 'playwright-core';
import { serve } from './static-server.js';

const DIST = process.env.BROKERLAB_DIST ?? new URL('../../../dist', import.meta.url).pathname;
const SUB_PATH = '/demo/brokerlab/';
const LESSON = 'routing-mechanics-the-four-exchanges';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

// Each page's "interactive": the moment the condition holds (checked in the
// page on every DOM change); then the control is clicked to show it answers,
// and the time from the click to the answer is reported too.
const PAGES = [
  {
    name: 'course',
    fragment: '#/',
    interactive: 'the app has mounted: the course search box is enabled; a click on a lesson link opens the lesson',
    ready: () => {
      const input = document.getElementById('course-search-input');
      return input && !input.disabled && !input.closest('[data-prerender]') ? performance.now() : false;
    },
    answer: async (page) => {
      await page.getByRole('main').getByRole('link', { name: 'Consumers & Consumer Groups', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Consumers & Consumer Groups' }).waitFor();
    },
  },
  {
    name: `lesson (${LESSON})`,
    fragment: `#/course/${LESSON}`,
    interactive: 'the engines module has mounted the live panel: its Step button exists; a click on it runs step 1',
    ready: () => {
      const step = [...document.querySelectorAll('.live-column button')].find((b) => b.textContent.trim() === 'Step');
      return step && !step.disabled ? performance.now() : false;
    },
    answer: async (page) => {
      const live = page.getByRole('region', { name: 'Try it live: The four exchange types' });
      await live.getByRole('button', { name: 'Step', exact: true }).click();
      await live.getByText(/^Step 1 of \d+$/).waitFor();
    },
  },
  {
    name: 'playground',
    fragment: '#/playground',
    interactive: 'the engines module has mounted the playground: its palette of parts exists; a click on "Queue" adds a queue to the canvas',
    ready: () => (document.querySelector('[role="group"][aria-label="Parts"] button') ? performance.now() : false),
    answer: async (page) => {
      const nodes = () => page.locator('[data-node]').count();
      const before = await nodes();
      await page.getByRole('group', { name: 'Parts' }).getByRole('button', { name: 'Queue', exact: true }).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-node]').length > n, before);
    },
  },
];

const MOBILE = {
  network: { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) },
  cpu: 4,
};

/** Counts what the page fetched over the network, from the DevTools protocol's events. */
async function meter(context, page, throttle) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // The HTTP cache stays on (the repeat visit needs it); only the throttling is set.
  if (throttle) {
    await cdp.send('Network.emulateNetworkConditions', throttle.network);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle.cpu });
  }
  const m = { bytes: 0, requests: 0, status: {}, fromCache: 0 };
  const responses = new Map();
  // A revalidated response is reported with the cached response's status;
  // the status that crossed the network is in the extra information.
  const wire = new Map();
  cdp.on('Network.responseReceived', (e) => responses.set(e.requestId, e.response));
  cdp.on('Network.responseReceivedExtraInfo', (e) => wire.set(e.requestId, e.statusCode));
  cdp.on('Network.loadingFinished', (e) => {
    const r = responses.get(e.requestId);
    if (!r || r.url.startsWith('data:')) return;
    m.requests += 1;
    const status = wire.get(e.requestId) ?? r.status;
    if (process.env.BENCH_VERBOSE) console.log(`  ${status} ${e.encodedDataLength} ${r.fromDiskCache ? 'disk ' : ''}${r.fromMemoryCache ? 'memory ' : ''}${r.url}`);
    if (r.fromDiskCache || r.fromMemoryCache || r.fromServiceWorker) m.fromCache += 1;
    else {
      m.bytes += e.encodedDataLength;
      m.status[status] = (m.status[status] ?? 0) + 1;
    }
  });
  m.reset = () => {
    m.bytes = 0; m.requests = 0; m.status = {}; m.fromCache = 0;
  };
  m.snapshot = () => ({ bytes: m.bytes, requests: m.requests, status: { ...m.status }, fromCache: m.fromCache });
  return m;
}

/** Records in the page when `spec.ready` first holds, checked on every DOM change. */
function watchReady(spec) {
  return `(() => {
    const ready = ${spec.ready.toString()};
    const check = () => { if (!window.readyAt) window.readyAt = ready(); };
    new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
  })()`;
}

async function visit(page, spec, load) {
  await load();
  const ready = await (await page.waitForFunction(() => window.readyAt, null, { timeout: 120_000 })).jsonValue();
  const fcp = await page.evaluate(() => new Promise((done) => {
    const found = () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
    if (found() !== undefined) return done(found());
    new PerformanceObserver(() => found() !== undefined && done(found())).observe({ type: 'paint', buffered: true });
  }));
  return { fcp, ready };
}

async function measure(browser, spec, base, throttle) {
  // Service workers are blocked: the site's worker would fetch the whole
  // site in the background, outside the page's throttled network, and then
  // answer the page's own requests from that copy, hiding what a first
  // visit costs. The repeat visit measures the HTTP cache.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
  await context.addInitScript(watchReady(spec));
  const page = await context.newPage();
  const net = await meter(context, page, throttle);
  const first = await visit(page, spec, () => page.goto(base + spec.fragment));
  const firstNet = net.snapshot();
  const t0 = Date.now();
  await spec.answer(page);
  const answerMs = Date.now() - t0;
  let repeat = null;
  if (throttle) {
    // Back at the same address, then a reload: what a returning reader fetches.
    await page.goto(base + spec.fragment);
    await page.waitForFunction(() => window.readyAt, null, { timeout: 120_000 });
    await page.waitForLoadState('networkidle');
    net.reset();
    repeat = await visit(page, spec, () => page.reload());
    await page.waitForLoadState('networkidle');
    repeat.net = net.snapshot();
  }
  await context.close();
  return { ...first, net: firstNet, answerMs, repeat };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n) => `${Math.round(n)} ms`;
const statuses = (s) => Object.entries(s).map(([k, v]) => `${v}×${k}`).join(' ');

const server = await serve(DIST, { subPath: SUB_PATH });
const base = `http://127.0.0.1:${server.address().port}${SUB_PATH}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-quic'],
});
console.log(`Serving ${DIST} at ${base} with gzip and 304 revalidation (Cache-Control: no-cache).`);
console.log('Mobile profile: 150 ms round trip, 1.6 Mbps down, 750 kbps up, 4x CPU slowdown. Viewport 1280x800.');
console.log('Bytes: what crossed the network (compressed bodies and headers), each visit in a fresh context.');
console.log('Interactive, per page:');
for (const spec of PAGES) console.log(`  ${spec.name}: ${spec.interactive}`);
console.log('Repeat: a reload in the same context; bytes and responses (200 fetched, 304 revalidated, cache).');
console.log(`Times are the median of ${RUNS} visits (BENCH_RUNS); "click answered" is as Playwright sees it.\n`);

// Each figure is the median of RUNS visits; bytes and responses are the last visit's.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function medians(runs) {
  const last = runs.at(-1);
  const out = { ...last, fcp: median(runs.map((r) => r.fcp)), ready: median(runs.map((r) => r.ready)), answerMs: median(runs.map((r) => r.answerMs)) };
  if (last.repeat) out.repeat = { ...last.repeat, fcp: median(runs.map((r) => r.repeat.fcp)) };
  return out;
}
const rows = [];
for (const spec of PAGES) {
  const slow = [];
  const fast = [];
  for (let i = 0; i < RUNS; i++) {
    slow.push(await measure(browser, spec, base, MOBILE));
    fast.push(await measure(browser, spec, base, null));
  }
  rows.push({ spec, slow: medians(slow), fast: medians(fast) });
  console.log(`measured ${spec.name}`);
}
console.log('');
const header = ['page', 'FCP mobile', 'interactive mobile', 'click answered', 'bytes', 'repeat: bytes', 'repeat: responses', 'repeat: FCP', 'FCP fast', 'interactive fast'];
const table = rows.map(({ spec, slow, fast }) => [
  spec.name,
  ms(slow.fcp),
  ms(slow.ready),
  ms(slow.answerMs),
  `${kb(slow.net.bytes)} (${slow.net.requests} req)`,
  kb(slow.repeat.net.bytes),
  `${statuses(slow.repeat.net.status)}${slow.repeat.net.fromCache ? ` ${slow.repeat.net.fromCache}×cache` : ''}`,
  ms(slow.repeat.fcp),
  ms(fast.fcp),
  ms(fast.ready),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table) console.log(line(r));
await browser.close();
server.close();
