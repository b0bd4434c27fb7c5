//! The outbox state machine against a simulated network and server: requests are lost,
//! answers are lost, requests are delivered twice, stale copies of old requests arrive late
//! (reordering), the server answers 503, 413 when a batch is too large, and 401 when the
//! sign-in has expired; the browser goes offline and online; records are queued while uploads
//! run; two collectors share the tablet and sign in in turn. Whatever happens, every record ends
//! up stored exactly once, with the content it was queued with, uploaded under the sign-in of
//! the collector who completed it, and the outbox ends empty.

use std::collections::{BTreeMap, HashMap, HashSet};

use doorstep_core::protocol::{Outcome, SubmissionResult};
use doorstep_core::sync::{Command, Event, Outbox};
use proptest::prelude::*;

/// A deterministic random source for one simulated run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn percent(&mut self) -> u64 {
        self.next() % 100
    }
}

/// The server: records by id with their content, as the real one keys them.
#[derive(Default)]
struct Server {
    stored: HashMap<String, String>,
    /// The largest batch it takes before answering 413.
    max_batch: usize,
    /// Whether the collector's sign-in has expired.
    expired: bool,
}

enum Reply {
    Results(Vec<SubmissionResult>),
    TooLarge,
    Unauthorized,
}

impl Server {
    fn receive(&mut self, batch: &[(String, String)]) -> Reply {
        if self.expired {
            return Reply::Unauthorized;
        }
        if batch.len() > self.max_batch {
            return Reply::TooLarge;
        }
        let results = batch
            .iter()
            .map(|(id, content)| {
                let outcome = match self.stored.get(id) {
                    Some(stored) if stored == content => Outcome::Duplicate,
                    Some(_) => Outcome::Conflict,
                    None => {
                        self.stored.insert(id.clone(), content.clone());
                        Outcome::Accepted
                    }
                };
                SubmissionResult {
                    id: id.clone(),
                    outcome,
                    issues: Vec::new(),
                }
            })
            .collect();
        Reply::Results(results)
    }
}

/// Runs one simulation; returns a description of what went wrong, if anything.
fn simulate(seed: u64, records: usize, batch_size: usize, max_batch: usize) -> Result<(), String> {
    let mut random = Random(seed | 1);
    let mut server = Server {
        max_batch,
        ..Server::default()
    };
    let content = |id: &str| format!("answers of {id}");
    // Two collectors share the tablet: each record is one's, by the parity of its number.
    let collector_of = |id: &str| {
        let even = id.bytes().last().is_some_and(|b| b % 2 == 0);
        if even { "a" } else { "b" }.to_string()
    };
    let queued = |id: String| Event::Queued {
        collector: Some(collector_of(&id)),
        id,
    };
    let other_than = |collector: &str| if collector == "a" { "b" } else { "a" }.to_string();
    let mut signed_in = "a".to_string();
    let mut outbox = Outbox::new(true).with_batch_size(batch_size);
    // Each command with the sign-in of the moment the outbox issued it: the app takes the
    // token of an upload then, not when the request goes.
    let issued = |commands: Vec<Command>, by: &str| -> Vec<(Command, String)> {
        commands.into_iter().map(|c| (c, by.to_string())).collect()
    };
    let mut pending: Vec<(Command, String)> = issued(
        outbox.handle(Event::SignedIn {
            collector: signed_in.clone(),
        }),
        &signed_in,
    );
    let mut to_queue: Vec<String> = (0..records).map(|i| format!("r{i:05}")).collect();
    to_queue.reverse();
    let mut sent: HashSet<String> = HashSet::new();
    // Copies of earlier requests still travelling, delivered late or never.
    let mut stale: Vec<Vec<(String, String)>> = Vec::new();
    let mut online = true;
    for _step in 0..200_000 {
        // Now and then something happens outside the upload loop.
        let roll = random.percent();
        let event = if roll < 10 && !to_queue.is_empty() {
            to_queue.pop().map(queued)
        } else if roll < 11 {
            // The other collector signs in on the tablet.
            signed_in = other_than(&signed_in);
            Some(Event::SignedIn {
                collector: signed_in.clone(),
            })
        } else if roll < 12 {
            online = !online;
            Some(if online {
                Event::Online
            } else {
                Event::Offline
            })
        } else if roll < 13 && !stale.is_empty() {
            // A stale copy of an old request reaches the server; its answer goes nowhere.
            let at = (random.next() as usize) % stale.len();
            let copy = stale.swap_remove(at);
            let _ = server.receive(&copy);
            None
        } else if roll < 14 {
            server.expired = true;
            None
        } else {
            None
        };
        if let Some(event) = event {
            pending.extend(issued(outbox.handle(event), &signed_in));
            continue;
        }
        let Some((command, token_of)) = pending.pop() else {
            if to_queue.is_empty() && outbox.waiting().is_empty() {
                break;
            }
            if !online {
                online = true;
                pending.extend(issued(outbox.handle(Event::Online), &signed_in));
            } else if let Some(id) = to_queue.pop() {
                pending.extend(issued(outbox.handle(queued(id)), &signed_in));
            } else if outbox.progress().held > 0 && !outbox.is_uploading() {
                // What is left waits for the other collector: they sign in.
                signed_in = other_than(&signed_in);
                pending.extend(issued(
                    outbox.handle(Event::SignedIn {
                        collector: signed_in.clone(),
                    }),
                    &signed_in,
                ));
            } else {
                pending.extend(issued(outbox.handle(Event::Retry), &signed_in));
            }
            continue;
        };
        let event = match command {
            Command::Upload(ids) => {
                // The batch goes with the sign-in of the moment the outbox chose it: every
                // record in it must be that collector's.
                if let Some(other) = ids.iter().find(|id| collector_of(id) != token_of) {
                    return Err(format!(
                        "{other}, {}'s record, was uploaded with {token_of}'s sign-in",
                        collector_of(other)
                    ));
                }
                let request: Vec<(String, String)> =
                    ids.iter().map(|id| (id.clone(), content(id))).collect();
                let fate = random.percent();
                if fate < 20 {
                    // The request is lost on the way.
                    Event::Failed {
                        jitter: (random.next() % 1001) as u16,
                    }
                } else if fate < 25 {
                    Event::Failed { jitter: 500 } // 503 from a proxy in between
                } else {
                    if fate < 30 {
                        stale.push(request.clone());
                    }
                    let mut reply = server.receive(&request);
                    if fate < 35 {
                        // Delivered twice: the second answer is the one that comes back.
                        reply = server.receive(&request);
                    }
                    if random.percent() < 20 {
                        // The answer is lost on the way back.
                        Event::Failed {
                            jitter: (random.next() % 1001) as u16,
                        }
                    } else {
                        match reply {
                            Reply::Results(results) => Event::Answered(results),
                            Reply::TooLarge => Event::TooLarge,
                            Reply::Unauthorized => Event::Unauthorized,
                        }
                    }
                }
            }
            Command::MarkSent(id) => {
                if !sent.insert(id.clone()) {
                    return Err(format!("{id} was marked sent twice"));
                }
                continue;
            }
            Command::Return { id, issues } => {
                return Err(format!("{id} was returned: {issues:?}"));
            }
            Command::RetryAfter(_) => Event::Retry,
            Command::SignIn => {
                // The collector signed in signs in again.
                server.expired = false;
                Event::SignedIn {
                    collector: signed_in.clone(),
                }
            }
        };
        pending.extend(issued(outbox.handle(event), &signed_in));
    }
    if !outbox.waiting().is_empty() || !to_queue.is_empty() {
        return Err(format!(
            "{} records still waiting, {} never queued",
            outbox.waiting().len(),
            to_queue.len()
        ));
    }
    if server.stored.len() != records || sent.len() != records {
        return Err(format!(
            "{} stored and {} marked sent, of {records}",
            server.stored.len(),
            sent.len()
        ));
    }
    let wrong: BTreeMap<&String, &String> = server
        .stored
        .iter()
        .filter(|(id, stored)| **stored != content(id))
        .collect();
    if !wrong.is_empty() {
        return Err(format!("content differs: {wrong:?}"));
    }
    Ok(())
}

#[test]
fn a_thousand_records_through_a_hostile_network() {
    simulate(0x9E37_79B9_7F4A_7C15, 1000, 100, 37).expect("every record stored once");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_record_is_stored_exactly_once(
        seed in any::<u64>(),
        records in 1usize..300,
        batch_size in 1usize..=100,
        max_batch in 1usize..=100,
    ) {
        if let Err(problem) = simulate(seed, records, batch_size, max_batch) {
            prop_assert!(false, "{}", problem);
        }
    }
}
