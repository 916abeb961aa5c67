// The course: progress that survives a reload and travels as a file, a clear
// word when it cannot be kept, and search over every lesson's text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, open, assertClean, BASE } from './support.js';
import { CoursePage } from './pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const overall = (page) => page.getByText(/^\d+ \/ \d+ read$/).first();

test('marking a lesson read shows in its module and overall, and survives a reload', async () => {
  const { page, problems, context } = await open(browser);
  const course = await new CoursePage(page).waitUntilShown();
  const module = course.module('Module 2: Apache Kafka');
  assert.match(await module.getByText(/^\d+ \/ \d+ read$/).textContent(), /^0 \/ 7 read$/);
  const before = await overall(page).textContent();
  assert.match(before, /^0 \/ \d+ read$/);

  const lesson = await course.openLesson('Consumers & Consumer Groups');
  const mark = page.getByRole('button', { name: 'Mark as read' });
  assert.equal(await mark.getAttribute('aria-pressed'), 'false');
  await mark.click();
  assert.equal(await mark.getAttribute('aria-pressed'), 'true');
  await lesson.goToCourse();
  await course.waitUntilShown();
  assert.match(await module.getByText(/^\d+ \/ \d+ read$/).textContent(), /^1 \/ 7 read$/);

  await page.reload();
  await course.waitUntilShown();
  assert.match(await course.module('Module 2: Apache Kafka').getByText(/^\d+ \/ \d+ read$/).textContent(), /^1 \/ 7 read$/);
  assert.match(await overall(page).textContent(), /^1 \/ \d+ read$/);
  assert.equal(await page.getByRole('progressbar', { name: 'Overall progress' }).getAttribute('value'), '1');
  assertClean(problems);
  await context.close();
});

test('progress exports to a file and imports back into a fresh browser', async () => {
  const first = await open(browser, '#/course/push-vs-pull-models');
  await first.page.getByRole('button', { name: 'Mark as read' }).click();
  await first.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Course' }).click();
  const download = first.page.waitForEvent('download');
  await first.page.getByRole('button', { name: 'Export progress' }).click();
  // The browser context deletes its downloads when it closes; keep a copy.
  const file = join(await mkdtemp(join(tmpdir(), 'brokerlab-')), 'brokerlab-progress.json');
  await (await download).saveAs(file);
  const exported = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(exported.read, ['push-vs-pull-models']);
  await first.context.close();

  const second = await open(browser);
  const course = await new CoursePage(second.page).waitUntilShown();
  assert.match(await overall(second.page).textContent(), /^0 \//);
  await second.page.getByLabel('Import progress').setInputFiles(file);
  await second.page.getByText('Progress imported: 1 lessons marked as read, 0 challenges solved.').waitFor();
  assert.match(await course.module('Module 1: Broker Foundations').getByText(/^\d+ \/ \d+ read$/).textContent(), /^1 \/ 4 read$/);

  await second.page.getByLabel('Import progress').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  const alert = second.page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /not a Brokerlab progress file/);
  assert.match(await overall(second.page).textContent(), /^1 \//, 'a bad file loses nothing');
  assertClean(second.problems);
  await second.context.close();
});

test('when storage is unavailable the course still works and says progress will not be kept', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Storage.prototype.setItem = () => { throw new DOMException('quota', 'QuotaExceededError'); };
  });
  const page = await context.newPage();
  await page.goto(BASE + '#/course/why-asynchronous-messaging');
  const mark = page.getByRole('button', { name: 'Mark as read' });
  await mark.click();
  assert.equal(await mark.getAttribute('aria-pressed'), 'true');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Course' }).click();
  await page.getByText(/progress will not be kept after this visit/).waitFor();
  assert.match(await overall(page).textContent(), /^1 \//);
  await context.close();
});

test('search finds a lesson by a word from its body and opens it', async () => {
  const { page, problems, context } = await open(browser);
  await new CoursePage(page).waitUntilShown();
  const box = page.getByRole('searchbox', { name: 'Search the course' });
  await box.fill('sendfile');
  const results = page.getByRole('list', { name: 'Search results' });
  const hit = results.getByRole('link', { name: 'Kafka Performance Secrets: Zero-Copy & Page Cache' });
  await hit.waitFor();
  await hit.click();
  await page.getByRole('heading', { level: 1, name: 'Kafka Performance Secrets: Zero-Copy & Page Cache' }).waitFor();

  await page.goBack();
  await page.getByRole('searchbox', { name: 'Search the course' }).fill('xylophone');
  await page.getByText('No lessons match “xylophone”.').waitFor();
  assertClean(problems);
  await context.close();
});

test('on a phone a lesson reads without sideways scrolling, its lab opens in a sheet and works by touch', async () => {
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
  const { page, problems, context } = await open(browser, '', phone);
  const course = await new CoursePage(page).waitUntilShown();
  const fitsTheScreen = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth <= 390);
  assert.equal(await fitsTheScreen(), true, 'the course page fits a phone screen');

  await course.module('Module 4: Distributed Patterns').getByRole('link', { name: 'Transactional Outbox Pattern', exact: true }).tap();
  await page.getByRole('heading', { level: 1, name: 'Transactional Outbox Pattern' }).waitFor();
  await page.getByRole('article').locator('.prose').waitFor();
  assert.equal(await fitsTheScreen(), true, 'the lesson, its code and its tables fit a phone screen');

  // Narrow screens keep the live panel in a sheet the text's "Try it" button opens.
  assert.equal(await page.getByRole('complementary', { name: 'Live scenarios' }).isVisible(), false);
  await page.getByRole('article').locator('.prose').getByRole('button', { name: 'Try it' }).tap();
  const sheet = page.getByRole('dialog', { name: 'Live scenarios' });
  await sheet.waitFor();
  assert.ok((await sheet.boundingBox()).width <= 390, 'the sheet fits the screen');

  const lab = sheet.getByRole('region', { name: 'Lab: Transactional outbox against the dual write' });
  await lab.getByRole('button', { name: 'Place an order' }).tap();
  await lab.getByRole('status').getByText('The checkout took order-0.').waitFor();
  await lab.getByRole('button', { name: 'Heal and settle' }).tap();
  await lab.getByRole('status').getByText(/until everything settled/).waitFor();
  const published = lab.getByRole('table', { name: 'Database and topic' }).getByRole('row', { name: /^Orders with an event/ });
  assert.deepEqual((await published.getByRole('cell').allTextContents()).map((t) => t.trim()), ['1', '1']);
  await sheet.getByRole('button', { name: 'Close the live panel' }).tap();
  await sheet.waitFor({ state: 'hidden' });

  const mark = page.getByRole('button', { name: 'Mark as read' });
  await mark.tap();
  assert.equal(await mark.getAttribute('aria-pressed'), 'true');
  assertClean(problems);
  await context.close();
});
