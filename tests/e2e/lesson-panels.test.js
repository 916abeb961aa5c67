// A lesson's live panel beside its text: on 1280 and 1366 px laptops it sits
// beside the lesson, on a phone it is a sheet the "Try it" buttons open and
// Escape or its close button shut; the panel carries out the lesson's
// instructions by their names, and a binding changed in it changes where a
// message goes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, assertClean } from './support.js';
import { LessonPage } from './pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ROUTING = '#/course/routing-mechanics-the-four-exchanges';

for (const [width, height] of [[1280, 800], [1366, 768]]) {
  test(`at ${width}×${height} the live panel sits beside the lesson text, in view from the top`, async () => {
    const { page, problems, context } = await open(browser, ROUTING, { viewport: { width, height } });
    await new LessonPage(page).settled();
    const panel = page.getByRole('complementary', { name: 'Live scenarios' });
    await panel.getByRole('region', { name: 'Try it live: The four exchange types' }).waitFor();
    const prose = await page.getByRole('article').locator('.prose').boundingBox();
    const box = await panel.boundingBox();
    assert.ok(box.x >= prose.x + prose.width, `the panel (x=${box.x}) starts right of the text (ends ${prose.x + prose.width})`);
    assert.ok(box.y < height / 2, `the panel starts in the first screen (y=${box.y})`);
    assert.ok(box.x + box.width <= width, 'the panel fits the window');
    assert.ok(prose.width >= 520, `the text keeps a readable measure (${prose.width} px)`);
    // Beside the text there is nothing to open: the top "Try it" button is not shown.
    assert.equal(await page.getByRole('article').locator('.lesson-meta').getByRole('button', { name: 'Try it' }).isVisible(), false);

    // Scrolled down to the lesson's instruction, the panel is still in view beside it.
    const tryIt = page.getByRole('article').locator('.prose').getByRole('button', { name: 'Try it' });
    await tryIt.scrollIntoViewIfNeeded();
    const scrolled = await panel.boundingBox();
    assert.ok(scrolled.y >= 0 && scrolled.y < height / 2, `the panel stays in view (y=${scrolled.y})`);

    // A "Try it" button in the text moves focus into the panel.
    await tryIt.click();
    assert.equal(await panel.evaluate((el) => el.contains(document.activeElement)), true, 'focus moved into the panel');
    assert.equal(await page.getByRole('dialog').count(), 0, 'beside the text the panel is not a dialog');
    assertClean(problems);
    await context.close();
  });
}

test('on a phone the Try it button opens the panel as a sheet that is used and closed again', async () => {
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
  const { page, problems, context } = await open(browser, ROUTING, phone);
  await new LessonPage(page).settled();
  assert.equal(await page.getByRole('complementary', { name: 'Live scenarios' }).isVisible(), false, 'the panel waits to be opened');

  const tryIt = page.getByRole('article').locator('.prose').getByRole('button', { name: 'Try it' });
  await tryIt.scrollIntoViewIfNeeded();
  await tryIt.tap();
  const sheet = page.getByRole('dialog', { name: 'Live scenarios' });
  await sheet.waitFor();
  assert.equal(await sheet.getAttribute('aria-modal'), 'true');
  const close = sheet.getByRole('button', { name: 'Close the live panel' });
  assert.equal(await close.evaluate((el) => el === document.activeElement), true, 'focus starts on the close button');
  const box = await sheet.boundingBox();
  assert.ok(box.width <= 390 && box.y + box.height <= 844 + 1, 'the sheet fits the screen');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'nothing scrolls sideways');

  // It is used: the reader publishes a message the lesson's binding routes.
  const live = sheet.getByRole('region', { name: 'Try it live: The four exchange types' });
  await live.getByRole('combobox', { name: /^Exchange/ }).selectOption('topic-x');
  await live.getByRole('textbox', { name: 'Routing key' }).fill('eu.orders.shipped');
  await live.getByRole('textbox', { name: 'Body' }).fill('parcel');
  await live.getByRole('button', { name: 'Publish', exact: true }).tap();
  await live.getByRole('list', { name: 'What just happened' }).getByText('Published “eu.orders.shipped” to exchange topic-x: routed to eu-orders.').waitFor();

  // Tab stays inside the open sheet: past its end comes back to the close button.
  await live.getByRole('button', { name: 'Let 1 minute pass' }).focus();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const inside = await sheet.evaluate((el) => el.contains(document.activeElement));
    assert.equal(inside, true, 'focus stays in the sheet');
    if (await close.evaluate((el) => el === document.activeElement)) break;
  }
  assert.equal(await close.evaluate((el) => el === document.activeElement), true, 'tabbing past the end wraps to the close button');

  // Escape closes it and gives focus back to the button that opened it.
  await page.keyboard.press('Escape');
  await sheet.waitFor({ state: 'hidden' });
  assert.equal(await tryIt.evaluate((el) => el === document.activeElement), true, 'focus is back on Try it');

  // The button under the title opens it too, and the close button shuts it; the panel kept the reader's message.
  const top = page.getByRole('article').locator('.lesson-meta').getByRole('button', { name: 'Try it' });
  await top.tap();
  await sheet.waitFor();
  await live.getByRole('list', { name: 'Messages in queue eu-orders' }).getByText('parcel').waitFor();
  await close.tap();
  await sheet.waitFor({ state: 'hidden' });
  assert.equal(await top.evaluate((el) => el === document.activeElement), true, 'focus is back on the top Try it');
  assertClean(problems);
  await context.close();
});

test('the cluster lesson\'s "stop a broker" is carried out in its panel by name', async () => {
  const { page, problems, context } = await open(browser, '#/course/kafka-cluster-and-log-anatomy', { viewport: { width: 1366, height: 768 } });
  const lesson = await new LessonPage(page).waitFor('Kafka Cluster & Log Anatomy');
  const text = await lesson.text();
  assert.match(text, /Then stop a broker and see which partitions change leader\./);
  const live = page.getByRole('region', { name: 'Try it live: A topic is split into partitions' });
  const leaders = live.getByRole('list', { name: 'Leaders and owners' });
  await leaders.getByText('clicks-2: leader broker 0, in-sync replicas 0, 1').waitFor();

  await live.getByRole('group', { name: 'Kafka brokers' }).getByRole('button', { name: 'Crash broker 0' }).click();
  await live.getByRole('group', { name: 'Time' }).getByRole('button', { name: 'Let 10 seconds pass' }).click();
  await leaders.getByText('Broker 0 is down.').waitFor();
  await leaders.getByText('clicks-2: leader broker 1, in-sync replicas 1').waitFor();
  assert.equal(await leaders.getByText(/leader broker 0/).count(), 0, 'no partition is led by the stopped broker');
  // The stopped broker can be started again from the same place.
  await live.getByRole('group', { name: 'Kafka brokers' }).getByRole('button', { name: 'Restart broker 0' }).waitFor();
  assertClean(problems);
  await context.close();
});

test('a binding added and removed in the panel changes where a message goes', async () => {
  const { page, problems, context } = await open(browser, ROUTING, { viewport: { width: 1280, height: 800 } });
  await new LessonPage(page).settled();
  const live = page.getByRole('region', { name: 'Try it live: The four exchange types' });
  const bindings = live.getByRole('list', { name: 'Bindings' });
  await bindings.getByText('topic-x → eu-orders, key eu.orders.*').waitFor();
  const happened = live.getByRole('list', { name: 'What just happened' });
  const publish = async (key) => {
    await live.getByRole('combobox', { name: /^Exchange/ }).selectOption('topic-x');
    await live.getByRole('textbox', { name: 'Routing key' }).fill(key);
    await live.getByRole('button', { name: 'Publish', exact: true }).click();
  };

  // eu.orders.* takes exactly one more word, so a three-word tail reaches no queue.
  await publish('eu.orders.created.express');
  await happened.getByText('Published “eu.orders.created.express” to exchange topic-x: no queue matched.').waitFor();

  const add = live.getByRole('form', { name: 'Add a binding' });
  await add.getByRole('combobox', { name: /^Source exchange/ }).selectOption('topic-x');
  await add.getByRole('combobox', { name: /^Destination queue/ }).selectOption('all-logs');
  await add.getByRole('textbox', { name: 'Binding key' }).fill('eu.orders.#');
  await add.getByRole('button', { name: 'Add binding' }).click();
  await bindings.getByText('topic-x → all-logs, key eu.orders.#').waitFor();

  await publish('eu.orders.created.express');
  await happened.getByText('Published “eu.orders.created.express” to exchange topic-x: routed to all-logs.').waitFor();

  await bindings.getByRole('button', { name: 'Remove the binding eu.orders.# from topic-x to all-logs' }).click();
  await bindings.getByText('topic-x → all-logs, key eu.orders.#').waitFor({ state: 'detached' });
  await publish('eu.orders.created.express');
  await happened.getByText('Published “eu.orders.created.express” to exchange topic-x: no queue matched.').waitFor();
  assertClean(problems);
  await context.close();
});
