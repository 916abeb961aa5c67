// A lesson's live scenario: it runs on the engines beside the text, the
// reader can send a message of their own, and "Open in playground" carries
// the scenario to the full playground.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, assertClean } from './support.js';
import { LessonPage } from './pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the exchange-types lesson runs its scenario and routes the reader\'s own message', async () => {
  const { page, problems, context } = await open(browser, '#/course/routing-mechanics-the-four-exchanges');
  await new LessonPage(page).waitFor('Routing Mechanics: The 4 Exchanges');
  const live = page.getByRole('region', { name: 'Try it live: The four exchange types' });
  await live.waitFor();
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 0 of 7');

  await live.getByRole('button', { name: 'Step' }).click();
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 1 of 7');
  await live.getByRole('button', { name: 'Run to the end' }).click();
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 7 of 7');

  const euOrders = live.getByRole('list', { name: 'Messages in queue eu-orders' });
  assert.deepEqual(await euOrders.getByRole('listitem').allTextContents(), ['order from Berlin']);
  const errors = live.getByRole('list', { name: 'Messages in queue errors' });
  assert.deepEqual(await errors.getByRole('listitem').allTextContents(), ['disk full', 'broadcast']);

  // The reader publishes through the topic exchange with a key of their own.
  await live.getByRole('combobox', { name: 'Exchange' }).selectOption('topic-x');
  await live.getByRole('textbox', { name: 'Routing key' }).fill('order.eu.fr');
  await live.getByRole('textbox', { name: 'Body' }).fill('<b>order from Paris</b>');
  await live.getByRole('button', { name: 'Publish' }).click();
  await euOrders.getByText('<b>order from Paris</b>').waitFor();
  assert.deepEqual(await euOrders.getByRole('listitem').allTextContents(), ['order from Berlin', '<b>order from Paris</b>']);

  // A key the binding does not match reaches no queue.
  await live.getByRole('textbox', { name: 'Routing key' }).fill('order.us.ca');
  await live.getByRole('button', { name: 'Publish' }).click();
  const happened = live.getByRole('list', { name: 'What just happened' });
  await happened.getByText('Published “order.us.ca” to exchange topic-x: no queue matched.').waitFor();
  assert.equal(await euOrders.getByRole('listitem').count(), 2);

  const href = await live.getByRole('link', { name: 'Open in playground' }).getAttribute('href');
  assert.match(href, /^#\/playground\?s=1\./);
  await live.getByRole('link', { name: 'Open in playground' }).click();
  await page.getByRole('heading', { level: 1, name: /Playground/ }).waitFor();
  // The playground opens the same topology the lesson ran.
  for (const name of ['Queue eu-orders', 'Queue errors', 'Queue all-logs', 'Queue pdf-jobs']) {
    await page.getByRole('group', { name, exact: true }).waitFor();
  }
  assertClean(problems);
  await context.close();
});

test('a Kafka lesson shows records landing in partitions by key', async () => {
  const { page, problems, context } = await open(browser, '#/course/producers-partitioning-and-acks');
  await new LessonPage(page).waitFor('Producers, Partitioning, & ACKs');
  const live = page.getByRole('region', { name: /^Try it live/ }).first();
  await live.getByRole('button', { name: 'Run to the end' }).click();
  await live.getByRole('textbox', { name: 'Key' }).fill('user-42');
  await live.getByRole('textbox', { name: 'Body' }).fill('clicked');
  await live.getByRole('button', { name: 'Produce' }).click();
  await live.getByText(/user-42 → clicked/).waitFor();
  const holding = live.getByRole('list', { name: /^Records in partition / }).filter({ hasText: 'user-42 → clicked' });
  assert.equal(await holding.count(), 1, 'the record lands in exactly one partition');
  assertClean(problems);
  await context.close();
});

test('a lesson\'s scenario also runs on a small canvas where the reader publishes and inspects a message', async () => {
  const { page, problems, context } = await open(browser, '#/course/routing-mechanics-the-four-exchanges');
  await new LessonPage(page).waitFor('Routing Mechanics: The 4 Exchanges');
  const live = page.getByRole('region', { name: 'Try it live: The four exchange types' });
  const toggle = live.getByRole('button', { name: 'Watch it on a canvas' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.click();
  const canvas = live.getByRole('region', { name: 'Canvas' });
  await canvas.waitFor();
  for (const name of ['Direct exchange direct-x', 'Topic exchange topic-x', 'Queue errors', 'Queue eu-orders']) {
    await canvas.getByRole('group', { name, exact: true }).waitFor();
  }
  // It runs from the start, and the whole topology fits the column.
  assert.equal(await live.getByRole('button', { name: 'Pause' }).getAttribute('aria-pressed'), 'true');
  const fits = await canvas.evaluate((el) => [...el.querySelectorAll('[data-node]')].every((n) => {
    const [a, b] = [n.getBoundingClientRect(), el.getBoundingClientRect()];
    return a.left >= b.left - 1 && a.right <= b.right + 1;
  }));
  assert.equal(fits, true, 'every node is inside the canvas');

  await canvas.getByRole('button', { name: 'Publish from app' }).click();
  const errors = canvas.getByRole('list', { name: 'Messages in queue errors' });
  await errors.getByRole('button').first().waitFor();
  await errors.getByRole('button').first().click();
  const details = live.getByRole('region', { name: 'Message details' });
  await details.getByText(/published by app/).waitFor();
  assert.match(await details.innerText(), /enqueued in errors/);

  const width = async () => (await canvas.getByRole('group', { name: 'Queue errors', exact: true }).boundingBox()).width;
  const before = await width();
  await live.getByRole('button', { name: 'Zoom in' }).click();
  assert.ok((await width()) > before, 'zooming in makes the parts larger');

  await live.getByRole('button', { name: 'Hide the canvas' }).click();
  await canvas.waitFor({ state: 'detached' });
  assertClean(problems);
  await context.close();
});
