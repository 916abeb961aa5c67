//! A small in-memory table store for simulated services.
//!
//! A [`Store`] holds named [`Table`]s; each row has a unique primary key and a
//! string value. Changes only happen through a [`Transaction`]: the service
//! buffers inserts, upserts, appends and deletes, then [`Store::commit`]
//! checks every one against the current rows and applies all of them or none.
//! That all-or-nothing commit is what the outbox and the idempotent consumer
//! rely on, so it is the one thing this module must get right. Dropping a
//! transaction (or calling [`Transaction::rollback`]) is a rollback: a crash
//! between writing and committing loses the buffered writes and nothing else.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a transaction was refused; the store is unchanged afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreError {
    /// No table with this name.
    UnknownTable(String),
    /// A table with this name already exists.
    TableExists(String),
    /// An insert hit an existing primary key.
    UniqueViolation {
        /// The table.
        table: String,
        /// The key that already exists.
        key: String,
    },
    /// A delete named a row that is not there.
    NoSuchRow {
        /// The table.
        table: String,
        /// The missing key.
        key: String,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::UnknownTable(t) => write!(f, "no table {t}"),
            StoreError::TableExists(t) => write!(f, "table {t} already exists"),
            StoreError::UniqueViolation { table, key } => write!(f, "duplicate key {key} in {table}"),
            StoreError::NoSuchRow { table, key } => write!(f, "no row {key} in {table}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// One table: rows by unique primary key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Rows in key order.
    pub rows: BTreeMap<String, String>,
    /// The next number [`Transaction::append`] hands out, like an identity column.
    pub next_id: u64,
}

/// One buffered change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Write {
    /// Insert a row; fails on an existing key.
    Insert {
        /// The table.
        table: String,
        /// The primary key.
        key: String,
        /// The value.
        value: String,
    },
    /// Insert or replace a row.
    Upsert {
        /// The table.
        table: String,
        /// The primary key.
        key: String,
        /// The value.
        value: String,
    },
    /// Insert a row under the table's next identity number.
    Append {
        /// The table.
        table: String,
        /// The value.
        value: String,
    },
    /// Delete a row; fails when it is missing.
    Delete {
        /// The table.
        table: String,
        /// The primary key.
        key: String,
    },
    /// Delete every row of a table.
    Truncate {
        /// The table.
        table: String,
    },
}

/// Writes waiting for a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The writes, in the order they will apply.
    pub writes: Vec<Write>,
}

impl Transaction {
    /// An empty transaction.
    pub fn new() -> Self {
        Transaction::default()
    }

    /// Buffers an insert that must not meet an existing key.
    pub fn insert(&mut self, table: &str, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.writes.push(Write::Insert { table: table.into(), key: key.into(), value: value.into() });
        self
    }

    /// Buffers an insert-or-replace.
    pub fn upsert(&mut self, table: &str, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.writes.push(Write::Upsert { table: table.into(), key: key.into(), value: value.into() });
        self
    }

    /// Buffers an insert under the next identity number.
    pub fn append(&mut self, table: &str, value: impl Into<String>) -> &mut Self {
        self.writes.push(Write::Append { table: table.into(), value: value.into() });
        self
    }

    /// Buffers a delete of an existing row.
    pub fn delete(&mut self, table: &str, key: impl Into<String>) -> &mut Self {
        self.writes.push(Write::Delete { table: table.into(), key: key.into() });
        self
    }

    /// Buffers the removal of every row.
    pub fn truncate(&mut self, table: &str) -> &mut Self {
        self.writes.push(Write::Truncate { table: table.into() });
        self
    }

    /// Throws the writes away and says how many there were.
    pub fn rollback(self) -> usize {
        self.writes.len()
    }
}

/// What a successful commit did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitReceipt {
    /// The commit's sequence number in this store, from 1.
    pub commit: u64,
    /// The keys [`Transaction::append`] writes received, in order.
    pub appended_keys: Vec<String>,
}

/// The service's database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    tables: BTreeMap<String, Table>,
    commits: u64,
}

/// The width of identity keys, so that key order is numeric order.
const ID_WIDTH: usize = 6;

impl Store {
    /// A store with these empty tables.
    pub fn with_tables(names: &[&str]) -> Self {
        let mut s = Store::default();
        for n in names {
            s.tables.insert((*n).to_string(), Table::default());
        }
        s
    }

    /// Creates an empty table.
    pub fn create_table(&mut self, name: &str) -> Result<(), StoreError> {
        if self.tables.contains_key(name) {
            return Err(StoreError::TableExists(name.to_string()));
        }
        self.tables.insert(name.to_string(), Table::default());
        Ok(())
    }

    /// Applies every write of `txn` or, on the first refused one, none of them.
    pub fn commit(&mut self, txn: Transaction) -> Result<CommitReceipt, StoreError> {
        // Work on a copy of the touched tables only, so a refused write leaves
        // the store exactly as it was.
        let mut staged: BTreeMap<String, Table> = BTreeMap::new();
        let mut appended_keys = Vec::new();
        for w in txn.writes {
            let name = match &w {
                Write::Insert { table, .. }
                | Write::Upsert { table, .. }
                | Write::Append { table, .. }
                | Write::Delete { table, .. }
                | Write::Truncate { table } => table.clone(),
            };
            if !staged.contains_key(&name) {
                let t = self.tables.get(&name).ok_or_else(|| StoreError::UnknownTable(name.clone()))?;
                staged.insert(name.clone(), t.clone());
            }
            let t = staged.get_mut(&name).expect("staged above");
            match w {
                Write::Insert { key, value, .. } => {
                    if t.rows.contains_key(&key) {
                        return Err(StoreError::UniqueViolation { table: name, key });
                    }
                    t.rows.insert(key, value);
                }
                Write::Upsert { key, value, .. } => {
                    t.rows.insert(key, value);
                }
                Write::Append { value, .. } => {
                    t.next_id += 1;
                    let key = format!("{:0width$}", t.next_id, width = ID_WIDTH);
                    appended_keys.push(key.clone());
                    t.rows.insert(key, value);
                }
                Write::Delete { key, .. } => {
                    if t.rows.remove(&key).is_none() {
                        return Err(StoreError::NoSuchRow { table: name, key });
                    }
                }
                Write::Truncate { .. } => t.rows.clear(),
            }
        }
        self.tables.extend(staged);
        self.commits += 1;
        Ok(CommitReceipt { commit: self.commits, appended_keys })
    }

    /// One row's value.
    pub fn get(&self, table: &str, key: &str) -> Option<&str> {
        self.tables.get(table)?.rows.get(key).map(String::as_str)
    }

    /// A table, if it exists.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// A table's rows in key order (empty for an unknown table).
    pub fn rows(&self, table: &str) -> Vec<(&str, &str)> {
        self.tables.get(table).map_or_else(Vec::new, |t| t.rows.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
    }

    /// How many rows a table has.
    pub fn len(&self, table: &str) -> usize {
        self.tables.get(table).map_or(0, |t| t.rows.len())
    }

    /// Whether a table is empty or missing.
    pub fn is_empty(&self, table: &str) -> bool {
        self.len(table) == 0
    }

    /// How many transactions committed.
    pub fn commits(&self) -> u64 {
        self.commits
    }

    /// Every table, for drawing.
    pub fn tables(&self) -> &BTreeMap<String, Table> {
        &self.tables
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_write_rolls_back_the_whole_transaction() {
        let mut s = Store::with_tables(&["orders", "outbox"]);
        let mut t = Transaction::new();
        t.insert("orders", "o1", "book");
        s.commit(t).unwrap();
        let mut t = Transaction::new();
        t.insert("outbox", "e1", "created").insert("orders", "o1", "again");
        assert_eq!(s.commit(t), Err(StoreError::UniqueViolation { table: "orders".into(), key: "o1".into() }));
        assert!(s.is_empty("outbox"));
        assert_eq!(s.get("orders", "o1"), Some("book"));
        assert_eq!(s.commits(), 1);
    }

    #[test]
    fn appends_get_increasing_identity_keys() {
        let mut s = Store::with_tables(&["ledger"]);
        let mut t = Transaction::new();
        t.append("ledger", "a").append("ledger", "b");
        let r = s.commit(t).unwrap();
        assert_eq!(r.appended_keys, vec!["000001".to_string(), "000002".to_string()]);
        assert_eq!(s.rows("ledger"), vec![("000001", "a"), ("000002", "b")]);
    }

    #[test]
    fn unknown_tables_and_missing_rows_are_typed_errors() {
        let mut s = Store::with_tables(&["t"]);
        let mut t = Transaction::new();
        t.insert("nope", "k", "v");
        assert_eq!(s.commit(t), Err(StoreError::UnknownTable("nope".into())));
        let mut t = Transaction::new();
        t.delete("t", "k");
        assert_eq!(s.commit(t), Err(StoreError::NoSuchRow { table: "t".into(), key: "k".into() }));
        assert_eq!(s.create_table("t"), Err(StoreError::TableExists("t".into())));
    }
}
