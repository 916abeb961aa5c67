// The Kafka protocols' state on the playground's cards, read as a person
// reads it: a consumer group going through its rebalance phases when a
// member is added, a producer's retry waiting while the ISR is below
// min.insync.replicas and succeeding once the followers are back, a
// transactional producer's transaction state, and a share group's records
// changing state as share consumers acquire and acknowledge them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, assertClean } from './support.js';
import { Playground } from './playground-pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const VIEWPORT = { viewport: { width: 1400, height: 1000 } };

async function openPlayground() {
  const { page, problems, context } = await open(browser, '#/playground', VIEWPORT);
  const pg = new Playground(page);
  await pg.waitUntilShown();
  await pg.canvas.waitFor();
  const connect = async (from, to) => {
    await page.getByLabel('Connect from', { exact: true }).selectOption({ label: from });
    await page.getByLabel('Connect to', { exact: true }).selectOption({ label: to });
    await pg.button('Connect').click();
  };
  const add = async (...parts) => {
    for (const part of parts) await pg.part(part).click();
  };
  return { page, problems, context, pg, connect, add };
}

/** Plays at 20× until `done()` holds, then pauses. */
async function runUntil(page, pg, done, what) {
  await page.getByLabel('Speed').selectOption({ label: '20×' });
  await pg.button('Play').click();
  for (let i = 0; i < 300 && !(await done()); i += 1) await page.waitForTimeout(50);
  await pg.button('Pause').click();
  assert.ok(await done(), what);
}

const cardText = (pg, title) => pg.node(title).innerText();

test('adding a consumer takes the group through its rebalance phases, with its coordinator and partitions', async () => {
  const { page, problems, context, pg, connect, add } = await openPlayground();
  await add('Kafka broker', 'Topic', 'Consumer group', 'Consumer');
  await connect('Topic t1', 'Consumer group g1');
  await connect('Consumer c1', 'Consumer group g1');
  await pg.step(2);
  await pg.node('Consumer group g1').getByText('Stable, generation 1').waitFor();
  assert.match(await cardText(pg, 'Consumer group g1'), /Coordinator: broker 0 \(__consumer_offsets-\d+\)/);
  assert.deepEqual(await pg.listTexts('Members of group g1'), ['c1: t1-0 t1-1']);

  // A second member: the new run's group goes through the coordinator's
  // phases again, one step at a time.
  await add('Consumer');
  await connect('Consumer c2', 'Consumer group g1');
  await pg.step(1);
  await pg.node('Consumer group g1').getByText(/^Rebalancing: waiting for members to join \(1 of 2 joined/).waitFor();
  await pg.step(1);
  await pg.node('Consumer group g1').getByText('Stable, generation 2').waitFor();
  assert.deepEqual(await pg.listTexts('Members of group g1'), ['c1: t1-0', 'c2: t1-1']);
  assert.match(await cardText(pg, 'Consumer c2'), /generation 2/);
  const log = await pg.log.innerText();
  for (const line of [
    'g1: Rebalancing: waiting for members to join',
    "g1: Rebalancing: waiting for the leader's assignment",
    'g1: Stable, generation 2',
    'c1 gave up t1-0 t1-1',
  ]) {
    assert.ok(log.includes(line), `the log records "${line}"`);
  }
  assertClean(problems);
  await context.close();
});

test('a produce to a partition whose leader is down says so in the log, and a share link says it leaves the run out', async () => {
  const { problems, context, pg, connect, add } = await openPlayground();
  await add('Kafka broker', 'Producer', 'Topic');
  await connect('Producer p1', 'Topic t1');
  await pg.button('Crash broker 0').click();
  await pg.select('Producer p1');
  await pg.button('Publish from p1').click();
  await pg.log.getByText(/p1 cannot send 1 record to t1-\d: its leader, broker 0, is down; they wait in its accumulator/).waitFor();

  // Shared now, the link says what of the run it leaves out.
  await pg.step(3);
  await pg.button('Share').click();
  await pg.page.getByRole('status').filter({
    hasText: 'Link copied. Anyone who opens it gets this playground. It carries the canvas, not the run: it opens at 0 s, not at 0.3 s, and broker 0, down now, running.',
  }).waitFor();
  assertClean(problems);
  await context.close();
});

test('acks=all below min.insync.replicas: a retry waits with its error and next attempt, and succeeds after a restart', async () => {
  const { page, problems, context, pg, connect, add } = await openPlayground();
  await add('Kafka broker', 'Kafka broker', 'Kafka broker', 'Producer', 'Topic');
  await connect('Producer p1', 'Topic t1');
  await pg.select('Topic t1');
  await pg.setField('Partitions', '1');
  await pg.setField('Replication factor', '3');
  await pg.setField('Min in-sync replicas', '2');
  const caption = pg.partitionCaption('t1', 0);
  await caption.getByText(/ISR \d,\d,\d/).waitFor();
  const leader = Number((await caption.innerText()).match(/leader (\d)/)[1]);
  const followers = [0, 1, 2].filter((b) => b !== leader);
  for (const b of followers) await pg.button(`Crash broker ${b}`).click();
  // Out of the ISR once the controller fences them (broker.session.timeout.ms, 9 s).
  await runUntil(page, pg, async () => (await caption.innerText()).includes(`ISR ${leader} `), 'the followers are fenced out of the ISR');

  await pg.button('Publish from p1').click();
  const flights = 'Unsent and unacknowledged records of p1';
  await pg.page.getByRole('list', { name: flights }).waitFor();
  // The record waits linger.ms (5 ms, Kafka 4's default) in the accumulator, then is sent and refused.
  const retrying = async () => (await pg.listTexts(flights)).join('\n').includes('NotEnoughReplicas');
  await runUntil(page, pg, retrying, 'the first attempt is refused with NotEnoughReplicas');
  const retry = (await pg.listTexts(flights)).join('\n');
  assert.match(retry, /^t1-0: retry \d+ of \d+, NotEnoughReplicas, next (in \d+ ms|attempt due) \(delivery timeout at [\d.]+ s\)$/m);
  await pg.step(3);
  assert.match((await pg.listTexts(flights)).join('\n'), /NotEnoughReplicas/, 'it keeps retrying while the ISR is short');
  assert.match(await caption.innerText(), /HW 0/, 'nothing is written yet');
  // Why it waits: the card's partition opens an explanation of the failed write.
  await pg.page.getByRole('list', { name: 'Partitions p1 waits on' }).getByRole('button', { name: 't1-0' }).click();
  await pg.messageDetails.getByRole('heading', { name: 'What p1 waits for on t1-0' }).waitFor();
  assert.match(await pg.messageDetails.innerText(), /attempt \d+ failed with NotEnoughReplicas/);
  assert.match(await pg.messageDetails.innerText(), /in-sync replicas \d of 3/);

  for (const b of followers) await pg.button(`Restart broker ${b}`).click();
  const settled = async () => (await pg.page.getByRole('list', { name: flights }).count()) === 0;
  await runUntil(page, pg, settled, 'the retry succeeds once the followers are back in the ISR');
  assert.match(await caption.innerText(), /HW 1$/, 'the record is written once');
  assertClean(problems);
  await context.close();
});

test('a transactional producer shows its transaction state and coordinator, a read_committed member its last stable offsets', async () => {
  const { problems, context, pg, connect, add } = await openPlayground();
  await add('Kafka broker', 'Producer', 'Topic', 'Consumer group', 'Consumer');
  await connect('Producer p1', 'Topic t1');
  await connect('Topic t1', 'Consumer group g1');
  await connect('Consumer c1', 'Consumer group g1');
  // Room below the producer's card for its transaction.
  await pg.dragNode('Consumer c1', 0, 320);
  await pg.select('Producer p1');
  await pg.setField('Transactional id (empty: none)', 'checkout-tx');
  await pg.select('Consumer c1');
  await pg.inspector.getByRole('combobox', { name: 'Isolation level' }).selectOption('read_committed');
  await pg.step(2);
  await pg.button('Publish from p1').click();
  await pg.step(5);
  await pg.node('Producer p1').getByText('checkout-tx: CompleteCommit').waitFor();
  assert.deepEqual(await pg.listTexts('Transaction of p1'), ['checkout-tx: CompleteCommit', 'coordinator broker 0 · epoch 1']);
  const lso = await pg.listTexts('Last stable offsets for c1');
  assert.equal(lso.length, 2, JSON.stringify(lso));
  assert.ok(lso.every((l) => /^t1-\d LSO \d+ · HW \d+$/.test(l)), JSON.stringify(lso));
  assertClean(problems);
  await context.close();
});

test('a share group shows each record acquired, acknowledged and the start offset moving past them', async () => {
  const { page, problems, context, pg, connect, add } = await openPlayground();
  await add('Kafka broker', 'Producer', 'Topic', 'Share group', 'Consumer', 'Consumer');
  await connect('Producer p1', 'Topic t1');
  await connect('Topic t1', 'Share group s1');
  await connect('Consumer c1', 'Share group s1');
  await connect('Consumer c2', 'Share group s1');
  await pg.select('Topic t1');
  await pg.setField('Partitions', '1');
  for (const c of ['c1', 'c2']) {
    await pg.select(`Consumer ${c}`);
    await pg.setField('Prefetch', '3');
  }
  // c1 works five times as slowly, so c2's records are acknowledged while
  // c1 still holds the ones before them.
  await pg.select('Consumer c1');
  await pg.inspector.getByRole('combobox', { name: /^Failure/ }).selectOption({ label: 'slow down 5×' });
  await pg.step(1);
  await pg.button('Burst from p1').click();
  await pg.step(1);
  const partition = 'Share-partition t1-0 of s1';
  let states = await pg.listTexts(partition);
  assert.equal(states[0], 'start offset 0 · in flight 0..=5 (6 records)');
  assert.ok(states.includes('offset 0 acquired by c1, delivery 1'), JSON.stringify(states));
  assert.ok(states.includes('offset 3 acquired by c2, delivery 1'), JSON.stringify(states));
  await pg.step(10);
  states = await pg.listTexts(partition);
  assert.ok(states.includes('offset 0 acquired by c1, delivery 1'), JSON.stringify(states));
  assert.ok(states.includes('offset 3 acknowledged, delivery 1'), JSON.stringify(states));
  const done = async () => (await pg.listTexts(partition))[0] === 'start offset 10 · nothing in flight';
  await runUntil(page, pg, done, 'every record is acknowledged and the start offset moves past them');
  assert.match(await pg.log.innerText(), /c1 acquired t1-0 offsets 0 \(delivery 1\), 1 \(delivery 1\), 2 \(delivery 1\)/);
  assertClean(problems);
  await context.close();
});
