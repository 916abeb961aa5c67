//! RabbitMQ policies on the canvas: the form a learner fills in, read into a
//! [`PolicyDef`] as a definitions file writes one, and a policy written back
//! as that form. The engine judges the policy itself (its keys, their
//! values, its pattern); the form only checks that it can be read.

use super::{EditError, parse_pairs};
use brokerlab_scenario::{PolicyApplyTo, PolicyDef};
use serde_json::Value;

/// Every `apply-to` a policy can have, as RabbitMQ writes it.
pub const APPLY_TO: [PolicyApplyTo; 6] = [
    PolicyApplyTo::All,
    PolicyApplyTo::Queues,
    PolicyApplyTo::ClassicQueues,
    PolicyApplyTo::QuorumQueues,
    PolicyApplyTo::Streams,
    PolicyApplyTo::Exchanges,
];

/// The policy form as typed: every field is text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyForm {
    pub name: String,
    pub vhost: String,
    pub pattern: String,
    /// `all`, `queues`, `classic_queues`, `quorum_queues`, `streams` or
    /// `exchanges`.
    pub apply_to: String,
    pub priority: String,
    /// The definition as `key=value` pairs: `max-length=2, overflow=reject-publish`.
    pub definition: String,
}

impl PolicyForm {
    /// A new form: vhost `/`, applying to all, priority 0.
    pub fn new() -> Self {
        PolicyForm { vhost: "/".into(), apply_to: "all".into(), priority: "0".into(), ..PolicyForm::default() }
    }

    /// The form of an existing policy.
    pub fn of(p: &PolicyDef) -> Self {
        let definition = p.definition.iter().map(|(k, v)| format!("{k}={}", value_text(v))).collect::<Vec<_>>();
        PolicyForm {
            name: p.name.clone(),
            vhost: p.vhost.clone(),
            pattern: p.pattern.clone(),
            apply_to: p.apply_to.as_str().into(),
            priority: p.priority.to_string(),
            definition: definition.join(", "),
        }
    }

    /// The policy the form describes, or why it cannot be read. Numbers
    /// in the definition are numbers (`max-length=2`), `true` and `false`
    /// are booleans, and everything else is text, as `rabbitmqctl
    /// set_policy` reads JSON.
    pub fn read(&self) -> Result<PolicyDef, EditError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(EditError::Policy("A policy needs a name.".into()));
        }
        let vhost = match self.vhost.trim() {
            "" => "/",
            v => v,
        };
        if self.pattern.is_empty() {
            return Err(EditError::Policy("A policy needs a pattern; ^ matches every name.".into()));
        }
        let apply_to = APPLY_TO
            .into_iter()
            .find(|a| a.as_str() == self.apply_to.trim())
            .ok_or_else(|| EditError::Policy(format!("\u{201c}{}\u{201d} is not an apply-to value.", self.apply_to)))?;
        let priority = match self.priority.trim() {
            "" => 0,
            text => text.parse::<i64>().map_err(|_| {
                EditError::Policy(format!("The priority \u{201c}{text}\u{201d} is not a whole number."))
            })?,
        };
        let pairs = parse_pairs(&self.definition).map_err(EditError::Policy)?;
        if pairs.is_empty() {
            return Err(EditError::Policy(
                "A policy needs at least one key in its definition, such as max-length=10.".into(),
            ));
        }
        let mut definition = brokerlab_scenario::Arguments::new();
        for (key, value) in pairs {
            if definition.insert(key.clone(), typed(&value)).is_some() {
                return Err(EditError::Policy(format!("\u{201c}{key}\u{201d} is given twice.")));
            }
        }
        Ok(PolicyDef {
            name: name.into(),
            vhost: vhost.into(),
            pattern: self.pattern.clone(),
            apply_to,
            priority,
            definition,
        })
    }
}

/// A definition value as typed: a whole number, a boolean or text.
fn typed(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(text.into()),
    }
}

/// A definition value as the form shows it.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One line for a policy in the list: its pattern, what it applies to, its
/// priority and its keys.
pub fn summary(p: &PolicyDef) -> String {
    let keys = p.definition.iter().map(|(k, v)| format!("{k}={}", value_text(v))).collect::<Vec<_>>().join(", ");
    let vhost = if p.vhost == "/" { String::new() } else { format!(" in vhost {}", p.vhost) };
    format!("pattern {} on {}{vhost}, priority {}: {keys}", p.pattern, p.apply_to.as_str(), p.priority)
}
