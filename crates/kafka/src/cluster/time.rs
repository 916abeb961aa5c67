//! Logical time is continuous: [`Cluster::tick`] walks from one due instant
//! to the next, so splitting an interval into different ticks gives the same
//! run. The next due instant is computed from the state, not kept in a queue:
//!
//! - the next point of the `step_ms` grid (absolute multiples of `step_ms`)
//!   when periodic work is pending: a follower behind its leader or ready to
//!   rejoin the ISR, a high watermark that can move, a produce request whose
//!   answer is ready or that can be sent, or a log
//!   the cleaner has not looked at since it changed;
//! - the exact deadlines: a follower leaving the ISR at its leader
//!   broker's first ISR check (every `replica.lag.time.max.ms / 2` from
//!   the broker's start) after it lagged `replica.lag.time.max.ms`, a
//!   member exceeding `max.poll.interval.ms` or `session.timeout.ms`, a
//!   consumer-protocol member's next heartbeat
//!   (`group.consumer.heartbeat.interval.ms`), the end of a new classic
//!   group's `group.initial.rebalance.delay.ms`, a classic group leader's
//!   metadata refresh (`metadata.max.age.ms`) after its topic grew, the next
//!   `offsets.retention.check.interval.ms` check at which offsets expire,
//!   a record's next attempt after `retry.backoff.ms`,
//!   its request's `request.timeout.ms` and its `delivery.timeout.ms`, a
//!   blocked `send()`'s next metadata request and its `max.block.ms`, a
//!   share-group acquisition lock expiring, the transaction coordinator's
//!   check for transactions past `transaction.timeout.ms` (every 10 s);
//! - the log cleaner's next time-based chance (a segment passing
//!   `retention.ms` or `min.compaction.lag.ms`, a tombstone passing
//!   `delete.retention.ms`), rounded up to the grid where the cleaner runs.
//!
//! At each due instant producers settle, followers fetch (on the grid only),
//! the ISR and high watermark update, the coordinator checks its members and
//! the log cleaner runs (on the grid only); a tick that ends between due
//! instants only moves the clock.

use super::*;

/// The latest logical time: record timestamps are `i64` milliseconds.
pub(crate) const MAX_TIME: u64 = i64::MAX as u64;

impl Cluster {
    /// Lets `ms` milliseconds of logical time pass, doing everything that
    /// falls due on the way at its own instant, in time order.
    pub fn tick(&mut self, ms: u64) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.advance(ms);
            Ok(())
        })
        .map(|(_, e)| e)
    }

    fn advance(&mut self, ms: u64) {
        let target = self.now.saturating_add(ms).min(MAX_TIME);
        while let Some(t) = self.next_due().filter(|&t| t <= target) {
            self.now = t;
            self.step_at(t);
        }
        self.now = self.now.max(target);
        let now = self.now;
        self.emit(Event::Ticked { now });
    }

    /// Everything due at instant `t`.
    fn step_at(&mut self, t: u64) {
        let on_grid = t.is_multiple_of(self.config.step_ms);
        self.step_quorum(t);
        self.step_controller(t);
        self.step_metadata_waits();
        self.step_producers();
        self.step_replication(on_grid);
        if self.step_transactions() {
            // Sends that waited for the previous transaction's markers go now.
            self.step_producers();
        }
        self.step_groups();
        self.step_offsets(t);
        self.step_share_locks();
        if on_grid {
            self.cleaner_pending = false;
            self.last_cleaned = Some(t);
            self.step_logs();
        }
        // What changed at this instant reaches the metadata log at it.
        if self.quorum_active() {
            self.publish_partitions();
        }
    }

    /// The first instant after now at which something falls due, if any.
    fn next_due(&self) -> Option<u64> {
        let now = self.now;
        let step = self.config.step_ms;
        let grid = (now / step).saturating_add(1).saturating_mul(step).min(MAX_TIME);
        let after = |t: u64| t.max(now.saturating_add(1));
        let mut due: Option<u64> = None;
        let mut at = |t: u64| {
            let t = after(t);
            if t > now {
                due = Some(due.map_or(t, |d| d.min(t)));
            }
        };
        // Every part registers its exact deadlines, so none may be skipped
        // by a short-circuit.
        let replication = self.replication_pending(&mut at);
        let producers = self.producers_pending(&mut at);
        if self.cleaner_pending || replication || producers {
            at(grid);
        }
        if self.transactions_pending(&mut at) {
            at(grid);
        }
        self.metadata_wait_deadlines(&mut at);
        self.groups_deadlines(&mut at);
        self.share_lock_deadlines(&mut at);
        self.controller_deadlines(&mut at);
        self.offsets_expiry_due(&mut at);
        for t in self.topics.values() {
            for part in &t.partitions {
                if let Some(d) = part.log.next_cleanup_due(
                    self.last_cleaned,
                    part.high_watermark,
                    part.last_stable_offset(),
                    &t.settings,
                ) {
                    // The cleaner runs on the grid: round up.
                    at(d.max(now.saturating_add(1)).div_ceil(step).saturating_mul(step).min(MAX_TIME));
                }
            }
        }
        due
    }

    /// Whether a fetch on the grid would change anything, and the ISR
    /// deadlines of lagging followers.
    fn replication_pending(&self, at: &mut impl FnMut(u64)) -> bool {
        let lag_max = self.config.replica_lag_time_max_ms;
        let quorum = self.quorum_active();
        let mut pending = false;
        for (name, t) in &self.topics {
            for (p, part) in t.partitions.iter().enumerate() {
                let min_isr = self.effective_min_isr(name, p) as usize;
                let Some(li) = part.leader else { continue };
                let leader_leo = part.log.log_end_offset();
                let hw = part.high_watermark;
                let epoch_start = part.epoch_starts.last().map_or(0, |&(_, start)| start);
                let mut isr_min_leo = leader_leo;
                for (i, r) in part.replicas.iter().enumerate() {
                    let in_isr = part.isr.contains(&r.broker);
                    if in_isr {
                        isr_min_leo = isr_min_leo.min(r.log_end_offset);
                    }
                    if i == li {
                        continue;
                    }
                    let b = self.brokers.get(r.broker as usize);
                    let fetching = b.is_some_and(|b| b.alive && !b.replication_paused);
                    if fetching && (r.log_end_offset < leader_leo || r.high_watermark < r.log_end_offset.min(hw)) {
                        pending = true;
                    }
                    if !in_isr && fetching && replication::in_sync(r.log_end_offset, hw, epoch_start) && quorum {
                        pending = true;
                    }
                    if in_isr && r.log_end_offset < leader_leo && quorum {
                        // Out of sync just after the lag limit; out of the
                        // ISR at the leader broker's next check.
                        let out_of_sync = r.last_caught_up_ms.saturating_add(lag_max).saturating_add(1);
                        let started = part
                            .replicas
                            .get(li)
                            .and_then(|l| self.brokers.get(l.broker as usize))
                            .map_or(0, |b| b.started_ms);
                        at(replication::next_isr_check(started, lag_max, out_of_sync).min(MAX_TIME));
                    }
                }
                if isr_min_leo > hw && part.isr.len() >= min_isr {
                    pending = true;
                }
            }
        }
        pending
    }

    /// Whether an in-flight request can be answered on the grid, and the
    /// exact instants of the rest: the next attempt of the first waiting
    /// record per partition (after its `retry.backoff.ms`), the
    /// `request.timeout.ms` of sent requests and every `delivery.timeout.ms`.
    fn producers_pending(&self, at: &mut impl FnMut(u64)) -> bool {
        let mut pending = false;
        for (name, p) in &self.producers {
            // A flushed commit that could not reach its coordinator retries
            // on the grid.
            if p.txn.as_ref().is_some_and(|t| t.committing)
                && !p.in_flight.iter().any(|f| f.transactional)
                && p.config.transactional_id.as_deref().and_then(|t| self.transaction_coordinator(t)).is_some()
            {
                pending = true;
            }
            let txn_wait = p.config.transactional_id.is_some() && self.txn_completing(name);
            let mut waiting: BTreeSet<(&str, u32)> = BTreeSet::new();
            for f in &p.in_flight {
                let Some(part) = self.topics.get(&*f.topic).and_then(|t| t.partitions.get(f.partition as usize)) else {
                    continue;
                };
                at(f.created_ms.saturating_add(p.config.delivery_timeout_ms));
                match f.state {
                    FlightState::Appended { offset, leader_epoch, sent_ms } => {
                        if part.leader.is_none() || part.leader_epoch != leader_epoch || part.high_watermark > offset {
                            pending = true;
                        }
                        at(sent_ms.saturating_add(p.config.request_timeout_ms));
                    }
                    FlightState::Waiting => {
                        // Only the first waiting record of a partition can
                        // go; the ones behind it follow in the same step.
                        // A new request also needs a free slot under
                        // `max.in.flight.requests.per.connection`; otherwise
                        // an answer (on the grid) or a timeout frees one.
                        if waiting.insert((&*f.topic, f.partition))
                            && !(f.transactional && txn_wait)
                            && let Some(broker) = part.leader_broker()
                            && self.requests_in_flight(p.in_flight.iter(), broker)
                                < p.config.max_in_flight_requests_per_connection as usize
                        {
                            at(f.next_attempt_ms);
                        }
                    }
                }
            }
        }
        pending
    }
}
