//! Challenges: a scenario with a goal that the engines check.
//!
//! A [`Challenge`] is the additive `challenge` section of a scenario. The
//! scenario it sits in is the start the learner is given (some of its parts
//! [`Challenge::locked`]); the learner changes the topology and asks for a
//! check. Checking never looks at the drawing: each [`Probe`] takes the
//! learner's topology, drops the learner's own script, replays the probe's
//! script on fresh engines through the [`crate::Session`], and then asserts
//! what the engines did with its [`Check`]s (which messages each queue holds
//! and in what order, what each consumer received, which records each
//! partition holds, group assignments and committed offsets, what was
//! dead-lettered and with which `x-death`). A goal always has checks that an
//! over-broad answer fails (a `#` binding on every queue, every exchange a
//! fanout, `acks=0` everywhere), so that a learner cannot pass by sending
//! everything everywhere.
//!
//! - this module: the format's types, serialised inside [`crate::Scenario`];
//! - [`verdict`]: running the probes and judging each check, with the reason
//!   for a failure in plain words;
//! - [`builtin`]: the course's own challenges, compiled in, each with its
//!   reference solution.

pub mod builtin;
pub mod verdict;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Action;

fn default_vhost() -> String {
    "/".to_string()
}

fn is_default_vhost(v: &str) -> bool {
    v == "/"
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

/// A goal for a learner, checked on the engines.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Challenge {
    /// A stable identifier for the course's own challenges (`topic-billing`);
    /// empty for one a learner made.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The course module it belongs to: `foundations`, `kafka`, `rabbitmq`,
    /// `patterns` or `compare`; empty for one a learner made.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// How hard it is, from 1 (a first step) to 3 (needs several ideas at once).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub level: u8,
    pub title: String,
    /// The situation in a few sentences ("The billing team only wants paid EU orders...").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub story: String,
    /// What the learner must achieve, in one sentence.
    pub goal: String,
    /// The slugs of the lessons it practises.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lessons: Vec<String>,
    /// Parts of the start the learner may not change, by node id as in
    /// [`crate::Scenario::layout`] (`exchange:orders`, `queue:billing`,
    /// `topic:orders`, `producer:shop`, `kafka-consumer:worker-1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locked: Vec<String>,
    /// The experiments the learner's topology must pass.
    pub probes: Vec<Probe>,
    /// Graded hints, shown one at a time: a nudge, then the idea, then almost the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

/// One experiment: a script replayed on the learner's topology, then checks
/// on what the engines did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Probe {
    /// What the experiment does, in a few words ("publish a paid EU order").
    pub name: String,
    /// Replayed on fresh engines built from the learner's topology, in place
    /// of the learner's own script.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<Action>,
    pub checks: Vec<Check>,
}

/// One assertion on what the engines did during a probe. Bodies and values
/// are compared as text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    /// A queue's ready messages are exactly these bodies, in this order.
    QueueHolds {
        queue: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        bodies: Vec<String>,
    },
    /// None of these bodies reached the queue: it neither holds them nor
    /// delivered them to a consumer.
    QueueNever {
        queue: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        bodies: Vec<String>,
    },
    /// A queue holds a message with this body that was dead-lettered: its
    /// `x-death` names `reason` (`rejected`, `expired`, `maxlen`,
    /// `delivery_limit`) with this `count`, when given.
    DeadLettered {
        queue: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// The deliveries a RabbitMQ consumer received, redeliveries included,
    /// are exactly these bodies in this order.
    ConsumerReceived { consumer: String, bodies: Vec<String> },
    /// Each of these bodies was acknowledged by a RabbitMQ consumer exactly
    /// once: none lost, none processed twice.
    AckedOnce { bodies: Vec<String> },
    /// Over all of a topic's partitions, each of these values is written
    /// exactly once and nothing else is: no record lost, none duplicated.
    TopicHoldsOnce { topic: String, values: Vec<String> },
    /// Every record with this key is in one partition, in this order of values.
    KeyInOrder { topic: String, key: String, values: Vec<String> },
    /// What a Kafka consumer's polls returned, in order, are exactly these
    /// values; for a share consumer, the records its polls acquired.
    ConsumerPolled { consumer: String, values: Vec<String> },
    /// Over all the group's members, each of these values was read exactly
    /// once: none missed, none read twice, whichever member read it. A share
    /// group's members count too.
    GroupReadOnce { group: String, values: Vec<String> },
    /// None of these values is in any partition of the topic: never written,
    /// or already removed by retention or compaction.
    TopicNever { topic: String, values: Vec<String> },
    /// Every member of the group owns at least one partition.
    NoIdleMember { group: String },
    /// The group's committed offset (the next record to read) for one partition.
    Committed { group: String, topic: String, partition: u32, offset: i64 },
    /// No action of the probe's script was refused by an engine.
    NoErrors,
    /// A queue's ready messages include each of these bodies, whatever else
    /// it holds and in any order.
    QueueContains {
        queue: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        bodies: Vec<String>,
    },
    /// Each of these values is in this partition of the topic (among the
    /// records with this key, when one is given).
    InPartition {
        topic: String,
        partition: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        values: Vec<String>,
    },
    /// The group's members read this value exactly `times` times between
    /// them (0: nobody read it); in a share group, how often it was delivered.
    ReadCount { group: String, value: String, times: u32 },
    /// A group member owns exactly these partitions (`orders-0`), in any order.
    Owns { group: String, consumer: String, partitions: Vec<String> },
}
