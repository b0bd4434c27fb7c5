//! The app's only door to IndexedDB (through rexie): records and drafts kept on the device.
//!
//! Every record, whatever its status, is one object in the `records` store keyed by its id,
//! holding the record's JSON as written by `doorstep-core`. A status change is one `put` of
//! the whole record, so a record is never half in the outbox.

use doorstep_core::protocol::{Assignments, Session};
use doorstep_core::Record;
use rexie::{ObjectStore, Rexie, TransactionMode};
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};

/// The database name the app uses.
pub const DATABASE: &str = "doorstep";

const RECORDS: &str = "records";

/// The collector's sign-in, one object under the key [`SESSION_KEY`]: kept on the device so the
/// app opens offline after the first sign-in.
const SESSIONS: &str = "session";
const SESSION_KEY: &str = "current";
/// An answer of the server kept beside the sign-in, as the bytes of its JSON (a `Uint8Array`),
/// with the server's entity tag of it written in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptAnswer {
    /// The last assignments (villages and roster) fetched. Earlier versions kept the parsed
    /// object, which is still read.
    Assignments,
    /// The records the server holds about the roster, from any device.
    Delivered,
}

impl KeptAnswer {
    /// The keys of the answer and of its tag in the session store.
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            KeptAnswer::Assignments => ("assignments", "assignments-tag"),
            KeptAnswer::Delivered => ("delivered", "delivered-tag"),
        }
    }
}

/// What can go wrong with the device's storage.
#[derive(Debug, Error)]
pub enum StoreError {
    /// IndexedDB refused the operation (unavailable, quota exceeded, blocked).
    #[error("IndexedDB: {0}")]
    Database(String),
    /// A stored object is not a record this version understands.
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
    /// The browser's storage quota is used up: the write did not happen, what was stored
    /// before is intact.
    #[error("the device storage is full: {0}")]
    QuotaExceeded(String),
    /// The browser aborted a write without saying why; in practice because the storage is
    /// full (Chromium refuses a commit over quota this way). Nothing of it was written; what
    /// was stored before is intact.
    #[error("the device refused the write (its storage is probably full)")]
    NotWritten,
    /// Another open copy of the app took the device over (see `device_lock`): this one, about
    /// to reload, writes nothing over what that copy holds.
    #[error("another open copy of the app holds the device: nothing is written here")]
    HeldElsewhere,
}

/// A value of the session store read back; an unreadable one counts as none.
fn read_kept<T: serde::de::DeserializeOwned>(value: &JsValue) -> Option<T> {
    let text: String = js_sys::JSON::stringify(value).ok()?.into();
    serde_json::from_str(&text).ok()
}

/// An answer kept, read back; an unreadable one counts as none. It is the bytes of the server's
/// JSON: a roster of 20,000 persons is one copy out of IndexedDB and one parse, where an object
/// would be cloned field by field, turned into text, and the text into Rust's. Assignments kept
/// as an object by an earlier version are read too.
fn read_answer<T: serde::de::DeserializeOwned>(value: &JsValue) -> Option<T> {
    match value.dyn_ref::<js_sys::Uint8Array>() {
        Some(bytes) => serde_json::from_str(&String::from_utf8(bytes.to_vec()).ok()?).ok(),
        None => read_kept(value),
    }
}

/// Waits for a write to be durable. A transaction the browser aborted is an error, not a
/// success: the app must not believe a change is on the device when it is not.
async fn finish(tx: rexie::Transaction) -> Result<(), StoreError> {
    match tx.done().await? {
        rexie::TransactionResult::Committed => Ok(()),
        rexie::TransactionResult::Aborted => Err(StoreError::NotWritten),
    }
}

impl From<rexie::Error> for StoreError {
    fn from(e: rexie::Error) -> Self {
        let text = format!("{e:?}");
        if text.contains("QuotaExceeded") {
            StoreError::QuotaExceeded(text)
        } else {
            StoreError::Database(text)
        }
    }
}

/// How much the browser lets the app keep on the device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageUsage {
    /// Bytes used by this site.
    pub used: f64,
    /// Bytes the site may use.
    pub quota: f64,
    /// Whether the browser promised not to clear the data under storage pressure.
    pub persistent: bool,
}

/// Reports how much device storage is used. With `ask`, it first asks the browser to keep the
/// app's data (persistent storage; a browser may refuse, and then the data is still kept unless
/// the device runs short). The app asks once: some browsers ask the user each time.
pub async fn storage_usage(ask: bool) -> Option<StorageUsage> {
    use wasm_bindgen_futures::JsFuture;
    let storage = web_sys::window()?.navigator().storage();
    let persistent = match storage.persisted() {
        Ok(promise) => JsFuture::from(promise).await.ok()?.as_bool() == Some(true),
        Err(_) => false,
    };
    let persistent = if persistent || !ask {
        persistent
    } else {
        match storage.persist() {
            Ok(promise) => JsFuture::from(promise).await.ok()?.as_bool() == Some(true),
            Err(_) => false,
        }
    };
    let estimate: web_sys::StorageEstimate =
        JsFuture::from(storage.estimate().ok()?).await.ok()?.into();
    Some(StorageUsage {
        used: estimate.get_usage().unwrap_or(0.0),
        quota: estimate.get_quota().unwrap_or(0.0),
        persistent,
    })
}

/// An open connection to the device's database.
#[derive(Debug, Clone)]
pub struct DeviceStore {
    db: std::rc::Rc<Rexie>,
}

impl PartialEq for DeviceStore {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.db, &other.db)
    }
}

/// A record, or a sign-in, as the object IndexedDB keeps.
fn to_js(value: &impl serde::Serialize) -> Result<JsValue, StoreError> {
    let text = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|e| StoreError::Corrupt(format!("{e:?}")))
}

fn from_js(value: &JsValue) -> Result<Record, StoreError> {
    let text: String = js_sys::JSON::stringify(value)
        .map_err(|e| StoreError::Corrupt(format!("{e:?}")))?
        .into();
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl DeviceStore {
    /// A transaction to write to these stores: every write to the device starts here, so none
    /// is made by a copy of the app that another copy took the device over from.
    fn writing(&self, stores: &[&str]) -> Result<rexie::Transaction, StoreError> {
        if crate::device_lock::lost() {
            return Err(StoreError::HeldElsewhere);
        }
        Ok(self.db.transaction(stores, TransactionMode::ReadWrite)?)
    }

    /// Opens (creating or upgrading when needed) the database with this name.
    pub async fn open(name: &str) -> Result<DeviceStore, StoreError> {
        // Version 2 added the session store; records written by version 1 stay as they are.
        let db = Rexie::builder(name)
            .version(2)
            .add_object_store(ObjectStore::new(RECORDS).key_path("id"))
            .add_object_store(ObjectStore::new(SESSIONS))
            .build()
            .await?;
        Ok(DeviceStore {
            db: std::rc::Rc::new(db),
        })
    }

    /// Writes a record, replacing the stored copy with the same id; done when it is durable.
    pub async fn put(&self, record: &Record) -> Result<(), StoreError> {
        let value = to_js(record)?;
        let tx = self.writing(&[RECORDS])?;
        tx.store(RECORDS)?.put(&value, None).await?;
        finish(tx).await
    }

    /// Writes several records in one transaction: all of them are stored, or none.
    pub async fn put_many(&self, records: &[Record]) -> Result<(), StoreError> {
        let values = records.iter().map(to_js).collect::<Result<Vec<_>, _>>()?;
        let tx = self.writing(&[RECORDS])?;
        let store = tx.store(RECORDS)?;
        for value in &values {
            store.put(value, None).await?;
        }
        finish(tx).await
    }

    /// Reads one record by id.
    pub async fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let tx = self.db.transaction(&[RECORDS], TransactionMode::ReadOnly)?;
        let value = tx.store(RECORDS)?.get(JsValue::from_str(id)).await?;
        value.as_ref().map(from_js).transpose()
    }

    /// Several records by id, in one transaction; `None` where one is missing.
    pub async fn get_many(&self, ids: &[String]) -> Result<Vec<Option<Record>>, StoreError> {
        let tx = self.db.transaction(&[RECORDS], TransactionMode::ReadOnly)?;
        let store = tx.store(RECORDS)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let value = store.get(JsValue::from_str(id)).await?;
            out.push(value.as_ref().map(from_js).transpose()?);
        }
        Ok(out)
    }

    /// Every stored record, in id order (which is creation order for version 7 ids), and the
    /// errors of any stored objects that could not be read: one bad object never hides the rest.
    pub async fn all(&self) -> Result<(Vec<Record>, Vec<StoreError>), StoreError> {
        let tx = self.db.transaction(&[RECORDS], TransactionMode::ReadOnly)?;
        let values = tx.store(RECORDS)?.get_all(None, None).await?;
        let mut records = Vec::with_capacity(values.len());
        let mut unreadable = Vec::new();
        for value in &values {
            match from_js(value) {
                Ok(record) => records.push(record),
                Err(e) => unreadable.push(e),
            }
        }
        Ok((records, unreadable))
    }

    /// The stored sign-in, if any (an unreadable one counts as none: the collector signs in
    /// again).
    pub async fn session(&self) -> Result<Option<Session>, StoreError> {
        self.get_kept(SESSION_KEY).await
    }

    /// Keeps a sign-in, replacing the one before. Another collector's sign-in forgets, in the
    /// same transaction, the records delivered kept for the one before: they are about another
    /// roster.
    pub async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        let value = to_js(session)?;
        let tx = self.writing(&[SESSIONS])?;
        let kept = tx.store(SESSIONS)?;
        let before = kept
            .get(JsValue::from_str(SESSION_KEY))
            .await?
            .and_then(|s| js_sys::Reflect::get(&s, &JsValue::from_str("collector")).ok())
            .and_then(|c| c.as_string());
        if before.is_some_and(|before| before != session.collector) {
            let (key, tag_key) = KeptAnswer::Delivered.keys();
            kept.delete(JsValue::from_str(key)).await?;
            kept.delete(JsValue::from_str(tag_key)).await?;
        }
        kept.put(&value, Some(&JsValue::from_str(SESSION_KEY)))
            .await?;
        finish(tx).await
    }

    /// The assignments last fetched, if any.
    pub async fn assignments(&self) -> Result<Option<Assignments>, StoreError> {
        Ok(self
            .answer_with_tag(KeptAnswer::Assignments)
            .await?
            .map(|(assignments, _)| assignments))
    }

    /// An answer kept, with the server's tag of it if it gave one, read in one transaction;
    /// none when none is kept or it cannot be read (then no tag either: it would name an answer
    /// the app does not hold).
    pub async fn answer_with_tag<T: serde::de::DeserializeOwned>(
        &self,
        kind: KeptAnswer,
    ) -> Result<Option<(T, Option<String>)>, StoreError> {
        let (key, tag_key) = kind.keys();
        let tx = self
            .db
            .transaction(&[SESSIONS], TransactionMode::ReadOnly)?;
        let kept = tx.store(SESSIONS)?;
        let answer = kept.get(JsValue::from_str(key)).await?;
        let tag = kept.get(JsValue::from_str(tag_key)).await?;
        Ok(answer
            .as_ref()
            .and_then(read_answer)
            .map(|answer| (answer, tag.as_ref().and_then(JsValue::as_string))))
    }

    /// Keeps an answer as the server sent it (the bytes of its JSON, so that the copy holds
    /// every field the server sent, whichever version of the app reads it), replacing the one
    /// before, with the server's tag of it, in one transaction: a tag is never kept with another
    /// answer than the one it names. It is kept only if the sign-in kept on the device is still
    /// the one it was fetched with (`token`), checked in the same transaction: another
    /// collector may have signed in while it was on its way. Says whether it was kept.
    pub async fn put_answer(
        &self,
        kind: KeptAnswer,
        body: &[u8],
        tag: Option<&str>,
        token: &str,
    ) -> Result<bool, StoreError> {
        let (key, tag_key) = kind.keys();
        let value = js_sys::Uint8Array::from(body);
        let tx = self.writing(&[SESSIONS])?;
        let kept = tx.store(SESSIONS)?;
        // The token alone is read: a whole `Session` may not read back (a host's sign-in kept
        // by an earlier version expires at `i64::MAX`, which a JavaScript number does not hold).
        let session = kept.get(JsValue::from_str(SESSION_KEY)).await?;
        let signed_in = session
            .and_then(|s| js_sys::Reflect::get(&s, &JsValue::from_str("token")).ok())
            .and_then(|t| t.as_string());
        if signed_in.as_deref() != Some(token) {
            finish(tx).await?;
            return Ok(false);
        }
        kept.put(&value, Some(&JsValue::from_str(key))).await?;
        let tag_key = JsValue::from_str(tag_key);
        match tag {
            Some(tag) => {
                kept.put(&JsValue::from_str(tag), Some(&tag_key)).await?;
            }
            None => kept.delete(tag_key).await?,
        }
        finish(tx).await?;
        Ok(true)
    }

    /// Reads one value kept in the session store; an unreadable one counts as none.
    async fn get_kept<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let tx = self
            .db
            .transaction(&[SESSIONS], TransactionMode::ReadOnly)?;
        let value = tx.store(SESSIONS)?.get(JsValue::from_str(key)).await?;
        Ok(value.as_ref().and_then(read_kept))
    }

    /// Closes the connection once no other handle shares it. IndexedDB cannot delete or
    /// upgrade a database while a connection to it is open.
    pub fn close(self) {
        if let Ok(db) = std::rc::Rc::try_unwrap(self.db) {
            db.close();
        }
    }

    /// Deletes the whole database: for tests.
    pub async fn delete(name: &str) -> Result<(), StoreError> {
        Rexie::delete(name).await?;
        Ok(())
    }
}
