// Challenges, played as a learner plays them: the list by module, a
// challenge opened beside its panel, Check on the start with its reasons,
// one solved with the mouse, one with the keyboard alone and one with the
// inspector's Kafka settings, the hints one
// at a time, the reference solution (which passes but is not recorded), the
// solved state surviving a reload, and a challenge link in a new page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, assertClean, BASE } from './support.js';
import { ChallengesPage, Shell } from './pages.js';
import { ChallengePlay } from './challenge-pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const VIEWPORT = { viewport: { width: 1400, height: 1000 } };
const BILLING = 'Paid EU orders for billing';

async function openChallenge(id, title) {
  const { page, problems, context } = await open(browser, `#/playground?challenge=${id}`, VIEWPORT);
  const play = new ChallengePlay(page);
  await play.waitFor(title);
  return { page, problems, context, play };
}

/** Binds billing to orders with the key it needs, with the mouse. */
async function bindBillingWithTheMouse(play) {
  await play.dragConnect('orders', 'Queue billing');
  await play.inspector.getByRole('heading', { name: 'Binding orders → billing' }).waitFor();
  await play.setField('Binding key', 'eu.#.order.paid');
}

test('the challenges page lists every challenge by module with its level and what is solved', async () => {
  const { page, problems, context } = await open(browser, '', VIEWPORT);
  const list = await new Shell(page).goToChallenges();
  assert.equal(await list.currentNavItem(), 'Challenges');
  for (const module of ['Foundations', 'Apache Kafka', 'RabbitMQ', 'Patterns', 'Kafka vs RabbitMQ']) {
    assert.match(await list.moduleSolved(module), /^0 \/ [1-9]\d* solved$/, module);
  }
  assert.equal(await list.overall(), 'Overall: 0 / 29 solved');
  assert.match(await list.item(BILLING).innerText(), /Level 2/);
  for (const title of [BILLING, 'Payments survive a restart', 'No payment lost to a crash']) {
    assert.doesNotMatch(await list.item(title).innerText(), /command line/, `${title} is finished on the canvas`);
  }
  assert.equal(await list.module('RabbitMQ').getByRole('link', { name: BILLING }).count(), 1, 'billing is a RabbitMQ challenge');

  // A lesson links the challenges that practise it.
  await page.goto(BASE + '#/course/routing-mechanics-the-four-exchanges');
  const practise = page.getByRole('complementary', { name: 'Practise this' });
  await practise.getByRole('link', { name: BILLING }).click();
  await new ChallengePlay(page).waitFor(BILLING);
  assertClean(problems);
  await context.close();
});

test('checking the start lists each failed check with its reason, and locked parts stay', async () => {
  const { page, problems, context, play } = await openChallenge('topic-billing', BILLING);
  assert.match(await play.panel.innerText(), /Goal: Bind billing so it receives every paid EU order/);
  assert.match(await play.check(), /^Not solved yet: \d+ of \d+ checks pass\.$/);
  const results = await play.resultTexts();
  const failed = results.find((r) => r.startsWith('Failed') && r.includes('order 1 paid'));
  assert.ok(failed, `a failed check names the missing message: ${JSON.stringify(results)}`);
  assert.ok(results.some((r) => r.startsWith('Passed')), 'locked parts left as given pass');

  // A locked part says so and can be neither deleted nor renamed.
  assert.match(await play.node('Queue warehouse').innerText(), /locked/);
  await play.select('Queue warehouse');
  assert.ok(await play.inspector.getByRole('button', { name: 'Delete Queue warehouse' }).isDisabled());
  assert.equal(await play.field('Name').getAttribute('readonly'), '');
  await page.keyboard.press('Delete');
  assert.deepEqual((await play.nodeTitles()).filter((t) => t === 'Queue warehouse'), ['Queue warehouse']);
  assertClean(problems);
  await context.close();
});

test('a routing challenge solved with the mouse is recorded and still solved after a reload', async () => {
  const { page, problems, context, play } = await openChallenge('topic-billing', BILLING);
  await bindBillingWithTheMouse(play);
  assert.equal(await play.check(), 'Solved! Every check passes.');
  assert.ok((await play.resultTexts()).every((r) => r.startsWith('Passed')));
  assert.match(await play.panel.innerText(), /✓ Solved/);

  const list = await play.goToChallenges();
  assert.match(await list.moduleSolved('RabbitMQ'), /^1 \/ \d+ solved$/);
  assert.equal(await list.overall(), 'Overall: 1 / 29 solved');
  await page.reload();
  await list.waitUntilShown();
  assert.match(await list.item(BILLING).innerText(), /✓ solved/);
  assert.equal(await list.overall(), 'Overall: 1 / 29 solved');
  assertClean(problems);
  await context.close();
});

test('a dead-lettering challenge solved with the keyboard alone', async () => {
  const { page, problems, context, play } = await openChallenge('poison-dlq', 'Park the poison message');
  const kb = page.keyboard;
  await play.tabTo('Queue work');
  await kb.press('Enter');
  await play.inspector.getByRole('heading', { name: 'Queue work', exact: true }).waitFor();
  await play.tabTo('Dead-letter exchange');
  await kb.press('Control+a');
  await kb.type('dead-letters');
  await kb.press('Enter');
  await play.tabTo('Check');
  await kb.press('Enter');
  assert.equal(await play.summary(), 'Solved! Every check passes.');
  const list = await play.goToChallenges();
  assert.match(await list.moduleSolved('Patterns'), /^1 \/ \d+ solved$/);
  assertClean(problems);
  await context.close();
});

test('a Kafka durability challenge is solved with the inspector’s settings, and a bad number is refused beside its field', async () => {
  const { page, problems, context } = await open(browser, '#/challenges', VIEWPORT);
  const title = 'No payment lost to a crash';
  const list = await new ChallengesPage(page).waitUntilShown();
  await list.link(title).click();
  const play = await new ChallengePlay(page).waitFor(title);
  assert.doesNotMatch(await play.panel.innerText(), /command line|cannot change/);
  assert.match(await play.check(), /^Not solved yet/);

  // The producer waits for every in-sync replica.
  await play.select('Producer bank');
  const acks = play.field('acks');
  assert.equal(await acks.inputValue(), '1', 'the start acknowledges on the leader alone');
  await acks.selectOption({ label: 'all (every in-sync replica has it)' });
  assert.ok(await play.field('Idempotent (enable.idempotence)').isChecked(), 'idempotence follows acks=all');

  // The topic keeps three copies, two of them in sync; a bad number first.
  await play.select('Topic payments');
  await play.setField('Replication factor', '12');
  const factor = play.field('Replication factor');
  assert.equal(await factor.getAttribute('aria-invalid'), 'true');
  const why = play.inspector.getByText('The replication factor must be from 1 to 9.');
  await why.waitFor();
  assert.equal(await why.getAttribute('id'), await factor.getAttribute('aria-describedby'), 'the reason describes the field');
  await play.setField('Replication factor', '3');
  assert.equal(await factor.getAttribute('aria-invalid'), null);
  assert.equal(await why.count(), 0, 'the reason goes once the value is accepted');
  await play.setField('Min in-sync replicas', '2');

  assert.equal(await play.check(), 'Solved! Every check passes.');
  assert.ok((await play.resultTexts()).every((r) => r.startsWith('Passed')));
  assert.match(await play.panel.innerText(), /✓ Solved/);
  await page.reload();
  await play.waitFor(title);
  await play.select('Producer bank');
  assert.equal(await play.field('acks').inputValue(), 'all', 'a reload keeps the learner’s attempt');
  assert.equal(await play.check(), 'Solved! Every check passes.');
  assertClean(problems);
  await context.close();
});

test('a vhost challenge is solved by building parts in a second vhost, which their cards show', async () => {
  const title = 'Keep staging out of production';
  const { page, problems, context, play } = await openChallenge('vhost-isolation', title);
  const addIn = async (part, heading, name) => {
    await play.part(part).click();
    await play.inspector.getByRole('heading', { name: heading, exact: true }).waitFor();
    await play.setField('Vhost', 'staging');
    await play.setField('Name', name);
  };
  await addIn('Fanout exchange', 'Fanout exchange x1', 'orders');
  await addIn('Queue', 'Queue q1', 'orders');
  const exchange = 'Fanout exchange orders in vhost staging';
  const queue = 'Queue orders in vhost staging';
  assert.match(await play.node(queue).innerText(), /vhost staging/);
  assert.doesNotMatch(await play.node('Queue orders').innerText(), /vhost/, 'a part in / says nothing');

  // A binding stays inside one vhost.
  await page.getByLabel('Connect from', { exact: true }).selectOption({ label: exchange });
  await page.getByLabel('Connect to', { exact: true }).selectOption({ label: 'Queue orders' });
  await play.button('Connect').click();
  await page.getByText('are in different vhosts, and a binding stays inside one vhost.').waitFor();
  await page.getByLabel('Connect to', { exact: true }).selectOption({ label: queue });
  await play.button('Connect').click();
  await play.inspector.getByRole('heading', { name: 'Binding orders → orders' }).waitFor();

  assert.equal(await play.check(), 'Solved! Every check passes.');
  assert.ok((await play.resultTexts()).every((r) => r.startsWith('Passed')));
  assertClean(problems);
  await context.close();
});

test('hints come one at a time; the shown solution passes but only the learner’s own canvas is recorded', async () => {
  const { page, problems, context, play } = await openChallenge('topic-billing', BILLING);
  const hint = play.panelButton('Show a hint');
  assert.deepEqual(await play.hintTexts(), []);
  await hint.click();
  assert.equal((await play.hintTexts()).length, 1);
  assert.match((await play.hintTexts())[0], /word by word/);
  await hint.click();
  assert.equal((await play.hintTexts()).length, 2);
  await hint.click();
  assert.match((await play.hintTexts())[2], /eu\.#\.order\.paid/);
  assert.ok(await hint.isDisabled(), 'no fourth hint');

  await play.panelButton('Show solution').click();
  await play.canvas.getByText('eu.#.order.paid').first().waitFor();
  assert.match(await play.check(), /^Every check passes on the reference solution\. That is not recorded as solved/);
  assert.ok((await play.resultTexts()).every((r) => r.startsWith('Passed')));
  assert.doesNotMatch(await play.panel.innerText(), /✓ Solved/);
  const list = await play.goToChallenges();
  assert.equal(await list.overall(), 'Overall: 0 / 29 solved');

  await list.link(BILLING).click();
  await play.waitFor(BILLING);
  assert.match(await play.check(), /^Not solved yet/, 'the page opens on the start again');
  await play.panelButton('Show solution').click();
  await play.panelButton('Reset').click();
  assert.equal(await play.canvas.getByText('eu.#.order.paid').count(), 0, 'Reset brings the start back');
  await bindBillingWithTheMouse(play);
  assert.equal(await play.check(), 'Solved! Every check passes.');
  assert.equal(await (await play.goToChallenges()).overall(), 'Overall: 1 / 29 solved');
  assertClean(problems);
  await context.close();
});

test('a challenge link opens in a new page', async () => {
  const { page, problems, context } = await open(browser, '#/challenges', VIEWPORT);
  const list = await new ChallengesPage(page).waitUntilShown();
  const [popup] = await Promise.all([context.waitForEvent('page'), list.link(BILLING).click({ modifiers: ['Control'] })]);
  const play = new ChallengePlay(popup);
  await play.waitFor(BILLING);
  assert.match(popup.url(), /#\/playground\?challenge=topic-billing$/);
  assert.match(await play.check(), /^Not solved yet/);
  assertClean(problems);
  await context.close();
});
