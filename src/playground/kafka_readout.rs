//! What the Kafka parts of a run show of the protocols as they change, read
//! from the engine's views alone: a consumer group's coordinator state,
//! generation and coordinator broker, each member's partitions; a
//! producer's accumulator, requests in flight and retries waiting with
//! their error and next attempt; a transactional producer's transaction at
//! its coordinator; a `read_committed` member's last stable offsets; and a
//! share group's share-partitions with each in-flight record's state and
//! delivery count.
//!
//! Cards stay small however much happens: what can grow (members,
//! partitions, records) is listed up to [`SHOWN`] lines and counted beyond.
//! The words are plain functions, tested here; [`Sim`] only gathers the
//! views.

use super::journal::{MessageRef, tp};
use super::model::{NodeConfig, NodeId};
use super::readout::{Facts, ItemList, Readout};
use super::sim::Sim;
use brokerlab_kafka as kafka;
use kafka::{GroupStateView, ShareRecordState, TransactionState};
use std::collections::BTreeMap;

/// Lines a list on a card shows before it says how many more there are.
pub const SHOWN: usize = 8;

/// Seconds of logical time, as the cards write an instant: "12.3 s".
fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// `items`, at most [`SHOWN`] of them, then "and N more `what`".
fn bounded(mut items: Vec<String>, what: &str) -> Vec<String> {
    if items.len() > SHOWN {
        let more = items.len() - SHOWN;
        items.truncate(SHOWN);
        items.push(format!("and {more} more {what}"));
    }
    items
}

/// A classic group's state at its coordinator, in words:
/// "Rebalancing: waiting for members to join", "Stable, generation 3".
pub fn group_state(state: GroupStateView, generation: i32) -> String {
    match state {
        GroupStateView::Empty => "Empty: no members".into(),
        GroupStateView::PreparingRebalance => "Rebalancing: waiting for members to join".into(),
        GroupStateView::CompletingRebalance => "Rebalancing: waiting for the leader's assignment".into(),
        GroupStateView::Stable => format!("Stable, generation {generation}"),
        GroupStateView::Dead => "Dead: the group is gone".into(),
        GroupStateView::Assigning => "Assigning: the coordinator computes a new target assignment".into(),
        GroupStateView::Reconciling => "Reconciling: members revoke and take partitions at their heartbeats".into(),
    }
}

/// The group's state line on its card: the state, and while members join,
/// how many have and when the join phase ends at the latest.
pub fn group_state_line(g: &kafka::GroupView) -> String {
    if g.protocol == kafka::GroupProtocol::Consumer {
        // A consumer-protocol group (KIP-848) counts group epochs, not generations.
        let epoch = g.group_epoch.unwrap_or(g.generation);
        return match g.state {
            GroupStateView::Stable => format!("Stable, group epoch {epoch} (consumer protocol)"),
            state => format!("{}, group epoch {epoch}", group_state(state, g.generation)),
        };
    }
    let words = group_state(g.state, g.generation);
    match (g.state, g.join_deadline_ms) {
        (GroupStateView::PreparingRebalance, deadline) => {
            let joined = g.members.iter().filter(|m| m.joined).count();
            let until = deadline.map(|d| format!(", at most until {}", secs(d))).unwrap_or_default();
            format!("{words} ({joined} of {} joined{until})", g.members.len())
        }
        _ => words,
    }
}

/// "Coordinator: broker 2", the leader of the group's `__consumer_offsets`
/// partition; none while no replica of it is alive.
pub fn coordinator(broker: Option<u32>, offsets_partition: u32) -> String {
    match broker {
        Some(b) => format!("Coordinator: broker {b} (__consumer_offsets-{offsets_partition})"),
        None => format!("Coordinator: none, no replica of __consumer_offsets-{offsets_partition} is alive"),
    }
}

/// A producer's unsettled records, per partition, in three kinds: records
/// in the accumulator (never sent: waiting for `linger.ms`, a full batch, a
/// free request slot or a leader), requests in flight (appended, waiting
/// for their acknowledgement) and retries waiting for their backoff, with
/// the error that failed the last attempt and the next attempt's time; then
/// the sends blocked on a topic the producer has no metadata for, per topic,
/// with the instant `max.block.ms` fails them.
pub fn producer_flights(p: &kafka::ProducerView, now_ms: u64) -> Vec<String> {
    #[derive(Default)]
    struct Partition<'a> {
        /// Never-sent records by the instant their batch is due.
        batches: BTreeMap<u64, usize>,
        appended: Vec<i64>,
        retries: Vec<&'a kafka::InFlightView>,
    }
    let mut by_partition: BTreeMap<String, Partition> = BTreeMap::new();
    for f in &p.in_flight {
        let entry = by_partition.entry(tp(&f.partition)).or_default();
        match (f.appended_at, f.attempts) {
            (Some(offset), _) => entry.appended.push(offset),
            (None, 0) => *entry.batches.entry(f.next_attempt_ms.unwrap_or(now_ms)).or_default() += 1,
            (None, _) => entry.retries.push(f),
        }
    }
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut lines = Vec::new();
    for (partition, x) in &by_partition {
        if !x.batches.is_empty() {
            let records: usize = x.batches.values().sum();
            let due = x.batches.keys().next().copied().unwrap_or(now_ms);
            let when = if due > now_ms { format!("sent in {} ms", due - now_ms) } else { "sent when it can".into() };
            lines.push(format!(
                "{partition}: {} in {} in the accumulator, {when}",
                plural(records, "record", "records"),
                plural(x.batches.len(), "batch", "batches")
            ));
        }
        if let (Some(first), Some(last)) = (x.appended.iter().min(), x.appended.iter().max()) {
            let offsets = if first == last { format!("offset {first}") } else { format!("offsets {first}..={last}") };
            lines.push(format!(
                "{partition}: {} in flight at {offsets}, waiting for acks={}",
                plural(x.appended.len(), "record", "records"),
                match p.config.acks {
                    kafka::Acks::Zero => "0",
                    kafka::Acks::One => "1",
                    kafka::Acks::All => "all",
                }
            ));
        }
        if let Some(f) = x.retries.iter().min_by_key(|f| f.next_attempt_ms) {
            let error = f.last_error.as_ref().map(|e| format!("{e:?}")).unwrap_or_else(|| "no answer".into());
            let next = match f.next_attempt_ms {
                Some(t) if t > now_ms => format!("next in {} ms", t - now_ms),
                _ => "next attempt due".into(),
            };
            let count = if x.retries.len() > 1 { format!("{} records, ", x.retries.len()) } else { String::new() };
            lines.push(format!(
                "{partition}: retry {} of {}, {error}, {next} ({count}delivery timeout at {})",
                f.attempts,
                p.config.retries,
                secs(f.delivery_deadline_ms)
            ));
        }
    }
    let mut waiting: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for w in &p.waiting_for_metadata {
        let entry = waiting.entry(w.topic.as_str()).or_insert((0, w.until));
        entry.0 += 1;
        entry.1 = entry.1.min(w.until);
    }
    for (topic, (n, until)) in waiting {
        lines.push(format!(
            "{topic}: {} waiting for the topic to exist, failing at {} (max.block.ms)",
            plural(n, "send", "sends"),
            secs(until)
        ));
    }
    bounded(lines, "partitions")
}

/// A transactional id as its coordinator sees it: the state, the
/// coordinating broker and epoch, and what an open or finishing transaction
/// waits for. Short lines, since they sit on the producer's card.
pub fn transaction(t: &kafka::TransactionView) -> Vec<String> {
    let state = match t.state {
        TransactionState::Empty => "Empty",
        TransactionState::Ongoing => "Ongoing",
        TransactionState::PrepareCommit => "PrepareCommit",
        TransactionState::PrepareAbort => "PrepareAbort",
        TransactionState::CompleteCommit => "CompleteCommit",
        TransactionState::CompleteAbort => "CompleteAbort",
    };
    let mut lines = vec![format!("{}: {state}", t.transactional_id)];
    lines.push(match t.coordinator {
        Some(b) => format!("coordinator broker {b} \u{b7} epoch {}", t.producer_epoch),
        None => format!("no coordinator: __transaction_state-{} has no live replica", t.coordinator_partition),
    });
    if let Some(started) = t.started_ms {
        lines.push(format!("open since {}, aborted at {}", secs(started), secs(started.saturating_add(t.timeout_ms))));
    }
    if !t.pending_markers.is_empty() {
        let parts: Vec<String> = t.pending_markers.iter().map(tp).collect();
        lines.push(format!("markers pending: {}", parts.join(" ")));
    }
    lines
}

/// A `read_committed` reader's limit per partition: it reads up to the last
/// stable offset, below the high watermark while a transaction is open.
pub fn last_stable_offsets<'a>(partitions: impl Iterator<Item = &'a kafka::PartitionView>) -> Vec<String> {
    let lines = partitions
        .map(|p| {
            let open = if p.last_stable_offset < p.high_watermark { ", an open transaction holds it back" } else { "" };
            format!("{}-{} LSO {} \u{b7} HW {}{open}", p.topic, p.partition, p.last_stable_offset, p.high_watermark)
        })
        .collect();
    bounded(lines, "partitions")
}

/// One share-partition: its start offset and in-flight window, how many of
/// its records are in each state, then each in-flight record with its state
/// and delivery count (up to [`SHOWN`]).
pub fn share_partition(sp: &kafka::SharePartitionView) -> Vec<String> {
    let count = |s: ShareRecordState| sp.in_flight.iter().filter(|r| r.state == s).count();
    let window = match (sp.in_flight.first(), sp.in_flight.last()) {
        (Some(a), Some(b)) => format!("in flight {}..={} ({} records)", a.offset, b.offset, sp.in_flight.len()),
        _ => "nothing in flight".into(),
    };
    let mut lines = vec![
        format!("start offset {} \u{b7} {window}", sp.start_offset),
        format!(
            "available {} \u{b7} acquired {} \u{b7} acknowledged {} \u{b7} archived {}",
            count(ShareRecordState::Available),
            count(ShareRecordState::Acquired),
            count(ShareRecordState::Acknowledged),
            count(ShareRecordState::Archived)
        ),
    ];
    let records: Vec<String> = sp
        .in_flight
        .iter()
        .map(|r| {
            let deliveries = format!("delivery {}", r.delivery_count);
            match (r.state, &r.consumer) {
                (ShareRecordState::Acquired, Some(c)) => format!("offset {} acquired by {c}, {deliveries}", r.offset),
                (ShareRecordState::Available, _) => format!("offset {} available, {deliveries}", r.offset),
                (ShareRecordState::Acknowledged, _) => format!("offset {} acknowledged, {deliveries}", r.offset),
                (ShareRecordState::Archived, _) => format!("offset {} archived, {deliveries}", r.offset),
                (ShareRecordState::Acquired, None) => format!("offset {} acquired, {deliveries}", r.offset),
            }
        })
        .collect();
    lines.extend(bounded(records, "records"));
    lines
}

impl Sim {
    /// A consumer group's card: its state, coordinator, members with their
    /// partitions, and each partition's committed offset and lag.
    pub(super) fn group_readout(&self, r: &mut Readout, name: &str) {
        let Some(g) = self.cluster().and_then(|k| k.group(name)) else {
            r.lines.push("no members yet".into());
            return;
        };
        r.lines.push(group_state_line(&g));
        r.lines.push(coordinator(g.coordinator, g.offsets_partition));
        let members = g
            .members
            .iter()
            .map(|m| {
                let parts: Vec<String> = m.assignment.iter().map(tp).collect();
                let what = if parts.is_empty() { "idle".to_string() } else { parts.join(" ") };
                match m.member_epoch {
                    // A consumer-protocol member: its epoch, and what it still has to give up.
                    Some(epoch) if m.pending_revocation.is_empty() => {
                        format!("{}: {what} (epoch {epoch})", m.member_id)
                    }
                    Some(epoch) => {
                        let revoking: Vec<String> = m.pending_revocation.iter().map(tp).collect();
                        format!("{}: {what} (epoch {epoch}, revoking {})", m.member_id, revoking.join(" "))
                    }
                    None => format!("{}: {what}", m.member_id),
                }
            })
            .collect();
        r.facts.push(Facts { label: format!("Members of group {name}"), items: bounded(members, "members") });
        let lag = g
            .lag
            .iter()
            .map(|l| {
                let committed = l.committed.map_or("none".to_string(), |c| c.to_string());
                // Without a commit the lag is unknown, as `kafka-consumer-groups` prints "-".
                let lag = l.lag.map_or("-".to_string(), |v| v.to_string());
                format!("{} committed {committed} \u{b7} lag {lag}", tp(&l.partition))
            })
            .collect();
        r.facts.push(Facts { label: format!("Offsets of group {name}"), items: bounded(lag, "partitions") });
    }

    /// A share group's card: its members, then per share-partition its
    /// start offset, in-flight window and records' states.
    pub(super) fn share_group_readout(&self, r: &mut Readout, name: &str) {
        let Some(g) = self.cluster().and_then(|k| k.share_group(name)) else {
            r.lines.push("no members yet".into());
            return;
        };
        r.lines.push(format!("{} share consumers", g.members.len()));
        if g.partitions.is_empty() {
            r.lines.push("no share-partition yet: initialised at the first fetch".into());
        }
        let mut partitions = g.partitions.iter();
        for sp in partitions.by_ref().take(SHOWN) {
            r.facts.push(Facts {
                label: format!("Share-partition {} of {name}", tp(&sp.partition)),
                items: share_partition(sp),
            });
        }
        let more = partitions.count();
        if more > 0 {
            r.lines.push(format!("and {more} more share-partitions"));
        }
    }

    /// What a Kafka producer has unsettled, and its transaction.
    pub(super) fn producer_readout(&self, r: &mut Readout, name: &str) {
        let Some(k) = self.cluster() else { return };
        let Ok(p) = k.producer(name) else { return };
        let flights = producer_flights(&p, self.now_ms());
        if !flights.is_empty() {
            r.facts.push(Facts { label: format!("Unsent and unacknowledged records of {name}"), items: flights });
        }
        // Each partition it waits on opens what it waits for, and why.
        let mut waits: Vec<(String, u32)> =
            p.in_flight.iter().map(|f| (f.partition.topic.clone(), f.partition.partition)).collect();
        brokerlab_order::sort(&mut waits);
        waits.dedup();
        if !waits.is_empty() {
            r.lists.push(ItemList {
                label: format!("Partitions {name} waits on"),
                caption: String::new(),
                more: waits.len().saturating_sub(SHOWN),
                items: waits
                    .into_iter()
                    .take(SHOWN)
                    .map(|(topic, partition)| {
                        let text = format!("{topic}-{partition}");
                        (MessageRef::Send { producer: name.to_string(), topic, partition }, text)
                    })
                    .collect(),
            });
        }
        if p.fenced {
            r.lines.push("fenced: a newer epoch of its transactional id exists".into());
        }
        if let Some(t) = p.config.transactional_id.as_deref().and_then(|t| k.transaction(t)) {
            r.facts.push(Facts { label: format!("Transaction of {name}"), items: transaction(&t) });
        }
    }

    /// A Kafka group member's generation and rebalance, and, reading
    /// `read_committed`, its partitions' last stable offsets.
    pub(super) fn member_readout(&self, r: &mut Readout, id: NodeId, name: &str) {
        let Some(k) = self.cluster() else { return };
        let Ok(c) = k.consumer(name) else { return };
        match (c.rebalancing, c.generation) {
            (true, _) => r.lines.push("rebalancing: joined, waiting for its assignment".into()),
            (false, Some(g)) => r.lines.push(format!("generation {g}")),
            (false, None) => r.lines.push("not in the group yet: joins at its first poll".into()),
        }
        let read_committed = matches!(
            self.topology().node(id).map(|n| &n.config),
            Some(NodeConfig::Consumer(s)) if s.isolation == super::model::Isolation::ReadCommitted
        );
        if read_committed && !c.assignment.is_empty() {
            let views: Vec<kafka::PartitionView> =
                c.assignment.iter().filter_map(|a| k.partition(&a.topic, a.partition).ok()).collect();
            r.facts.push(Facts {
                label: format!("Last stable offsets for {name}"),
                items: last_stable_offsets(views.iter()),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka::{InFlightView, MemberView, ProduceError, ShareRecordView, TopicPartition};

    #[test]
    fn a_groups_phases_read_as_the_coordinator_names_them() {
        assert_eq!(group_state(GroupStateView::PreparingRebalance, 2), "Rebalancing: waiting for members to join");
        assert_eq!(
            group_state(GroupStateView::CompletingRebalance, 2),
            "Rebalancing: waiting for the leader's assignment"
        );
        assert_eq!(group_state(GroupStateView::Stable, 3), "Stable, generation 3");
        assert_eq!(coordinator(Some(2), 17), "Coordinator: broker 2 (__consumer_offsets-17)");
        assert_eq!(coordinator(None, 17), "Coordinator: none, no replica of __consumer_offsets-17 is alive");
    }

    fn member(name: &str, joined: bool) -> MemberView {
        MemberView {
            member_id: name.into(),
            group_instance_id: None,
            alive: true,
            assignment: Vec::new(),
            subscription: vec!["t1".into()],
            joined,
            protocol: kafka::GroupProtocol::Classic,
            member_epoch: None,
            target: Vec::new(),
            pending_revocation: Vec::new(),
        }
    }

    #[test]
    fn a_join_phase_counts_the_members_that_joined_and_says_when_it_ends() {
        let g = kafka::GroupView {
            group_id: "g1".into(),
            protocol: kafka::GroupProtocol::Classic,
            assignor: kafka::Assignor::Range,
            generation: 1,
            group_epoch: None,
            assignment_epoch: None,
            server_assignor: None,
            state: GroupStateView::PreparingRebalance,
            offsets_partition: 3,
            coordinator: Some(0),
            join_deadline_ms: Some(4_500),
            members: vec![member("c1", true), member("c2", false)],
            committed: Vec::new(),
            lag: Vec::new(),
        };
        assert_eq!(
            group_state_line(&g),
            "Rebalancing: waiting for members to join (1 of 2 joined, at most until 4.5 s)"
        );
    }

    fn flight(partition: u32, attempts: u32, appended_at: Option<i64>, next: Option<u64>) -> InFlightView {
        InFlightView {
            partition: TopicPartition::new("t1", partition),
            sequence: -1,
            attempts,
            appended_at,
            next_attempt_ms: next,
            request_deadline_ms: None,
            delivery_deadline_ms: 120_000,
            last_error: (attempts > 0 && appended_at.is_none()).then_some(ProduceError::NotEnoughReplicas),
        }
    }

    fn producer(in_flight: Vec<InFlightView>) -> kafka::ProducerView {
        kafka::ProducerView {
            name: "p1".into(),
            config: kafka::ProducerConfig::default(),
            producer_id: 0,
            epoch: 0,
            in_flight,
            accumulator: Vec::new(),
            requests: Vec::new(),
            retries: Vec::new(),
            waiting_for_metadata: Vec::new(),
            transaction_open: false,
            transaction_state: None,
            transaction: None,
            fenced: false,
            closed: false,
        }
    }

    #[test]
    fn a_producer_shows_its_batches_requests_and_retries_per_partition() {
        let p = producer(vec![
            flight(0, 0, None, Some(1_005)),
            flight(0, 0, None, Some(1_005)),
            flight(0, 0, None, Some(1_010)),
            flight(1, 1, Some(7), None),
            flight(1, 1, Some(8), None),
            flight(2, 2, None, Some(1_100)),
            flight(2, 2, None, Some(1_100)),
        ]);
        let retries = kafka::ProducerConfig::default().retries;
        assert_eq!(
            producer_flights(&p, 1_000),
            vec![
                "t1-0: 3 records in 2 batches in the accumulator, sent in 5 ms".to_string(),
                "t1-1: 2 records in flight at offsets 7..=8, waiting for acks=all".to_string(),
                format!(
                    "t1-2: retry 2 of {retries}, NotEnoughReplicas, next in 100 ms (2 records, delivery timeout at 120.0 s)"
                ),
            ]
        );
        // Once its backoff has passed, a retry waits for its turn.
        let p = producer(vec![flight(0, 1, None, Some(900))]);
        assert_eq!(
            producer_flights(&p, 1_000),
            vec![format!(
                "t1-0: retry 1 of {retries}, NotEnoughReplicas, next attempt due (delivery timeout at 120.0 s)"
            )]
        );
        assert!(producer_flights(&producer(Vec::new()), 0).is_empty());
    }

    #[test]
    fn a_producer_shows_the_sends_that_wait_for_a_missing_topic() {
        let mut p = producer(Vec::new());
        let wait =
            |until| kafka::MetadataWaitView { topic: "audit".into(), partition: None, next_request_ms: 100, until };
        p.waiting_for_metadata = vec![wait(60_000), wait(61_000)];
        assert_eq!(
            producer_flights(&p, 0),
            vec!["audit: 2 sends waiting for the topic to exist, failing at 60.0 s (max.block.ms)".to_string()]
        );
    }

    #[test]
    fn a_producer_on_many_partitions_is_summarised() {
        let p = producer((0..12).map(|i| flight(i, 0, None, Some(5))).collect());
        let lines = producer_flights(&p, 0);
        assert_eq!(lines.len(), SHOWN + 1);
        assert_eq!(lines.last().map(String::as_str), Some("and 4 more partitions"));
    }

    #[test]
    fn a_transaction_shows_its_state_coordinator_and_pending_markers() {
        let mut t = kafka::TransactionView {
            transactional_id: "tx".into(),
            producer: "p1".into(),
            producer_id: 4,
            producer_epoch: 1,
            state: TransactionState::Ongoing,
            coordinator_partition: 21,
            coordinator: Some(1),
            partitions: vec![TopicPartition::new("t1", 0)],
            started_ms: Some(2_000),
            timeout_ms: 60_000,
            pending_markers: Vec::new(),
        };
        assert_eq!(
            transaction(&t),
            vec!["tx: Ongoing", "coordinator broker 1 \u{b7} epoch 1", "open since 2.0 s, aborted at 62.0 s"]
        );
        t.state = TransactionState::PrepareCommit;
        t.started_ms = None;
        t.pending_markers = vec![TopicPartition::new("t1", 0)];
        t.coordinator = None;
        assert_eq!(
            transaction(&t),
            vec![
                "tx: PrepareCommit",
                "no coordinator: __transaction_state-21 has no live replica",
                "markers pending: t1-0"
            ]
        );
    }

    fn record(offset: i64, state: ShareRecordState, delivery_count: u16, consumer: Option<&str>) -> ShareRecordView {
        ShareRecordView { offset, state, delivery_count, consumer: consumer.map(String::from), locked_until: None }
    }

    #[test]
    fn a_share_partition_shows_its_window_counts_and_each_records_state() {
        let sp = kafka::SharePartitionView {
            partition: TopicPartition::new("t1", 0),
            start_offset: 3,
            end_offset: 6,
            in_flight: vec![
                record(3, ShareRecordState::Archived, 5, Some("c1")),
                record(4, ShareRecordState::Acquired, 1, Some("c2")),
                record(5, ShareRecordState::Available, 2, Some("c1")),
                record(6, ShareRecordState::Acknowledged, 1, Some("c1")),
            ],
        };
        assert_eq!(
            share_partition(&sp),
            vec![
                "start offset 3 \u{b7} in flight 3..=6 (4 records)",
                "available 1 \u{b7} acquired 1 \u{b7} acknowledged 1 \u{b7} archived 1",
                "offset 3 archived, delivery 5",
                "offset 4 acquired by c2, delivery 1",
                "offset 5 available, delivery 2",
                "offset 6 acknowledged, delivery 1",
            ]
        );
        let empty = kafka::SharePartitionView { in_flight: Vec::new(), ..sp };
        assert_eq!(share_partition(&empty)[0], "start offset 3 \u{b7} nothing in flight");
    }

    #[test]
    fn a_long_share_window_is_summarised() {
        let sp = kafka::SharePartitionView {
            partition: TopicPartition::new("t1", 0),
            start_offset: 0,
            end_offset: 19,
            in_flight: (0..20).map(|o| record(o, ShareRecordState::Available, 0, None)).collect(),
        };
        let lines = share_partition(&sp);
        assert_eq!(lines.len(), 2 + SHOWN + 1);
        assert_eq!(lines.last().map(String::as_str), Some("and 12 more records"));
    }

    #[test]
    fn a_read_committed_reader_sees_where_an_open_transaction_holds_it() {
        let p = kafka::PartitionView {
            topic: "t1".into(),
            partition: 0,
            leader: Some(0),
            leader_epoch: 0,
            replicas: Vec::new(),
            isr: vec![0],
            elr: Vec::new(),
            last_known_elr: Vec::new(),
            high_watermark: 7,
            log_start_offset: 0,
            log_end_offset: 7,
            last_stable_offset: 5,
            retained_records: 7,
            retained_bytes: 70,
            segments: 1,
        };
        assert_eq!(
            last_stable_offsets([p.clone()].iter()),
            vec!["t1-0 LSO 5 \u{b7} HW 7, an open transaction holds it back"]
        );
        let settled = kafka::PartitionView { last_stable_offset: 7, ..p };
        assert_eq!(last_stable_offsets([settled].iter()), vec!["t1-0 LSO 7 \u{b7} HW 7"]);
    }
}
