//! The script format and what a run observed: [`Step`]s (the engine's own
//! commands plus the compound steps a bare command cannot express against
//! both sides), and the [`Outcome`] both sides return in one shape, with
//! each consumer's deliveries stamped by the step they arrived in so the
//! two can be compared.

use super::*;

/// What to do with a fetched message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Settle {
    Ack,
    Reject { requeue: bool },
    Nack { requeue: bool },
}

/// One step of a script. Scripts are short lists built once, so the size
/// of the `Command` variant does not matter and boxing it would only make
/// scripts clumsier to write.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// An engine command, sent as the matching AMQP method.
    Do(Command),
    /// `basic.get` on a queue, then settle whatever came back.
    GetThen { channel: ChannelId, queue: String, settle: Settle },
    /// `basic.get` on a queue, recorded in [`Outcome::gets`]. Without
    /// `no_ack` the message stays unacknowledged on the channel until a
    /// [`Step::Settle`] or the channel's end.
    Get { channel: ChannelId, queue: String, no_ack: bool },
    /// Settle a delivery on a channel: `delivery_tag`, or when it is `None`
    /// the channel's oldest unacknowledged delivery (a consumer's or a
    /// get's). When there is none, nothing is sent. The tag settled (or
    /// `None`) is recorded in [`Outcome::settled`].
    Settle { channel: ChannelId, delivery_tag: Option<u64>, multiple: bool, how: Settle },
    /// Let time pass: logical time on the engine, real time on a broker.
    Wait { ms: u64 },
    /// Fetch every message from each queue in turn (with auto-ack),
    /// recording them under the queue's name. A queue that does not exist
    /// (a restart removed it, say) gets no entry, and draining goes on with
    /// the next queue on a new channel, since the refusal closes the old one.
    Drain { channel: ChannelId, queues: Vec<String> },
}

/// A message as seen by a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub body: String,
    pub exchange: String,
    pub routing_key: String,
    pub redelivered: bool,
    pub headers: FieldTable,
    pub expiration: Option<String>,
    pub delivery_mode: Option<u8>,
    pub priority: Option<u8>,
}

/// One message pushed to a consumer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    /// The script step that caused it: on the engine, the step whose events
    /// hold it; on a broker, the step running (or being waited on) when it
    /// arrived.
    pub step: usize,
    pub delivery_tag: u64,
    pub message: Observed,
}

/// One consumer (one `basic.consume`) and everything pushed to it, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Consumed {
    pub channel: ChannelId,
    pub consumer_tag: String,
    pub deliveries: Vec<Delivered>,
}

/// Everything a script observed: the result of each `GetThen` and `Get` in
/// order, the drained contents of each queue in delivery order, each
/// consumer's deliveries (consumers in the order they started), and the
/// delivery tag each [`Step::Settle`] settled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub gets: Vec<Option<Observed>>,
    pub drained: BTreeMap<String, Vec<Observed>>,
    #[serde(default)]
    pub consumers: Vec<Consumed>,
    #[serde(default)]
    pub settled: Vec<Option<u64>>,
}

impl Outcome {
    /// How many deliveries the consumer at `index` had received once step
    /// `step` was done.
    pub fn deliveries_by(&self, index: usize, step: usize) -> usize {
        self.consumers.get(index).map_or(0, |c| c.deliveries.iter().filter(|d| d.step <= step).count())
    }

    /// Files the consumer starts and deliveries among `events` under `step`.
    pub(crate) fn record(&mut self, step: usize, events: &[Event]) {
        for e in events {
            match e {
                Event::ConsumerStarted { channel, consumer_tag, .. } => self.consumers.push(Consumed {
                    channel: *channel,
                    consumer_tag: consumer_tag.clone(),
                    deliveries: Vec::new(),
                }),
                Event::Delivered { channel, consumer_tag, delivery_tag, message, .. } => {
                    let d = Delivered { step, delivery_tag: *delivery_tag, message: observed_from_engine(message) };
                    match self
                        .consumers
                        .iter_mut()
                        .rev()
                        .find(|c| c.channel == *channel && c.consumer_tag == *consumer_tag)
                    {
                        Some(c) => c.deliveries.push(d),
                        None => self.consumers.push(Consumed {
                            channel: *channel,
                            consumer_tag: consumer_tag.clone(),
                            deliveries: vec![d],
                        }),
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivered(step: usize) -> Delivered {
        Delivered {
            step,
            delivery_tag: 1,
            message: Observed {
                body: String::new(),
                exchange: String::new(),
                routing_key: String::new(),
                redelivered: false,
                headers: FieldTable::default(),
                expiration: None,
                delivery_mode: None,
                priority: None,
            },
        }
    }

    #[test]
    fn the_deliveries_expected_by_a_step_count_only_those_of_that_step_or_earlier() {
        let c = ChannelId { connection: 1, channel: 1 };
        let out = Outcome {
            consumers: vec![Consumed {
                channel: c,
                consumer_tag: "a".into(),
                deliveries: vec![delivered(2), delivered(2), delivered(5)],
            }],
            ..Outcome::default()
        };
        assert_eq!([1, 2, 4, 5, 9].map(|s| out.deliveries_by(0, s)), [0, 2, 2, 3, 3]);
        assert_eq!(out.deliveries_by(1, 9), 0);
    }
}
