//! Event sourcing and CQRS: bank accounts whose only source of truth is a
//! Kafka topic.
//!
//! The write side ([`EventSourcingLab::deposit`] and friends) checks each
//! command against the account's current state, then appends an event
//! (`Opened`, `Deposited`, `Withdrawn`) keyed by account to the
//! `account-events` topic. Its state lives only in memory: after
//! [`EventSourcingLab::restart_write_side`] it is rebuilt by a consumer that
//! seeks to offset 0 and replays every event ([`EventSourcingLab::replay`]),
//! or from the latest snapshot, which the write side stores every
//! `snapshot_every` events together with the offset it covers.
//!
//! The read side is a separate consumer group, `read-model`, that projects the
//! events into a balances table and a history table in its own [`Store`]; it
//! lags behind until [`EventSourcingLab::step`] lets it catch up, and
//! [`EventSourcingLab::rebuild_read_model`] truncates both tables and seeks
//! the group back to the beginning.
//!
//! ```
//! use brokerlab_patterns::EventSourcingLab;
//!
//! let mut lab = EventSourcingLab::new(2, 1)?;
//! lab.open("alice")?;
//! lab.deposit("alice", 50)?;
//! lab.withdraw("alice", 20)?;
//! lab.restart_write_side();
//! let replay = lab.rebuild_write_side()?;
//! // The snapshot after two events leaves one event to replay.
//! assert_eq!((replay.from_offset, replay.events_read), (2, 1));
//! assert_eq!(replay.state["alice"].balance, 30);
//! # Ok::<(), brokerlab_patterns::PatternError>(())
//! ```

use brokerlab_kafka::{
    Cluster, ClusterConfig, ConsumerConfig, OffsetReset, ProducerConfig, ProducerRecord, SeekTo, TopicConfig,
    TopicPartition,
};
use brokerlab_order::CollectOrdered;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::PatternError;
use crate::store::{Store, Transaction};

/// The event topic.
pub const ACCOUNT_EVENTS: &str = "account-events";
/// The read model's consumer group.
pub const READ_MODEL_GROUP: &str = "read-model";
/// The read model's balances table.
pub const BALANCES_TABLE: &str = "balances";
/// The read model's history table.
pub const HISTORY_TABLE: &str = "history";
/// The write side's snapshot table.
pub const SNAPSHOTS_TABLE: &str = "snapshots";

const PRODUCER: &str = "accounts";
const REPLAYER: &str = "replayer";
const READ_BATCH: u32 = 2;

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountEventKind {
    /// The account was opened with balance 0.
    Opened,
    /// Money came in.
    Deposited(u64),
    /// Money went out.
    Withdrawn(u64),
}

impl AccountEventKind {
    fn encode(self) -> String {
        match self {
            AccountEventKind::Opened => "Opened".to_string(),
            AccountEventKind::Deposited(n) => format!("Deposited {n}"),
            AccountEventKind::Withdrawn(n) => format!("Withdrawn {n}"),
        }
    }

    fn decode(s: &str) -> Option<Self> {
        let mut parts = s.split(' ');
        let kind = parts.next()?;
        let amount = parts.next().map(str::parse::<u64>);
        match (kind, amount) {
            ("Opened", None) => Some(AccountEventKind::Opened),
            ("Deposited", Some(Ok(n))) => Some(AccountEventKind::Deposited(n)),
            ("Withdrawn", Some(Ok(n))) => Some(AccountEventKind::Withdrawn(n)),
            _ => None,
        }
    }
}

/// One event as stored in the topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    /// Its offset in `account-events-0`.
    pub offset: i64,
    /// The account (the record key).
    pub account: String,
    /// What happened.
    pub kind: AccountEventKind,
}

/// An account's state, the fold of its events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The balance.
    pub balance: u64,
    /// How many events made it.
    pub version: u64,
}

/// Every account by name.
pub type Accounts = BTreeMap<String, Account>;

/// Folds one event into the state; events are facts, so this never fails.
fn apply(state: &mut Accounts, e: &AccountEvent) {
    let a = state.entry(e.account.clone()).or_default();
    match e.kind {
        AccountEventKind::Opened => {}
        AccountEventKind::Deposited(n) => a.balance = a.balance.saturating_add(n),
        AccountEventKind::Withdrawn(n) => a.balance = a.balance.saturating_sub(n),
    }
    a.version += 1;
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    /// The offset it started reading at (0, or the snapshot's).
    pub from_offset: i64,
    /// How many events it read.
    pub events_read: u32,
    /// The state it rebuilt.
    pub state: Accounts,
}

/// A stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    /// The offset of the first event it does not include.
    pub next_offset: i64,
    /// The state up to there.
    pub state: Accounts,
}

impl AccountSnapshot {
    fn encode(&self) -> String {
        self.state.iter().map(|(k, a)| format!("{k}={}:{}", a.balance, a.version)).collect::<Vec<_>>().join(",")
    }

    fn decode(next_offset: i64, s: &str) -> Option<Self> {
        let mut state = Accounts::new();
        for item in s.split(',').filter(|i| !i.is_empty()) {
            let (name, rest) = item.split_once('=')?;
            let (balance, version) = rest.split_once(':')?;
            state.insert(name.to_string(), Account { balance: balance.parse().ok()?, version: version.parse().ok()? });
        }
        Some(AccountSnapshot { next_offset, state })
    }
}

/// What the event-sourcing demo draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSourcingSnapshot {
    /// Every event in the topic.
    pub events: Vec<AccountEvent>,
    /// The write side's state, `None` while it is restarting.
    pub write_model: Option<Accounts>,
    /// The read model's balances table.
    pub read_model: BTreeMap<String, u64>,
    /// The read model's history rows.
    pub history: Vec<String>,
    /// Events the read model has not applied yet.
    pub read_model_lag: i64,
    /// Stored snapshots, oldest first.
    pub snapshots: Vec<AccountSnapshot>,
    /// Logical time in milliseconds.
    pub now_ms: u64,
}

/// The event-sourcing and CQRS simulation.
#[derive(Debug, Clone)]
pub struct EventSourcingLab {
    cluster: Cluster,
    snapshot_every: u32,
    /// The write side's in-memory state; `None` after a restart until replayed.
    write_model: Option<Accounts>,
    since_snapshot: u32,
    write_store: Store,
    read_store: Store,
}

fn tp() -> TopicPartition {
    TopicPartition::new(ACCOUNT_EVENTS, 0)
}

impl EventSourcingLab {
    /// An empty topic; the write side snapshots every `snapshot_every` events (0: never).
    pub fn new(snapshot_every: u32, seed: u64) -> Result<Self, PatternError> {
        let mut cluster = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, seed)?;
        cluster.set_event_recording(false);
        cluster.create_topic(ACCOUNT_EVENTS, TopicConfig::new(1, 1))?;
        // linger.ms=0 (Kafka 4's default is 5): the write side appends one
        // event at a time and needs its offset at once, as an event store
        // that waits for each append does.
        cluster.create_producer(PRODUCER, ProducerConfig { linger_ms: 0, ..ProducerConfig::default() })?;
        for (name, group) in [(REPLAYER, REPLAYER), (READ_MODEL_GROUP, READ_MODEL_GROUP)] {
            let cfg = ConsumerConfig {
                enable_auto_commit: false,
                auto_offset_reset: OffsetReset::Earliest,
                max_poll_records: 100,
                ..ConsumerConfig::new(group)
            };
            cluster.create_consumer(name, cfg)?;
            cluster.subscribe(name, &[ACCOUNT_EVENTS.to_string()])?;
        }
        Ok(EventSourcingLab {
            cluster,
            snapshot_every,
            write_model: Some(Accounts::new()),
            since_snapshot: 0,
            write_store: Store::with_tables(&[SNAPSHOTS_TABLE]),
            read_store: Store::with_tables(&[BALANCES_TABLE, HISTORY_TABLE]),
        })
    }

    /// The engine, for the playground's Kafka views.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    fn rejected(reason: impl Into<String>) -> PatternError {
        PatternError::CommandRejected(reason.into())
    }

    fn state(&mut self) -> Result<&Accounts, PatternError> {
        if self.write_model.is_none() {
            self.rebuild_write_side()?;
        }
        Ok(self.write_model.get_or_insert_with(Accounts::new))
    }

    /// Opens an account.
    pub fn open(&mut self, account: &str) -> Result<AccountEvent, PatternError> {
        if account.is_empty() || account.contains([',', '=', ':', ' ']) {
            return Err(Self::rejected("an account name is a non-empty word"));
        }
        if self.state()?.contains_key(account) {
            return Err(Self::rejected(format!("account {account} is already open")));
        }
        self.append(account, AccountEventKind::Opened)
    }

    /// Deposits `amount` (at least 1).
    pub fn deposit(&mut self, account: &str, amount: u64) -> Result<AccountEvent, PatternError> {
        if amount == 0 {
            return Err(Self::rejected("a deposit needs a positive amount"));
        }
        if !self.state()?.contains_key(account) {
            return Err(Self::rejected(format!("no account {account}")));
        }
        self.append(account, AccountEventKind::Deposited(amount))
    }

    /// Withdraws `amount` if the balance covers it.
    pub fn withdraw(&mut self, account: &str, amount: u64) -> Result<AccountEvent, PatternError> {
        if amount == 0 {
            return Err(Self::rejected("a withdrawal needs a positive amount"));
        }
        let Some(a) = self.state()?.get(account).copied() else {
            return Err(Self::rejected(format!("no account {account}")));
        };
        if a.balance < amount {
            return Err(Self::rejected(format!("balance {} does not cover {amount}", a.balance)));
        }
        self.append(account, AccountEventKind::Withdrawn(amount))
    }

    fn append(&mut self, account: &str, kind: AccountEventKind) -> Result<AccountEvent, PatternError> {
        let (receipt, _) =
            self.cluster.produce(PRODUCER, ProducerRecord::keyed(ACCOUNT_EVENTS, account, kind.encode()))?;
        // One broker, one replica: the leader appends at once.
        let offset = receipt.offset.ok_or_else(|| Self::rejected("the broker did not append the event"))?;
        self.cluster.tick(100)?;
        let event = AccountEvent { offset, account: account.to_string(), kind };
        let state = self.write_model.get_or_insert_with(Accounts::new);
        apply(state, &event);
        self.since_snapshot += 1;
        if self.snapshot_every > 0 && self.since_snapshot >= self.snapshot_every {
            self.take_snapshot(offset + 1)?;
        }
        Ok(event)
    }

    fn take_snapshot(&mut self, next_offset: i64) -> Result<(), PatternError> {
        let snap = AccountSnapshot { next_offset, state: self.write_model.clone().unwrap_or_default() };
        let mut txn = Transaction::new();
        txn.upsert(SNAPSHOTS_TABLE, format!("{next_offset:012}"), snap.encode());
        self.write_store.commit(txn)?;
        self.since_snapshot = 0;
        Ok(())
    }

    /// Stored snapshots, oldest first.
    pub fn snapshots(&self) -> Vec<AccountSnapshot> {
        self.write_store
            .rows(SNAPSHOTS_TABLE)
            .into_iter()
            .filter_map(|(k, v)| AccountSnapshot::decode(k.parse().ok()?, v))
            .collect()
    }

    /// Reads every event from `from_offset` to the end with the replay consumer.
    fn read_from(&mut self, from_offset: i64) -> Result<Vec<AccountEvent>, PatternError> {
        // The first poll joins the group and gets the partition; then seek.
        self.cluster.poll(REPLAYER, Some(1))?;
        self.cluster.seek(REPLAYER, &tp(), SeekTo::Offset(from_offset))?;
        let end = self.cluster.partition(ACCOUNT_EVENTS, 0)?.high_watermark;
        let mut out = Vec::new();
        loop {
            let (records, _) = self.cluster.poll(REPLAYER, None)?;
            if records.is_empty() {
                break;
            }
            for r in records {
                let kind =
                    r.value.as_deref().and_then(|v| std::str::from_utf8(v).ok()).and_then(AccountEventKind::decode);
                let account = r.key.as_deref().and_then(|k| std::str::from_utf8(k).ok()).map(str::to_string);
                if let (Some(kind), Some(account)) = (kind, account) {
                    out.push(AccountEvent { offset: r.offset, account, kind });
                }
            }
            let pos = self.cluster.consumer(REPLAYER)?.positions.first().map_or(end, |(_, o)| *o);
            if pos >= end {
                break;
            }
        }
        Ok(out)
    }

    /// Rebuilds the state by replaying from offset 0.
    pub fn replay(&mut self) -> Result<Replay, PatternError> {
        let events = self.read_from(0)?;
        let mut state = Accounts::new();
        for e in &events {
            apply(&mut state, e);
        }
        Ok(Replay { from_offset: 0, events_read: events.len() as u32, state })
    }

    /// Rebuilds the state from the latest snapshot plus the events after it.
    pub fn replay_from_snapshot(&mut self) -> Result<Replay, PatternError> {
        let Some(snap) = self.snapshots().pop() else { return self.replay() };
        let events = self.read_from(snap.next_offset)?;
        let mut state = snap.state;
        for e in &events {
            apply(&mut state, e);
        }
        Ok(Replay { from_offset: snap.next_offset, events_read: events.len() as u32, state })
    }

    /// Loses the write side's memory, as a crash or a deploy would.
    pub fn restart_write_side(&mut self) {
        self.write_model = None;
    }

    /// Rebuilds the write side's memory (from the latest snapshot when there is one).
    pub fn rebuild_write_side(&mut self) -> Result<Replay, PatternError> {
        let replay = self.replay_from_snapshot()?;
        self.write_model = Some(replay.state.clone());
        // The events after the snapshot still count toward the next one.
        self.since_snapshot = replay.events_read;
        Ok(replay)
    }

    /// The write side's state, `None` while it has not been rebuilt.
    pub fn write_model(&self) -> Option<&Accounts> {
        self.write_model.as_ref()
    }

    /// The read model applies up to a small batch of events; returns how many.
    pub fn step(&mut self) -> Result<u32, PatternError> {
        let (records, _) = self.cluster.poll(READ_MODEL_GROUP, Some(READ_BATCH))?;
        let mut applied = 0;
        let mut next = None;
        for r in records {
            next = Some(r.offset + 1);
            let kind = r.value.as_deref().and_then(|v| std::str::from_utf8(v).ok()).and_then(AccountEventKind::decode);
            let account = r.key.as_deref().and_then(|k| std::str::from_utf8(k).ok());
            let (Some(kind), Some(account)) = (kind, account) else { continue };
            let balance: u64 = self.read_store.get(BALANCES_TABLE, account).and_then(|b| b.parse().ok()).unwrap_or(0);
            let balance = match kind {
                AccountEventKind::Opened => balance,
                AccountEventKind::Deposited(n) => balance.saturating_add(n),
                AccountEventKind::Withdrawn(n) => balance.saturating_sub(n),
            };
            let mut txn = Transaction::new();
            txn.upsert(BALANCES_TABLE, account, balance.to_string());
            txn.append(HISTORY_TABLE, format!("{account} {}", kind.encode()));
            self.read_store.commit(txn)?;
            applied += 1;
        }
        if let Some(next) = next {
            self.cluster.commit(READ_MODEL_GROUP, Some(vec![(tp(), next)]))?;
        }
        Ok(applied)
    }

    /// Steps the read model until it has caught up (or `max_steps` ran out).
    pub fn catch_up(&mut self, max_steps: u32) -> Result<u32, PatternError> {
        for n in 0..max_steps {
            if self.read_model_lag() == 0 {
                return Ok(n);
            }
            self.step()?;
        }
        Ok(max_steps)
    }

    /// Events the read model has not applied.
    pub fn read_model_lag(&self) -> i64 {
        let end = self.cluster.partition(ACCOUNT_EVENTS, 0).map_or(0, |p| p.high_watermark);
        let committed = self
            .cluster
            .group(READ_MODEL_GROUP)
            .and_then(|g| g.committed.iter().find(|(p, _)| *p == tp()).map(|(_, o)| *o))
            .unwrap_or(0);
        (end - committed).max(0)
    }

    /// Empties the read model's tables and seeks its group back to offset 0.
    pub fn rebuild_read_model(&mut self) -> Result<(), PatternError> {
        // A poll makes sure the consumer is in its group and owns the
        // partition (seek needs that); what it fetched is read again anyway.
        // The offsets move first, so a refused seek leaves the tables intact.
        self.cluster.poll(READ_MODEL_GROUP, Some(1))?;
        self.cluster.seek(READ_MODEL_GROUP, &tp(), SeekTo::Beginning)?;
        self.cluster.commit(READ_MODEL_GROUP, Some(vec![(tp(), 0)]))?;
        let mut txn = Transaction::new();
        txn.truncate(BALANCES_TABLE).truncate(HISTORY_TABLE);
        self.read_store.commit(txn)?;
        Ok(())
    }

    /// The read model's balances.
    pub fn read_model(&self) -> BTreeMap<String, u64> {
        self.read_store
            .rows(BALANCES_TABLE)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.parse().unwrap_or(0)))
            .collect_map()
    }

    /// Every event in the topic.
    pub fn events(&self) -> Vec<AccountEvent> {
        self.cluster
            .records(ACCOUNT_EVENTS, 0)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !r.kind.is_control())
            .filter_map(|r| {
                let kind = AccountEventKind::decode(std::str::from_utf8(r.data.value.as_deref()?).ok()?)?;
                let account = String::from_utf8(r.data.key?).ok()?;
                Some(AccountEvent { offset: r.offset, account, kind })
            })
            .collect()
    }

    /// Everything the demo draws.
    pub fn snapshot(&self) -> EventSourcingSnapshot {
        EventSourcingSnapshot {
            events: self.events(),
            write_model: self.write_model.clone(),
            read_model: self.read_model(),
            history: self.read_store.rows(HISTORY_TABLE).into_iter().map(|(_, v)| v.to_string()).collect(),
            read_model_lag: self.read_model_lag(),
            snapshots: self.snapshots(),
            now_ms: self.cluster.now(),
        }
    }
}
