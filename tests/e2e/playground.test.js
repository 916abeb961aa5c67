// The playground, driven as a person would: parts dragged from the palette,
// wired by dragging between nodes, edited in the inspector, and run; then
// the same by keyboard alone. Messages must land where RabbitMQ puts them,
// Kafka groups must balance, leadership must move, and links must share.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, open, assertClean, watch, BASE } from './support.js';
import { Playground, playgroundLink, PLAIN_QUEUE } from './playground-pages.js';
import { CoursePage } from './pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const VIEWPORT = { viewport: { width: 1400, height: 1000 } };

async function openPlayground(fragment = '#/playground') {
  const { page, problems, context } = await open(browser, fragment, VIEWPORT);
  const pg = new Playground(page);
  await pg.waitUntilShown();
  await pg.canvas.waitFor();
  return { page, problems, context, pg };
}

async function expectRouting(pg) {
  await pg.page.waitForFunction(() => document.querySelectorAll('[aria-label="Messages in queue q1"] li').length === 2);
  const q1 = await pg.queueTexts('q1');
  const q2 = await pg.queueTexts('q2');
  assert.equal(q1.length, 2, `eu.# takes both messages, got ${JSON.stringify(q1)}`);
  assert.ok(q1.some((t) => t.endsWith('eu.orders')) && q1.some((t) => t.endsWith('eu.sales.q1')), JSON.stringify(q1));
  assert.deepEqual(q2.map((t) => t.split(' ')[1]), ['eu.orders'], '*.orders takes only eu.orders');
}

test('topic routing built with the mouse puts each message where RabbitMQ would', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.dragPart('Producer', 110, 60);
  await pg.dragPart('Topic exchange', 360, 60);
  await pg.dragPart('Queue', 620, 40);
  await pg.dragPart('Queue', 620, 300);
  assert.deepEqual(await pg.nodeTitles(), ['Producer p1', 'Topic exchange x1', 'Queue q1', 'Queue q2']);

  await pg.dragConnect('p1', 'Topic exchange x1');
  await pg.dragConnect('x1', 'Queue q1');
  await pg.inspector.getByRole('heading', { name: 'Binding x1 → q1' }).waitFor();
  await pg.setField('Binding key', 'eu.#');
  await pg.dragConnect('x1', 'Queue q2');
  await pg.setField('Binding key', '*.orders');

  await pg.select('Producer p1');
  await pg.setField('Routing key or record key', 'eu.orders');
  await pg.button('Publish from p1').click();
  await pg.setField('Routing key or record key', 'eu.sales.q1');
  await pg.button('Publish from p1').click();
  await expectRouting(pg);

  // The engine explains the routing of a message.
  await pg.queueMessages('q2').first().getByRole('button').click();
  await pg.messageDetails.getByText('*.orders').first().waitFor();
  const details = await pg.messageDetails.innerText();
  assert.match(details, /✓ x1 → q1 with “eu\.#”/);
  assert.match(details, /✓ x1 → q2 with “\*\.orders”/);
  assert.match(await pg.log.innerText(), /p1 published “eu\.sales\.q1” to x1 → q1/);
  // Its path reads as text, hop by hop, and is drawn on the canvas.
  const hops = pg.messageDetails.getByRole('list', { name: 'Path on the canvas' }).getByRole('listitem');
  assert.deepEqual((await hops.allTextContents()).map((t) => t.trim()),
    ['Producer p1 → Topic exchange x1', 'Topic exchange x1 → Queue q2 (binding key “*.orders”)']);
  const marked = await page.locator('.pg-node.on-path').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  assert.deepEqual(marked, ['Producer p1', 'Topic exchange x1', 'Queue q2']);
  assert.equal(await page.locator('g.pg-edge.on-path').count(), 2, 'the two edges it took are drawn as its path');

  // Exchange cards say their type.
  assert.match(await pg.node('Topic exchange x1').innerText(), /topic exchange/i);

  // Dragging moves a node, showing where it will land, and it lands on the
  // grid; undo puts it back; Delete removes it.
  const before = await pg.node('Queue q2').boundingBox();
  const grab = await pg.handle('Queue q2').boundingBox();
  await page.mouse.move(grab.x + grab.width / 2, grab.y + grab.height / 2);
  await page.mouse.down();
  await page.mouse.move(grab.x + grab.width / 2, grab.y + grab.height / 2 + 80, { steps: 6 });
  const ghost = await page.locator('.pg-ghost').boundingBox();
  await page.mouse.up();
  assert.equal(await page.locator('.pg-ghost').count(), 0, 'the landing outline goes with the drag');
  const moved = await pg.node('Queue q2').boundingBox();
  assert.ok(Math.abs(moved.y - before.y - 80) <= 20, `moved from ${before.y} to ${moved.y}, one grid step at most from the drop`);
  assert.ok(Math.abs(moved.y - ghost.y) < 2 && Math.abs(moved.x - ghost.x) < 2, 'it lands where the outline showed');
  await page.keyboard.press('Control+z');
  assert.ok(Math.abs((await pg.node('Queue q2').boundingBox()).y - before.y) < 3);
  await page.keyboard.press('Delete');
  assert.deepEqual(await pg.nodeTitles(), ['Producer p1', 'Topic exchange x1', 'Queue q1']);
  assertClean(problems);
  await context.close();
});

test('a third consumer in the group of a two-partition topic stays idle', async () => {
  const { problems, context, pg } = await openPlayground();
  for (const part of ['Kafka broker', 'Topic', 'Consumer group', 'Consumer', 'Consumer', 'Consumer']) {
    await pg.part(part).click();
  }
  const allInView = await pg.canvas.evaluate((el) => [...el.querySelectorAll('[data-node]')].every((n) => {
    const [a, b] = [n.getBoundingClientRect(), el.getBoundingClientRect()];
    return a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom;
  }));
  assert.equal(allInView, true, 'parts added by clicking land where the user is looking');
  const connect = async (from, to) => {
    await pg.page.getByLabel('Connect from', { exact: true }).selectOption({ label: from });
    await pg.page.getByLabel('Connect to', { exact: true }).selectOption({ label: to });
    await pg.button('Connect').click();
  };
  await connect('Topic t1', 'Consumer group g1');
  for (const c of ['c1', 'c2', 'c3']) await connect(`Consumer ${c}`, 'Consumer group g1');
  await pg.step(5);
  const group = await pg.node('Consumer group g1').innerText();
  assert.equal((group.match(/: idle/g) ?? []).length, 1, group);
  const idle = [];
  for (const c of ['c1', 'c2', 'c3']) {
    if ((await pg.node(`Consumer ${c}`).innerText()).includes('idle: no partitions')) idle.push(c);
  }
  assert.equal(idle.length, 1, `exactly one idle consumer, got ${idle}`);
  // The idle one is dimmed as well as labelled.
  const opacity = (c) => pg.node(`Consumer ${c}`).evaluate((el) => Number(getComputedStyle(el).opacity));
  for (const c of ['c1', 'c2', 'c3']) {
    if (idle.includes(c)) assert.ok((await opacity(c)) < 0.8, `${c} is dimmed`);
    else assert.equal(await opacity(c), 1, `${c} is not`);
  }

  // Tidy up lays the parts out in the order messages flow, none over another.
  await pg.button('Tidy up').click();
  await pg.page.getByRole('status').filter({ hasText: 'Tidied up' }).waitFor();
  const boxes = {};
  for (const title of ['Broker broker-0', 'Topic t1', 'Consumer group g1', 'Consumer c1', 'Consumer c2', 'Consumer c3']) {
    boxes[title] = await pg.node(title).boundingBox();
  }
  const titles = Object.keys(boxes);
  for (const [i, a] of titles.entries()) {
    for (const b of titles.slice(i + 1)) {
      const [p, q] = [boxes[a], boxes[b]];
      const apart = p.x + p.width <= q.x || q.x + q.width <= p.x || p.y + p.height <= q.y || q.y + q.height <= p.y;
      assert.ok(apart, `${a} and ${b} do not overlap after Tidy up`);
    }
  }
  assert.ok(boxes['Topic t1'].x < boxes['Consumer group g1'].x, 'the topic feeds the group, left of it');
  await pg.button('Undo').click();
  assertClean(problems);
  await context.close();
});

test('group members on the consumer group protocol (KIP-848) share the partitions the broker assigns', async () => {
  const { problems, context, pg } = await openPlayground();
  for (const part of ['Kafka broker', 'Topic', 'Consumer group', 'Consumer', 'Consumer']) {
    await pg.part(part).click();
  }
  const connect = async (from, to) => {
    await pg.page.getByLabel('Connect from', { exact: true }).selectOption({ label: from });
    await pg.page.getByLabel('Connect to', { exact: true }).selectOption({ label: to });
    await pg.button('Connect').click();
  };
  await connect('Topic t1', 'Consumer group g1');
  for (const c of ['c1', 'c2']) {
    await connect(`Consumer ${c}`, 'Consumer group g1');
    await pg.select(`Consumer ${c}`);
    const choice = pg.inspector.getByRole('combobox', { name: 'Group protocol' });
    await choice.selectOption({ label: 'consumer (KIP-848, broker-side assignment)' });
    assert.equal(await choice.inputValue(), 'consumer');
  }
  // The second member gets its partition at its heartbeat after the first revoked it.
  await stepUntil(pg, async () => {
    const texts = await Promise.all(['c1', 'c2'].map(async (c) => pg.node(`Consumer ${c}`).innerText()));
    return texts.every((t) => /partitions t1-\d/.test(t));
  }, 200);
  await pg.select('Consumer c1');
  assert.equal(await pg.inspector.getByRole('combobox', { name: 'Group protocol' }).inputValue(), 'consumer');
  assertClean(problems);
  await context.close();
});

test('a crashed leader is fenced after its session, a shutdown hands over at once, and preferred leaders come back', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.loadPreset('Replication and leader failover');
  const caption = pg.partitionCaption('orders', 0);
  const field = async (name) => (await caption.innerText()).match(new RegExp(`${name} ([\\d,]+|none)`))[1];
  const leaderOf = async () => Number(await field('leader'));
  const preferred = Number((await field('replicas')).split(',')[0]);
  assert.equal(await leaderOf(), preferred, 'the preferred replica leads at first');
  const runUntil = async (done, what) => {
    await page.getByLabel('Speed').selectOption({ label: '20×' });
    await pg.button('Play').click();
    for (let i = 0; i < 200 && !(await done()); i += 1) await page.waitForTimeout(50);
    await pg.button('Pause').click();
    assert.ok(await done(), what);
  };

  // KRaft: the controller fences a crashed broker when its session expires
  // (broker.session.timeout.ms, 9 s), so the metadata still names it a moment later.
  await pg.button(`Crash broker ${preferred}`).click();
  await pg.step(1);
  await pg.node(`Broker broker-${preferred}`).getByText('crashed').waitFor();
  assert.equal(await leaderOf(), preferred, 'not fenced yet: the metadata still names the crashed leader');
  await runUntil(async () => (await leaderOf()) !== preferred, 'a surviving replica leads once the broker is fenced');
  assert.match(await pg.log.innerText(), new RegExp(`broker ${preferred} fenced by the controller`));
  const second = await leaderOf();

  const eventually = async (done, what) => {
    for (let i = 0; i < 40 && !(await done()); i += 1) await page.waitForTimeout(50);
    assert.ok(await done(), what);
  };
  // Back and in sync, the preferred replica leads again on request.
  await pg.button(`Restart broker ${preferred}`).click();
  await runUntil(async () => (await field('ISR')).split(',').map(Number).includes(preferred), 'the restarted broker catches up and rejoins the ISR');
  assert.equal(await leaderOf(), second, 'a returning broker does not take leadership back by itself at once');
  await pg.button('Elect preferred leaders').click();
  await eventually(async () => (await leaderOf()) === preferred, 'the preferred replica leads again');

  // A controlled shutdown hands leadership over before the broker stops,
  // with no time passing.
  const tick = await pg.timeline().inputValue();
  await pg.button(`Shut down broker ${preferred}`).click();
  await eventually(async () => (await leaderOf()) !== preferred, 'leadership moved at once');
  assert.equal(await pg.timeline().inputValue(), tick, 'without any time passing');
  assert.match(await pg.log.innerText(), new RegExp(`broker ${preferred} shut down after handing over its leadership`));
  assertClean(problems);
  await context.close();
});

test('a starter says what it shows and what to try, runs as a demo, and asks before it replaces the learner\'s work', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.button('Starters').click();
  const starters = page.getByRole('region', { name: 'Starters' });
  const card = starters.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Publish/subscribe with a fanout exchange' }) });
  assert.match(await card.innerText(), /each receives a copy of every message/);
  assert.match(await card.innerText(), /Try: Run the demo: every message app sends is copied to email, sms and push/);

  // An empty canvas is replaced without a question; the demo plays at once.
  await card.getByRole('button', { name: 'Run demo of Publish/subscribe with a fanout exchange' }).click();
  await starters.waitFor({ state: 'hidden' });
  assert.equal(await pg.button('Pause').getAttribute('aria-pressed'), 'true', 'the demo plays');
  await pg.queueMessages('sms').first().waitFor({ timeout: 20000 });
  await pg.button('Pause').click();
  assert.deepEqual(await pg.nodeTitles().then((t) => t.sort()),
    ['Consumer mailer', 'Fanout exchange news', 'Producer app', 'Queue email', 'Queue push', 'Queue sms']);

  // The learner's work: another starter asks first, and "Keep" keeps it.
  await pg.dragNode('Queue push', 40, 30);
  await pg.button('Starters').click();
  await starters.getByRole('button', { name: 'Open Routing with a topic exchange', exact: true }).click();
  const question = starters.getByRole('group', { name: 'Replace your canvas?' });
  assert.match(await question.innerText(), /Replace the 6 parts on your canvas with “Routing with a topic exchange”\? Undo brings yours back\./);
  assert.equal(await question.getByRole('button', { name: 'Replace my canvas' }).evaluate((b) => b === document.activeElement), true);
  await question.getByRole('button', { name: 'Keep my canvas' }).click();
  assert.ok((await pg.nodeTitles()).includes('Queue sms'), 'the canvas is unchanged');

  // Replacing it, then Undo, brings the learner's canvas back.
  await starters.getByRole('button', { name: 'Open Routing with a topic exchange', exact: true }).click();
  await question.getByRole('button', { name: 'Replace my canvas' }).click();
  await pg.node('Topic exchange logs').waitFor();
  await page.getByRole('status').filter({ hasText: 'Opened “Routing with a topic exchange”. Undo brings the last canvas back.' }).waitFor();
  await pg.button('Undo').click();
  await pg.node('Queue sms').waitFor();
  assertClean(problems);
  await context.close();
});

test('a shared link opens as a new design beside the learner\'s own, and My designs reopens, renames and deletes them', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.part('Queue').click();
  await pg.button('Share').click();
  const link = await page.getByLabel('Share link').inputValue();
  await pg.part('Fanout exchange').click();
  await pg.node('Fanout exchange x1').waitFor();

  // The link, opened in another tab of the same browser, replaces nothing;
  // changed, it is kept as a new design.
  const shared = new Playground(await context.newPage());
  const sharedProblems = watch(shared.page);
  await shared.page.goto(link);
  await shared.node('Queue q1').waitFor();
  assert.deepEqual(await shared.nodeTitles(), ['Queue q1']);
  await shared.part('Consumer').click();
  await shared.page.getByRole('status').filter({ hasText: 'Kept as a new design, “Shared playground”, beside your own (My designs).' }).waitFor();
  await shared.button('My designs').click();
  const designs = shared.page.getByRole('region', { name: 'My designs' });
  assert.equal(await designs.getByLabel('Name of the open design').inputValue(), 'Shared playground');
  assert.match(await designs.innerText(), /My playground\s+2 parts/);

  // The learner's own design opens as it was left.
  await designs.getByRole('button', { name: 'Open My playground', exact: true }).click();
  await shared.node('Fanout exchange x1').waitFor();
  assert.deepEqual((await shared.nodeTitles()).sort(), ['Fanout exchange x1', 'Queue q1']);

  // Renamed, and kept: a new visit opens it under its new name.
  await shared.button('My designs').click();
  const name = designs.getByLabel('Name of the open design');
  await name.fill('orders');
  await name.press('Enter');
  await designs.getByRole('button', { name: 'Delete Shared playground', exact: true }).click();
  await designs.getByRole('button', { name: 'Open Shared playground', exact: true }).waitFor({ state: 'detached' });
  // The open design cannot be deleted: it has no Delete button.
  assert.equal(await designs.getByRole('button', { name: /^Delete/ }).count(), 0);

  const again = new Playground(await context.newPage());
  const againProblems = watch(again.page);
  await again.page.goto(`${BASE}#/playground`);
  await again.node('Fanout exchange x1').waitFor();
  await again.button('My designs').click();
  assert.equal(await again.page.getByRole('region', { name: 'My designs' }).getByLabel('Name of the open design').inputValue(), 'orders');
  assertClean([...problems, ...sharedProblems, ...againProblems]);
  await context.close();
});

test('the metrics panel draws a queue over time, says what changed since a restart, and follows the timeline back', async () => {
  const link = playgroundLink(
    [
      [1, 'orders', 20, 40, { Producer: { routing_key: 'eu.orders', body: 'order', headers: '', rate: 10, burst: 1 } }],
      [2, 'events', 260, 40, { Exchange: 'Topic' }],
      [3, 'audit', 500, 40, PLAIN_QUEUE],
    ],
    [[4, 1, 2, 'Publish'], [5, 2, 3, 'QueueBinding', '#']],
  );
  const { page, problems, context, pg } = await openPlayground(link);
  const metrics = page.getByRole('region', { name: 'Metrics' });
  await metrics.getByText('Select a queue, a topic or a consumer group').waitFor();
  await pg.select('Queue audit');
  await pg.step(20);
  const table = metrics.getByRole('table', { name: 'Metrics of Queue audit' });
  const now = async (measure) => (await table.getByRole('row', { name: new RegExp(`^${measure} `) }).getByRole('cell').first().innerText()).trim();
  assert.equal(await now('ready'), '20', 'two seconds at 10 a second, no consumer');
  assert.equal(await now('published /s'), '10');
  assert.match(await table.getByRole('row', { name: /^ready / }).innerText(), /from 1 to 20/);
  assert.equal(await table.locator('svg polyline').count(), 6, 'a line per measure');

  // A restart is a mark: the panel says what changed since.
  await pg.button('Restart RabbitMQ').click();
  await pg.step(5);
  await metrics.getByRole('heading', { name: 'Since RabbitMQ restarted at 2.0 s' }).waitFor();
  const changes = await metrics.getByRole('list', { name: 'Changes since RabbitMQ restarted at 2.0 s' }).getByRole('listitem').allTextContents();
  assert.ok(changes.some((c) => /^ready 20 → 5 \(−15\)$/.test(c.trim())), JSON.stringify(changes));

  // Scrubbed back before the restart, the panel shows the past.
  await pg.scrubTo(10);
  await metrics.getByRole('heading', { name: /^Since/ }).waitFor({ state: 'detached' });
  assert.equal(await now('ready'), '10');
  assertClean(problems);
  await context.close();
});

test('an edge goes around a card between its ends instead of behind it, and its messages follow it', async () => {
  const link = playgroundLink(
    [
      [1, 'orders', 20, 40, { Producer: { routing_key: 'audit', body: 'order', headers: '', rate: 5, burst: 1 } }],
      [2, 'between', 320, 40, PLAIN_QUEUE],
      [3, 'audit', 620, 40, PLAIN_QUEUE],
    ],
    [[4, 1, 3, 'PublishToQueue']],
  );
  const { page, problems, context, pg } = await openPlayground(link);
  await pg.node('Queue between').waitFor();
  // Points along the drawn line, and messages on it, in page coordinates.
  const inside = () => page.evaluate(() => {
    const card = document.querySelector('[aria-label="Queue between"]').getBoundingClientRect();
    const line = document.querySelector('path.pg-edge-line');
    const m = line.getScreenCTM();
    const length = line.getTotalLength();
    const hits = [];
    for (let i = 0; i <= 50; i++) {
      const p = line.getPointAtLength((length * i) / 50).matrixTransform(m);
      if (p.x > card.left && p.x < card.right && p.y > card.top && p.y < card.bottom) hits.push([p.x, p.y]);
    }
    return hits;
  });
  assert.deepEqual(await inside(), [], 'the line stays clear of the card');
  await pg.button('Play').click();
  const dots = await page.waitForFunction(() => {
    const d = document.querySelector('path.pg-flight')?.getAttribute('d') ?? '';
    return d.length > 0 && d;
  });
  await pg.button('Pause').click();
  const path = await dots.jsonValue();
  const flying = await page.evaluate((d) => {
    const card = document.querySelector('[aria-label="Queue between"]').getBoundingClientRect();
    const m = document.querySelector('path.pg-flight').getScreenCTM();
    const svg = document.querySelector('svg.pg-edges');
    return [...d.matchAll(/M([\d.-]+),([\d.-]+)/g)].map(([, x, y]) => {
      const p = svg.createSVGPoint();
      p.x = Number(x) + 6; p.y = Number(y);
      const q = p.matrixTransform(m);
      return q.x > card.left && q.x < card.right && q.y > card.top && q.y < card.bottom;
    });
  }, path);
  assert.ok(flying.length > 0 && flying.every((hit) => !hit), `messages in flight stay on the line: ${JSON.stringify(flying)}`);
  assertClean(problems);
  await context.close();
});

test('on a phone, a starter runs as a demo, its metrics read, and My designs opens, with nothing wider than the screen', async () => {
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
  const { page, problems, context } = await open(browser, '#/playground', phone);
  const pg = new Playground(page);
  await pg.waitUntilShown();
  await pg.canvas.waitFor();
  await pg.button('Starters').tap();
  await page.getByRole('button', { name: 'Run demo of Publish/subscribe with a fanout exchange' }).tap();
  await pg.queueMessages('sms').first().waitFor({ timeout: 20000 });
  await pg.button('Pause').tap();
  await pg.handle('Queue sms').tap();
  const table = page.getByRole('table', { name: 'Metrics of Queue sms' });
  await table.waitFor();
  assert.match(await table.getByRole('row', { name: /^published \/s / }).innerText(), /\d/);
  await pg.button('My designs').tap();
  await page.getByRole('region', { name: 'My designs' }).getByLabel('Name of the open design').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'nothing scrolls sideways');
  assertClean(problems);
  await context.close();
});

test('the timeline scrubs back to an earlier moment and forks from there', async () => {
  const { problems, context, pg } = await openPlayground();
  await pg.loadPreset('Routing with a topic exchange');
  await pg.step(2);
  await pg.button('Publish from app').click();
  await pg.step(3);
  assert.equal((await pg.queueTexts('all')).length, 1);
  await pg.scrubTo(1);
  assert.equal(await pg.timeline().inputValue(), '1');
  assert.equal((await pg.queueTexts('all')).length, 0, 'before the publish the queue was empty');
  await pg.scrubTo(5);
  assert.equal((await pg.queueTexts('all')).length, 1, 'scrubbing forward replays the publish');
  await pg.scrubTo(1);
  await pg.button('Publish from app').click();
  await pg.button('Publish from app').click();
  assert.equal((await pg.queueTexts('all')).length, 2);
  assert.equal(await pg.timeline().getAttribute('max'), '1', 'acting in the past forks the timeline there');
  assertClean(problems);
  await context.close();
});

test('a shared link carries the scenario format and opens the same playground in a new page', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.loadPreset('Routing with a topic exchange');
  await pg.dragNode('Queue critical', 40, 30);
  await pg.select('Producer app');
  await pg.setField('Body', 'shared “body” & more');
  await pg.setField('Headers (name=value, ...)', 'source=web');
  await pg.setField('Burst size', '3');
  await pg.select('Queue auth');
  await pg.setField('Message TTL (ms)', '5000');
  await pg.button('Share').click();
  const link = await page.getByLabel('Share link').inputValue();
  assert.match(link, /#\/playground\?s=2\.[A-Za-z0-9_-]+$/, 'the link carries a version-2 scenario');
  assert.ok(link.length < 2000, `a short link: ${link.length} characters`);
  const titles = await pg.nodeTitles();
  const boxes = await pg.canvas.locator('[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('style')));

  const other = await context.newPage();
  await other.goto(link);
  const copy = new Playground(other);
  await copy.waitUntilShown();
  await copy.node('Queue critical').waitFor();
  assert.equal(await other.getByRole('alert').count(), 0, 'no load error');
  assert.deepEqual(await copy.nodeTitles(), titles);
  assert.deepEqual(await copy.canvas.locator('[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('style'))), boxes);
  assert.match(await copy.canvas.innerText(), /\*\.critical/, 'the bindings come along');
  await copy.select('Producer app');
  assert.equal(await copy.field('Body').inputValue(), 'shared “body” & more');
  assert.equal(await copy.field('Headers (name=value, ...)').inputValue(), 'source=web');
  assert.equal(await copy.field('Burst size').inputValue(), '3');
  await copy.select('Queue auth');
  assert.equal(await copy.field('Message TTL (ms)').inputValue(), '5000');
  await copy.inspector.getByRole('button', { name: 'Edit logs → auth' }).click();
  assert.equal(await copy.field('Binding key').inputValue(), 'auth.#');
  await copy.button('Burst from app').click();
  assert.equal((await copy.queueTexts('all')).length, 3, 'the # binding takes every message of the burst');
  assertClean(problems);
  await context.close();
});

test('a share link from before the scenario format still opens', async () => {
  const old = (await readFile(new URL('../../src/playground/golden/canvas-v1.link', import.meta.url), 'utf8')).trim();
  assert.match(old, /^%7B%22version%22/);
  const { page, problems, context, pg } = await openPlayground(`#/playground?s=${old}`);
  await pg.node('Queue pdf & reports').waitFor();
  assert.equal(await page.getByRole('alert').count(), 0, 'no load error');
  assert.deepEqual(await pg.nodeTitles(), [
    'Topic exchange logs', 'Queue all', 'Queue critical', 'Queue auth', 'Producer app', 'Headers exchange docs',
    'Queue pdf & reports', 'Consumer c1', 'Broker broker-0', 'Topic orders', 'Consumer group billing',
    'Consumer billing-1', 'Producer shop',
  ]);
  await pg.select('Consumer c1');
  assert.equal(await pg.inspector.getByRole('combobox', { name: /^Failure/ }).inputValue(), 'slow');
  assert.equal(await pg.field('Processing time (ms)').inputValue(), '900');
  await pg.select('Producer shop');
  assert.equal(await pg.field('Rate (messages per second)').inputValue(), '2');
  // Shared again, it travels in the scenario format.
  await pg.button('Share').click();
  assert.match(await page.getByLabel('Share link').inputValue(), /#\/playground\?s=2\./);
  assertClean(problems);
  await context.close();
});

test('a damaged, cut or newer share link says why and keeps the last playground', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.loadPreset('Routing with a topic exchange');
  await pg.button('Share').click();
  const link = await page.getByLabel('Share link').inputValue();
  const built = await pg.nodeTitles();
  assert.ok(built.length > 3, JSON.stringify(built));
  const payload = link.split('s=')[1];
  const flip = (c) => (c === 'A' ? 'B' : 'A');
  const middle = Math.floor(payload.length / 2);
  const cases = [
    [payload.slice(0, -6), /the link is damaged/],
    [payload.slice(0, middle) + flip(payload[middle]) + payload.slice(middle + 1), /the link is damaged/],
    [`3.${payload.slice(2)}`, /saved by a newer Brokerlab/],
    ['%7B%22version%22%3A1%2C%22topo', /damaged/],
  ];
  for (const [s, words] of cases) {
    const other = await context.newPage();
    await other.goto(`${BASE}#/playground?s=${s}`);
    const copy = new Playground(other);
    await copy.waitUntilShown();
    await copy.canvas.waitFor();
    const alert = other.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), words, s);
    assert.match(await alert.textContent(), /Your last playground is open instead/);
    assert.deepEqual(await copy.nodeTitles(), built, 'the last playground, not half a link');
    await other.close();
  }
  assertClean(problems);
  await context.close();

  // With no playground kept yet, a bad link opens an empty canvas.
  const fresh = await openPlayground(`#/playground?s=${cases[0][0]}`);
  await fresh.page.getByRole('alert').waitFor();
  assert.match(await fresh.page.getByRole('alert').textContent(), /the link is damaged/);
  assert.deepEqual(await fresh.pg.nodeTitles(), []);
  await fresh.context.close();
});

test('the playground is kept across a reload and a visit to the course; New starts afresh and Undo brings it back', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.dragPart('Producer', 110, 60);
  await pg.dragPart('Queue', 400, 60);
  await pg.dragConnect('p1', 'Queue q1');
  await pg.dragNode('Queue q1', 40, 80);
  const built = await pg.nodeTitles();
  assert.deepEqual(built, ['Producer p1', 'Queue q1']);
  // Where the queue sits from the producer, in node widths (the view is
  // fitted afresh on opening, so screen positions and zoom may change).
  const offset = async () => {
    const [p, q] = [await pg.handle('Producer p1').boundingBox(), await pg.handle('Queue q1').boundingBox()];
    return [(q.x - p.x) / q.width, (q.y - p.y) / q.width];
  };
  const where = await offset();

  await page.reload();
  await pg.waitUntilShown();
  await pg.node('Queue q1').waitFor();
  assert.deepEqual(await pg.nodeTitles(), built);
  const after = await offset();
  assert.ok(Math.abs(after[0] - where[0]) < 0.02 && Math.abs(after[1] - where[1]) < 0.02, `the queue is where it was left: ${where} then ${after}`);

  await pg.goToCourse();
  await new CoursePage(page).waitUntilShown();
  await pg.goToPlayground();
  await pg.node('Queue q1').waitFor();
  assert.deepEqual(await pg.nodeTitles(), built);

  await pg.button('New').click();
  assert.deepEqual(await pg.nodeTitles(), []);
  await page.getByText('A new, empty playground. Undo brings the last one back.').waitFor();
  await page.reload();
  await pg.waitUntilShown();
  await pg.canvas.waitFor();
  assert.deepEqual(await pg.nodeTitles(), [], 'the new, empty playground is the one kept');
  await pg.dragPart('Queue', 300, 60);
  await pg.button('New').click();
  await pg.button('Undo').click();
  assert.deepEqual(await pg.nodeTitles(), ['Queue q1']);
  assertClean(problems);
  await context.close();
});

test('topic routing built with the keyboard alone', async () => {
  const { page, problems, context, pg } = await openPlayground();
  const kb = page.keyboard;
  for (const part of ['Producer', 'Topic exchange', 'Queue']) {
    await pg.tabTo(part);
    await kb.press('Enter');
  }
  await kb.press('Enter'); // a second queue
  assert.deepEqual(await pg.nodeTitles(), ['Producer p1', 'Topic exchange x1', 'Queue q1', 'Queue q2']);

  const connect = async (from, to) => {
    await pg.tabTo(from);
    await kb.press('Enter');
    await kb.press('c');
    await kb.type(to);
    await kb.press('Tab');
    await kb.press('Enter');
  };
  const setField = async (label, value) => {
    await pg.tabTo(label);
    await kb.press('Control+a');
    await kb.type(value);
    await kb.press('Enter');
  };
  await connect('Producer p1', 'Topic exchange x1');
  await connect('Topic exchange x1', 'Queue q1');
  await setField('Binding key', 'eu.#');
  await connect('Topic exchange x1', 'Queue q2');
  await setField('Binding key', '*.orders');

  // Arrow keys move the selected node.
  await pg.tabTo('Producer p1');
  await kb.press('Enter');
  const before = await pg.node('Producer p1').boundingBox();
  await kb.press('ArrowDown');
  const down = (await pg.node('Producer p1').boundingBox()).y - before.y;
  assert.ok(down > 0 && down <= 40, `one grid step down, to the grid, moved ${down}`);

  await setField('Routing key or record key', 'eu.orders');
  await pg.tabTo('Publish from p1');
  await kb.press('Enter');
  await setField('Routing key or record key', 'eu.sales.q1');
  await pg.tabTo('Publish from p1');
  await kb.press('Enter');
  await expectRouting(pg);
  const focusVisible = await page.evaluate(() => document.activeElement.matches(':focus-visible'));
  assert.ok(focusVisible, 'keyboard focus is visible');
  assertClean(problems);
  await context.close();
});

/** Clicks Step until `done()` holds, at most `limit` times. */
async function stepUntil(pg, done, limit = 80) {
  for (let i = 0; i < limit; i++) {
    if (await done()) return;
    await pg.step(1);
  }
  assert.fail('the condition never held while stepping');
}

const doneCount = async (pg, title) => Number((await pg.node(title).innerText()).match(/done (\d+)/)?.[1] ?? -1);

test('failure injection: a slow consumer falls behind, a crashed one gives its message back, a failing Kafka consumer stalls', async () => {
  const { problems, context, pg } = await openPlayground();
  for (const part of ['Producer', 'Queue', 'Consumer', 'Consumer']) await pg.part(part).click();
  const connect = async (from, to) => {
    await pg.page.getByLabel('Connect from', { exact: true }).selectOption({ label: from });
    await pg.page.getByLabel('Connect to', { exact: true }).selectOption({ label: to });
    await pg.button('Connect').click();
  };
  await connect('Producer p1', 'Queue q1');
  await connect('Queue q1', 'Consumer c1');
  await connect('Queue q1', 'Consumer c2');
  await pg.select('Consumer c2');
  await pg.inspector.getByRole('combobox', { name: /^Failure/ }).selectOption({ label: 'slow down 5×' });
  await pg.field('Prefetch').fill('1');
  await pg.field('Prefetch').press('Enter');
  await pg.select('Consumer c1');
  await pg.field('Prefetch').fill('1');
  await pg.field('Prefetch').press('Enter');

  // Ten messages shared by a normal and a five-times-slower consumer.
  await pg.button('Burst from p1').click();
  await stepUntil(pg, async () => (await doneCount(pg, 'Consumer c1')) + (await doneCount(pg, 'Consumer c2')) === 10, 200);
  const [fast, slow] = [await doneCount(pg, 'Consumer c1'), await doneCount(pg, 'Consumer c2')];
  assert.ok(fast > slow, `the normal consumer did more (${fast}) than the slow one (${slow})`);

  // c1 now crashes while processing: its unacknowledged message goes back to the queue.
  await pg.inspector.getByRole('combobox', { name: /^Failure/ }).selectOption({ label: 'crash while processing' });
  await pg.button('Publish from p1').click();
  await pg.button('Publish from p1').click();
  await stepUntil(pg, async () => /Consumer c1 crashed; it restarts in 1 s/.test(await pg.log.innerText()));
  await stepUntil(pg, async () => /requeued in q1/.test(await pg.log.innerText()));
  await context.close();
  assertClean(problems);

  // A Kafka consumer has no nack: failing a record means seeking back to it.
  const kafka = await openPlayground();
  for (const part of ['Kafka broker', 'Producer', 'Topic', 'Consumer group', 'Consumer']) await kafka.pg.part(part).click();
  const connectK = async (from, to) => {
    await kafka.page.getByLabel('Connect from', { exact: true }).selectOption({ label: from });
    await kafka.page.getByLabel('Connect to', { exact: true }).selectOption({ label: to });
    await kafka.pg.button('Connect').click();
  };
  await connectK('Producer p1', 'Topic t1');
  await connectK('Topic t1', 'Consumer group g1');
  await connectK('Consumer c1', 'Consumer group g1');
  await kafka.pg.select('Consumer c1');
  await kafka.pg.inspector.getByRole('combobox', { name: /^Failure/ }).selectOption({ label: 'reject (nack, no requeue; Kafka: seek back)' });
  await kafka.pg.button('Burst from p1').click();
  await stepUntil(kafka.pg, async () => /Kafka has no nack, so it did not commit and sought back to offset 0/.test(await kafka.pg.log.innerText()));
  await kafka.pg.step(10);
  assert.equal(await doneCount(kafka.pg, 'Consumer c1'), 0, 'the failing consumer never gets past its first record');
  assertClean(kafka.problems);
  await kafka.context.close();
});

test('the head a full queue dead-letters keeps its own body, sender and history', async () => {
  const { page, problems, context, pg } = await openPlayground();
  for (const part of ['Producer', 'Producer', 'Queue', 'Fanout exchange', 'Queue']) await pg.part(part).click();
  const connect = async (from, to) => {
    await page.getByLabel('Connect from', { exact: true }).selectOption({ label: from });
    await page.getByLabel('Connect to', { exact: true }).selectOption({ label: to });
    await pg.button('Connect').click();
  };
  await connect('Producer p1', 'Queue q1');
  await connect('Producer p2', 'Queue q1');
  await connect('Fanout exchange x1', 'Queue q2');
  await pg.select('Queue q1');
  await pg.setField('Max length', '1');
  await pg.setField('Dead-letter exchange', 'x1');
  await pg.select('Producer p1');
  await pg.setField('Body', 'first from p1');
  await pg.button('Publish from p1').click();
  await pg.select('Producer p2');
  await pg.setField('Body', 'second from p2');
  await pg.button('Publish from p2').click();

  // q1 keeps the newer message; its dead-lettered head is in q2.
  await pg.page.waitForFunction(() => document.querySelectorAll('[aria-label="Messages in queue q2"] li').length === 1);
  assert.equal((await pg.queueTexts('q1')).length, 1);
  await pg.queueMessages('q2').first().getByRole('button').click();
  await pg.messageDetails.getByText('body “first from p1”').waitFor();
  const details = await pg.messageDetails.innerText();
  assert.match(details, /sent by p1/);
  assert.doesNotMatch(details, /second from p2|p2/, 'nothing of the message that pushed it out');
  const history = await pg.messageDetails.getByRole('list').last().getByRole('listitem').allTextContents();
  assert.match(history[0], /published by p1/);
  assert.ok(history.some((h) => /enqueued in q1/.test(h)), JSON.stringify(history));
  assert.ok(history.some((h) => /dead-lettered from q1 \(maxlen\) to exchange x1/.test(h)), JSON.stringify(history));
  assert.match(history.at(-1), /enqueued in q2/);

  // The log's line of the dead-lettering opens the message it speaks of.
  await pg.log.getByRole('button', { name: /dead-lettered from q1 \(maxlen\) to exchange x1/ }).click();
  await pg.messageDetails.getByText(/dead-lettered from q1 \(maxlen\)/).first().waitFor();
  assert.match(await pg.messageDetails.innerText(), /body “first from p1”/);
  assertClean(problems);
  await context.close();
});

test('a consumer card lists the messages it holds unacknowledged, each explained on a click', async () => {
  const { problems, context, pg } = await openPlayground();
  for (const part of ['Producer', 'Queue', 'Consumer']) await pg.part(part).click();
  await pg.dragConnect('p1', 'Queue q1');
  await pg.dragConnect('q1', 'Consumer c1');
  await pg.select('Consumer c1');
  await pg.setField('Processing time (ms)', '5000');
  await pg.setField('Prefetch', '2');
  await pg.select('Producer p1');
  await pg.button('Burst from p1').click();
  const held = pg.page.getByRole('list', { name: 'Unacknowledged by c1' }).getByRole('listitem');
  await held.nth(1).waitFor();
  assert.equal(await held.count(), 2, 'a prefetch of 2 holds two');
  await held.first().getByRole('button').click();
  await pg.messageDetails.getByText(/delivered to c1/).first().waitFor();
  const hops = await pg.messageDetails.getByRole('list', { name: 'Path on the canvas' }).getByRole('listitem').allTextContents();
  assert.deepEqual(hops.map((t) => t.trim()), ['Producer p1 → Queue q1', 'Queue q1 → Consumer c1']);
  assertClean(problems);
  await context.close();
});

test('a message in flight opens its history when clicked', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.part('Producer').click();
  await pg.part('Queue').click();
  await pg.dragNode('Queue q1', 320, 160);
  await page.getByLabel('Connect from', { exact: true }).selectOption({ label: 'Producer p1' });
  await page.getByLabel('Connect to', { exact: true }).selectOption({ label: 'Queue q1' });
  await pg.button('Connect').click();
  await pg.button('Publish from p1').click();
  await pg.step(1);

  // Where the dot is drawn: each dot starts "M<x - 6>,<y>" in the flights path.
  const d = await page.locator('path.pg-flight:not(.kafka)').getAttribute('d');
  const [, left, y] = d.match(/^M(-?[\d.]+),(-?[\d.]+)/).map(Number);
  const svg = await page.locator('svg.pg-edges').boundingBox();
  await page.mouse.click(svg.x + left + 6, svg.y + y);
  await pg.messageDetails.getByText(/published by p1/).waitFor();
  assert.match(await pg.messageDetails.innerText(), /enqueued in q1/);
  assertClean(problems);
  await context.close();
});

test('a playground exports to a file and imports back; a broken file is refused and loses nothing', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.loadPreset('Routing with a topic exchange');
  await pg.dragNode('Queue critical', 40, 30);
  const titles = await pg.nodeTitles();
  const [download] = await Promise.all([page.waitForEvent('download'), pg.button('Export').click()]);
  const dir = await mkdtemp(join(tmpdir(), 'brokerlab-pg-'));
  const file = join(dir, 'playground.json');
  await download.saveAs(file);
  assert.equal(download.suggestedFilename(), 'playground.json');
  const saved = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(saved.version, 2);
  assert.equal(saved.topology, undefined, 'a scenario file, not the canvas document of old');
  assert.ok(saved.rabbitmq.queues.some((q) => q.name === 'critical'), JSON.stringify(saved.rabbitmq));
  assert.equal(saved.layout['queue:critical'].x % 1, 0, 'positions are whole pixels');

  const other = await context.newPage();
  await other.goto(`${BASE}#/playground`);
  const copy = new Playground(other);
  await copy.waitUntilShown();
  await other.getByLabel('Import').setInputFiles(file);
  await copy.node('Queue critical').waitFor();
  assert.deepEqual(await copy.nodeTitles(), titles);
  assert.match(await copy.canvas.innerText(), /\*\.critical/, 'bindings come along');

  // A file saved before the scenario format opens too.
  await other.getByLabel('Import').setInputFiles(fileURLToPath(new URL('../../src/playground/golden/canvas-v1.json', import.meta.url)));
  await copy.node('Queue pdf & reports').waitFor();
  assert.equal((await copy.nodeTitles()).length, 13);
  await other.getByLabel('Import').setInputFiles(file);
  await copy.node('Queue pdf & reports').waitFor({ state: 'detached' });
  assert.deepEqual(await copy.nodeTitles(), titles);

  const broken = join(dir, 'broken.json');
  await writeFile(broken, '{"version": 1, "topology": ');
  await other.getByLabel('Import').setInputFiles(broken);
  await other.getByRole('status').filter({ hasText: 'This is not a Brokerlab playground file' }).waitFor();
  assert.deepEqual(await copy.nodeTitles(), titles, 'the canvas is kept');
  assertClean(problems);
  await context.close();
});

test('zoom, redo and speed: the view scales, redo reapplies a move, and a producer at a rate runs faster at 20x', async () => {
  // The page runs on Playwright's clock, so that the run at the end lasts
  // exactly the page time it is given however slow this machine is.
  const { page, problems, context } = await open(browser, '#/playground', VIEWPORT, (c) => c.clock.install());
  const pg = new Playground(page);
  await pg.waitUntilShown();
  await pg.canvas.waitFor();
  await pg.loadPreset('Routing with a topic exchange');
  const width = async () => (await pg.node('Queue critical').boundingBox()).width;
  const w0 = await width();
  await pg.button('Zoom in').click();
  assert.ok((await width()) > w0 * 1.2, 'zoom in scales the canvas');
  await pg.button('Zoom out').click();
  await pg.button('Zoom out').click();
  assert.ok((await width()) < w0, 'zoom out shrinks it');
  await pg.button('Reset view').click();
  assert.ok(Math.abs((await width()) - w0) < 1, 'reset view restores the scale');

  // Redo puts a move back after undo.
  const before = await pg.node('Queue critical').boundingBox();
  await pg.dragNode('Queue critical', 60, 0);
  await pg.button('Undo').click();
  assert.ok(Math.abs((await pg.node('Queue critical').boundingBox()).x - before.x) < 3);
  await pg.button('Redo').click();
  assert.ok(Math.abs((await pg.node('Queue critical').boundingBox()).x - before.x - 60) <= 20);

  // A producer sending 10 messages a second, for two seconds of page time at
  // 1x and at 20x, into a queue a consumer reads.
  await pg.select('Producer app');
  const inView = await pg.canvas.evaluate((el) => {
    const [a, b] = [el.querySelector('[aria-label="Producer app"]').getBoundingClientRect(), el.getBoundingClientRect()];
    return el.scrollLeft === 0 && el.scrollTop === 0 && a.left >= b.left && a.right <= b.right;
  });
  assert.equal(inView, true, 'the whole starter is in view and the canvas itself never scrolls');
  const rate = 10;
  await pg.setField('Rate (messages per second)', String(rate));
  await pg.part('Consumer').click();
  await page.getByLabel('Connect from', { exact: true }).selectOption({ label: 'Queue all' });
  await page.getByLabel('Connect to', { exact: true }).selectOption({ label: 'Consumer c1' });
  await pg.button('Connect').click();
  await pg.node('Consumer c1').getByText(/done \d+/).waitFor();

  const processed = async () => Number((await page.getByLabel('Messages processed').innerText()).replace(/\D/g, ''));
  const sent = async () => Number((await pg.node('Producer app').innerText()).match(/sent (\d+)/)[1]);
  const step = async () => Number(await pg.timeline().inputValue());
  // From here on the page's time moves only when the test moves it.
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
  const seconds = 2;
  const runFor = async (speed) => {
    await page.getByLabel('Speed').selectOption({ label: `${speed}×` });
    const [sent0, step0] = [await sent(), await step()];
    await pg.button('Play').click();
    await page.clock.runFor(seconds * 1000);
    await pg.button('Pause').click();
    await pg.button('Play').waitFor();
    return { sent: (await sent()) - sent0, steps: (await step()) - step0, processed: await processed() };
  };
  // The engines take steps of 100 ms; the page's loop turns every 16 ms of
  // page time, so a run may take in one turn (16 ms times the speed) more.
  const stepMs = 100;
  const near = (actual, expected, slack, what) =>
    assert.ok(Math.abs(actual - expected) <= slack, `${what}: expected ${expected} ± ${slack}, got ${actual}`);
  const slow = await runFor(1);
  near(slow.steps, (seconds * 1000) / stepMs, 1, 'at 1x, steps of engine time in two seconds of page time');
  assert.equal(slow.sent, (slow.steps * stepMs * rate) / 1000, 'the producer sends at its rate in engine time');
  const fast = await runFor(20);
  near(fast.steps, (seconds * 1000 * 20) / stepMs, Math.ceil((16 * 20) / stepMs), 'at 20x, steps of engine time in two seconds of page time');
  assert.equal(fast.sent, (fast.steps * stepMs * rate) / 1000, 'at 20x the producer keeps its rate in engine time');
  assert.match(await pg.node('Producer app').innerText(), new RegExp(`sent \\d+ · ${rate}/s`), 'the producer shows the rate it sends at');

  // The toolbar counts what consumers finished: c1's work, and more of it at 20x.
  assert.ok(slow.processed > 0, `the consumer finished messages at 1x, got ${slow.processed}`);
  assert.ok(fast.processed > slow.processed, `more were finished after the run at 20x (${fast.processed}) than before it (${slow.processed})`);
  assert.equal(fast.processed, await doneCount(pg, 'Consumer c1'), 'the toolbar counts what the one consumer did');
  assert.ok(fast.processed <= slow.sent + fast.sent, 'no more are finished than were sent');

  assertClean(problems);
  await context.close();
});

test('with touch alone: drag parts from the palette, wire them, move a part and publish', async () => {
  const { page, problems, context } = await open(browser, '#/playground', { ...VIEWPORT, hasTouch: true });
  const pg = new Playground(page);
  await pg.waitUntilShown();
  const cdp = await context.newCDPSession(page);
  // Each touch carries the time a finger would give it: moves 16 ms apart,
  // then a rest of a fifth of a second before the finger lifts. A drag that
  // ends still is no flick; after a flick, Chromium takes the next tap as
  // the one that stops the fling and swallows its click. The times run from
  // a minute ago, so every swipe comes before the taps Playwright sends now.
  let at = Date.now() / 1000 - 60;
  const touch = async (type, after, x, y) => {
    at += after;
    await cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }], timestamp: at });
  };
  const centre = (box) => [box.x + box.width / 2, box.y + box.height / 2];
  const swipe = async ([x0, y0], [x1, y1]) => {
    await touch('touchStart', 0.5, x0, y0);
    for (let i = 1; i <= 8; i++) await touch('touchMove', 0.016, x0 + ((x1 - x0) * i) / 8, y0 + ((y1 - y0) * i) / 8);
    await touch('touchEnd', 0.2);
  };
  const canvas = await pg.canvas.boundingBox();
  await swipe(centre(await pg.part('Producer').boundingBox()), [canvas.x + 120, canvas.y + 80]);
  await swipe(centre(await pg.part('Queue').boundingBox()), [canvas.x + 450, canvas.y + 80]);
  assert.deepEqual(await pg.nodeTitles(), ['Producer p1', 'Queue q1']);

  // Wire by dragging from the producer's connect handle onto the queue.
  await swipe(centre(await pg.button('Connect from p1').boundingBox()), centre(await pg.handle('Queue q1').boundingBox()));
  await pg.inspector.getByRole('heading', { name: /p1 → q1/ }).waitFor();

  // Move the queue down by touch.
  const before = await pg.node('Queue q1').boundingBox();
  const [hx, hy] = centre(await pg.handle('Queue q1').boundingBox());
  await swipe([hx, hy], [hx, hy + 120]);
  const after = await pg.node('Queue q1').boundingBox();
  assert.ok(Math.abs(after.y - before.y - 120) < 4, `moved from ${before.y} to ${after.y}`);

  await pg.button('Publish from p1').tap();
  await pg.step(2);
  assert.equal((await pg.queueTexts('q1')).length, 1);
  assertClean(problems);
  await context.close();
});

test('a stream keeps what its consumers read and shows each one\'s offset; the release travels in the link', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.dragPart('Queue', 360, 60);
  await pg.inspector.getByRole('heading', { name: 'Queue q1', exact: true }).waitFor();
  await pg.inspector.getByRole('combobox', { name: 'Queue type', exact: true }).selectOption('stream');
  await pg.field('Max age (x-max-age)').waitFor({ state: 'visible' });
  await pg.node('Queue q1').getByText('Stream', { exact: true }).waitFor();
  await pg.dragPart('Producer', 110, 60);
  await pg.dragPart('Consumer', 620, 40);
  await pg.dragPart('Consumer', 620, 300);
  await pg.dragConnect('p1', 'Queue q1');
  await pg.dragConnect('q1', 'Consumer c1');
  await pg.dragConnect('q1', 'Consumer c2');
  const offsetChoice = () => pg.inspector.getByRole('combobox', { name: 'Stream offset (x-stream-offset)', exact: true });
  await pg.select('Consumer c1');
  await offsetChoice().selectOption('first');
  await pg.select('Consumer c2');
  await offsetChoice().selectOption('next');
  await pg.select('Producer p1');
  await pg.setField('Burst size', '5');
  await pg.waitForList('Offsets of stream q1', ['empty; the next record gets offset 0']);

  await pg.button('Play').click();
  await pg.button('Burst from p1').click();
  await pg.waitForList('Offsets of stream q1', ['first offset 0', 'last offset 4']);
  await pg.waitForList('Consumer positions in stream q1', ['c1 next offset 5', 'c2 next offset 5']);
  await page.waitForFunction(() => document.querySelector('[aria-label="Messages processed"]').textContent.trim() === '10 processed', null, { timeout: 20000 });
  assert.equal(await pg.page.getByRole('list', { name: 'Records in stream q1' }).getByRole('listitem').count(), 5,
    'both consumers read and acknowledged every record, and the stream still has them all');

  // The broker restarts; the consumers attach again: c1 reads from the
  // first offset once more, c2 waits for the next record.
  await pg.button('Restart RabbitMQ').click();
  await page.waitForFunction(() => document.querySelector('[aria-label="Messages processed"]').textContent.trim() === '15 processed', null, { timeout: 20000 });
  assert.match(await pg.log.innerText(), /c1 attached to stream q1 at offset 0/);
  assert.match(await pg.log.innerText(), /c2 attached to stream q1 at offset 5/);
  assert.deepEqual(await pg.listTexts('Consumer positions in stream q1'), ['c1 next offset 5', 'c2 next offset 5']);
  await pg.button('Pause').click();

  // The release is a canvas setting: undoable, shown for a queue, and shared.
  assert.equal(await pg.release().inputValue(), '4.3', '4.3 by default');
  await pg.release().selectOption('3.13');
  await pg.select('Queue q1');
  const run = pg.inspector.getByRole('definition');
  await pg.inspector.getByText('RabbitMQ 3.13 (3.13.7)', { exact: true }).waitFor();
  assert.deepEqual((await run.allTextContents()).map((t) => t.trim()), ['RabbitMQ 3.13 (3.13.7)', 'none']);
  await pg.button('Undo').click();
  assert.equal(await pg.release().inputValue(), '4.3');
  await pg.button('Redo').click();
  assert.equal(await pg.release().inputValue(), '3.13');
  await pg.button('Share').click();
  const link = await page.getByLabel('Share link').inputValue();

  const other = await context.newPage();
  await other.goto(link);
  const copy = new Playground(other);
  await copy.waitUntilShown();
  await copy.node('Queue q1').waitFor();
  assert.equal(await copy.release().inputValue(), '3.13', 'the link keeps the release');
  await copy.select('Queue q1');
  assert.equal(await copy.inspector.getByRole('combobox', { name: 'Queue type', exact: true }).inputValue(), 'stream');
  await copy.select('Consumer c1');
  assert.equal(await copy.inspector.getByRole('combobox', { name: 'Stream offset (x-stream-offset)', exact: true }).inputValue(), 'first');
  await copy.waitForList('Offsets of stream q1', ['empty; the next record gets offset 0']);

  // A release that refuses a part says so beside it: 4.3 refuses a
  // transient queue, which 3.13 declares.
  await copy.dragPart('Queue', 360, 420);
  await copy.inspector.getByRole('heading', { name: 'Queue q2', exact: true }).waitFor();
  await copy.inspector.getByRole('checkbox', { name: 'Durable', exact: true }).uncheck();
  assert.doesNotMatch(await copy.node('Queue q2').innerText(), /⚠/);
  await copy.release().selectOption('4.3');
  await copy.node('Queue q2').getByText(/⚠.*transient/i).waitFor();
  assertClean(problems);
  await context.close();
});

test('a policy set on the canvas caps a queue, the inspector names it, a refused one says why, and it is kept', async () => {
  const { page, problems, context, pg } = await openPlayground();
  await pg.dragPart('Queue', 360, 60);
  await pg.dragPart('Producer', 110, 60);
  await pg.dragConnect('p1', 'Queue q1');

  // With nothing selected the inspector lists the canvas's policies.
  const background = async () => {
    const box = await pg.canvas.boundingBox();
    await pg.canvas.click({ position: { x: box.width - 12, y: box.height - 12 } });
    await pg.inspector.getByRole('heading', { name: 'Policies', exact: true }).waitFor();
  };
  await background();
  await pg.inspector.getByText('No policies.', { exact: true }).waitFor();
  const form = pg.inspector.getByRole('form', { name: 'Policy' });
  const fill = async (label, value) => form.getByLabel(label, { exact: true }).fill(value);

  // A form that cannot be read says why and keeps what was typed.
  await fill('Pattern', '^q');
  await form.getByRole('button', { name: 'Add policy' }).click();
  assert.equal(await form.getByRole('alert').textContent(), 'A policy needs a name.');
  assert.equal(await form.getByLabel('Pattern', { exact: true }).inputValue(), '^q');

  await fill('Policy name', 'cap');
  await fill('Priority', '1');
  await fill('Definition', 'max-length=2');
  await form.getByRole('button', { name: 'Add policy' }).click();
  const list = pg.inspector.getByRole('list', { name: 'Policies' });
  await list.getByRole('listitem').filter({ hasText: 'cap' }).waitFor();
  assert.match(await list.innerText(), /cap: pattern \^q on all, priority 1: max-length=2/);
  assert.equal(await form.getByLabel('Policy name', { exact: true }).inputValue(), '', 'the form is ready for another');

  // The queue's inspector names the policy in effect.
  await pg.select('Queue q1');
  await pg.inspector.getByText('cap (max-length=2)', { exact: true }).waitFor();
  assert.deepEqual((await pg.inspector.getByRole('definition').allTextContents()).map((t) => t.trim()),
    ['RabbitMQ 4.3 (4.3.5)', 'cap (max-length=2)']);

  // Three messages into a queue whose policy allows two: the oldest is dropped.
  for (let i = 0; i < 3; i += 1) await pg.button('Publish from p1').click();
  await pg.step(20);
  assert.equal(await pg.queueMessages('q1').count(), 2, 'max-length 2 from the policy holds two messages');

  // A policy the broker refuses stays listed with the broker's reason.
  await background();
  await fill('Policy name', 'bad');
  await fill('Pattern', '^q');
  await fill('Definition', 'max-length=lots');
  await form.getByRole('button', { name: 'Add policy' }).click();
  const bad = list.getByRole('listitem').filter({ hasText: 'bad' });
  await bad.getByText(/Refused: 406 PRECONDITION_FAILED - Validation failed: .*lots.* is not a valid maximum length/).waitFor();
  await bad.getByRole('button', { name: 'Remove policy bad' }).click();
  await bad.waitFor({ state: 'detached' });

  // Edit changes a policy in place.
  await list.getByRole('button', { name: 'Edit policy cap' }).click();
  assert.equal(await form.getByLabel('Definition', { exact: true }).inputValue(), 'max-length=2');
  await fill('Definition', 'max-length=1');
  await form.getByRole('button', { name: 'Save policy' }).click();
  await list.getByText(/priority 1: max-length=1/).waitFor();

  // The policy is kept across a reload and travels in a share link.
  await page.reload();
  await pg.waitUntilShown();
  await pg.node('Queue q1').waitFor();
  await background();
  await list.getByText(/cap: pattern \^q on all, priority 1: max-length=1/).waitFor();
  await pg.button('Share').click();
  const link = await page.getByLabel('Share link').inputValue();
  const other = await context.newPage();
  await other.goto(link);
  const copy = new Playground(other);
  await copy.waitUntilShown();
  await copy.node('Queue q1').waitFor();
  await copy.select('Queue q1');
  await copy.inspector.getByText('cap (max-length=1)', { exact: true }).waitFor();
  assertClean(problems);
  await context.close();
});
