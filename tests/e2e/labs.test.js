// The distributed-pattern labs embedded in the fourth module's lessons: a
// reader picks a strategy, injects crashes and outages, runs the simulation
// and reads the counters that show what each pattern guarantees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, assertClean } from './support.js';
import { LessonPage } from './pages.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A lab's region on a lesson page, once the lesson has opened. */
async function openLab(slug, lessonTitle, labTitle) {
  const opened = await open(browser, `#/course/${slug}`);
  await new LessonPage(opened.page).waitFor(lessonTitle);
  const lab = opened.page.getByRole('region', { name: `Lab: ${labTitle}` });
  await lab.waitFor();
  return { ...opened, lab };
}

/** The value beside a row header in one of a lab's figure tables. */
async function figure(lab, table, name) {
  const row = lab
    .getByRole('table', { name: table, exact: true })
    .getByRole('row')
    .filter({ has: lab.page().getByRole('rowheader', { name, exact: true }) });
  return (await row.getByRole('cell').textContent()).trim();
}

async function figures(lab, table, names) {
  const values = {};
  for (const name of names) values[name] = await figure(lab, table, name);
  return values;
}

test('delivery lab: a crash loses an order at-most-once, and the idempotent consumer applies every order once', async () => {
  const { lab, problems, context } = await openLab(
    'delivery-semantics',
    'Delivery Semantics (At-Least-Once, At-Most-Once, Exactly-Once)',
    'Delivery semantics under crashes',
  );
  const counters = ['Lost', 'Processed twice or more', 'Processed exactly once', 'Not reached yet'];
  assert.deepEqual(await figures(lab, 'Delivery counters', counters), {
    Lost: '0', 'Processed twice or more': '0', 'Processed exactly once': '0', 'Not reached yet': '8',
  });

  await lab.getByRole('radio', { name: 'At-most-once (commit, then process)' }).check();
  await lab.getByRole('status').getByText('Started over with At-most-once').waitFor();
  await lab.getByRole('button', { name: 'Crash before processing' }).click();
  assert.match(await lab.getByText(/crash is armed/).textContent(), /before processing/);
  await lab.getByRole('button', { name: 'Step' }).click();
  await lab.getByRole('status').getByText(/crashed before processing/).waitFor();
  await lab.getByRole('button', { name: 'Run to the end' }).click();
  await lab.getByRole('status').getByText(/every order is behind the committed offset/).waitFor();
  assert.deepEqual(await figures(lab, 'Delivery counters', counters), {
    Lost: '1', 'Processed twice or more': '0', 'Processed exactly once': '7', 'Not reached yet': '0',
  });
  assert.equal(await lab.getByRole('button', { name: 'Run to the end' }).isDisabled(), true);

  // At-least-once: a crash between processing and the commit applies an order twice.
  await lab.getByRole('radio', { name: 'At-least-once (process, then commit)' }).check();
  await lab.getByRole('button', { name: 'Crash after processing, before the commit' }).click();
  await lab.getByRole('button', { name: 'Run to the end' }).click();
  assert.deepEqual(await figures(lab, 'Delivery counters', counters), {
    Lost: '0', 'Processed twice or more': '1', 'Processed exactly once': '7', 'Not reached yet': '0',
  });

  // The same crash with a deduplication table: nothing lost, nothing twice.
  await lab.getByRole('radio', { name: 'At-least-once with an idempotent consumer' }).check();
  await lab.getByRole('button', { name: 'Crash after processing, before the commit' }).click();
  await lab.getByRole('button', { name: 'Run to the end' }).click();
  assert.deepEqual(await figures(lab, 'Delivery counters', [...counters, 'Duplicates skipped']), {
    Lost: '0', 'Processed twice or more': '0', 'Processed exactly once': '8', 'Not reached yet': '0', 'Duplicates skipped': '1',
  });
  const orders = lab.getByRole('table', { name: 'Orders' });
  assert.equal(await orders.getByRole('row', { name: /^Order 0 / }).getByRole('cell').nth(1).textContent(), '1×');
  assertClean(problems);
  await context.close();
});

test('retry lab: a poison message reaches the dead letters after exactly three attempts on both brokers', async () => {
  const { lab, problems, context } = await openLab(
    'dead-letter-queues-and-retry-topologies',
    'Dead Letter Queues (DLQ) & Retry Topologies',
    'Retries and the dead-letter queue',
  );
  const deadLetters = lab.getByRole('list', { name: 'Dead letters' });
  assert.equal(await lab.getByRole('radio', { name: 'RabbitMQ' }).isChecked(), true);
  for (const broker of ['RabbitMQ', 'Kafka']) {
    if (broker === 'Kafka') {
      await lab.getByRole('radio', { name: broker }).check();
      await lab.getByRole('status').getByText('Started over on Kafka.').waitFor();
    }
    await lab.getByRole('button', { name: 'Publish a poison message' }).click();
    await lab.getByRole('button', { name: 'Publish a good message' }).click();
    await lab.getByRole('button', { name: 'Run until settled' }).click();
    await deadLetters.getByRole('listitem').first().waitFor();
    const items = await deadLetters.getByRole('listitem').allTextContents();
    assert.equal(items.length, 1, broker);
    assert.match(items[0], /^order-1 after 3 attempts/, broker);
    assert.equal(await figure(lab, 'Retry counters', 'Succeeded'), '1', broker);
    assert.match(await lab.getByText(/^Succeeded, in order:/).textContent(), /order-2$/, broker);

    // Fix the bug and republish: the dead letter is handled and leaves the list.
    await lab.getByRole('button', { name: 'Fix the bug and republish order-1' }).click();
    await lab.getByRole('button', { name: 'Run until settled' }).click();
    await deadLetters.getByRole('listitem').first().waitFor({ state: 'detached' });
    assert.match(await lab.getByText(/^Succeeded, in order:/).textContent(), /order-2, order-1$/, broker);
    assert.equal(await figure(lab, 'Retry counters', 'Dead letters'), '0', broker);
  }
  assertClean(problems);
  await context.close();
});

test('outbox lab: side by side, the dual write loses an event on a crash while the outbox stays consistent through an outage', async () => {
  const { page, lab, problems, context } = await openLab(
    'transactional-outbox-pattern',
    'Transactional Outbox Pattern',
    'Transactional outbox against the dual write',
  );
  const table = lab.getByRole('table', { name: 'Database and topic' });
  const cells = async (name) => {
    const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
    const [outbox, dual] = (await row.getByRole('cell').allTextContents()).map((t) => t.trim());
    return { outbox, dual };
  };
  assert.deepEqual(await table.getByRole('columnheader').allTextContents(), [
    'Figure', 'Transactional outbox', 'Dual write: commit the order, then publish',
  ]);

  // Both checkouts crash between their two writes on the same order.
  await lab.getByRole('button', { name: 'Crash the checkouts between their writes' }).click();
  await lab.getByRole('button', { name: 'Place an order' }).click();
  await lab.getByRole('status').getByText(/crashed/).waitFor();
  await lab.getByRole('button', { name: 'Heal and settle' }).click();
  await lab.getByRole('status').getByText(/until everything settled/).waitFor();
  assert.deepEqual(await cells('Orders without an event'), { outbox: 'none', dual: 'order-0' });
  assert.deepEqual(await cells('Events without an order'), { outbox: 'none', dual: 'none' });

  // Publishing first instead breaks the other way.
  await lab.getByRole('radio', { name: 'Dual write: publish, then commit the order' }).check();
  await lab.getByRole('status').getByText(/Started over/).waitFor();
  await lab.getByRole('button', { name: 'Crash the checkouts between their writes' }).click();
  await lab.getByRole('button', { name: 'Place an order' }).click();
  await lab.getByRole('button', { name: 'Heal and settle' }).click();
  await lab.getByRole('status').getByText(/until everything settled/).waitFor();
  assert.deepEqual(await cells('Events without an order'), { outbox: 'none', dual: 'order-0' });

  // Through a broker outage the outbox keeps its rows and publishes them later.
  await lab.getByRole('button', { name: 'Reset' }).click();
  await lab.getByRole('checkbox', { name: 'Broker outage' }).check();
  await lab.getByRole('button', { name: 'Place an order' }).click();
  await lab.getByRole('button', { name: 'Place an order' }).click();
  for (let i = 0; i < 5; i++) await lab.getByRole('button', { name: 'Step' }).click();
  assert.equal((await cells('Rows in the outbox table')).outbox, '2');
  assert.equal((await cells('Orders without an event')).outbox, 'order-0, order-1');
  await lab.getByRole('button', { name: 'Heal and settle' }).click();
  await lab.getByRole('status').getByText(/until everything settled/).waitFor();
  assert.equal(await lab.getByRole('checkbox', { name: 'Broker outage' }).isChecked(), false);
  const after = {};
  for (const name of ['Committed orders', 'Orders with an event', 'Orders without an event', 'Events without an order', 'Rows in the outbox table']) {
    after[name] = (await cells(name)).outbox;
  }
  assert.deepEqual(after, {
    'Committed orders': '2', 'Orders with an event': '2', 'Orders without an event': 'none', 'Events without an order': 'none', 'Rows in the outbox table': '0',
  });
  assertClean(problems);
  await context.close();
});

test('event-sourcing lab: state is rebuilt by replay, snapshots shorten it, the read model catches up', async () => {
  const { page, lab, problems, context } = await openLab(
    'event-sourcing-and-cqrs-integrations',
    'Event Sourcing & CQRS Integrations',
    'Event sourcing and CQRS',
  );
  const account = lab.getByRole('textbox', { name: 'Account' });
  const amount = lab.getByRole('textbox', { name: 'Amount' });
  await account.fill('alice');
  await lab.getByRole('button', { name: 'Open account' }).click();
  await amount.fill('100');
  await lab.getByRole('button', { name: 'Deposit' }).click();
  await amount.fill('30');
  await lab.getByRole('button', { name: 'Withdraw' }).click();
  await lab.getByRole('status').getByText('Appended “alice withdrew 30” at offset 2.').waitFor();
  await account.fill('bob');
  await lab.getByRole('button', { name: 'Open account' }).click();

  // An overdraft is refused and writes no event; so is an amount that is not a number.
  await amount.fill('500');
  await lab.getByRole('button', { name: 'Withdraw' }).click();
  await lab.getByRole('alert').waitFor();
  await amount.fill('lots');
  await lab.getByRole('button', { name: 'Deposit' }).click();
  assert.match(await lab.getByRole('alert').textContent(), /whole number above 0, not “lots”/);
  assert.deepEqual(await lab.getByRole('list', { name: 'Events in account-events' }).getByRole('listitem').allTextContents(), [
    '0: alice opened', '1: alice deposited 100', '2: alice withdrew 30', '3: bob opened',
  ]);
  assert.equal(await figure(lab, 'Write side', 'Account alice'), '70 (version 3)');

  // The read model lags until it polls.
  assert.equal(await figure(lab, 'Read model', 'Events not applied yet'), '4');
  await lab.getByRole('button', { name: 'Read model: catch up' }).click();
  assert.equal(await figure(lab, 'Read model', 'Balance of alice'), '70');
  assert.equal(await figure(lab, 'Read model', 'Events not applied yet'), '0');

  // The write side loses its state on a restart and gets it back by replaying.
  await lab.getByRole('button', { name: 'Restart the write side' }).click();
  assert.match(await figure(lab, 'Write side', 'Write side'), /^restarting/);
  await lab.getByRole('button', { name: 'Rebuild by replaying' }).click();
  await lab.getByRole('status').getByText('read 4 events from offset 0', { exact: false }).waitFor();
  assert.equal(await figure(lab, 'Write side', 'Account alice'), '70 (version 3)');

  // The fifth event stores a snapshot; replaying from it reads nothing after it.
  await account.fill('bob');
  await amount.fill('5');
  await lab.getByRole('button', { name: 'Deposit' }).click();
  await lab.getByText('Snapshots stored: 1; the latest covers the events before offset 5.').waitFor();
  await lab.getByRole('button', { name: 'Replay from the snapshot' }).click();
  await lab.getByRole('status').getByText('Replayed from the latest snapshot at offset 5: read 0 events.').waitFor();

  // Dropping the read model rebuilds it from offset 0.
  await lab.getByRole('button', { name: 'Rebuild the read model' }).click();
  assert.equal(await figure(lab, 'Read model', 'Events not applied yet'), '5');
  await lab.getByRole('button', { name: 'Read model: catch up' }).click();
  assert.equal(await figure(lab, 'Read model', 'Balance of bob'), '5');
  assert.ok(page.url().includes('#/course/event-sourcing-and-cqrs-integrations'));
  assertClean(problems);
  await context.close();
});

test('Kafka vs RabbitMQ lab: one workload on both brokers shows the table\'s differences', async () => {
  const { page, problems, context } = await open(browser, '#/course/kafka-vs-rabbitmq-deep-analysis');
  await new LessonPage(page).waitFor('Kafka vs. RabbitMQ Deep Analysis');
  const lab = page.getByRole('region', { name: 'Lab: one workload on both brokers' });
  await lab.waitFor();
  const table = lab.getByRole('table', { name: 'What each broker did' });
  const cells = async (aspect) => {
    const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: aspect, exact: true }) });
    const [rabbit, kafka] = await row.getByRole('cell').allTextContents();
    return { rabbit, kafka };
  };
  assert.deepEqual(await cells('Replay'), { rabbit: 'not yet', kafka: 'not yet' });

  await lab.getByRole('radio', { name: '3' }).check();
  await lab.getByRole('status').getByText('Started over with 3 consumers on each broker.').waitFor();
  await lab.getByRole('button', { name: 'Send 6 orders' }).click();
  assert.deepEqual(await cells('Left in the broker'), {
    rabbit: '6 messages in queue orders (acknowledged ones are deleted)',
    kafka: '6 records in topic orders (kept until retention)',
  });
  assert.equal(await lab.getByRole('button', { name: 'Send 6 orders' }).isDisabled(), true);

  await lab.getByRole('button', { name: 'Consume everything' }).click();
  await lab.getByRole('status').getByText('Both groups of workers consumed everything.').waitFor();
  const perCustomer = await cells('Order per customer');
  assert.equal(perCustomer.rabbit, 'split across consumers for alice, bob, carol');
  assert.match(perCustomer.kafka, /^each customer's orders went to one consumer, in order$/);
  const idle = await cells('Idle consumers');
  assert.equal(idle.rabbit, '0');
  assert.match(idle.kafka, /^1 \(2 partitions/);
  assert.deepEqual(await cells('Left in the broker'), {
    rabbit: '0 messages in queue orders (acknowledged ones are deleted)',
    kafka: '6 records in topic orders (kept until retention)',
  });
  const flow = await cells('How messages reached consumers');
  assert.match(flow.rabbit, /^pushed: 6 deliveries/);
  assert.match(flow.kafka, /^pulled: \d+ polls$/);

  await lab.getByRole('button', { name: 'Add a late reader' }).click();
  assert.deepEqual(await cells('A reader that arrives late'), {
    rabbit: 'new queue audit got 0 of the 6 orders',
    kafka: 'new group audit read 6 of the 6 from offset 0',
  });
  await lab.getByRole('button', { name: 'Replay from the start' }).click();
  assert.deepEqual(await cells('Replay'), {
    rabbit: 'nothing to replay: the queue is empty',
    kafka: 'workers re-read 6 records after seeking to offset 0',
  });

  // Reset goes back to nothing sent, with the same consumer count.
  await lab.getByRole('button', { name: 'Reset' }).click();
  assert.deepEqual(await cells('Left in the broker'), { rabbit: 'not yet', kafka: 'not yet' });
  assert.equal(await lab.getByRole('radio', { name: '3' }).isChecked(), true);
  assertClean(problems);
  await context.close();
});
