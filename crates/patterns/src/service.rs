//! A simulated service node: a name, a durable [`Store`], and crash points.
//!
//! Every lab runs its consumer or checkout logic "inside" a [`ServiceNode`].
//! The learner arms a [`CrashPoint`]; when the handler reaches that point it
//! asks [`ServiceNode::reached`], and if the answer is yes the node goes down
//! there: the open transaction and everything in the process's memory are
//! lost, the store's committed rows survive (they are on disk), and the lab
//! tells the engine that its client died. A restart brings up a new
//! incarnation with the same store.

use serde::{Deserialize, Serialize};

use crate::store::Store;

/// Where in handling one message a service can crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CrashPoint {
    /// The message arrived but nothing was done with it yet.
    BeforeProcessing,
    /// The work is done (the database commit or the produced records) but the
    /// offset commit or the ack has not happened.
    AfterProcessing,
    /// Everything, including the ack or offset commit, is done.
    AfterAck,
}

impl CrashPoint {
    /// All three points, in handling order.
    pub const ALL: [CrashPoint; 3] = [CrashPoint::BeforeProcessing, CrashPoint::AfterProcessing, CrashPoint::AfterAck];
}

/// A service process with its database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceNode {
    /// The service's name.
    pub name: String,
    /// The durable database.
    pub store: Store,
    /// The crash the learner armed for the next message, if any.
    pub armed: Option<CrashPoint>,
    /// Whether the process is running.
    pub up: bool,
    /// How many times it crashed.
    pub crashes: u32,
    /// Which start this is, from 1; the labs name engine clients after it.
    pub incarnation: u32,
}

impl ServiceNode {
    /// A running node with this store.
    pub fn new(name: impl Into<String>, store: Store) -> Self {
        ServiceNode { name: name.into(), store, armed: None, up: true, crashes: 0, incarnation: 1 }
    }

    /// Arms a crash at `point` while handling the next message.
    pub fn arm(&mut self, point: CrashPoint) {
        self.armed = Some(point);
    }

    /// Clears an armed crash.
    pub fn disarm(&mut self) {
        self.armed = None;
    }

    /// Called by a handler at `point`: true when the node crashes here.
    pub fn reached(&mut self, point: CrashPoint) -> bool {
        if self.up && self.armed == Some(point) {
            self.armed = None;
            self.up = false;
            self.crashes += 1;
            true
        } else {
            false
        }
    }

    /// Takes the node down at once, outside of message handling.
    pub fn kill(&mut self) {
        if self.up {
            self.up = false;
            self.crashes += 1;
        }
    }

    /// Starts a new incarnation; the store is kept.
    pub fn restart(&mut self) {
        if !self.up {
            self.up = true;
            self.incarnation += 1;
        }
    }

    /// A client name for this incarnation, like `billing-3`.
    pub fn client_name(&self, role: &str) -> String {
        format!("{role}-{}", self.incarnation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_armed_crash_fires_once_at_its_point() {
        let mut n = ServiceNode::new("billing", Store::default());
        n.arm(CrashPoint::AfterProcessing);
        assert!(!n.reached(CrashPoint::BeforeProcessing));
        assert!(n.reached(CrashPoint::AfterProcessing));
        assert!(!n.up);
        n.restart();
        assert!(!n.reached(CrashPoint::AfterProcessing));
        assert_eq!((n.crashes, n.incarnation), (1, 2));
        assert_eq!(n.client_name("billing"), "billing-2");
    }
}
