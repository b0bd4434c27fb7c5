//! Where received records, collectors' accounts and sign-ins, and the roster are kept: an
//! embedded SQLite database in the data folder by default ([`sqlite`]), or a PostgreSQL server
//! when `DATABASE_URL` names one ([`postgres`]), so several server instances can share it.
//!
//! Both create and upgrade their schema with numbered migrations. The record id is the key, so
//! a record sent twice is stored once: a repeat with the same content is a duplicate, a newer
//! revision replaces the stored one, anything else is a conflict.

pub mod postgres;
pub mod sqlite;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use doorstep_core::protocol::{DeliveredRecord, Outcome, RosterPerson, Submission};
use thiserror::Error;

/// The database file's name inside the data folder.
pub const DATABASE_FILE: &str = "doorstep.sqlite";

/// What can go wrong with the database.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The data folder could not be made.
    #[error("cannot create the data folder {path}: {source}")]
    DataFolder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error, or could not be reached.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// A stored number does not fit.
    #[error("a stored number is out of range: {0}")]
    OutOfRange(String),
    /// The database was made by a newer doorstep.
    #[error("the database has schema version {found}, newer than this doorstep knows ({known})")]
    TooNew {
        /// The version in the file.
        found: usize,
        /// The newest version this build knows.
        known: usize,
    },
    /// Answers could not be encoded.
    #[error("cannot encode answers: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A collector's account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collector {
    /// The account name.
    pub name: String,
    /// The argon2 hash of the password.
    pub password_hash: String,
    /// The villages the collector may submit records for.
    pub villages: Vec<String>,
}

impl Collector {
    /// A collector from its stored columns; the villages are stored as a JSON list.
    pub(crate) fn from_columns(
        name: String,
        password_hash: String,
        villages: &str,
    ) -> Result<Collector, StoreError> {
        Ok(Collector {
            name,
            password_hash,
            villages: serde_json::from_str(villages)?,
        })
    }
}

/// A record as stored, for reading back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// The record's id.
    pub id: String,
    /// Its form.
    pub form_id: String,
    /// The form's version.
    pub form_version: String,
    /// The stored revision.
    pub revision: u32,
    /// The answers.
    pub answers: serde_json::Value,
    /// What the app recorded besides answers.
    pub meta: doorstep_core::record::Metadata,
    /// The account whose sign-in sent the stored answers, if one did (records stored without a
    /// sign-in name none). A later revision with the same answers does not change it.
    pub sent_by: Option<String>,
    /// When the server received the stored answers (milliseconds since the epoch).
    pub received_at: i64,
}

/// What storing one record of a batch does, given the copy already stored, if any (its
/// revision and its answers as stored JSON). Both backends decide by this and only run the SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storing {
    /// Nothing stored under this id: insert it.
    Insert,
    /// Other answers, newer: replace the stored copy.
    Replace,
    /// The same answers, newer: keep them, take the newer metadata (a warning's note, the
    /// re-confirmation) and times.
    RefreshMeta,
    /// The same answers, not newer: nothing to do.
    Duplicate,
    /// Other answers, not newer: refused.
    Conflict,
}

impl Storing {
    /// Decides, for a record of `revision` whose answers are the JSON `answers`.
    pub fn decide(stored: Option<(u32, &str)>, revision: u32, answers: &str) -> Storing {
        match stored {
            None => Storing::Insert,
            Some((stored_revision, stored)) if stored == answers => {
                if revision > stored_revision {
                    Storing::RefreshMeta
                } else {
                    Storing::Duplicate
                }
            }
            Some((stored_revision, _)) if revision > stored_revision => Storing::Replace,
            Some(_) => Storing::Conflict,
        }
    }

    /// What the device is told.
    pub fn outcome(self) -> Outcome {
        match self {
            Storing::Insert | Storing::Replace => Outcome::Accepted,
            Storing::RefreshMeta | Storing::Duplicate => Outcome::Duplicate,
            Storing::Conflict => Outcome::Conflict,
        }
    }
}

/// What a database backend does; [`Store`] hands every call to one.
pub trait Backend: Send + std::fmt::Debug {
    /// Adds a collector, or replaces the password and villages of one with this name.
    fn put_collector(&mut self, collector: &Collector, now: i64) -> Result<(), StoreError>;
    /// The collector with this name.
    fn collector(&mut self, name: &str) -> Result<Option<Collector>, StoreError>;
    /// Every collector, by name.
    fn collectors(&mut self) -> Result<Vec<Collector>, StoreError>;
    /// Remembers a sign-in by the hash of its token; forgets expired ones.
    fn add_session(
        &mut self,
        token_hash: &str,
        collector: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError>;
    /// The collector a token signs in, if it is known and not expired.
    fn session(&mut self, token_hash: &str, now: i64) -> Result<Option<Collector>, StoreError>;
    /// Adds or replaces roster persons, all in one transaction.
    fn import_roster(&mut self, persons: &[RosterPerson], now: i64) -> Result<(), StoreError>;
    /// The roster's persons in these villages, by village and certificate number.
    fn roster(&mut self, villages: &[String]) -> Result<Vec<RosterPerson>, StoreError>;
    /// Stores the checked records of one batch in one transaction and says what became of
    /// each; `collector` is who sent them.
    fn insert(
        &mut self,
        records: &[&Submission],
        collector: Option<&str>,
        now: i64,
    ) -> Result<Vec<Outcome>, StoreError>;
    /// The records about the persons of these villages (by certificate number) and about the
    /// villages themselves (by village code), whoever sent them, oldest first.
    fn delivered(&mut self, villages: &[String]) -> Result<Vec<DeliveredRecord>, StoreError>;
    /// The stored answers (as stored JSON text) of those of these ids that are stored.
    fn stored_answers(&mut self, ids: &[&str]) -> Result<HashMap<String, String>, StoreError>;
    /// Every stored record, oldest id first.
    fn records(&mut self) -> Result<Vec<StoredRecord>, StoreError>;
    /// How many records are stored.
    fn count(&mut self) -> Result<u64, StoreError>;
}

/// An open database, whichever backend it is.
#[derive(Debug)]
pub struct Store {
    backend: Box<dyn Backend>,
}

impl Store {
    /// Opens (creating when needed) the SQLite database in `data_dir` and brings its schema up
    /// to date.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Box::new(sqlite::Sqlite::open(data_dir)?),
        })
    }

    /// Connects to a PostgreSQL database (`postgres://user:password@host/database`) and brings
    /// its schema up to date.
    pub fn connect(url: &str) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Box::new(postgres::Postgres::connect(url)?),
        })
    }

    /// The database the server is configured with: PostgreSQL when the environment variable
    /// `DATABASE_URL` is set, else SQLite in `data_dir`.
    pub fn open_configured(data_dir: &Path) -> Result<Store, StoreError> {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Store::connect(url.trim()),
            _ => Store::open(data_dir),
        }
    }

    /// Where the data is, for messages: the SQLite file, or the PostgreSQL server.
    pub fn describe(data_dir: &Path) -> String {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => {
                // Never print the password.
                let shown = url.split('@').next_back().unwrap_or_default();
                format!("PostgreSQL {shown}")
            }
            _ => data_dir.join(DATABASE_FILE).display().to_string(),
        }
    }

    /// See [`Backend::put_collector`].
    pub fn put_collector(&mut self, collector: &Collector, now: i64) -> Result<(), StoreError> {
        self.backend.put_collector(collector, now)
    }

    /// See [`Backend::collector`].
    pub fn collector(&mut self, name: &str) -> Result<Option<Collector>, StoreError> {
        self.backend.collector(name)
    }

    /// See [`Backend::collectors`].
    pub fn collectors(&mut self) -> Result<Vec<Collector>, StoreError> {
        self.backend.collectors()
    }

    /// See [`Backend::add_session`].
    pub fn add_session(
        &mut self,
        token_hash: &str,
        collector: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        self.backend
            .add_session(token_hash, collector, expires_at, now)
    }

    /// See [`Backend::session`].
    pub fn session(&mut self, token_hash: &str, now: i64) -> Result<Option<Collector>, StoreError> {
        self.backend.session(token_hash, now)
    }

    /// See [`Backend::import_roster`].
    pub fn import_roster(&mut self, persons: &[RosterPerson], now: i64) -> Result<(), StoreError> {
        self.backend.import_roster(persons, now)
    }

    /// See [`Backend::roster`].
    pub fn roster(&mut self, villages: &[String]) -> Result<Vec<RosterPerson>, StoreError> {
        self.backend.roster(villages)
    }

    /// See [`Backend::insert`].
    pub fn insert(
        &mut self,
        records: &[&Submission],
        collector: Option<&str>,
        now: i64,
    ) -> Result<Vec<Outcome>, StoreError> {
        self.backend.insert(records, collector, now)
    }

    /// See [`Backend::delivered`].
    pub fn delivered(&mut self, villages: &[String]) -> Result<Vec<DeliveredRecord>, StoreError> {
        self.backend.delivered(villages)
    }

    /// See [`Backend::stored_answers`].
    pub fn stored_answers(&mut self, ids: &[&str]) -> Result<HashMap<String, String>, StoreError> {
        self.backend.stored_answers(ids)
    }

    /// See [`Backend::records`].
    pub fn records(&mut self) -> Result<Vec<StoredRecord>, StoreError> {
        self.backend.records()
    }

    /// See [`Backend::count`].
    pub fn count(&mut self) -> Result<u64, StoreError> {
        self.backend.count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_copy_decides_what_storing_does() {
        assert_eq!(Storing::decide(None, 1, "{}"), Storing::Insert);
        assert_eq!(
            Storing::decide(Some((2, "{}")), 2, "{}"),
            Storing::Duplicate
        );
        assert_eq!(
            Storing::decide(Some((2, "{}")), 3, "{}"),
            Storing::RefreshMeta
        );
        assert_eq!(
            Storing::decide(Some((2, "{}")), 3, "{\"a\":1}"),
            Storing::Replace
        );
        assert_eq!(
            Storing::decide(Some((2, "{}")), 2, "{\"a\":1}"),
            Storing::Conflict
        );
        assert_eq!(Storing::RefreshMeta.outcome(), Outcome::Duplicate);
        assert_eq!(Storing::Replace.outcome(), Outcome::Accepted);
    }
}
