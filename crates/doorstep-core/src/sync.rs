//! The outbox as a state machine without I/O: events in, commands out.
//!
//! The app tells the [`Outbox`] what happened (a record was queued, the network came back,
//! an upload finished or failed, a timer fired) and carries out the [`Command`]s it returns
//! (upload these records, mark this one sent, retry after so long). One upload runs at a time;
//! a record leaves the outbox only when the server has answered for it: as sent when the
//! server accepted it or already had it, or back to the collector when it refused it.

use crate::protocol::{SubmissionResult, MAX_BATCH_RECORDS};
use crate::validate::Issue;

/// The first retry delay after a failed upload, in milliseconds.
pub const BASE_RETRY_MS: u64 = 1_000;

/// The longest retry delay, in milliseconds (five minutes).
pub const MAX_RETRY_MS: u64 = 300_000;

/// Something that happened, reported by the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A record was put in the outbox (also sent for each stored record when the app starts).
    Queued(String),
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
}

/// The outbox's state: which records wait, which are in flight, and how uploads have gone.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbox {
    waiting: Vec<String>,
    in_flight: Option<Vec<String>>,
    online: bool,
    failures: u32,
    retry_pending: bool,
    batch_size: usize,
}

impl Outbox {
    /// An empty outbox. `online` is what the browser reports at start.
    pub fn new(online: bool) -> Outbox {
        Outbox {
            waiting: Vec::new(),
            in_flight: None,
            online,
            failures: 0,
            retry_pending: false,
            batch_size: MAX_BATCH_RECORDS,
        }
    }

    /// The same outbox with a smaller largest batch.
    pub fn with_batch_size(mut self, batch_size: usize) -> Outbox {
        self.batch_size = batch_size.clamp(1, MAX_BATCH_RECORDS);
        self
    }

    /// The ids of the records not yet delivered, in the order they were queued.
    pub fn waiting(&self) -> &[String] {
        &self.waiting
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
            Event::Queued(id) => {
                if !self.waiting.contains(&id) {
                    self.waiting.push(id);
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
                for result in results {
                    if !batch.contains(&result.id) {
                        continue;
                    }
                    self.waiting.retain(|id| id != &result.id);
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
        }
        if self.online
            && self.in_flight.is_none()
            && !self.retry_pending
            && !self.waiting.is_empty()
        {
            let batch: Vec<String> = self.waiting.iter().take(self.batch_size).cloned().collect();
            self.in_flight = Some(batch.clone());
            commands.push(Command::Upload(batch));
        }
        commands
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
        assert_eq!(outbox.handle(Event::Queued("a".into())), vec![]);
        assert_eq!(
            outbox.handle(Event::Online),
            vec![Command::Upload(vec!["a".into()])]
        );
    }

    #[test]
    fn one_upload_at_a_time_in_batches() {
        let mut outbox = Outbox::new(true).with_batch_size(2);
        let first = outbox.handle(Event::Queued("a".into()));
        assert_eq!(first, vec![Command::Upload(vec!["a".into()])]);
        assert_eq!(outbox.handle(Event::Queued("b".into())), vec![]);
        assert_eq!(outbox.handle(Event::Queued("c".into())), vec![]);
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
    fn failures_back_off_and_keep_the_records() {
        let mut outbox = Outbox::new(true);
        outbox.handle(Event::Queued("a".into()));
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
        assert_eq!(outbox.waiting(), ["a".to_string()]);
        assert_eq!(retry_delay(1, 0), 500);
    }

    #[test]
    fn rejected_records_go_back_and_unanswered_ones_stay() {
        let mut outbox = Outbox::new(true);
        outbox.handle(Event::Queued("a".into()));
        outbox.handle(Event::Failed { jitter: 0 });
        outbox.handle(Event::Queued("b".into()));
        outbox.handle(Event::Queued("c".into()));
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

    /// A simulated network that loses requests and answers and delivers some twice: every
    /// record still ends up stored exactly once and the outbox empties.
    #[test]
    fn every_record_is_stored_once_over_a_lossy_network() {
        use std::collections::HashMap;
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut outbox = Outbox::new(true).with_batch_size(7);
        let mut server: HashMap<String, u32> = HashMap::new();
        let mut commands = Vec::new();
        for id in ids(200) {
            commands.extend(outbox.handle(Event::Queued(id)));
        }
        let mut sent = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let Some(command) = commands.pop() else { break };
            let event = match command {
                Command::Upload(batch) => {
                    let roll = random() % 10;
                    if roll < 3 {
                        Event::Failed {
                            jitter: (random() % 1001) as u16,
                        }
                    } else {
                        let deliveries = if roll == 9 { 2 } else { 1 };
                        let mut results = Vec::new();
                        for _ in 0..deliveries {
                            results = batch
                                .iter()
                                .map(|id| {
                                    let count = server.entry(id.clone()).or_insert(0);
                                    *count += 1;
                                    let outcome = if *count == 1 {
                                        Outcome::Accepted
                                    } else {
                                        Outcome::Duplicate
                                    };
                                    result(id, outcome)
                                })
                                .collect();
                        }
                        if roll < 5 {
                            // The answer is lost on the way back.
                            Event::Failed {
                                jitter: (random() % 1001) as u16,
                            }
                        } else {
                            Event::Answered(results)
                        }
                    }
                }
                Command::MarkSent(id) => {
                    assert!(sent.insert(id), "marked sent twice");
                    continue;
                }
                Command::RetryAfter(_) => Event::Retry,
                Command::Return { id, .. } => panic!("{id} was returned"),
            };
            commands.extend(outbox.handle(event));
        }
        assert!(outbox.waiting().is_empty());
        assert_eq!(server.len(), 200);
        assert_eq!(sent.len(), 200);
    }
}
