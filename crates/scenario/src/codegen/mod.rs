//! Client code generated from a scenario: a ready-to-run program that
//! declares the same topology and replays the script with the usual client
//! libraries, [`python`] (pika and confluent-kafka) and [`javascript`]
//! (amqplib and kafkajs). Actions a client cannot perform (crashing a
//! broker, restarting RabbitMQ) become comments saying what to do by hand.
//!
//! String literals are written as JSON strings, which are valid Python and
//! JavaScript literals, so no name or body can break out of its quotes.
//!
//! `python` and `javascript` each hold one language's program; this module
//! holds what both use: string literals, comment blocks and which actions
//! need a RabbitMQ connection.

mod javascript;
mod python;

pub use javascript::javascript;
pub use python::python;

use std::fmt::Write as _;

use crate::model::{Action, PolicyDef};

/// A word quoted for a shell. A word with a line break or another control
/// character is written in bash's `$'...'` form with escapes, so the
/// command stays on one comment line of the generated program.
fn sh(word: &str) -> String {
    let breaks = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if !word.chars().any(breaks) {
        return format!("'{}'", word.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if breaks(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The `rabbitmqctl set_policy` command that sets `p`: clients cannot set
/// policies over AMQP, so both programs print it as a comment.
fn set_policy_command(p: &PolicyDef) -> String {
    let definition = serde_json::to_string(&p.definition).unwrap_or_default();
    format!(
        "rabbitmqctl set_policy -p {} --priority {} --apply-to {} {} {} {}",
        sh(&p.vhost),
        p.priority,
        p.apply_to.as_str(),
        sh(&p.name),
        sh(&p.pattern),
        sh(&definition)
    )
}

/// What a policy action does by hand, as a comment.
fn policy_note(a: &Action) -> Option<String> {
    match a {
        Action::SetPolicy { policy } => Some(format!("Set a policy by hand: {}", set_policy_command(policy))),
        Action::ClearPolicy { vhost, name } => {
            Some(format!("Clear a policy by hand: rabbitmqctl clear_policy -p {} {}", sh(vhost), sh(name)))
        }
        _ => None,
    }
}

/// What the Kafka part needs of the cluster that no client can set: the
/// cluster's broker configs and the share groups' configs, as the
/// `kafka-configs.sh` commands and `server.properties` lines that set them
/// (see [`crate::definitions::kafka_topics_commands`]), for a comment above
/// the program's Kafka part.
fn kafka_cluster_note(k: &crate::model::KafkaTopology) -> Option<String> {
    let without_topics = crate::model::KafkaTopology {
        configs: k.configs.clone(),
        share_groups: k.share_groups.clone(),
        ..crate::model::KafkaTopology::default()
    };
    let commands = crate::definitions::kafka_topics_commands(&without_topics, "localhost:9092");
    (!commands.is_empty()).then(|| format!("Set up the cluster first:\n{commands}"))
}

/// A string as a JSON string literal, which Python and JavaScript read alike.
fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Writes each line of `text` as a comment line starting with `prefix`.
fn comment_lines(out: &mut String, prefix: &str, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "{prefix}{line}");
    }
}

/// What a share-group action (KIP-932) does, as a comment: share consumers
/// have only a Java client (`KafkaShareConsumer`), so neither generated
/// program can run them and each says what the Java client would do.
fn share_group_note(a: &Action) -> Option<String> {
    let text = match a {
        Action::ShareSubscribe { consumer, topics } => {
            format!("Share consumer {consumer} (Java KafkaShareConsumer) subscribes to {}.", topics.join(", "))
        }
        Action::SharePoll { consumer, .. } => {
            format!("Share consumer {consumer} polls (Java KafkaShareConsumer.poll).")
        }
        Action::ShareAcknowledge { consumer, kind, .. } => {
            format!("Share consumer {consumer} acknowledges a record with {kind:?} (Java acknowledge + commitSync).")
        }
        Action::CloseShareConsumer { consumer } => format!("Share consumer {consumer} closes."),
        _ => return None,
    };
    Some(text)
}

/// Whether the action needs a RabbitMQ connection, so a program opens one only when it does.
fn is_rabbit(a: &Action) -> bool {
    matches!(
        a,
        Action::Publish { .. }
            | Action::Get { .. }
            | Action::Ack { .. }
            | Action::Nack { .. }
            | Action::Reject { .. }
            | Action::Consume { .. }
            | Action::Cancel { .. }
            | Action::Qos { .. }
            | Action::ConfirmSelect { .. }
            | Action::DeclareExchange { .. }
            | Action::DeclareQueue { .. }
            | Action::Bind { .. }
            | Action::Unbind { .. }
            | Action::DeleteExchange { .. }
            | Action::DeleteQueue { .. }
            | Action::Purge { .. }
            | Action::CloseClient { .. }
            | Action::RestartRabbitmq
            | Action::Alarm { .. }
    )
}
