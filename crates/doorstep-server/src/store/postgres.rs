//! The PostgreSQL backend, for a province running several server instances behind a load
//! balancer: the same tables as SQLite, upgraded by numbered migrations recorded in the table
//! `doorstep_schema`. Records are keyed by id, and a batch is one transaction; when two
//! instances store the same new id at once, the second insert finds it there (`ON CONFLICT DO
//! NOTHING`) and answers as if it had looked first.

use std::collections::HashMap;

use doorstep_core::protocol::{DeliveredRecord, Outcome, RosterPerson, Submission};
use postgres::{Client, NoTls};

use super::{Backend, Collector, StoreError, StoredRecord, Storing};

/// Each migration, in order.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE submissions (
        id           TEXT PRIMARY KEY NOT NULL,
        form_id      TEXT NOT NULL,
        form_version TEXT NOT NULL,
        revision     BIGINT NOT NULL,
        answers      TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        completed_at BIGINT,
        received_at  BIGINT NOT NULL
    );
    CREATE INDEX submissions_form ON submissions (form_id);",
    "CREATE TABLE collectors (
        name          TEXT PRIMARY KEY NOT NULL,
        password_hash TEXT NOT NULL,
        villages      TEXT NOT NULL,
        created_at    BIGINT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY NOT NULL,
        collector  TEXT NOT NULL REFERENCES collectors (name) ON DELETE CASCADE,
        expires_at BIGINT NOT NULL
    );
    CREATE TABLE roster (
        cert_no     TEXT PRIMARY KEY NOT NULL,
        name        TEXT NOT NULL,
        region_code TEXT NOT NULL,
        prefill     TEXT NOT NULL,
        imported_at BIGINT NOT NULL
    );
    CREATE INDEX roster_region ON roster (region_code);
    ALTER TABLE submissions ADD COLUMN collector TEXT;",
    // What the collector's app records besides answers (method, times, position, confirmed
    // warnings), as JSON, and the time of the last edit on the device.
    "ALTER TABLE submissions ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE submissions ADD COLUMN updated_at BIGINT;",
    // The roster's key each record was started from (`meta.subject`), as a column: the
    // records about a collector's roster are found through it (`delivered`).
    "ALTER TABLE submissions ADD COLUMN subject TEXT;
    UPDATE submissions SET subject = meta::json ->> 'subject';
    CREATE INDEX submissions_subject ON submissions (subject);",
];

/// A connection to a PostgreSQL database.
pub struct Postgres {
    client: Client,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Postgres")
    }
}

fn revision(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::OutOfRange(format!("revision {value}")))
}

impl Postgres {
    /// Connects and brings the schema up to date. Migrations run under an advisory lock, so
    /// instances starting together do not run them twice.
    pub fn connect(url: &str) -> Result<Postgres, StoreError> {
        let client = Client::connect(url, NoTls)?;
        let mut store = Postgres { client };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock(7243001)", &[])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS doorstep_schema (version BIGINT NOT NULL)")?;
        let version: i64 = tx
            .query_opt("SELECT version FROM doorstep_schema", &[])?
            .map_or(0, |row| row.get(0));
        let known = MIGRATIONS.len();
        let applied = usize::try_from(version).unwrap_or(usize::MAX);
        if applied > known {
            return Err(StoreError::TooNew {
                found: applied,
                known,
            });
        }
        for sql in MIGRATIONS.iter().skip(applied) {
            tx.batch_execute(sql)?;
        }
        // Instances of the version before the subject column may still be running while this
        // one starts (a rolling upgrade), and their inserts leave it empty: each start fills it
        // from the metadata where it is empty and the metadata names a subject.
        tx.execute(
            "UPDATE submissions SET subject = meta::json ->> 'subject'
             WHERE subject IS NULL AND meta LIKE '%\"subject\"%'",
            &[],
        )?;
        tx.execute("DELETE FROM doorstep_schema", &[])?;
        tx.execute(
            "INSERT INTO doorstep_schema (version) VALUES ($1)",
            &[&i64::try_from(known).unwrap_or(i64::MAX)],
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl Backend for Postgres {
    fn put_collector(&mut self, collector: &Collector, now: i64) -> Result<(), StoreError> {
        let villages = serde_json::to_string(&collector.villages)?;
        self.client.execute(
            "INSERT INTO collectors (name, password_hash, villages, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET password_hash = $2, villages = $3",
            &[&collector.name, &collector.password_hash, &villages, &now],
        )?;
        Ok(())
    }

    fn collector(&mut self, name: &str) -> Result<Option<Collector>, StoreError> {
        let row = self.client.query_opt(
            "SELECT password_hash, villages FROM collectors WHERE name = $1",
            &[&name],
        )?;
        row.map(|row| {
            let villages: String = row.get(1);
            Collector::from_columns(name.to_string(), row.get(0), &villages)
        })
        .transpose()
    }

    fn collectors(&mut self) -> Result<Vec<Collector>, StoreError> {
        self.client
            .query(
                "SELECT name, password_hash, villages FROM collectors ORDER BY name",
                &[],
            )?
            .iter()
            .map(|row| {
                let villages: String = row.get(2);
                Collector::from_columns(row.get(0), row.get(1), &villages)
            })
            .collect()
    }

    fn add_session(
        &mut self,
        token_hash: &str,
        collector: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        tx.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now])?;
        tx.execute(
            "INSERT INTO sessions (token_hash, collector, expires_at) VALUES ($1, $2, $3)",
            &[&token_hash, &collector, &expires_at],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn session(&mut self, token_hash: &str, now: i64) -> Result<Option<Collector>, StoreError> {
        let row = self.client.query_opt(
            "SELECT c.name, c.password_hash, c.villages FROM sessions s
             JOIN collectors c ON c.name = s.collector
             WHERE s.token_hash = $1 AND s.expires_at > $2",
            &[&token_hash, &now],
        )?;
        row.map(|row| {
            let villages: String = row.get(2);
            Collector::from_columns(row.get(0), row.get(1), &villages)
        })
        .transpose()
    }

    fn import_roster(&mut self, persons: &[RosterPerson], now: i64) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        let statement = tx.prepare(
            "INSERT INTO roster (cert_no, name, region_code, prefill, imported_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (cert_no) DO UPDATE SET name = $2, region_code = $3, prefill = $4, imported_at = $5",
        )?;
        for person in persons {
            let prefill = serde_json::to_string(&person.prefill)?;
            tx.execute(
                &statement,
                &[
                    &person.cert_no,
                    &person.name,
                    &person.region_code,
                    &prefill,
                    &now,
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn roster(&mut self, villages: &[String]) -> Result<Vec<RosterPerson>, StoreError> {
        let rows = self.client.query(
            "SELECT cert_no, name, region_code, prefill FROM roster
             WHERE region_code = ANY($1) ORDER BY region_code, cert_no",
            &[&villages],
        )?;
        rows.iter().map(roster_person_of).collect()
    }

    fn insert(
        &mut self,
        records: &[&Submission],
        collector: Option<&str>,
        now: i64,
    ) -> Result<Vec<Outcome>, StoreError> {
        let mut tx = self.client.transaction()?;
        // Rows are locked in id order, whatever the batch's order, so two instances storing
        // overlapping batches wait for each other instead of deadlocking.
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_by(|&a, &b| records[a].id.cmp(&records[b].id));
        let mut outcomes = vec![Outcome::Conflict; records.len()];
        for at in order {
            let record = records[at];
            let answers = serde_json::to_string(&record.answers)?;
            let meta = serde_json::to_string(&record.meta)?;
            let revision_now = i64::from(record.revision);
            let inserted = tx.execute(
                "INSERT INTO submissions (id, form_id, form_version, revision, answers, created_at, completed_at, received_at, collector, meta, updated_at, subject)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING",
                &[
                    &record.id,
                    &record.form,
                    &record.form_version,
                    &revision_now,
                    &answers,
                    &record.created_at,
                    &record.completed_at,
                    &now,
                    &collector,
                    &meta,
                    &record.updated_at,
                    &record.meta.subject,
                ],
            )?;
            if inserted == 1 {
                outcomes[at] = Outcome::Accepted;
                continue;
            }
            // Another copy is stored: the row is locked until this batch commits.
            let row = tx.query_one(
                "SELECT revision, answers FROM submissions WHERE id = $1 FOR UPDATE",
                &[&record.id],
            )?;
            let stored_revision = revision(row.get(0))?;
            let stored: String = row.get(1);
            let storing =
                Storing::decide(Some((stored_revision, &stored)), record.revision, &answers);
            match storing {
                Storing::RefreshMeta => {
                    tx.execute(
                        "UPDATE submissions SET revision = $2, meta = $3, updated_at = $4, completed_at = $5, subject = $6 WHERE id = $1",
                        &[&record.id, &revision_now, &meta, &record.updated_at, &record.completed_at, &record.meta.subject],
                    )?;
                }
                Storing::Replace => {
                    tx.execute(
                        "UPDATE submissions SET form_id = $2, form_version = $3, revision = $4, answers = $5,
                         completed_at = $6, received_at = $7, collector = $8, meta = $9, updated_at = $10, subject = $11 WHERE id = $1",
                        &[
                            &record.id,
                            &record.form,
                            &record.form_version,
                            &revision_now,
                            &answers,
                            &record.completed_at,
                            &now,
                            &collector,
                            &meta,
                            &record.updated_at,
                            &record.meta.subject,
                        ],
                    )?;
                }
                // Inserting is done above: the row was there after all.
                Storing::Insert | Storing::Duplicate | Storing::Conflict => {}
            }
            let outcome = storing.outcome();
            outcomes[at] = outcome;
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn delivered(&mut self, villages: &[String]) -> Result<Vec<DeliveredRecord>, StoreError> {
        Ok(self
            .client
            .query(
                "SELECT id, form_id, subject, meta::json ->> 'method', collector FROM submissions
                 WHERE subject = ANY($1)
                    OR subject IN (SELECT cert_no FROM roster WHERE region_code = ANY($1))
                 ORDER BY received_at, id",
                &[&villages],
            )?
            .iter()
            .map(|row| DeliveredRecord {
                id: row.get(0),
                form: row.get(1),
                subject: row.get(2),
                method: row.get(3),
                collector: row.get(4),
            })
            .collect())
    }

    fn stored_answers(&mut self, ids: &[&str]) -> Result<HashMap<String, String>, StoreError> {
        let ids: Vec<&str> = ids.to_vec();
        Ok(self
            .client
            .query(
                "SELECT id, answers FROM submissions WHERE id = ANY($1)",
                &[&ids],
            )?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect())
    }

    fn records(&mut self) -> Result<Vec<StoredRecord>, StoreError> {
        self.client
            .query(
                "SELECT id, form_id, form_version, revision, answers, meta, collector, received_at
                 FROM submissions ORDER BY id",
                &[],
            )?
            .iter()
            .map(|row| {
                let answers: String = row.get(4);
                let meta: String = row.get(5);
                Ok(StoredRecord {
                    id: row.get(0),
                    form_id: row.get(1),
                    form_version: row.get(2),
                    revision: revision(row.get(3))?,
                    answers: serde_json::from_str(&answers)?,
                    meta: serde_json::from_str(&meta)?,
                    sent_by: row.get(6),
                    received_at: row.get(7),
                })
            })
            .collect()
    }

    fn count(&mut self) -> Result<u64, StoreError> {
        let count: i64 = self
            .client
            .query_one("SELECT COUNT(*) FROM submissions", &[])?
            .get(0);
        u64::try_from(count).map_err(|_| StoreError::OutOfRange(format!("count {count}")))
    }
}

/// A roster person from a row of `cert_no, name, region_code, prefill`.
fn roster_person_of(row: &postgres::Row) -> Result<RosterPerson, StoreError> {
    let prefill: String = row.get(3);
    Ok(RosterPerson {
        cert_no: row.get(0),
        name: row.get(1),
        region_code: row.get(2),
        prefill: serde_json::from_str(&prefill)?,
    })
}
