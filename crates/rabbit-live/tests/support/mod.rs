//! What the live tests share: the broker's URL and a paced connection to it.

use std::time::Duration;

use brokerlab_rabbit_live::{LiveBroker, Pacing};

/// The broker under test: `BROKERLAB_AMQP_URL`, or a local RabbitMQ.
pub fn url() -> String {
    std::env::var("BROKERLAB_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string())
}

/// A connection to the broker, waiting `grace_ms` after the last delivery
/// before it settles what a step observed.
pub fn live(grace_ms: u64) -> LiveBroker {
    let url = url();
    let mut live = LiveBroker::connect(&url).unwrap_or_else(|e| {
        panic!(
            "cannot reach RabbitMQ at {url}: {e}\nStart one with:\n  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
             RABBITMQ_NODENAME=rabbit@localhost rabbitmq-server -detached\n  rabbitmqctl -n rabbit@localhost \
             await_startup\nor run `cargo xtask test`. This test never passes without one."
        )
    });
    live.set_pacing(Pacing {
        after_publish: Duration::from_millis(30),
        delivery_timeout: Duration::from_secs(5),
        grace: Duration::from_millis(grace_ms),
    });
    live
}
