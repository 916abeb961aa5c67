//! Replaying scenarios: step by step, live actions, errors recorded without
//! stopping the replay, clients reopened after the broker closes them, and a
//! property test that random scripts never make a session panic.

use brokerlab_scenario::*;
use proptest::prelude::*;

#[test]
fn building_the_topology_reports_its_events_before_any_step() {
    let s = presets::get("exchange-types").expect("preset");
    let session = s.start().expect("starts");
    let declared =
        session.setup().rabbit.iter().filter(|e| matches!(e, brokerlab_rabbit::Event::QueueDeclared { .. })).count();
    assert_eq!(declared, 4);
    assert_eq!(session.position(), 0);
    assert!(!session.is_finished());
}

#[test]
fn the_canvas_section_changes_nothing_the_engines_do() {
    let mut with = Scenario::from_json(include_str!("golden/v1/canvas.json")).expect("golden file");
    with.script = presets::get("kafka-vs-rabbit").expect("preset").script;
    with.script.retain(|a| !matches!(a, Action::Publish { .. } | Action::Ack { .. }));
    // The golden canvas declares transient queues, which RabbitMQ 4.3 refuses.
    with.rabbitmq.version = RabbitVersion::V4_2;
    let mut without = with.clone();
    without.canvas = Canvas::default();
    without.layout.clear();
    assert_ne!(with, without);
    let (mut a, mut b) = (with.start().expect("starts"), without.start().expect("starts"));
    assert_eq!(a.setup(), b.setup());
    assert_eq!(a.run_to_end(), b.run_to_end());
    let report = |s: &Scenario| s.run_report().expect("runs").to_json();
    assert_eq!(report(&with), report(&without));
}

#[test]
fn steps_come_back_one_per_action_with_their_index() {
    let s = presets::get("work-queue").expect("preset");
    let mut session = s.start().expect("starts");
    let first = session.step().expect("a first step");
    assert_eq!(first.index, Some(0));
    let rest = session.run_to_end();
    assert_eq!(rest.len(), s.script.len() - 1);
    assert!(session.is_finished());
    assert_eq!(session.step(), None);
}

#[test]
fn a_refused_action_is_recorded_and_the_replay_goes_on() {
    let mut s = presets::get("work-queue").expect("preset");
    s.script
        .insert(0, Action::Get { client: "app".into(), vhost: "/".into(), queue: "missing".into(), auto_ack: false });
    let mut session = s.start().expect("starts");
    let outcomes = session.run_to_end();
    assert_eq!(outcomes[0].error.as_deref(), Some("404 NOT_FOUND - no queue 'missing' in vhost '/'"));
    // The channel closed; the next publish on the same client reopens it.
    assert_eq!(outcomes[1].error, None);
    assert!(outcomes[1].rabbit.iter().any(|e| matches!(e, brokerlab_rabbit::Event::ChannelOpened { .. })));
}

#[test]
fn a_client_is_reopened_after_a_broker_restart() {
    let s = presets::get("durability-restart").expect("preset");
    let mut session = s.start().expect("starts");
    let outcomes = session.run_to_end();
    let last = outcomes.last().expect("steps");
    assert_eq!(last.error, None);
    let got: Vec<&str> = last
        .rabbit
        .iter()
        .filter_map(|e| match e {
            brokerlab_rabbit::Event::GetOk { message, .. } => Some(message.body.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(got, ["persistent"]);
    assert_eq!(session.rabbit().queue("/", "transient-q"), None);
}

#[test]
fn an_ack_with_nothing_to_settle_says_so() {
    let mut session = presets::get("topic-routing").expect("preset").start().expect("starts");
    let o =
        session.apply(&Action::Ack { client: "app".into(), vhost: "/".into(), delivery_tag: None, multiple: false });
    assert_eq!(o.error.as_deref(), Some("there is no unacknowledged delivery on this client to settle"));
}

#[test]
fn a_poll_returns_its_records() {
    let mut session = presets::get("key-partitioning").expect("preset").start().expect("starts");
    let polled: Vec<_> = session.run_to_end().into_iter().flat_map(|o| o.polled).collect();
    assert_eq!(polled.len(), 6);
    let alice: Vec<&[u8]> = polled
        .iter()
        .filter(|r| r.key.as_deref() == Some(b"alice"))
        .map(|r| r.value.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(alice, [&b"created"[..], b"paid", b"shipped"]);
}

#[test]
fn a_live_action_applies_without_moving_the_script() {
    let mut session = presets::get("work-queue").expect("preset").start().expect("starts");
    let o = session.apply(&Action::AdvanceTime { ms: 250 });
    assert_eq!(o.index, None);
    assert_eq!(session.position(), 0);
    assert_eq!(session.rabbit().now(), 250);
    assert_eq!(session.kafka().now(), 250);
}

#[test]
fn a_topology_an_engine_refuses_fails_to_start_with_the_entity_named() {
    let mut s = Scenario::default();
    s.rabbitmq.queues.push(QueueDef::new("q"));
    s.rabbitmq.queues[0].arguments.insert("x-queue-type".into(), serde_json::Value::from("stream"));
    // A stream takes no per-queue message TTL.
    s.rabbitmq.queues[0].arguments.insert("x-message-ttl".into(), serde_json::Value::from(1000));
    let err = s.start().map(|_| ()).unwrap_err();
    assert!(matches!(&err, ScenarioError::Setup(m) if m.starts_with("queue `q`:")), "{err}");
}

/// A scenario with three parts the engines refuse (a binding argument the
/// headers exchange does not accept, a queue declared again with another
/// length limit, a topic with more replicas than brokers) among parts they
/// accept.
fn partly_refused() -> Scenario {
    // Read without the checks `from_json` makes, which would refuse the
    // queue declared twice before any engine sees it.
    serde_json::from_str(
        r#"{
            "version": 1,
            "rabbitmq": {
                "exchanges": [{ "name": "h", "type": "headers" }, { "name": "x", "type": "fanout" }],
                "queues": [
                    { "name": "q", "arguments": { "x-max-length": 1 } },
                    { "name": "q", "arguments": { "x-max-length": 5 } },
                    { "name": "other" }
                ],
                "bindings": [
                    { "source": "h", "destination": "q", "arguments": { "x-match": "sometimes" } },
                    { "source": "x", "destination": "other", "routing_key": "k" }
                ],
                "consumers": [{ "tag": "c", "queue": "other" }]
            },
            "kafka": {
                "brokers": 1,
                "topics": [{ "name": "wide", "replication_factor": 3 }, { "name": "fine" }]
            }
        }"#,
    )
    .expect("well-formed JSON")
}

#[test]
fn a_lenient_start_builds_what_the_engines_accept_and_names_each_refused_part() {
    let scenario = partly_refused();
    assert!(matches!(scenario.start(), Err(ScenarioError::Invalid(_))), "the strict start refuses it");
    let (session, problems) = scenario.start_lenient();
    let parts: Vec<&SetupPart> = problems.iter().map(|p| &p.part).collect();
    assert_eq!(
        parts,
        [
            &SetupPart::Queue { vhost: "/".into(), name: "q".into() },
            &SetupPart::Binding {
                vhost: "/".into(),
                source: "h".into(),
                destination: "q".into(),
                routing_key: String::new()
            },
            &SetupPart::Topic { name: "wide".into() },
        ]
    );
    assert!(problems[0].error.starts_with("406 PRECONDITION_FAILED"), "{}", problems[0].error);
    assert!(problems[1].error.contains("x-match"), "{}", problems[1].error);
    assert!(problems[2].error.contains("replication"), "{}", problems[2].error);
    assert_eq!(problems[1].to_string(), format!("binding `h` -> `q`: {}", problems[1].error));
    // The first declaration of `q` stands; the rest of the topology is there.
    let q = session.rabbit().queue("/", "q").expect("declared once");
    assert_eq!(q.arguments.get("x-max-length").and_then(brokerlab_rabbit::FieldValue::as_i64), Some(1));
    let other = session.rabbit().queue("/", "other").expect("declared");
    assert_eq!(other.consumers.len(), 1);
    assert!(session.rabbit().bindings("/").iter().any(|b| b.source == "x" && b.destination == "other"));
    assert!(session.kafka().topic("fine").is_ok());
    assert!(session.kafka().topic("wide").is_err());
}

#[test]
fn a_lenient_start_of_a_refused_cluster_builds_no_kafka_part() {
    let mut scenario = Scenario::default();
    scenario.kafka.brokers = 0;
    scenario.kafka.topics.push(TopicDef::new("t", 1, 1));
    scenario.rabbitmq.queues.push(QueueDef::new("q"));
    let (session, problems) = scenario.start_lenient();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].part, SetupPart::KafkaCluster);
    assert!(problems[0].error.contains("1 to 9 brokers"), "{}", problems[0].error);
    assert!(session.kafka().topic("t").is_err());
    assert!(session.rabbit().queue("/", "q").is_some());
}

#[test]
fn a_lenient_start_of_an_accepted_scenario_matches_the_strict_one() {
    let scenario = presets::get("kafka-vs-rabbit").expect("preset");
    let strict = scenario.start().expect("starts");
    let (mut lenient, problems) = scenario.start_lenient();
    assert_eq!(problems, []);
    assert_eq!(strict.setup(), lenient.setup());
    let mut strict = strict;
    assert_eq!(strict.run_to_end(), lenient.run_to_end());
}

#[test]
fn the_client_of_a_channel_is_the_one_that_opened_it() {
    let mut session = presets::get("work-queue").expect("preset").start().expect("starts");
    session.run_to_end();
    let channel = session.client_channel("/", "worker-1").expect("the consumer's client is open");
    assert_eq!(session.client_of(channel), Some(("/", "worker-1")));
}

#[test]
fn different_seeds_still_give_valid_runs() {
    let mut s = presets::get("consumer-group-rebalance").expect("preset");
    for seed in [0, 1, u64::MAX] {
        s.seed = seed;
        let outcomes = s.start().expect("starts").run_to_end();
        assert!(outcomes.iter().all(|o| o.error.is_none()), "seed {seed}");
    }
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![Just("tasks".to_string()), Just("orders".to_string()), Just("nope".to_string()), Just(String::new())]
}

fn client() -> impl Strategy<Value = String> {
    prop_oneof![Just("app".to_string()), Just("worker-1".to_string()), Just("other".to_string())]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (client(), name(), ".{0,8}").prop_map(|(client, routing_key, body)| Action::Publish {
            client,
            vhost: "/".into(),
            exchange: String::new(),
            routing_key,
            body,
            properties: Properties::default(),
            headers: Arguments::new(),
            mandatory: false,
        }),
        (client(), name(), any::<bool>()).prop_map(|(client, queue, auto_ack)| Action::Get {
            client,
            vhost: "/".into(),
            queue,
            auto_ack
        }),
        (client(), proptest::option::of(0u64..5), any::<bool>()).prop_map(|(client, delivery_tag, multiple)| {
            Action::Ack { client, vhost: "/".into(), delivery_tag, multiple }
        }),
        (client(), any::<bool>()).prop_map(|(client, requeue)| Action::Nack {
            client,
            vhost: "/".into(),
            delivery_tag: None,
            multiple: false,
            requeue
        }),
        (client(), any::<bool>()).prop_map(|(client, requeue)| Action::Reject {
            client,
            vhost: "/".into(),
            delivery_tag: None,
            requeue
        }),
        (client(), name()).prop_map(|(client, tag)| Action::Cancel { client, vhost: "/".into(), tag }),
        name().prop_map(|queue| Action::Purge { vhost: "/".into(), queue }),
        Just(Action::RestartRabbitmq),
        (client()).prop_map(|client| Action::CloseClient { client, vhost: "/".into() }),
        (name(), proptest::option::of(".{0,4}"), proptest::option::of(0u32..4)).prop_map(|(topic, key, partition)| {
            Action::Produce {
                producer: "shop".into(),
                topic,
                key,
                value: Some("v".into()),
                partition,
                headers: Default::default(),
            }
        }),
        (prop_oneof![Just("c1".to_string()), Just("ghost".to_string())], proptest::option::of(1u32..5))
            .prop_map(|(consumer, max_records)| Action::Poll { consumer, max_records }),
        Just(Action::Commit { consumer: "c1".into(), offsets: None }),
        (0u32..5).prop_map(|broker| Action::CrashBroker { broker }),
        (0u32..5).prop_map(|broker| Action::RestartBroker { broker }),
        (0u32..5).prop_map(|broker| Action::ShutdownBroker { broker }),
        (0i64..10).prop_map(|o| Action::Seek {
            consumer: "c1".into(),
            topic: "orders".into(),
            partition: 0,
            to: SeekTarget::Offset(o)
        }),
        Just(Action::CrashConsumer { consumer: "c1".into() }),
        (0u64..60_000).prop_map(|ms| Action::AdvanceTime { ms }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_scripts_replay_without_panicking(script in proptest::collection::vec(action(), 0..25), seed in any::<u64>()) {
        let mut s: Scenario = Scenario::from_json(r#"{
            "version": 1,
            "rabbitmq": {
                "queues": [{ "name": "tasks" }, { "name": "orders", "arguments": { "x-max-length": 2 } }],
                "consumers": [{ "tag": "worker-1", "queue": "tasks", "prefetch": 1 }]
            },
            "kafka": {
                "topics": [{ "name": "orders", "partitions": 2, "replication_factor": 2 }],
                "producers": [{ "name": "shop" }],
                "consumers": [{ "name": "c1", "group_id": "g", "topics": ["orders"] }]
            }
        }"#).expect("valid");
        s.seed = seed;
        s.script = script;
        if let Ok(mut session) = s.start() {
            let outcomes = session.run_to_end();
            prop_assert_eq!(outcomes.len(), s.script.len());
            prop_assert!(session.rabbit().check_invariants().is_ok());
        }
    }
}

#[test]
fn the_rabbitmq_release_defaults_to_4_3_is_left_out_when_default_and_an_unknown_one_is_refused() {
    let s = presets::get("work-queue").expect("preset");
    assert_eq!(s.rabbitmq.version, RabbitVersion::V4_3);
    assert!(!s.to_json().contains("\"version\": \"4.3\""));
    let mut old = s.clone();
    old.rabbitmq.version = RabbitVersion::V3_10;
    let json = old.to_json();
    assert!(json.contains("\"version\": \"3.10\""), "{json}");
    assert_eq!(Scenario::from_json(&json).expect("reads back").rabbitmq.version, RabbitVersion::V3_10);
    let err = Scenario::from_json(&json.replace("\"3.10\"", "\"3.11\"")).unwrap_err().to_string();
    assert!(err.contains("3.11") && err.contains("4.3"), "{err}");
}

#[test]
fn a_transient_queue_starts_on_4_2_and_is_refused_on_4_3() {
    let mut s = presets::get("durability-restart").expect("preset");
    assert_eq!(s.rabbitmq.version, RabbitVersion::V4_2, "the lesson needs a release with transient queues");
    assert!(s.start().is_ok());
    s.rabbitmq.version = RabbitVersion::V4_3;
    let err = s.start().map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("541") || err.contains("transient_nonexcl_queues"), "{err}");
}

#[test]
fn transaction_timeout_ms_lets_the_coordinator_abort_a_stalled_transaction() {
    let s = Scenario::from_json(
        r#"{
          "version": 2,
          "kafka": {
            "topics": [{ "name": "t" }],
            "producers": [{ "name": "tx", "configs": { "transactional.id": "tid", "transaction.timeout.ms": "10000" } }]
          },
          "script": [
            { "action": "begin_transaction", "producer": "tx" },
            { "action": "produce", "producer": "tx", "topic": "t", "value": "a" },
            { "action": "advance_time", "ms": 25000 },
            { "action": "commit_transaction", "producer": "tx" }
          ]
        }"#,
    )
    .expect("scenario");
    let outcomes = s.start().expect("starts").run_to_end();
    assert!(
        outcomes[2].kafka.iter().any(|e| matches!(e, brokerlab_kafka::Event::TransactionTimedOut { .. })),
        "{:?}",
        outcomes[2].kafka
    );
    assert!(
        outcomes[3].error.as_deref().is_some_and(|e| e.starts_with("ProducerFencedException")),
        "{:?}",
        outcomes[3]
    );
}

/// `group.protocol` (Kafka 4.0: `classic` by default, `consumer` for
/// KIP-848) round-trips as a consumer config and runs: the
/// consumer-protocol member converts the group, the classic one follows it.
#[test]
fn the_group_protocol_config_round_trips_and_runs_the_consumer_group_protocol() {
    let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/v2/group-protocol.json"))
        .expect("golden file");
    let sc = brokerlab_scenario::Scenario::from_json(&json).expect("scenario");
    let again = brokerlab_scenario::Scenario::from_json(&sc.to_json()).expect("round trip");
    assert_eq!(again, sc);
    assert_eq!(sc.kafka.consumers[0].configs["group.protocol"], "consumer");
    let config = brokerlab_scenario::translate::consumer_config(&sc.kafka.consumers[0]).expect("config");
    assert_eq!(config.group_protocol, brokerlab_kafka::GroupProtocol::Consumer);
    assert_eq!(config.group_remote_assignor, Some(brokerlab_kafka::ServerAssignor::Range));
    let mut session = sc.start().expect("start");
    session.run_to_end();
    let g = session.kafka().group("billing").expect("group");
    assert_eq!(g.protocol, brokerlab_kafka::GroupProtocol::Consumer);
    assert_eq!(g.server_assignor, Some(brokerlab_kafka::ServerAssignor::Range));
    assert_eq!(g.members.len(), 2);
    let bad = json.replace("\"group.protocol\": \"consumer\"", "\"group.protocol\": \"modern\"");
    let refused = brokerlab_scenario::Scenario::from_json(&bad).map(|_| ()).map_err(|e| e.to_string());
    assert!(refused.is_err_and(|e| e.contains("`group.protocol` cannot be `modern`")));
}

/// `send_offsets_to_transaction` with `consumer` sends that consumer's
/// `groupMetadata()` at the step (KIP-447): it commits while the consumer is
/// a member at that generation, and once the consumer has been kicked out
/// for `max.poll.interval.ms` and the group rebalanced, the same step fails
/// with the producer's `CommitFailedException` and the commit after it is
/// refused until the transaction is aborted.
#[test]
fn send_offsets_with_a_consumer_sends_its_group_metadata_and_a_zombie_is_fenced() {
    let json = r#"{
      "version": 1, "id": "kip-447", "title": "Fencing a zombie's offsets", "seed": 1,
      "kafka": {
        "brokers": 1,
        "topics": [{ "name": "in", "partitions": 1, "replication_factor": 1 }, { "name": "out", "partitions": 1, "replication_factor": 1 }],
        "producers": [{ "name": "tx", "configs": { "transactional.id": "tx-1" } }],
        "consumers": [
          { "name": "k1", "group_id": "g", "topics": ["in"], "configs": { "enable.auto.commit": "false", "max.poll.interval.ms": "10000" } },
          { "name": "k2", "group_id": "g", "topics": ["in"], "configs": { "enable.auto.commit": "false" } },
          { "name": "other", "group_id": "h", "topics": ["in"] }
        ]
      },
      "script": [
        { "action": "poll", "consumer": "k1" },
        { "action": "begin_transaction", "producer": "tx" },
        { "action": "send_offsets_to_transaction", "producer": "tx", "group_id": "g", "offsets": [{ "topic": "in", "partition": 0, "offset": 0 }], "consumer": "k1" },
        { "action": "commit_transaction", "producer": "tx" },
        { "action": "begin_transaction", "producer": "tx" },
        { "action": "send_offsets_to_transaction", "producer": "tx", "group_id": "g", "offsets": [{ "topic": "in", "partition": 0, "offset": 0 }], "consumer": "other" },
        { "action": "poll", "consumer": "k2" },
        { "action": "advance_time", "ms": 11000 },
        { "action": "poll", "consumer": "k2" },
        { "action": "send_offsets_to_transaction", "producer": "tx", "group_id": "g", "offsets": [{ "topic": "in", "partition": 0, "offset": 0 }], "consumer": "k1" },
        { "action": "commit_transaction", "producer": "tx" },
        { "action": "abort_transaction", "producer": "tx" }
      ]
    }"#;
    let s = Scenario::from_json(json).expect("scenario");
    let out = s.start().expect("starts").run_to_end();
    let errors: Vec<Option<&str>> = out.iter().map(|o| o.error.as_deref()).collect();
    assert_eq!(errors[..5], [None, None, None, None, None], "{errors:?}");
    assert!(errors[5].is_some_and(|e| e.starts_with("IllegalArgumentException")), "{errors:?}");
    assert_eq!(errors[6..9], [None, None, None], "{errors:?}");
    assert!(
        errors[9].is_some_and(|e| e.starts_with("CommitFailedException") && e.contains("UNKNOWN_MEMBER_ID")),
        "{errors:?}"
    );
    assert!(errors[10].is_some_and(|e| e.starts_with("InvalidTxnStateException")), "{errors:?}");
    assert_eq!(errors[11], None);
}

/// `rebalance_listener` on a Kafka consumer (Kafka 4.0, consumer group
/// protocol): with a `ConsumerRebalanceListener` a member gives up a
/// partition only in its next `poll()`, so one that crashes first is fenced
/// when its `max.poll.interval.ms` (10 s here) runs out after the heartbeat
/// that asked (`GroupMetadataManager.scheduleConsumerGroupRebalanceTimeout`);
/// without a listener the revocation completes at once and nothing times
/// out. The field round-trips and is left out when false.
#[test]
fn a_rebalance_listener_makes_a_consumer_protocol_member_revoke_in_poll_and_time_out_when_it_cannot() {
    let json = |listener: bool| {
        format!(
            r#"{{
          "version": 2,
          "kafka": {{
            "topics": [{{ "name": "t", "partitions": 2 }}],
            "consumers": [
              {{ "name": "c1", "group_id": "g", "topics": ["t"], "rebalance_listener": {listener},
                 "configs": {{ "group.protocol": "consumer", "max.poll.interval.ms": "10000" }} }},
              {{ "name": "c2", "group_id": "g", "configs": {{ "group.protocol": "consumer" }} }}
            ]
          }},
          "script": [
            {{ "action": "poll", "consumer": "c1" }},
            {{ "action": "advance_time", "ms": 6000 }},
            {{ "action": "poll", "consumer": "c1" }},
            {{ "action": "subscribe", "consumer": "c2", "topics": ["t"] }},
            {{ "action": "poll", "consumer": "c2" }},
            {{ "action": "advance_time", "ms": 4000 }},
            {{ "action": "crash_consumer", "consumer": "c1" }},
            {{ "action": "advance_time", "ms": 12000 }}
          ]
        }}"#
        )
    };
    let timed_out = |listener: bool| {
        let sc = Scenario::from_json(&json(listener)).expect("scenario");
        assert_eq!(sc.kafka.consumers[0].rebalance_listener, listener);
        assert_eq!(sc.to_json().contains("rebalance_listener"), listener, "left out when false");
        assert_eq!(Scenario::from_json(&sc.to_json()).expect("round trip"), sc);
        let outcomes = sc.start().expect("starts").run_to_end();
        assert!(outcomes.iter().all(|o| o.error.is_none()), "{outcomes:?}");
        outcomes.iter().flat_map(|o| &o.kafka).any(|e| {
            matches!(e, brokerlab_kafka::Event::MemberRevocationTimedOut { member, rebalance_timeout_ms: 10_000, .. } if member == "c1")
        })
    };
    assert!(timed_out(true), "with a listener, the crashed member is fenced at its rebalance timeout");
    assert!(!timed_out(false), "without one, it revoked in the background and nothing timed out");
}
