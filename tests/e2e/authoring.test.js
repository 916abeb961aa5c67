// Challenges beyond the course's list, as a learner and a teacher use them:
// an attempt survives a reload and travels as a link that opens in a new
// page with the attempt on the canvas; a challenge made from a canvas opens
// from its link showing the start, not the answer, and is solved there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, assertClean } from './support.js';
import { ChallengePlay } from './challenge-pages.js';
import { Playground } from './playground-pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const VIEWPORT = { viewport: { width: 1400, height: 1000 } };
const BILLING = 'Paid EU orders for billing';

test('an attempt is kept across a reload and its link opens the attempt in a new page', async () => {
  const { page, problems, context } = await open(browser, '#/playground?challenge=topic-billing', VIEWPORT);
  const play = await new ChallengePlay(page).waitFor(BILLING);
  await play.dragConnect('orders', 'Queue billing');
  await play.inspector.getByRole('heading', { name: 'Binding orders → billing' }).waitFor();
  await play.setField('Binding key', 'eu.#.order.paid');
  await play.canvas.getByText('eu.#.order.paid').first().waitFor();

  await page.reload();
  await play.waitFor(BILLING);
  await play.canvas.getByText('eu.#.order.paid').first().waitFor();

  await play.panelButton('Link with my attempt').click();
  const link = await play.panel.getByRole('textbox', { name: 'Link with your attempt' }).inputValue();
  assert.match(link, /#\/playground\?s=2\./);
  const other = await context.newPage();
  await other.goto(link);
  const shared = new ChallengePlay(other);
  await shared.waitFor('Playground');
  assert.match(await shared.panel.innerText(), new RegExp(BILLING));
  await shared.canvas.getByText('eu.#.order.paid').first().waitFor();
  assert.equal(await shared.check(), 'Solved! Every check passes.');

  // Reset forgets the kept attempt: a reload then opens the start.
  await play.panelButton('Reset').click();
  assert.equal(await play.canvas.getByText('eu.#.order.paid').count(), 0);
  await page.reload();
  await play.waitFor(BILLING);
  assert.match(await play.check(), /^Not solved yet/);
  assertClean(problems);
  await context.close();
});

test('a challenge made from a canvas opens from its link without the answer and is solved there', async () => {
  const { page, problems, context } = await open(browser, '#/playground', VIEWPORT);
  const playground = new Playground(page);
  await playground.canvas.waitFor();
  await playground.loadPreset('Routing with a topic exchange');
  await playground.node('Queue critical').waitFor();

  await page.getByRole('button', { name: 'Make a challenge' }).click();
  const maker = page.getByRole('complementary', { name: 'Make a challenge' });
  await maker.waitFor();
  // Nothing to make yet: the maker says what is missing.
  await maker.getByRole('button', { name: 'Make the challenge link' }).click();
  await maker.getByRole('alert').filter({ hasText: 'title and a goal' }).waitFor();

  await maker.getByRole('textbox', { name: 'Title' }).fill('Critical logs only');
  await maker.getByRole('textbox', { name: 'Goal' }).fill('Bind critical so it gets every critical log and nothing else.');
  await maker.getByRole('combobox', { name: 'Message 1 goes to' }).selectOption({ label: 'exchange logs' });
  await maker.getByRole('textbox', { name: 'Message 1 key' }).fill('auth.critical');
  await maker.getByRole('textbox', { name: 'Message 1 body' }).fill('login failed');
  await maker.getByRole('button', { name: 'Add a test message' }).click();
  await maker.getByRole('textbox', { name: 'Message 2 key' }).fill('db.info');
  await maker.getByRole('textbox', { name: 'Message 2 body' }).fill('slow query');
  await maker.getByRole('checkbox', { name: 'What queue critical holds at the end' }).check();
  await maker.getByRole('combobox', { name: 'Topic exchange logs' }).selectOption({ label: 'Given and locked' });
  await maker.getByRole('textbox', { name: 'Hint 1' }).fill('A star matches one word.');
  await maker.getByRole('button', { name: 'Make the challenge link' }).click();
  const made = maker.getByRole('status');
  await made.getByText(/^Made\. Your canvas passes all \d+ checks; the start fails 1 of them\.$/).waitFor();
  const link = await maker.getByRole('textbox', { name: 'Challenge link' }).inputValue();

  const other = await context.newPage();
  await other.goto(link);
  const play = new ChallengePlay(other);
  await play.waitFor('Playground');
  assert.match(await play.panel.innerText(), /Critical logs only/);
  assert.match(await play.panel.innerText(), /Goal: Bind critical so it gets every critical log/);
  assert.equal(await play.panelButton('Show solution').count(), 0, 'a made challenge carries no answer');
  assert.equal(await play.canvas.getByText('*.critical').count(), 0, 'the start leaves the bindings out');
  assert.match(await play.node('Topic exchange logs').innerText(), /locked/);
  assert.match(await play.check(), /^Not solved yet/);
  await play.panelButton('Show a hint').click();
  assert.deepEqual(await play.hintTexts(), ['A star matches one word.']);

  // An over-broad binding lets the info log through and fails with it named.
  await play.dragConnect('logs', 'Queue critical');
  await play.inspector.getByRole('heading', { name: 'Binding logs → critical' }).waitFor();
  await play.setField('Binding key', '#');
  assert.match(await play.check(), /^Not solved yet/);
  assert.ok((await play.resultTexts()).some((r) => r.startsWith('Failed') && r.includes('slow query')));
  await play.setField('Binding key', '*.critical');
  assert.equal(await play.check(), 'Solved! Every check passes.');
  assertClean(problems);
  await context.close();
});
