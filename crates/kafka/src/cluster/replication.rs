//! Replication and the log cleaner, the periodic work on the partitions:
//! followers fetching from leaders, ISR shrink and expansion, the high
//! watermark, retention and compaction. The `time` module decides when they run.

use super::*;

impl Cluster {
    /// One pass of every follower of every led partition. With `fetch`
    /// (on the `step_ms` grid) followers copy up to
    /// `replica.fetch.max.records`; at every due instant the leader takes
    /// caught-up followers back into the ISR and moves the high watermark.
    /// Followers that lagged past `replica.lag.time.max.ms` leave the ISR
    /// only at the leader broker's next ISR check (`isr_check_at`).
    pub(super) fn step_replication(&mut self, fetch: bool) {
        let now = self.now;
        let lag_max = self.config.replica_lag_time_max_ms;
        let fetch_max = i64::from(self.config.replica_fetch_max_records);
        // ISR changes go through the active controller (AlterPartition):
        // without one the leader keeps the ISR it has.
        let isr_changes = self.quorum_active();
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics.get(&name).map_or(0, |t| t.partitions.len());
            for p in 0..count {
                let brokers = &self.brokers;
                let Some(part) = self.topics.get_mut(&name).and_then(|t| t.partitions.get_mut(p)) else {
                    continue;
                };
                let Some(li) = part.leader else { continue };
                let check = part
                    .replicas
                    .get(li)
                    .and_then(|r| brokers.get(r.broker as usize))
                    .is_some_and(|b| isr_check_at(b.started_ms, lag_max, now));
                let leader_leo = part.log.log_end_offset();
                let hw = part.high_watermark;
                let epoch_start = part.epoch_starts.last().map_or(0, |&(_, start)| start);
                let mut copied = Vec::new();
                let mut shrunk = Vec::new();
                let mut expanded = Vec::new();
                for (i, r) in part.replicas.iter_mut().enumerate() {
                    if i == li {
                        r.last_caught_up_ms = now;
                        continue;
                    }
                    let Some(b) = brokers.get(r.broker as usize) else { continue };
                    if fetch && b.alive && !b.replication_paused {
                        let from = r.log_end_offset;
                        let n = (leader_leo - from).min(fetch_max);
                        if n > 0 {
                            r.log_end_offset += n;
                            copied.push((r.broker, from, from + n));
                        }
                        r.high_watermark = r.log_end_offset.min(hw);
                    }
                    // A fetching follower at the leader's end is caught up at
                    // every instant, not only when it fetches.
                    if b.alive && !b.replication_paused && r.log_end_offset >= leader_leo {
                        r.last_caught_up_ms = now;
                    }
                    let in_isr = part.isr.contains(&r.broker);
                    let lagging = r.log_end_offset < leader_leo && now.saturating_sub(r.last_caught_up_ms) > lag_max;
                    if !isr_changes {
                        continue;
                    }
                    if in_isr && lagging && check {
                        shrunk.push(r.broker);
                    } else if !in_isr && b.alive && !b.replication_paused && in_sync(r.log_end_offset, hw, epoch_start)
                    {
                        expanded.push(r.broker);
                    }
                }
                let mut isr = part.isr.clone();
                isr.retain(|b| !shrunk.contains(b));
                isr.extend(expanded.iter().copied());
                if !expanded.is_empty() {
                    let order: Vec<u32> = part.replicas.iter().map(|r| r.broker).collect();
                    brokerlab_order::sort_by_key(&mut isr, |b| order.iter().position(|x| x == b));
                }
                if !shrunk.is_empty() || !expanded.is_empty() {
                    self.set_isr(&name, p, isr.clone(), &[]);
                }
                if self.record_events {
                    for (broker, from, to) in copied {
                        self.events.push(Event::RecordsReplicated {
                            topic: name.clone(),
                            partition: p as u32,
                            broker,
                            from,
                            to,
                        });
                    }
                    for broker in shrunk {
                        self.events.push(Event::IsrShrunk {
                            topic: name.clone(),
                            partition: p as u32,
                            broker,
                            isr: isr.clone(),
                            reason: IsrShrinkReason::LagTimeExceeded,
                        });
                    }
                    for broker in expanded {
                        self.events.push(Event::IsrExpanded {
                            topic: name.clone(),
                            partition: p as u32,
                            broker,
                            isr: isr.clone(),
                        });
                    }
                }
                self.update_high_watermark(&name, p);
                let Some(part) = self.topics.get_mut(&name).and_then(|t| t.partitions.get_mut(p)) else {
                    continue;
                };
                let hw = part.high_watermark;
                for r in &mut part.replicas {
                    r.high_watermark = r.high_watermark.max(r.log_end_offset.min(hw)).min(hw);
                }
            }
        }
    }

    /// The log cleaner's pass over every partition: retention, then compaction.
    pub(super) fn step_logs(&mut self) {
        let now = self.now;
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics.get(&name).map_or(0, |t| t.partitions.len());
            for p in 0..count {
                self.apply_log_cleanup(&name, p, now, true);
            }
        }
    }

    /// Retention (and compaction when `compact`) for one partition.
    pub(super) fn apply_log_cleanup(&mut self, name: &str, p: usize, now: u64, compact: bool) {
        let Some(t) = self.topics.get_mut(name) else { return };
        let settings = t.settings;
        let Some(part) = t.partitions.get_mut(p) else { return };
        let hw = part.high_watermark;
        let before = part.log.log_start_offset();
        let removed = part.log.apply_retention(now, hw, &settings);
        let compacted = if compact {
            let lso = part.last_stable_offset();
            part.log.compact(now, lso, &part.aborted, &settings)
        } else {
            Vec::new()
        };
        let after = part.log.log_start_offset();
        for r in &mut part.replicas {
            r.log_end_offset = r.log_end_offset.max(after.min(part.log.log_end_offset()));
        }
        if !self.record_events {
            return;
        }
        for (from, to, reason, count) in removed {
            self.events.push(Event::RecordsRemoved {
                topic: name.to_string(),
                partition: p as u32,
                from,
                to,
                count,
                reason,
            });
        }
        for (offset, reason) in compacted {
            self.events.push(Event::RecordsRemoved {
                topic: name.to_string(),
                partition: p as u32,
                from: offset,
                to: offset + 1,
                count: 1,
                reason,
            });
        }
        if after > before {
            self.events.push(Event::LogStartOffsetMoved {
                topic: name.to_string(),
                partition: p as u32,
                log_start_offset: after,
            });
        }
    }
}

/// Whether a follower may join the ISR (`Partition.isFollowerInSync`): its
/// log end offset has reached the high watermark and the start of the
/// leader's current epoch. It need not have the leader's whole log: while the
/// ISR is below `min.insync.replicas` the high watermark is frozen, and a
/// follower at it rejoins and lets it move again.
pub(super) fn in_sync(log_end_offset: i64, high_watermark: i64, epoch_start: i64) -> bool {
    log_end_offset >= high_watermark && log_end_offset >= epoch_start
}

/// The period of a broker's ISR check: `ReplicaManager.startup` schedules
/// "isr-expiration" (`maybeShrinkIsr`) at a fixed rate of
/// `replica.lag.time.max.ms / 2`, first at start-up (Kafka 4.0). A follower
/// that stopped catching up at `t` is out of sync from just after
/// `t + replica.lag.time.max.ms` (`Partition.getOutOfSyncReplicas`), and
/// leaves the ISR at the next check: 30 to 45 s after `t` with the defaults.
pub(super) fn isr_check_period(lag_max: u64) -> u64 {
    (lag_max / 2).max(1)
}

/// Whether a broker started at `started` runs its ISR check at `now`.
pub(super) fn isr_check_at(started: u64, lag_max: u64, now: u64) -> bool {
    now >= started && (now - started).is_multiple_of(isr_check_period(lag_max))
}

/// The first ISR check of a broker started at `started` at or after `t`.
pub(super) fn next_isr_check(started: u64, lag_max: u64, t: u64) -> u64 {
    if t <= started {
        return started;
    }
    let period = isr_check_period(lag_max);
    started.saturating_add((t - started).div_ceil(period).saturating_mul(period))
}
