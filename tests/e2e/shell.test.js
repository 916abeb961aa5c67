// The app shell: it loads cleanly from a sub-path, every top-level page is
// reached by clicking, deep links survive a reload and a new tab, unknown
// addresses get a helpful page, and the theme follows the system.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, assertClean, settle, BASE } from './support.js';
import { Shell, CoursePage, PlaygroundPage, assertFocusedOnHeading } from './pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the app loads from its sub-path with no console errors and no failed requests', async () => {
  const { page, problems, context } = await open(browser);
  const course = await new CoursePage(page).waitUntilShown();
  // It stays at the path it is served from (under `cargo xtask test`, a sub-path).
  assert.equal(new URL(page.url()).pathname, new URL(BASE).pathname, page.url());
  assert.equal(await course.currentNavItem(), 'Course');
  assert.match(await page.title(), /Brokerlab/);
  await page.waitForLoadState('networkidle');
  assertClean(problems);
  await context.close();
});

test('each top-level page is reached by clicking, and focus lands on its heading', async () => {
  const { page, problems, context } = await open(browser);
  const shell = new Shell(page);
  await new CoursePage(page).waitUntilShown();
  const playground = await shell.goToPlayground();
  await playground.waitUntilShown();
  assert.equal(await shell.currentNavItem(), 'Playground');
  assert.equal(new URL(page.url()).hash, '#/playground');
  await assertFocusedOnHeading(page, 'Playground');
  const course = await shell.goToCourse();
  await course.waitUntilShown();
  assert.equal(await shell.currentNavItem(), 'Course');
  const modules = await course.moduleTitles();
  assert.ok(modules.length >= 4, `the course lists its modules, got ${JSON.stringify(modules)}`);
  const firstLesson = page.getByRole('main').getByRole('listitem').first().getByRole('link').first();
  const title = (await firstLesson.textContent()).trim();
  const lesson = await course.openLesson(title);
  assert.ok((await lesson.text()).length > 200, 'the lesson text is shown');
  await assertFocusedOnHeading(page, title);
  await lesson.next();
  assertClean(problems);
  await context.close();
});

test('the course loads without the engines, and the first live panel fetches them once', async () => {
  const { page, problems, context } = await open(browser);
  const engines = [];
  page.on('request', (r) => { if (r.url().includes('brokerlab-engines')) engines.push(new URL(r.url())); });
  const course = await new CoursePage(page).waitUntilShown();
  await page.waitForLoadState('networkidle');
  assert.deepEqual(engines, [], 'the course page fetches no engine code');

  const lesson = await course.openLesson('Why Asynchronous Messaging?');
  const live = page.getByRole('region', { name: /^Try it live/ });
  await live.getByRole('button', { name: 'Step' }).waitFor();
  const digest = await page.locator('meta[name="brokerlab-engines"]').getAttribute('content');
  assert.match(digest, /^[0-9a-f]{16}$/, 'the build stamps the engines module\'s digest into the page');
  assert.deepEqual(engines.map((u) => u.pathname.split('/').pop()), ['brokerlab-engines.js', 'brokerlab-engines_bg.wasm']);
  assert.ok(engines.every((u) => u.searchParams.get('v') === digest), engines.join(' '));

  // Another lesson and the playground reuse the module already loaded.
  await lesson.next();
  const playground = await lesson.goToPlayground();
  await playground.waitUntilShown();
  await page.getByRole('region', { name: 'Canvas' }).waitFor();
  assert.equal(engines.length, 2);
  assertClean(problems);
  await context.close();
});

test('pointing at or tabbing to a link to the playground or a live lesson starts fetching the engines', async () => {
  const { page, problems, context } = await open(browser);
  const engines = [];
  page.on('request', (r) => { if (r.url().includes('brokerlab-engines')) engines.push(r.url()); });
  await new CoursePage(page).waitUntilShown();
  await page.waitForLoadState('networkidle');
  assert.deepEqual(engines, []);

  // Pointing at text fetches nothing; pointing at a live lesson's link does.
  const module = page.getByRole('region', { name: 'Module 1: Broker Foundations' });
  await page.getByRole('heading', { level: 1 }).hover();
  await settle(page);
  assert.deepEqual(engines, [], 'pointing at something else fetches nothing');
  const fetched = page.waitForResponse(/brokerlab-engines_bg\.wasm/);
  await module.getByRole('link', { name: 'Why Asynchronous Messaging?' }).hover();
  await (await fetched).finished();
  assert.equal(engines.length, 2, engines.join(' '));

  // The playground then opens on the module already fetched.
  const shell = new Shell(page);
  await (await shell.goToPlayground()).waitUntilShown();
  await page.getByRole('region', { name: 'Canvas' }).waitFor();
  assert.equal(engines.length, 2);
  await context.close();

  // By keyboard: focusing the Playground link is intent enough.
  const second = await open(browser);
  const seen = [];
  second.page.on('request', (r) => { if (r.url().includes('brokerlab-engines')) seen.push(r.url()); });
  await new CoursePage(second.page).waitUntilShown();
  const response = second.page.waitForResponse(/brokerlab-engines_bg\.wasm/);
  await second.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Playground' }).focus();
  await (await response).finished();
  assert.equal(seen.length, 2);
  assertClean(problems);
  assertClean(second.problems);
  await second.context.close();
});

test('when the engines cannot be fetched, the page says so and Try again recovers', async () => {
  const { page, context } = await open(browser, '#/playground');
  await context.route('**/brokerlab-engines.js*', (route) => route.abort('internetdisconnected'));
  await page.reload();
  await new PlaygroundPage(page).waitUntilShown();
  const alert = page.getByRole('alert').filter({ hasText: 'The broker engines could not be loaded' });
  await alert.waitFor();
  assert.equal(await page.getByRole('link', { name: 'Course' }).isVisible(), true, 'the rest of the page still works');

  await context.unroute('**/brokerlab-engines.js*');
  await alert.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('region', { name: 'Canvas' }).waitFor();
  assert.equal(await alert.count(), 0);
  await context.close();
});

test('a deep link reloads to the same page and opens in a new tab', async () => {
  const { page, problems, context } = await open(browser, '#/playground');
  await new CoursePage(page).heading().waitFor();
  assert.equal(await new Shell(page).headingText(), 'Playground');
  // The playground has started (a reload before that would cancel its
  // download, which the clean-page check would rightly count).
  await page.getByRole('region', { name: 'Canvas' }).waitFor();
  await page.reload();
  assert.equal(await new Shell(page).headingText(), 'Playground');
  await page.getByRole('region', { name: 'Canvas' }).waitFor();

  await page.goto(BASE);
  const course = await new CoursePage(page).waitUntilShown();
  const link = page.getByRole('main').getByRole('listitem').nth(2).getByRole('link').first();
  const title = (await link.textContent()).trim();
  const lesson = await course.openLesson(title);
  await lesson.settled();
  const deepLink = page.url();
  await page.reload();
  assert.equal(await new Shell(page).headingText(), title);

  const tab = await context.newPage();
  await tab.goto(deepLink);
  assert.equal(await new Shell(tab).headingText(), title);
  assertClean(problems);
  await context.close();
});

test('an unknown address shows a not-found page with a way back', async () => {
  const { page, context } = await open(browser, '#/no/such/page');
  const shell = new Shell(page);
  assert.equal(await shell.headingText(), 'No such page');
  assert.ok(await page.getByText('#/no/such/page').isVisible());
  await page.getByRole('link', { name: 'Go to the course' }).click();
  await new CoursePage(page).waitUntilShown();

  await page.goto(BASE + '#/course/not-a-real-lesson');
  assert.equal(await shell.headingText(), 'No such lesson');
  await context.close();
});

test('the theme follows the system colour scheme', async () => {
  const background = async (colorScheme) => {
    const { page, context } = await open(browser, '', { colorScheme });
    await new CoursePage(page).waitUntilShown();
    const colour = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await context.close();
    return colour;
  };
  const light = await background('light');
  const dark = await background('dark');
  assert.notEqual(light, dark);
  const brightness = (rgb) => rgb.match(/\d+/g).slice(0, 3).reduce((a, b) => a + Number(b), 0);
  assert.ok(brightness(light) > brightness(dark), `light ${light} should be brighter than dark ${dark}`);
});
