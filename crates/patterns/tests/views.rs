//! The views the UI draws are serde data: every snapshot, step and counter
//! type implements `Serialize` and `Deserialize`.

use brokerlab_patterns::*;
use serde::{Serialize, de::DeserializeOwned};

fn is_serde_data<T: Serialize + DeserializeOwned>() {}

#[test]
fn every_view_the_ui_draws_is_serde_data() {
    is_serde_data::<DeliverySnapshot>();
    is_serde_data::<RabbitDeliverySnapshot>();
    is_serde_data::<DeliveryStep>();
    is_serde_data::<Counters>();
    is_serde_data::<RetrySnapshot>();
    is_serde_data::<RetryStep>();
    is_serde_data::<DeadLetter>();
    is_serde_data::<OutboxSnapshot>();
    is_serde_data::<OutboxStep>();
    is_serde_data::<CheckoutOutcome>();
    is_serde_data::<Consistency>();
    is_serde_data::<EventSourcingSnapshot>();
    is_serde_data::<Replay>();
    is_serde_data::<ServiceNode>();
    is_serde_data::<PatternError>();
}
