//! The outbox as a state machine without I/O: events in, commands out.
//!
//! The app tells the [`Outbox`] what happened (a record was queued, the network came back,
//! an upload finished or failed, a timer fired, the collector signed in again) and carries out
//! the [`Command`]s it returns (upload these records, mark this one sent, retry after so long,
//! ask the collector to sign in). One upload runs at a time; a record leaves the outbox only
//! when the server has answered for it: as sent when the server accepted it or already had it,
//! or back to the collector when it refused it. A failure without an answer (no network, a
//! timeout, a 5xx) keeps every record and backs off exponentially, with jitter, up to five
//! minutes; a 413 splits the batch; a 401 stops uploading, keeping the queue, until the
//! collector signs in again.
//!
//! A record is uploaded only with the sign-in of the collector who completed it. On a tablet
//! shared by two, the records one left queued are held while the other is signed in, instead of
//! reaching the server as the other's (or being refused there, as of villages not theirs), and
//! go up when their collector signs in again.

use crate::protocol::{SubmissionResult, MAX_BATCH_RECORDS};
use crate::schema::{Localized, Severity};
use crate::validate::Issue;

/// The first retry delay after a failed upload, in milliseconds.
pub const BASE_RETRY_MS: u64 = 1_000;

/// The longest retry delay, in milliseconds (five minutes).
pub const MAX_RETRY_MS: u64 = 300_000;

/// Something that happened, reported by the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A record was put in the outbox (also sent for each stored record when the app starts).
    /// Queued again (completed anew, perhaps by another collector), it is decided afresh
    /// whether it waits for its collector.
    Queued {
        /// The record's id.
        id: String,
        /// The collector who completed it, if known: it is uploaded only while they are
        /// signed in.
        collector: Option<String>,
    },
    /// A record left the outbox before it was delivered: the collector reopened it. If it is in
    /// the upload in flight, the server's answer about it is ignored; completed again, it comes
    /// back as [`Event::Queued`] with a higher revision, which the server keeps.
    Withdrawn(String),
    /// The browser reports that it is online.
    Online,
    /// The browser reports that it is offline.
    Offline,
    /// The timer asked for by [`Command::RetryAfter`] fired, or the collector asked to upload now.
    Retry,
    /// The server answered the upload in flight.
    Answered(Vec<SubmissionResult>),
    /// The upload in flight failed: no answer, a timeout or a server error. `jitter` is a
    /// number from 0 to 1000 chosen at random by the caller, to spread retries out.
    Failed {
        /// Random per-mille spread of the retry delay.
        jitter: u16,
    },
    /// The server refused the upload in flight as too large (413): it is split.
    TooLarge,
    /// The server refused the upload in flight because the sign-in is missing or expired
    /// (401): uploads stop, and the queue is kept, until [`Event::SignedIn`]. One about an
    /// upload sent before the latest sign-in (with an earlier token) sends it again instead.
    Unauthorized,
    /// A collector signed in (again): uploads go on with their sign-in, and only their
    /// records (and those of no known collector) are uploaded.
    SignedIn {
        /// Who signed in.
        collector: String,
    },
}

/// Something the app must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Send these records in one request, and report the result as an event.
    Upload(Vec<String>),
    /// The server has the record: mark it sent and drop it from the outbox.
    MarkSent(String),
    /// The server refused the record: give it back to the collector with these issues.
    Return {
        /// The record's id.
        id: String,
        /// Why it was refused.
        issues: Vec<Issue>,
    },
    /// Send [`Event::Retry`] after this many milliseconds.
    RetryAfter(u64),
    /// Ask the collector to sign in again; report [`Event::SignedIn`] when they have.
    SignIn,
}

/// How far the current burst of uploads has come: `done` of `total` records have left the
/// outbox since nothing was left to upload with the sign-in of the time; `held` more wait for
/// another collector to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Records answered for (sent or returned) since nothing was left to upload.
    pub done: usize,
    /// Those, and the records still waiting to be uploaded with this sign-in.
    pub total: usize,
    /// Records completed by another collector than the one signed in, held until they sign in.
    pub held: usize,
}

/// A record in the outbox, and who completed it.
#[derive(Debug, Clone, PartialEq)]
struct Queued {
    id: String,
    collector: Option<String>,
}

/// The outbox's state: which records wait, which are in flight, and how uploads have gone.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbox {
    /// Every record not yet delivered, in the order queued, held ones included.
    waiting: Vec<Queued>,
    /// The collector signed in, once one has.
    collector: Option<String>,
    in_flight: Option<Vec<String>>,
    /// The upload in flight was sent before the latest sign-in, with the token of an earlier
    /// one: a 401 for it says nothing of the sign-in now.
    in_flight_before_sign_in: bool,
    online: bool,
    failures: u32,
    retry_pending: bool,
    signed_out: bool,
    batch_size: usize,
    /// The largest batch for now: halved by a 413, doubled back by each answered upload.
    batch_limit: usize,
    done: usize,
}

impl Outbox {
    /// An empty outbox. `online` is what the browser reports at start.
    pub fn new(online: bool) -> Outbox {
        Outbox {
            waiting: Vec::new(),
            collector: None,
            in_flight: None,
            in_flight_before_sign_in: false,
            online,
            failures: 0,
            retry_pending: false,
            signed_out: false,
            batch_size: MAX_BATCH_RECORDS,
            batch_limit: MAX_BATCH_RECORDS,
            done: 0,
        }
    }

    /// The same outbox with a smaller largest batch.
    pub fn with_batch_size(mut self, batch_size: usize) -> Outbox {
        self.batch_size = batch_size.clamp(1, MAX_BATCH_RECORDS);
        self.batch_limit = self.batch_size;
        self
    }

    /// How far the current burst of uploads has come.
    pub fn progress(&self) -> Progress {
        let held = self.waiting.iter().filter(|q| self.holds(q)).count();
        Progress {
            done: self.done,
            total: self.done + self.waiting.len() - held,
            held,
        }
    }

    /// Whether a queued record waits for another collector than the one signed in. Before
    /// anyone has signed in, nothing is held: the upload asks for a sign-in first.
    fn holds(&self, queued: &Queued) -> bool {
        matches!((&queued.collector, &self.collector), (Some(by), Some(signed_in)) if by != signed_in)
    }

    /// Whether uploads wait for the collector to sign in again.
    pub fn needs_sign_in(&self) -> bool {
        self.signed_out
    }

    /// The ids of the records not yet delivered, in the order they were queued, held ones
    /// included.
    pub fn waiting(&self) -> Vec<&str> {
        self.waiting.iter().map(|q| q.id.as_str()).collect()
    }

    /// Whether nothing is being uploaded or waits to be with the sign-in now: a record queued
    /// then begins a new burst.
    fn idle(&self) -> bool {
        self.in_flight.is_none() && self.waiting.iter().all(|q| self.holds(q))
    }

    /// Whether the record is in the outbox, held or not.
    fn is_waiting(&self, id: &str) -> bool {
        self.waiting.iter().any(|q| q.id == id)
    }

    /// Whether an upload is in flight.
    pub fn is_uploading(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Uploads that failed in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Takes in one event and returns what to do about it.
    pub fn handle(&mut self, event: Event) -> Vec<Command> {
        let mut commands = Vec::new();
        match event {
            Event::Queued { id, collector } => {
                if self.idle() {
                    self.done = 0;
                }
                match self.waiting.iter_mut().find(|q| q.id == id) {
                    Some(queued) => queued.collector = collector,
                    None => self.waiting.push(Queued { id, collector }),
                }
            }
            Event::Withdrawn(id) => {
                self.waiting.retain(|q| q.id != id);
                // Whatever the server answers about it is ignored, even once it is queued
                // again (completed anew, a new revision): the answer is about the old one.
                if let Some(batch) = &mut self.in_flight {
                    batch.retain(|b| *b != id);
                }
            }
            Event::Online => {
                self.online = true;
                // The network is back: there is no point waiting out the backoff.
                self.retry_pending = false;
            }
            Event::Offline => self.online = false,
            Event::Retry => self.retry_pending = false,
            Event::Answered(results) => {
                let Some(batch) = self.in_flight.take() else {
                    return commands;
                };
                self.failures = 0;
                self.batch_limit = (self.batch_limit * 2).min(self.batch_size);
                for result in results {
                    if !batch.contains(&result.id) || !self.is_waiting(&result.id) {
                        continue;
                    }
                    self.waiting.retain(|q| q.id != result.id);
                    self.done += 1;
                    if result.outcome.is_delivered() {
                        commands.push(Command::MarkSent(result.id));
                    } else {
                        commands.push(Command::Return {
                            id: result.id,
                            issues: result.issues,
                        });
                    }
                }
            }
            Event::Failed { jitter } => {
                if self.in_flight.take().is_none() {
                    return commands;
                }
                self.failures = self.failures.saturating_add(1);
                self.retry_pending = true;
                commands.push(Command::RetryAfter(retry_delay(self.failures, jitter)));
            }
            Event::TooLarge => {
                let Some(batch) = self.in_flight.take() else {
                    return commands;
                };
                if batch.len() > 1 {
                    self.batch_limit = (batch.len() / 2).max(1);
                } else if let Some(id) = batch.into_iter().next() {
                    // One record alone is more than the server takes: it can never be sent as
                    // it is, so it goes back to the collector instead of blocking the queue.
                    self.waiting.retain(|q| q.id != id);
                    self.done += 1;
                    commands.push(Command::Return {
                        id,
                        issues: vec![too_large_issue()],
                    });
                }
            }
            Event::Unauthorized => {
                if self.in_flight.take().is_none() {
                    return commands;
                }
                // Refused with an earlier sign-in's token: the records go again with this one,
                // and the collector who just signed in is not asked again.
                if self.in_flight_before_sign_in {
                    self.in_flight_before_sign_in = false;
                } else if !self.signed_out {
                    self.signed_out = true;
                    commands.push(Command::SignIn);
                }
            }
            Event::SignedIn { collector } => {
                let idle = self.idle();
                self.collector = Some(collector);
                // A burst begins with this collector's records, if it had nothing to upload
                // before: the count is of theirs, not of the last one's.
                if idle {
                    self.done = 0;
                }
                self.in_flight_before_sign_in = self.in_flight.is_some();
                self.signed_out = false;
                self.retry_pending = false;
                self.failures = 0;
            }
        }
        if self.online && self.in_flight.is_none() && !self.retry_pending && !self.signed_out {
            let batch: Vec<String> = self
                .waiting
                .iter()
                .filter(|q| !self.holds(q))
                .take(self.batch_limit)
                .map(|q| q.id.clone())
                .collect();
            if batch.is_empty() {
                return commands;
            }
            self.in_flight = Some(batch.clone());
            self.in_flight_before_sign_in = false;
            commands.push(Command::Upload(batch));
        }
        commands
    }
}

/// The issue a record gets back when it is too large to send even alone.
fn too_large_issue() -> Issue {
    Issue {
        field: String::new(),
        severity: Severity::Error,
        code: "too_large".into(),
        message: Localized::zh_en(
            "记录过大，服务器无法接收，请精简后重新提交",
            "The record is larger than the server accepts; shorten it and submit again",
        ),
    }
}

/// Exponential backoff with jitter: the delay doubles with every failure up to
/// [`MAX_RETRY_MS`], and the jitter picks a point in its upper half.
pub fn retry_delay(failures: u32, jitter: u16) -> u64 {
    let exponent = failures.saturating_sub(1).min(20);
    let full = BASE_RETRY_MS
        .saturating_mul(1 << exponent)
        .min(MAX_RETRY_MS);
    let jitter = u64::from(jitter.min(1000));
    full / 2 + full / 2 * jitter / 1000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Outcome;

    /// A record queued by no known collector.
    fn queued(id: &str) -> Event {
        Event::Queued {
            id: id.into(),
            collector: None,
        }
    }

    fn queued_by(id: &str, collector: &str) -> Event {
        Event::Queued {
            id: id.into(),
            collector: Some(collector.into()),
        }
    }

    fn signed_in(collector: &str) -> Event {
        Event::SignedIn {
            collector: collector.into(),
        }
    }

    fn progress(done: usize, total: usize, held: usize) -> Progress {
        Progress { done, total, held }
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("r{i}")).collect()
    }

    fn result(id: &str, outcome: Outcome) -> SubmissionResult {
        SubmissionResult {
            id: id.into(),
            outcome,
            issues: vec![],
        }
    }

    #[test]
    fn nothing_is_uploaded_while_offline() {
        let mut outbox = Outbox::new(false);
        assert_eq!(outbox.handle(queued("a")), vec![]);
        assert_eq!(
            outbox.handle(Event::Online),
            vec![Command::Upload(vec!["a".into()])]
        );
    }

    #[test]
    fn one_upload_at_a_time_in_batches() {
        let mut outbox = Outbox::new(true).with_batch_size(2);
        let first = outbox.handle(queued("a"));
        assert_eq!(first, vec![Command::Upload(vec!["a".into()])]);
        assert_eq!(outbox.handle(queued("b")), vec![]);
        assert_eq!(outbox.handle(queued("c")), vec![]);
        let next = outbox.handle(Event::Answered(vec![result("a", Outcome::Accepted)]));
        assert_eq!(
            next,
            vec![
                Command::MarkSent("a".into()),
                Command::Upload(vec!["b".into(), "c".into()])
            ]
        );
    }

    #[test]
    fn a_withdrawn_record_is_not_uploaded_and_its_answer_is_ignored() {
        let mut outbox = Outbox::new(true);
        assert_eq!(
            outbox.handle(queued("a")),
            vec![Command::Upload(vec!["a".into()])]
        );
        outbox.handle(queued("b"));
        // "a" is reopened while its upload is in flight; "b" before it was sent.
        outbox.handle(Event::Withdrawn("a".into()));
        outbox.handle(Event::Withdrawn("b".into()));
        let after = outbox.handle(Event::Answered(vec![result("a", Outcome::Accepted)]));
        assert_eq!(
            after,
            vec![],
            "no MarkSent for a draft, nothing left to upload"
        );
        assert_eq!(outbox.progress().total - outbox.progress().done, 0);
    }

    #[test]
    fn failures_back_off_and_keep_the_records() {
        let mut outbox = Outbox::new(true);
        outbox.handle(queued("a"));
        let delays: Vec<_> = (0..12)
            .map(|_| {
                let cmds = outbox.handle(Event::Failed { jitter: 1000 });
                outbox.handle(Event::Retry);
                cmds
            })
            .collect();
        assert_eq!(delays[0], vec![Command::RetryAfter(1_000)]);
        assert_eq!(delays[1], vec![Command::RetryAfter(2_000)]);
        assert_eq!(delays[11], vec![Command::RetryAfter(MAX_RETRY_MS)]);
        assert_eq!(outbox.waiting(), ["a"]);
        assert_eq!(retry_delay(1, 0), 500);
    }

    #[test]
    fn rejected_records_go_back_and_unanswered_ones_stay() {
        let mut outbox = Outbox::new(true);
        outbox.handle(queued("a"));
        outbox.handle(Event::Failed { jitter: 0 });
        outbox.handle(queued("b"));
        outbox.handle(queued("c"));
        let cmds = outbox.handle(Event::Online);
        assert_eq!(
            cmds,
            vec![Command::Upload(vec!["a".into(), "b".into(), "c".into()])]
        );
        let cmds = outbox.handle(Event::Answered(vec![
            result("a", Outcome::Rejected),
            result("b", Outcome::Duplicate),
            result("zzz", Outcome::Accepted),
        ]));
        assert_eq!(
            cmds,
            vec![
                Command::Return {
                    id: "a".into(),
                    issues: vec![]
                },
                Command::MarkSent("b".into()),
                Command::Upload(vec!["c".into()]),
            ]
        );
    }

    #[test]
    fn a_413_splits_the_batch_and_a_record_too_large_alone_goes_back() {
        let mut outbox = Outbox::new(true).with_batch_size(8);
        let mut first = Vec::new();
        for id in ids(8) {
            first.extend(outbox.handle(Event::Queued {
                id,
                collector: None,
            }));
        }
        assert_eq!(first, vec![Command::Upload(ids(1))]);
        outbox.handle(Event::Answered(vec![result("r0", Outcome::Accepted)]));
        // r1..r7 went up together; too large: halves, then halves again.
        assert_eq!(
            outbox.handle(Event::TooLarge),
            vec![Command::Upload(ids(8)[1..4].to_vec())]
        );
        assert_eq!(
            outbox.handle(Event::TooLarge),
            vec![Command::Upload(vec!["r1".into()])]
        );
        let cmds = outbox.handle(Event::TooLarge);
        assert!(
            matches!(&cmds[0], Command::Return { id, issues } if id == "r1" && issues[0].code == "too_large"),
            "{cmds:?}"
        );
        assert_eq!(cmds[1], Command::Upload(vec!["r2".into()]));
        // Answers let the batch grow back.
        let cmds = outbox.handle(Event::Answered(vec![result("r2", Outcome::Accepted)]));
        assert_eq!(cmds[1], Command::Upload(vec!["r3".into(), "r4".into()]));
        assert_eq!(outbox.progress(), progress(3, 8, 0));
    }

    #[test]
    fn a_401_stops_uploads_and_keeps_the_queue_until_signed_in() {
        let mut outbox = Outbox::new(true);
        outbox.handle(queued("a"));
        assert_eq!(outbox.handle(Event::Unauthorized), vec![Command::SignIn]);
        assert!(outbox.needs_sign_in());
        assert_eq!(outbox.handle(queued("b")), vec![]);
        assert_eq!(outbox.handle(Event::Retry), vec![]);
        assert_eq!(outbox.handle(Event::Online), vec![]);
        assert_eq!(outbox.waiting(), ["a", "b"]);
        assert_eq!(
            outbox.handle(signed_in("c")),
            vec![Command::Upload(vec!["a".into(), "b".into()])]
        );
    }

    #[test]
    fn progress_counts_a_burst_and_starts_again_after_it() {
        let mut outbox = Outbox::new(true);
        outbox.handle(queued("a"));
        outbox.handle(queued("b"));
        assert_eq!(outbox.progress(), progress(0, 2, 0));
        outbox.handle(Event::Answered(vec![result("a", Outcome::Accepted)]));
        outbox.handle(Event::Answered(vec![result("b", Outcome::Accepted)]));
        assert_eq!(outbox.progress(), progress(2, 2, 0));
        outbox.handle(queued("c"));
        assert_eq!(outbox.progress(), progress(0, 1, 0));
    }

    #[test]
    fn another_collectors_records_wait_for_their_sign_in() {
        let mut outbox = Outbox::new(true);
        outbox.handle(signed_in("b"));
        assert_eq!(outbox.handle(queued_by("of-a", "a")), vec![]);
        assert_eq!(
            outbox.handle(queued_by("of-b", "b")),
            vec![Command::Upload(vec!["of-b".into()])]
        );
        assert_eq!(outbox.progress(), progress(0, 1, 1));
        // b's record is answered; a's stays, and nothing more goes up.
        assert_eq!(
            outbox.handle(Event::Answered(vec![result("of-b", Outcome::Accepted)])),
            vec![Command::MarkSent("of-b".into())]
        );
        assert_eq!(outbox.handle(Event::Retry), vec![]);
        assert_eq!(outbox.waiting(), ["of-a"]);
        // a signs in again: their record goes up with their sign-in, counted afresh.
        assert_eq!(
            outbox.handle(signed_in("a")),
            vec![Command::Upload(vec!["of-a".into()])]
        );
        assert_eq!(outbox.progress(), progress(0, 1, 0));
    }

    #[test]
    fn a_record_queued_again_by_the_signed_in_collector_is_no_longer_held() {
        let mut outbox = Outbox::new(false);
        outbox.handle(signed_in("b"));
        outbox.handle(queued_by("r", "a"));
        outbox.handle(Event::Online);
        assert_eq!(outbox.progress().held, 1);
        // b reopens a's record and completes it: it is b's now.
        assert_eq!(
            outbox.handle(queued_by("r", "b")),
            vec![Command::Upload(vec!["r".into()])]
        );
        assert_eq!(outbox.progress().held, 0);
    }

    #[test]
    fn before_any_sign_in_nothing_is_held_and_the_upload_asks_for_one() {
        let mut outbox = Outbox::new(true);
        assert_eq!(
            outbox.handle(queued_by("r", "a")),
            vec![Command::Upload(vec!["r".into()])]
        );
        assert_eq!(outbox.handle(Event::Unauthorized), vec![Command::SignIn]);
        // Someone else signs in: the record is held for its collector, not uploaded.
        assert_eq!(outbox.handle(signed_in("b")), vec![]);
        assert_eq!(outbox.progress().held, 1);
        assert!(!outbox.needs_sign_in());
    }

    #[test]
    fn an_answer_about_a_revision_withdrawn_in_flight_is_ignored_once_queued_again() {
        let mut outbox = Outbox::new(true);
        outbox.handle(queued("a"));
        // Reopened and completed again while the old revision is on its way.
        outbox.handle(Event::Withdrawn("a".into()));
        assert_eq!(outbox.handle(queued("a")), vec![]);
        // The answer about the old revision marks nothing sent; the new one goes up after it.
        assert_eq!(
            outbox.handle(Event::Answered(vec![result("a", Outcome::Accepted)])),
            vec![Command::Upload(vec!["a".into()])]
        );
        assert_eq!(outbox.waiting(), ["a"]);
    }

    #[test]
    fn a_401_for_an_upload_sent_before_the_latest_sign_in_asks_for_none() {
        let mut outbox = Outbox::new(true);
        outbox.handle(signed_in("a"));
        assert_eq!(
            outbox.handle(queued("r")),
            vec![Command::Upload(vec!["r".into()])]
        );
        // A signs in again while the upload, sent with the old token, is on its way; the
        // server refuses that token.
        assert_eq!(outbox.handle(signed_in("a")), vec![]);
        assert_eq!(
            outbox.handle(Event::Unauthorized),
            vec![Command::Upload(vec!["r".into()])],
            "sent again with the new sign-in, no sign-in asked for"
        );
        assert!(!outbox.needs_sign_in());
        // A 401 for that one is about the sign-in now.
        assert_eq!(outbox.handle(Event::Unauthorized), vec![Command::SignIn]);
        assert!(outbox.needs_sign_in());
    }
}
