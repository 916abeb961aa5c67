//! Interchange with the real brokers' own tools.
//!
//! RabbitMQ definitions files (what the management UI's "Export
//! definitions" and `rabbitmqctl export_definitions` write, and what
//! `rabbitmqctl import_definitions` reads) map field for field onto
//! [`RabbitTopology`]: [`to_definitions`] writes one with every field spelt
//! out, [`from_definitions`] reads one, keeping vhosts (with their
//! `metadata.default_queue_type`), policies, exchanges, queues and bindings
//! and leaving users, permissions and parameters aside, since the
//! playground has no screen for them. The file's
//! `rabbit_version` carries the topology's RabbitMQ release both ways. Kafka topics come
//! out as `kafka-topics.sh --create` commands ([`kafka_topics_commands`]).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ScenarioError;
use crate::model::{
    Arguments, BindingDef, DestinationType, ExchangeDef, ExchangeType, KafkaTopology, PolicyApplyTo, PolicyDef,
    QueueDef, QueueTypeName, RabbitTopology, RabbitVersion, Scenario, VhostDef, VhostMetadata,
};

/// The largest definitions file read. Real exports of big installations run
/// to megabytes; this bound only stops a runaway file.
pub const MAX_DEFINITIONS_BYTES: usize = 16 * 1024 * 1024;

/// The topology as a RabbitMQ definitions file, pretty-printed. The file
/// names the topology's release; the format has been stable since 3.7 and
/// brokers read the version only to hash user passwords, so any broker since
/// then imports it.
pub fn to_definitions(t: &RabbitTopology) -> String {
    let rabbit_version = t.version.server_version();
    // A vhost's metadata is written only when it has a default queue type,
    // as `{"default_queue_type": "quorum"}`.
    let vhost = |name: &str, meta: Option<&VhostMetadata>| match meta.and_then(|m| m.default_queue_type) {
        Some(t) => json!({ "name": name, "metadata": { "default_queue_type": t.as_str() } }),
        None => json!({ "name": name }),
    };
    let mut vhosts = vec![vhost("/", t.vhosts.iter().find(|v| v.name == "/").map(|v| &v.metadata))];
    vhosts.extend(t.vhosts.iter().filter(|v| v.name != "/").map(|v| vhost(&v.name, Some(&v.metadata))));
    let policies: Vec<Value> = t
        .policies
        .iter()
        .map(|p| {
            json!({
                "vhost": p.vhost,
                "name": p.name,
                "pattern": p.pattern,
                "apply-to": p.apply_to.as_str(),
                "definition": p.definition,
                "priority": p.priority,
            })
        })
        .collect();
    let exchanges: Vec<Value> = t
        .exchanges
        .iter()
        .map(|x| {
            json!({
                "name": x.name,
                "vhost": x.vhost,
                "type": x.kind.as_str(),
                "durable": x.durable,
                "auto_delete": x.auto_delete,
                "internal": x.internal,
                "arguments": x.arguments,
            })
        })
        .collect();
    let queues: Vec<Value> = t
        .queues
        .iter()
        .map(|q| {
            json!({
                "name": q.name,
                "vhost": q.vhost,
                "durable": q.durable,
                "auto_delete": q.auto_delete,
                "arguments": q.arguments,
            })
        })
        .collect();
    let bindings: Vec<Value> = t
        .bindings
        .iter()
        .map(|b| {
            json!({
                "source": b.source,
                "vhost": b.vhost,
                "destination": b.destination,
                "destination_type": match b.destination_type {
                    DestinationType::Queue => "queue",
                    DestinationType::Exchange => "exchange",
                },
                "routing_key": b.routing_key,
                "arguments": b.arguments,
            })
        })
        .collect();
    let doc = json!({
        "rabbit_version": rabbit_version,
        "rabbitmq_version": rabbit_version,
        "product_name": "RabbitMQ",
        "product_version": rabbit_version,
        "users": [],
        "vhosts": vhosts,
        "permissions": [],
        "topic_permissions": [],
        "parameters": [],
        "global_parameters": [],
        "policies": policies,
        "queues": queues,
        "exchanges": exchanges,
        "bindings": bindings,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[derive(Deserialize)]
struct DefFile {
    #[serde(default)]
    rabbit_version: Option<String>,
    #[serde(default)]
    rabbitmq_version: Option<String>,
    #[serde(default)]
    vhosts: Vec<DefVhost>,
    #[serde(default)]
    exchanges: Vec<DefExchange>,
    #[serde(default)]
    queues: Vec<DefQueue>,
    #[serde(default)]
    bindings: Vec<DefBinding>,
    #[serde(default)]
    policies: Vec<DefPolicy>,
}

#[derive(Deserialize)]
struct DefVhost {
    name: String,
    #[serde(default)]
    metadata: Option<DefVhostMetadata>,
}

#[derive(Deserialize)]
struct DefVhostMetadata {
    /// RabbitMQ 3.13 writes `"undefined"` for a vhost without one.
    #[serde(default)]
    default_queue_type: Option<String>,
}

#[derive(Deserialize)]
struct DefPolicy {
    #[serde(default = "root")]
    vhost: String,
    name: String,
    pattern: String,
    #[serde(rename = "apply-to", default)]
    apply_to: Option<String>,
    definition: Arguments,
    #[serde(default)]
    priority: i64,
}

#[derive(Deserialize)]
struct DefExchange {
    name: String,
    #[serde(default = "root")]
    vhost: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "yes")]
    durable: bool,
    #[serde(default)]
    auto_delete: bool,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    arguments: Arguments,
}

#[derive(Deserialize)]
struct DefQueue {
    name: String,
    #[serde(default = "root")]
    vhost: String,
    #[serde(default = "yes")]
    durable: bool,
    #[serde(default)]
    auto_delete: bool,
    #[serde(default)]
    arguments: Arguments,
    /// Written by RabbitMQ 3.13 and later beside `x-queue-type`.
    #[serde(default, rename = "type")]
    queue_type: Option<String>,
}

#[derive(Deserialize)]
struct DefBinding {
    source: String,
    #[serde(default = "root")]
    vhost: String,
    destination: String,
    destination_type: String,
    #[serde(default)]
    routing_key: String,
    #[serde(default)]
    arguments: Arguments,
}

fn root() -> String {
    "/".into()
}

fn yes() -> bool {
    true
}

fn bad(msg: String) -> ScenarioError {
    ScenarioError::Definitions(msg)
}

/// Reads a RabbitMQ definitions file into a topology (without consumers).
/// Exchange types the engine does not model (plugins such as
/// `x-delayed-message`) are refused by name rather than silently dropped.
pub fn from_definitions(json: &str) -> Result<RabbitTopology, ScenarioError> {
    if json.trim().is_empty() {
        return Err(ScenarioError::Empty);
    }
    if json.len() > MAX_DEFINITIONS_BYTES {
        return Err(ScenarioError::TooLarge { max: MAX_DEFINITIONS_BYTES });
    }
    let file: DefFile = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let mut t = RabbitTopology::default();
    // The release that wrote the file; one older than every profile, or none,
    // leaves the default.
    if let Some(v) =
        file.rabbitmq_version.as_deref().or(file.rabbit_version.as_deref()).and_then(RabbitVersion::from_server)
    {
        t.version = v;
    }
    for v in file.vhosts {
        let default_queue_type = match v.metadata.and_then(|m| m.default_queue_type).as_deref() {
            None | Some("" | "undefined") => None,
            Some("classic") => Some(QueueTypeName::Classic),
            Some("quorum") => Some(QueueTypeName::Quorum),
            Some("stream") => Some(QueueTypeName::Stream),
            Some(other) => {
                return Err(bad(format!("vhost `{}` has default queue type `{other}`", v.name)));
            }
        };
        let metadata = VhostMetadata { default_queue_type };
        // `/` is listed only to carry metadata.
        if (v.name != "/" || metadata != VhostMetadata::default()) && !t.vhosts.iter().any(|x| x.name == v.name) {
            t.vhosts.push(VhostDef { name: v.name, metadata });
        }
    }
    let ensure_vhost = |t: &mut RabbitTopology, v: &str| {
        if v != "/" && !t.vhosts.iter().any(|x| x.name == v) {
            t.vhosts.push(VhostDef::new(v));
        }
    };
    for p in file.policies {
        let apply_to = match p.apply_to.as_deref().unwrap_or("all") {
            "all" => PolicyApplyTo::All,
            "queues" => PolicyApplyTo::Queues,
            "classic_queues" => PolicyApplyTo::ClassicQueues,
            "quorum_queues" => PolicyApplyTo::QuorumQueues,
            "streams" => PolicyApplyTo::Streams,
            "exchanges" => PolicyApplyTo::Exchanges,
            other => return Err(bad(format!("policy `{}` has apply-to `{other}`", p.name))),
        };
        ensure_vhost(&mut t, &p.vhost);
        t.policies.push(PolicyDef {
            name: p.name,
            vhost: p.vhost,
            pattern: p.pattern,
            apply_to,
            priority: p.priority,
            definition: p.definition,
        });
    }
    for x in file.exchanges {
        // Server-defined exchanges cannot be declared; a file that lists them
        // (older exports did) means the broker's own.
        if x.name.is_empty() || x.name.starts_with("amq.") {
            continue;
        }
        let kind = match x.kind.as_str() {
            "direct" => ExchangeType::Direct,
            "fanout" => ExchangeType::Fanout,
            "topic" => ExchangeType::Topic,
            "headers" => ExchangeType::Headers,
            other => {
                return Err(bad(format!("exchange `{}` has type `{other}`, which Brokerlab does not model", x.name)));
            }
        };
        ensure_vhost(&mut t, &x.vhost);
        t.exchanges.push(ExchangeDef {
            name: x.name,
            vhost: x.vhost,
            kind,
            durable: x.durable,
            auto_delete: x.auto_delete,
            internal: x.internal,
            arguments: x.arguments,
        });
    }
    for q in file.queues {
        let mut arguments = q.arguments;
        if let Some(ty) = q.queue_type
            && ty != "classic"
            && !arguments.contains_key("x-queue-type")
        {
            arguments.insert("x-queue-type".into(), Value::String(ty));
        }
        ensure_vhost(&mut t, &q.vhost);
        t.queues.push(QueueDef {
            name: q.name,
            vhost: q.vhost,
            durable: q.durable,
            auto_delete: q.auto_delete,
            arguments,
        });
    }
    for b in file.bindings {
        let destination_type = match b.destination_type.as_str() {
            "queue" => DestinationType::Queue,
            "exchange" => DestinationType::Exchange,
            other => return Err(bad(format!("binding to `{}` has destination_type `{other}`", b.destination))),
        };
        // Bindings from the default exchange are implicit and never declared.
        if b.source.is_empty() {
            continue;
        }
        ensure_vhost(&mut t, &b.vhost);
        t.bindings.push(BindingDef {
            source: b.source,
            vhost: b.vhost,
            destination: b.destination,
            destination_type,
            routing_key: b.routing_key,
            arguments: b.arguments,
        });
    }
    Ok(t)
}

impl Scenario {
    /// Replaces the RabbitMQ topology with a definitions file's, keeping the
    /// consumers whose queues still exist. The scenario is unchanged when the
    /// file is refused.
    pub fn import_definitions(&mut self, json: &str) -> Result<(), ScenarioError> {
        let mut t = from_definitions(json)?;
        t.consumers = self
            .rabbitmq
            .consumers
            .iter()
            .filter(|c| t.queues.iter().any(|q| q.name == c.queue && q.vhost == c.vhost))
            .cloned()
            .collect();
        let mut next = self.clone();
        next.rabbitmq = t;
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// The RabbitMQ topology as a definitions file.
    pub fn export_definitions(&self) -> String {
        to_definitions(&self.rabbitmq)
    }
}

/// Quotes a shell word when it needs it.
fn sh(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.=:,/@".contains(&b)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Cluster-wide broker configs a running cluster takes as a dynamic default
/// for every broker (`kafka-configs.sh --entity-type brokers
/// --entity-default`); Kafka's broker config reference gives both the update
/// mode `cluster-wide`. The scenario format's other cluster configs are
/// read-only there: they go in every broker's `server.properties`.
const DYNAMIC_CLUSTER_CONFIGS: [&str; 2] = ["min.insync.replicas", "unclean.leader.election.enable"];

/// The Kafka part as the commands that set it up on a real cluster, against
/// `bootstrap` (for example `localhost:9092`): one `kafka-topics.sh
/// --create` command per topic with its configs; the cluster's dynamic
/// configs with `kafka-configs.sh --entity-type brokers --entity-default`,
/// and its read-only ones as the `server.properties` lines they need; and
/// each share group's configs with `kafka-configs.sh --entity-type groups`
/// (KIP-932), whose broker-wide `group.share.*` spellings are
/// `server.properties` lines too.
pub fn kafka_topics_commands(k: &KafkaTopology, bootstrap: &str) -> String {
    let mut out = String::new();
    for t in &k.topics {
        out.push_str(&format!(
            "kafka-topics.sh --bootstrap-server {} --create --topic {} --partitions {} --replication-factor {}",
            sh(bootstrap),
            sh(&t.name),
            t.partitions,
            t.replication_factor
        ));
        for (key, v) in &t.configs {
            out.push_str(&format!(" --config {}", sh(&format!("{key}={v}"))));
        }
        out.push('\n');
    }
    let (dynamic, fixed): (Vec<_>, Vec<_>) =
        k.configs.iter().partition(|(key, _)| DYNAMIC_CLUSTER_CONFIGS.contains(&key.as_str()));
    if !dynamic.is_empty() {
        let pairs: Vec<String> = dynamic.iter().map(|(key, v)| format!("{key}={v}")).collect();
        out.push_str(&format!(
            "kafka-configs.sh --bootstrap-server {} --alter --entity-type brokers --entity-default --add-config {}\n",
            sh(bootstrap),
            sh(&pairs.join(","))
        ));
    }
    let mut properties: Vec<String> = fixed.iter().map(|(key, v)| format!("{key}={v}")).collect();
    for g in &k.share_groups {
        let (broker, group): (Vec<_>, Vec<_>) = g.configs.iter().partition(|(key, _)| key.starts_with("group."));
        properties.extend(broker.iter().map(|(key, v)| format!("{key}={v}")));
        if !group.is_empty() {
            let pairs: Vec<String> = group.iter().map(|(key, v)| format!("{key}={v}")).collect();
            out.push_str(&format!(
                "kafka-configs.sh --bootstrap-server {} --alter --entity-type groups --entity-name {} --add-config {}\n",
                sh(bootstrap),
                sh(&g.group_id),
                sh(&pairs.join(","))
            ));
        }
    }
    for line in properties {
        out.push_str(&format!("# server.properties of every broker (read-only, set before it starts): {line}\n"));
    }
    out
}
