//! Policies and a vhost's default queue type in the scenario format: set
//! while the topology is built and by script actions, written to and read
//! from RabbitMQ definitions files as RabbitMQ writes them.

use brokerlab_scenario::*;

fn bodies(session: &Session, vhost: &str, queue: &str) -> Vec<String> {
    session.rabbit().queue(vhost, queue).expect("queue exists").messages.into_iter().map(|m| m.body).collect()
}

/// The golden scenario: `/` makes argument-less queues quorum queues, the
/// `cap` policy limits them and dead-letters the head; replacing the policy
/// drops without dead-lettering, and clearing it lifts the limit.
#[test]
fn policies_and_the_default_queue_type_run_as_rabbitmq_does() {
    let s = Scenario::from_json(include_str!("golden/v2/policies.json")).expect("golden file");
    let mut session = s.start().expect("starts");
    let orders = session.rabbit().queue("/", "orders").expect("declared");
    assert_eq!(orders.queue_type, brokerlab_rabbit::QueueType::Quorum);
    assert_eq!(orders.policy.as_deref(), Some("cap"));
    assert_eq!(session.rabbit().queue("/", "dead").expect("declared").policy, None);
    let steps = session.run_to_end();
    assert!(steps.iter().all(|o| o.error.is_none()), "{steps:?}");
    assert_eq!(bodies(&session, "/", "dead"), ["o1"]);
    assert_eq!(bodies(&session, "/", "orders"), ["o3", "o4"]);
    assert_eq!(session.rabbit().queue("/", "orders").expect("declared").policy, None);
    assert_eq!(session.rabbit().policies("shop").len(), 1);
}

/// A policy the release refuses is a setup problem named after the policy,
/// with RabbitMQ's validation text, and the rest is built.
#[test]
fn a_refused_policy_is_a_setup_problem() {
    let mut s = Scenario::from_json(include_str!("golden/v2/policies.json")).expect("golden file");
    s.rabbitmq.version = RabbitVersion::V3_10;
    let (_, problems) = s.start_lenient();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].part, SetupPart::Policy { vhost: "/".into(), name: "cap".into() });
    assert!(problems[0].error.contains("apply-to 'quorum_queues' unrecognised"), "{}", problems[0].error);
}

/// A policy in an unlisted vhost, or two policies with one name, are refused.
#[test]
fn policies_are_validated() {
    let mut s = Scenario::from_json(include_str!("golden/v2/policies.json")).expect("golden file");
    s.rabbitmq.policies[1].vhost = "nowhere".into();
    assert!(matches!(s.validate(), Err(ScenarioError::Invalid(m)) if m.contains("policy `ttl`")));
    let mut s = Scenario::from_json(include_str!("golden/v2/policies.json")).expect("golden file");
    s.rabbitmq.policies[1].vhost = "/".into();
    s.rabbitmq.policies[1].name = "cap".into();
    assert!(s.validate().is_err());
}

/// Exporting writes `policies` with RabbitMQ's fields and `apply-to` spelt
/// out, and a vhost's `metadata.default_queue_type`; importing reads them
/// back to the same topology.
#[test]
fn definitions_carry_policies_and_default_queue_types_both_ways() {
    let s = Scenario::from_json(include_str!("golden/v2/policies.json")).expect("golden file");
    let json = s.export_definitions();
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        doc["policies"][0],
        serde_json::json!({
            "vhost": "/",
            "name": "cap",
            "pattern": "^orders",
            "apply-to": "quorum_queues",
            "definition": { "max-length": 2, "overflow": "drop-head", "dead-letter-exchange": "dlx" },
            "priority": 2
        })
    );
    assert_eq!(doc["policies"][1]["apply-to"], "all");
    assert_eq!(doc["vhosts"][0], serde_json::json!({ "name": "/", "metadata": { "default_queue_type": "quorum" } }));
    assert_eq!(doc["vhosts"][1], serde_json::json!({ "name": "shop" }));
    let mut back = s.clone();
    back.import_definitions(&json).expect("imports");
    assert_eq!(back.rabbitmq.policies, s.rabbitmq.policies);
    assert_eq!(back.rabbitmq.vhosts, s.rabbitmq.vhosts);
}

/// A file as RabbitMQ 3.13 exports it: vhost metadata with
/// `"default_queue_type": "undefined"` means none, and a policy without
/// `apply-to` applies to all.
#[test]
fn a_rabbitmq_written_definitions_file_is_read() {
    let json = r#"{
      "rabbit_version": "3.13.7",
      "vhosts": [
        {"name": "/", "limits": [], "metadata": {"description": "Default virtual host", "tags": [], "default_queue_type": "undefined"}},
        {"name": "jobs", "limits": [], "metadata": {"description": "", "tags": [], "default_queue_type": "quorum"}}
      ],
      "policies": [
        {"vhost": "jobs", "name": "limit", "pattern": "^work$", "definition": {"max-length": 10}, "priority": 1},
        {"vhost": "/", "name": "ae", "pattern": "^in$", "apply-to": "exchanges", "definition": {"alternate-exchange": "unrouted"}, "priority": 0}
      ],
      "queues": [], "exchanges": [], "bindings": []
    }"#;
    let t = definitions::from_definitions(json).expect("reads");
    assert_eq!(t.vhosts.len(), 1);
    assert_eq!(t.vhosts[0].name, "jobs");
    assert_eq!(t.vhosts[0].metadata.default_queue_type, Some(QueueTypeName::Quorum));
    assert_eq!(t.policies.len(), 2);
    assert_eq!(t.policies[0].apply_to, PolicyApplyTo::All);
    assert_eq!(t.policies[1].apply_to, PolicyApplyTo::Exchanges);
    let bad = json.replace("\"quorum\"", "\"lazy\"");
    assert!(definitions::from_definitions(&bad).is_err());
}
