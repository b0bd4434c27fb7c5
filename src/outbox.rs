//! Drives the core's outbox state machine: turns its commands into uploads and timers, and
//! the results back into events. It reads records from the device store and talks to the
//! server only through `net`; what becomes of a record is told to the reducer.
//!
//! Which records wait for another collector's sign-in is the outbox's own rule: the driver
//! tells it who completed each record queued and who signed in.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use doorstep_core::protocol::SubmissionBatch;
use doorstep_core::sync::{Command, Event, Outbox};
use doorstep_core::{Issue, Record, Status};
use yew::Callback;

use crate::state::{UploadStatus, Uploaded};
use crate::store::DeviceStore;
use crate::{device, host, net};

/// What the outbox is told of a record put in it: its id and the collector who completed it.
pub fn queued(record: &Record) -> Event {
    Event::Queued {
        id: record.id.clone(),
        collector: record.meta.collector.clone(),
    }
}

/// The status and revision last written to the device for each record, as the app's writes
/// account for them (shared with `app::DeviceWrites`): what the device holds, without reading it.
pub type Persisted = Rc<RefCell<HashMap<String, (Status, u32)>>>;

/// A record as it was uploaded: its revision and the collector who completed it.
type Upload = (u32, Option<String>);

/// What an answer about a record comes to, against what the device holds of it.
enum Answer {
    /// The device holds the revision the answer is about.
    Held(Uploaded),
    /// The record is queued in another revision since its upload: the outbox takes it again.
    Changed(Event),
    /// Neither: it is no longer queued (reopened), or its upload is not known.
    Gone,
}

/// The outbox and what it needs to act.
#[derive(Clone)]
pub struct OutboxDriver {
    outbox: Rc<RefCell<Outbox>>,
    store: DeviceStore,
    on_sent: Callback<Vec<Uploaded>>,
    on_returned: Callback<(Uploaded, Vec<Issue>)>,
    on_status: Callback<UploadStatus>,
    on_sign_in: Callback<()>,
    last_success: Rc<RefCell<Option<i64>>>,
    token: Rc<RefCell<Option<String>>>,
    /// The revision and collector of each record of the upload under way, as read from the
    /// device for it: the server's answer is about that revision, not one completed again since.
    uploading: Rc<RefCell<HashMap<String, Upload>>>,
    /// What the device holds of each record.
    persisted: Persisted,
}

impl OutboxDriver {
    /// A driver for an empty outbox.
    pub fn new(
        store: DeviceStore,
        on_sent: Callback<Vec<Uploaded>>,
        on_returned: Callback<(Uploaded, Vec<Issue>)>,
        on_status: Callback<UploadStatus>,
        on_sign_in: Callback<()>,
        persisted: Persisted,
    ) -> OutboxDriver {
        OutboxDriver {
            outbox: Rc::new(RefCell::new(Outbox::new(net::is_online()))),
            store,
            on_sent,
            on_returned,
            on_status,
            on_sign_in,
            last_success: Rc::new(RefCell::new(None)),
            token: Rc::new(RefCell::new(None)),
            uploading: Rc::new(RefCell::new(HashMap::new())),
            persisted,
        }
    }

    /// Uploads from now on with this sign-in's token, of `collector`; tells the outbox it may
    /// go on, with this collector's records.
    pub fn signed_in(&self, token: String, collector: String) {
        *self.token.borrow_mut() = Some(token);
        self.handle(Event::SignedIn { collector });
    }

    /// Tells the outbox what happened and carries out what it asks for.
    pub fn handle(&self, event: Event) {
        self.handle_all([event]);
    }

    /// Tells the outbox several things at once (such as every record queued at start-up) and
    /// carries out what it asks for: the collector's view is told once, not once per event.
    pub fn handle_all(&self, events: impl IntoIterator<Item = Event>) {
        let mut commands = Vec::new();
        for event in events {
            if let Event::Answered(_) = &event {
                *self.last_success.borrow_mut() = Some(device::now_millis());
            }
            commands.extend(self.outbox.borrow_mut().handle(event));
        }
        // The answers first, against what the device holds of each record: the revision
        // uploaded is told to the host and the reducer; a record queued in another revision
        // since goes back in the outbox before the status is told, so an upload is never said
        // to have settled with it left out.
        let mut sent = Vec::new();
        let mut returned = Vec::new();
        let mut rest = Vec::new();
        for command in commands {
            let (id, issues) = match command {
                Command::MarkSent(id) => (id, None),
                Command::Return { id, issues } => (id, Some(issues)),
                other => {
                    rest.push(other);
                    continue;
                }
            };
            match (self.answer_about(id), issues) {
                (Answer::Held(record), None) => sent.push(record),
                (Answer::Held(record), Some(issues)) => returned.push((record, issues)),
                (Answer::Changed(again), _) => rest.extend(self.outbox.borrow_mut().handle(again)),
                (Answer::Gone, _) => {}
            }
        }
        let status = {
            let outbox = self.outbox.borrow();
            let progress = outbox.progress();
            UploadStatus {
                done: progress.done,
                total: progress.total,
                uploading: outbox.is_uploading(),
                needs_sign_in: outbox.needs_sign_in(),
                last_success: *self.last_success.borrow(),
                held: progress.held,
            }
        };
        // Told to the host before the status, which settles its `sync()`.
        if !sent.is_empty() {
            let ids: Vec<&str> = sent.iter().map(|u| u.id.as_str()).collect();
            host::emit("synced", serde_json::json!({ "recordIds": ids }));
        }
        for (record, issues) in &returned {
            host::emit(
                "rejected",
                serde_json::json!({ "recordId": record.id, "issues": issues }),
            );
        }
        // The records one answer delivered are reported together: one change of state (and
        // one write to the device) per upload, not one per record.
        if !sent.is_empty() {
            self.on_sent.emit(sent);
        }
        for returned in returned {
            self.on_returned.emit(returned);
        }
        self.on_status.emit(status);
        for command in rest {
            match command {
                Command::Upload(ids) => {
                    let this = self.clone();
                    // The token of the sign-in the outbox chose the batch for, taken now: a
                    // sign-in before the upload begins must not carry one collector's records.
                    let token = self.token.borrow().clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let events = this.upload(&ids, token).await;
                        this.handle_all(events);
                    });
                }
                // Taken above.
                Command::MarkSent(_) | Command::Return { .. } => {}
                Command::SignIn => {
                    self.token.borrow_mut().take();
                    self.on_sign_in.emit(());
                }
                Command::RetryAfter(ms) => {
                    let this = self.clone();
                    let ms = u32::try_from(ms).unwrap_or(u32::MAX);
                    gloo_timers::callback::Timeout::new(ms, move || this.handle(Event::Retry))
                        .forget();
                }
            }
        }
    }

    /// What an answer about this record comes to: the revision uploaded held by the device, or
    /// the record queued again since in another one (reopened and completed again while it was
    /// on its way, with a write of the reopening that failed and so told the outbox nothing:
    /// the answer was about the earlier revision, and this one has not reached the server yet).
    fn answer_about(&self, id: String) -> Answer {
        let uploaded = self.uploading.borrow_mut().remove(&id);
        let held = self.persisted.borrow().get(&id).copied();
        match (uploaded, held) {
            (Some((revision, _)), Some((_, now))) if now == revision => {
                Answer::Held(Uploaded { id, revision })
            }
            (Some((_, collector)), Some((Status::Queued, _))) => {
                Answer::Changed(Event::Queued { id, collector })
            }
            _ => Answer::Gone,
        }
    }

    /// Uploads the records of a batch that are still queued. A record reopened since it was
    /// queued is withdrawn instead: a draft is never sent.
    async fn upload(&self, ids: &[String], token: Option<String>) -> Vec<Event> {
        // Without a sign-in the server would refuse the upload: nothing is read.
        let Some(token) = token else {
            return vec![Event::Unauthorized];
        };
        // One read transaction for the whole batch. A record that cannot be read now is
        // retried with the rest later.
        let Ok(found) = self.store.get_many(ids).await else {
            return vec![Event::Failed {
                jitter: device::jitter(),
            }];
        };
        let mut events = Vec::new();
        let mut records = Vec::with_capacity(found.len());
        for (id, record) in ids.iter().zip(found) {
            match record {
                Some(record) if record.status == Status::Queued => {
                    self.uploading.borrow_mut().insert(
                        record.id.clone(),
                        (record.revision, record.meta.collector.clone()),
                    );
                    records.push(record.to_submission())
                }
                // Reopened, or already marked sent: it leaves the outbox.
                _ => events.push(Event::Withdrawn(id.clone())),
            }
        }
        if records.is_empty() {
            events.push(Event::Answered(Vec::new()));
            return events;
        }
        let result = match net::post_submissions(&SubmissionBatch { records }, &token).await {
            Ok(response) => Event::Answered(response.results),
            Err(net::NetError::Status { status: 413, .. }) => Event::TooLarge,
            Err(net::NetError::Status { status: 401, .. }) => Event::Unauthorized,
            Err(e) => {
                if !e.is_retryable() {
                    // Not a passing trouble, but the records are kept and retried all the
                    // same: losing them would be worse than asking again later.
                    web_sys::console::warn_1(&format!("upload refused: {e}").into());
                }
                Event::Failed {
                    jitter: device::jitter(),
                }
            }
        };
        events.push(result);
        events
    }
}
