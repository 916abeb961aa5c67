// Accessibility: axe-core (WCAG 2.2 AA and best practice) finds nothing on
// the course, a lesson with its live panel stepped, and the playground
// running with the inspector, a message and the share link open, in the
// light and the dark theme, on a desktop and a phone; while a run plays, the
// live regions do not flood a screen reader, and a lesson's step speaks what
// it did; the header fits a 320 px window; and a reader who asks for reduced
// motion sees no message travel; the topology reads as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { launch, open, assertClean } from './support.js';
import { CoursePage } from './pages.js';
import { Playground, playgroundLink, PLAIN_QUEUE } from './playground-pages.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/**
 * Runs axe on the page as it is and fails with every violation it names.
 * Message chips on the canvas are left out of the target-size rule alone:
 * the canvas zooms out to fit its parts, so a chip can be drawn smaller than
 * 24 px, and every chip has an equivalent full-size button in the inspector
 * of the part that holds it (WCAG 2.5.8, "Equivalent"), which the rule does
 * check.
 */
async function assertNoViolations(page, state) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async (tags) => {
    const named = (r) => r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')}`);
    const all = await axe.run(document, { runOnly: { type: 'tag', values: tags }, rules: { 'target-size': { enabled: false } } });
    const size = await axe.run({ exclude: [['.pg-world .pg-msg']] }, { runOnly: { type: 'rule', values: ['target-size'] } });
    return [...named(all), ...named(size)];
  }, TAGS);
  assert.deepEqual(violations, [], `axe found violations on ${state}:\n${violations.join('\n')}`);
}

/**
 * A share link to a producer publishing 10 messages a second through a topic
 * exchange to two queues, one of them read by a consumer: Play has something
 * to show at once.
 */
function busyLink() {
  return playgroundLink(
    [
      [1, 'orders', 20, 40, { Producer: { routing_key: 'eu.orders', body: 'order', headers: '', rate: 10, burst: 1 } }],
      [2, 'events', 260, 40, { Exchange: 'Topic' }],
      [3, 'audit', 500, 20, PLAIN_QUEUE],
      [4, 'billing', 500, 260, PLAIN_QUEUE],
      [5, 'biller', 740, 260, { Consumer: { processing_ms: 0, prefetch: 10, ack_mode: 'Manual', failure: 'None' } }],
    ],
    [[6, 1, 2, 'Publish'], [7, 2, 3, 'QueueBinding', '#'], [8, 2, 4, 'QueueBinding', '*.orders'], [9, 4, 5, 'Consume']],
  );
}

/** The busy playground, played until messages wait in a queue, paused, with a part selected. */
async function playgroundInUse(page) {
  const pg = new Playground(page);
  await pg.node('Queue audit').waitFor();
  await pg.button('Play').click();
  await pg.queueMessages('audit').first().waitFor({ timeout: 20000 });
  await pg.button('Pause').click();
  await pg.select('Queue audit');
  return pg;
}

const SCREENS = [
  { colorScheme: 'light', size: 'desktop', viewport: { width: 1280, height: 900 } },
  { colorScheme: 'dark', size: 'desktop', viewport: { width: 1280, height: 900 } },
  { colorScheme: 'light', size: 'phone', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  { colorScheme: 'dark', size: 'phone', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
];

for (const { size, ...screen } of SCREENS) {
  const label = `${screen.colorScheme}, ${size}`;
  test(`axe finds no violation on the course, a lesson or the playground in the ${screen.colorScheme} theme at ${size} size`, async () => {
    let { page, problems, context } = await open(browser, '', screen);
    const course = await new CoursePage(page).waitUntilShown();
    await assertNoViolations(page, `the course (${label})`);

    await course.openLesson('Why Asynchronous Messaging?');
    let live = page.getByRole('region', { name: /^Try it live/ });
    if (size === 'phone') {
      // On a phone the live panel is a sheet the text's "Try it" opens.
      const tryIt = page.getByRole('article').locator('.prose').getByRole('button', { name: 'Try it' }).first();
      await tryIt.scrollIntoViewIfNeeded();
      await tryIt.tap();
      live = page.getByRole('dialog', { name: 'Live scenarios' }).getByRole('region', { name: /^Try it live/ });
    }
    await live.getByRole('button', { name: 'Step' }).click();
    await live.getByText(/Step 1 of/).waitFor();
    await assertNoViolations(page, `a lesson with its live panel stepped (${label})`);

    assertClean(problems);
    await context.close();

    // The playground, opened from a link in a fresh page.
    ({ page, problems, context } = await open(browser, busyLink(), screen));
    const pg = await playgroundInUse(page);
    await assertNoViolations(page, `the playground with a part in the inspector (${label})`);
    // The inspector lists the queue's messages as full-size buttons too.
    const held = pg.inspector.getByRole('list', { name: 'Explain a message held by audit' }).getByRole('button');
    assert.equal(await held.count(), await pg.queueMessages('audit').count());
    const chip = await held.first().boundingBox();
    assert.ok(chip.height >= 24 && chip.width >= 24, `an inspector message button is ${chip.width}×${chip.height}`);
    await held.first().focus();
    await page.keyboard.press('Enter');
    await pg.messageDetails.getByRole('heading').first().waitFor();
    // Opening a message from the keyboard takes the focus to its explanation.
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Message details');
    await assertNoViolations(page, `the playground with a message open (${label})`);
    await pg.button('Share').click();
    await page.getByLabel('Share link').waitFor();
    await assertNoViolations(page, `the playground with its share link (${label})`);
    await pg.button('Starters').click();
    const starters = page.getByRole('region', { name: 'Starters' });
    await starters.getByRole('button', { name: 'Open Work queue', exact: true }).click();
    await starters.getByRole('group', { name: 'Replace your canvas?' }).waitFor();
    await assertNoViolations(page, `the playground with its starters asking before replacing (${label})`);
    await pg.button('My designs').click();
    await page.getByRole('region', { name: 'My designs' }).getByRole('button', { name: 'Save this canvas as a new design' }).waitFor();
    await assertNoViolations(page, `the playground with My designs open (${label})`);
    assertClean(problems);
    await context.close();
  });
}

/** Counts changes to what the page's live regions would speak. */
function countAnnouncements(page) {
  return page.evaluate(() => {
    window.announcements = [];
    const live = (el) => {
      for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
        const setting = n.getAttribute('aria-live');
        if (setting) return setting !== 'off';
        if (['status', 'log', 'alert'].includes(n.getAttribute('role')) || n.tagName === 'OUTPUT') return true;
      }
      return false;
    };
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        if (el && live(el)) window.announcements.push(el.textContent.trim());
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

test('a playing run speaks a summary at most every five seconds, and a step speaks its events', async () => {
  const { page, problems, context } = await open(browser, busyLink());
  const pg = new Playground(page);
  await pg.node('Queue audit').waitFor();
  await countAnnouncements(page);
  await pg.button('Play').click();
  await page.waitForTimeout(7000);
  await pg.button('Pause').click();
  const playing = await page.evaluate(() => window.announcements.filter((t) => t));
  // The Pause button's own label is not a live region; what was spoken is the
  // summary line (one at the start, one five seconds on) and nothing else.
  assert.ok(playing.length >= 1 && playing.length <= 2, `spoken while playing: ${JSON.stringify(playing)}`);
  assert.match(playing[0], /new events?; latest: /);
  assert.ok((await pg.log.getByRole('listitem').count()) > 5, 'the log itself kept every event on screen');

  await page.evaluate(() => { window.announcements = []; });
  await pg.step();
  const status = page.getByRole('status', { name: 'Latest events' });
  await page.waitForFunction(() => window.announcements.some((t) => t));
  const stepped = await status.textContent();
  const newest = (await pg.log.getByRole('listitem').first().textContent()).trim();
  assert.ok(newest.endsWith(stepped.split('. ').at(-1)), `a step speaks its newest event: "${stepped}" vs "${newest}"`);
  assertClean(problems);
  await context.close();
});

test('a lesson step speaks what just happened, after its step counter', async () => {
  const { page, problems, context } = await open(browser, '');
  await new CoursePage(page).openLesson('Why Asynchronous Messaging?');
  const live = page.getByRole('region', { name: /^Try it live/ });
  await live.getByRole('button', { name: 'Step' }).waitFor();
  await countAnnouncements(page);
  await live.getByRole('button', { name: 'Step' }).click();
  await live.getByText('Step 1 of').waitFor();
  const happened = (await live.getByRole('list', { name: 'What just happened' }).getByRole('listitem').allTextContents()).map((t) => t.trim());
  assert.ok(happened.length > 0, 'the step did something');
  await page.waitForFunction((first) => window.announcements.some((t) => t.includes(first)), happened[0]);
  const spoken = await page.evaluate(() => window.announcements);
  assert.ok(spoken.some((t) => t.startsWith('Step 1 of')), `the counter is spoken: ${JSON.stringify(spoken)}`);
  assertClean(problems);
  await context.close();
});

test('the header fits a 320 px window without scrolling sideways', async () => {
  const { page, problems, context } = await open(browser, '', { viewport: { width: 320, height: 640 } });
  await new CoursePage(page).waitUntilShown();
  const nav = page.getByRole('navigation').first();
  await nav.getByRole('link', { name: 'Playground' }).waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `the page is ${width} px wide in a 320 px window`);
  const link = await nav.getByRole('link', { name: 'Playground' }).boundingBox();
  assert.ok(link.x >= 0 && link.x + link.width <= 320, `the Playground link is in view: ${JSON.stringify(link)}`);
  assertClean(problems);
  await context.close();
});

/** Distinct positions of messages drawn in flight over a second. */
async function flightPositions(page) {
  const seen = new Set();
  for (let i = 0; i < 12; i++) {
    const d = await page.locator('path.pg-flight').first().getAttribute('d');
    for (const m of (d ?? '').matchAll(/M([\d.-]+),([\d.-]+)/g)) seen.add(`${m[1]},${m[2]}`);
    await page.waitForTimeout(90);
  }
  return seen.size;
}

for (const reducedMotion of ['no-preference', 'reduce']) {
  test(`messages in flight ${reducedMotion === 'reduce' ? 'do not travel when reduced motion is asked for' : 'travel along their edges'}`, async () => {
    const { page, problems, context } = await open(browser, busyLink(), { reducedMotion });
    const pg = new Playground(page);
    await pg.node('Queue audit').waitFor();
    const edges = await page.locator('g.pg-edge').count();
    await pg.button('Play').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-count]')?.dataset.count) > 0);
    const positions = await flightPositions(page);
    await pg.button('Pause').click();
    if (reducedMotion === 'reduce') {
      assert.ok(positions <= edges, `${positions} positions on ${edges} edges: each message is drawn at its edge's end`);
    } else {
      assert.ok(positions > edges, `${positions} positions on ${edges} edges: messages move`);
    }
    assertClean(problems);
    await context.close();
  });
}

test('adding, connecting, deleting and undoing are announced, Delete leaves focus on the canvas, and shortcuts act only there', async () => {
  const { page, problems, context } = await open(browser, '#/playground');
  const pg = new Playground(page);
  await pg.waitUntilShown();
  const said = (text) => page.getByRole('status').filter({ hasText: text });

  await pg.part('Producer').click();
  await said('Added Producer p1.').waitFor();
  await pg.part('Queue').click();
  await said('Added Queue q1.').waitFor();
  await pg.dragConnect('p1', 'Queue q1');
  await said('Connected p1 → q1.').waitFor();

  // Delete on a part removes it, says so, and leaves focus on the canvas.
  await pg.select('Queue q1');
  await page.keyboard.press('Delete');
  await said('Deleted Queue q1.').waitFor();
  assert.deepEqual(await pg.nodeTitles(), ['Producer p1']);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Canvas');
  await page.keyboard.press('Control+z');
  await said('Undone.').waitFor();
  assert.deepEqual(await pg.nodeTitles(), ['Producer p1', 'Queue q1']);

  // With a part selected but the focus on a toolbar button, Delete and
  // Control+Z do nothing to the canvas.
  await pg.select('Producer p1');
  await pg.button('Tidy up').focus();
  await page.keyboard.press('Delete');
  await page.keyboard.press('Control+z');
  assert.deepEqual(await pg.nodeTitles(), ['Producer p1', 'Queue q1']);
  assertClean(problems);
  await context.close();
});

test('the topology reads as text in the order messages flow, and follows the canvas', async () => {
  const { page, problems, context } = await open(browser, busyLink());
  const pg = new Playground(page);
  await pg.node('Queue audit').waitFor();
  await page.getByText('Topology as text', { exact: true }).click();
  const lines = () => page.getByRole('list', { name: 'Topology as text' }).getByRole('listitem').allTextContents();
  assert.deepEqual(await lines(), [
    'Producer orders → Topic exchange events',
    'Topic exchange events → Queue audit (binding key “#”); → Queue billing (binding key “*.orders”)',
    'Queue audit: nothing further',
    'Queue billing → Consumer biller',
    'Consumer biller: nothing further',
  ]);
  await pg.select('Consumer biller');
  await page.keyboard.press('Delete');
  await page.getByRole('status').filter({ hasText: 'Deleted Consumer biller.' }).waitFor();
  assert.deepEqual((await lines()).slice(2), ['Queue audit: nothing further', 'Queue billing: nothing further']);
  assertClean(problems);
  await context.close();
});
