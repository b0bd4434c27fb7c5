//! The SQLite backend: one file in the data folder, in WAL mode, the schema upgraded by
//! numbered migrations recorded in `user_version`.

use std::collections::HashMap;
use std::path::Path;

use doorstep_core::protocol::{DeliveredRecord, Outcome, RosterPerson, Submission};
use rusqlite::{params, Connection, OptionalExtension};

use super::{Backend, Collector, StoreError, StoredRecord, Storing, DATABASE_FILE};

/// Each migration, in order; the database's `user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE submissions (
        id           TEXT PRIMARY KEY NOT NULL,
        form_id      TEXT NOT NULL,
        form_version TEXT NOT NULL,
        revision     INTEGER NOT NULL,
        answers      TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        completed_at INTEGER,
        received_at  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX submissions_form ON submissions (form_id);",
    // Accounts, sign-ins and the roster; the collector who sent each record.
    "CREATE TABLE collectors (
        name          TEXT PRIMARY KEY NOT NULL,
        password_hash TEXT NOT NULL,
        villages      TEXT NOT NULL,
        created_at    INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY NOT NULL,
        collector  TEXT NOT NULL REFERENCES collectors (name) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE roster (
        cert_no     TEXT PRIMARY KEY NOT NULL,
        name        TEXT NOT NULL,
        region_code TEXT NOT NULL,
        prefill     TEXT NOT NULL,
        imported_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX roster_region ON roster (region_code);
    ALTER TABLE submissions ADD COLUMN collector TEXT;",
    // What the collector's app records besides answers (method, times, position, confirmed
    // warnings), as JSON, and the time of the last edit on the device.
    "ALTER TABLE submissions ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE submissions ADD COLUMN updated_at INTEGER;",
    // The roster's key each record was started from (`meta.subject`), as a column: the
    // records about a collector's roster are found through it (`delivered`).
    "ALTER TABLE submissions ADD COLUMN subject TEXT;
    UPDATE submissions SET subject = json_extract(meta, '$.subject');
    CREATE INDEX submissions_subject ON submissions (subject);",
];

/// The SQLite database in a data folder.
#[derive(Debug)]
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens (creating when needed) the database in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Sqlite, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataFolder {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let conn = Connection::open(data_dir.join(DATABASE_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Sqlite { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: usize = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        Ok(())
    }
}

impl Backend for Sqlite {
    /// Adds a collector, or replaces the password and villages of one with this name.
    fn put_collector(&mut self, collector: &Collector, now: i64) -> Result<(), StoreError> {
        let villages = serde_json::to_string(&collector.villages)?;
        self.conn.execute(
            "INSERT INTO collectors (name, password_hash, villages, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET password_hash = ?2, villages = ?3",
            params![collector.name, collector.password_hash, villages, now],
        )?;
        Ok(())
    }

    /// The collector with this name.
    fn collector(&mut self, name: &str) -> Result<Option<Collector>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT password_hash, villages FROM collectors WHERE name = ?1",
                [name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(password_hash, villages)| {
            Collector::from_columns(name.to_string(), password_hash, &villages)
        })
        .transpose()
    }

    /// Every collector, by name.
    fn collectors(&mut self) -> Result<Vec<Collector>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, password_hash, villages FROM collectors ORDER BY name")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        rows.map(|row| {
            let (name, password_hash, villages): (String, String, String) = row?;
            Collector::from_columns(name, password_hash, &villages)
        })
        .collect()
    }

    /// Remembers a sign-in by the hash of its token; forgets expired ones.
    fn add_session(
        &mut self,
        token_hash: &str,
        collector: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
        tx.execute(
            "INSERT INTO sessions (token_hash, collector, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, collector, expires_at],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The collector a token signs in, if it is known and not expired.
    fn session(&mut self, token_hash: &str, now: i64) -> Result<Option<Collector>, StoreError> {
        let row: Option<(String, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT c.name, c.password_hash, c.villages FROM sessions s
                 JOIN collectors c ON c.name = s.collector
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(params![token_hash, now], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?;
        row.map(|(name, password_hash, villages)| {
            Collector::from_columns(name, password_hash, &villages)
        })
        .transpose()
    }

    /// Adds or replaces roster persons, all in one transaction.
    fn import_roster(&mut self, persons: &[RosterPerson], now: i64) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO roster (cert_no, name, region_code, prefill, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (cert_no) DO UPDATE SET name = ?2, region_code = ?3, prefill = ?4, imported_at = ?5",
            )?;
            for person in persons {
                let prefill = serde_json::to_string(&person.prefill)?;
                stmt.execute(params![
                    person.cert_no,
                    person.name,
                    person.region_code,
                    prefill,
                    now
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The roster's persons in these villages, by village and certificate number, in one
    /// query (the villages go in as a JSON list).
    fn roster(&mut self, villages: &[String]) -> Result<Vec<RosterPerson>, StoreError> {
        let villages = serde_json::to_string(villages)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT cert_no, name, region_code, prefill FROM roster
             WHERE region_code IN (SELECT value FROM json_each(?1))
             ORDER BY region_code, cert_no",
        )?;
        let rows = stmt.query_map([villages], roster_columns)?;
        rows.map(|row| roster_person_of(row?)).collect()
    }

    /// Stores the checked records of one batch in one transaction and says what became of each.
    /// `collector` is who sent them.
    fn insert(
        &mut self,
        records: &[&Submission],
        collector: Option<&str>,
        now: i64,
    ) -> Result<Vec<Outcome>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut outcomes = Vec::with_capacity(records.len());
        for record in records {
            let answers = serde_json::to_string(&record.answers)?;
            let meta = serde_json::to_string(&record.meta)?;
            let existing: Option<(u32, String)> = tx
                .query_row(
                    "SELECT revision, answers FROM submissions WHERE id = ?1",
                    [&record.id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let storing = Storing::decide(
                existing.as_ref().map(|(r, a)| (*r, a.as_str())),
                record.revision,
                &answers,
            );
            match storing {
                Storing::Insert => {
                    tx.execute(
                        "INSERT INTO submissions (id, form_id, form_version, revision, answers, created_at, completed_at, received_at, collector, meta, updated_at, subject)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        params![record.id, record.form, record.form_version, record.revision, answers, record.created_at, record.completed_at, now, collector, meta, record.updated_at, record.meta.subject],
                    )?;
                }
                Storing::RefreshMeta => {
                    tx.execute(
                        "UPDATE submissions SET revision = ?2, meta = ?3, updated_at = ?4, completed_at = ?5, subject = ?6 WHERE id = ?1",
                        params![record.id, record.revision, meta, record.updated_at, record.completed_at, record.meta.subject],
                    )?;
                }
                Storing::Replace => {
                    tx.execute(
                        "UPDATE submissions SET form_id = ?2, form_version = ?3, revision = ?4, answers = ?5, completed_at = ?6, received_at = ?7, collector = ?8, meta = ?9, updated_at = ?10, subject = ?11 WHERE id = ?1",
                        params![record.id, record.form, record.form_version, record.revision, answers, record.completed_at, now, collector, meta, record.updated_at, record.meta.subject],
                    )?;
                }
                Storing::Duplicate | Storing::Conflict => {}
            }
            let outcome = storing.outcome();
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// The records about the persons of these villages and about the villages themselves, in
    /// one query (the villages go in as a JSON list), oldest first.
    fn delivered(&mut self, villages: &[String]) -> Result<Vec<DeliveredRecord>, StoreError> {
        let villages = serde_json::to_string(villages)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, form_id, subject, json_extract(meta, '$.method'), collector FROM submissions
             WHERE subject IN (SELECT value FROM json_each(?1))
                OR subject IN (SELECT cert_no FROM roster
                               WHERE region_code IN (SELECT value FROM json_each(?1)))
             ORDER BY received_at, id",
        )?;
        let rows = stmt.query_map([villages], |row| {
            Ok(DeliveredRecord {
                id: row.get(0)?,
                form: row.get(1)?,
                subject: row.get(2)?,
                method: row.get(3)?,
                collector: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stored answers (as stored JSON text) of those of these ids that are stored.
    fn stored_answers(&mut self, ids: &[&str]) -> Result<HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT answers FROM submissions WHERE id = ?1")?;
        let mut found = HashMap::new();
        for id in ids {
            if let Some(answers) = stmt
                .query_row([id], |row| row.get::<_, String>(0))
                .optional()?
            {
                found.insert((*id).to_string(), answers);
            }
        }
        Ok(found)
    }

    /// Every stored record, oldest id first.
    fn records(&mut self) -> Result<Vec<StoredRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, form_id, form_version, revision, answers, meta, collector, received_at
             FROM submissions ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, u32>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, Option<String>>(6)?,
                row.get::<_, i64>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, form_id, form_version, revision, answers, meta, sent_by, received_at) = row?;
            out.push(StoredRecord {
                id,
                form_id,
                form_version,
                revision,
                answers: serde_json::from_str(&answers)?,
                meta: serde_json::from_str(&meta)?,
                sent_by,
                received_at,
            });
        }
        Ok(out)
    }

    /// How many records are stored.
    fn count(&mut self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM submissions", [], |row| row.get(0))?)
    }
}

/// The columns `cert_no, name, region_code, prefill` of a roster row.
type RosterColumns = (String, String, String, String);

fn roster_columns(row: &rusqlite::Row<'_>) -> rusqlite::Result<RosterColumns> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

/// A roster person from its columns, the prefilled answers read from their JSON.
fn roster_person_of(
    (cert_no, name, region_code, prefill): RosterColumns,
) -> Result<RosterPerson, StoreError> {
    Ok(RosterPerson {
        cert_no,
        name,
        region_code,
        prefill: serde_json::from_str(&prefill)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database made before records had a subject column gets one, filled from each record's
    /// metadata, so that the records already received count as delivered.
    #[test]
    fn the_subject_migration_fills_the_column_from_stored_metadata() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let conn = Connection::open(dir.path().join(DATABASE_FILE)).expect("opens");
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).expect("older migration");
            }
            conn.pragma_update(None, "user_version", 3)
                .expect("version");
            conn.execute(
                "INSERT INTO submissions (id, form_id, form_version, revision, answers, created_at, received_at, collector, meta)
                 VALUES ('r1', 'individual', '1', 1, '{}', 1, 2, '王五', '{\"subject\":\"33011019800515002642\",\"method\":\"1\"}'),
                        ('r2', 'individual', '1', 1, '{}', 1, 3, NULL, '{}')",
                [],
            )
            .expect("older records");
            conn.execute(
                "INSERT INTO roster (cert_no, name, region_code, prefill, imported_at)
                 VALUES ('33011019800515002642', '李四', '330110005001', '{}', 1)",
                [],
            )
            .expect("roster");
        }
        let mut store = Sqlite::open(dir.path()).expect("migrates");
        let delivered = store
            .delivered(&["330110005001".to_string()])
            .expect("delivered");
        assert_eq!(
            delivered,
            vec![DeliveredRecord {
                id: "r1".into(),
                form: "individual".into(),
                subject: "33011019800515002642".into(),
                method: Some("1".into()),
                collector: Some("王五".into()),
            }]
        );
    }
}
