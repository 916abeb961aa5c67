//! The engine's invariants, checked after every command in debug builds
//! (see [`Broker::apply`]) and callable from tests. Three families:
//!
//! - **Conservation.** Every message copy is in exactly one place: ready in
//!   one queue, unacknowledged by one delivery, or counted in the [`Ledger`]
//!   as acknowledged, dead-lettered or dropped. Queue counters (ready bytes,
//!   unacknowledged counts) agree with what the queue and channels hold.
//! - **Prefetch.** A consumer never holds more unacknowledged deliveries than
//!   its prefetch (fixed when it started: a non-global `basic.qos` applies to
//!   consumers started afterwards). A channel's global prefetch can be
//!   lowered below what the channel already holds, which RabbitMQ allows, so
//!   the rule is about new deliveries: once the channel holds any consumer
//!   delivery made after the limit was set, it holds no more than the limit.
//!   The latest such delivery was made with fewer than the limit held, and
//!   everything held now was already held then, which gives the bound.
//! - **Length limits.** After each command a `drop-head` queue is within
//!   `x-max-length` and `x-max-length-bytes`. A `reject-publish` queue only
//!   refuses publishes, and returned messages may take it past its limits as
//!   in RabbitMQ, so there the bound holds for the messages never delivered.

use std::collections::{BTreeMap, BTreeSet};

use crate::broker::{Entry, Overflow, QueueState};
use crate::{Broker, QueueType};

impl Broker {
    /// Checks the invariants listed in this module's documentation and
    /// returns the first one broken, described.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut ids = BTreeSet::new();
        let mut live = 0u64;
        // Unacknowledged deliveries per (vhost, queue, incarnation).
        let mut unacked_by_queue: BTreeMap<(&str, &str, u64), u32> = BTreeMap::new();
        for (vname, vh) in &self.vhosts {
            for q in vh.queues.values() {
                for e in q.levels.iter().flatten() {
                    live += 1;
                    if !ids.insert(e.id) {
                        return Err(format!("message {} is in two places (queue {vname}/{})", e.id, q.name));
                    }
                }
                check_queue(q).map_err(|e| format!("queue {vname}/{}: {e}", q.name))?;
                self.check_stream(vname, q)?;
            }
        }
        for (cid, c) in &self.connections {
            for (n, ch) in &c.channels {
                // Held deliveries per consumer id (a tag may be reused).
                let mut by_consumer: BTreeMap<u64, u32> = BTreeMap::new();
                let mut since_global_qos = false;
                for (tag, u) in &ch.unacked {
                    live += 1;
                    if !ids.insert(u.entry.id) {
                        return Err(format!("message {} is in two places (unacked on {cid}/{n})", u.entry.id));
                    }
                    *unacked_by_queue.entry((c.vhost.as_str(), u.queue.as_str(), u.incarnation)).or_default() += 1;
                    if let Some(id) = u.consumer {
                        *by_consumer.entry(id).or_default() += 1;
                        since_global_qos |= *tag >= ch.global_qos_tag;
                    }
                    if *tag >= ch.next_tag {
                        return Err(format!("channel {cid}/{n} holds delivery tag {tag} it has not issued yet"));
                    }
                }
                for (tag, consumer) in &ch.consumers {
                    let held = by_consumer.get(&consumer.id).copied().unwrap_or(0);
                    if held != consumer.unacked {
                        return Err(format!("consumer {tag} counts {} unacked but holds {held}", consumer.unacked));
                    }
                    if consumer.prefetch > 0 && held > u32::from(consumer.prefetch) {
                        return Err(format!("consumer {tag} holds {held} unacked over prefetch {}", consumer.prefetch));
                    }
                }
                let held: u32 = by_consumer.values().sum();
                if held != ch.consumer_unacked {
                    return Err(format!(
                        "channel {cid}/{n} counts {} consumer deliveries but holds {held}",
                        ch.consumer_unacked
                    ));
                }
                if ch.global_prefetch > 0 && since_global_qos && held > u32::from(ch.global_prefetch) {
                    return Err(format!(
                        "channel {cid}/{n} delivered above its global prefetch {}: it holds {held}",
                        ch.global_prefetch
                    ));
                }
            }
        }
        for (vname, vh) in &self.vhosts {
            for q in vh.queues.values() {
                let held =
                    unacked_by_queue.get(&(vname.as_str(), q.name.as_str(), q.incarnation)).copied().unwrap_or(0);
                if held != q.unacked {
                    return Err(format!(
                        "queue {vname}/{} counts {} unacked but channels hold {held}",
                        q.name, q.unacked
                    ));
                }
            }
        }
        let l = self.ledger;
        let settled = l.acked.checked_add(l.dead_lettered).and_then(|s| s.checked_add(l.dropped));
        if settled.and_then(|s| s.checked_add(live)) != Some(l.created) {
            return Err(format!("ledger does not balance: {l:?} with {live} live copies"));
        }
        Ok(())
    }
}

/// One queue's own consistency: byte count, order within each priority
/// level, levels within range, and length limits.
fn check_queue(q: &QueueState) -> Result<(), String> {
    let bytes: u64 = q.levels.iter().flatten().map(|e| e.content.body.len() as u64).sum();
    if bytes != q.ready_bytes {
        return Err(format!("counts {} ready bytes but holds {bytes}", q.ready_bytes));
    }
    let levels = QueueState::level_count(q.prio, &q.cfg);
    if q.levels.len() != levels {
        return Err(format!("has {} priority levels, not {levels}", q.levels.len()));
    }
    for (i, level) in q.levels.iter().enumerate() {
        if level.iter().zip(level.iter().skip(1)).any(|(a, b)| a.order >= b.order) {
            return Err(format!("priority level {i} is out of order"));
        }
        if let Some(e) = level.iter().find(|e| e.level != i) {
            return Err(format!("message {} sits at level {i} but belongs at {}", e.id, e.level));
        }
    }
    // Which messages the limits bind: all of them for drop-head; for the
    // reject modes, those never delivered (returns may exceed the limits).
    // A policy may lower the limit of a reject-mode queue that already
    // holds more: such a queue keeps what it has and only refuses publishes.
    let bound: Box<dyn Fn(&Entry) -> bool> = match q.cfg.overflow {
        Overflow::DropHead => Box::new(|_| true),
        _ if !q.policy_definition.is_empty() => Box::new(|_| false),
        Overflow::RejectPublish | Overflow::RejectPublishDlx => Box::new(|e| !e.redelivered),
    };
    let (count, size) = q
        .levels
        .iter()
        .flatten()
        .filter(|e| bound(e))
        .fold((0u64, 0u64), |(n, b), e| (n + 1, b + e.content.body.len() as u64));
    // A quorum queue's reject-publish limit is soft: the publish that
    // crosses it is taken, so one message (of any size) may be over.
    let soft = q.queue_type == QueueType::Quorum && q.cfg.overflow != Overflow::DropHead;
    if let Some(max) = q.cfg.max_length
        && count > max + u64::from(soft)
    {
        return Err(format!("holds {count} messages over x-max-length {max}"));
    }
    if let Some(max) = q.cfg.max_length_bytes
        && size > max
        && !soft
    {
        return Err(format!("holds {size} bytes over x-max-length-bytes {max}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::*;

    /// A 4.2 broker: the global-prefetch checks need a channel-wide limit,
    /// which 4.3 no longer has.
    fn broker() -> (Broker, ChannelId) {
        let mut b = Broker::with_version(77, Version::V4_2);
        let ch = b.connect("guest", "guest", "/").unwrap();
        (b, ch)
    }

    fn delivered(ev: &[Event]) -> usize {
        ev.iter().filter(|e| matches!(e, Event::Delivered { .. })).count()
    }

    #[test]
    fn lowering_the_global_prefetch_below_what_a_channel_holds_is_legal_but_stops_new_deliveries() {
        let (mut b, ch) = broker();
        b.declare_queue(ch, "q", FieldTable::new()).unwrap();
        b.qos(ch, 3, true).unwrap();
        b.consume(ch, "q", "c", false).unwrap();
        let mut got = 0;
        for _ in 0..5 {
            got += delivered(&b.publish(ch, "", "q", "m").unwrap());
        }
        assert_eq!(got, 3);
        b.qos(ch, 1, true).unwrap();
        assert_eq!(b.check_invariants(), Ok(()));
        assert_eq!(delivered(&b.ack(ch, 2, true).unwrap()), 0, "one still held, at the new limit");
        assert_eq!(delivered(&b.ack(ch, 3, false).unwrap()), 1);
        assert_eq!(b.check_invariants(), Ok(()));
    }

    #[test]
    fn a_delivery_above_the_global_prefetch_is_reported() {
        let (mut b, ch) = broker();
        b.declare_queue(ch, "q", FieldTable::new()).unwrap();
        b.consume(ch, "q", "c", false).unwrap();
        b.publish(ch, "", "q", "a").unwrap();
        b.publish(ch, "", "q", "b").unwrap();
        // Pretend the limit of 1 was in force before both deliveries.
        let chs = b.connections.get_mut(&ch.connection).unwrap().channels.get_mut(&ch.channel).unwrap();
        chs.global_prefetch = 1;
        chs.global_qos_tag = 0;
        let err = b.check_invariants().unwrap_err();
        assert!(err.contains("above its global prefetch 1"), "{err}");
    }

    #[test]
    fn a_miscounted_queue_and_a_drop_head_queue_over_its_limit_are_reported() {
        let (mut b, ch) = broker();
        let args: FieldTable = [("x-max-length".to_string(), FieldValue::LongLongInt(3))].into_iter().collect();
        b.declare_queue(ch, "q", args).unwrap();
        for _ in 0..3 {
            b.publish(ch, "", "q", "abc").unwrap();
        }
        assert_eq!(b.check_invariants(), Ok(()));
        let q = b.vhosts.get_mut("/").unwrap().queues.get_mut("q").unwrap();
        q.cfg.max_length = Some(2);
        assert!(b.check_invariants().unwrap_err().contains("over x-max-length 2"));
        let q = b.vhosts.get_mut("/").unwrap().queues.get_mut("q").unwrap();
        q.cfg.max_length = Some(3);
        q.ready_bytes += 1;
        assert!(b.check_invariants().unwrap_err().contains("counts 10 ready bytes but holds 9"));
    }

    #[test]
    fn a_broken_invariant_stops_the_next_command_with_the_seed_in_the_message() {
        let (mut b, ch) = broker();
        b.declare_queue(ch, "q", FieldTable::new()).unwrap();
        b.publish(ch, "", "q", "m").unwrap();
        b.ledger.created += 1;
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.tick(1)));
        let payload = caught.expect_err("the check must stop the command");
        let text = payload.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(text.contains("broker seed 77") && text.contains("Tick"), "{text}");
        assert!(text.contains("ledger does not balance"), "{text}");
    }
}
