// Page objects for the playground, found by role and accessible name: the
// palette's parts, nodes on the canvas (a group named like "Queue q1"), the
// inspector's fields, the run controls and the event log.
import { PlaygroundPage } from './pages.js';

/** Settings of a queue with nothing set, as a canvas file writes them. */
export const PLAIN_QUEUE = { Queue: { message_ttl: null, max_length: null, dead_letter_exchange: '' } };

/**
 * The address of a playground share link to a canvas of `nodes`, each
 * [id, name, x, y, config], and `edges`, each [id, from, to, role, binding key].
 */
export function playgroundLink(nodes, edges) {
  const ids = [...nodes, ...edges].map(([id]) => id);
  const doc = {
    version: 1,
    topology: {
      nodes: nodes.map(([id, name, x, y, config]) => ({ id, name, x, y, config })),
      edges: edges.map(([id, from, to, role, key = '']) => ({ id, from, to, role, binding_key: key, arguments: '' })),
      next_id: Math.max(...ids) + 1,
      seed: 7,
    },
  };
  return '#/playground?s=' + encodeURIComponent(JSON.stringify(doc)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export class Playground extends PlaygroundPage {
  constructor(page) {
    super(page);
    this.canvas = page.getByRole('region', { name: 'Canvas' });
    this.palette = page.getByRole('group', { name: 'Parts' });
    this.inspector = page.getByRole('complementary', { name: 'Inspector' });
    this.log = page.getByRole('log');
    this.messageDetails = page.getByRole('region', { name: 'Message details' });
  }

  part(name) {
    return this.palette.getByRole('button', { name, exact: true });
  }

  node(title) {
    return this.page.getByRole('group', { name: title, exact: true });
  }

  handle(title) {
    return this.node(title).getByRole('button', { name: title, exact: true });
  }

  button(name) {
    return this.page.getByRole('button', { name, exact: true });
  }

  /** Drags a part from the palette onto the canvas at (x, y) from its top left corner. */
  async dragPart(name, x, y) {
    const from = await this.part(name).boundingBox();
    const canvas = await this.canvas.boundingBox();
    await this.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(canvas.x + x, canvas.y + y, { steps: 8 });
    await this.page.mouse.up();
  }

  /** Drags from a node's connect handle onto another node. */
  async dragConnect(fromName, toTitle) {
    const port = await this.button(`Connect from ${fromName}`).boundingBox();
    const target = await this.handle(toTitle).boundingBox();
    await this.page.mouse.move(port.x + port.width / 2, port.y + port.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 8 });
    await this.page.mouse.up();
  }

  /** Drags a node by its handle by (dx, dy) pixels. */
  async dragNode(title, dx, dy) {
    const box = await this.handle(title).boundingBox();
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + dx, y + dy, { steps: 6 });
    await this.page.mouse.up();
  }

  field(label) {
    return this.inspector.getByLabel(label, { exact: true });
  }

  /** Types into an inspector field and commits with Enter. */
  async setField(label, value) {
    const field = this.field(label);
    await field.fill(value);
    await field.press('Enter');
  }

  async select(title) {
    await this.handle(title).click();
    await this.inspector.getByRole('heading', { name: title, exact: true }).waitFor();
  }

  queueMessages(name) {
    return this.page.getByRole('list', { name: `Messages in queue ${name}` }).getByRole('listitem');
  }

  async queueTexts(name) {
    return (await this.queueMessages(name).allTextContents()).map((t) => t.trim());
  }

  /** The text lines of a labelled list on a card, e.g. "Offsets of stream q1". */
  async listTexts(name) {
    return (await this.page.getByRole('list', { name, exact: true }).getByRole('listitem').allTextContents()).map((t) => t.trim());
  }

  /** Waits until a labelled list on a card reads exactly `texts`. */
  async waitForList(name, texts) {
    await this.page.waitForFunction(
      ([label, want]) => {
        const list = document.querySelector(`[aria-label="${label}"]`);
        const got = list ? [...list.querySelectorAll('li')].map((li) => li.textContent.trim()) : [];
        return JSON.stringify(got) === JSON.stringify(want);
      },
      [name, texts],
      { timeout: 20000 },
    );
  }

  release() {
    return this.page.getByRole('combobox', { name: 'RabbitMQ release', exact: true });
  }

  partitionCaption(topic, partition) {
    return this.node(`Topic ${topic}`).getByText(new RegExp(`^P${partition} `));
  }

  async nodeTitles() {
    return this.canvas.locator('[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  }

  /** Opens a starter from the Starters panel, replacing the canvas if asked. */
  async loadPreset(title) {
    await this.button('Starters').click();
    const starters = this.page.getByRole('region', { name: 'Starters' });
    await starters.getByRole('button', { name: `Open ${title}`, exact: true }).click();
    const replace = starters.getByRole('button', { name: 'Replace my canvas' });
    // Either it opened (the panel closes) or it asks first.
    await Promise.race([starters.waitFor({ state: 'hidden' }), replace.waitFor()]);
    if (await replace.isVisible()) await replace.click();
    await starters.waitFor({ state: 'hidden' });
  }

  timeline() {
    return this.page.getByRole('slider', { name: 'Timeline' });
  }

  /** Moves the timeline to a step with the keyboard: Home, then ArrowRight. */
  async scrubTo(step) {
    const slider = this.timeline();
    await slider.focus();
    await this.page.keyboard.press('Home');
    for (let i = 0; i < step; i++) await this.page.keyboard.press('ArrowRight');
  }

  async step(times = 1) {
    for (let i = 0; i < times; i++) await this.button('Step').click();
  }

  /** Presses Tab until the focused element has this accessible name. */
  async tabTo(name, limit = 250) {
    for (let i = 0; i < limit; i++) {
      await this.page.keyboard.press('Tab');
      const focused = await this.page.evaluate(() => {
        const el = document.activeElement;
        if (!el) return '';
        const label = el.getAttribute('aria-label') ?? el.labels?.[0]?.querySelector('span')?.textContent ?? el.labels?.[0]?.textContent ?? el.textContent;
        return (label ?? '').trim();
      });
      if (focused === name) return;
    }
    throw new Error(`Tab never reached "${name}"`);
  }
}
