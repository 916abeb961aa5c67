//! The RabbitMQ release the engine behaves as. Brokerlab models one release
//! line at a time: [`Version`] names it, and the broker asks it (through the
//! small predicates below) wherever the releases differ, so every
//! version-dependent rule in the engine is listed here with the release that
//! changed it and the RabbitMQ source it rests on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A RabbitMQ release line. Each profile follows the newest patch release of
/// its line that the engine was checked against (3.10.8, 3.13.7, 4.0.9,
/// 4.1.x, 4.2.x, 4.3.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Version {
    #[serde(rename = "3.10")]
    V3_10,
    #[serde(rename = "3.13")]
    V3_13,
    #[serde(rename = "4.0")]
    V4_0,
    #[serde(rename = "4.1")]
    V4_1,
    #[serde(rename = "4.2")]
    V4_2,
    #[default]
    #[serde(rename = "4.3")]
    V4_3,
}

impl Version {
    /// Every profile, oldest first.
    pub const ALL: [Version; 6] =
        [Version::V3_10, Version::V3_13, Version::V4_0, Version::V4_1, Version::V4_2, Version::V4_3];

    /// The newest profile, which a broker gets unless told otherwise.
    pub const LATEST: Version = Version::V4_3;

    /// The release line as RabbitMQ writes it: `"3.10"`, `"4.3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V3_10 => "3.10",
            Version::V3_13 => "3.13",
            Version::V4_0 => "4.0",
            Version::V4_1 => "4.1",
            Version::V4_2 => "4.2",
            Version::V4_3 => "4.3",
        }
    }

    /// The profile for a server's full version string, as a broker reports
    /// it in `connection.start` (`"3.10.8"`, `"4.3.5"`, `"4.1.0-rc.1"`).
    /// A release between two profiles (3.11, 3.12) takes the older one;
    /// `None` for something older than 3.10 or not a version at all.
    pub fn from_server(version: &str) -> Option<Version> {
        let mut parts = version.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        Some(match (major, minor) {
            (3, 10..=12) => Version::V3_10,
            (3, 13..) => Version::V3_13,
            (4, 0) => Version::V4_0,
            (4, 1) => Version::V4_1,
            (4, 2) => Version::V4_2,
            (4, _) | (5.., _) => Version::V4_3,
            _ => return None,
        })
    }

    /// 4.3.0 moved the deprecated feature `transient_nonexcl_queues` to
    /// `denied_by_default`: declaring a queue that is neither durable nor
    /// exclusive closes the connection with 541 INTERNAL_ERROR
    /// (`rabbit_amqqueue:declare/7`, `is_queue_args_combination_permitted/2`).
    pub fn refuses_transient_nonexclusive_queues(self) -> bool {
        self >= Version::V4_3
    }

    /// 4.3.0 moved `global_qos` to `denied_by_default`: `basic.qos` with
    /// `global=true` is handled as `global=false`, a per-consumer prefetch
    /// (`rabbit_channel:handle_method/3` for `basic.qos`).
    pub fn channel_wide_qos(self) -> bool {
        self < Version::V4_3
    }

    /// 4.3.5 added `rabbit_exchange_type_topic:validate_binding/2`, which
    /// refuses a topic binding key with more than two `#` words.
    pub fn limits_topic_hashes(self) -> bool {
        self >= Version::V4_3
    }

    /// The delivery limit a quorum queue has without `x-delivery-limit`:
    /// 20 since 4.0 (`rabbit_quorum_queue`, `?DEFAULT_DELIVERY_LIMIT`), none
    /// before.
    pub fn default_quorum_delivery_limit(self) -> Option<u64> {
        (self >= Version::V4_0).then_some(20)
    }

    /// Whether a return of this kind counts towards a quorum queue's delivery
    /// limit. Before 4.3 every return counts (`rabbit_fifo` `return_one`
    /// raises `delivery_count`, 4.0-4.2 `acquired_count`); since 4.3 only a
    /// `basic.reject` (a modify with `delivery_failed`) and a consumer that
    /// went away do, and `basic.nack` with requeue does not.
    pub fn return_counts_towards_limit(self, rejected_or_lost: bool) -> bool {
        self < Version::V4_3 || rejected_or_lost
    }

    /// 4.0-4.2 send returns from a quorum queue whose delivery limit is
    /// disabled through the Ra aux handler as `#requeue{}` commands, which
    /// append at the tail (`rabbit_fifo_client:return/3`,
    /// `rabbit_fifo:make_requeue/4`); other releases return to the head.
    pub fn quorum_unlimited_return_to_tail(self) -> bool {
        matches!(self, Version::V4_0 | Version::V4_1 | Version::V4_2)
    }

    /// How a quorum queue orders messages by their `priority` property.
    /// 3.10 and 3.13 ignore it (`rabbit_fifo` has one message queue);
    /// 4.0-4.2 have two buckets, above 4 and the rest, taken about two to
    /// one (`rabbit_fifo_q`, `?WEIGHT` 2, `rabbit_fifo:priority_tag/1`);
    /// 4.3 has 32 strict levels in which an unmarked message counts as 4
    /// (`rabbit_fifo_pq`, `rabbit_fifo:msg_priority/1`). In every release a
    /// quorum queue refuses `x-max-priority` (406, see `declare.rs`).
    pub fn quorum_message_priorities(self) -> QuorumPriorities {
        match self {
            Version::V3_10 | Version::V3_13 => QuorumPriorities::None,
            Version::V4_0 | Version::V4_1 | Version::V4_2 => QuorumPriorities::TwoWeighted,
            Version::V4_3 => QuorumPriorities::Strict32,
        }
    }

    /// Whether consumer priority decides a single-active-consumer quorum
    /// queue's active consumer. From 4.0 (`rabbit_fifo:activate_next_consumer/2`,
    /// `sort_waiting/1`) waiting consumers are ranked by priority, then
    /// credit, then attach order, and a waiting consumer of higher priority
    /// takes over: at once if the active one holds no unsettled message,
    /// else once it has settled them, receiving nothing new meanwhile
    /// (`quiescing`). 3.10 and 3.13 activate the waiting consumers in the
    /// order they attached and never switch while the active one stays.
    pub fn quorum_sac_priority(self) -> bool {
        self >= Version::V4_0
    }

    /// Whether a passive `queue.declare` or `exchange.declare` needs a
    /// permission on the resource. Up to 4.2.6 it needs none (the passive
    /// clauses of `rabbit_channel:handle_method/6` check nothing); 4.3.0
    /// asked for configure; 4.2.7 and 4.3.1 settled on any of read, write
    /// or configure (`check_any_resource_access_permitted/3`, PR #16085),
    /// refusing with the configure error. The 4.2 profile follows the
    /// newest 4.2 patch releases here.
    pub fn passive_declare_needs_permission(self) -> bool {
        self >= Version::V4_2
    }

    /// Single active consumer on streams and super stream partitions
    /// arrived in 3.11 (`rabbit_stream_sac_coordinator`, release notes
    /// 3.11.0); 3.10's stream reader ignores the `single-active-consumer`
    /// subscription property, so every consumer reads. Super streams
    /// themselves are older: 3.10 already has
    /// `rabbit_stream_manager:create_super_stream/6`, `rabbitmq-streams
    /// add_super_stream` and the `partitions` and `route` commands.
    pub fn stream_single_active_consumer(self) -> bool {
        self >= Version::V3_13
    }

    /// What `basic.nack` and `basic.reject` do to a stream consumer's
    /// delivery. Up to 3.12 `rabbit_stream_queue:settle/5` accepts only
    /// `complete` and answers anything else with 540 NOT_IMPLEMENTED
    /// ("basic.nack and basic.reject not supported by stream queues");
    /// from 3.13.0 every settle reason, requeue or not, just gives the
    /// reader its credit back, as an ack does: nothing is requeued or
    /// dead-lettered, the record stays in the log.
    pub fn stream_settles_nack_as_ack(self) -> bool {
        self >= Version::V3_13
    }

    /// `x-max-priority: 0` gives one level in 3.10 and two (0 and 1) from
    /// 3.13 on, where `rabbit_priority_queue:priorities/1` takes
    /// `max(1, ...)`.
    pub fn min_priority_levels(self) -> usize {
        if self >= Version::V3_13 { 2 } else { 1 }
    }

    /// 3.10's headers exchange compares values with Erlang `==` on the raw
    /// table values, so `1` equals `1.0` and a timestamp header is compared
    /// in seconds; 3.13 and 4.x use `=:=` and, from 4.0, message headers
    /// carry timestamps in milliseconds (`rabbit_exchange_type_headers`).
    pub fn headers_loose_equality(self) -> bool {
        self == Version::V3_10
    }

    /// Whether the broker reads an `x-death` header a client republished
    /// and keeps counting in it when the message dies again. 3.10 (and
    /// 3.13.3 onwards) do (`rabbit_dead_letter`, PR #11339); 4.x ignores
    /// `x-` headers from clients.
    pub fn reads_client_x_death(self) -> bool {
        self < Version::V4_0
    }

    /// Policies may apply to one queue type (`apply-to` `classic_queues`,
    /// `quorum_queues`, `streams`) since 3.12 (`rabbit_policy:apply_to_validation/2`,
    /// `matches_queue_type/3`); 3.10 knows `queues`, `exchanges` and `all`.
    /// 3.12 also let operator policies set `overflow` and `queue-version`
    /// (`rabbit_policies:register/0`). Which policy keys each release knows
    /// and each queue type lacks is listed in `broker/policy.rs`.
    pub fn policies_apply_to_queue_types(self) -> bool {
        self >= Version::V3_13
    }

    /// A quorum queue whose `expires` both its argument and its policy set
    /// takes the lower from 4.0, and the policy's before
    /// (`rabbit_quorum_queue:ra_machine_config/1`, `policyHasPrecedence`).
    pub fn quorum_expires_takes_minimum(self) -> bool {
        self >= Version::V4_0
    }

    /// From 4.0 a negative `delivery-limit` means none: a policy may set it
    /// (`rabbit_policies:validate_policy0/2`), and against a limit from the
    /// other side it loses (`rabbit_quorum_queue:resolve_delivery_limit/2`,
    /// `rabbit_policies:merge_policy_value/3`).
    pub fn negative_delivery_limit_is_unlimited(self) -> bool {
        self >= Version::V4_0
    }

    /// A declare without `x-queue-type` in a vhost whose default queue type
    /// does not fit it (an exclusive or auto-delete queue for a quorum
    /// default) gets `x-queue-type: classic` written into its arguments
    /// since 3.11; 3.10.8 leaves them (`rabbit_amqqueue:augment_declare_args/5`).
    pub fn writes_fallback_queue_type(self) -> bool {
        self >= Version::V3_13
    }

    /// `x-last-death-*` headers arrived in 3.13.
    pub fn last_death_headers(self) -> bool {
        self >= Version::V3_13
    }
}

/// The message priorities of a quorum queue in one release
/// ([`Version::quorum_message_priorities`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumPriorities {
    /// First in, first out; the `priority` property is ignored.
    None,
    /// Two buckets, priority above 4 and the rest, weighted 2:1.
    TwoWeighted,
    /// 32 strict levels (0-31), unmarked messages at 4.
    Strict32,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string that names no profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownVersion(pub String);

impl fmt::Display for UnknownVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown RabbitMQ version '{}': expected one of 3.10, 3.13, 4.0, 4.1, 4.2, 4.3", self.0)
    }
}

impl std::error::Error for UnknownVersion {}

impl FromStr for Version {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| UnknownVersion(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_version_strings_map_to_their_release_line() {
        assert_eq!(Version::from_server("3.10.8"), Some(Version::V3_10));
        assert_eq!(Version::from_server("3.12.14"), Some(Version::V3_10));
        assert_eq!(Version::from_server("3.13.7"), Some(Version::V3_13));
        assert_eq!(Version::from_server("4.1.0-rc.1"), Some(Version::V4_1));
        assert_eq!(Version::from_server("4.3.5"), Some(Version::V4_3));
        assert_eq!(Version::from_server("3.9.29"), None);
        assert_eq!(Version::from_server("banana"), None);
    }

    #[test]
    fn profile_names_round_trip_and_unknown_ones_are_refused() {
        for v in Version::ALL {
            assert_eq!(v.as_str().parse::<Version>(), Ok(v));
        }
        assert_eq!("3.11".parse::<Version>(), Err(UnknownVersion("3.11".into())));
    }
}
