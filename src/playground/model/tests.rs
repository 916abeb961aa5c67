//! Tests of the editor's edits, its history and the pairs text, all native.

use super::*;
use brokerlab_rabbit::ExchangeKind;

fn editor() -> Playground {
    Playground::default()
}

#[test]
fn new_nodes_get_unique_names_and_free_spots() {
    let mut p = editor();
    let a = p.add_node(NodeKind::Queue, None);
    let b = p.add_node(NodeKind::Queue, None);
    let (na, nb) = (p.topology.node(a).unwrap(), p.topology.node(b).unwrap());
    assert_eq!((na.name.as_str(), nb.name.as_str()), ("q1", "q2"));
    assert!((na.x - nb.x).abs() >= NODE_W || (na.y - nb.y).abs() >= NODE_H, "nodes must not overlap");
    assert_eq!(p.selection, Selection::Node(b));
}

#[test]
fn edges_point_the_way_messages_flow() {
    let mut p = editor();
    let q = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    let e = p.connect(c, q).unwrap();
    let edge = p.topology.edge(e).unwrap();
    assert_eq!((edge.from, edge.to, edge.role), (q, c, EdgeRole::Consume));
}

#[test]
fn nonsense_connections_are_refused_with_a_reason() {
    let mut p = editor();
    let prod = p.add_node(NodeKind::Producer, None);
    let cons = p.add_node(NodeKind::Consumer, None);
    let err = p.connect(prod, cons).unwrap_err();
    assert_eq!(err.to_string(), "A producer cannot connect to a consumer.");
    assert_eq!(p.connect(prod, prod), Err(EditError::SelfLoop));
    assert!(p.topology.edges.is_empty());
}

#[test]
fn a_consumer_reads_from_one_source() {
    let mut p = editor();
    let q1 = p.add_node(NodeKind::Queue, None);
    let q2 = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    p.connect(q1, c).unwrap();
    assert!(matches!(p.connect(q2, c), Err(EditError::ConsumerHasSource(_))));
    assert_eq!(p.connect(q1, c), Err(EditError::AlreadyConnected));
}

#[test]
fn a_new_queue_binding_is_keyed_by_the_queue_name() {
    let mut p = editor();
    let x = p.add_exchange(ExchangeKind::Topic, None);
    let q = p.add_node(NodeKind::Queue, None);
    let e = p.connect(x, q).unwrap();
    assert_eq!(p.topology.edge(e).unwrap().binding_key, "q1");
    p.set_binding(e, "eu.#", "").unwrap();
    assert_eq!(p.topology.edge(e).unwrap().binding_key, "eu.#");
}

#[test]
fn deleting_a_node_removes_its_edges() {
    let mut p = editor();
    let x = p.add_node(NodeKind::Exchange, None);
    let q = p.add_node(NodeKind::Queue, None);
    p.connect(x, q).unwrap();
    p.selection = Selection::Node(x);
    assert!(p.delete_selection());
    assert!(p.topology.edges.is_empty());
    assert_eq!(p.topology.nodes.len(), 1);
    assert_eq!(p.selection, Selection::None);
}

#[test]
fn undo_and_redo_walk_the_history() {
    let mut p = editor();
    let q = p.add_node(NodeKind::Queue, None);
    p.rename(q, "orders").unwrap();
    p.nudge(q, NUDGE, 0.0).unwrap();
    let moved = p.topology.clone();
    assert!(p.undo());
    assert!(p.undo());
    assert_eq!(p.topology.node(q).unwrap().name, "q1");
    assert!(p.undo());
    assert!(p.topology.nodes.is_empty());
    assert!(!p.undo());
    assert!(p.redo() && p.redo() && p.redo());
    assert_eq!(p.topology, moved);
    assert!(!p.can_redo());
}

#[test]
fn a_new_edit_clears_redo() {
    let mut p = editor();
    p.add_node(NodeKind::Queue, None);
    p.undo();
    assert!(p.can_redo());
    p.add_node(NodeKind::Producer, None);
    assert!(!p.can_redo());
}

#[test]
fn a_drag_is_one_undo_step() {
    let mut p = editor();
    let q = p.add_node(NodeKind::Queue, Some((0.0, 0.0)));
    p.begin_drag();
    for i in 1..=10 {
        p.drag_to(q, i as f64 * 5.0, 0.0);
    }
    assert_eq!(p.topology.node(q).unwrap().x, 50.0);
    p.undo();
    assert_eq!(p.topology.node(q).unwrap().x, 0.0);
}

#[test]
fn names_are_unique_per_kind_and_not_empty() {
    let mut p = editor();
    let a = p.add_node(NodeKind::Queue, None);
    p.add_node(NodeKind::Queue, None);
    let x = p.add_node(NodeKind::Exchange, None);
    assert_eq!(p.rename(a, "q2"), Err(EditError::DuplicateName("q2".into())));
    assert_eq!(p.rename(a, "  "), Err(EditError::EmptyName));
    p.rename(x, "q2").unwrap();
}

#[test]
fn a_topic_outside_kafkas_limits_is_refused() {
    let mut p = editor();
    let t = p.add_node(NodeKind::Topic, None);
    let bad = NodeConfig::Topic(TopicSettings { partitions: 0, replication_factor: 1, ..TopicSettings::default() });
    assert!(matches!(p.configure(t, bad), Err(EditError::OutOfRange(_))));
}

#[test]
fn pairs_parse_and_report_the_bad_part() {
    assert_eq!(
        parse_pairs("x-match=all, region = eu").unwrap(),
        vec![("x-match".into(), "all".into()), ("region".into(), "eu".into())]
    );
    assert!(parse_pairs("region").unwrap_err().contains("region"));
    assert!(parse_pairs(" , ").unwrap().is_empty());
}

#[test]
fn pairs_have_one_canonical_form_and_bad_ones_are_named() {
    assert_eq!(canonical_pairs("x-match=all,region = eu").as_deref(), Some("region=eu, x-match=all"));
    assert_eq!(canonical_pairs(" , ").as_deref(), Some(""));
    assert_eq!(canonical_pairs("a==b, c=").as_deref(), Some("a==b, c="));
    assert_eq!(canonical_pairs("region"), None);
    assert!(pairs_map("a=1, a=2").unwrap_err().contains("given twice"));
    let map = pairs_map("a==b, c=").unwrap();
    assert_eq!(pairs_map(&pairs_text(&map).unwrap()).unwrap(), map);
    for (name, value) in [("", "x"), ("a=b", "x"), ("a,b", "x"), (" a", "x"), ("a", "x,y"), ("a", " x")] {
        let map = BTreeMap::from([(name.to_string(), value.to_string())]);
        assert!(pairs_text(&map).unwrap_err().contains("cannot be written"), "{name:?}={value:?}");
    }
}

#[test]
fn the_editor_keeps_positions_whole_and_settings_canonical() {
    let mut p = editor();
    let x = p.add_exchange(ExchangeKind::Headers, Some((10.4, -3.0)));
    assert_eq!((p.topology.node(x).unwrap().x, p.topology.node(x).unwrap().y), (10.0, 0.0));
    p.begin_drag();
    p.drag_to(x, 20.6, 7.5);
    assert_eq!((p.topology.node(x).unwrap().x, p.topology.node(x).unwrap().y), (21.0, 8.0));
    let q = p.add_node(NodeKind::Queue, None);
    let e = p.connect(x, q).unwrap();
    p.set_binding(e, "", "x-match=any,b = 2, a=1").unwrap();
    assert_eq!(p.topology.edge(e).unwrap().arguments, "a=1, b=2, x-match=any");
    p.set_binding(e, "", "x-match").unwrap();
    assert_eq!(p.topology.edge(e).unwrap().arguments, "x-match", "unparsable text is kept for the run to report");
    p.configure(q, NodeConfig::Queue(QueueSettings { dead_letter_exchange: " dlx ".into(), ..Default::default() }))
        .unwrap();
    assert!(matches!(&p.topology.node(q).unwrap().config, NodeConfig::Queue(s) if s.dead_letter_exchange == "dlx"));
    assert_eq!(p.topology.canonical(), p.topology);
}

#[test]
fn canonical_sorts_rounds_and_moves_the_counter_past_every_id() {
    let mut p = editor();
    let a = p.add_node(NodeKind::Queue, None);
    let b = p.add_node(NodeKind::Producer, None);
    let mut t = p.topology.clone();
    t.nodes.reverse();
    t.nodes[0].x = 12.7;
    t.next_id = 1;
    let c = t.canonical();
    assert_eq!(c.nodes.iter().map(|n| n.id).collect::<Vec<_>>(), vec![a, b]);
    assert_eq!(c.node(b).unwrap().x, 13.0);
    assert_eq!(c.next_id, b + 1);
}

#[test]
fn topologies_round_trip_through_json() {
    let mut p = editor();
    let x = p.add_exchange(ExchangeKind::Headers, None);
    let q = p.add_node(NodeKind::Queue, None);
    let e = p.connect(x, q).unwrap();
    p.set_binding(e, "", "x-match=any, a=1").unwrap();
    let json = serde_json::to_string(&p.topology).unwrap();
    assert_eq!(serde_json::from_str::<Topology>(&json).unwrap(), p.topology);
}

fn configured(p: &Playground, id: NodeId) -> NodeConfig {
    p.topology.node(id).unwrap().config.clone()
}

#[test]
fn a_second_binding_between_the_same_parts_needs_another_key() {
    let mut p = editor();
    let x = p.add_exchange(ExchangeKind::Direct, None);
    let q = p.add_node(NodeKind::Queue, None);
    let first = p.connect(x, q).unwrap();
    p.set_binding(first, "error", "").unwrap();
    let second = p.connect(x, q).expect("a second binding between the same two parts");
    assert_ne!(p.topology.edge(second).unwrap().binding_key, "error", "it starts with a key the first lacks");
    p.set_binding(second, "warning", "").unwrap();
    assert_eq!(p.set_binding(second, "error", ""), Err(EditError::DuplicateBinding("error".into())));
    assert!(EditError::DuplicateBinding("error".into()).to_string().contains("needs a different key"));
    p.set_binding(second, "error", "x-match=all").expect("the same key with other arguments is another binding");
    // A producer, a consumer or a group is connected once.
    let prod = p.add_node(NodeKind::Producer, None);
    p.connect(prod, x).unwrap();
    assert_eq!(p.connect(prod, x), Err(EditError::AlreadyConnected));
}

#[test]
fn bindings_stay_inside_one_vhost_and_a_name_is_unique_per_vhost() {
    let mut p = editor();
    let x = p.add_exchange(ExchangeKind::Fanout, None);
    let q = p.add_node(NodeKind::Queue, None);
    let staging = |c: &mut NodeConfig| match c {
        NodeConfig::Exchange(x) => x.vhost = "staging".into(),
        NodeConfig::Queue(q) => q.vhost = "staging".into(),
        _ => {}
    };
    let mut c = configured(&p, x);
    staging(&mut c);
    p.configure(x, c).unwrap();
    assert_eq!(p.topology.node(x).unwrap().qualified_name(), "staging/x1");
    assert_eq!(p.topology.node(x).unwrap().title(), "Fanout exchange x1 in vhost staging");
    assert!(matches!(p.connect(x, q), Err(EditError::DifferentVhosts { .. })));
    let mut c = configured(&p, q);
    staging(&mut c);
    p.configure(q, c).unwrap();
    p.connect(x, q).expect("both in staging");
    // Moving a bound part alone would split its binding across vhosts.
    let mut back = configured(&p, q);
    if let NodeConfig::Queue(s) = &mut back {
        s.vhost = "/".into();
    }
    assert!(matches!(p.configure(q, back), Err(EditError::DifferentVhosts { .. })));
    // The same name may be used once in each vhost.
    let other = p.add_exchange(ExchangeKind::Fanout, None);
    p.rename(other, "x1").expect("x1 is free in the default vhost");
    assert_eq!(p.rename(x, "x1"), Ok(()));
    let third = p.add_exchange(ExchangeKind::Fanout, None);
    assert_eq!(p.rename(third, "x1"), Err(EditError::DuplicateName("x1".into())));
    assert_eq!(p.topology.named(NodeKind::Exchange, "staging/x1").map(|n| n.id), Some(x));
    assert_eq!(p.topology.named(NodeKind::Exchange, "x1").map(|n| n.id), Some(other));
    let mut empty = configured(&p, third);
    if let NodeConfig::Exchange(s) = &mut empty {
        s.vhost = " ".into();
    }
    assert!(matches!(p.configure(third, empty), Err(EditError::OutOfRange(m)) if m.contains("vhost")));
}

#[test]
fn kafka_numbers_the_brokers_would_refuse_are_refused_with_a_sentence() {
    let mut p = editor();
    let t = p.add_node(NodeKind::Topic, None);
    let c = p.add_node(NodeKind::Consumer, None);
    let topic = |f: fn(&mut TopicSettings)| {
        let mut s = TopicSettings::default();
        f(&mut s);
        NodeConfig::Topic(s)
    };
    let consumer = |f: fn(&mut ConsumerSettings)| {
        let mut s = ConsumerSettings::default();
        f(&mut s);
        NodeConfig::Consumer(s)
    };
    let refused = |r: Result<(), EditError>, word: &str| {
        assert!(matches!(&r, Err(EditError::OutOfRange(m)) if m.contains(word)), "{r:?}");
    };
    refused(p.configure(t, topic(|s| s.min_insync_replicas = Some(0))), "in-sync");
    refused(p.configure(t, topic(|s| s.retention_ms = -2)), "Retention");
    refused(p.configure(c, consumer(|s| s.session_timeout_ms = 5_999)), "session timeout");
    refused(p.configure(c, consumer(|s| s.heartbeat_ms = 6_000)), "heartbeat");
    p.configure(t, topic(|s| (s.min_insync_replicas, s.retention_ms) = (Some(2), -1))).unwrap();
    p.configure(c, consumer(|s| (s.session_timeout_ms, s.heartbeat_ms) = (45_000, 3_000))).unwrap();
}

#[test]
fn typed_numbers_are_read_or_refused_with_a_sentence() {
    assert_eq!(whole::<u32>(" 12 ", "The rate"), Ok(12));
    assert_eq!(whole::<u32>("1.5", "The rate"), Err("The rate must be a whole number.".into()));
    assert_eq!(
        whole_in::<u32>("5000", "The session timeout", 6_000..=1_800_000),
        Err("The session timeout must be from 6000 to 1800000.".into())
    );
    assert_eq!(whole_in::<u32>("6000", "The session timeout", 6_000..=1_800_000), Ok(6_000));
    assert_eq!(optional_whole::<u32>("", "Min in-sync replicas", 1..=9), Ok(None));
    assert_eq!(optional_whole::<u32>("2", "Min in-sync replicas", 1..=9), Ok(Some(2)));
    assert!(optional_whole::<u32>("0", "Min in-sync replicas", 1..=9).unwrap_err().contains("from 1 to 9"));
    assert_eq!(retention("-1"), Ok(-1));
    assert_eq!(retention("86400000"), Ok(86_400_000));
    assert!(retention("-2").unwrap_err().contains("-1 (keep forever)"));
    assert!(retention("a day").unwrap_err().contains("-1 (keep forever)"));
    assert_eq!(vhost_name(" staging "), Ok("staging".into()));
    assert!(vhost_name("  ").unwrap_err().contains("cannot be empty"));
}

#[test]
fn setting_acks_turns_idempotence_on_only_with_all() {
    let mut p = ProducerSettings::default();
    assert_eq!((p.acks, p.idempotence), (Acks::All, true), "Kafka's defaults");
    p.set_acks(Acks::One);
    assert_eq!((p.acks, p.idempotence), (Acks::One, false));
    p.set_acks(Acks::All);
    assert!(p.idempotence);
}

#[test]
fn every_enumeration_reads_back_its_own_words_and_nothing_else() {
    fn check<W: Word + std::fmt::Debug>() {
        for w in W::ALL {
            assert_eq!(W::from_word(w.word()), Some(*w));
            assert!(!w.label().is_empty());
        }
        assert_eq!(W::from_word("no such word"), None);
    }
    check::<Acks>();
    check::<Partitioner>();
    check::<OffsetReset>();
    check::<Isolation>();
    check::<CleanupPolicy>();
    check::<QueueType>();
    assert_eq!(Acks::from_word("all"), Some(Acks::All));
    assert_eq!(CleanupPolicy::from_word("compact"), Some(CleanupPolicy::Compact));
}

#[test]
fn exchange_settings_read_the_old_bare_type_and_the_full_form() {
    let old: NodeConfig = serde_json::from_str(r#"{"Exchange":"Topic"}"#).unwrap();
    assert_eq!(old, NodeConfig::Exchange(ExchangeSettings::new(ExchangeKind::Topic)));
    let full = NodeConfig::Exchange(ExchangeSettings {
        kind: ExchangeKind::Fanout,
        durable: true,
        alternate_exchange: "unrouted".into(),
        vhost: "staging".into(),
    });
    let text = serde_json::to_string(&full).unwrap();
    assert_eq!(serde_json::from_str::<NodeConfig>(&text).unwrap(), full);
    // Settings saved before a field existed take the canvas's old behaviour.
    let queue: NodeConfig = serde_json::from_str(r#"{"Queue":{"message_ttl":5000}}"#).unwrap();
    assert_eq!(queue, NodeConfig::Queue(QueueSettings { message_ttl: Some(5000), ..QueueSettings::default() }));
    let consumer: NodeConfig = serde_json::from_str(r#"{"Consumer":{"prefetch":2}}"#).unwrap();
    let NodeConfig::Consumer(c) = consumer else { unreachable!() };
    assert_eq!(
        (c.offset_reset, c.auto_commit, c.session_timeout_ms, c.heartbeat_ms),
        (OffsetReset::Earliest, false, 6_000, 1_000)
    );
}

#[test]
fn kafka_settings_show_for_a_client_that_is_or_may_become_a_kafka_client() {
    let mut p = editor();
    let prod = p.add_node(NodeKind::Producer, None);
    let c = p.add_node(NodeKind::Consumer, None);
    assert!(p.topology.may_be_kafka_client(prod) && p.topology.may_be_kafka_client(c), "unconnected");
    let q = p.add_node(NodeKind::Queue, None);
    p.connect(prod, q).unwrap();
    p.connect(q, c).unwrap();
    assert!(!p.topology.may_be_kafka_client(prod) && !p.topology.may_be_kafka_client(c), "RabbitMQ clients");
    let t = p.add_node(NodeKind::Topic, None);
    p.connect(prod, t).unwrap();
    assert!(p.topology.may_be_kafka_client(prod), "it produces to a topic too");
}

#[test]
fn choosing_the_rabbitmq_release_is_one_undoable_edit() {
    use brokerlab_scenario::RabbitVersion;
    let mut p = editor();
    assert_eq!(p.topology.rabbitmq_version, RabbitVersion::V4_3, "4.3 by default");
    p.set_rabbitmq_version(RabbitVersion::V3_13);
    assert_eq!(p.topology.rabbitmq_version, RabbitVersion::V3_13);
    p.set_rabbitmq_version(RabbitVersion::V3_13);
    assert!(p.undo());
    assert_eq!(p.topology.rabbitmq_version, RabbitVersion::V4_3, "choosing the same release again is no step");
    assert!(!p.can_undo());
    assert!(p.redo());
    assert_eq!(p.topology.rabbitmq_version, RabbitVersion::V3_13);
}

#[test]
fn the_release_select_offers_every_profile_by_its_scenario_word() {
    use brokerlab_scenario::RabbitVersion;
    let words: Vec<&str> = RabbitVersion::ALL.iter().map(|v| v.word()).collect();
    assert_eq!(words, ["3.10", "3.13", "4.0", "4.1", "4.2", "4.3"]);
    for &v in RabbitVersion::ALL {
        assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(v.word()), "the format's own spelling");
        assert!(v.label().contains(v.server_version()), "{} names its patch release", v.label());
        assert_eq!(RabbitVersion::from_word(v.word()), Some(v));
    }
}

#[test]
fn a_stream_is_a_queue_of_type_stream_and_its_consumers_read_a_stream() {
    let mut p = editor();
    let s = p.add_stream(None);
    let c = p.add_node(NodeKind::Consumer, None);
    let q = p.add_node(NodeKind::Queue, None);
    let other = p.add_node(NodeKind::Consumer, None);
    assert!(matches!(&p.topology.node(s).unwrap().config, NodeConfig::Queue(q) if q.queue_type == QueueType::Stream));
    assert_eq!(p.topology.node(s).unwrap().title(), "Queue q1");
    assert!(!p.topology.reads_stream(c), "not connected yet");
    p.connect(c, s).unwrap();
    p.connect(q, other).unwrap();
    assert!(p.topology.reads_stream(c));
    assert!(!p.topology.reads_stream(other), "a classic queue is not a stream");
    assert!(!p.topology.reads_stream(s), "the stream itself reads nothing");
    p.undo();
    p.undo();
    p.undo();
    p.undo();
    p.undo();
    assert!(p.topology.node(s).is_some() && p.topology.nodes.len() == 1, "adding a stream is one step");
}

#[test]
fn stream_settings_are_read_as_rabbitmq_writes_them() {
    assert_eq!(max_age(" 7D "), Ok("7D".to_string()));
    assert_eq!(max_age("30m"), Ok("30m".to_string()));
    assert_eq!(max_age(""), Ok(String::new()));
    for bad in ["7", "D", "7d", "7Dh", "-1h", "1.5h"] {
        assert!(max_age(bad).unwrap_err().contains("Y, M, D, h, m or s"), "{bad}");
    }
    for offset in [StreamOffset::First, StreamOffset::Last, StreamOffset::Next, StreamOffset::Offset(42)] {
        assert_eq!(StreamOffset::from_argument(&offset.argument()), Some(offset));
        assert_eq!(StreamOffset::from_word(offset.word(), 42), Some(offset));
    }
    assert_eq!(StreamOffset::Offset(7).argument(), serde_json::json!(7));
    assert_eq!(StreamOffset::from_argument(&serde_json::json!("10m")), None, "an interval has no choice");
    assert_eq!(StreamOffset::from_argument(&serde_json::json!("offset")), None);
    assert_eq!(ConsumerSettings::default().stream_offset, StreamOffset::Next, "RabbitMQ's default");
}

#[test]
fn canvas_files_from_before_streams_open_with_the_defaults() {
    let queue: QueueSettings = serde_json::from_str(r#"{"queue_type":"Quorum"}"#).unwrap();
    assert_eq!((queue.max_length_bytes, queue.max_age.as_str()), (None, ""));
    let consumer: ConsumerSettings = serde_json::from_str(r#"{"prefetch":3}"#).unwrap();
    assert_eq!(consumer.stream_offset, StreamOffset::Next);
}

#[test]
fn a_policy_form_is_read_as_a_definitions_file_writes_a_policy() {
    use crate::playground::model::policies::{PolicyForm, summary};
    let form = PolicyForm {
        name: " cap ".into(),
        pattern: "^orders\\.".into(),
        apply_to: "quorum_queues".into(),
        priority: "3".into(),
        definition: "max-length=2, overflow=reject-publish, x=true".into(),
        ..PolicyForm::new()
    };
    let p = form.read().unwrap();
    assert_eq!((p.name.as_str(), p.vhost.as_str(), p.priority), ("cap", "/", 3));
    assert_eq!(p.apply_to, brokerlab_scenario::PolicyApplyTo::QuorumQueues);
    assert_eq!(p.definition["max-length"], serde_json::json!(2));
    assert_eq!(p.definition["overflow"], serde_json::json!("reject-publish"));
    assert_eq!(p.definition["x"], serde_json::json!(true));
    assert_eq!(PolicyForm::of(&p).read().unwrap(), p, "a policy's form reads back as the policy");
    assert_eq!(
        summary(&p),
        "pattern ^orders\\. on quorum_queues, priority 3: max-length=2, overflow=reject-publish, x=true"
    );

    let refused = |f: PolicyForm| f.read().unwrap_err().to_string();
    let base =
        PolicyForm { name: "p".into(), pattern: "^".into(), definition: "max-length=1".into(), ..PolicyForm::new() };
    assert!(refused(PolicyForm { name: " ".into(), ..base.clone() }).contains("needs a name"));
    assert!(refused(PolicyForm { pattern: String::new(), ..base.clone() }).contains("needs a pattern"));
    assert!(refused(PolicyForm { priority: "high".into(), ..base.clone() }).contains("not a whole number"));
    assert!(refused(PolicyForm { apply_to: "topics".into(), ..base.clone() }).contains("not an apply-to value"));
    assert!(refused(PolicyForm { definition: String::new(), ..base.clone() }).contains("at least one key"));
    assert!(refused(PolicyForm { definition: "max-length".into(), ..base.clone() }).contains("not a name=value pair"));
    assert!(refused(PolicyForm { definition: "a=1, a=2".into(), ..base.clone() }).contains("given twice"));
}

#[test]
fn policies_are_added_replaced_renamed_and_kept_apart_by_name() {
    use crate::playground::model::policies::PolicyForm;
    let mut p = Playground::default();
    let form = |name: &str, def: &str| PolicyForm {
        name: name.into(),
        pattern: "^".into(),
        definition: def.into(),
        ..PolicyForm::new()
    };
    p.set_policy(&form("a", "max-length=1"), None).unwrap();
    assert!(
        p.set_policy(&form("a", "max-length=2"), None)
            .unwrap_err()
            .to_string()
            .contains("already has a policy named a")
    );
    p.set_policy(&form("a", "max-length=2"), Some(("/", "a"))).unwrap();
    assert_eq!(p.topology.policies[0].definition["max-length"], serde_json::json!(2));
    p.set_policy(&form("b", "max-length=2"), Some(("/", "a"))).unwrap();
    assert_eq!(p.topology.policies.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["b"]);
    p.undo();
    p.undo();
    assert_eq!(p.topology.policies[0].definition["max-length"], serde_json::json!(1));
    let unchanged = p.clone();
    p.set_policy(&form("a", "max-length=1"), Some(("/", "a"))).unwrap();
    assert_eq!(p, unchanged, "saving a policy unchanged records no undo step");
}

/// Whether any two cards of `t` overlap, given their heights.
fn overlapping(t: &Topology, heights: &Heights) -> Option<(NodeId, NodeId)> {
    let boxed = |n: &Node| {
        let h = heights.get(&n.id).copied().unwrap_or(NODE_H);
        (n.x, n.y, n.x + card_width(n.kind()), n.y + h)
    };
    for (i, a) in t.nodes.iter().enumerate() {
        for b in &t.nodes[i + 1..] {
            let (a1, b1) = (boxed(a), boxed(b));
            if a1.0 < b1.2 && b1.0 < a1.2 && a1.1 < b1.3 && b1.1 < a1.3 {
                return Some((a.id, b.id));
            }
        }
    }
    None
}

#[test]
fn a_dropped_part_snaps_to_the_grid_and_lands_clear_of_other_cards() {
    let mut p = editor();
    let a = p.add_node(NodeKind::Queue, Some((100.0, 100.0)));
    let b = p.add_node(NodeKind::Queue, Some((500.0, 500.0)));
    let heights: Heights = [(a, 200.0), (b, 90.0)].into();
    // Dropped in open space: the nearest grid point.
    p.begin_drag();
    p.drag_to(b, 517.0, 493.0);
    p.drop_node(b, &heights);
    let n = p.topology.node(b).unwrap();
    assert_eq!((n.x, n.y), (520.0, 500.0));
    assert_eq!((n.x % GRID, n.y % GRID), (0.0, 0.0));
    // Dropped on top of the tall card: moved to the nearest clear grid point.
    p.drag_to(b, 110.0, 150.0);
    p.drop_node(b, &heights);
    assert_eq!(overlapping(&p.topology, &heights), None);
    let n = p.topology.node(b).unwrap();
    assert_eq!((n.x % GRID, n.y % GRID), (0.0, 0.0));
    assert!((n.x - 110.0).abs() + (n.y - 150.0).abs() < 400.0, "it lands near the drop, not far away: {n:?}");
    // The whole drag is one undo step.
    p.undo();
    assert_eq!(p.topology.node(b).map(|n| (n.x, n.y)), Some((500.0, 500.0)));
}

#[test]
fn arrow_keys_move_a_part_one_grid_step() {
    let mut p = editor();
    let q = p.add_node(NodeKind::Queue, Some((33.0, 40.0)));
    p.nudge(q, NUDGE, 0.0).unwrap();
    let n = p.topology.node(q).unwrap();
    assert_eq!((n.x, n.y), (60.0, 40.0));
}

#[test]
fn tidy_up_lays_parts_out_in_flow_order_with_no_overlap() {
    let mut p = editor();
    // Added in a heap, out of order and on top of each other.
    let c1 = p.add_node(NodeKind::Consumer, Some((10.0, 10.0)));
    let q1 = p.add_node(NodeKind::Queue, Some((12.0, 12.0)));
    let x = p.add_node(NodeKind::Exchange, Some((14.0, 14.0)));
    let prod = p.add_node(NodeKind::Producer, Some((16.0, 16.0)));
    let q2 = p.add_node(NodeKind::Queue, Some((18.0, 18.0)));
    let c2 = p.add_node(NodeKind::Consumer, Some((20.0, 20.0)));
    let dlx = p.add_node(NodeKind::Exchange, Some((22.0, 22.0)));
    let broker = p.add_node(NodeKind::Broker, Some((24.0, 24.0)));
    for (a, b) in [(prod, x), (x, q1), (x, q2), (q1, c1), (q2, c2), (dlx, q1)] {
        p.connect(a, b).unwrap();
    }
    // A loop: q1 dead-letters to dlx, which routes back to q1.
    p.topology.edges.push(Edge {
        id: 999,
        from: q1,
        to: dlx,
        role: EdgeRole::QueueBinding,
        binding_key: String::new(),
        arguments: String::new(),
    });
    let heights: Heights = [(q1, 260.0), (c1, 150.0), (x, 80.0)].into();
    p.tidy(&heights);
    let t = &p.topology;
    assert_eq!(overlapping(t, &heights), None);
    let x_of = |id| t.node(id).unwrap().x;
    let y_of = |id| t.node(id).unwrap().y;
    assert!(x_of(prod) < x_of(x) && x_of(x) < x_of(q1) && x_of(q1) < x_of(c1), "left to right as messages flow");
    assert_eq!(x_of(q1), x_of(q2));
    assert!(y_of(q1) < y_of(q2) && y_of(c1) < y_of(c2), "each consumer beside its queue's order");
    assert!(x_of(broker) > x_of(c1), "a part with no edge gets a column of its own");
    assert!(t.nodes.iter().all(|n| n.x % GRID == 0.0 && n.y % GRID == 0.0), "on the grid");
    // One undo step brings the heap back; tidying a tidy canvas records nothing.
    p.tidy(&heights);
    p.undo();
    assert_eq!(p.topology.node(prod).map(|n| (n.x, n.y)), Some((16.0, 16.0)));
}

#[test]
fn the_topology_as_text_names_each_part_and_where_it_sends_in_flow_order() {
    let mut p = editor();
    let q2 = p.add_node(NodeKind::Queue, Some((400.0, 300.0)));
    let c = p.add_node(NodeKind::Consumer, Some((600.0, 0.0)));
    let q1 = p.add_node(NodeKind::Queue, Some((400.0, 0.0)));
    let x = p.add_exchange(ExchangeKind::Topic, Some((200.0, 0.0)));
    let prod = p.add_node(NodeKind::Producer, Some((0.0, 0.0)));
    p.add_node(NodeKind::Queue, Some((0.0, 600.0)));
    p.connect(prod, x).unwrap();
    let b1 = p.connect(x, q1).unwrap();
    let b2 = p.connect(x, q2).unwrap();
    p.connect(q1, c).unwrap();
    for (b, key) in [(b1, "eu.#"), (b2, "*.orders")] {
        p.topology.edges.iter_mut().find(|e| e.id == b).unwrap().binding_key = key.to_string();
    }
    assert_eq!(
        p.topology.as_text(),
        [
            "Producer p1 \u{2192} Topic exchange x1",
            "Topic exchange x1 \u{2192} Queue q2 (binding key \u{201c}eu.#\u{201d}); \u{2192} Queue q1 (binding key \u{201c}*.orders\u{201d})",
            "Queue q2 \u{2192} Consumer c1",
            "Queue q1: nothing further",
            "Consumer c1: nothing further",
            "Queue q3: not connected",
        ]
    );
}
