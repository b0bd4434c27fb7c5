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

/// A record answered for: its id, the revision uploaded (when known), and the server's issues
/// when it returned it.
type Answered = (String, Option<u32>, Option<Vec<Issue>>);

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
    /// The revision of each record of the upload under way, as read from the device for it:
    /// the server's answer is about that revision, not one completed again since.
    uploading: Rc<RefCell<HashMap<String, u32>>>,
    /// Answers whose records are being read again, to put back any changed since its upload:
    /// until then the outbox is not said to have settled.
    rechecking: Rc<std::cell::Cell<usize>>,
}

impl OutboxDriver {
    /// A driver for an empty outbox.
    pub fn new(
        store: DeviceStore,
        on_sent: Callback<Vec<Uploaded>>,
        on_returned: Callback<(Uploaded, Vec<Issue>)>,
        on_status: Callback<UploadStatus>,
        on_sign_in: Callback<()>,
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
            rechecking: Rc::new(std::cell::Cell::new(0)),
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
        let answers = commands
            .iter()
            .any(|c| matches!(c, Command::MarkSent(_) | Command::Return { .. }));
        if answers {
            self.rechecking.set(self.rechecking.get() + 1);
        }
        let status = {
            let outbox = self.outbox.borrow();
            let progress = outbox.progress();
            UploadStatus {
                done: progress.done,
                total: progress.total,
                uploading: outbox.is_uploading() || self.rechecking.get() > 0,
                needs_sign_in: outbox.needs_sign_in(),
                last_success: *self.last_success.borrow(),
                held: progress.held,
            }
        };
        self.on_status.emit(status);
        // The records one answer delivered are reported together: one change of state (and
        // one write to the device) per upload, not one per record.
        let mut sent = Vec::new();
        // The records answered for, with the revision each answer is about (none when not
        // known) and the issues of a record returned: any changed since its upload goes back
        // in the outbox, the others are told to the host.
        let mut answered = Vec::new();
        let mut uploaded = |id: String, returned: Option<&Vec<Issue>>| {
            let revision = self.uploading.borrow_mut().remove(&id);
            answered.push((id.clone(), revision, returned.cloned()));
            revision.map(|revision| Uploaded { id, revision })
        };
        for command in commands {
            match command {
                Command::MarkSent(id) => sent.extend(uploaded(id, None)),
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
                Command::Return { id, issues } => {
                    if let Some(record) = uploaded(id, Some(&issues)) {
                        self.on_returned.emit((record, issues));
                    }
                }
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
        if !sent.is_empty() {
            self.on_sent.emit(sent);
        }
        if answers {
            let this = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let again = this.changed_since_upload(answered).await;
                this.rechecking.set(this.rechecking.get().saturating_sub(1));
                // Told even when none changed: the status says the outbox settled.
                this.handle_all(again);
            });
        }
    }

    /// Reads the records answered for again. Those the device holds in the revision uploaded
    /// are told to the host (`synced`, or `rejected` with the server's issues), before the
    /// upload is said to have settled. Those queued in another revision (reopened and completed
    /// again while it was on its way, with a write of the reopening that failed and so told the
    /// outbox nothing) are returned, to put back in the outbox: their answer was about the
    /// earlier revision, and this one has not reached the server yet.
    async fn changed_since_upload(&self, answered: Vec<Answered>) -> Vec<Event> {
        let ids: Vec<String> = answered.iter().map(|(id, _, _)| id.clone()).collect();
        // Unreadable now: the device's queued records are all put back at the next start.
        let Ok(found) = self.store.get_many(&ids).await else {
            return Vec::new();
        };
        let mut again = Vec::new();
        let mut synced = Vec::new();
        // Read in the order asked for.
        for (record, (id, revision, returned)) in found.iter().zip(&answered) {
            let Some(record) = record else { continue };
            if *revision == Some(record.revision) {
                match returned {
                    None => synced.push(id.as_str()),
                    Some(issues) => host::emit(
                        "rejected",
                        serde_json::json!({ "recordId": id, "issues": issues }),
                    ),
                }
            } else if record.status == Status::Queued {
                again.push(queued(record));
            }
        }
        if !synced.is_empty() {
            host::emit("synced", serde_json::json!({ "recordIds": synced }));
        }
        again
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
                    self.uploading
                        .borrow_mut()
                        .insert(record.id.clone(), record.revision);
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
