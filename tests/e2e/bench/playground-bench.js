// The playground's browser benchmark (not part of the test suite):
// `cargo xtask bench --playground` builds for release, serves the build and
// runs it; by hand, `BROKERLAB_URL=http://127.0.0.1:8091/demo/brokerlab/ node bench/playground-bench.js`.
// It opens a 40-node topology from a share link, then prints
//  - frames per second at 1x with the number of messages drawn in flight,
//  - the same at scale: one topic exchange bound to 100 queues with wildcard
//    patterns, 100 consumers and 10 producers at 1,000 messages/s in total,
//    whole topology in view, as frames per second from the median frame and
//    the worst frame,
//  - engine messages per second at the fastest speed,
//  - input latency (click to next painted frame) while running fastest,
//  - JS heap and wasm memory sampled over BENCH_MINUTES (default 10).
import { execSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { BASE } from '../support.js';

const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);

/** 4 producers -> 4 fanout exchanges -> 16 queues -> 16 consumers: 40 nodes. */
function topology() {
  const nodes = [];
  const edges = [];
  let id = 1;
  const node = (name, x, y, config) => { nodes.push({ id, name, x, y, config }); return id++; };
  const edge = (from, to, role) => edges.push({ id: id++, from, to, role, binding_key: '', arguments: '' });
  for (let p = 0; p < 4; p++) {
    const prod = node(`p${p}`, 20, 20 + p * 300, { Producer: { routing_key: 'k', body: 'x', headers: '', rate: 250, burst: 10 } });
    const x = node(`x${p}`, 240, 20 + p * 300, { Exchange: 'Fanout' });
    edge(prod, x, 'Publish');
    for (let q = 0; q < 4; q++) {
      const y = 20 + p * 300 + q * 75;
      const queue = node(`q${p}-${q}`, 460, y, { Queue: { message_ttl: null, max_length: null, dead_letter_exchange: '' } });
      const c = node(`c${p}-${q}`, 680, y, { Consumer: { processing_ms: 0, prefetch: 500, ack_mode: 'Manual', failure: 'None' } });
      edge(x, queue, 'QueueBinding');
      edge(queue, c, 'Consume');
    }
  }
  return { version: 1, topology: { nodes, edges, next_id: id, seed: 7 } };
}

/** 10 producers (100 messages/s each) -> one topic exchange -> 100 queues
 * bound with wildcard patterns -> 100 consumers: 211 nodes. */
function atScale() {
  const nodes = [];
  const edges = [];
  let id = 1;
  const node = (name, x, y, config) => { nodes.push({ id, name, x, y, config }); return id++; };
  const edge = (from, to, role, key = '') => edges.push({ id: id++, from, to, role, binding_key: key, arguments: '' });
  const x = node('events', 400, 1900, { Exchange: 'Topic' });
  const regions = ['eu', 'us', 'ap', 'sa', 'af'];
  for (let p = 0; p < 10; p++) {
    const key = `orders.${regions[p % 5]}.k${p}`;
    const prod = node(`p${p}`, 20, 100 + p * 380, { Producer: { routing_key: key, body: 'x', headers: '', rate: 100, burst: 1 } });
    edge(prod, x, 'Publish');
  }
  for (let q = 0; q < 100; q++) {
    // Four wildcard forms, each matching one producer's key: every message
    // is routed to 10 queues, 10,000 deliveries/s in all.
    const patterns = [`orders.*.k${q % 10}`, `*.*.k${q % 10}`, `#.k${q % 10}`, `orders.#.k${q % 10}`];
    const y = 20 + q * 38;
    const queue = node(`q${q}`, 800, y, { Queue: { message_ttl: null, max_length: null, dead_letter_exchange: '' } });
    const c = node(`c${q}`, 1100, y, { Consumer: { processing_ms: 0, prefetch: 50, ack_mode: 'Manual', failure: 'None' } });
    edge(x, queue, 'QueueBinding', patterns[q % 4]);
    edge(queue, c, 'Consume');
  }
  return { version: 1, topology: { nodes, edges, next_id: id, seed: 7 } };
}

const link = (doc) => encodeURIComponent(JSON.stringify(doc)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const encoded = encodeURIComponent(JSON.stringify(topology())).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
// A marker switch finds this browser's processes among any others running.
const MARKER = `--brokerlab-bench=${process.pid}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', MARKER],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(`${BASE}#/playground?s=${encoded}`);
await page.getByRole('group', { name: 'Consumer c3-3', exact: true }).waitFor();

const fps = (ms) => page.evaluate((ms) => new Promise((done) => {
  let frames = 0; let inFlight = 0; let samples = 0;
  const start = performance.now();
  const tick = () => {
    frames++; samples++; inFlight += Number(document.querySelector('[data-count]')?.dataset.count ?? 0);
    if (performance.now() - start < ms) requestAnimationFrame(tick);
    else done({ fps: frames * 1000 / (performance.now() - start), inFlight: inFlight / samples });
  };
  requestAnimationFrame(tick);
}), ms);

/** Frame intervals over `ms`: fps from the median interval, and the worst. */
const frames = (ms) => page.evaluate((ms) => new Promise((done) => {
  const gaps = [];
  let last = performance.now();
  const start = last;
  const tick = (now) => {
    gaps.push(now - last); last = now;
    if (now - start < ms) requestAnimationFrame(tick);
    else {
      gaps.sort((a, b) => a - b);
      done({ median: 1000 / gaps[Math.floor(gaps.length / 2)], worst: gaps.at(-1), over33: gaps.filter((g) => g > 33.4).length, count: gaps.length });
    }
  };
  requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
}), ms);

const processed = async () => Number((await page.getByLabel('Messages processed').innerText()).replace(/\D/g, ''));
const latency = () => page.evaluate(() => new Promise((done) => {
  const button = [...document.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === 'Zoom in');
  const start = performance.now();
  button.click();
  requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - start)));
}));
// The JS heap leaves out WebAssembly memory, so the resident size of every
// Chromium process is summed too (Linux only).
function chromiumRss() {
  const lines = execSync('ps -eo pid=,ppid=,rss=,args=').toString().trim().split('\n').map((l) => l.trim());
  const rows = lines.map((l) => l.split(/\s+/).slice(0, 3).map(Number));
  const tree = new Set(lines.filter((l) => l.includes(MARKER)).map((l) => Number(l.split(/\s+/)[0])));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of rows) if (tree.has(ppid) && !tree.has(pid)) { tree.add(pid); grew = true; }
  }
  return rows.filter(([pid]) => tree.has(pid)).reduce((sum, [, , rss]) => sum + rss * 1024, 0);
}
const memory = async () => ({
  heap: await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0),
  rss: chromiumRss(),
});

await page.getByRole('button', { name: 'Play' }).click();
await page.waitForTimeout(2000);
const smooth = await fps(5000);
console.log(`1x: ${smooth.fps.toFixed(1)} fps with ${smooth.inFlight.toFixed(0)} messages drawn in flight on 40 nodes`);

await page.getByLabel('Speed').selectOption({ label: 'Fastest' });
await page.waitForTimeout(1000);
const n0 = await processed(); const t0 = Date.now();
await page.waitForTimeout(5000);
const rate = (await processed() - n0) * 1000 / (Date.now() - t0);
const lags = [];
for (let i = 0; i < 10; i++) { lags.push(await latency()); await page.waitForTimeout(200); }
console.log(`fastest: ${Math.round(rate)} messages/s processed; input latency median ${lags.sort((a, b) => a - b)[5].toFixed(0)} ms, worst ${lags[9].toFixed(0)} ms`);

await page.goto(`${BASE}#/playground?s=${link(atScale())}`);
await page.reload();
await page.getByRole('group', { name: 'Consumer c99', exact: true }).waitFor();
await page.getByRole('button', { name: 'Reset view' }).click();
await page.getByRole('button', { name: 'Play' }).click();
await page.waitForTimeout(3000);
const scale = await frames(10_000);
console.log(`at scale (211 nodes, 1,000 messages/s, 1x): ${scale.median.toFixed(1)} fps (median frame), worst frame ${scale.worst.toFixed(0)} ms, ${scale.over33} of ${scale.count} frames over 33 ms`);

const samples = [];
for (let m = 0; m <= MINUTES * 2; m++) {
  const mem = await memory();
  samples.push(mem.rss);
  console.log(`${(m / 2).toFixed(1)} min: JS heap ${(mem.heap / 1e6).toFixed(1)} MB, Chromium resident ${(mem.rss / 1e6).toFixed(0)} MB, ${await processed()} processed`);
  if (m < MINUTES * 2) await page.waitForTimeout(30_000);
}
const growth = samples.length > 2 ? (samples.at(-1) - samples[1]) / 1e6 : 0;
console.log(`Chromium resident memory growth after the first half minute: ${growth.toFixed(1)} MB`);
await browser.close();
