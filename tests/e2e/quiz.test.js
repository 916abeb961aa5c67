// "Check yourself": a lesson's retrieval questions, answered by clicking and
// by keyboard, graded with the right answer and its explanation on screen,
// kept with progress across a reload and in the exported file, and cleared
// by "Try again"; a questions file that cannot be fetched says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, open, assertClean } from './support.js';
import { LessonPage } from './pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const quizOf = (page) => page.getByRole('region', { name: 'Check yourself' });
const question = (quiz, n) => quiz.getByRole('group', { name: new RegExp(`^Question ${n} of \\d+ `) });
const score = (quiz) => quiz.getByText(/^\d+ of \d+ right$/);
const radio = (group, name) => group.getByRole('radio', { name, exact: true });

test('a right and a wrong answer show their verdicts and explanations, survive a reload, travel in the progress file, and Try again clears them', async () => {
  const { page, problems, context } = await open(browser, '#/course/amqp-vs-kafka-protocol');
  await new LessonPage(page).waitFor('AMQP vs. Kafka Custom Protocol');
  const quiz = quizOf(page);
  const first = question(quiz, 1);
  const second = question(quiz, 2);
  await first.waitFor();
  assert.equal(await score(quiz).textContent(), '0 of 3 right');
  assert.equal(await quiz.getByRole('button', { name: 'Try again' }).count(), 0, 'nothing to try again yet');

  // Clicking a choice's words picks it, as clicking its label does.
  await first.getByText('AMQP 0-9-1', { exact: true }).click();
  assert.equal(await radio(first, 'AMQP 0-9-1').isChecked(), true);
  await first.getByRole('button', { name: 'Check answer' }).click();
  const firstVerdict = first.getByRole('status');
  await firstVerdict.getByText('Right.').waitFor();
  assert.match(await firstVerdict.textContent(), /The right answer: AMQP 0-9-1\./);
  assert.match(await firstVerdict.textContent(), /AMQP 1\.0 is a different protocol, not a newer version of 0-9-1/);

  const third = question(quiz, 3);
  const unchecked = 'The same compressed batches, which the consumers decompress';
  await third.getByText(unchecked).click();
  await second.getByText('A zero-copy read request that consumers send to the broker').click();
  await second.getByRole('button', { name: 'Check answer' }).click();
  const secondVerdict = second.getByRole('status');
  await secondVerdict.getByText('Not quite.').waitFor();
  assert.match(await secondVerdict.textContent(), /The right answer: A batch on the wire has the same format as a batch in the log file/);
  assert.match(await secondVerdict.textContent(), /There is no zero-copy request in the protocol/);
  assert.equal(await score(quiz).textContent(), '1 of 3 right');
  assert.equal(await radio(third, unchecked).isChecked(), true, 'a pick not yet checked stays while another question is answered');
  assert.equal(await first.getByRole('button', { name: 'Check answer' }).count(), 0, 'an answered question is not checked twice');
  assert.equal(await radio(first, 'AMQP 0-9-1').isDisabled(), true);

  await page.reload();
  await question(quizOf(page), 2).getByRole('status').getByText('Not quite.').waitFor();
  assert.equal(await radio(first, 'AMQP 0-9-1').isChecked(), true);
  assert.equal(await radio(second, 'A zero-copy read request that consumers send to the broker').isChecked(), true);
  await first.getByRole('status').getByText('Right.').waitFor();
  assert.equal(await score(quiz).textContent(), '1 of 3 right');
  assert.equal(await question(quiz, 3).getByRole('button', { name: 'Check answer' }).count(), 1, 'the third is still open');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Course' }).click();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export progress' }).click();
  const file = join(await mkdtemp(join(tmpdir(), 'brokerlab-')), 'brokerlab-progress.json');
  await (await download).saveAs(file);
  const exported = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(exported.answers, {
    'quiz/amqp-vs-kafka-protocol/0': [1],
    'quiz/amqp-vs-kafka-protocol/1': [0],
  });

  await page.goBack();
  await first.getByRole('status').getByText('Right.').waitFor();
  await quiz.getByRole('button', { name: 'Try again' }).click();
  await first.getByRole('button', { name: 'Check answer' }).waitFor();
  assert.equal(await quiz.getByRole('button', { name: 'Check answer' }).count(), 3);
  assert.equal(await quiz.getByText(/^(Right|Not quite)\.$/).count(), 0, 'the verdicts are gone');
  assert.equal(await radio(first, 'AMQP 0-9-1').isChecked(), false);
  assert.equal(await radio(first, 'AMQP 0-9-1').isDisabled(), false);
  assert.equal(await score(quiz).textContent(), '0 of 3 right');
  // The focus the vanished button had goes to the first choice, so a
  // keyboard user starts again where the questions start.
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'quiz-amqp-vs-kafka-protocol-0');

  await page.reload();
  await question(quizOf(page), 1).getByRole('button', { name: 'Check answer' }).waitFor();
  assert.equal(await score(quiz).textContent(), '0 of 3 right', 'the cleared answers stay cleared');
  assertClean(problems);
  await context.close();
});

test('questions work from the keyboard, and a pick-all question is right only with every right choice', async () => {
  const { page, problems, context } = await open(browser, '#/course/message-queues-vs-distributed-commit-logs');
  await new LessonPage(page).settled();
  const quiz = quizOf(page);
  await question(quiz, 1).waitFor();
  // Radios: arrow keys pick, Tab leaves the group for the button.
  const q1 = question(quiz, 1);
  await q1.getByRole('radio').first().focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await q1.getByRole('radio').nth(1).isChecked(), true, 'arrow keys move between the choices');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await q1.getByRole('status').getByText('Right.').waitFor();
  assertClean(problems);
  await context.close();

  const other = await open(browser, '#/course/channels-and-virtual-hosts');
  await new LessonPage(other.page).settled();
  const pickAll = question(quizOf(other.page), 3);
  await pickAll.waitFor();
  // The hint is the group's description, read out with its name.
  assert.match(await pickAll.getAttribute('aria-describedby'), /hint/);
  await pickAll.getByText('Pick all that apply.').waitFor();
  const choice = (name) => pickAll.getByRole('checkbox', { name, exact: false });
  await choice('has nothing to do with').focus();
  await other.page.keyboard.press('Space');
  // Tab past the other three choices to the button.
  for (let i = 0; i < 4; i += 1) await other.page.keyboard.press('Tab');
  await other.page.keyboard.press('Enter');
  const verdict = pickAll.getByRole('status');
  await verdict.getByText('Not quite.').waitFor();
  assert.match(await verdict.textContent(), /The right choices: An exchange orders in vhost \/staging has nothing to do with an exchange orders in \/production; A user is granted permissions separately in each vhost\./);

  await quizOf(other.page).getByRole('button', { name: 'Try again' }).click();
  await choice('has nothing to do with').check();
  await choice('A user is granted permissions').check();
  await pickAll.getByRole('button', { name: 'Check answer' }).click();
  await verdict.getByText('Right.').waitFor();
  assert.equal(await score(quizOf(other.page)).textContent(), '1 of 3 right');
  assertClean(other.problems);
  await other.context.close();
});

test('when the questions cannot be fetched the lesson says so, and Try again loads them', async () => {
  const offline = (context) => context.route('**/*.quiz.json', (route) => route.abort('internetdisconnected'));
  const { page, context } = await open(browser, '#/course/amqp-vs-kafka-protocol', {}, offline);
  const quiz = quizOf(page);
  const alert = quiz.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /This lesson's questions could not be loaded/);
  // The lesson's text is fetched beside the questions and may arrive after
  // the questions have failed; it must still arrive and be shown.
  assert.match(await new LessonPage(page).text(), /AMQP/, 'the lesson text is still there');
  assert.equal(await alert.isVisible(), true, 'the failure stays on screen beside the text');

  await context.unroute('**/*.quiz.json');
  await alert.getByRole('button', { name: 'Try again' }).click();
  await question(quiz, 1).waitFor();
  assert.equal(await alert.count(), 0);
  await context.close();
});
