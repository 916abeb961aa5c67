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

/** Runs a live scenario to its end, skipping the questions it stops at. */
async function runToEnd(live) {
  for (let i = 0; i < 10; i++) {
    const skip = live.getByRole('button', { name: 'Skip the question' });
    if (await skip.isVisible()) { await skip.click(); continue; }
    const run = live.getByRole('button', { name: 'Run to the end' });
    if (await run.isDisabled()) return;
    await run.click();
  }
}

test('a live scenario asks for a prediction before its step and sets what happened beside it', async () => {
  const { page, problems, context } = await open(browser, '#/course/routing-mechanics-the-four-exchanges');
  await new LessonPage(page).waitFor('Routing Mechanics: The 4 Exchanges');
  const live = page.getByRole('region', { name: 'Try it live: The four exchange types' });
  await live.getByRole('button', { name: 'Run to the end' }).click();
  // The run stops before the fanout publish and asks.
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 2 of 7');
  const fanout = live.getByRole('group', { name: /Which queues receive it\?/ }).first();
  await fanout.waitFor();
  assert.match(await fanout.textContent(), /Predict before step 3 runs/);
  assert.equal(await live.getByRole('button', { name: 'Run to the end' }).isDisabled(), true);

  // Asking without an answer says so and runs nothing.
  await live.getByRole('button', { name: 'Run and compare' }).click();
  await live.getByRole('alert').filter({ hasText: 'Pick an answer first' }).waitFor();
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 2 of 7');

  // A right prediction: the fanout copies to both bound queues.
  await fanout.getByRole('checkbox', { name: 'all-logs' }).check();
  await fanout.getByRole('checkbox', { name: 'errors' }).check();
  await live.getByRole('button', { name: 'Run and compare' }).click();
  const result = live.getByRole('region', { name: 'Your prediction and what happened' });
  await result.getByRole('heading', { name: 'Your prediction was right.' }).waitFor();
  assert.match(await result.textContent(), /A fanout exchange ignores the routing key/);
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 3 of 7');

  // The next question comes at once; a wrong prediction shows what the engines did instead.
  const topic = live.getByRole('group', { name: /eu\.orders\.created/ });
  await topic.getByRole('checkbox', { name: 'all-logs' }).check();
  await live.getByRole('button', { name: 'Run and compare' }).click();
  await result.getByRole('heading', { name: 'Not what happened.' }).waitFor();
  const rows = await result.getByRole('listitem').allTextContents();
  assert.ok(rows.some((r) => r.includes('eu-orders') && r.includes('Happened, but you did not predict it')), rows.join('\n'));
  assert.ok(rows.some((r) => r.includes('all-logs') && r.includes('Did not happen, but you predicted it')
    && r.includes('is not in all-logs')), rows.join('\n'));
  const euOrders = live.getByRole('list', { name: 'Messages in queue eu-orders' });
  assert.deepEqual(await euOrders.getByRole('listitem').allTextContents(), ['order from Berlin']);

  // The answers are kept: after a reload the same question recalls the last one.
  await page.reload();
  const again = page.getByRole('region', { name: 'Try it live: The four exchange types' });
  await again.getByRole('button', { name: 'Run to the end' }).click();
  await again.getByText('Last time you answered: all-logs; errors').waitFor();
  assertClean(problems);
  await context.close();
});

test('the exchange-types lesson runs its scenario and routes the reader\'s own message', async () => {
  const { page, problems, context } = await open(browser, '#/course/routing-mechanics-the-four-exchanges');
  await new LessonPage(page).waitFor('Routing Mechanics: The 4 Exchanges');
  const live = page.getByRole('region', { name: 'Try it live: The four exchange types' });
  await live.waitFor();
  assert.equal(await live.getByText(/^Runs as RabbitMQ/).textContent(), 'Runs as RabbitMQ 4.3 (4.3.5)', 'the panel names the release it runs as');
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 0 of 7');

  await live.getByRole('button', { name: 'Step' }).click();
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 1 of 7');
  await runToEnd(live);
  assert.equal(await live.getByText(/^Step \d+ of \d+$/).textContent(), 'Step 7 of 7');

  const euOrders = live.getByRole('list', { name: 'Messages in queue eu-orders' });
  assert.deepEqual(await euOrders.getByRole('listitem').allTextContents(), ['order from Berlin']);
  const errors = live.getByRole('list', { name: 'Messages in queue errors' });
  assert.deepEqual(await errors.getByRole('listitem').allTextContents(), ['disk full', 'broadcast']);

  // The reader publishes through the topic exchange with a key of their own.
  await live.getByRole('combobox', { name: /^Exchange/ }).selectOption('topic-x');
  await live.getByRole('textbox', { name: 'Routing key' }).fill('eu.orders.paid');
  await live.getByRole('textbox', { name: 'Body' }).fill('<b>order from Paris</b>');
  await live.getByRole('button', { name: 'Publish', exact: true }).click();
  await euOrders.getByText('<b>order from Paris</b>').waitFor();
  assert.deepEqual(await euOrders.getByRole('listitem').allTextContents(), ['order from Berlin', '<b>order from Paris</b>']);

  // A key the binding does not match reaches no queue.
  await live.getByRole('textbox', { name: 'Routing key' }).fill('us.orders.paid');
  await live.getByRole('button', { name: 'Publish', exact: true }).click();
  const happened = live.getByRole('list', { name: 'What just happened' });
  await happened.getByText('Published “us.orders.paid” to exchange topic-x: no queue matched.').waitFor();
  assert.equal(await euOrders.getByRole('listitem').count(), 2);

  const href = await live.getByRole('link', { name: 'Open in playground' }).getAttribute('href');
  assert.match(href, /^#\/playground\?s=2\./);
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
  await runToEnd(live);
  assert.equal(await live.getByText(/^Runs as RabbitMQ/).count(), 0, 'a Kafka-only scenario names no RabbitMQ release');
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
