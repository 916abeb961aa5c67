"""Runs one of the course's Python code samples and checks what it did.

The course test (`crates/xtask/src/samples.rs`) extracts every fenced
Python block from the lessons and calls this script once for each block it
runs, as `python samples_driver.py SLUG INDEX FILE`: SLUG is the lesson's
slug, INDEX the block's position among the lesson's Python blocks, and FILE
the block's code. The broker's address is in the environment as `AMQP_URL`,
the same variable the samples read.

Each check below plays the sample's part in a small story (publish a job,
watch where it ends up) and exits non-zero with a sentence when the sample
did not do what its lesson says. Names a sample declares are deleted before
and after it runs, so that runs do not depend on each other or on whatever a
previous run left behind.
"""

import json
import os
import runpy
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pika

AMQP_URL = os.environ['AMQP_URL']


class SampleFailed(Exception):
    pass


def connect():
    return pika.BlockingConnection(pika.URLParameters(AMQP_URL))


def cleanup(queues=(), exchanges=()):
    connection = connect()
    channel = connection.channel()
    for queue in queues:
        channel.queue_delete(queue)
    for exchange in exchanges:
        channel.exchange_delete(exchange)
    connection.close()


def ready_count(queue):
    """Messages ready in `queue`, or None when it does not exist."""
    connection = connect()
    try:
        channel = connection.channel()
        return channel.queue_declare(queue, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return None
    finally:
        if connection.is_open:
            connection.close()


def wait_for(what, predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SampleFailed(f'{what} did not happen within {seconds} s')


def publish(exchange, routing_key, body, message_id):
    connection = connect()
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        exchange,
        routing_key,
        body,
        pika.BasicProperties(delivery_mode=2, message_id=message_id, content_type='application/json'),
        mandatory=True,
    )
    connection.close()


def run_to_end(path, seconds=30):
    """Runs a script sample as a program; it must exit 0 on its own."""
    done = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=seconds)
    if done.returncode != 0:
        raise SampleFailed(f'exited with {done.returncode}\n{done.stdout}{done.stderr}')
    return done.stdout


class Service:
    """A long-running sample, stopped with Ctrl-C (SIGINT) as its lesson says."""

    def __init__(self, path):
        self.lines = []
        self.process = subprocess.Popen(
            [sys.executable, '-u', path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        # A thread collects the output, so that waiting never blocks on a pipe.
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip('\n'))

    def output(self):
        return list(self.lines)

    def wait_for_line(self, text, seconds=15):
        def seen():
            if self.process.poll() is not None and not any(text in line for line in self.output()):
                raise SampleFailed(f'exited with {self.process.returncode} before printing {text!r}\n' + '\n'.join(self.lines))
            return any(text in line for line in self.output())

        wait_for(f'the line {text!r}', seen, seconds)

    def interrupt(self, seconds=15):
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise SampleFailed('did not stop on Ctrl-C')
        self.reader.join(5)
        if code != 0:
            raise SampleFailed(f'exited with {code} on Ctrl-C\n' + '\n'.join(self.lines))

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def headers_exchange(path):
    """03-02: a message with matching headers reaches `pdf-a4`."""
    names = dict(queues=['pdf-a4'], exchanges=['documents'])
    cleanup(**names)
    try:
        run_to_end(path)
        count = ready_count('pdf-a4')
        if count != 1:
            raise SampleFailed(f'pdf-a4 holds {count} messages, not the 1 the headers match routes there')
    finally:
        cleanup(**names)


def confirmed_quorum_publish(path):
    """03-03: a confirmed, persistent publish lands in the quorum queue `orders`."""
    cleanup(queues=['orders'])
    try:
        out = run_to_end(path)
        if out.strip():
            raise SampleFailed(f'the publish was not confirmed: {out.strip()}')
        count = ready_count('orders')
        if count != 1:
            raise SampleFailed(f'orders holds {count} messages, not 1')
    finally:
        cleanup(queues=['orders'])


def thumbnail_worker(path):
    """03-05: the worker acks a good job, dead-letters a bad one, stops on Ctrl-C."""
    names = dict(queues=['thumbnails', 'work.failed'], exchanges=['work', 'work.failed'])
    cleanup(**names)
    worker = Service(path)
    try:
        worker.wait_for_line('worker ready')
        publish('work', 'jobs.thumbnail.urgent', json.dumps({'image': 'cat.png'}), 'job-1')
        publish('work', 'jobs.thumbnail.bulk', json.dumps({'size': 3}), 'job-2')
        worker.wait_for_line('job job-1 done')
        worker.wait_for_line('job job-2 failed')
        wait_for('the bad job reaching work.failed', lambda: ready_count('work.failed') == 1)
        worker.interrupt()
        if not any('worker stopped' in line for line in worker.lines):
            raise SampleFailed('stopped without printing "worker stopped"')
        if ready_count('thumbnails') != 0:
            raise SampleFailed('thumbnails still holds a job')
    finally:
        worker.kill()
        cleanup(**names)


def retry_topology(path):
    """04-02: a good order is acked; a failing one goes to the 10 s retry queue."""
    names = dict(queues=['orders', 'orders.retry.10s', 'orders.dlq'], exchanges=['orders', 'orders.retry'])
    cleanup(**names)
    consumer = Service(path)
    try:
        wait_for('the consumer declaring orders', lambda: ready_count('orders') is not None)
        publish('orders', 'order.created', json.dumps({'id': 7, 'total': 30}), 'order-7')
        publish('orders', 'order.created', json.dumps({'total': 3}), 'order-without-id')
        wait_for('the failing order reaching orders.retry.10s', lambda: ready_count('orders.retry.10s') == 1)
        wait_for('orders draining', lambda: ready_count('orders') == 0)
        if ready_count('orders.dlq') != 0:
            raise SampleFailed('a first failure was parked in orders.dlq instead of retried')
        consumer.interrupt()
    finally:
        consumer.kill()
        cleanup(**names)


def dedup_table(path):
    """04-01: handling the same message twice changes the stock once."""
    handle_order = runpy.run_path(path)['handle_order']
    conn = sqlite3.connect(':memory:')
    conn.execute('CREATE TABLE processed_messages (message_id TEXT PRIMARY KEY)')
    conn.execute('CREATE TABLE stock (sku TEXT PRIMARY KEY, reserved INTEGER NOT NULL)')
    conn.execute("INSERT INTO stock VALUES ('mug', 0)")
    conn.commit()
    for _ in range(2):
        handle_order(conn, 'msg-1', {'sku': 'mug', 'qty': 10})
    reserved = conn.execute("SELECT reserved FROM stock WHERE sku = 'mug'").fetchone()[0]
    if reserved != 10:
        raise SampleFailed(f'a redelivered message reserved stock twice: {reserved}')


# (lesson slug, index of the Python block in that lesson) -> its check.
CHECKS = {
    ('routing-mechanics-the-four-exchanges', 0): headers_exchange,
    ('queue-durability-and-message-persistence', 0): confirmed_quorum_publish,
    ('rabbitmq-production-code-nodejs-and-python', 0): thumbnail_worker,
    ('dead-letter-queues-and-retry-topologies', 0): retry_topology,
    ('delivery-semantics', 1): dedup_table,
}


def main():
    if len(sys.argv) == 2 and sys.argv[1] == '--list':
        for slug, index in CHECKS:
            print(f'{slug} {index}')
        return 0
    slug, index, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    check = CHECKS.get((slug, index))
    if check is None:
        print(f'no check is written for Python block {index} of {slug}', file=sys.stderr)
        return 2
    try:
        check(path)
    except SampleFailed as failure:
        print(f'{slug}, Python block {index}: {failure}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
