//! Length limits, expiry, declarations and dead-letter routing checked against
//! RabbitMQ's source, each test naming the rule, the releases and the
//! function it pins.

use brokerlab_rabbit::*;

fn setup() -> (Broker, ChannelId) {
    let mut b = Broker::new(1);
    let ch = b.connect("guest", "guest", "/").unwrap();
    (b, ch)
}

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn int(v: i64) -> FieldValue {
    FieldValue::LongLongInt(v)
}

fn bodies(b: &Broker, q: &str) -> Vec<String> {
    b.queue("/", q).unwrap().messages.into_iter().map(|m| m.body).collect()
}

fn confirms(ev: &[Event]) -> Vec<bool> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Confirmed { ack, .. } => Some(*ack),
            _ => None,
        })
        .collect()
}

fn declare(b: &mut Broker, ch: ChannelId, q: &str, durable: bool, exclusive: bool) -> Outcome {
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: q.into(),
        passive: false,
        durable,
        exclusive,
        auto_delete: false,
        arguments: FieldTable::new(),
    })
}

/// Audit 2.1: a quorum queue's `reject-publish` limit is soft
/// (`rabbit_fifo:evaluate_limit/4`, `is_below_soft_limit/1`, 3.10 to 4.3):
/// the message that crosses the limit is accepted, then publishes are
/// refused until the queue is down to 80 % of the limit.
#[test]
fn quorum_reject_publish_soft_limit_and_80pct_unblock() {
    let (mut b, ch) = setup();
    b.apply(Command::ConfirmSelect { channel: ch }).into_result().unwrap();
    let a = args(&[
        ("x-queue-type", FieldValue::str("quorum")),
        ("x-max-length", int(2)),
        ("x-overflow", FieldValue::str("reject-publish")),
    ]);
    b.declare_queue(ch, "qq", a).unwrap();
    let mut acks = Vec::new();
    for m in ["m1", "m2", "m3", "m4"] {
        acks.extend(confirms(&b.publish(ch, "", "qq", m).unwrap()));
    }
    assert_eq!(acks, [true, true, true, false]);
    assert_eq!(bodies(&b, "qq"), ["m1", "m2", "m3"]);
    b.get(ch, "qq", true).unwrap();
    assert_eq!(confirms(&b.publish(ch, "", "qq", "m5").unwrap()), [false], "2 is still above 80 % of 2");
    b.get(ch, "qq", true).unwrap();
    assert_eq!(confirms(&b.publish(ch, "", "qq", "m6").unwrap()), [true]);
    assert_eq!(bodies(&b, "qq"), ["m3", "m6"]);
}

/// Audit 2.9: a classic `reject-publish` queue refuses by length alone, even
/// with a consumer waiting (`rabbit_amqqueue_process:maybe_deliver_or_enqueue/3`
/// checks `will_overflow/2` before `attempt_delivery`), 3.10 to 4.3.
#[test]
fn classic_reject_publish_refuses_even_with_a_waiting_consumer() {
    let (mut b, ch) = setup();
    b.apply(Command::ConfirmSelect { channel: ch }).into_result().unwrap();
    let a = args(&[("x-max-length", int(0)), ("x-overflow", FieldValue::str("reject-publish"))]);
    b.declare_queue(ch, "q", a).unwrap();
    b.consume(ch, "q", "c", false).unwrap();
    let ev = b.publish(ch, "", "q", "m").unwrap();
    assert_eq!(confirms(&ev), [false]);
    assert!(!ev.iter().any(|e| matches!(e, Event::Delivered { .. })));
}

/// Audit 2.7: `rabbit_quorum_queue:overflow/3` accepts
/// `reject-publish-dlx` on a quorum queue with a warning and drops from the
/// head instead (3.10 to 4.3).
#[test]
fn quorum_queues_accept_reject_publish_dlx_and_drop_from_the_head() {
    let (mut b, ch) = setup();
    let a = args(&[
        ("x-queue-type", FieldValue::str("quorum")),
        ("x-max-length", int(1)),
        ("x-overflow", FieldValue::str("reject-publish-dlx")),
    ]);
    b.declare_queue(ch, "qq", a).unwrap();
    for m in ["m1", "m2"] {
        b.publish(ch, "", "qq", m).unwrap();
    }
    assert_eq!(bodies(&b, "qq"), ["m2"]);
}

/// Audit 3 item 1: `rabbit_channel` declares with
/// `Durable = DurableDeclare andalso not ExclusiveDeclare`, and
/// `check_exclusive_access(Q, Owner, strict)` runs before the equivalence
/// check, so a redeclare with another exclusivity is 405, not 406 (3.10 to 4.3).
#[test]
fn exclusive_queues_are_never_durable_and_an_exclusivity_mismatch_is_405() {
    let (mut b, ch) = setup();
    assert_eq!(declare(&mut b, ch, "x", true, true).error, None);
    assert!(!b.queue("/", "x").unwrap().durable);
    assert_eq!(declare(&mut b, ch, "x", false, true).error, None, "durable=false is equivalent");
    assert_eq!(declare(&mut b, ch, "d", true, false).error, None);
    let ch = b.open_channel(1).unwrap();
    let err = declare(&mut b, ch, "d", true, true).error.unwrap();
    assert_eq!(err.code, ReplyCode::ResourceLocked);
}

/// Audit 3 item 2: `rabbit_channel` checks the `amq.` prefix only for an
/// exchange that does not exist, so redeclaring `amq.direct` as it is works;
/// declaring a new `amq.` name is still 403 (3.10 to 4.3).
#[test]
fn an_existing_amq_exchange_may_be_redeclared_but_a_new_one_not() {
    let (mut b, ch) = setup();
    let declare = |name: &str| Command::ExchangeDeclare {
        channel: ch,
        exchange: name.into(),
        kind: ExchangeKind::Direct,
        passive: false,
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: FieldTable::new(),
    };
    assert_eq!(b.apply(declare("amq.direct")).error, None);
    assert_eq!(b.apply(declare("amq.mine")).error.map(|e| e.code), Some(ReplyCode::AccessRefused));
}

/// Audit 3 item 5: dead-lettering without a dead-letter routing key
/// routes by every key the message had, `BCC` ones included
/// (`rabbit_dead_letter:publish/5` with `mc:routing_keys/1`), while `x-death`
/// lists only the routing key and `CC`.
#[test]
fn dead_lettering_without_a_routing_key_keeps_the_bcc_keys() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "dlx", ExchangeKind::Direct).unwrap();
    b.declare_exchange(ch, "x", ExchangeKind::Direct).unwrap();
    b.declare_queue(ch, "q", args(&[("x-dead-letter-exchange", FieldValue::str("dlx"))])).unwrap();
    b.declare_queue(ch, "hidden", FieldTable::new()).unwrap();
    b.bind_queue(ch, "q", "x", "k").unwrap();
    b.bind_queue(ch, "hidden", "dlx", "secret").unwrap();
    let props = BasicProperties::default().with_header("BCC", FieldValue::FieldArray(vec![FieldValue::str("secret")]));
    b.publish_with(ch, "x", "k", props, "m", false).unwrap();
    let ev = b.get(ch, "q", false).unwrap();
    let tag = ev
        .iter()
        .find_map(|e| match e {
            Event::GetOk { delivery_tag, message, .. } => {
                assert!(!message.properties.headers.as_ref().is_some_and(|h| h.contains_key("BCC")));
                Some(*delivery_tag)
            }
            _ => None,
        })
        .unwrap();
    b.reject(ch, tag, false).unwrap();
    let dead = b.queue("/", "hidden").unwrap().messages;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].deaths[0].routing_keys, ["k"]);
}

/// Audit 2.7: `rabbit_amqqueue:check_declare_arguments/2` (3.10 to 4.3)
/// refuses an argument that belongs to another queue type with 406.
#[test]
fn an_argument_of_another_queue_type_is_refused_with_406() {
    let (mut b, ch) = setup();
    let err = b.declare_queue(ch, "c", args(&[("x-delivery-limit", int(3))])).unwrap_err();
    assert_eq!(err.code, ReplyCode::PreconditionFailed);
    assert!(err.text.ends_with("of queue type rabbit_classic_queue"), "{}", err.text);
    let ch = b.open_channel(1).unwrap();
    let a = args(&[("x-queue-type", FieldValue::str("quorum")), ("x-max-priority", int(10))]);
    let err = b.declare_queue(ch, "qq", a).unwrap_err();
    assert!(err.text.contains("'x-max-priority'") && err.text.ends_with("rabbit_quorum_queue"), "{}", err.text);
}

/// Audit 2.6: the quorum refusals of `rabbit_channel` and `rabbit_fifo`
/// (3.10 to 4.3): `basic.get` on a single-active-consumer quorum queue is
/// 405, a server-named quorum queue is 406, and (up to 4.2) a quorum
/// consumer on a channel with a channel-wide prefetch is 540.
#[test]
fn quorum_queues_refuse_sac_gets_server_names_and_global_qos_consumers() {
    let (mut b, ch) = setup();
    let sac =
        args(&[("x-queue-type", FieldValue::str("quorum")), ("x-single-active-consumer", FieldValue::Boolean(true))]);
    b.declare_queue(ch, "qq", sac).unwrap();
    assert_eq!(b.get(ch, "qq", false).unwrap_err().code, ReplyCode::ResourceLocked);
    let ch = b.open_channel(1).unwrap();
    let err = b.declare_queue(ch, "", args(&[("x-queue-type", FieldValue::str("quorum"))])).unwrap_err();
    assert_eq!(err.code, ReplyCode::PreconditionFailed);

    let mut old = Broker::with_version(1, Version::V4_2);
    let ch = old.connect("guest", "guest", "/").unwrap();
    old.declare_queue(ch, "qq", args(&[("x-queue-type", FieldValue::str("quorum"))])).unwrap();
    old.qos(ch, 1, true).unwrap();
    let err = old.consume(ch, "qq", "c", false).unwrap_err();
    assert_eq!(err.reply_code(), 540);
    // 4.3 has no channel-wide prefetch, so the same consumer starts.
    let (mut b, ch) = setup();
    b.declare_queue(ch, "qq", args(&[("x-queue-type", FieldValue::str("quorum"))])).unwrap();
    b.qos(ch, 1, true).unwrap();
    assert!(b.consume(ch, "qq", "c", false).is_ok());
}

/// Audit 2.3: in a classic priority queue expiry walks the levels from the
/// highest and stops at the first one holding a live head
/// (`rabbit_priority_queue:dropwhile/2`, 3.10 to 4.3), so an expired
/// low-priority message waits behind a live high-priority one.
#[test]
fn priority_queue_ttl_blocked_by_live_higher_head() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "dlx", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "dlq", FieldTable::new()).unwrap();
    b.bind_queue(ch, "dlq", "dlx", "").unwrap();
    let a = args(&[("x-max-priority", int(5)), ("x-dead-letter-exchange", FieldValue::str("dlx"))]);
    b.declare_queue(ch, "q", a).unwrap();
    b.publish_with(ch, "", "q", BasicProperties::default().with_priority(0).with_expiration(100), "B", false).unwrap();
    b.tick(10);
    b.publish_with(ch, "", "q", BasicProperties::default().with_priority(5), "A", false).unwrap();
    b.tick(190);
    assert_eq!(bodies(&b, "q"), ["A", "B"]);
    assert!(bodies(&b, "dlq").is_empty());
    // Taking A uncovers B, which expires at once.
    b.get(ch, "q", true).unwrap();
    assert!(bodies(&b, "q").is_empty());
    assert_eq!(bodies(&b, "dlq"), ["B"]);
}

/// Audit 2.4: `ensure_expiry_timer/1` re-arms a queue's `x-expires` timer
/// when its last consumer leaves, on a passive declare (`stat`) and on
/// recovery after a restart (3.10 to 4.3).
#[test]
fn x_expires_restarts_when_last_consumer_leaves_on_passive_declare_and_on_restart() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", args(&[("x-expires", int(1000))])).unwrap();
    b.consume(ch, "q", "c", true).unwrap();
    b.tick(5000);
    b.cancel(ch, "c").unwrap();
    b.tick(900);
    assert!(b.queue("/", "q").is_some(), "the lease started when c left");
    let passive = Command::QueueDeclare {
        channel: ch,
        queue: "q".into(),
        passive: true,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments: FieldTable::new(),
    };
    assert_eq!(b.apply(passive).error, None);
    b.tick(900);
    assert!(b.queue("/", "q").is_some(), "the passive declare re-armed it");
    b.restart();
    b.tick(900);
    assert!(b.queue("/", "q").is_some(), "recovery re-armed it");
    b.tick(100);
    assert!(b.queue("/", "q").is_none());
}

/// Audit 3 item 3: `exchange.delete(if_unused)` counts only bindings whose
/// source is the exchange (`has_for_source`, 3.10 to 4.3); an exchange that
/// is only a destination is deleted with the bindings to it.
#[test]
fn if_unused_counts_only_bindings_from_the_exchange() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "up", ExchangeKind::Fanout).unwrap();
    b.declare_exchange(ch, "down", ExchangeKind::Fanout).unwrap();
    b.bind_exchange(ch, "down", "up", "").unwrap();
    let out = b.apply(Command::ExchangeDelete { channel: ch, exchange: "down".into(), if_unused: true });
    assert_eq!(out.error, None);
    assert!(b.bindings("/").iter().all(|x| x.destination != "down"));
    let ch = b.open_channel(1).unwrap();
    b.declare_exchange(ch, "down", ExchangeKind::Fanout).unwrap();
    b.bind_exchange(ch, "down", "up", "").unwrap();
    let out = b.apply(Command::ExchangeDelete { channel: ch, exchange: "up".into(), if_unused: true });
    assert_eq!(out.error.map(|e| e.code), Some(ReplyCode::PreconditionFailed));
}

/// Audit 3 item 7: a queue publishes its dead letters itself, after the
/// channel has delivered the publish to every queue it routes to, so in a
/// queue that gets both the publish and a dead letter it caused, the
/// publish's own copy comes first (`rabbit_dead_letter:publish/5` runs in
/// the queue process; 3.10 to 4.3).
#[test]
fn dead_letters_a_publish_causes_follow_its_own_copies() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "x", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "a", args(&[("x-max-length", int(0)), ("x-dead-letter-exchange", FieldValue::str("x2"))]))
        .unwrap();
    b.declare_exchange(ch, "x2", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "b", FieldTable::new()).unwrap();
    b.bind_queue(ch, "a", "x", "").unwrap();
    b.bind_queue(ch, "b", "x", "").unwrap();
    b.bind_queue(ch, "b", "x2", "").unwrap();
    b.publish(ch, "x", "", "m").unwrap();
    let msgs = b.queue("/", "b").unwrap().messages;
    let kinds: Vec<bool> = msgs.iter().map(|m| m.deaths.is_empty()).collect();
    assert_eq!(kinds, [true, false], "own copy first, then the dead letter");
}
