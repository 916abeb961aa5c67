//! Playing a script on the engine: [`run_on_engine`] applies each step to a
//! [`Broker`] (a wait advances logical time) and records what the engine's
//! events say each client observed.

use super::*;

pub(crate) fn observed_from_engine(m: &brokerlab_rabbit::Message) -> Observed {
    Observed {
        body: m.body.clone(),
        exchange: m.exchange.clone(),
        routing_key: m.routing_key.clone(),
        redelivered: m.redelivered,
        headers: m.properties.headers.clone().unwrap_or_default(),
        expiration: m.properties.expiration.clone(),
        delivery_mode: m.properties.delivery_mode,
        priority: m.properties.priority,
    }
}

pub(crate) fn get_ok(events: &[Event]) -> Option<(u64, Observed)> {
    events.iter().find_map(|e| match e {
        Event::GetOk { delivery_tag, message, .. } => Some((*delivery_tag, observed_from_engine(message))),
        _ => None,
    })
}

pub(crate) fn settle_on_engine(
    broker: &mut Broker,
    channel: ChannelId,
    tag: u64,
    multiple: bool,
    how: Settle,
) -> Result<Vec<Event>, brokerlab_rabbit::AmqpError> {
    match how {
        Settle::Ack => broker.ack(channel, tag, multiple),
        Settle::Reject { requeue } => broker.reject(channel, tag, requeue),
        Settle::Nack { requeue } => broker.nack(channel, tag, multiple, requeue),
    }
}

/// Plays a script on the engine.
pub fn run_on_engine(broker: &mut Broker, steps: &[Step]) -> Result<Outcome, brokerlab_rabbit::AmqpError> {
    let mut out = Outcome::default();
    // Drain channels a missing queue closed, and the channels that replace them.
    let mut reopened: BTreeMap<ChannelId, ChannelId> = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Do(cmd) => {
                let events = broker.apply(cmd.clone()).into_result()?;
                out.record(i, &events);
            }
            Step::GetThen { channel, queue, settle } => {
                let events = broker.get(*channel, queue, false)?;
                out.record(i, &events);
                let got = get_ok(&events);
                if let Some((tag, _)) = &got {
                    let events = settle_on_engine(broker, *channel, *tag, false, *settle)?;
                    out.record(i, &events);
                }
                out.gets.push(got.map(|g| g.1));
            }
            Step::Get { channel, queue, no_ack } => {
                let events = broker.get(*channel, queue, *no_ack)?;
                out.record(i, &events);
                out.gets.push(get_ok(&events).map(|g| g.1));
            }
            Step::Settle { channel, delivery_tag, multiple, how } => {
                let tag = delivery_tag.or_else(|| {
                    broker
                        .channels()
                        .into_iter()
                        .find(|c| c.channel == *channel)
                        .and_then(|c| c.unacked.iter().map(|u| u.delivery_tag).min())
                });
                if let Some(tag) = tag {
                    let events = settle_on_engine(broker, *channel, tag, *multiple, *how)?;
                    out.record(i, &events);
                }
                out.settled.push(tag);
            }
            Step::Wait { ms } => {
                let events = broker.tick(*ms);
                out.record(i, &events);
            }
            Step::Drain { channel, queues } => {
                let mut ch = reopened.get(channel).copied().unwrap_or(*channel);
                for q in queues {
                    let mut got = Vec::new();
                    let missing = loop {
                        match broker.get(ch, q, true) {
                            Ok(events) => match get_ok(&events) {
                                Some((_, m)) => got.push(m),
                                None => break false,
                            },
                            Err(e) if e.code == brokerlab_rabbit::ReplyCode::NotFound => break true,
                            Err(e) => return Err(e),
                        }
                    };
                    if missing {
                        ch = broker.open_channel(ch.connection)?;
                        reopened.insert(*channel, ch);
                    } else {
                        out.drained.entry(q.clone()).or_default().extend(got);
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_files_deliveries_under_the_consumer_and_step_and_settles_the_oldest() {
        let mut b = Broker::new(1);
        let c = ChannelId { connection: 1, channel: 1 };
        let q = |name: &str| Command::QueueDeclare {
            channel: c,
            queue: name.into(),
            passive: false,
            durable: true,
            exclusive: false,
            auto_delete: false,
            arguments: FieldTable::default(),
        };
        let publish = |body: &str| {
            Step::Do(Command::BasicPublish {
                channel: c,
                exchange: String::new(),
                routing_key: "q".into(),
                mandatory: false,
                properties: BasicProperties::default(),
                body: body.into(),
            })
        };
        let steps = vec![
            Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }),
            Step::Do(Command::OpenChannel { connection: 1 }),
            Step::Do(q("q")),
            Step::Do(Command::BasicQos { channel: c, prefetch_count: 1, global: false }),
            Step::Do(Command::BasicConsume {
                channel: c,
                queue: "q".into(),
                consumer_tag: "w".into(),
                no_ack: false,
                exclusive: false,
                arguments: FieldTable::default(),
            }),
            publish("one"),
            publish("two"),
            Step::Settle { channel: c, delivery_tag: None, multiple: false, how: Settle::Nack { requeue: true } },
            Step::Settle { channel: c, delivery_tag: None, multiple: false, how: Settle::Ack },
        ];
        let out = run_on_engine(&mut b, &steps).expect("the engine runs it");
        let got: Vec<(usize, u64, &str, bool)> = out.consumers[0]
            .deliveries
            .iter()
            .map(|d| (d.step, d.delivery_tag, d.message.body.as_str(), d.message.redelivered))
            .collect();
        // Prefetch 1 holds "two" back; the nack puts "one" back in front of it.
        assert_eq!(got, [(5, 1, "one", false), (7, 2, "one", true), (8, 3, "two", false)]);
        assert_eq!(out.settled, [Some(1), Some(2)]);
    }

    #[test]
    fn the_engine_drains_past_a_missing_queue_and_records_no_entry_for_it() {
        let mut b = Broker::new(1);
        let c = ChannelId { connection: 1, channel: 1 };
        let steps = vec![
            Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }),
            Step::Do(Command::OpenChannel { connection: 1 }),
            Step::Do(Command::QueueDeclare {
                channel: c,
                queue: "there".into(),
                passive: false,
                durable: true,
                exclusive: false,
                auto_delete: false,
                arguments: FieldTable::default(),
            }),
            Step::Do(Command::BasicPublish {
                channel: c,
                exchange: String::new(),
                routing_key: "there".into(),
                mandatory: false,
                properties: BasicProperties::default(),
                body: "m".into(),
            }),
            Step::Drain { channel: c, queues: vec!["gone".into(), "there".into()] },
            Step::Drain { channel: c, queues: vec!["gone".into(), "there".into()] },
        ];
        let out = run_on_engine(&mut b, &steps).expect("the engine runs it");
        assert!(!out.drained.contains_key("gone"));
        let bodies: Vec<&str> = out.drained["there"].iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, ["m"]);
    }
}
