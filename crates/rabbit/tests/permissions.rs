//! Permission checks on declarations, as `rabbit_channel` makes them:
//! passive declares (none up to 4.2.6, any permission from 4.2.7 and
//! 4.3.1), a new queue's dead-letter exchange and a new exchange's
//! alternate exchange (read on the declared resource, write on the target,
//! in every release, and not on a redeclare).

use brokerlab_rabbit::*;

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// A broker with a user `ann` holding the given configure, write and read
/// patterns on `/`, and a channel for `ann` and one for `guest`.
fn with_user(v: Version, configure: &str, write: &str, read: &str) -> (Broker, ChannelId, ChannelId) {
    let mut b = Broker::with_version(7, v);
    let admin = b.connect("guest", "guest", "/").unwrap();
    b.apply(Command::AddUser { name: "ann".into(), password: "pw".into() }).into_result().unwrap();
    b.apply(Command::SetPermissions {
        user: "ann".into(),
        vhost: "/".into(),
        configure: configure.into(),
        write: write.into(),
        read: read.into(),
    })
    .into_result()
    .unwrap();
    let ch = b.connect("ann", "pw", "/").unwrap();
    (b, admin, ch)
}

fn passive_queue(b: &mut Broker, ch: ChannelId, q: &str) -> Outcome {
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: q.into(),
        passive: true,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments: FieldTable::new(),
    })
}

fn passive_exchange(b: &mut Broker, ch: ChannelId, x: &str) -> Outcome {
    b.apply(Command::ExchangeDeclare {
        channel: ch,
        exchange: x.into(),
        kind: ExchangeKind::Direct,
        passive: true,
        durable: false,
        auto_delete: false,
        internal: false,
        arguments: FieldTable::new(),
    })
}

fn refused(out: &Outcome) -> bool {
    out.error.as_ref().is_some_and(|e| e.code == ReplyCode::AccessRefused)
}

/// A passive declare is a lookup: up to 4.2.6 it needs no permission at
/// all; 4.2.7 and 4.3.1 ask for any one of read, write and configure
/// (`check_any_resource_access_permitted/3`, rabbitmq-server PR #16085), and
/// refuse before looking the resource up, with configure's error text.
#[test]
fn passive_declares_need_some_permission_from_4_2_7_and_4_3_1() {
    for v in Version::ALL {
        // ann may only read `r-*`; nothing on `q` or `x`.
        let (mut b, admin, ch) = with_user(v, "^$", "^$", "^r-");
        b.declare_queue(admin, "q", FieldTable::new()).unwrap();
        b.declare_queue(admin, "r-q", FieldTable::new()).unwrap();
        b.declare_exchange(admin, "x", ExchangeKind::Direct).unwrap();
        b.declare_exchange(admin, "r-x", ExchangeKind::Direct).unwrap();
        let needs = v >= Version::V4_2;
        let out = passive_queue(&mut b, ch, "q");
        assert_eq!(refused(&out), needs, "{v}: {:?}", out.error);
        if needs {
            let text = &out.error.as_ref().unwrap().text;
            assert!(text.starts_with("configure access to queue 'q'"), "{v}: {text}");
        }
        let ch = b.open_channel(ch.connection).unwrap();
        assert!(passive_queue(&mut b, ch, "r-q").error.is_none(), "{v}: read is enough");
        let out = passive_exchange(&mut b, ch, "x");
        assert_eq!(refused(&out), needs, "{v}: {:?}", out.error);
        let ch = b.open_channel(ch.connection).unwrap();
        assert!(passive_exchange(&mut b, ch, "r-x").error.is_none(), "{v}");
        // The permission is checked before the lookup: a missing queue the
        // user may not touch is 403 where the check exists, 404 before.
        let out = passive_queue(&mut b, ch, "missing");
        let code = out.error.unwrap().code;
        assert_eq!(code, if needs { ReplyCode::AccessRefused } else { ReplyCode::NotFound }, "{v}");
    }
}

/// `check_not_default_exchange/1` runs for passive declares too, in every
/// release: the default exchange cannot be declared at all.
#[test]
fn a_passive_declare_of_the_default_exchange_is_refused() {
    for v in [Version::V3_10, Version::V4_3] {
        let mut b = Broker::with_version(1, v);
        let ch = b.connect("guest", "guest", "/").unwrap();
        let out = passive_exchange(&mut b, ch, "");
        assert_eq!(out.error.map(|e| e.code), Some(ReplyCode::AccessRefused), "{v}");
    }
}

/// Declaring a new queue with a dead-letter exchange needs read on the
/// queue and write on the exchange (3.10 to 4.3, `rabbit_channel`
/// `queue.declare`, "enforce ... for newly declared queues only"); a
/// redeclare of the existing queue checks neither.
#[test]
fn a_new_queue_with_a_dlx_needs_read_on_it_and_write_on_the_dlx_but_a_redeclare_does_not() {
    for v in [Version::V3_10, Version::V4_3] {
        let dlx = args(&[("x-dead-letter-exchange", FieldValue::str("dlx"))]);
        // Configure on everything, write on nothing, read on nothing.
        let (mut b, admin, ch) = with_user(v, ".*", "^$", "^$");
        b.declare_exchange(admin, "dlx", ExchangeKind::Fanout).unwrap();
        let err = b.declare_queue(ch, "q", dlx.clone()).unwrap_err();
        assert_eq!(err.code, ReplyCode::AccessRefused, "{v}");
        assert!(err.text.starts_with("read access to queue 'q'"), "{v}: {}", err.text);
        // With read on the queue, write on the exchange is what is missing.
        let (mut b, admin, ch) = with_user(v, ".*", "^$", ".*");
        b.declare_exchange(admin, "dlx", ExchangeKind::Fanout).unwrap();
        let err = b.declare_queue(ch, "q", dlx.clone()).unwrap_err();
        assert!(err.text.starts_with("write access to exchange 'dlx'"), "{v}: {}", err.text);
        // The queue exists (declared by guest): ann's identical redeclare passes.
        let ch = b.open_channel(ch.connection).unwrap();
        b.declare_queue(admin, "q", dlx.clone()).unwrap();
        b.declare_queue(ch, "q", dlx).unwrap();
    }
}

/// Declaring a new exchange with an alternate exchange needs read on the
/// exchange and write on the alternate (3.10 to 4.3, `rabbit_channel`
/// `exchange.declare`); an existing exchange goes straight to the
/// equivalence check.
#[test]
fn a_new_exchange_with_an_alternate_needs_read_on_it_and_write_on_the_alternate() {
    for v in [Version::V3_10, Version::V4_3] {
        let ae = args(&[("alternate-exchange", FieldValue::str("ae"))]);
        let (mut b, admin, ch) = with_user(v, ".*", "^$", "^$");
        b.declare_exchange(admin, "ae", ExchangeKind::Fanout).unwrap();
        let err = b.declare_exchange_with(ch, "x", ExchangeKind::Direct, ae.clone()).unwrap_err();
        assert!(err.text.starts_with("read access to exchange 'x'"), "{v}: {}", err.text);
        let (mut b, admin, ch) = with_user(v, ".*", "^$", ".*");
        b.declare_exchange(admin, "ae", ExchangeKind::Fanout).unwrap();
        let err = b.declare_exchange_with(ch, "x", ExchangeKind::Direct, ae.clone()).unwrap_err();
        assert!(err.text.starts_with("write access to exchange 'ae'"), "{v}: {}", err.text);
        let ch = b.open_channel(ch.connection).unwrap();
        b.declare_exchange_with(admin, "x", ExchangeKind::Direct, ae.clone()).unwrap();
        b.declare_exchange_with(ch, "x", ExchangeKind::Direct, ae).unwrap();
    }
}
