//! The `Outcome` of a command is self-contained: it carries every event the
//! command caused, including the channel closing an error causes, and each
//! `Enqueued` event says why the copy entered its queue.

use brokerlab_rabbit::*;

fn setup() -> (Broker, ChannelId) {
    let mut b = Broker::new(7);
    let ch = b.connect("guest", "guest", "/").unwrap();
    (b, ch)
}

fn int(v: i64) -> FieldValue {
    FieldValue::LongLongInt(v)
}

#[test]
fn a_refused_ack_reports_the_channel_closing_and_the_requeue_it_caused() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.publish(ch, "", "q", "m").unwrap();
    b.consume(ch, "q", "c", false).unwrap();
    let out = b.apply(Command::BasicAck { channel: ch, delivery_tag: 99, multiple: false });
    assert!(!out.is_ok());
    assert_eq!(out.error.as_ref().map(|e| e.code), Some(ReplyCode::PreconditionFailed));
    let requeued = out.events.iter().find_map(|e| match e {
        Event::Enqueued { queue, cause: EnqueueCause::Requeue { channel, delivery_tag, consumer_tag }, .. } => {
            Some((queue.to_string(), *channel, *delivery_tag, consumer_tag.clone()))
        }
        _ => None,
    });
    assert_eq!(requeued, Some(("q".to_string(), ch, 1, Some("c".to_string()))));
    assert!(
        out.events
            .iter()
            .any(|e| matches!(e, Event::ChannelClosed { channel, error: Some(err) } if *channel == ch && err.code == ReplyCode::PreconditionFailed))
    );
    assert_eq!(out.into_result().unwrap_err().code, ReplyCode::PreconditionFailed);
}

#[test]
fn enqueued_events_name_the_publish_that_caused_them() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "f", ExchangeKind::Fanout).unwrap();
    for q in ["a", "b"] {
        b.declare_queue(ch, q, FieldTable::new()).unwrap();
        b.bind_queue(ch, q, "f", "").unwrap();
    }
    b.publish(ch, "f", "k", "first").unwrap();
    let ev = b.publish(ch, "f", "k", "second").unwrap();
    let Some(Event::Published { publish, body, .. }) = ev.first() else { panic!("no publish: {ev:?}") };
    assert_eq!((*publish, body.as_str()), (2, "second"));
    let causes: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Enqueued { queue, cause, .. } => Some((queue.to_string(), cause.clone())),
            _ => None,
        })
        .collect();
    let cause = EnqueueCause::Publish { channel: Some(ch), exchange: "f".into(), routing_key: "k".into(), publish: 2 };
    assert_eq!(causes, vec![("a".to_string(), cause.clone()), ("b".to_string(), cause)]);
}

#[test]
fn dead_lettered_copies_name_their_source_queue_reason_and_original() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "dlx", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "dlq", FieldTable::new()).unwrap();
    b.bind_queue(ch, "dlq", "dlx", "").unwrap();
    let args: FieldTable = [("x-dead-letter-exchange".to_string(), FieldValue::str("dlx"))].into_iter().collect();
    b.declare_queue(ch, "work", args).unwrap();
    b.publish(ch, "", "work", "m").unwrap();
    let got = b.get(ch, "work", false).unwrap();
    let Some(Event::GetOk { delivery_tag, message, .. }) = got.first() else { panic!("no message: {got:?}") };
    let ev = b.reject(ch, *delivery_tag, false).unwrap();
    let cause = ev.iter().find_map(|e| match e {
        Event::Enqueued { queue, cause, .. } if &**queue == "dlq" => Some(cause.clone()),
        _ => None,
    });
    assert_eq!(
        cause,
        Some(EnqueueCause::DeadLetter {
            from_queue: "work".into(),
            reason: DeathReason::Rejected,
            original: message.id
        })
    );
}

#[test]
fn with_recording_off_commands_still_run_but_return_no_events() {
    let (mut b, ch) = setup();
    b.set_event_recording(false);
    let args: FieldTable = [("x-max-length".to_string(), int(5))].into_iter().collect();
    assert_eq!(b.declare_queue(ch, "q", args).unwrap(), Vec::<Event>::new());
    let other = b.connect("guest", "guest", "/").unwrap();
    assert_ne!(other, ch);
    for _ in 0..3 {
        assert!(b.publish(other, "", "q", "m").unwrap().is_empty());
    }
    assert_eq!(b.queue("/", "q").unwrap().ready, 3);
    let out = b.apply(Command::BasicAck { channel: other, delivery_tag: 5, multiple: false });
    assert!(out.events.is_empty());
    assert_eq!(out.error.map(|e| e.code), Some(ReplyCode::PreconditionFailed));
    b.set_event_recording(true);
    assert_eq!(b.tick(10), vec![Event::Ticked { now: 10 }]);
    assert_eq!(b.now(), 10);
}
