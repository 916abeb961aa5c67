//! What a lesson's live panel lets the reader do besides stepping the
//! preset: the controls a lesson's instructions call for ("crash broker 1",
//! "take billing offline", "add a partition to orders", "set slow's prefetch
//! to 1"), the bindings of its exchanges with a way to add and remove them,
//! and what each client holds. Every control is worked out from the scenario
//! and the engines' state after the last step, and is nothing but a list of
//! scenario actions, so `live.rs` draws and applies them and the tests below
//! (and the lesson instructions' test in `instructions.rs`) carry them out
//! without a browser.

use brokerlab_scenario::{Action, BindingDef, ConsumerDef, DestinationType, KafkaConsumerDef, Scenario, Session};
use std::collections::BTreeSet;

/// One button of the panel: its accessible name and the actions it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    /// The button's text, which is also its accessible name.
    pub label: String,
    /// What pressing it does, in order.
    pub actions: Vec<Action>,
}

/// Controls that belong together, drawn as one labelled group.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlGroup {
    /// The group's accessible name, e.g. "Kafka brokers".
    pub label: String,
    pub controls: Vec<Control>,
}

/// One binding of an exchange to a queue, as the panel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRow {
    pub vhost: String,
    pub exchange: String,
    pub queue: String,
    /// The binding key; empty for fanout and headers bindings.
    pub key: String,
    /// A headers binding's arguments, as `name=value` words.
    pub arguments: String,
}

impl BindingRow {
    /// How the row reads: "topic-x → eu-orders, key eu.orders.*".
    pub fn text(&self) -> String {
        let what = if !self.key.is_empty() {
            format!(", key {}", self.key)
        } else if !self.arguments.is_empty() {
            format!(", headers {}", self.arguments)
        } else {
            String::new()
        };
        format!("{} → {}{what}", self.exchange, self.queue)
    }

    /// The name of its remove button.
    pub fn remove_label(&self) -> String {
        if self.key.is_empty() {
            format!("Remove the binding from {} to {}", self.exchange, self.queue)
        } else {
            format!("Remove the binding {} from {} to {}", self.key, self.exchange, self.queue)
        }
    }

    /// The action that removes it. Headers bindings are removed with their
    /// arguments, which is how RabbitMQ tells bindings apart.
    pub fn unbind(&self, scenario: &Scenario) -> Action {
        let arguments = scenario
            .rabbitmq
            .bindings
            .iter()
            .find(|b| {
                b.vhost == self.vhost
                    && b.source == self.exchange
                    && b.destination == self.queue
                    && b.routing_key == self.key
            })
            .map(|b| b.arguments.clone())
            .unwrap_or_default();
        Action::Unbind {
            binding: BindingDef { arguments, ..binding(&self.vhost, &self.exchange, &self.queue, &self.key) },
        }
    }
}

fn binding(vhost: &str, exchange: &str, queue: &str, key: &str) -> BindingDef {
    BindingDef {
        vhost: vhost.to_owned(),
        destination_type: DestinationType::Queue,
        ..BindingDef::queue(exchange, queue, key)
    }
}

/// The action that binds `queue` to `exchange` with `key` in `vhost`.
pub fn bind(vhost: &str, exchange: &str, queue: &str, key: &str) -> Action {
    Action::Bind { binding: binding(vhost, exchange, queue, key) }
}

/// Whether the scenario has a RabbitMQ part and a Kafka part.
fn parts(scenario: &Scenario) -> (bool, bool) {
    let r = &scenario.rabbitmq;
    let rabbit = !r.queues.is_empty() || !r.exchanges.is_empty() || !r.consumers.is_empty();
    let kafka = !scenario.kafka.topics.is_empty();
    (rabbit, kafka)
}

/// Every binding of a user-declared exchange, in every vhost.
pub fn bindings(scenario: &Scenario, session: &Session) -> Vec<BindingRow> {
    if !parts(scenario).0 {
        return Vec::new();
    }
    let rabbit = session.rabbit();
    let mut rows = Vec::new();
    for vhost in rabbit.vhosts() {
        for x in rabbit.exchanges(&vhost) {
            if x.name.is_empty() || x.name.starts_with("amq.") {
                continue;
            }
            for b in &x.bindings {
                let arguments =
                    b.arguments.iter().map(|(k, v)| format!("{k}={}", field_text(v))).collect::<Vec<_>>().join(" ");
                rows.push(BindingRow {
                    vhost: vhost.clone(),
                    exchange: x.name.clone(),
                    queue: b.destination.clone(),
                    key: b.routing_key.clone(),
                    arguments,
                });
            }
        }
    }
    rows
}

fn field_text(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        // A field table value is tagged with its AMQP type: `{"type": "LongString", "value": "pdf"}`.
        Ok(serde_json::Value::Object(m)) => match m.get("value") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => serde_json::Value::Object(m).to_string(),
        },
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The exchanges and queues the add-binding form offers, per vhost:
/// `(vhost, exchanges, queues)`. Headers exchanges are left out, since
/// their bindings match arguments rather than a key.
pub fn binding_choices(scenario: &Scenario, session: &Session) -> Vec<(String, Vec<String>, Vec<String>)> {
    if scenario.rabbitmq.exchanges.is_empty() {
        return Vec::new();
    }
    let rabbit = session.rabbit();
    rabbit
        .vhosts()
        .into_iter()
        .filter_map(|vhost| {
            let exchanges: Vec<String> = rabbit
                .exchanges(&vhost)
                .into_iter()
                .filter(|x| !x.name.is_empty() && !x.name.starts_with("amq."))
                .filter(|x| x.kind != brokerlab_rabbit::ExchangeKind::Headers)
                .map(|x| x.name)
                .collect();
            let queues: Vec<String> = rabbit.queues(&vhost).into_iter().map(|q| q.name).collect();
            (!exchanges.is_empty() && !queues.is_empty()).then_some((vhost, exchanges, queues))
        })
        .collect()
}

/// Every RabbitMQ consumer the scenario starts, in the topology or in its
/// script, each once (by vhost, client and tag).
pub fn rabbit_consumers(scenario: &Scenario) -> Vec<ConsumerDef> {
    let mut seen = BTreeSet::new();
    scenario
        .rabbitmq
        .consumers
        .iter()
        .chain(scenario.script.iter().filter_map(|a| match a {
            Action::Consume { consumer } => Some(consumer),
            _ => None,
        }))
        .filter(|c| seen.insert((c.vhost.clone(), c.client_name().to_owned(), c.tag.clone())))
        .cloned()
        .collect()
}

/// What a RabbitMQ consumer holds right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerState {
    pub tag: String,
    pub queue: String,
    /// Whether it is subscribed.
    pub online: bool,
    /// Its prefetch limit; 0 is none.
    pub prefetch: u16,
    /// The bodies it holds unacknowledged, oldest first.
    pub unacked: Vec<String>,
}

impl ConsumerState {
    /// How it reads in the panel.
    pub fn text(&self) -> String {
        if !self.online {
            return format!("{} is offline", self.tag);
        }
        let limit =
            if self.prefetch == 0 { "no prefetch limit".to_owned() } else { format!("prefetch {}", self.prefetch) };
        format!("{} on {} ({limit}): {} unacknowledged", self.tag, self.queue, self.unacked.len())
    }
}

/// The state of each consumer of [`rabbit_consumers`].
pub fn consumer_states(scenario: &Scenario, session: &Session) -> Vec<ConsumerState> {
    let rabbit = session.rabbit();
    let channels = rabbit.channels();
    rabbit_consumers(scenario)
        .into_iter()
        .map(|def| {
            let channel = session.client_channel(&def.vhost, def.client_name());
            let live = rabbit.queue(&def.vhost, &def.queue).and_then(|q| {
                q.consumers.into_iter().find(|c| Some(c.channel) == channel && c.consumer_tag == def.tag)
            });
            let view = channel.and_then(|ch| channels.iter().find(|c| c.channel == ch));
            let unacked = view
                .map(|v| {
                    v.unacked
                        .iter()
                        .filter(|u| u.consumer_tag.as_deref() == Some(def.tag.as_str()))
                        .map(|u| u.message.body.clone())
                        .collect()
                })
                .unwrap_or_default();
            ConsumerState {
                online: live.is_some(),
                prefetch: live.map(|c| c.prefetch).or(view.map(|v| v.prefetch_count)).unwrap_or(def.prefetch),
                tag: def.tag,
                queue: def.queue,
                unacked,
            }
        })
        .collect()
}

/// The actions that restart `def`'s subscription with a prefetch of
/// `prefetch`. `basic.qos` applies to consumers started after it on the
/// channel, so the consumer cancels, sets the limit and subscribes again
/// (what a client does to change its prefetch); what it holds stays
/// unacknowledged on the channel.
pub fn set_prefetch(def: &ConsumerDef, online: bool, prefetch: u16) -> Vec<Action> {
    let client = def.client_name().to_owned();
    let mut actions = Vec::new();
    if online {
        actions.push(Action::Cancel { client: client.clone(), vhost: def.vhost.clone(), tag: def.tag.clone() });
    }
    actions.push(Action::Qos { client, vhost: def.vhost.clone(), prefetch, global: false });
    actions.push(Action::Consume { consumer: ConsumerDef { prefetch: 0, ..def.clone() } });
    actions
}

/// Every control the panel offers for the scenario in its current state.
pub fn controls(scenario: &Scenario, session: &Session) -> Vec<ControlGroup> {
    let (rabbit, kafka) = parts(scenario);
    let mut groups = Vec::new();
    if kafka {
        groups.extend(kafka_controls(scenario, session));
    }
    if rabbit {
        groups.extend(rabbit_controls(scenario, session));
    }
    groups.push(ControlGroup {
        label: "Time".to_owned(),
        controls: vec![
            Control { label: "Let 10 seconds pass".to_owned(), actions: vec![Action::AdvanceTime { ms: 10_000 }] },
            Control { label: "Let 1 minute pass".to_owned(), actions: vec![Action::AdvanceTime { ms: 60_000 }] },
        ],
    });
    groups
}

fn kafka_controls(scenario: &Scenario, session: &Session) -> Vec<ControlGroup> {
    let cluster = session.kafka();
    let mut groups = Vec::new();
    let brokers = cluster
        .brokers()
        .into_iter()
        .map(|b| {
            if b.alive {
                Control { label: format!("Crash broker {}", b.id), actions: vec![Action::CrashBroker { broker: b.id }] }
            } else {
                Control {
                    label: format!("Restart broker {}", b.id),
                    actions: vec![Action::RestartBroker { broker: b.id }],
                }
            }
        })
        .collect();
    groups.push(ControlGroup { label: "Kafka brokers".to_owned(), controls: brokers });
    let topics = scenario
        .kafka
        .topics
        .iter()
        .filter_map(|t| {
            let now = cluster.topic(&t.name).ok()?.partitions.len() as u32;
            Some(Control {
                label: format!("Add a partition to {}", t.name),
                actions: vec![Action::AddPartitions { topic: t.name.clone(), total: now + 1 }],
            })
        })
        .collect();
    groups.push(ControlGroup { label: "Topics".to_owned(), controls: topics });
    let mut consumers = Vec::new();
    for def in &scenario.kafka.consumers {
        consumers.extend(kafka_consumer_controls(scenario, session, def));
    }
    let mut group_ids: Vec<&str> = scenario.kafka.consumers.iter().map(|c| c.group_id.as_str()).collect();
    group_ids.dedup();
    for group in group_ids {
        let members: Vec<Action> = scenario
            .kafka
            .consumers
            .iter()
            .filter(|c| c.group_id == group && kafka_active(session, &c.name).is_some_and(|in_group| in_group))
            .map(|c| Action::Poll { consumer: c.name.clone(), max_records: None })
            .collect();
        if members.len() > 1 {
            consumers.push(Control { label: format!("Poll every member of {group}"), actions: members });
        }
    }
    if !consumers.is_empty() {
        groups.push(ControlGroup { label: "Kafka consumers".to_owned(), controls: consumers });
    }
    groups
}

/// `Some(in_group)` for a running consumer, `None` for a crashed or closed one.
fn kafka_active(session: &Session, name: &str) -> Option<bool> {
    let view = session.kafka().consumer(name).ok()?;
    (view.status == brokerlab_kafka::ClientStatus::Active).then_some(view.in_group || !view.subscription.is_empty())
}

fn kafka_consumer_controls(scenario: &Scenario, session: &Session, def: &KafkaConsumerDef) -> Vec<Control> {
    let name = &def.name;
    match kafka_active(session, name) {
        Some(true) => vec![
            Control {
                label: format!("Poll {name}"),
                actions: vec![Action::Poll { consumer: name.clone(), max_records: None }],
            },
            Control {
                label: format!("Commit {name}"),
                actions: vec![Action::Commit { consumer: name.clone(), offsets: None }],
            },
            Control { label: format!("Crash {name}"), actions: vec![Action::CrashConsumer { consumer: name.clone() }] },
        ],
        Some(false) => {
            // A consumer that joins later subscribes to what its group reads.
            let topics: Vec<String> = scenario
                .kafka
                .consumers
                .iter()
                .filter(|c| c.group_id == def.group_id)
                .flat_map(|c| c.topics.iter().cloned())
                .chain(
                    scenario
                        .script
                        .iter()
                        .filter_map(|a| match a {
                            Action::Subscribe { consumer, topics } if consumer == name => Some(topics.clone()),
                            _ => None,
                        })
                        .flatten(),
                )
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if topics.is_empty() {
                return Vec::new();
            }
            vec![Control {
                label: format!("{name} joins {}", def.group_id),
                actions: vec![
                    Action::Subscribe { consumer: name.clone(), topics },
                    Action::Poll { consumer: name.clone(), max_records: None },
                ],
            }]
        }
        None => Vec::new(),
    }
}

fn rabbit_controls(scenario: &Scenario, session: &Session) -> Vec<ControlGroup> {
    let mut groups = vec![ControlGroup {
        label: "RabbitMQ broker".to_owned(),
        controls: vec![Control { label: "Restart the broker".to_owned(), actions: vec![Action::RestartRabbitmq] }],
    }];
    let defs = rabbit_consumers(scenario);
    let states = consumer_states(scenario, session);
    let mut consumers = Vec::new();
    for (def, state) in defs.iter().zip(&states) {
        let tag = &def.tag;
        let client = def.client_name().to_owned();
        let vhost = def.vhost.clone();
        if state.online {
            consumers.push(Control {
                label: format!("Take {tag} offline"),
                actions: vec![Action::Cancel { client: client.clone(), vhost: vhost.clone(), tag: tag.clone() }],
            });
        } else {
            consumers.push(Control {
                label: format!("Bring {tag} back"),
                actions: vec![Action::Consume { consumer: ConsumerDef { prefetch: state.prefetch, ..def.clone() } }],
            });
        }
        if !state.unacked.is_empty() {
            consumers.push(Control {
                label: format!("{tag} acknowledges its oldest message"),
                actions: vec![Action::Ack {
                    client: client.clone(),
                    vhost: vhost.clone(),
                    delivery_tag: None,
                    multiple: false,
                }],
            });
            consumers.push(Control {
                label: format!("{tag} rejects its oldest message"),
                actions: vec![Action::Reject { client, vhost, delivery_tag: None, requeue: false }],
            });
        }
    }
    if !consumers.is_empty() {
        groups.push(ControlGroup { label: "RabbitMQ consumers".to_owned(), controls: consumers });
    }
    let getters = getter_controls(scenario, session);
    if !getters.is_empty() {
        groups.push(ControlGroup { label: "basic.get".to_owned(), controls: getters });
    }
    groups
}

/// The clients that take messages with `basic.get` in the script: each can
/// get again from its queue, settle what it holds (acknowledge, reject
/// with or without requeue), and be made to fail its channel.
fn getter_controls(scenario: &Scenario, session: &Session) -> Vec<Control> {
    let mut seen = BTreeSet::new();
    let getters: Vec<(String, String, String)> = scenario
        .script
        .iter()
        .filter_map(|a| match a {
            Action::Get { client, vhost, queue, .. } => Some((client.clone(), vhost.clone(), queue.clone())),
            _ => None,
        })
        .filter(|g| seen.insert(g.clone()))
        .collect();
    let many_vhosts = getters.iter().map(|(_, v, _)| v).collect::<BTreeSet<_>>().len() > 1;
    let channels = session.rabbit().channels();
    let mut controls = Vec::new();
    let mut settled = BTreeSet::new();
    for (client, vhost, queue) in getters {
        let place = if many_vhosts { format!("{queue} in {vhost}") } else { queue.clone() };
        controls.push(Control {
            label: format!("{client} gets a message from {place}"),
            actions: vec![Action::Get { client: client.clone(), vhost: vhost.clone(), queue, auto_ack: false }],
        });
        if !settled.insert((client.clone(), vhost.clone())) {
            continue;
        }
        let holds = session
            .client_channel(&vhost, &client)
            .and_then(|ch| channels.iter().find(|c| c.channel == ch))
            .is_some_and(|c| c.unacked.iter().any(|u| u.consumer_tag.is_none()));
        if holds {
            let (c, v) = (client.clone(), vhost.clone());
            controls.push(Control {
                label: format!("{client} acknowledges what it got"),
                actions: vec![Action::Ack { client: c.clone(), vhost: v.clone(), delivery_tag: None, multiple: false }],
            });
            controls.push(Control {
                label: format!("{client} rejects it with requeue"),
                actions: vec![Action::Reject {
                    client: c.clone(),
                    vhost: v.clone(),
                    delivery_tag: None,
                    requeue: true,
                }],
            });
            controls.push(Control {
                label: format!("{client} rejects it without requeue"),
                actions: vec![Action::Reject { client: c, vhost: v, delivery_tag: None, requeue: false }],
            });
        }
        if many_vhosts {
            // A get from a queue that does not exist closes the client's
            // channel with 404 NOT_FOUND; the other clients' channels go on.
            controls.push(Control {
                label: format!("Cause a channel error on {client}"),
                actions: vec![Action::Get { client, vhost, queue: "no-such-queue".to_owned(), auto_ack: false }],
            });
        }
    }
    controls
}

/// Finds a control by its label in `groups`.
pub fn find<'a>(groups: &'a [ControlGroup], label: &str) -> Option<&'a Control> {
    groups.iter().flat_map(|g| &g.controls).find(|c| c.label == label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_scenario::presets;

    fn finished(id: &str) -> (Scenario, Session) {
        let scenario = presets::get(id).expect("preset exists");
        let mut session = scenario.start().expect("starts");
        session.run_to_end();
        (scenario, session)
    }

    fn press(scenario: &Scenario, session: &mut Session, label: &str) -> Vec<String> {
        let groups = controls(scenario, session);
        let control = find(&groups, label).unwrap_or_else(|| {
            let all: Vec<_> = groups.iter().flat_map(|g| &g.controls).map(|c| c.label.clone()).collect();
            panic!("no control {label:?} in {all:?}")
        });
        let mut errors = Vec::new();
        for action in control.actions.clone() {
            if let Some(e) = session.apply(&action).error {
                errors.push(e);
            }
        }
        errors
    }

    #[test]
    fn a_rabbitmq_only_scenario_offers_no_kafka_brokers() {
        let (scenario, session) = finished("exchange-types");
        let groups = controls(&scenario, &session);
        assert!(groups.iter().all(|g| g.label != "Kafka brokers"), "{groups:?}");
        assert!(find(&groups, "Restart the broker").is_some());
    }

    #[test]
    fn a_crashed_broker_is_offered_a_restart_instead_of_a_crash() {
        let (scenario, mut session) = finished("topic-partitions");
        assert_eq!(press(&scenario, &mut session, "Crash broker 1"), Vec::<String>::new());
        let groups = controls(&scenario, &session);
        assert!(find(&groups, "Crash broker 1").is_none());
        assert!(find(&groups, "Restart broker 1").is_some());
    }

    #[test]
    fn bindings_are_listed_and_a_removed_one_stops_routing() {
        let (scenario, mut session) = finished("exchange-types");
        let rows = bindings(&scenario, &session);
        let topic = rows.iter().find(|r| r.exchange == "topic-x").expect("a topic binding").clone();
        assert_eq!(topic.text(), "topic-x → eu-orders, key eu.orders.*");
        let headers = rows.iter().find(|r| r.exchange == "headers-x").expect("a headers binding");
        assert!(headers.text().contains("format=pdf"), "{}", headers.text());
        assert_eq!(session.apply(&topic.unbind(&scenario)).error, None);
        assert!(bindings(&scenario, &session).iter().all(|r| r.exchange != "topic-x"));
        assert_eq!(session.apply(&bind("/", "topic-x", "all-logs", "eu.orders.#")).error, None);
        let rows = bindings(&scenario, &session);
        assert!(rows.iter().any(|r| r.queue == "all-logs" && r.key == "eu.orders.#"), "{rows:?}");
        let (_, exchanges, queues) = &binding_choices(&scenario, &session)[0];
        assert!(exchanges.contains(&"topic-x".to_owned()) && !exchanges.contains(&"headers-x".to_owned()));
        assert!(queues.contains(&"pdf-jobs".to_owned()));
    }

    #[test]
    fn a_consumer_goes_offline_and_comes_back_with_its_prefetch() {
        let (scenario, mut session) = finished("sync-vs-async");
        assert_eq!(press(&scenario, &mut session, "Take billing offline"), Vec::<String>::new());
        let state = &consumer_states(&scenario, &session)[0];
        assert!(!state.online, "{state:?}");
        assert_eq!(press(&scenario, &mut session, "Bring billing back"), Vec::<String>::new());
        let state = &consumer_states(&scenario, &session)[0];
        assert_eq!((state.online, state.prefetch), (true, 10), "{state:?}");
    }

    #[test]
    fn setting_a_prefetch_resubscribes_with_the_new_limit() {
        let (scenario, mut session) = finished("prefetch-slow-consumer");
        let defs = rabbit_consumers(&scenario);
        let slow = defs.iter().find(|d| d.tag == "slow").expect("slow");
        for action in set_prefetch(slow, true, 1) {
            assert_eq!(session.apply(&action).error, None);
        }
        let states = consumer_states(&scenario, &session);
        let slow = states.iter().find(|s| s.tag == "slow").expect("slow");
        assert_eq!((slow.online, slow.prefetch), (true, 1), "{slow:?}");
    }
}
