//! Configuration of the cluster, topics, producers and consumers.
//!
//! Field names follow the Kafka keys (`min.insync.replicas` becomes
//! `min_insync_replicas`) and every default is Kafka's own, except where a
//! comment says the simulation picks a smaller value so that a lesson fits in
//! seconds of logical time. `validate` methods turn bad values into
//! [`KafkaError::InvalidConfig`].

use crate::assignor::Assignor;
use crate::error::KafkaError;
use crate::partitioner::PartitionerKind;
use crate::server_assignor::ServerAssignor;
use serde::{Deserialize, Serialize};

fn invalid(key: &str, reason: impl Into<String>) -> KafkaError {
    KafkaError::InvalidConfig { key: key.to_string(), reason: reason.into() }
}

/// The whole cluster: brokers plus broker-wide defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterConfig {
    /// How many brokers (1 to 9); their ids are 0..brokers.
    pub brokers: u32,
    /// Broker default for `min.insync.replicas` (Kafka: 1).
    pub min_insync_replicas: u32,
    /// Broker default for `unclean.leader.election.enable` (Kafka: false).
    pub unclean_leader_election_enable: bool,
    /// `replica.lag.time.max.ms` (Kafka: 30000).
    pub replica_lag_time_max_ms: u64,
    /// How many records a follower copies per fetch.
    pub replica_fetch_max_records: u32,
    /// The period of the periodic work, in logical milliseconds: followers
    /// fetch and the log cleaner runs at the multiples of `step_ms`. Deadlines
    /// (timeouts, ISR lag) fall at their exact instants in between.
    pub step_ms: u64,
    /// Eligible leader replicas (KIP-966): the `eligible.leader.replicas.version`
    /// feature, 1 on new clusters since Kafka 4.1 (0, off, in 4.0). With it,
    /// a replica that leaves the ISR while the ISR is below
    /// `min.insync.replicas` joins the ELR, the ISR may become empty, and an
    /// unfenced ELR member is elected when no ISR member can lead; a broker
    /// back from a crash (an unclean shutdown) leaves every ELR, and with
    /// ISR and ELR empty only the last known leader may lead again. Off, the
    /// controller keeps the last ISR member (Kafka 4.0 and before). The high
    /// watermark freeze under `min.insync.replicas` does not depend on it:
    /// Kafka has applied it unconditionally since 3.7.0.
    pub eligible_leader_replicas_enable: bool,
    /// How many KRaft controllers vote in the quorum (1 to 5; Kafka's
    /// operations guide recommends 3). Their node ids start at 100.
    pub controllers: u32,
    /// `broker.session.timeout.ms` (KRaft: 9000): how long the controller
    /// keeps a broker that stopped heartbeating registered and unfenced.
    pub broker_session_timeout_ms: u64,
    /// `broker.heartbeat.interval.ms` (KRaft: 2000).
    pub broker_heartbeat_interval_ms: u64,
    /// `auto.leader.rebalance.enable` (Kafka: true).
    pub auto_leader_rebalance_enable: bool,
    /// `leader.imbalance.check.interval.seconds` in milliseconds (Kafka: 300 s).
    pub leader_imbalance_check_interval_ms: u64,
    /// `group.consumer.heartbeat.interval.ms` (Kafka: 5000): how often a
    /// member of a consumer-protocol group (KIP-848) heartbeats; the
    /// coordinator sets it, not the client.
    pub group_consumer_heartbeat_interval_ms: u64,
    /// `group.consumer.session.timeout.ms` (Kafka: 45000): how long the
    /// coordinator keeps a consumer-protocol member that stopped heartbeating.
    pub group_consumer_session_timeout_ms: u64,
    /// `group.consumer.assignors` (Kafka 4.0: `uniform,range`): the server
    /// assignors a consumer-protocol group may use; the first is the default.
    pub group_consumer_assignors: Vec<ServerAssignor>,
    /// `group.initial.rebalance.delay.ms`: how long the coordinator waits
    /// for more members after the first JoinGroup of an empty classic group,
    /// extended by as much again for each newcomer, up to the rebalance
    /// timeout. Kafka's default is 3000 ([`KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS`]);
    /// the simulation keeps 0 so that a lesson, preset or pattern lab that
    /// subscribes and polls in one instant reads at once, as the
    /// `config/server.properties` of Kafka's ZooKeeper-era distribution did
    /// "for a better out-of-the-box experience for development and testing".
    pub group_initial_rebalance_delay_ms: u64,
    /// `offsets.retention.minutes` (Kafka 2.0+: 10080, 7 days): committed
    /// offsets expire this long after the group became Empty (a classic
    /// group), or after their commit when no member subscribes to the topic.
    pub offsets_retention_minutes: u64,
    /// `offsets.retention.check.interval.ms` (Kafka: 600000): how often the
    /// coordinator looks for expired offsets.
    pub offsets_retention_check_interval_ms: u64,
    /// `group.consumer.migration.policy` (Kafka 4.0: bidirectional): whether
    /// a classic group with members becomes a consumer group when a
    /// consumer-protocol member joins (upgrade), and back when the last one
    /// leaves (downgrade).
    pub group_consumer_migration_policy: MigrationPolicy,
    /// `auto.create.topics.enable` (Kafka: true): a metadata request that
    /// names a missing topic and allows auto-creation (every producer's
    /// does; a consumer's with `allow.auto.create.topics`) makes the broker
    /// create it (`DefaultAutoTopicCreationManager`).
    pub auto_create_topics_enable: bool,
    /// `num.partitions` (Kafka: 1): the partition count of an auto-created topic.
    pub num_partitions: u32,
    /// `default.replication.factor` (Kafka: 1): the replication factor of an
    /// auto-created topic. It is not capped at the broker count: the
    /// controller refuses more replicas than registered brokers
    /// (`InvalidReplicationFactorException`) and the topic stays missing.
    pub default_replication_factor: u32,
}

/// `group.consumer.migration.policy` (`ConsumerGroupMigrationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MigrationPolicy {
    /// Both upgrade and downgrade (the default).
    #[default]
    Bidirectional,
    /// Only classic to consumer.
    Upgrade,
    /// Only consumer to classic.
    Downgrade,
    /// Neither: a consumer-protocol member cannot join a classic group with
    /// members (`GroupIdNotFoundException`), and a consumer group whose
    /// consumer-protocol members all left stays a consumer group.
    Disabled,
}

impl MigrationPolicy {
    /// Whether a classic group with members may become a consumer group.
    pub fn upgrade(self) -> bool {
        matches!(self, MigrationPolicy::Bidirectional | MigrationPolicy::Upgrade)
    }

    /// Whether a consumer group left with classic members may become classic.
    pub fn downgrade(self) -> bool {
        matches!(self, MigrationPolicy::Bidirectional | MigrationPolicy::Downgrade)
    }
}

/// Kafka's default `group.initial.rebalance.delay.ms`, which the
/// simulation's own default leaves at 0 (see
/// [`ClusterConfig::group_initial_rebalance_delay_ms`]).
pub const KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: u64 = 3_000;

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            brokers: 3,
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_max_records: 10_000,
            step_ms: 100,
            eligible_leader_replicas_enable: true,
            controllers: 3,
            broker_session_timeout_ms: 9_000,
            broker_heartbeat_interval_ms: 2_000,
            auto_leader_rebalance_enable: true,
            leader_imbalance_check_interval_ms: 300_000,
            group_consumer_heartbeat_interval_ms: 5_000,
            group_consumer_session_timeout_ms: 45_000,
            group_consumer_assignors: vec![ServerAssignor::Uniform, ServerAssignor::Range],
            group_initial_rebalance_delay_ms: 0,
            offsets_retention_minutes: 7 * 24 * 60,
            offsets_retention_check_interval_ms: 600_000,
            group_consumer_migration_policy: MigrationPolicy::Bidirectional,
            auto_create_topics_enable: true,
            num_partitions: 1,
            default_replication_factor: 1,
        }
    }
}

impl ClusterConfig {
    /// Checks every value.
    pub fn validate(&self) -> Result<(), KafkaError> {
        if !(1..=9).contains(&self.brokers) {
            return Err(invalid("brokers", "a cluster has 1 to 9 brokers"));
        }
        if !(1..=5).contains(&self.controllers) {
            return Err(invalid("controller.quorum.voters", "a quorum has 1 to 5 controllers"));
        }
        if self.min_insync_replicas < 1 {
            return Err(invalid("min.insync.replicas", "must be at least 1"));
        }
        if self.step_ms == 0 {
            return Err(invalid("step_ms", "must be at least 1"));
        }
        if self.replica_fetch_max_records == 0 {
            return Err(invalid("replica_fetch_max_records", "must be at least 1"));
        }
        if self.broker_heartbeat_interval_ms == 0 || self.broker_heartbeat_interval_ms >= self.broker_session_timeout_ms
        {
            return Err(invalid(
                "broker.heartbeat.interval.ms",
                "must be positive and below broker.session.timeout.ms",
            ));
        }
        if self.leader_imbalance_check_interval_ms == 0 {
            return Err(invalid("leader.imbalance.check.interval.seconds", "must be positive"));
        }
        if self.group_consumer_heartbeat_interval_ms == 0
            || self.group_consumer_heartbeat_interval_ms >= self.group_consumer_session_timeout_ms
        {
            return Err(invalid(
                "group.consumer.heartbeat.interval.ms",
                "must be positive and below group.consumer.session.timeout.ms",
            ));
        }
        if self.group_consumer_assignors.is_empty() {
            return Err(invalid("group.consumer.assignors", "needs at least one assignor"));
        }
        if self.offsets_retention_minutes == 0 {
            return Err(invalid("offsets.retention.minutes", "must be at least 1"));
        }
        if self.offsets_retention_check_interval_ms == 0 {
            return Err(invalid("offsets.retention.check.interval.ms", "must be at least 1"));
        }
        if !(1..=10_000).contains(&self.num_partitions) {
            return Err(invalid("num.partitions", "must be between 1 and 10000"));
        }
        if self.default_replication_factor == 0 {
            return Err(invalid("default.replication.factor", "must be at least 1"));
        }
        Ok(())
    }
}

/// `cleanup.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CleanupPolicy {
    /// Delete old segments by time and size.
    #[default]
    Delete,
    /// Keep the latest value per key.
    Compact,
    /// Both: retention deletes old segments and compaction cleans the rest.
    DeleteCompact,
}

/// Topic creation settings and topic-level configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicConfig {
    /// The partition count.
    pub partitions: u32,
    /// The replication factor.
    pub replication_factor: u32,
    /// Explicit replica lists per partition (first is the preferred leader);
    /// `None` lets the controller place replicas.
    pub replica_assignment: Option<Vec<Vec<u32>>>,
    /// `min.insync.replicas`; `None` takes the broker default.
    pub min_insync_replicas: Option<u32>,
    /// `unclean.leader.election.enable`; `None` takes the broker default.
    pub unclean_leader_election_enable: Option<bool>,
    /// `cleanup.policy`.
    pub cleanup_policy: CleanupPolicy,
    /// `retention.ms` (Kafka: 7 days); -1 for no limit. The log's
    /// housekeeping checks it on every 100 ms step of the simulation, where
    /// Kafka checks every `log.retention.check.interval.ms` (5 minutes): a
    /// deliberate choice so that a learner's `retention.ms` of a few seconds
    /// acts when it says, not minutes later.
    pub retention_ms: i64,
    /// `retention.bytes` (Kafka: -1, no limit).
    pub retention_bytes: i64,
    /// `segment.bytes` (Kafka: 1 GiB). Kafka 4.0 refuses less than 1 MiB
    /// (KIP-1030); the simulation allows down to 14 bytes, a deliberate
    /// choice so that a lesson's handful of records fills several segments
    /// and retention and compaction show on them.
    pub segment_bytes: u64,
    /// `segment.ms` (Kafka: 7 days).
    pub segment_ms: u64,
    /// `min.cleanable.dirty.ratio` (Kafka: 0.5).
    pub min_cleanable_dirty_ratio: f64,
    /// `min.compaction.lag.ms` (Kafka: 0).
    pub min_compaction_lag_ms: u64,
    /// `delete.retention.ms` (Kafka: 1 day).
    pub delete_retention_ms: u64,
    /// `message.timestamp.after.max.ms` (Kafka 4.0: 1 hour, KIP-1030; 3.6
    /// to 3.9: unlimited): the leader refuses a record whose CreateTime is
    /// more than this ahead of its clock with `INVALID_TIMESTAMP`, which the
    /// producer does not retry.
    pub message_timestamp_after_max_ms: u64,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            partitions: 1,
            replication_factor: 1,
            replica_assignment: None,
            min_insync_replicas: None,
            unclean_leader_election_enable: None,
            cleanup_policy: CleanupPolicy::Delete,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            segment_bytes: 1 << 30,
            segment_ms: 604_800_000,
            min_cleanable_dirty_ratio: 0.5,
            min_compaction_lag_ms: 0,
            delete_retention_ms: 86_400_000,
            message_timestamp_after_max_ms: 3_600_000,
        }
    }
}

impl TopicConfig {
    /// A topic with `partitions` partitions and `replication_factor` replicas each.
    pub fn new(partitions: u32, replication_factor: u32) -> Self {
        TopicConfig { partitions, replication_factor, ..TopicConfig::default() }
    }

    /// Checks every value except the broker count, which the cluster checks.
    pub fn validate(&self) -> Result<(), KafkaError> {
        if self.partitions == 0 {
            return Err(invalid("num.partitions", "must be at least 1"));
        }
        if self.partitions > 10_000 {
            return Err(invalid("num.partitions", "the simulation allows at most 10000 partitions per topic"));
        }
        if self.replication_factor == 0 {
            return Err(invalid("replication.factor", "must be at least 1"));
        }
        if self.min_insync_replicas == Some(0) {
            return Err(invalid("min.insync.replicas", "must be at least 1"));
        }
        if self.retention_ms < -1 {
            return Err(invalid("retention.ms", "must be -1 or non-negative"));
        }
        if self.retention_bytes < -1 {
            return Err(invalid("retention.bytes", "must be -1 or non-negative"));
        }
        if self.segment_bytes < 14 {
            return Err(invalid("segment.bytes", "must be at least 14"));
        }
        if self.segment_ms == 0 {
            return Err(invalid("segment.ms", "must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.min_cleanable_dirty_ratio) {
            return Err(invalid("min.cleanable.dirty.ratio", "must be between 0 and 1"));
        }
        if let Some(a) = &self.replica_assignment {
            if a.len() != self.partitions as usize {
                return Err(invalid("replica.assignment", "needs one replica list per partition"));
            }
            for replicas in a {
                let mut sorted = replicas.clone();
                sorted.sort_unstable();
                sorted.dedup();
                if replicas.is_empty() || sorted.len() != replicas.len() {
                    return Err(invalid("replica.assignment", "each partition needs distinct replicas"));
                }
            }
        }
        Ok(())
    }
}

/// The producer `acks` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Acks {
    /// `acks=0`: fire and forget.
    Zero,
    /// `acks=1`: the leader's write is enough.
    One,
    /// `acks=all` (`-1`): every in-sync replica must have the record.
    #[default]
    All,
}

/// Kafka 4.0's default `linger.ms` (KIP-1030), the simulation's default too.
pub const KAFKA_4_LINGER_MS: u64 = 5;

/// A producer's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProducerConfig {
    /// `acks` (Kafka 3+: all).
    pub acks: Acks,
    /// `retries` (Kafka: 2147483647; `delivery.timeout.ms` bounds them).
    pub retries: u32,
    /// `enable.idempotence` (Kafka 3+: true). Unless
    /// [`enable_idempotence_explicit`](Self::enable_idempotence_explicit) is
    /// set, this is only the default's request: `acks` other than `all`,
    /// `retries=0` or more than 5 requests in flight turn it off quietly when
    /// the producer is created, as Kafka's client does since 3.0.1/3.1.1/3.2
    /// (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`). See
    /// [`ProducerConfig::resolved`].
    pub enable_idempotence: bool,
    /// Whether `enable.idempotence` was set by the application (Kafka checks
    /// `originals().containsKey(...)`). An explicit `true` with `acks` other
    /// than `all`, `retries=0` or more than 5 requests in flight is a
    /// `ConfigException` instead of being turned off.
    pub enable_idempotence_explicit: bool,
    /// `transactional.id`.
    pub transactional_id: Option<String>,
    /// Which partitioner places keyless records.
    pub partitioner: PartitionerKind,
    /// `batch.size`, the sticky partitioner's switch threshold (Kafka: 16384).
    pub batch_size: u64,
    /// `delivery.timeout.ms` (Kafka: 120000): a send fails for good this
    /// long after `send()`, however many retries are left.
    pub delivery_timeout_ms: u64,
    /// `request.timeout.ms` (Kafka: 30000): how long one attempt waits for
    /// its answer before it is retried (REQUEST_TIMED_OUT).
    pub request_timeout_ms: u64,
    /// `retry.backoff.ms` (Kafka: 100): the wait before the first retry.
    pub retry_backoff_ms: u64,
    /// `retry.backoff.max.ms` (Kafka 3.7+: 1000, KIP-580): each further
    /// retry waits twice as long, up to this. Kafka adds ±20 % random jitter,
    /// which the simulation leaves out so that runs are easy to follow.
    pub retry_backoff_max_ms: u64,
    /// `linger.ms`: how long a record waits in the accumulator for others to
    /// the same partition before its batch is sent, unless the batch reaches
    /// `batch.size` first. Kafka 4.0 made the default 5 (KIP-1030; 0
    /// before), and so does the simulation: a record sent at instant `t` is
    /// appended by the leader at `t + 5` ms, so a script that reads the log
    /// or crashes a broker at the instant of a send finds the record still
    /// in the producer's accumulator. Set 0 for Kafka 3's immediate send.
    pub linger_ms: u64,
    /// `max.in.flight.requests.per.connection` (Kafka: 5): how many produce
    /// requests to one broker may wait for their answer at once; at most 5
    /// with idempotence.
    pub max_in_flight_requests_per_connection: u32,
    /// `transaction.timeout.ms` (Kafka: 60 000): how long a transaction may
    /// stay open before its coordinator aborts it and fences the producer.
    /// The broker refuses more than `transaction.max.timeout.ms` (15 min) at
    /// `initTransactions`.
    pub transaction_timeout_ms: u64,
    /// `max.block.ms` (Kafka: 60000): how long `send()` waits for the
    /// metadata of a topic it does not know yet; then it fails with
    /// `TimeoutException: Topic X not present in metadata after N ms.`
    pub max_block_ms: u64,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: Acks::All,
            retries: i32::MAX as u32,
            enable_idempotence: true,
            enable_idempotence_explicit: false,
            transactional_id: None,
            partitioner: PartitionerKind::Sticky,
            batch_size: 16_384,
            delivery_timeout_ms: 120_000,
            request_timeout_ms: 30_000,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            linger_ms: KAFKA_4_LINGER_MS,
            max_in_flight_requests_per_connection: 5,
            transaction_timeout_ms: 60_000,
            max_block_ms: 60_000,
        }
    }
}

impl ProducerConfig {
    /// The wait before retry number `failures + 1`, as
    /// `ExponentialBackoff.backoff(failures)` computes it with base 2 and no
    /// jitter: `retry.backoff.ms × 2^failures`, at most `retry.backoff.max.ms`.
    pub fn retry_backoff(&self, failures: u32) -> u64 {
        let initial = self.retry_backoff_ms.min(self.retry_backoff_max_ms);
        if self.retry_backoff_max_ms <= initial {
            return initial;
        }
        let factor = 1u64.checked_shl(failures.min(63)).unwrap_or(u64::MAX);
        initial.saturating_mul(factor).min(self.retry_backoff_max_ms)
    }

    /// The configuration the producer runs with, after Kafka's
    /// `postProcessAndValidateIdempotenceConfigs`: idempotence that was not
    /// set explicitly is turned off by `retries=0`, by `acks` other than
    /// `all` and by more than 5 requests in flight per connection; set
    /// explicitly, each of those is a `ConfigException`. A `transactional.id`
    /// then needs idempotence.
    pub fn resolved(&self) -> Result<ProducerConfig, KafkaError> {
        let mut c = self.clone();
        if c.enable_idempotence {
            let conflicts = [
                (c.retries == 0, "retries", "must be non-zero when using the idempotent producer"),
                (c.acks != Acks::All, "acks", "must be all in order to use the idempotent producer"),
                (
                    c.max_in_flight_requests_per_connection > 5,
                    "max.in.flight.requests.per.connection",
                    "must be at most 5 to use the idempotent producer",
                ),
            ];
            if let Some((_, key, reason)) = conflicts.iter().find(|(hit, _, _)| *hit) {
                if c.enable_idempotence_explicit {
                    return Err(invalid(key, *reason));
                }
                c.enable_idempotence = false;
            }
        }
        if c.transactional_id.is_some() && !c.enable_idempotence {
            return Err(invalid("transactional.id", "cannot set a transactional.id without also enabling idempotence"));
        }
        Ok(c)
    }

    /// Checks every value and the combinations Kafka refuses (see
    /// [`ProducerConfig::resolved`] for the idempotence rules).
    pub fn validate(&self) -> Result<(), KafkaError> {
        self.resolved()?;
        if self.transactional_id.as_deref() == Some("") {
            return Err(invalid("transactional.id", "must not be empty"));
        }
        if self.batch_size == 0 {
            return Err(invalid("batch.size", "the sticky partitioner needs a batch size of at least 1"));
        }
        if self.max_in_flight_requests_per_connection == 0 {
            return Err(invalid("max.in.flight.requests.per.connection", "must be at least 1"));
        }
        Ok(())
    }
}

/// `auto.offset.reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum OffsetReset {
    /// Start at the log start offset.
    Earliest,
    /// Start at the end (the default).
    #[default]
    Latest,
    /// Fail with NoOffsetForPartition.
    None,
}

/// `isolation.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum IsolationLevel {
    /// See everything up to the high watermark (the default).
    #[default]
    ReadUncommitted,
    /// See only committed transactional records, up to the last stable offset.
    ReadCommitted,
}

/// `group.protocol`: how a consumer takes part in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub enum GroupProtocol {
    /// The classic protocol (JoinGroup, SyncGroup, client-side assignors).
    /// Still the Java client's default in 4.0:
    /// `ConsumerConfig.DEFAULT_GROUP_PROTOCOL = GroupProtocol.CLASSIC`.
    #[default]
    Classic,
    /// The consumer group protocol (KIP-848, GA in Kafka 4.0): heartbeats
    /// carry each member's target assignment, computed by the coordinator.
    Consumer,
}

impl GroupProtocol {
    /// The config value, `classic` or `consumer`.
    pub fn name(self) -> &'static str {
        match self {
            GroupProtocol::Classic => "classic",
            GroupProtocol::Consumer => "consumer",
        }
    }
}

/// A consumer's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerConfig {
    /// `group.id`.
    pub group_id: String,
    /// `group.instance.id`, which makes the member static.
    pub group_instance_id: Option<String>,
    /// `partition.assignment.strategy`.
    pub assignor: Assignor,
    /// `enable.auto.commit` (Kafka: true).
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms` (Kafka: 5000).
    pub auto_commit_interval_ms: u64,
    /// `auto.offset.reset` (Kafka: latest).
    pub auto_offset_reset: OffsetReset,
    /// `isolation.level` (Kafka: read_uncommitted).
    pub isolation_level: IsolationLevel,
    /// `session.timeout.ms` (Kafka 3+: 45000).
    pub session_timeout_ms: u64,
    /// `heartbeat.interval.ms` (Kafka: 3000).
    pub heartbeat_interval_ms: u64,
    /// `max.poll.interval.ms` (Kafka: 300000).
    pub max_poll_interval_ms: u64,
    /// `max.poll.records` (Kafka: 500).
    pub max_poll_records: u32,
    /// `group.protocol` (Kafka 4.0: classic). With `consumer`, the
    /// assignor, session timeout and heartbeat interval come from the
    /// broker and the three client settings above are not used.
    pub group_protocol: GroupProtocol,
    /// `group.remote.assignor` (Kafka: none, the group's default): the
    /// server assignor a consumer-protocol member asks for.
    pub group_remote_assignor: Option<ServerAssignor>,
    /// `metadata.max.age.ms` (Kafka: 300000): how often the client
    /// refreshes its metadata; a classic group's leader sees partitions
    /// added to a subscribed topic only then.
    pub metadata_max_age_ms: u64,
    /// `allow.auto.create.topics` (Kafka: true): whether the consumer's
    /// metadata requests let the broker auto-create a missing subscribed
    /// topic (when the broker's `auto.create.topics.enable` allows it).
    pub allow_auto_create_topics: bool,
    /// Whether `subscribe()` was given a `ConsumerRebalanceListener`. The
    /// consumer-protocol client (Kafka 4.0 `AsyncKafkaConsumer`) runs its
    /// `onPartitionsRevoked` in the application thread's next `poll()`
    /// (`ConsumerMembershipManager.invokeOnPartitionsRevokedCallback`), so a
    /// revocation waits for that poll; without one it completes in the
    /// background at once. Classic members run it inside `poll()` anyway.
    pub rebalance_listener: bool,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            group_id: "group".to_string(),
            group_instance_id: None,
            assignor: Assignor::Range,
            enable_auto_commit: true,
            auto_commit_interval_ms: 5_000,
            auto_offset_reset: OffsetReset::Latest,
            isolation_level: IsolationLevel::ReadUncommitted,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            max_poll_records: 500,
            group_protocol: GroupProtocol::Classic,
            group_remote_assignor: None,
            metadata_max_age_ms: 300_000,
            allow_auto_create_topics: true,
            rebalance_listener: false,
        }
    }
}

impl ConsumerConfig {
    /// A consumer of `group_id` with every other setting at its default.
    pub fn new(group_id: impl Into<String>) -> Self {
        ConsumerConfig { group_id: group_id.into(), ..ConsumerConfig::default() }
    }

    /// Checks every value against the client's and the broker's limits
    /// (`group.min.session.timeout.ms` 6000, `group.max.session.timeout.ms` 1800000).
    pub fn validate(&self) -> Result<(), KafkaError> {
        if self.group_id.is_empty() {
            return Err(invalid("group.id", "must not be empty"));
        }
        if !(6_000..=1_800_000).contains(&self.session_timeout_ms) {
            return Err(invalid("session.timeout.ms", "must be between 6000 and 1800000"));
        }
        if self.heartbeat_interval_ms == 0 || self.heartbeat_interval_ms >= self.session_timeout_ms {
            return Err(invalid("heartbeat.interval.ms", "must be positive and below session.timeout.ms"));
        }
        if self.max_poll_interval_ms == 0 {
            return Err(invalid("max.poll.interval.ms", "must be at least 1"));
        }
        if self.max_poll_records == 0 {
            return Err(invalid("max.poll.records", "must be at least 1"));
        }
        if self.metadata_max_age_ms == 0 {
            return Err(invalid("metadata.max.age.ms", "must be at least 1"));
        }
        if self.enable_auto_commit && self.auto_commit_interval_ms == 0 {
            return Err(invalid("auto.commit.interval.ms", "must be at least 1"));
        }
        if self.group_instance_id.as_deref() == Some("") {
            return Err(invalid("group.instance.id", "must not be empty"));
        }
        // `ConsumerConfig.checkGroupRemoteAssignor` (Kafka 4.0).
        if self.group_remote_assignor.is_some() && self.group_protocol == GroupProtocol::Classic {
            return Err(invalid("group.remote.assignor", "cannot be set when group.protocol=CLASSIC"));
        }
        Ok(())
    }
}

/// `share.acknowledgement.mode`, the share consumer's setting (KIP-932, the
/// consumer config since Kafka 4.1; `implicit` by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AcknowledgementMode {
    /// Every record the previous `poll()` delivered is accepted by the next
    /// `poll()` (or `close()`); `acknowledge()` is refused.
    #[default]
    Implicit,
    /// The application acknowledges each record with accept, release or
    /// reject, and must have acknowledged every one before it polls again.
    Explicit,
}

/// `share.auto.offset.reset`, the group config that sets where a
/// share-partition starts (KIP-932; Kafka 4.2's default is `latest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ShareOffsetReset {
    /// The log start offset.
    Earliest,
    /// The high watermark when the share-partition is initialised (the default).
    #[default]
    Latest,
}

/// A share consumer (`KafkaShareConsumer`, KIP-932).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShareConsumerConfig {
    /// `group.id`: the share group it joins.
    pub group_id: String,
    /// `share.acknowledgement.mode` (Kafka 4.1+: implicit).
    pub acknowledgement_mode: AcknowledgementMode,
    /// `max.poll.records` (Kafka: 500), the most records one `poll()` acquires.
    pub max_poll_records: u32,
}

impl Default for ShareConsumerConfig {
    fn default() -> Self {
        ShareConsumerConfig {
            group_id: "share-group".to_string(),
            acknowledgement_mode: AcknowledgementMode::Implicit,
            max_poll_records: 500,
        }
    }
}

impl ShareConsumerConfig {
    /// A share consumer of `group_id` with every other setting at its default.
    pub fn new(group_id: impl Into<String>) -> Self {
        ShareConsumerConfig { group_id: group_id.into(), ..ShareConsumerConfig::default() }
    }

    /// Checks the values against the client's limits.
    pub fn validate(&self) -> Result<(), KafkaError> {
        if self.group_id.is_empty() {
            return Err(invalid("group.id", "must not be empty"));
        }
        if self.max_poll_records == 0 {
            return Err(invalid("max.poll.records", "must be at least 1"));
        }
        Ok(())
    }
}

/// A share group's settings: the broker's `group.share.*` defaults, which
/// `kafka-configs.sh --entity-type groups` overrides per group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShareGroupConfig {
    /// `share.record.lock.duration.ms` (broker default
    /// `group.share.record.lock.duration.ms` = 30000, allowed 1000 to 3600000):
    /// how long an acquired record stays locked to its consumer.
    pub record_lock_duration_ms: u64,
    /// `group.share.delivery.count.limit` (5, allowed 2 to 10): a record whose
    /// delivery attempt number this many fails is archived instead of
    /// becoming available again.
    pub delivery_count_limit: u16,
    /// `group.share.partition.max.record.locks` (Kafka 4.2: 2000; the first
    /// KIP-932 code had 200; allowed 100 to 10000): the in-flight window, the
    /// most records between the share-partition start and end offsets.
    pub partition_max_record_locks: u32,
    /// `share.auto.offset.reset` (latest).
    pub auto_offset_reset: ShareOffsetReset,
}

impl Default for ShareGroupConfig {
    fn default() -> Self {
        ShareGroupConfig {
            record_lock_duration_ms: 30_000,
            delivery_count_limit: 5,
            partition_max_record_locks: 2_000,
            auto_offset_reset: ShareOffsetReset::Latest,
        }
    }
}

impl ShareGroupConfig {
    /// Checks every value against the ranges Kafka's `ShareGroupConfig` defines.
    pub fn validate(&self) -> Result<(), KafkaError> {
        if !(1_000..=3_600_000).contains(&self.record_lock_duration_ms) {
            return Err(invalid("share.record.lock.duration.ms", "must be between 1000 and 3600000"));
        }
        if !(2..=10).contains(&self.delivery_count_limit) {
            return Err(invalid("group.share.delivery.count.limit", "must be between 2 and 10"));
        }
        if !(100..=10_000).contains(&self.partition_max_record_locks) {
            return Err(invalid("group.share.partition.max.record.locks", "must be between 100 and 10000"));
        }
        Ok(())
    }
}
