//! Policies, operator policies and a vhost's default queue type, each test
//! naming the RabbitMQ behaviour, the releases it holds for and the source
//! it rests on (`rabbit_policy`, `rabbit_policies`, `rabbit_queue_type_util`,
//! `rabbit_amqqueue_process`, `rabbit_quorum_queue`, `rabbit_stream_queue`,
//! `rabbit_amqqueue:augment_declare_args/5`).

use brokerlab_rabbit::*;

fn setup(version: Version) -> (Broker, ChannelId) {
    let mut b = Broker::with_version(1, version);
    let ch = b.connect("guest", "guest", "/").unwrap();
    (b, ch)
}

fn table(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn int(v: i64) -> FieldValue {
    FieldValue::LongLongInt(v)
}

fn s(v: &str) -> FieldValue {
    FieldValue::str(v)
}

fn policy(name: &str, pattern: &str, apply_to: &str, priority: i64, def: &[(&str, FieldValue)]) -> Command {
    Command::SetPolicy {
        vhost: "/".into(),
        name: name.into(),
        pattern: pattern.into(),
        apply_to: apply_to.into(),
        priority,
        definition: table(def),
        operator: false,
    }
}

fn op_policy(name: &str, pattern: &str, def: &[(&str, FieldValue)]) -> Command {
    match policy(name, pattern, "queues", 0, def) {
        Command::SetPolicy { vhost, name, pattern, apply_to, priority, definition, .. } => {
            Command::SetPolicy { vhost, name, pattern, apply_to, priority, definition, operator: true }
        }
        other => other,
    }
}

fn set(b: &mut Broker, c: Command) {
    b.apply(c).into_result().unwrap();
}

fn publish_n(b: &mut Broker, ch: ChannelId, q: &str, n: usize) {
    for i in 0..n {
        b.publish(ch, "", q, &format!("m{i}")).unwrap();
    }
}

fn bodies(b: &Broker, q: &str) -> Vec<String> {
    b.queue("/", q).unwrap().messages.into_iter().map(|m| m.body).collect()
}

fn effective(b: &Broker, q: &str, key: &str) -> Option<FieldValue> {
    b.queue("/", q).unwrap().effective_arguments.get(key).cloned()
}

/// `rabbit_policy:match/2` sorts the matching policies by priority and takes
/// the first: the highest priority wins, whatever the order they were set
/// in (every release).
#[test]
fn highest_priority_matching_policy_applies_in_every_release() {
    for v in Version::ALL {
        let (mut b, ch) = setup(v);
        set(&mut b, policy("high", "^orders", "queues", 5, &[("max-length", int(2))]));
        set(&mut b, policy("low", "^ord", "queues", 1, &[("max-length", int(4))]));
        set(&mut b, policy("other", "^payments$", "queues", 9, &[("max-length", int(1))]));
        b.declare_queue(ch, "orders", FieldTable::new()).unwrap();
        let q = b.queue("/", "orders").unwrap();
        assert_eq!(q.policy.as_deref(), Some("high"), "{v}");
        assert_eq!(q.effective_arguments.get("x-max-length"), Some(&int(2)), "{v}");
        publish_n(&mut b, ch, "orders", 4);
        assert_eq!(bodies(&b, "orders"), ["m2", "m3"], "{v}");
    }
}

/// A policy whose pattern does not match, or whose `apply-to` excludes the
/// queue, is not the queue's policy (`rabbit_policy:matches/3`; the regular
/// expression is searched, not anchored, as `re:run/3` does).
#[test]
fn pattern_is_searched_and_apply_to_exchanges_skips_queues() {
    let (mut b, ch) = setup(Version::V3_10);
    set(&mut b, policy("x", "rders", "exchanges", 10, &[("alternate-exchange", s("ae"))]));
    set(&mut b, policy("q", "rders", "all", 0, &[("max-length", int(1))]));
    b.declare_queue(ch, "orders", FieldTable::new()).unwrap();
    assert_eq!(b.queue("/", "orders").unwrap().policy.as_deref(), Some("q"));
    b.declare_queue(ch, "billing", FieldTable::new()).unwrap();
    assert_eq!(b.queue("/", "billing").unwrap().policy, None);
}

/// Classic queues take the minimum of policy and argument for `max-length`,
/// `max-length-bytes`, `message-ttl` and `expires`, and the argument for
/// `dead-letter-exchange`, `dead-letter-routing-key` and `overflow`
/// (`rabbit_amqqueue_process:process_args_policy/1`, `res_min`/`res_arg`,
/// 3.10.8 and 4.3.5 alike).
#[test]
fn classic_queue_resolves_each_key_as_process_args_policy_does() {
    for v in [Version::V3_10, Version::V4_3] {
        let (mut b, ch) = setup(v);
        set(
            &mut b,
            policy(
                "p",
                "^c$",
                "queues",
                0,
                &[
                    ("max-length", int(3)),
                    ("message-ttl", int(5000)),
                    ("expires", int(90000)),
                    ("dead-letter-exchange", s("from-policy")),
                    ("overflow", s("reject-publish")),
                ],
            ),
        );
        let a = table(&[
            ("x-max-length", int(10)),
            ("x-message-ttl", int(1000)),
            ("x-expires", int(60000)),
            ("x-dead-letter-exchange", s("from-arg")),
            ("x-overflow", s("drop-head")),
        ]);
        b.declare_queue(ch, "c", a).unwrap();
        assert_eq!(effective(&b, "c", "x-max-length"), Some(int(3)), "{v}: min");
        assert_eq!(effective(&b, "c", "x-message-ttl"), Some(int(1000)), "{v}: min");
        assert_eq!(effective(&b, "c", "x-expires"), Some(int(60000)), "{v}: min");
        assert_eq!(effective(&b, "c", "x-dead-letter-exchange"), Some(s("from-arg")), "{v}: argument wins");
        assert_eq!(effective(&b, "c", "x-overflow"), Some(s("drop-head")), "{v}: argument wins");
        publish_n(&mut b, ch, "c", 5);
        assert_eq!(bodies(&b, "c"), ["m2", "m3", "m4"], "{v}: drop-head from the argument, limit from the policy");
    }
}

/// Quorum queues: `overflow` from the policy wins over the argument in
/// every release; `expires` took the policy's value before 4.0
/// (`policyHasPrecedence`) and the minimum since (`rabbit_quorum_queue:ra_machine_config/1`).
#[test]
fn quorum_queue_overflow_policy_wins_and_expires_changed_in_4_0() {
    for (v, want_expires) in
        [(Version::V3_10, 90000), (Version::V3_13, 90000), (Version::V4_0, 60000), (Version::V4_3, 60000)]
    {
        let (mut b, ch) = setup(v);
        set(&mut b, policy("p", "^qq$", "queues", 0, &[("overflow", s("reject-publish")), ("expires", int(90000))]));
        let a = table(&[("x-queue-type", s("quorum")), ("x-overflow", s("drop-head")), ("x-expires", int(60000))]);
        b.declare_queue(ch, "qq", a).unwrap();
        assert_eq!(effective(&b, "qq", "x-overflow"), Some(s("reject-publish")), "{v}");
        assert_eq!(effective(&b, "qq", "x-expires"), Some(int(want_expires)), "{v}");
    }
}

/// Quorum `delivery-limit`: the minimum before 4.0; from 4.0 a negative
/// value (no limit) loses to a limit (`resolve_delivery_limit/2`), and a
/// policy may set a negative one only from 4.0 (`rabbit_policies`).
#[test]
fn quorum_delivery_limit_resolution_by_release() {
    let (mut b, ch) = setup(Version::V3_10);
    set(&mut b, policy("p", "^qq$", "queues", 0, &[("delivery-limit", int(3))]));
    let a = table(&[("x-queue-type", s("quorum")), ("x-delivery-limit", int(5))]);
    b.declare_queue(ch, "qq", a).unwrap();
    assert_eq!(effective(&b, "qq", "x-delivery-limit"), Some(int(3)));
    let err = b.apply(policy("neg", "^x", "queues", 0, &[("delivery-limit", int(-1))])).error.unwrap();
    assert_eq!(err.text, "Validation failed: -1 is not a valid delivery limit");

    let (mut b, ch) = setup(Version::V4_3);
    set(&mut b, policy("p", "^qq$", "queues", 0, &[("delivery-limit", int(-1))]));
    let a = table(&[("x-queue-type", s("quorum")), ("x-delivery-limit", int(5))]);
    b.declare_queue(ch, "qq", a).unwrap();
    assert_eq!(effective(&b, "qq", "x-delivery-limit"), Some(int(5)), "the limit beats no limit");
}

/// A policy holding a key the queue type does not support does not apply
/// to that queue at all (`rabbit_queue_type:is_policy_applicable/2`,
/// `unsupported_policies`): a `delivery-limit` policy skips classic queues
/// and the next policy applies.
#[test]
fn policy_with_a_key_the_queue_type_lacks_does_not_apply() {
    for v in Version::ALL {
        let (mut b, ch) = setup(v);
        set(&mut b, policy("quorum-only", ".*", "queues", 10, &[("delivery-limit", int(2)), ("max-length", int(1))]));
        set(&mut b, policy("fallback", ".*", "queues", 0, &[("max-length", int(3))]));
        b.declare_queue(ch, "cq", FieldTable::new()).unwrap();
        b.declare_queue(ch, "qq", table(&[("x-queue-type", s("quorum"))])).unwrap();
        assert_eq!(b.queue("/", "cq").unwrap().policy.as_deref(), Some("fallback"), "{v}");
        assert_eq!(b.queue("/", "qq").unwrap().policy.as_deref(), Some("quorum-only"), "{v}");
    }
}

/// `apply-to` per queue type arrived in 3.12: the 3.10 profile refuses
/// `quorum_queues` with 3.10's message; 3.13 and later accept it and apply
/// the policy to quorum queues only (`rabbit_policy:apply_to_validation/2`,
/// `matches_queue_type/3`).
#[test]
fn apply_to_queue_types_exists_from_3_12() {
    let (mut b, _) = setup(Version::V3_10);
    let err = b.apply(policy("p", ".*", "quorum_queues", 0, &[("max-length", int(1))])).error.unwrap();
    assert_eq!(err.code, ReplyCode::PreconditionFailed);
    assert!(err.text.contains("apply-to 'quorum_queues' unrecognised; should be 'queues', 'exchanges' or 'all'"));

    let (mut b, ch) = setup(Version::V3_13);
    set(&mut b, policy("p", ".*", "quorum_queues", 0, &[("max-length", int(1))]));
    b.declare_queue(ch, "cq", FieldTable::new()).unwrap();
    b.declare_queue(ch, "qq", table(&[("x-queue-type", s("quorum"))])).unwrap();
    assert_eq!(b.queue("/", "cq").unwrap().policy, None);
    assert_eq!(b.queue("/", "qq").unwrap().policy.as_deref(), Some("p"));
}

/// Definitions are validated as `rabbit_policies:validate_policy0/2` does:
/// a bad value and an unknown key are refused with RabbitMQ's texts, and
/// an empty definition with "no policy provided".
#[test]
fn bad_definitions_are_refused_with_rabbitmq_validation_errors() {
    let (mut b, _) = setup(Version::V4_3);
    let cases: Vec<(Vec<(&str, FieldValue)>, &str)> = vec![
        (vec![("max-length", s("ten"))], "Validation failed: <<\"ten\">> is not a valid maximum length"),
        (vec![("expires", int(0))], "Validation failed: 0 is not a valid queue expiry"),
        (vec![("overflow", s("drop-tail"))], "Validation failed: <<\"drop-tail\">> is not a valid overflow value"),
        (vec![("message-ttl", int(-5))], "Validation failed: -5 is not a valid message TTL"),
        (
            vec![("max-lenght", int(5))],
            "Validation failed: [{<<\"max-lenght\">>,5}] are not recognised policy settings",
        ),
        (vec![], "Validation failed: no policy provided"),
    ];
    for (def, text) in cases {
        let err = b.apply(policy("p", ".*", "all", 0, &def)).error.unwrap();
        assert_eq!(err.text, text);
    }
    let err = b.apply(policy("p", "(", "all", 0, &[("max-length", int(1))])).error.unwrap();
    assert_eq!(err.code, ReplyCode::PreconditionFailed);
    assert!(b.policies("/").is_empty(), "nothing refused was kept");
    // Operator policies accept only their own keys.
    let err = b.apply(op_policy("op", ".*", &[("dead-letter-exchange", s("dlx"))])).error.unwrap();
    assert!(err.text.contains("are not recognised policy settings"), "{}", err.text);
}

/// Lowering `max-length` through a policy drops (or dead-letters) from the
/// head of an existing queue at once (`init_max_length/2` calls
/// `maybe_drop_head/1`); a policy's `dead-letter-exchange` takes those
/// messages, and clearing the policy restores the argument-only settings.
#[test]
fn changing_a_policy_applies_to_existing_queues() {
    for v in [Version::V3_10, Version::V4_3] {
        let (mut b, ch) = setup(v);
        b.declare_exchange(ch, "dlx", ExchangeKind::Fanout).unwrap();
        b.declare_queue(ch, "dead", FieldTable::new()).unwrap();
        b.bind_queue(ch, "dead", "dlx", "").unwrap();
        b.declare_queue(ch, "work", FieldTable::new()).unwrap();
        publish_n(&mut b, ch, "work", 5);
        let ev = b
            .apply(policy(
                "limit",
                "^work$",
                "queues",
                0,
                &[("max-length", int(2)), ("dead-letter-exchange", s("dlx"))],
            ))
            .into_result()
            .unwrap();
        assert!(ev.iter().any(|e| matches!(e, Event::PolicySet { name, .. } if name == "limit")));
        assert_eq!(bodies(&b, "work"), ["m3", "m4"], "{v}");
        assert_eq!(bodies(&b, "dead"), ["m0", "m1", "m2"], "{v}: dead-lettered with reason maxlen");
        set(&mut b, Command::ClearPolicy { vhost: "/".into(), name: "limit".into(), operator: false });
        assert_eq!(b.queue("/", "work").unwrap().policy, None);
        publish_n(&mut b, ch, "work", 3);
        assert_eq!(bodies(&b, "work").len(), 5, "{v}: no limit once the policy is gone");
    }
}

/// A quorum queue lowered below its length by a `reject-publish` policy
/// drops nothing and refuses the next publish (`rabbit_fifo` limit evaluation).
#[test]
fn quorum_reject_publish_policy_on_existing_queue_blocks_publishers() {
    let (mut b, ch) = setup(Version::V4_3);
    b.apply(Command::ConfirmSelect { channel: ch }).into_result().unwrap();
    b.declare_queue(ch, "qq", table(&[("x-queue-type", s("quorum"))])).unwrap();
    publish_n(&mut b, ch, "qq", 4);
    set(&mut b, policy("p", "^qq$", "queues", 0, &[("max-length", int(2)), ("overflow", s("reject-publish"))]));
    assert_eq!(bodies(&b, "qq").len(), 4);
    let ev = b.publish(ch, "", "qq", "late").unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::Confirmed { ack: false, .. })), "{ev:?}");
}

/// Clearing a policy that does not exist is refused, as
/// `rabbit_runtime_parameters:clear_any/4` refuses it.
#[test]
fn clearing_a_missing_policy_is_refused() {
    let (mut b, _) = setup(Version::V4_3);
    let err = b.apply(Command::ClearPolicy { vhost: "/".into(), name: "none".into(), operator: false }).error.unwrap();
    assert_eq!(err.code, ReplyCode::NotFound);
}

/// An operator policy and a policy both apply; for a numeric key the lower
/// value wins (`rabbit_policies:merge_policy_value/3`), and the queue's
/// view names both.
#[test]
fn operator_policy_merges_with_the_stricter_value() {
    let (mut b, ch) = setup(Version::V3_10);
    set(&mut b, policy("user", ".*", "queues", 0, &[("max-length", int(10)), ("message-ttl", int(1000))]));
    set(&mut b, op_policy("cap", ".*", &[("max-length", int(3))]));
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    let q = b.queue("/", "q").unwrap();
    assert_eq!(q.policy.as_deref(), Some("user"));
    assert_eq!(q.operator_policy.as_deref(), Some("cap"));
    assert_eq!(q.effective_policy_definition.get("max-length"), Some(&int(3)));
    assert_eq!(q.effective_arguments.get("x-message-ttl"), Some(&int(1000)));
}

/// A policy's `alternate-exchange` applies to exchanges; an argument wins
/// over it (`rabbit_policy:get_arg/3`).
#[test]
fn alternate_exchange_from_a_policy_and_argument_precedence() {
    let (mut b, ch) = setup(Version::V3_10);
    for x in ["ae-policy", "ae-arg"] {
        b.declare_exchange(ch, x, ExchangeKind::Fanout).unwrap();
        b.declare_queue(ch, &format!("{x}-q"), FieldTable::new()).unwrap();
        b.bind_queue(ch, &format!("{x}-q"), x, "").unwrap();
    }
    set(&mut b, policy("ae", "^in", "exchanges", 0, &[("alternate-exchange", s("ae-policy"))]));
    b.declare_exchange(ch, "in", ExchangeKind::Direct).unwrap();
    b.declare_exchange_with(ch, "in2", ExchangeKind::Direct, table(&[("alternate-exchange", s("ae-arg"))])).unwrap();
    assert_eq!(b.exchanges("/").into_iter().find(|x| x.name == "in").unwrap().policy.as_deref(), Some("ae"));
    b.publish(ch, "in", "nowhere", "a").unwrap();
    b.publish(ch, "in2", "nowhere", "b").unwrap();
    assert_eq!(bodies(&b, "ae-policy-q"), ["a"]);
    assert_eq!(bodies(&b, "ae-arg-q"), ["b"]);
}

/// Streams take `max-length-bytes` and `max-age` from the policy over the
/// argument (`rabbit_stream_queue`, `policy_precedence`), and a policy
/// with classic keys does not apply to a stream.
#[test]
fn stream_policy_takes_precedence_and_classic_keys_skip_streams() {
    let (mut b, ch) = setup(Version::V4_3);
    set(&mut b, policy("ttl", ".*", "queues", 10, &[("message-ttl", int(1000))]));
    set(&mut b, policy("retention", ".*", "streams", 0, &[("max-age", s("1h"))]));
    b.declare_queue(ch, "s", table(&[("x-queue-type", s("stream")), ("x-max-age", s("7D"))])).unwrap();
    let q = b.queue("/", "s").unwrap();
    assert_eq!(q.policy.as_deref(), Some("retention"));
    assert_eq!(q.effective_arguments.get("x-max-age"), Some(&s("1h")));
}

/// A vhost's `default_queue_type` makes an argument-less durable,
/// non-exclusive, non-auto-delete declare a queue of that type in every
/// profile (3.10.8's `augment_declare_args/5` already reads it). An
/// exclusive declare stays classic; 3.13 and later write the fallback
/// `classic` into its arguments, 3.10 leaves them empty.
#[test]
fn vhost_default_queue_type_by_release() {
    for v in Version::ALL {
        let (mut b, ch) = setup(v);
        set(&mut b, Command::SetDefaultQueueType { vhost: "/".into(), queue_type: Some(QueueType::Quorum) });
        assert_eq!(b.default_queue_type("/"), Some(QueueType::Quorum));
        b.declare_queue(ch, "jobs", FieldTable::new()).unwrap();
        let q = b.queue("/", "jobs").unwrap();
        assert_eq!(q.queue_type, QueueType::Quorum, "{v}");
        assert_eq!(q.arguments.get("x-queue-type"), Some(&s("quorum")), "{v}");
        // Redeclaring without arguments is equivalent.
        b.declare_queue(ch, "jobs", FieldTable::new()).unwrap();
        b.apply(Command::QueueDeclare {
            channel: ch,
            queue: "mine".into(),
            passive: false,
            durable: false,
            exclusive: true,
            auto_delete: false,
            arguments: FieldTable::new(),
        })
        .into_result()
        .unwrap();
        let q = b.queue("/", "mine").unwrap();
        assert_eq!(q.queue_type, QueueType::Classic, "{v}");
        let want = (v >= Version::V3_13).then(|| s("classic"));
        assert_eq!(q.arguments.get("x-queue-type").cloned(), want, "{v}");
        // An explicit type is never overridden.
        b.declare_queue(ch, "explicit", table(&[("x-queue-type", s("classic"))])).unwrap();
        assert_eq!(b.queue("/", "explicit").unwrap().queue_type, QueueType::Classic, "{v}");
    }
}

/// Policies are per vhost: one set on `/` does not reach another vhost.
#[test]
fn policies_are_per_vhost() {
    let mut b = Broker::new(1);
    b.apply(Command::AddVhost { name: "v".into() }).into_result().unwrap();
    b.apply(Command::SetPermissions {
        user: "guest".into(),
        vhost: "v".into(),
        configure: ".*".into(),
        write: ".*".into(),
        read: ".*".into(),
    })
    .into_result()
    .unwrap();
    set(&mut b, policy("p", ".*", "all", 0, &[("max-length", int(1))]));
    let ch = b.connect("guest", "guest", "v").unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    assert_eq!(b.queue("v", "q").unwrap().policy, None);
    let err = b
        .apply(Command::SetPolicy {
            vhost: "nope".into(),
            name: "p".into(),
            pattern: ".*".into(),
            apply_to: "all".into(),
            priority: 0,
            definition: table(&[("max-length", int(1))]),
            operator: false,
        })
        .error
        .unwrap();
    assert_eq!(err.code, ReplyCode::NotFound);
}

/// A policy's `alternate-exchange` also matches the default exchange, which
/// never routes to an alternate exchange (`rabbit_exchange:route/3` takes
/// the default exchange apart, 3.10.8 to 4.3.5): an unroutable publish to
/// it is dropped.
#[test]
fn the_default_exchange_ignores_a_policy_alternate_exchange() {
    for v in [Version::V3_10, Version::V4_3] {
        let (mut b, ch) = setup(v);
        b.declare_exchange(ch, "ae", ExchangeKind::Fanout).unwrap();
        b.declare_queue(ch, "caught", FieldTable::new()).unwrap();
        b.bind_queue(ch, "caught", "ae", "").unwrap();
        set(&mut b, policy("ae", ".*", "exchanges", 0, &[("alternate-exchange", s("ae"))]));
        b.publish(ch, "", "no-such-queue", "lost").unwrap();
        assert!(bodies(&b, "caught").is_empty(), "{v}");
        b.declare_exchange(ch, "named", ExchangeKind::Direct).unwrap();
        b.publish(ch, "named", "nowhere", "kept").unwrap();
        assert_eq!(bodies(&b, "caught"), ["kept"], "{v}");
    }
}
