// Page objects: what a person sees on each page, found by role and
// accessible name, never by CSS class or test id.
import assert from 'node:assert/strict';

export class Shell {
  constructor(page) {
    this.page = page;
    this.nav = page.getByRole('navigation', { name: 'Main' });
  }
  heading() {
    return this.page.getByRole('heading', { level: 1 });
  }
  async headingText() {
    await this.heading().waitFor();
    return (await this.heading().textContent()).trim();
  }
  async goToCourse() {
    await this.nav.getByRole('link', { name: 'Course' }).click();
    return new CoursePage(this.page);
  }
  async goToPlayground() {
    await this.nav.getByRole('link', { name: 'Playground' }).click();
    return new PlaygroundPage(this.page);
  }
  async goToChallenges() {
    await this.nav.getByRole('link', { name: 'Challenges' }).click();
    return new ChallengesPage(this.page).waitUntilShown();
  }
  async currentNavItem() {
    const current = this.nav.locator('[aria-current="page"]');
    return (await current.textContent()).trim();
  }
}

export class CoursePage extends Shell {
  async waitUntilShown() {
    await this.page.getByRole('heading', { level: 1, name: 'Learn message brokers by touching them' }).waitFor();
    return this;
  }
  module(title) {
    return this.page.getByRole('region', { name: title });
  }
  async moduleTitles() {
    return (await this.page.getByRole('heading', { level: 2 }).allTextContents()).map((t) => t.trim());
  }
  async openLesson(title) {
    await this.page.getByRole('main').getByRole('link', { name: title, exact: true }).click();
    const lesson = new LessonPage(this.page);
    await lesson.waitFor(title);
    return lesson;
  }
}

export class LessonPage extends Shell {
  async waitFor(title) {
    await this.page.getByRole('heading', { level: 1, name: title }).waitFor();
    return this;
  }
  /** Waits for the lesson's text to load and returns it. */
  async text() {
    const article = this.page.getByRole('article');
    await article.locator('.prose').waitFor();
    return article.innerText();
  }
  /** Waits until the lesson's text has loaded and its live panels, if any, have started. */
  async settled() {
    await this.text();
    await this.page.getByRole('status').filter({ hasText: 'Starting the broker engines' }).waitFor({ state: 'detached' });
    return this;
  }
  async next() {
    const link = this.page.getByRole('navigation', { name: 'Previous and next lessons' }).getByRole('link', { name: /^Next/ });
    const title = (await link.locator('.step-title').textContent()).trim();
    await link.click();
    return this.waitFor(title);
  }
}

export class PlaygroundPage extends Shell {
  async waitUntilShown() {
    await this.page.getByRole('heading', { level: 1, name: 'Playground' }).waitFor();
    return this;
  }
}

export class ChallengesPage extends Shell {
  async waitUntilShown() {
    await this.page.getByRole('heading', { level: 1, name: 'Challenges' }).waitFor();
    return this;
  }
  module(title) {
    return this.page.getByRole('region', { name: title, exact: true });
  }
  /** The "N / M solved" line of a module. */
  async moduleSolved(title) {
    return (await this.module(title).getByText(/ solved$/).first().textContent()).trim();
  }
  async overall() {
    return (await this.page.getByText(/^Overall: /).textContent()).trim();
  }
  link(title) {
    return this.page.getByRole('main').getByRole('link', { name: title, exact: true });
  }
  /** The list item of a challenge, with its level and solved mark. */
  item(title) {
    const link = this.page.getByRole('link', { name: title, exact: true });
    return this.page.getByRole('main').getByRole('listitem').filter({ has: link });
  }
}

export async function assertFocusedOnHeading(page, name) {
  const focused = await page.evaluate(() => document.activeElement?.tagName);
  assert.equal(focused, 'H1', `focus should move to the heading "${name}" after navigation`);
}
