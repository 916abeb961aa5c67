//! Committed offsets expire (Kafka 2.1+, KIP-211; Kafka 4.0
//! `OffsetMetadataManager.cleanupExpiredOffsets`): every
//! `offsets.retention.check.interval.ms` the coordinator deletes the offsets
//! that are `offsets.retention.minutes` old, counted
//!
//! - for a classic group that is Empty, from the instant it became Empty
//!   (`ClassicGroup.offsetExpirationCondition`, `currentStateTimestamp`), or
//!   from the commit for a group that never had members;
//! - for a Stable classic group and for a consumer-protocol group, from the
//!   commit, and only for topics no member subscribes to
//!   (`isSubscribedToTopic`); a classic group rebalancing keeps everything.
//!
//! An Empty group left without offsets is deleted (it becomes Dead). The
//! check runs at the multiples of the interval on the logical clock.

use super::*;

/// When a group's offsets were committed and when it became Empty.
#[derive(Debug, Clone, Default)]
pub(crate) struct OffsetsMeta {
    /// The instant of each partition's last commit.
    pub(crate) commit_ms: BTreeMap<TopicPartition, u64>,
    /// When the classic group last became Empty, while it is.
    pub(crate) empty_since: Option<u64>,
}

impl Cluster {
    /// Remembers the instant of a commit.
    pub(super) fn note_commit(&mut self, group: &str, offsets: &[(TopicPartition, i64)]) {
        let now = self.now;
        let meta = self.offsets_meta.entry(group.to_string()).or_default();
        for (tp, _) in offsets {
            meta.commit_ms.insert(tp.clone(), now);
        }
    }

    /// A group's state moved to or from Empty.
    pub(super) fn note_group_empty(&mut self, group: &str, empty: bool) {
        let now = self.now;
        let meta = self.offsets_meta.entry(group.to_string()).or_default();
        meta.empty_since = if empty { Some(now) } else { None };
    }

    fn retention_ms(&self) -> u64 {
        self.config.offsets_retention_minutes.saturating_mul(60_000)
    }

    /// The topics a group's members subscribe to.
    fn subscribed_topics(&self, group: &str) -> BTreeSet<&str> {
        if let Some(mg) = self.modern.get(group) {
            return mg.members.values().flat_map(|m| m.subscription.iter().map(String::as_str)).collect();
        }
        let Some(g) = self.groups.get(group) else { return BTreeSet::new() };
        g.members
            .iter()
            .filter_map(|m| self.consumers.get(m))
            .flat_map(|c| c.subscription.iter().map(String::as_str))
            .collect()
    }

    /// The instant from which an offset's retention counts, if it can expire
    /// now; `subscribed` is [`Cluster::subscribed_topics`] of the group.
    fn expiry_base(&self, group: &str, tp: &TopicPartition, subscribed: &BTreeSet<&str>) -> Option<u64> {
        let g = self.groups.get(group)?;
        let meta = self.offsets_meta.get(group);
        let commit = meta.and_then(|m| m.commit_ms.get(tp)).copied().unwrap_or(0);
        if self.modern.contains_key(group) {
            return (!subscribed.contains(tp.topic.as_str())).then_some(commit);
        }
        if g.members.is_empty() {
            return Some(meta.and_then(|m| m.empty_since).unwrap_or(commit));
        }
        let stable = self.classic.get(group).is_none_or(|cg| cg.phase == GroupStateView::Stable);
        (stable && !subscribed.contains(tp.topic.as_str())).then_some(commit)
    }

    /// The next check at which some offset expires.
    pub(super) fn offsets_expiry_due(&self, at: &mut impl FnMut(u64)) {
        let interval = self.config.offsets_retention_check_interval_ms;
        let retention = self.retention_ms();
        for (id, g) in &self.groups {
            if self.coordinator_of(id).is_none() {
                continue;
            }
            if g.members.is_empty() && g.committed.is_empty() {
                // Deleted at the next check.
                at(self.now.saturating_add(1).div_ceil(interval).saturating_mul(interval).min(time::MAX_TIME));
                continue;
            }
            let subscribed = self.subscribed_topics(id);
            let earliest = g.committed.keys().filter_map(|tp| self.expiry_base(id, tp, &subscribed)).min();
            if let Some(base) = earliest {
                let t = base.saturating_add(retention).min(time::MAX_TIME);
                at(t.div_ceil(interval).saturating_mul(interval).min(time::MAX_TIME));
            }
        }
    }

    /// The coordinator's periodic cleanup at instant `t`, when `t` is a check.
    pub(super) fn step_offsets(&mut self, t: u64) {
        if !t.is_multiple_of(self.config.offsets_retention_check_interval_ms) {
            return;
        }
        let retention = self.retention_ms();
        let ids: Vec<String> = self.groups.keys().cloned().collect();
        for id in ids {
            if self.coordinator_of(&id).is_none() {
                continue;
            }
            let Some(g) = self.groups.get(&id) else { continue };
            let subscribed = self.subscribed_topics(&id);
            let expired: Vec<TopicPartition> = g
                .committed
                .keys()
                .filter(|tp| {
                    self.expiry_base(&id, tp, &subscribed).is_some_and(|base| t.saturating_sub(base) >= retention)
                })
                .cloned()
                .collect();
            if !expired.is_empty() {
                if let Some(g) = self.groups.get_mut(&id) {
                    for tp in &expired {
                        g.committed.remove(tp);
                    }
                }
                if let Some(meta) = self.offsets_meta.get_mut(&id) {
                    for tp in &expired {
                        meta.commit_ms.remove(tp);
                    }
                }
                self.emit(Event::OffsetsExpired { group: id.clone(), partitions: expired });
            }
            // `cleanupGroupMetadata`: an Empty group without offsets is deleted.
            if self.groups.get(&id).is_some_and(|g| g.members.is_empty() && g.committed.is_empty()) {
                self.groups.remove(&id);
                self.classic.remove(&id);
                self.modern.remove(&id);
                self.offsets_meta.remove(&id);
                self.emit(Event::GroupStateChanged {
                    group: id,
                    from: GroupStateView::Empty,
                    to: GroupStateView::Dead,
                });
            }
        }
    }
}
