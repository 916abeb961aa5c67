//! RabbitMQ definitions files and Kafka topic commands: round trips through
//! the engine's topology, and reading a file as RabbitMQ itself writes it.

use brokerlab_scenario::definitions::{from_definitions, kafka_topics_commands, to_definitions};
use brokerlab_scenario::*;

/// A file as `rabbitmqctl export_definitions` writes it (RabbitMQ 3.10),
/// users, policies and all.
const EXPORTED: &str = r#"{"rabbit_version":"3.10.8","rabbitmq_version":"3.10.8","product_name":"RabbitMQ","product_version":"3.10.8",
"users":[{"name":"guest","password_hash":"abc","hashing_algorithm":"rabbit_password_hashing_sha256","tags":["administrator"],"limits":{}}],
"vhosts":[{"name":"/"},{"name":"shop"}],
"permissions":[{"user":"guest","vhost":"/","configure":".*","write":".*","read":".*"}],
"topic_permissions":[],"parameters":[],"global_parameters":[{"name":"cluster_name","value":"rabbit@localhost"}],
"policies":[{"vhost":"/","name":"ha","pattern":".*","apply-to":"queues","definition":{"max-length":10},"priority":0}],
"queues":[{"name":"orders","vhost":"/","durable":true,"auto_delete":false,"arguments":{"x-queue-type":"quorum","x-delivery-limit":5}},
{"name":"tmp","vhost":"shop","durable":false,"auto_delete":true,"arguments":{}},
{"name":"new","vhost":"/","durable":true,"auto_delete":false,"type":"stream","arguments":{}}],
"exchanges":[{"name":"shop","vhost":"/","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{"alternate-exchange":"ae"}},
{"name":"ae","vhost":"/","type":"fanout","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
"bindings":[{"source":"shop","vhost":"/","destination":"orders","destination_type":"queue","routing_key":"order.#","arguments":{}},
{"source":"shop","vhost":"/","destination":"ae","destination_type":"exchange","routing_key":"","arguments":{}}]}"#;

#[test]
fn a_rabbitmqctl_export_imports_with_its_topology() {
    let t = from_definitions(EXPORTED).expect("imports");
    assert_eq!(t.vhosts, vec![VhostDef::new("shop")]);
    assert_eq!(t.exchanges.len(), 2);
    assert_eq!(t.exchanges[0].kind, ExchangeType::Topic);
    assert_eq!(t.queues[1].vhost, "shop");
    assert!(!t.queues[1].durable && t.queues[1].auto_delete);
    // RabbitMQ 3.13 writes the queue type beside the argument; it becomes the argument.
    assert_eq!(t.queues[2].arguments.get("x-queue-type"), Some(&serde_json::Value::from("stream")));
    assert_eq!(t.bindings[1].destination_type, DestinationType::Exchange);
}

#[test]
fn every_preset_topology_round_trips_through_a_definitions_file() {
    for s in presets::all() {
        let mut t = s.rabbitmq.clone();
        t.consumers.clear();
        assert_eq!(from_definitions(&to_definitions(&t)), Ok(t), "{}", s.id);
    }
}

#[test]
fn the_golden_topology_round_trips_through_a_definitions_file() {
    let s = Scenario::from_link(include_str!("golden/v1/every-action.link")).expect("opens");
    let mut t = s.rabbitmq.clone();
    t.consumers.clear();
    assert_eq!(from_definitions(&to_definitions(&t)), Ok(t));
}

#[test]
fn an_exported_file_spells_out_every_field() {
    let s = presets::get("dlq-retry").expect("preset");
    let v: serde_json::Value = serde_json::from_str(&s.export_definitions()).expect("json");
    let q = &v["queues"][0];
    for field in ["name", "vhost", "durable", "auto_delete", "arguments"] {
        assert!(q.get(field).is_some(), "queue lacks {field}");
    }
    assert_eq!(v["vhosts"][0]["name"], "/");
    assert_eq!(v["bindings"][0]["destination_type"], "queue");
}

#[test]
fn importing_keeps_consumers_whose_queues_remain() {
    let mut s = presets::get("work-queue").expect("preset");
    let defs = s.export_definitions();
    s.import_definitions(&defs).expect("imports");
    assert_eq!(s.rabbitmq.consumers.len(), 2);
    s.import_definitions(EXPORTED).expect("imports");
    assert!(s.rabbitmq.consumers.is_empty());
    // The imported `new` queue is a stream, which the engine declares.
    let session = s.start().expect("starts");
    assert_eq!(session.rabbit().queue("/", "new").map(|q| q.queue_type), Some(brokerlab_rabbit::QueueType::Stream));
}

#[test]
fn an_unmodelled_exchange_type_is_refused_by_name() {
    let json = r#"{"exchanges":[{"name":"later","vhost":"/","type":"x-delayed-message","durable":true}]}"#;
    assert_eq!(
        from_definitions(json),
        Err(ScenarioError::Definitions(
            "exchange `later` has type `x-delayed-message`, which Brokerlab does not model".into()
        ))
    );
}

#[test]
fn a_refused_import_leaves_the_scenario_unchanged() {
    let mut s = presets::get("work-queue").expect("preset");
    let before = s.clone();
    assert!(s.import_definitions("{not json").is_err());
    let dangling = r#"{"bindings":[{"source":"x","vhost":"/","destination":"q","destination_type":"queue","routing_key":"","arguments":{}}]}"#;
    assert!(s.import_definitions(dangling).is_err());
    assert_eq!(s, before);
}

#[test]
fn kafka_topics_become_create_commands() {
    let s = Scenario::from_link(include_str!("golden/v1/every-action.link")).expect("opens");
    let cmds = kafka_topics_commands(&s.kafka, "localhost:9092");
    assert_eq!(
        cmds.lines().next(),
        Some(
            "kafka-topics.sh --bootstrap-server localhost:9092 --create --topic orders --partitions 3 --replication-factor 3 \
             --config cleanup.policy=compact,delete --config retention.ms=86400000 --config segment.bytes=1048576"
        )
    );
    // Its cluster configs: the dynamic ones as a default for every broker,
    // the read-only one as a `server.properties` line.
    assert_eq!(
        cmds.lines().skip(2).collect::<Vec<_>>(),
        vec![
            "kafka-configs.sh --bootstrap-server localhost:9092 --alter --entity-type brokers --entity-default \
             --add-config min.insync.replicas=2,unclean.leader.election.enable=false",
            "# server.properties of every broker (read-only, set before it starts): replica.lag.time.max.ms=10000",
        ]
    );
}

/// The cluster's dynamic configs become a cluster-wide default for every
/// broker, the read-only ones `server.properties` lines, and a share
/// group's configs a group config change (KIP-932).
#[test]
fn cluster_and_share_group_configs_become_config_commands() {
    let mut k = KafkaTopology::default();
    k.topics.push(TopicDef::new("orders", 3, 3));
    for (key, v) in
        [("min.insync.replicas", "2"), ("unclean.leader.election.enable", "true"), ("replica.lag.time.max.ms", "10000")]
    {
        k.configs.insert(key.into(), v.into());
    }
    let mut configs = std::collections::BTreeMap::new();
    configs.insert("share.auto.offset.reset".to_string(), "earliest".to_string());
    configs.insert("share.record.lock.duration.ms".to_string(), "15000".to_string());
    configs.insert("group.share.delivery.count.limit".to_string(), "3".to_string());
    k.share_groups.push(ShareGroupDef { group_id: "workers".into(), configs });
    let cmds = kafka_topics_commands(&k, "localhost:9092");
    assert_eq!(
        cmds.lines().collect::<Vec<_>>(),
        vec![
            "kafka-topics.sh --bootstrap-server localhost:9092 --create --topic orders --partitions 3 --replication-factor 3",
            "kafka-configs.sh --bootstrap-server localhost:9092 --alter --entity-type brokers --entity-default \
             --add-config min.insync.replicas=2,unclean.leader.election.enable=true",
            "kafka-configs.sh --bootstrap-server localhost:9092 --alter --entity-type groups --entity-name workers \
             --add-config share.auto.offset.reset=earliest,share.record.lock.duration.ms=15000",
            "# server.properties of every broker (read-only, set before it starts): replica.lag.time.max.ms=10000",
            "# server.properties of every broker (read-only, set before it starts): group.share.delivery.count.limit=3",
        ]
    );
}

#[test]
fn shell_metacharacters_in_topic_names_are_quoted() {
    let mut k = KafkaTopology::default();
    k.topics.push(TopicDef::new("a b;rm -rf", 1, 1));
    assert!(kafka_topics_commands(&k, "h:1").contains("--topic 'a b;rm -rf'"));
}
