//! The generator: random scenarios over the whole format.
//!
//! Name pools mix declared names with missing and empty ones; the RabbitMQ
//! and Kafka topologies draw arguments and configs from values the engines
//! accept, and with `odd` also from values they refuse; script actions cover
//! every [`Action`] variant with odd values, and `focused_rabbit`,
//! `focused_routing` and `focused_kafka` make runs of actions on one queue,
//! one exchange and queue, or one topic so that a script
//! often acts on the same entity several times (delete and re-declare,
//! settle after a restart). `make_consistent` drops what validation would
//! refuse, and [`scenario`] puts it together.

use std::collections::{BTreeMap, BTreeSet};

use brokerlab_scenario::*;
use proptest::prelude::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Names. Each pool mixes names the topology may declare with names it never
// does, and the empty name, so that scripts hit missing entities often.

const VHOSTS: &[&str] = &["/", "/", "/", "v2", "ghost"];
const QUEUES: &[&str] = &["q1", "q2", "prio", "dlq", "stream", "missing", ""];
const DECLARED_QUEUES: &[&str] = &["q1", "q2", "prio", "dlq", "stream"];
const EXCHANGES: &[&str] = &["ex", "fan", "top", "hdr", "dlx", "amq.direct", "amq.topic", "amq.headers", "", "missing"];
const DECLARED_EXCHANGES: &[&str] = &["ex", "fan", "top", "hdr", "dlx"];
const CLIENTS: &[&str] = &["app", "app", "c1", "c2"];
const TAGS: &[&str] = &["t1", "t2", "c1", "app", ""];
const ROUTING_KEYS: &[&str] = &["", "q1", "q2", "prio", "dlq", "a", "a.b", "a.b.c", "#", "*.b", "a.#"];
const TOPICS: &[&str] = &["orders", "logs", "compact", "missing", ""];
const DECLARED_TOPICS: &[&str] = &["orders", "logs", "compact"];
const PRODUCERS: &[&str] = &["p", "tx", "tx2", "ghost"];
const KAFKA_CONSUMERS: &[&str] = &["k1", "k2", "k3", "ghost"];
const GROUPS: &[&str] = &["g1", "g1", "g2", "ghost-group"];
const SHARE_CONSUMERS: &[&str] = &["s1", "s2", "s2", "c1", "ghost-share", ""];
const SHARE_GROUPS: &[&str] = &["sg", "sg", "g1", ""];
const SHARE_GROUP_CONFIGS: ConfigTable = &[
    ("share.auto.offset.reset", &["earliest", "latest"], &["none"]),
    ("share.record.lock.duration.ms", &["1000", "30000"], &["0", "x"]),
    ("group.share.delivery.count.limit", &["2", "5"], &["1", "11"]),
    ("share.partition.max.record.locks", &["100", "2000"], &["99"]),
];
const SHARE_CONSUMER_CONFIGS: ConfigTable = &[
    ("share.acknowledgement.mode", &["implicit", "explicit"], &["auto"]),
    ("max.poll.records", &["1", "500"], &["0"]),
    ("group.protocol", &["classic", "consumer"], &["modern"]),
    ("metadata.max.age.ms", &["1000", "300000"], &["0"]),
    ("allow.auto.create.topics", &["true", "false"], &["no"]),
];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    proptest::sample::select(pool).prop_map(str::to_string)
}

/// Odd numbers for `u32` fields: zero, small, and the largest.
fn odd_u32(small: u32) -> impl Strategy<Value = u32> + Clone {
    prop_oneof![6 => 0..=small, 1 => Just(u32::MAX), 1 => Just(1000)]
}

/// Offsets and timestamps: before the start, at it, inside, past the end,
/// and both ends of `i64`.
fn odd_i64() -> impl Strategy<Value = i64> + Clone {
    prop_oneof![
        6 => -2i64..=8,
        1 => Just(1_000_000),
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
        1 => Just(i64::MAX - 1),
    ]
}

fn json_pool(values: Vec<Value>) -> impl Strategy<Value = Value> + Clone {
    proptest::sample::select(values)
}

// ---------------------------------------------------------------------------
// The RabbitMQ topology.

/// Values drawn from `valid`, and with `odd` also from `extra`: values an
/// engine must refuse, or accept only in some combinations.
fn values(valid: &[Value], extra: &[Value], odd: bool) -> impl Strategy<Value = Value> + Clone + use<> {
    let mut all = valid.to_vec();
    if odd {
        all.extend_from_slice(extra);
    }
    proptest::sample::select(all)
}

/// Queue arguments; with `odd`, also values RabbitMQ refuses (negative
/// lengths, strings for numbers, unknown queue types, a priority above 255).
fn queue_arguments(odd: bool) -> impl Strategy<Value = Arguments> {
    let priority =
        values(&[json!(1), json!(2), json!(10), json!(255)], &[json!(0), json!(256), json!(-1), json!("high")], odd);
    let ttl = values(&[json!(0), json!(1), json!(1000)], &[json!(-1), json!(4_294_967_296u64), json!(1.5)], odd);
    let length = values(&[json!(0), json!(1), json!(2), json!(1_000_000)], &[json!(-1)], odd);
    let overflow =
        values(&[json!("drop-head"), json!("reject-publish"), json!("reject-publish-dlx")], &[json!("no")], odd);
    let dlx = values(&[json!(""), json!("dlx"), json!("ex"), json!("missing")], &[json!(7)], odd);
    let dlrk = values(&[json!("dlq"), json!("q1"), json!("")], &[json!(null)], odd);
    let kind = values(&[json!("classic"), json!("quorum"), json!("stream")], &[json!("bogus")], odd);
    let limit = values(&[json!(0), json!(1), json!(3)], &[json!(-1)], odd);
    let sac = values(&[json!(true), json!(false)], &[json!("yes")], odd);
    let expires = values(&[json!(1), json!(1000)], &[json!(0), json!(-1)], odd);
    (
        proptest::option::weighted(0.4, priority),
        proptest::option::weighted(0.2, ttl),
        proptest::option::weighted(0.15, length.clone()),
        proptest::option::weighted(0.05, length.clone()),
        proptest::option::weighted(0.1, overflow),
        proptest::option::weighted(0.25, dlx),
        proptest::option::weighted(0.15, dlrk),
        proptest::option::weighted(0.1, kind),
        proptest::option::weighted(0.1, limit),
        proptest::option::weighted(0.08, sac),
        proptest::option::weighted(0.1, expires),
        proptest::option::weighted(0.03, Just(json!(1))).prop_map(move |v| v.filter(|_| odd)),
    )
        .prop_map(move |(p, ttl, len, bytes, over, dlx, dlrk, kind, limit, sac, expires, unknown)| {
            let mut a = Arguments::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    a.insert(k.to_string(), v);
                }
            };
            put("x-max-priority", p);
            put("x-message-ttl", ttl);
            put("x-max-length", len);
            put("x-max-length-bytes", bytes);
            put("x-overflow", over);
            // A routing key for dead letters needs an exchange to send them to.
            let dlrk = if dlx.is_some() || odd { dlrk } else { None };
            put("x-dead-letter-exchange", dlx);
            put("x-dead-letter-routing-key", dlrk);
            put("x-queue-type", kind);
            put("x-delivery-limit", limit);
            put("x-single-active-consumer", sac);
            put("x-expires", expires);
            put("x-unknown-argument", unknown);
            a
        })
}

fn queue_def(odd: bool) -> impl Strategy<Value = QueueDef> {
    (pick(QUEUES), pick(VHOSTS), prop::bool::weighted(0.8), prop::bool::weighted(0.1), queue_arguments(odd)).prop_map(
        |(name, vhost, durable, auto_delete, arguments)| QueueDef { name, vhost, durable, auto_delete, arguments },
    )
}

/// A policy over the declared names, with keys the engine accepts and, for
/// some, values or `apply-to`s a release refuses.
fn policy_def() -> impl Strategy<Value = PolicyDef> {
    (
        pick(&["p1", "p2", ""]),
        pick(VHOSTS),
        pick(&[".*", "^q", "q1$", "^(dlq|prio)$", "("]),
        prop_oneof![
            Just(PolicyApplyTo::All),
            Just(PolicyApplyTo::Queues),
            Just(PolicyApplyTo::Exchanges),
            Just(PolicyApplyTo::QuorumQueues),
            Just(PolicyApplyTo::Streams),
        ],
        -2i64..3,
        prop_oneof![
            Just(json!({"max-length": 1})),
            Just(json!({"max-length": 0, "overflow": "reject-publish"})),
            Just(json!({"message-ttl": 10, "dead-letter-exchange": "dlx"})),
            Just(json!({"delivery-limit": 1})),
            Just(json!({"expires": 50})),
            Just(json!({"alternate-exchange": "fan"})),
            Just(json!({"max-age": "1s"})),
            Just(json!({"max-length": "ten"})),
            Just(json!({})),
        ],
    )
        .prop_map(|(name, vhost, pattern, apply_to, priority, definition)| PolicyDef {
            name: name.to_string(),
            vhost,
            pattern: pattern.to_string(),
            apply_to,
            priority,
            definition: serde_json::from_value(definition).unwrap_or_default(),
        })
}

fn exchange_type() -> impl Strategy<Value = ExchangeType> + Clone {
    prop_oneof![
        Just(ExchangeType::Direct),
        Just(ExchangeType::Fanout),
        Just(ExchangeType::Topic),
        Just(ExchangeType::Headers)
    ]
}

fn exchange_def() -> impl Strategy<Value = ExchangeDef> {
    (
        pick(EXCHANGES),
        pick(VHOSTS),
        exchange_type(),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        proptest::option::weighted(0.2, pick(EXCHANGES)),
    )
        .prop_map(|(name, vhost, kind, durable, auto_delete, internal, alternate)| {
            let mut arguments = Arguments::new();
            if let Some(alt) = alternate {
                arguments.insert("alternate-exchange".into(), Value::String(alt));
            }
            ExchangeDef { name, vhost, kind, durable, auto_delete, internal, arguments }
        })
}

fn binding_arguments() -> impl Strategy<Value = Arguments> {
    (
        proptest::option::weighted(0.3, json_pool(vec![json!("any"), json!("all"), json!("any-with-x"), json!(1)])),
        proptest::option::weighted(0.3, json_pool(vec![json!("1"), json!(1), json!(true), json!(null)])),
    )
        .prop_map(|(m, h)| {
            let mut a = Arguments::new();
            if let Some(m) = m {
                a.insert("x-match".into(), m);
            }
            if let Some(h) = h {
                a.insert("h".into(), h);
            }
            a
        })
}

fn binding_def() -> impl Strategy<Value = BindingDef> {
    (
        pick(EXCHANGES),
        pick(VHOSTS),
        prop::bool::weighted(0.8),
        pick(QUEUES),
        pick(EXCHANGES),
        pick(ROUTING_KEYS),
        binding_arguments(),
    )
        .prop_map(|(source, vhost, to_queue, queue, exchange, routing_key, arguments)| BindingDef {
            source,
            vhost,
            destination: if to_queue { queue } else { exchange },
            destination_type: if to_queue { DestinationType::Queue } else { DestinationType::Exchange },
            routing_key,
            arguments,
        })
}

fn consumer_arguments() -> impl Strategy<Value = Arguments> {
    (
        proptest::option::weighted(0.2, json_pool(vec![json!(-5), json!(0), json!(10), json!("a")])),
        proptest::option::weighted(
            0.15,
            json_pool(vec![json!("first"), json!("last"), json!("next"), json!(0), json!(5), json!(-1), json!("x")]),
        ),
    )
        .prop_map(|(p, o)| {
            let mut a = Arguments::new();
            if let Some(p) = p {
                a.insert("x-priority".into(), p);
            }
            if let Some(o) = o {
                a.insert("x-stream-offset".into(), o);
            }
            a
        })
}

fn consumer_def() -> impl Strategy<Value = ConsumerDef> {
    (
        pick(TAGS),
        pick(QUEUES),
        pick(VHOSTS),
        prop_oneof![3 => Just(String::new()), 2 => pick(CLIENTS)],
        prop_oneof![3 => Just(0u16), 3 => 1u16..4, 1 => Just(u16::MAX)],
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.1),
        consumer_arguments(),
    )
        .prop_map(|(tag, queue, vhost, client, prefetch, auto_ack, exclusive, arguments)| ConsumerDef {
            tag,
            queue,
            vhost,
            client,
            prefetch,
            auto_ack,
            exclusive,
            arguments,
        })
}

fn rabbit_topology(odd: bool) -> impl Strategy<Value = RabbitTopology> {
    (
        proptest::collection::vec(pick(&["v2", "v2", "/", ""]), 0..2),
        proptest::collection::vec(exchange_def(), 0..5),
        proptest::collection::vec(queue_def(odd), 0..6),
        proptest::collection::vec(binding_def(), 0..7),
        proptest::collection::vec(consumer_def(), 0..3),
        proptest::collection::vec(policy_def(), 0..2),
        proptest::sample::select(vec![
            RabbitVersion::V3_10,
            RabbitVersion::V3_13,
            RabbitVersion::V4_0,
            RabbitVersion::V4_1,
            RabbitVersion::V4_2,
            RabbitVersion::V4_3,
        ]),
    )
        .prop_map(|(vhosts, exchanges, queues, bindings, consumers, policies, version)| RabbitTopology {
            version,
            vhosts: vhosts.into_iter().map(VhostDef::new).collect(),
            exchanges,
            queues,
            bindings,
            consumers,
            policies,
        })
}

// ---------------------------------------------------------------------------
// The Kafka topology.

/// Kafka configs: each key with values the engine accepts, then values it
/// refuses.
type ConfigTable = &'static [(&'static str, &'static [&'static str], &'static [&'static str])];

/// A config map drawn from a table, each key present with probability `p`;
/// refused values only with `odd`.
fn configs(p: f64, table: ConfigTable, odd: bool) -> BoxedStrategy<BTreeMap<String, String>> {
    let parts: Vec<BoxedStrategy<Option<(String, String)>>> = table
        .iter()
        .map(|(k, valid, extra)| {
            let mut vs: Vec<&'static str> = valid.to_vec();
            if odd {
                vs.extend_from_slice(extra);
            }
            proptest::option::weighted(
                p,
                proptest::sample::select(vs).prop_map(move |v| (k.to_string(), v.to_string())),
            )
            .boxed()
        })
        .collect();
    parts.prop_map(|kv| kv.into_iter().flatten().collect()).boxed()
}

const CLUSTER_CONFIGS: ConfigTable = &[
    ("min.insync.replicas", &["1", "2", "3"], &["0", "x"]),
    ("unclean.leader.election.enable", &["true", "false"], &["yes"]),
    ("replica.lag.time.max.ms", &["100", "30000"], &["0", "-1"]),
    ("group.consumer.assignors", &["uniform,range", "range"], &["sticky"]),
    ("group.initial.rebalance.delay.ms", &["0", "3000"], &["-1"]),
    ("auto.create.topics.enable", &["true", "false"], &["yes"]),
    ("num.partitions", &["1", "3"], &["0"]),
    ("default.replication.factor", &["1", "3"], &["0"]),
];

const TOPIC_CONFIGS: ConfigTable = &[
    ("cleanup.policy", &["delete", "compact", "compact,delete"], &["none"]),
    ("retention.ms", &["1000", "-1", "0", "60000"], &["-2"]),
    ("retention.bytes", &["100", "-1", "0"], &["-5"]),
    ("segment.bytes", &["100", "1048576", "14"], &["0"]),
    ("segment.ms", &["1000", "1"], &["0"]),
    ("min.insync.replicas", &["1", "2", "3"], &["0"]),
    ("unclean.leader.election.enable", &["true", "false"], &[]),
    ("min.cleanable.dirty.ratio", &["0.0", "0.5", "1.0"], &["1.5"]),
    ("min.compaction.lag.ms", &["0", "1000"], &[]),
    ("delete.retention.ms", &["0", "1000"], &[]),
];

const PRODUCER_CONFIGS: ConfigTable = &[
    ("acks", &["0", "1", "all"], &["2"]),
    ("retries", &["0", "3", "2147483647"], &["-1"]),
    ("enable.idempotence", &["true", "false"], &[]),
    ("partitioner", &["sticky", "round-robin"], &["random"]),
    ("batch.size", &["16384", "100000"], &["1", "0"]),
    ("delivery.timeout.ms", &["1", "120000"], &["0"]),
    ("max.block.ms", &["0", "500", "60000"], &["-1"]),
];

const CONSUMER_CONFIGS: ConfigTable = &[
    ("auto.offset.reset", &["earliest", "latest", "none"], &["smallest"]),
    ("enable.auto.commit", &["true", "false"], &[]),
    ("auto.commit.interval.ms", &["100", "5000"], &["0"]),
    ("partition.assignment.strategy", &["range", "roundrobin", "sticky", "cooperative-sticky"], &["random"]),
    ("isolation.level", &["read_uncommitted", "read_committed"], &[]),
    ("group.instance.id", &["i1", "i2"], &[]),
    ("session.timeout.ms", &["6000", "10000", "45000"], &["100"]),
    ("heartbeat.interval.ms", &["10", "3000"], &["0", "50000"]),
    ("max.poll.interval.ms", &["100", "300000"], &["0"]),
    ("max.poll.records", &["1", "500"], &["0"]),
    ("group.protocol", &["classic", "consumer"], &["modern"]),
    ("metadata.max.age.ms", &["1000", "300000"], &["0"]),
];

fn topic_def(odd: bool) -> impl Strategy<Value = TopicDef> {
    // Without `odd`, out-of-range counts become the nearest the engine accepts.
    let fix = move |n: u32, max: u32| if odd { n } else { n.clamp(1, max) };
    (
        pick(TOPICS),
        prop_oneof![8 => 1u32..=4, 1 => Just(0u32)].prop_map(move |n| fix(n, 4)),
        prop_oneof![8 => 1u32..=3, 1 => Just(0u32), 1 => Just(6u32)].prop_map(move |n| fix(n, 3)),
        configs(0.12, TOPIC_CONFIGS, odd),
    )
        .prop_map(|(name, partitions, replication_factor, configs)| TopicDef {
            name,
            partitions,
            replication_factor,
            configs,
        })
}

fn producer_def(odd: bool) -> impl Strategy<Value = ProducerDef> {
    (pick(PRODUCERS), configs(0.15, PRODUCER_CONFIGS, odd)).prop_map(|(name, mut configs)| {
        // `tx` and `tx2` share one transactional id, so one fences the other.
        if name.starts_with("tx") {
            configs.insert("transactional.id".into(), "t1".into());
            configs.remove("acks");
            configs.remove("enable.idempotence");
        }
        ProducerDef { name, configs }
    })
}

fn kafka_consumer_def(odd: bool) -> impl Strategy<Value = KafkaConsumerDef> {
    (
        pick(KAFKA_CONSUMERS),
        pick(GROUPS),
        proptest::collection::vec(pick(TOPICS), 0..3),
        configs(0.12, CONSUMER_CONFIGS, odd),
    )
        .prop_map(|(name, group_id, topics, configs)| KafkaConsumerDef {
            name,
            group_id,
            topics,
            configs,
            rebalance_listener: false,
        })
}

fn kafka_topology(odd: bool) -> impl Strategy<Value = KafkaTopology> {
    (
        prop_oneof![10 => 1u32..=4, 1 => Just(0u32), 1 => Just(1000u32)]
            .prop_map(move |n| if odd { n } else { n.clamp(1, 4) }),
        configs(0.1, CLUSTER_CONFIGS, odd),
        proptest::collection::vec(topic_def(odd), 0..4),
        proptest::collection::vec(producer_def(odd), 0..4),
        proptest::collection::vec(kafka_consumer_def(odd), 0..4),
        // Share groups stay rare and mostly well formed in the topology, so
        // that most scenarios still start; the script names ghosts freely.
        proptest::option::weighted(
            0.2,
            (pick(SHARE_GROUPS), configs(0.3, SHARE_GROUP_CONFIGS, odd))
                .prop_map(|(group_id, configs)| ShareGroupDef { group_id, configs }),
        )
        .prop_map(|g| g.into_iter().collect::<Vec<_>>()),
        proptest::option::weighted(
            0.3,
            (
                1..=2usize,
                pick(&["sg", "sg", "sg", "g1"]),
                proptest::collection::vec(pick(&["orders", "orders", "missing"]), 0..2),
                configs(0.3, SHARE_CONSUMER_CONFIGS, odd),
            )
                .prop_map(|(n, group_id, topics, configs)| {
                    ["s1", "s2"][..n]
                        .iter()
                        .map(|name| ShareConsumerDef {
                            name: name.to_string(),
                            group_id: group_id.clone(),
                            topics: topics.clone(),
                            configs: configs.clone(),
                        })
                        .collect::<Vec<_>>()
                }),
        )
        .prop_map(Option::unwrap_or_default),
    )
        .prop_map(|(brokers, configs, topics, producers, consumers, share_groups, share_consumers)| {
            KafkaTopology {
                brokers,
                controllers: 3,
                configs,
                topics,
                producers,
                consumers,
                share_groups,
                share_consumers,
            }
        })
}

// ---------------------------------------------------------------------------
// Script actions: every variant of `Action`.

fn properties() -> impl Strategy<Value = Properties> {
    (
        proptest::option::weighted(0.5, any::<u8>()),
        proptest::option::weighted(0.3, prop_oneof![Just(1u8), Just(2u8), Just(0u8), Just(9u8)]),
        proptest::option::weighted(0.2, pick(&["0", "1", "1000", "-1", "abc", "", "99999999999999999999"])),
        proptest::option::weighted(0.1, pick(&["q1", "amq.rabbitmq.reply-to", ""])),
        proptest::option::weighted(0.1, pick(&["id-1", ""])),
        proptest::option::weighted(0.05, any::<u64>()),
    )
        .prop_map(|(priority, delivery_mode, expiration, reply_to, ids, timestamp)| Properties {
            content_type: ids.clone().map(|_| "text/plain".to_string()),
            delivery_mode,
            priority,
            correlation_id: ids.clone(),
            reply_to,
            expiration,
            message_id: ids.clone(),
            timestamp,
            app_id: ids,
        })
}

fn publish_headers() -> impl Strategy<Value = Arguments> {
    proptest::option::weighted(
        0.2,
        json_pool(vec![json!("1"), json!(1), json!(true), json!(null), json!([1, "a"]), json!({"n": 1}), json!(2.5)]),
    )
    .prop_map(|h| {
        let mut a = Arguments::new();
        if let Some(h) = h {
            a.insert("h".into(), h);
        }
        a
    })
}

fn delivery_tag() -> impl Strategy<Value = Option<u64>> {
    proptest::option::weighted(0.3, prop_oneof![Just(0u64), 1u64..6, Just(u64::MAX)])
}

fn partition_offsets() -> impl Strategy<Value = Vec<PartitionOffset>> {
    proptest::collection::vec(
        (pick(TOPICS), odd_u32(3), odd_i64()).prop_map(|(topic, partition, offset)| PartitionOffset {
            topic,
            partition,
            offset,
        }),
        0..3,
    )
}

fn seek_target() -> impl Strategy<Value = SeekTarget> {
    prop_oneof![
        Just(SeekTarget::Beginning),
        Just(SeekTarget::End),
        odd_i64().prop_map(SeekTarget::Offset),
        odd_i64().prop_map(SeekTarget::Timestamp),
    ]
}

fn rabbit_action() -> BoxedStrategy<Action> {
    let client = || pick(CLIENTS);
    let vhost = || pick(VHOSTS);
    prop_oneof![
        8 => (client(), vhost(), pick(EXCHANGES), pick(ROUTING_KEYS), pick(&["", "m", "a longer body"]), properties(),
              publish_headers(), prop::bool::weighted(0.2))
            .prop_map(|(client, vhost, exchange, routing_key, body, properties, headers, mandatory)| Action::Publish {
                client, vhost, exchange, routing_key, body: body.to_string(), properties, headers, mandatory,
            }),
        3 => (client(), vhost(), pick(QUEUES), any::<bool>())
            .prop_map(|(client, vhost, queue, auto_ack)| Action::Get { client, vhost, queue, auto_ack }),
        3 => (client(), vhost(), delivery_tag(), prop::bool::weighted(0.2))
            .prop_map(|(client, vhost, delivery_tag, multiple)| Action::Ack { client, vhost, delivery_tag, multiple }),
        2 => (client(), vhost(), delivery_tag(), prop::bool::weighted(0.2), any::<bool>())
            .prop_map(|(client, vhost, delivery_tag, multiple, requeue)| Action::Nack {
                client, vhost, delivery_tag, multiple, requeue,
            }),
        2 => (client(), vhost(), delivery_tag(), any::<bool>())
            .prop_map(|(client, vhost, delivery_tag, requeue)| Action::Reject { client, vhost, delivery_tag, requeue }),
        3 => consumer_def().prop_map(|consumer| Action::Consume { consumer }),
        1 => (client(), vhost(), pick(TAGS)).prop_map(|(client, vhost, tag)| Action::Cancel { client, vhost, tag }),
        1 => (client(), vhost(), prop_oneof![Just(0u16), 1u16..4, Just(u16::MAX)], prop::bool::weighted(0.2))
            .prop_map(|(client, vhost, prefetch, global)| Action::Qos { client, vhost, prefetch, global }),
        1 => (client(), vhost()).prop_map(|(client, vhost)| Action::ConfirmSelect { client, vhost }),
        1 => exchange_def().prop_map(|exchange| Action::DeclareExchange { exchange }),
        2 => queue_def(true).prop_map(|queue| Action::DeclareQueue { queue }),
        1 => binding_def().prop_map(|binding| Action::Bind { binding }),
        1 => binding_def().prop_map(|binding| Action::Unbind { binding }),
        1 => (vhost(), pick(EXCHANGES)).prop_map(|(vhost, name)| Action::DeleteExchange { vhost, name }),
        1 => (vhost(), pick(QUEUES)).prop_map(|(vhost, name)| Action::DeleteQueue { vhost, name }),
        1 => (vhost(), pick(QUEUES)).prop_map(|(vhost, queue)| Action::Purge { vhost, queue }),
        1 => (client(), vhost()).prop_map(|(client, vhost)| Action::CloseClient { client, vhost }),
        1 => Just(Action::RestartRabbitmq),
        1 => policy_def().prop_map(|policy| Action::SetPolicy { policy }),
        1 => (vhost(), pick(&["p1", "p2", ""])).prop_map(|(vhost, name)| Action::ClearPolicy { vhost, name: name.to_string() }),
        1 => (prop_oneof![Just(AlarmKind::Memory), Just(AlarmKind::Disk)], any::<bool>())
            .prop_map(|(alarm, active)| Action::Alarm { alarm, active }),
    ]
    .boxed()
}

fn kafka_action() -> BoxedStrategy<Action> {
    let producer = || pick(PRODUCERS);
    let consumer = || pick(KAFKA_CONSUMERS);
    let broker = || prop_oneof![8 => 0u32..5, 1 => Just(u32::MAX)];
    prop_oneof![
        8 => (producer(), pick(TOPICS), proptest::option::weighted(0.6, pick(&["a", "b", ""])),
              proptest::option::weighted(0.9, pick(&["v", "", "a longer value"])),
              proptest::option::weighted(0.15, odd_u32(4)),
              proptest::option::weighted(0.1, Just(BTreeMap::from([("h".to_string(), "1".to_string())]))))
            .prop_map(|(producer, topic, key, value, partition, headers)| Action::Produce {
                producer, topic, key, value, partition,
                headers: headers.unwrap_or_default(),
            }),
        5 => (consumer(), proptest::option::weighted(0.4, odd_u32(3)))
            .prop_map(|(consumer, max_records)| Action::Poll { consumer, max_records }),
        3 => (consumer(), proptest::option::weighted(0.3, partition_offsets()))
            .prop_map(|(consumer, offsets)| Action::Commit { consumer, offsets }),
        2 => (consumer(), pick(TOPICS), odd_u32(3), seek_target())
            .prop_map(|(consumer, topic, partition, to)| Action::Seek { consumer, topic, partition, to }),
        2 => (consumer(), proptest::collection::vec(pick(TOPICS), 0..3))
            .prop_map(|(consumer, topics)| Action::Subscribe { consumer, topics }),
        1 => consumer().prop_map(|consumer| Action::CloseConsumer { consumer }),
        1 => consumer().prop_map(|consumer| Action::CrashConsumer { consumer }),
        1 => broker().prop_map(|broker| Action::CrashBroker { broker }),
        1 => broker().prop_map(|broker| Action::RestartBroker { broker }),
        1 => broker().prop_map(|broker| Action::ShutdownBroker { broker }),
        1 => Just(Action::ElectPreferredLeaders),
        1 => (99u32..104).prop_map(|controller| Action::CrashController { controller }),
        1 => (99u32..104).prop_map(|controller| Action::RestartController { controller }),
        1 => broker().prop_map(|broker| Action::PauseReplication { broker }),
        1 => broker().prop_map(|broker| Action::ResumeReplication { broker }),
        1 => (pick(TOPICS), prop_oneof![0u32..=6, Just(16u32)])
            .prop_map(|(topic, total)| Action::AddPartitions { topic, total }),
        1 => producer().prop_map(|producer| Action::CloseProducer { producer }),
        2 => producer().prop_map(|producer| Action::BeginTransaction { producer }),
        // The consumer whose group metadata goes with the offsets (or none)
        // follows from the offsets drawn, so adding it drew nothing new.
        1 => (producer(), pick(GROUPS), partition_offsets()).prop_map(|(producer, group_id, offsets)| {
            let pick = (offsets.len() + producer.len() + group_id.len()) % (KAFKA_CONSUMERS.len() + 1);
            let consumer = KAFKA_CONSUMERS.get(pick).map(|c| c.to_string());
            Action::SendOffsetsToTransaction { producer, group_id, offsets, consumer }
        }),
        2 => producer().prop_map(|producer| Action::CommitTransaction { producer }),
        1 => producer().prop_map(|producer| Action::AbortTransaction { producer }),
        1 => (pick(SHARE_CONSUMERS), proptest::collection::vec(pick(TOPICS), 0..3))
            .prop_map(|(consumer, topics)| Action::ShareSubscribe { consumer, topics }),
        3 => (pick(SHARE_CONSUMERS), proptest::option::weighted(0.4, odd_u32(3)))
            .prop_map(|(consumer, max_records)| Action::SharePoll { consumer, max_records }),
        3 => (pick(SHARE_CONSUMERS),
              prop_oneof![Just(ShareAckType::Accept), Just(ShareAckType::Release), Just(ShareAckType::Reject)],
              proptest::option::weighted(0.2, pick(TOPICS)),
              proptest::option::weighted(0.2, odd_u32(3)),
              proptest::option::weighted(0.2, prop_oneof![0i64..5, Just(-1i64), Just(i64::MAX)]))
            .prop_map(|(consumer, kind, topic, partition, offset)| Action::ShareAcknowledge {
                consumer, kind, topic, partition, offset,
            }),
        1 => pick(SHARE_CONSUMERS).prop_map(|consumer| Action::CloseShareConsumer { consumer }),
    ]
    .boxed()
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        10 => rabbit_action(),
        10 => kafka_action(),
        3 => prop_oneof![
            8 => prop_oneof![Just(0u64), Just(1u64), Just(100u64), Just(1000u64), Just(10_000u64), Just(60_000u64)],
            1 => Just(600_000u64),
            1 => Just(MAX_ADVANCE_MS),
        ]
        .prop_map(|ms| Action::AdvanceTime { ms }),
        1 => pick(&["", "a note"]).prop_map(|text| Action::Note { text }),
    ]
}

/// A run of RabbitMQ actions on one queue and one client, so that a script
/// often does several things to the same entity: declare it with other
/// arguments, publish to it, fetch and settle, delete and re-declare it,
/// close the client, restart the broker.
fn focused_rabbit() -> impl Strategy<Value = Vec<Action>> {
    (pick(DECLARED_QUEUES), pick(CLIENTS)).prop_flat_map(|(q, c)| {
        let vhost = || Just("/".to_string());
        let step = prop_oneof![
            2 => (queue_arguments(true), prop::bool::weighted(0.8)).prop_map({
                let q = q.clone();
                move |(arguments, durable)| Action::DeclareQueue {
                    queue: QueueDef { name: q.clone(), durable, arguments, ..QueueDef::new("") },
                }
            }),
            4 => (properties(), pick(&["", "ex", "fan", "amq.direct"]), prop::bool::weighted(0.2)).prop_map({
                let (q, c) = (q.clone(), c.clone());
                move |(properties, exchange, mandatory)| Action::Publish {
                    client: c.clone(),
                    vhost: "/".into(),
                    exchange,
                    routing_key: q.clone(),
                    body: "m".into(),
                    properties,
                    headers: Arguments::new(),
                    mandatory,
                }
            }),
            2 => (vhost(), any::<bool>()).prop_map({
                let (q, c) = (q.clone(), c.clone());
                move |(vhost, auto_ack)| Action::Get { client: c.clone(), vhost, queue: q.clone(), auto_ack }
            }),
            2 => (pick(TAGS), prop_oneof![Just(0u16), 1u16..3], prop::bool::weighted(0.2), consumer_arguments())
                .prop_map({
                    let (q, c) = (q.clone(), c.clone());
                    move |(tag, prefetch, auto_ack, arguments)| Action::Consume {
                        consumer: ConsumerDef {
                            tag: if tag.is_empty() { "t1".into() } else { tag },
                            queue: q.clone(),
                            vhost: "/".into(),
                            client: c.clone(),
                            prefetch,
                            auto_ack,
                            exclusive: false,
                            arguments,
                        },
                    }
                }),
            2 => (delivery_tag(), prop::bool::weighted(0.2)).prop_map({
                let c = c.clone();
                move |(delivery_tag, multiple)| Action::Ack { client: c.clone(), vhost: "/".into(), delivery_tag, multiple }
            }),
            2 => (delivery_tag(), prop::bool::weighted(0.2), prop::bool::weighted(0.7)).prop_map({
                let c = c.clone();
                move |(delivery_tag, multiple, requeue)| Action::Nack {
                    client: c.clone(),
                    vhost: "/".into(),
                    delivery_tag,
                    multiple,
                    requeue,
                }
            }),
            1 => (delivery_tag(), any::<bool>()).prop_map({
                let c = c.clone();
                move |(delivery_tag, requeue)| Action::Reject { client: c.clone(), vhost: "/".into(), delivery_tag, requeue }
            }),
            1 => pick(TAGS).prop_map({
                let c = c.clone();
                move |tag| Action::Cancel { client: c.clone(), vhost: "/".into(), tag }
            }),
            2 => Just(Action::DeleteQueue { vhost: "/".into(), name: q.clone() }),
            1 => Just(Action::Purge { vhost: "/".into(), queue: q.clone() }),
            1 => Just(Action::CloseClient { client: c.clone(), vhost: "/".into() }),
            1 => Just(Action::RestartRabbitmq),
            1 => prop_oneof![Just(10u64), Just(1000u64), Just(60_000u64)].prop_map(|ms| Action::AdvanceTime { ms }),
        ];
        proptest::collection::vec(step, 2..12)
    })
}

/// A run of routing actions around one exchange and one queue: the queue
/// dead-letters to the exchange, which may route back to it (a cycle
/// RabbitMQ breaks), exchanges bound to exchanges, alternate exchanges,
/// deletes in the middle, and time passing so that TTLs expire.
fn focused_routing() -> impl Strategy<Value = Vec<Action>> {
    (pick(DECLARED_EXCHANGES), pick(DECLARED_EXCHANGES), pick(DECLARED_QUEUES)).prop_flat_map(|(x, y, q)| {
        let step = prop_oneof![
            2 => (exchange_type(), prop::bool::weighted(0.3)).prop_map({
                let (x, y) = (x.clone(), y.clone());
                move |(kind, alternate)| {
                    let mut exchange = ExchangeDef::new(x.clone(), kind);
                    if alternate {
                        exchange.arguments.insert("alternate-exchange".into(), Value::String(y.clone()));
                    }
                    Action::DeclareExchange { exchange }
                }
            }),
            2 => (
                values(&[json!(0), json!(1), json!(100)], &[], false),
                proptest::option::weighted(0.3, values(&[json!(0), json!(1)], &[], false)),
                proptest::option::weighted(0.3, values(&[json!(1), json!(2)], &[], false)),
                proptest::option::weighted(0.3, pick(ROUTING_KEYS)),
            )
                .prop_map({
                    let (x, q) = (x.clone(), q.clone());
                    move |(ttl, max_length, limit, dlrk)| {
                        let mut queue = QueueDef::new(q.clone());
                        queue.arguments.insert("x-dead-letter-exchange".into(), Value::String(x.clone()));
                        queue.arguments.insert("x-message-ttl".into(), ttl);
                        if let Some(n) = max_length {
                            queue.arguments.insert("x-max-length".into(), n);
                        }
                        if let Some(n) = limit {
                            queue.arguments.insert("x-queue-type".into(), json!("quorum"));
                            queue.arguments.insert("x-delivery-limit".into(), n);
                        }
                        if let Some(k) = dlrk {
                            queue.arguments.insert("x-dead-letter-routing-key".into(), Value::String(k));
                        }
                        Action::DeclareQueue { queue }
                    }
                }),
            3 => (pick(ROUTING_KEYS), any::<bool>()).prop_map({
                let (x, y, q) = (x.clone(), y.clone(), q.clone());
                move |(routing_key, to_queue)| Action::Bind {
                    binding: BindingDef {
                        source: x.clone(),
                        vhost: "/".into(),
                        destination: if to_queue { q.clone() } else { y.clone() },
                        destination_type: if to_queue { DestinationType::Queue } else { DestinationType::Exchange },
                        routing_key,
                        arguments: Arguments::new(),
                    },
                }
            }),
            1 => pick(ROUTING_KEYS).prop_map({
                let (x, q) = (x.clone(), q.clone());
                move |routing_key| Action::Unbind { binding: BindingDef { routing_key, ..BindingDef::queue(x.clone(), q.clone(), "") } }
            }),
            4 => (pick(ROUTING_KEYS), properties(), publish_headers(), prop::bool::weighted(0.3)).prop_map({
                let x = x.clone();
                move |(routing_key, properties, headers, mandatory)| Action::Publish {
                    client: "app".into(),
                    vhost: "/".into(),
                    exchange: x.clone(),
                    routing_key,
                    body: "m".into(),
                    properties,
                    headers,
                    mandatory,
                }
            }),
            2 => Just(Action::Get { client: "app".into(), vhost: "/".into(), queue: q.clone(), auto_ack: false }),
            2 => any::<bool>().prop_map(|requeue| Action::Nack {
                client: "app".into(),
                vhost: "/".into(),
                delivery_tag: None,
                multiple: true,
                requeue,
            }),
            1 => Just(Action::DeleteExchange { vhost: "/".into(), name: x.clone() }),
            1 => Just(Action::DeleteQueue { vhost: "/".into(), name: q.clone() }),
            2 => prop_oneof![Just(1u64), Just(100u64), Just(10_000u64)].prop_map(|ms| Action::AdvanceTime { ms }),
        ];
        proptest::collection::vec(step, 2..12)
    })
}

/// A run of Kafka actions on one topic, one consumer and one producer.
fn focused_kafka() -> impl Strategy<Value = Vec<Action>> {
    (pick(DECLARED_TOPICS), pick(KAFKA_CONSUMERS), pick(PRODUCERS)).prop_flat_map(|(t, k, p)| {
        let step = prop_oneof![
            4 => (proptest::option::weighted(0.6, pick(&["a", "b"])), proptest::option::weighted(0.9, Just("v".to_string())),
                  proptest::option::weighted(0.1, odd_u32(3)))
                .prop_map({
                    let (t, p) = (t.clone(), p.clone());
                    move |(key, value, partition)| Action::Produce {
                        producer: p.clone(),
                        topic: t.clone(),
                        key,
                        value,
                        partition,
                        headers: BTreeMap::new(),
                    }
                }),
            3 => proptest::option::weighted(0.3, odd_u32(3)).prop_map({
                let k = k.clone();
                move |max_records| Action::Poll { consumer: k.clone(), max_records }
            }),
            2 => proptest::option::weighted(0.3, (odd_u32(2), odd_i64())).prop_map({
                let (t, k) = (t.clone(), k.clone());
                move |o| Action::Commit {
                    consumer: k.clone(),
                    offsets: o.map(|(partition, offset)| vec![PartitionOffset { topic: t.clone(), partition, offset }]),
                }
            }),
            2 => (odd_u32(2), seek_target()).prop_map({
                let (t, k) = (t.clone(), k.clone());
                move |(partition, to)| Action::Seek { consumer: k.clone(), topic: t.clone(), partition, to }
            }),
            2 => Just(Action::Subscribe { consumer: k.clone(), topics: vec![t.clone()] }),
            1 => Just(Action::CloseConsumer { consumer: k.clone() }),
            1 => Just(Action::CrashConsumer { consumer: k.clone() }),
            1 => (0u32..6).prop_map({
                let t = t.clone();
                move |total| Action::AddPartitions { topic: t.clone(), total }
            }),
            1 => (0u32..3).prop_map(|broker| Action::CrashBroker { broker }),
            1 => (0u32..3).prop_map(|broker| Action::RestartBroker { broker }),
            1 => (0u32..3).prop_map(|broker| Action::ShutdownBroker { broker }),
            1 => (0u32..3).prop_map(|broker| Action::PauseReplication { broker }),
            1 => Just(Action::BeginTransaction { producer: p.clone() }),
            1 => (pick(GROUPS), odd_i64()).prop_map({
                let (t, p) = (t.clone(), p.clone());
                move |(group_id, offset)| Action::SendOffsetsToTransaction {
                    producer: p.clone(),
                    group_id,
                    offsets: vec![PartitionOffset { topic: t.clone(), partition: 0, offset }],
                    consumer: None,
                }
            }),
            1 => Just(Action::CommitTransaction { producer: p.clone() }),
            1 => Just(Action::AbortTransaction { producer: p.clone() }),
            1 => Just(Action::CloseProducer { producer: p.clone() }),
            2 => prop_oneof![Just(100u64), Just(3000u64), Just(60_000u64)].prop_map(|ms| Action::AdvanceTime { ms }),
        ];
        proptest::collection::vec(step, 2..9)
    })
}

// ---------------------------------------------------------------------------
// Whole scenarios.

/// Drops what `Scenario::validate` would refuse, so that most generated
/// scenarios start and their scripts run; the rest are left as drawn, to
/// exercise the refusal of inconsistent topologies.
fn make_consistent(s: &mut Scenario) {
    let r = &mut s.rabbitmq;
    let mut seen = BTreeSet::new();
    r.vhosts.retain(|v| !v.name.is_empty() && v.name != "/" && seen.insert(v.name.clone()));
    let vhosts: BTreeSet<String> = r.vhosts.iter().map(|v| v.name.clone()).chain(["/".to_string()]).collect();
    let mut seen = BTreeSet::new();
    r.exchanges.retain(|x| {
        vhosts.contains(&x.vhost)
            && DECLARED_EXCHANGES.contains(&x.name.as_str())
            && seen.insert((x.vhost.clone(), x.name.clone()))
    });
    let mut seen = BTreeSet::new();
    r.queues.retain(|q| {
        vhosts.contains(&q.vhost)
            && DECLARED_QUEUES.contains(&q.name.as_str())
            && seen.insert((q.vhost.clone(), q.name.clone()))
    });
    let exchanges: BTreeSet<(String, String)> = r.exchanges.iter().map(|x| (x.vhost.clone(), x.name.clone())).collect();
    let queues: BTreeSet<(String, String)> = r.queues.iter().map(|q| (q.vhost.clone(), q.name.clone())).collect();
    let exchange_ok = |v: &str, x: &str| x.starts_with("amq.") || exchanges.contains(&(v.to_string(), x.to_string()));
    r.bindings.retain(|b| {
        vhosts.contains(&b.vhost)
            && exchange_ok(&b.vhost, &b.source)
            && match b.destination_type {
                DestinationType::Queue => queues.contains(&(b.vhost.clone(), b.destination.clone())),
                DestinationType::Exchange => exchange_ok(&b.vhost, &b.destination),
            }
    });
    let mut seen = BTreeSet::new();
    r.policies
        .retain(|p| vhosts.contains(&p.vhost) && !p.name.is_empty() && seen.insert((p.vhost.clone(), p.name.clone())));
    let mut seen = BTreeSet::new();
    r.consumers.retain(|c| {
        !c.tag.is_empty()
            && queues.contains(&(c.vhost.clone(), c.queue.clone()))
            && seen.insert((c.vhost.clone(), c.client_name().to_string(), c.tag.clone()))
    });

    let k = &mut s.kafka;
    let brokers = k.brokers;
    let mut seen = BTreeSet::new();
    k.topics.retain(|t| {
        DECLARED_TOPICS.contains(&t.name.as_str()) && t.replication_factor <= brokers && seen.insert(t.name.clone())
    });
    let topics: BTreeSet<String> = k.topics.iter().map(|t| t.name.clone()).collect();
    let mut seen = BTreeSet::new();
    k.producers.retain(|p| p.name != "ghost" && seen.insert(p.name.clone()));
    let mut seen = BTreeSet::new();
    k.consumers.retain(|c| c.name != "ghost" && seen.insert(c.name.clone()));
    for c in &mut k.consumers {
        c.topics.retain(|t| topics.contains(t));
    }

    for a in &mut s.script {
        match a {
            Action::AdvanceTime { ms } => *ms = (*ms).min(MAX_ADVANCE_MS),
            Action::Consume { consumer } if consumer.tag.is_empty() => consumer.tag = "t1".into(),
            _ => {}
        }
    }
}

/// A piece of a script: a few unrelated actions, or a focused run on one
/// queue or one topic.
fn script_part() -> impl Strategy<Value = Vec<Action>> {
    prop_oneof![
        4 => proptest::collection::vec(action(), 1..5),
        1 => focused_rabbit(),
        1 => focused_routing(),
        1 => focused_kafka(),
    ]
}

/// A scenario: most often with a topology the engines accept (values they
/// refuse are left to the script's own declarations), sometimes with one
/// drawn as it comes, refused values and all.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    let whole = |odd: bool| {
        (any::<u64>(), rabbit_topology(odd), kafka_topology(odd), proptest::collection::vec(script_part(), 0..16))
            .prop_map(move |(seed, rabbitmq, kafka, parts)| {
                let script = parts.into_iter().flatten().collect();
                let mut s = Scenario { seed, rabbitmq, kafka, script, ..Scenario::default() };
                if !odd {
                    make_consistent(&mut s);
                }
                s
            })
    };
    prop_oneof![9 => whole(false), 1 => whole(true)]
}
