//! Consistency checks on a scenario, run by every reader and by
//! [`Scenario::start`]: names are present and unique, bindings and
//! consumers refer to things that exist, Kafka configs parse, and the script
//! stays within limits that keep a replay quick in a browser tab.

use std::collections::BTreeSet;

use crate::error::ScenarioError;
use crate::model::{Action, DestinationType, FORMAT_VERSION, Scenario};
use crate::translate;

/// The most actions a script may hold.
pub const MAX_SCRIPT_ACTIONS: usize = 10_000;

/// The longest single `advance_time`, thirty days, so that a typo cannot keep
/// the Kafka engine stepping for minutes.
pub const MAX_ADVANCE_MS: u64 = 30 * 24 * 3600 * 1000;

/// Exchanges every vhost has without declaring them.
const PREDECLARED: &[&str] = &["", "amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"];

fn invalid(msg: String) -> ScenarioError {
    ScenarioError::Invalid(msg)
}

impl Scenario {
    /// Checks that the scenario is consistent; see the module docs.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.version != FORMAT_VERSION {
            return Err(invalid(format!("version {} is not {FORMAT_VERSION}", self.version)));
        }
        let r = &self.rabbitmq;
        let mut vhosts: BTreeSet<&str> = BTreeSet::from(["/"]);
        for v in &r.vhosts {
            if v.name.is_empty() || !vhosts.insert(&v.name) && v.name != "/" {
                return Err(invalid(format!("vhost `{}` is empty or listed twice", v.name)));
            }
        }
        let vhost = |v: &str, what: &str| {
            if vhosts.contains(v) {
                Ok(())
            } else {
                Err(invalid(format!("{what} is in vhost `{v}`, which is not listed")))
            }
        };
        let mut exchanges = BTreeSet::new();
        for x in &r.exchanges {
            vhost(&x.vhost, &format!("exchange `{}`", x.name))?;
            if x.name.is_empty() || PREDECLARED.contains(&x.name.as_str()) {
                return Err(invalid(format!("exchange name `{}` is reserved", x.name)));
            }
            if !exchanges.insert((x.vhost.as_str(), x.name.as_str())) {
                return Err(invalid(format!("exchange `{}` is declared twice", x.name)));
            }
        }
        let mut queues = BTreeSet::new();
        for q in &r.queues {
            vhost(&q.vhost, &format!("queue `{}`", q.name))?;
            if q.name.is_empty() {
                return Err(invalid("a queue has no name".into()));
            }
            if !queues.insert((q.vhost.as_str(), q.name.as_str())) {
                return Err(invalid(format!("queue `{}` is declared twice", q.name)));
            }
        }
        let exchange_exists =
            |v: &str, x: &str| PREDECLARED.contains(&x) || x.starts_with("amq.") || exchanges.contains(&(v, x));
        for b in &r.bindings {
            vhost(&b.vhost, &format!("binding from `{}`", b.source))?;
            if !exchange_exists(&b.vhost, &b.source) || b.source.is_empty() {
                return Err(invalid(format!("binding source exchange `{}` does not exist", b.source)));
            }
            let ok = match b.destination_type {
                DestinationType::Queue => queues.contains(&(b.vhost.as_str(), b.destination.as_str())),
                DestinationType::Exchange => exchange_exists(&b.vhost, &b.destination) && !b.destination.is_empty(),
            };
            if !ok {
                return Err(invalid(format!("binding destination `{}` does not exist", b.destination)));
            }
        }
        let mut policies = BTreeSet::new();
        for p in &r.policies {
            vhost(&p.vhost, &format!("policy `{}`", p.name))?;
            if p.name.is_empty() || !policies.insert((p.vhost.as_str(), p.name.as_str())) {
                return Err(invalid(format!("policy `{}` is unnamed or listed twice", p.name)));
            }
        }
        let mut tags = BTreeSet::new();
        for c in &r.consumers {
            vhost(&c.vhost, &format!("consumer `{}`", c.tag))?;
            if c.tag.is_empty() || !tags.insert((c.vhost.as_str(), c.client_name(), c.tag.as_str())) {
                return Err(invalid(format!("consumer tag `{}` is empty or used twice on one client", c.tag)));
            }
            if !queues.contains(&(c.vhost.as_str(), c.queue.as_str())) {
                return Err(invalid(format!("consumer `{}` reads queue `{}`, which does not exist", c.tag, c.queue)));
            }
        }

        let k = &self.kafka;
        translate::cluster_config(k)?;
        let mut topics = BTreeSet::new();
        for t in &k.topics {
            if t.name.is_empty() || !topics.insert(t.name.as_str()) {
                return Err(invalid(format!("topic `{}` is unnamed or declared twice", t.name)));
            }
            if t.replication_factor > k.brokers {
                return Err(invalid(format!(
                    "topic `{}` asks for {} replicas but the cluster has {} brokers",
                    t.name, t.replication_factor, k.brokers
                )));
            }
            translate::topic_config(t)?;
        }
        let mut producers = BTreeSet::new();
        for p in &k.producers {
            if p.name.is_empty() || !producers.insert(p.name.as_str()) {
                return Err(invalid(format!("producer `{}` is unnamed or declared twice", p.name)));
            }
            translate::producer_config(p)?;
        }
        let mut consumers = BTreeSet::new();
        for c in &k.consumers {
            if c.name.is_empty() || !consumers.insert(c.name.as_str()) {
                return Err(invalid(format!("consumer `{}` is unnamed or declared twice", c.name)));
            }
            for t in &c.topics {
                if !topics.contains(t.as_str()) {
                    return Err(invalid(format!("consumer `{}` subscribes to `{t}`, which does not exist", c.name)));
                }
            }
            translate::consumer_config(c)?;
        }
        for g in &k.share_groups {
            translate::share_group_config(g)?;
        }
        for c in &k.share_consumers {
            if c.name.is_empty() || !consumers.insert(c.name.as_str()) {
                return Err(invalid(format!("share consumer `{}` is unnamed or declared twice", c.name)));
            }
            for t in &c.topics {
                if !topics.contains(t.as_str()) {
                    return Err(invalid(format!(
                        "share consumer `{}` subscribes to `{t}`, which does not exist",
                        c.name
                    )));
                }
            }
            translate::share_consumer_config(c)?;
        }

        if self.script.len() > MAX_SCRIPT_ACTIONS {
            return Err(invalid(format!("the script has more than {MAX_SCRIPT_ACTIONS} actions")));
        }
        for (i, a) in self.script.iter().enumerate() {
            match a {
                Action::AdvanceTime { ms } if *ms > MAX_ADVANCE_MS => {
                    return Err(invalid(format!("action {i} advances time by more than thirty days")));
                }
                Action::Publish { client, .. }
                | Action::Get { client, .. }
                | Action::Ack { client, .. }
                | Action::Nack { client, .. }
                | Action::Reject { client, .. }
                | Action::Cancel { client, .. }
                | Action::Qos { client, .. }
                | Action::ConfirmSelect { client, .. }
                | Action::CloseClient { client, .. }
                    if client.is_empty() =>
                {
                    return Err(invalid(format!("action {i} names an empty client")));
                }
                Action::Consume { consumer } if consumer.tag.is_empty() => {
                    return Err(invalid(format!("action {i} starts a consumer without a tag")));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
