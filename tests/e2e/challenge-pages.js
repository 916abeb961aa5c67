// Page object for a challenge on the playground: the playground's own parts
// (see playground-pages.js) and the docked challenge panel, found by role
// and accessible name.
import { Playground } from './playground-pages.js';

export class ChallengePlay extends Playground {
  constructor(page) {
    super(page);
    this.panel = page.getByRole('complementary', { name: 'Challenge' });
    this.results = this.panel.getByRole('list', { name: 'Check results' });
    this.hints = this.panel.getByRole('list', { name: 'Hints' });
  }

  /** Waits for the page titled `title` and its panel (the engines module loaded). */
  async waitFor(title) {
    await this.page.getByRole('heading', { level: 1, name: title }).waitFor();
    await this.panel.waitFor();
    await this.canvas.waitFor();
    return this;
  }

  panelButton(name) {
    return this.panel.getByRole('button', { name, exact: true });
  }

  /** Presses Check and returns the summary it gives. */
  async check() {
    await this.panelButton('Check').click();
    return this.summary();
  }

  async summary() {
    const status = this.panel.getByRole('status').filter({ hasText: /checks pass|Every check passes/ });
    await status.waitFor();
    return (await status.textContent()).trim();
  }

  /** Each check's line: "Passed: probe: check" or "Failed: ..." with its reason. */
  async resultTexts() {
    return (await this.results.getByRole('listitem').allInnerTexts()).map((t) => t.trim());
  }

  async hintTexts() {
    if ((await this.hints.count()) === 0) return [];
    return (await this.hints.getByRole('listitem').allInnerTexts()).map((t) => t.trim());
  }
}
