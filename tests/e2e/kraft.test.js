// KRaft made visible: the playground's controller panel shows the quorum
// and the metadata log. Crashing the leader broker writes nothing until the
// controller fences it (broker.session.timeout.ms); then a
// PartitionChangeRecord with the new leader and the fence follow. With the
// last in-sync replica fenced, the ISR empties and the eligible leader
// replicas (KIP-966, on by default since Kafka 4.1) hold it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, assertClean } from './support.js';
import { Playground } from './playground-pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('crashing the leader broker shows a partition change and a fence in the metadata log, then the ELR', async () => {
  const { page, problems, context } = await open(browser, '#/playground', { viewport: { width: 1400, height: 1000 } });
  const pg = new Playground(page);
  await pg.waitUntilShown();
  await pg.canvas.waitFor();
  await pg.loadPreset('Replication and leader failover');

  const panel = page.getByRole('region', { name: 'KRaft controllers' });
  await panel.getByRole('status').filter({ hasText: 'Active controller 100, epoch 1' }).waitFor();
  const quorum = panel.getByRole('list', { name: 'Controller quorum' });
  assert.deepEqual(
    (await quorum.getByRole('listitem').allInnerTexts()).map((t) => t.trim()),
    ['Controller 100: active', 'Controller 101: follower', 'Controller 102: follower'],
  );
  const records = panel.getByRole('list', { name: 'Metadata log records' });
  const log = async () => records.innerText();
  assert.match(await log(), /PartitionRecord orders-0 replicas \[[\d,]+\] isr \[[\d,]+\] leader \d epoch 0/);

  const caption = pg.partitionCaption('orders', 0);
  const leaderOf = async () => Number((await caption.innerText()).match(/leader (\d+)/)[1]);
  const leader = await leaderOf();
  const runUntil = async (done, what) => {
    await page.getByLabel('Speed').selectOption({ label: '20×' });
    await pg.button('Play').click();
    for (let i = 0; i < 200 && !(await done()); i += 1) await page.waitForTimeout(50);
    await pg.button('Pause').click();
    assert.ok(await done(), what);
  };

  await pg.button(`Crash broker ${leader}`).click();
  await pg.step(1);
  assert.doesNotMatch(await log(), /broker \d fence/, 'the controller has not noticed the crash yet');
  const fence = `BrokerRegistrationChangeRecord broker ${leader} fence`;
  await runUntil(async () => (await log()).includes(fence), 'the controller fences the broker when its session expires');
  const lines = (await records.getByRole('listitem').allInnerTexts()).map((t) => t.trim());
  const fenceAt = lines.findIndex((l) => l.endsWith(fence));
  const change = lines.findIndex((l) => /PartitionChangeRecord orders-0 leader \d epoch 1 isr \[[\d,]+\]$/.test(l));
  assert.ok(change > fenceAt, `newest first: the partition change comes just before the fence in the log ${JSON.stringify(lines)}`);
  const newLeader = Number(lines[change].match(/leader (\d)/)[1]);
  assert.notEqual(newLeader, leader);

  // Fence the other two: the last in-sync replica leaves an empty ISR and
  // waits in the ELR, with no leader.
  const others = [0, 1, 2].filter((b) => b !== leader);
  for (const b of others) await pg.button(`Crash broker ${b}`).click();
  await runUntil(
    async () => /PartitionChangeRecord orders-0( leader none)? isr \[\] elr \[\d\]/.test(await log()),
    'the last ISR member is fenced into the ELR',
  );
  assertClean(problems);
  await context.close();
});
