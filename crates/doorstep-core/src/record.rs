//! A record's life: its answers, its identity, and the steps from draft to sent.
//!
//! The lifecycle is a small state machine. Every step is a method that either moves the record
//! on or says why it cannot; nothing here reads a clock or makes an id, so callers pass both in.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use thiserror::Error;

use crate::expr::Context;
use crate::protocol::{RosterPerson, Submission};
use crate::schema::{Form, RecordDefinition};
use crate::validate::{self, Report};

/// A record's answers, keyed by field id, encoded as in the survey specification.
pub type Answers = BTreeMap<String, Json>;

/// Milliseconds since the Unix epoch, as given by the caller.
pub type Millis = i64;

/// Makes a record id (a UUID, version 7) from a time and ten random bytes supplied by the
/// caller, so that ids sort by creation time and the core needs no randomness of its own.
pub fn record_id(unix_millis: u64, random: [u8; 10]) -> String {
    uuid::Builder::from_unix_timestamp_millis(unix_millis, &random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Where a record is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being filled in (also after the server returned it: see [`Record::returned`]).
    Draft,
    /// Checked and completed: no error left, every warning confirmed, answers to questions not
    /// asked dropped. It can still be reopened.
    Completed,
    /// Completed and in the outbox, waiting for the network. It can still be reopened.
    Queued,
    /// Delivered to the server and accepted (or found there already).
    Sent,
}

/// Where the device was when a record was taken (for home visits, when the device grants it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
    /// The radius of uncertainty, in metres.
    pub accuracy: f64,
    /// When the device measured it.
    pub at: Millis,
}

/// A warning the collector confirmed, with what they noted about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// The field the warning is about (`field`, or `group[k].field`).
    pub field: String,
    /// The warning's code.
    pub code: String,
    /// The collector's note; may be empty.
    #[serde(default)]
    pub note: String,
}

/// What a record carries besides its answers: what nobody types.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The roster's key of the person (the certificate number) or the village code the record
    /// is about, when it was started from the roster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Whether the person was not on the roster (added at the door or at the window).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub off_roster: bool,
    /// The collection method's code, taken from the form's method field at completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The collector who completed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<String>,
    /// How many times it was opened for editing after it was started.
    #[serde(default)]
    pub opened: u32,
    /// Where the device was, for a home visit, when it granted its position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// The warnings confirmed, with their notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmed: Vec<Confirmation>,
    /// Completed before the reference date: it must be confirmed again on or after it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconfirm: bool,
}

/// The field a record started from the roster keeps as the roster gave it, with the roster's
/// key it must hold; none for a record of no roster line, or of a form that keeps none.
fn kept_subject<'a>(form: &'a Form, meta: &'a Metadata) -> Option<(&'a str, &'a str)> {
    let subject = meta.subject.as_deref()?;
    let field = form.def.record.as_ref()?.subject_field()?;
    Some((field, subject))
}

/// The field of a record that may not change now: its subject field while it holds the
/// roster's key (see [`subject_issue`]). One an earlier version let change is not locked, so
/// that the collector can set it back, as completing it asks; it is locked again from then on.
pub fn locked_field<'a>(form: &'a Form, answers: &Answers, meta: &'a Metadata) -> Option<&'a str> {
    let (field, subject) = kept_subject(form, meta)?;
    (answers.get(field).and_then(Json::as_str) == Some(subject)).then_some(field)
}

/// The error of a record started from the roster whose subject field (the village of a
/// village's record: [`crate::schema::RecordDefinition::subject_field`]) no longer holds the
/// roster's key it was started with: the record would be about somewhere else than the roster
/// line it stands for, and a village could end up with two community forms and another with
/// none. The app does not let the field change once it holds the key; this is what both
/// `complete` and the server check.
pub fn subject_issue(form: &Form, answers: &Answers, meta: &Metadata) -> Option<validate::Issue> {
    let (field, subject) = kept_subject(form, meta)?;
    if answers.get(field).and_then(Json::as_str) == Some(subject) {
        return None;
    }
    Some(validate::Issue {
        field: field.to_string(),
        severity: crate::schema::Severity::Error,
        code: "subject_changed".to_string(),
        message: crate::schema::Localized::zh_en(
            format!("应为名册中的 {subject}，不能更改"),
            format!("Must be {subject}, as on the roster; it cannot be changed"),
        ),
    })
}

/// The key field and the key typed into it, of a record of a person added off the roster
/// (`meta.off_roster`): what must be looked up on the roster before it is completed on the
/// tablet or stored by the server. None for a record of a roster line, or without a key.
pub fn off_roster_key<'a>(
    form: &'a Form,
    answers: &'a Answers,
    meta: &Metadata,
) -> Option<(&'a str, &'a str)> {
    if !meta.off_roster {
        return None;
    }
    let field = form.def.record.as_ref()?.key.as_deref()?;
    let key = answers.get(field)?.as_str()?.trim();
    (!key.is_empty()).then_some((field, key))
}

/// The roster's person a key of `form`'s records names: the one with this very key (its X in
/// either case, spaces around it ignored); else, when the form names the part of a key that
/// names the person ([`RecordDefinition::key_prefix`]), the first whose key shares it, as a
/// certificate reissued since the roster was made does. The tablet looks a person up in the
/// roster it holds, the server in the collector's, both with this.
pub fn listed_person<'a>(
    form: &Form,
    roster: &'a [RosterPerson],
    key: &str,
) -> Option<&'a RosterPerson> {
    let key = key.trim();
    roster
        .iter()
        .find(|p| p.cert_no.eq_ignore_ascii_case(key))
        .or_else(|| {
            let definition = form
                .def
                .record
                .as_ref()
                .filter(|d| d.key_prefix.is_some())?;
            roster
                .iter()
                .find(|p| definition.same_person(&p.cert_no, key))
        })
}

/// The error of a person added off the roster whose key ([`off_roster_key`]) is on the roster
/// after all, as `name`'s: a record added for them would count them twice, and leave their
/// line unvisited. They are visited through their line of the roster.
pub fn on_roster_issue(field: &str, name: &str) -> validate::Issue {
    validate::Issue {
        field: field.to_string(),
        severity: crate::schema::Severity::Error,
        code: "on_roster".to_string(),
        message: crate::schema::Localized::zh_en(
            format!("名册中已有此人（{name}），请从名册中打开此人登记，不要作为名册外人员"),
            format!(
                "This person is on the roster ({name}): visit them from the roster, not as someone added"
            ),
        ),
    }
}

/// Why a lifecycle step was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LifecycleError {
    /// The step needs the record in another state.
    #[error("the record is {actual:?}, but this needs it to be {expected:?}")]
    WrongStatus {
        /// The state the step needs.
        expected: Status,
        /// The state the record is in.
        actual: Status,
    },
    /// The record belongs to another form or another version of it.
    #[error("the record is for form {record}, not {form}")]
    WrongForm {
        /// `id@version` of the record.
        record: String,
        /// `id@version` of the form given.
        form: String,
    },
    /// The record was made with a newer version of its form than the one given: moving it
    /// onto the older one would drop the answers to what only the newer one asks.
    #[error("the record was made with version {record} of its form, newer than version {form}")]
    OlderForm {
        /// The version the record was made with.
        record: String,
        /// The version given.
        form: String,
    },
    /// The answers still have errors.
    #[error("the record has {} error(s)", .0.errors().count())]
    Invalid(Report),
    /// Warnings are left that the collector has not confirmed.
    #[error("{} warning(s) are not confirmed", .0.len())]
    Unconfirmed(Vec<crate::validate::Issue>),
    /// A record is opened to be re-confirmed that does not wait for it (see
    /// [`Record::awaits_reconfirmation`]).
    #[error("the record does not wait to be re-confirmed")]
    NotAwaitingReconfirmation,
    /// Only a draft of a person added at the door, never completed, can become the record of
    /// a line of the roster (see [`Record::take_onto_roster`]).
    #[error(
        "only a draft added at the door and never completed can become a roster line's record"
    )]
    NotAddedAtTheDoor,
}

/// The answers given from outside a record (a roster's line, a host), as a record keeps them:
/// none left empty, each as its question keeps it ([`Form::normalised`]).
fn known_given(form: &Form, known: Answers) -> impl Iterator<Item = (String, Json)> + '_ {
    known
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let v = form.normalised(&k, v);
            (k, v)
        })
}

/// One record of one form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// A UUID made on the device (see [`record_id`]).
    pub id: String,
    /// The id of the form.
    pub form_id: String,
    /// The version of the form the record was made with.
    pub form_version: String,
    /// Where the record is in its life.
    pub status: Status,
    /// The answers so far.
    pub answers: Answers,
    /// Increases with every change, so that the newest copy of a record wins.
    pub revision: u32,
    /// When the record was started.
    pub created_at: Millis,
    /// When it was last changed.
    pub updated_at: Millis,
    /// When it was completed, if it has been.
    #[serde(default)]
    pub completed_at: Option<Millis>,
    /// What it carries besides answers.
    #[serde(default)]
    pub meta: Metadata,
    /// The issues the server returned it with that still stand: each goes when the answer it
    /// is about changes, and all go when the record is completed again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returned: Vec<crate::validate::Issue>,
}

/// The parts of an answer's path inside a repeat group, `group[k].field`; `None` for a
/// plain `field`.
fn group_path(path: &str) -> Option<(&str, usize, &str)> {
    let (group, rest) = path.split_once('[')?;
    let (k, field) = rest.split_once("].")?;
    Some((group, k.parse().ok()?, field))
}

/// Whether the answer at `path` (`field`, or `group[k].field`) is text in a question that
/// takes a number.
fn typed_into_number(form: &Form, answers: &Answers, path: &str) -> bool {
    let value = match group_path(path) {
        None => answers.get(path),
        Some((group, k, field)) => answers
            .get(group)
            .and_then(Json::as_array)
            .and_then(|instances| instances.get(k))
            .and_then(|instance| instance.get(field)),
    };
    let field = form.field_by_id(path.rsplit('.').next().unwrap_or(path));
    value.is_some_and(Json::is_string)
        && field.is_some_and(|f| {
            matches!(
                f.def.field_type,
                crate::schema::FieldType::Integer | crate::schema::FieldType::Decimal
            )
        })
}

impl Record {
    /// Starts an empty draft of a form.
    pub fn new(id: String, form: &Form, now: Millis) -> Record {
        Record {
            id,
            form_id: form.def.id.clone(),
            form_version: form.def.version.clone(),
            status: Status::Draft,
            answers: Answers::new(),
            revision: 0,
            created_at: now,
            updated_at: now,
            completed_at: None,
            meta: Metadata::default(),
            returned: Vec::new(),
        }
    }

    /// Starts a draft of a form with its defaults, about a subject of the roster (a person's
    /// key or a village code) when there is one, with answers known beforehand (the roster's
    /// name, certificate number and village, prefilled answers) on top of the defaults.
    pub fn start(
        id: String,
        form: &Form,
        context: &Context,
        subject: Option<String>,
        known: Answers,
        now: Millis,
    ) -> Record {
        let mut record = Record::new(id, form, now);
        record.answers = form.defaults(context);
        record.answers.extend(known_given(form, known));
        record.meta.subject = subject;
        record
    }

    fn expect_one_of(&self, allowed: &[Status]) -> Result<(), LifecycleError> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(LifecycleError::WrongStatus {
                expected: allowed[0],
                actual: self.status,
            })
        }
    }

    fn touch(&mut self, now: Millis) {
        self.revision += 1;
        self.updated_at = now;
    }

    /// Confirms a warning on a draft, with a note (which may be empty); confirming it again
    /// replaces the note. The note is kept as typed while the record is a draft (the app
    /// sends it keystroke by keystroke) and trimmed at completion.
    pub fn confirm(
        &mut self,
        field: &str,
        code: &str,
        note: &str,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        self.expect(Status::Draft)?;
        let note = note.to_string();
        match self
            .meta
            .confirmed
            .iter_mut()
            .find(|c| c.field == field && c.code == code)
        {
            Some(existing) if existing.note == note => return Ok(()),
            Some(existing) => existing.note = note,
            None => self.meta.confirmed.push(Confirmation {
                field: field.to_string(),
                code: code.to_string(),
                note,
            }),
        }
        self.touch(now);
        Ok(())
    }

    /// Withdraws the confirmation of a warning on a draft.
    pub fn unconfirm(
        &mut self,
        field: &str,
        code: &str,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        self.expect(Status::Draft)?;
        let before = self.meta.confirmed.len();
        self.meta
            .confirmed
            .retain(|c| !(c.field == field && c.code == code));
        if self.meta.confirmed.len() != before {
            self.touch(now);
        }
        Ok(())
    }

    /// Whether a warning has been confirmed.
    pub fn is_confirmed(&self, field: &str, code: &str) -> bool {
        self.meta
            .confirmed
            .iter()
            .any(|c| c.field == field && c.code == code)
    }

    /// Records where the device was. Only a draft or a completed record not yet in the
    /// outbox takes it.
    pub fn set_position(&mut self, position: Position, now: Millis) -> Result<(), LifecycleError> {
        self.expect_one_of(&[Status::Draft, Status::Completed])?;
        self.meta.position = Some(position);
        self.touch(now);
        Ok(())
    }

    fn expect(&self, expected: Status) -> Result<(), LifecycleError> {
        if self.status == expected {
            Ok(())
        } else {
            Err(LifecycleError::WrongStatus {
                expected,
                actual: self.status,
            })
        }
    }

    /// Sets or clears (with `Json::Null` or an empty string) one answer of a draft. An issue
    /// the server returned the record with goes once the answer it is about changes (for a
    /// repeat group, the instance it names): the collector has acted on it, and the server
    /// checks the record again when it comes back.
    pub fn set_answer(
        &mut self,
        field: &str,
        value: Json,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        self.expect(Status::Draft)?;
        let before = if self.returned.is_empty() {
            None
        } else {
            self.answers.get(field).cloned()
        };
        // Blank text and an empty list clear the answer, as the evaluation reads them.
        let empty = value.is_null()
            || value.as_str().is_some_and(|s| s.trim().is_empty())
            || value.as_array().is_some_and(Vec::is_empty);
        let changed = if empty {
            self.answers.remove(field).is_some()
        } else {
            self.answers.get(field) != Some(&value) && {
                self.answers.insert(field.to_string(), value);
                true
            }
        };
        if changed {
            self.revision += 1;
            self.updated_at = now;
            let after = self.answers.get(field);
            self.returned.retain(|issue| {
                if issue.field == field {
                    return false;
                }
                match group_path(&issue.field) {
                    Some((group, k, _)) if group == field => {
                        let instance = |v: Option<&Json>| v.and_then(|v| v.get(k)).cloned();
                        instance(before.as_ref()) == instance(after)
                    }
                    _ => true,
                }
            });
        }
        Ok(())
    }

    /// Makes a draft of a person added at the door the record of their line of the roster,
    /// `subject` (the line's key), when they turn out to be on it: what was typed stays, what
    /// the roster knows (`known`, as for [`Record::start`]) answers the rest, and the record is
    /// no longer one added at the door. Refused for a record ever completed: that one was
    /// counted, and may have been sent, as added at the door.
    pub fn take_onto_roster(
        &mut self,
        form: &Form,
        subject: String,
        known: Answers,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        self.expect(Status::Draft)?;
        if !self.meta.off_roster || self.completed_at.is_some() {
            return Err(LifecycleError::NotAddedAtTheDoor);
        }
        for (field, value) in known_given(form, known) {
            self.answers.entry(field).or_insert(value);
        }
        self.meta.off_roster = false;
        self.meta.subject = Some(subject);
        self.touch(now);
        Ok(())
    }

    /// Takes a draft up again: it becomes the one most recently in hand.
    pub fn take_up(&mut self, now: Millis) -> Result<(), LifecycleError> {
        self.expect(Status::Draft)?;
        self.meta.opened += 1;
        self.touch(now);
        Ok(())
    }

    /// Whether the record was made with a newer version of its form than `form` (see
    /// [`crate::schema::version_order`]): it cannot move onto that one, nor be completed on it.
    pub fn made_with_newer(&self, form: &Form) -> bool {
        crate::schema::version_order(&form.def.version, &self.form_version).is_lt()
    }

    /// Moves a draft made with another version of its form onto `form` (a newer version the
    /// device now has), so it can be opened and completed. Answers the new version cannot take
    /// (a question it no longer has, an answer of another type, an option code it lost) are
    /// dropped, except text typed into a number question, which carries over still flagged;
    /// their paths (`field`, or `group[k].field`) are returned so the collector can be told
    /// what did not carry over. Calculated values are dropped silently: they are worked
    /// out again.
    pub fn migrate(&mut self, form: &Form, now: Millis) -> Result<Vec<String>, LifecycleError> {
        self.expect(Status::Draft)?;
        if form.def.id != self.form_id {
            return Err(LifecycleError::WrongForm {
                record: format!("{}@{}", self.form_id, self.form_version),
                form: format!("{}@{}", form.def.id, form.def.version),
            });
        }
        // A device served an older copy of the form (a stale cache, a server rolled back) keeps
        // the draft as it is, for when it has the newer one again.
        if self.made_with_newer(form) {
            return Err(LifecycleError::OlderForm {
                record: self.form_version.clone(),
                form: form.def.version.clone(),
            });
        }
        let mut answers = self.answers.clone();
        answers.retain(|id, _| {
            form.field_by_id(id)
                .is_none_or(|f| f.def.field_type != crate::schema::FieldType::Calculated)
        });
        let report = validate::validate(form, &answers, Context::default());
        let mut dropped = Vec::new();
        for issue in &report.issues {
            if !matches!(
                issue.code.as_str(),
                "unknown_field" | "wrong_type" | "unknown_option"
            ) {
                continue;
            }
            // Text in a number question is what the collector typed and has yet to correct
            // (the app keeps it as typed, flagged): it carries over, still flagged.
            if issue.code == "wrong_type" && typed_into_number(form, &answers, &issue.field) {
                continue;
            }
            let removed = match group_path(&issue.field) {
                None if issue.field.contains('[') => false,
                None => answers.remove(&issue.field).is_some(),
                // `group[k].field`: remove that answer from instance k.
                Some((group, k, field)) => match answers.get_mut(group) {
                    Some(Json::Array(instances)) => instances
                        .get_mut(k)
                        .and_then(Json::as_object_mut)
                        .is_some_and(|instance| instance.remove(field).is_some()),
                    _ => false,
                },
            };
            if removed {
                dropped.push(issue.field.clone());
            }
        }
        self.answers = answers;
        self.form_version = form.def.version.clone();
        self.revision += 1;
        self.updated_at = now;
        Ok(dropped)
    }

    /// Checks the draft and, when no error is left and every warning is confirmed, completes
    /// it: answers of questions that are not asked are dropped, confirmations of warnings no
    /// longer raised are dropped, and the metadata the form names (method, reference date) is
    /// taken from the answers. `context.today` is the day of completion.
    pub fn complete(
        &mut self,
        form: &Form,
        context: Context,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        self.expect(Status::Draft)?;
        if form.def.id != self.form_id || form.def.version != self.form_version {
            return Err(LifecycleError::WrongForm {
                record: format!("{}@{}", self.form_id, self.form_version),
                form: format!("{}@{}", form.def.id, form.def.version),
            });
        }
        let today = context.today;
        let collector = context.collector.clone();
        let evaluation = validate::Evaluation::new(form, &self.answers, context);
        let mut report = evaluation.report(form);
        report
            .issues
            .extend(subject_issue(form, &self.answers, &self.meta));
        if report.has_errors() {
            return Err(LifecycleError::Invalid(report));
        }
        let unconfirmed: Vec<_> = report
            .warnings()
            .filter(|w| !self.is_confirmed(&w.field, &w.code))
            .cloned()
            .collect();
        if !unconfirmed.is_empty() {
            return Err(LifecycleError::Unconfirmed(unconfirmed));
        }
        self.meta.confirmed.retain(|c| {
            report
                .warnings()
                .any(|w| w.field == c.field && w.code == c.code)
        });
        for confirmation in &mut self.meta.confirmed {
            confirmation.note = confirmation.note.trim().to_string();
        }
        self.answers = evaluation.completed_answers(form);
        let answer = |id: &Option<String>| id.as_ref().and_then(|id| self.answers.get(id));
        if let Some(record) = &form.def.record {
            self.meta.method = answer(&record.method)
                .and_then(Json::as_str)
                .map(str::to_string);
            // A position belongs to a home visit only: a record begun as one and then taken
            // by phone does not carry where the collector stood.
            if !self
                .meta
                .method
                .as_deref()
                .is_some_and(|m| record.is_home_visit(m))
            {
                self.meta.position = None;
            }
            let reference = answer(&record.reference_date)
                .and_then(Json::as_str)
                .and_then(crate::expr::parse_date);
            self.meta.reconfirm = matches!((today, reference), (Some(t), Some(r)) if t < r);
        }
        self.meta.collector = collector.map(|c| c.to_string());
        self.returned.clear();
        self.status = Status::Completed;
        self.touch(now);
        self.completed_at = Some(now);
        Ok(())
    }

    /// Puts a completed record in the outbox.
    pub fn enqueue(&mut self, now: Millis) -> Result<(), LifecycleError> {
        self.expect(Status::Completed)?;
        self.status = Status::Queued;
        self.touch(now);
        Ok(())
    }

    /// Completes the draft and puts it in the outbox in one step (see [`Record::complete`]).
    pub fn submit(
        &mut self,
        form: &Form,
        context: Context,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        self.complete(form, context, now)?;
        self.enqueue(now)
    }

    /// Records that the server accepted the record.
    pub fn mark_sent(&mut self) -> Result<(), LifecycleError> {
        self.expect(Status::Queued)?;
        self.status = Status::Sent;
        Ok(())
    }

    /// Opens a completed record again for editing, until it is sent. The caller takes a queued
    /// one out of the outbox ([`crate::sync::Event::Withdrawn`]); if an upload of it was
    /// already under way, the server keeps whichever copy has the higher revision, and the
    /// edited one will have it when it is completed again.
    pub fn reopen(&mut self, now: Millis) -> Result<(), LifecycleError> {
        self.expect_one_of(&[Status::Completed, Status::Queued])?;
        self.back_to_draft(now);
        Ok(())
    }

    /// Makes the record a draft again, counted as opened once more.
    fn back_to_draft(&mut self, now: Millis) {
        self.status = Status::Draft;
        self.meta.opened += 1;
        self.touch(now);
    }

    /// Whether the record waits to be re-confirmed: it was last completed before its reference
    /// date (`meta.reconfirm`), and `today` is that date or later. It waits, even reopened,
    /// until it is completed again on or after that date.
    pub fn awaits_reconfirmation(
        &self,
        definition: &RecordDefinition,
        today: Option<Date>,
    ) -> bool {
        // Asked at every change of the record in hand: most records are not flagged.
        if !self.meta.reconfirm {
            return false;
        }
        let reference = definition
            .reference_date
            .as_ref()
            .and_then(|id| self.answers.get(id))
            .and_then(Json::as_str)
            .and_then(crate::expr::parse_date);
        matches!((today, reference), (Some(t), Some(r)) if t >= r)
    }

    /// Opens a completed record that waits to be re-confirmed ([`Record::awaits_reconfirmation`])
    /// again for editing, even once it is sent: the collector checks that its answers hold on
    /// the reference date and completes it again, and the server keeps the new revision in place
    /// of the old one. The warnings confirmed before are to be confirmed again: what was true
    /// then is what is being checked. The caller takes a queued one out of the outbox, as for
    /// [`Record::reopen`].
    pub fn reopen_to_reconfirm(
        &mut self,
        definition: &RecordDefinition,
        today: Option<Date>,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        if self.status == Status::Draft || !self.awaits_reconfirmation(definition, today) {
            return Err(LifecycleError::NotAwaitingReconfirmation);
        }
        self.meta.confirmed.clear();
        self.back_to_draft(now);
        Ok(())
    }

    /// Sends a record the server refused back to draft, with the server's issues, so the
    /// collector can fix it.
    pub fn send_back(
        &mut self,
        issues: Vec<crate::validate::Issue>,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        self.expect(Status::Queued)?;
        self.status = Status::Draft;
        self.returned = issues;
        self.touch(now);
        Ok(())
    }

    /// What is sent to the server for this record.
    pub fn to_submission(&self) -> Submission {
        Submission {
            id: self.id.clone(),
            form: self.form_id.clone(),
            form_version: self.form_version.clone(),
            revision: self.revision,
            hash: crate::protocol::answers_hash(&self.answers),
            answers: self.answers.clone(),
            created_at: self.created_at,
            updated_at: Some(self.updated_at),
            completed_at: self.completed_at,
            meta: self.meta.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn demo() -> Form {
        Form::from_json(include_str!("../../../schemas/demo.json")).expect("demo loads")
    }

    #[test]
    fn a_draft_added_at_the_door_becomes_the_roster_lines_record_until_it_is_completed() {
        let form = demo();
        let mut draft = Record::new("d".into(), &form, 1);
        draft.meta.off_roster = true;
        draft.set_answer("name", json!("张三"), 2).expect("draft");
        let revision = draft.revision;
        let known: Answers =
            serde_json::from_value(json!({"name": "张叁", "age": 40, "consent": null}))
                .expect("answers");
        draft
            .take_onto_roster(&form, "33011019800101001X11".into(), known.clone(), 3)
            .expect("taken onto the roster");
        assert!(!draft.meta.off_roster);
        assert_eq!(draft.meta.subject.as_deref(), Some("33011019800101001X11"));
        // What was typed stays; the roster answers the rest, leaving nothing empty.
        assert_eq!(draft.answers.get("name"), Some(&json!("张三")));
        assert_eq!(draft.answers.get("age"), Some(&json!(40)));
        assert!(!draft.answers.contains_key("consent"));
        // A new revision, so the device writes what changed.
        assert!(draft.revision > revision);
        assert_eq!(draft.updated_at, 3);
        // Once a line's record, or once completed, it is refused.
        assert_eq!(
            draft.take_onto_roster(&form, "X".into(), known.clone(), 4),
            Err(LifecycleError::NotAddedAtTheDoor)
        );
        let mut completed_once = Record::new("e".into(), &form, 1);
        completed_once.meta.off_roster = true;
        completed_once.completed_at = Some(2);
        assert_eq!(
            completed_once.take_onto_roster(&form, "X".into(), known, 4),
            Err(LifecycleError::NotAddedAtTheDoor)
        );
    }

    #[test]
    fn a_draft_of_an_older_version_moves_onto_the_new_one_saying_what_was_lost() {
        let old = Form::from_json(
            &json!({"id": "f", "version": "1", "title": {"zh-CN": "表"}, "sections": [
                {"id": "s", "title": {"zh-CN": "节"}, "fields": [
                    {"id": "name", "type": "text", "label": {"zh-CN": "姓名"}},
                    {"id": "age", "type": "integer", "label": {"zh-CN": "年龄"}},
                    {"id": "count", "type": "integer", "label": {"zh-CN": "人数"}},
                    {"id": "gone", "type": "text", "label": {"zh-CN": "旧问题"}},
                    {"id": "mode", "type": "single_choice", "label": {"zh-CN": "方式"},
                     "options": [{"code": "1", "label": {"zh-CN": "甲"}}, {"code": "9", "label": {"zh-CN": "乙"}}]},
                    {"id": "double", "type": "calculated", "label": {"zh-CN": "倍"}, "calculate": "age * 2"}
                ]}]})
            .to_string(),
        )
        .expect("old form");
        let new = Form::from_json(
            &json!({"id": "f", "version": "2", "title": {"zh-CN": "表"}, "sections": [
            {"id": "s", "title": {"zh-CN": "节"}, "fields": [
                {"id": "name", "type": "text", "label": {"zh-CN": "姓名"}},
                {"id": "age", "type": "date", "label": {"zh-CN": "出生日期"}},
                {"id": "count", "type": "integer", "label": {"zh-CN": "人数"}},
                {"id": "mode", "type": "single_choice", "label": {"zh-CN": "方式"},
                 "options": [{"code": "1", "label": {"zh-CN": "甲"}}]},
                {"id": "double", "type": "calculated", "label": {"zh-CN": "倍"}, "calculate": "1"}
            ]}]})
            .to_string(),
        )
        .expect("new form");
        let mut draft = Record::new("d".into(), &old, 1);
        for (field, value) in [
            ("name", json!("张三")),
            ("age", json!(40)),
            ("gone", json!("x")),
            ("mode", json!("9")),
            // Typed and not yet corrected: the app keeps such text as typed.
            ("count", json!("6,5")),
        ] {
            draft.set_answer(field, value, 2).expect("draft");
        }
        draft.answers.insert("double".into(), json!(80));
        let dropped = draft.migrate(&new, 3).expect("migrates");
        assert_eq!(dropped, vec!["gone", "age", "mode"]);
        assert_eq!(draft.form_version, "2");
        assert_eq!(
            serde_json::to_value(&draft.answers).expect("json"),
            json!({"name": "张三", "count": "6,5"}),
            "the typed text carries over, still to be corrected"
        );
        assert_eq!(draft.updated_at, 3);
        let other = Form::from_json(
            &json!({"id": "g", "version": "2", "title": {"zh-CN": "表"}, "sections": [
                {"id": "s", "title": {"zh-CN": "节"}, "fields": [
                    {"id": "name", "type": "text", "label": {"zh-CN": "姓名"}}]}]})
            .to_string(),
        )
        .expect("other form");
        assert!(draft.migrate(&other, 4).is_err());
        // Never back onto an older version: the draft stays as it is.
        let before = draft.clone();
        assert_eq!(
            draft.migrate(&old, 5),
            Err(LifecycleError::OlderForm {
                record: "2".into(),
                form: "1".into()
            })
        );
        assert_eq!(draft, before);
    }

    #[test]
    fn form_versions_are_ordered_part_by_part_numbers_as_numbers() {
        use crate::schema::version_order;
        use std::cmp::Ordering::{Equal, Greater, Less};
        assert_eq!(version_order("2026.10", "2026.9"), Greater);
        assert_eq!(version_order("2026.1", "2026.1"), Equal);
        assert_eq!(version_order("2026", "2026.1"), Less);
        assert_eq!(version_order("2", "10"), Less);
        assert_eq!(version_order("2026.1-b", "2026.1-a"), Greater);
        assert_eq!(version_order("2027.1", "2026.12"), Greater);
    }

    fn visit_form() -> Form {
        Form::from_json(
            &json!({"id": "v", "version": "1", "title": {"zh-CN": "表"},
                "record": {"unit": "person", "key": "cert", "title": "name", "region": "region",
                           "method": "method", "home_visit": ["1"], "reference_date": "ref"},
                "sections": [{"id": "s", "title": {"zh-CN": "节"}, "fields": [
                    {"id": "cert", "type": "text", "label": {"zh-CN": "证号"}, "required": true},
                    {"id": "name", "type": "text", "label": {"zh-CN": "姓名"}},
                    {"id": "region", "type": "region", "label": {"zh-CN": "村"}},
                    {"id": "method", "type": "single_choice", "label": {"zh-CN": "方式"}, "default": "'1'",
                     "options": [{"code": "1", "label": {"zh-CN": "入户"}}, {"code": "2", "label": {"zh-CN": "电话"}}]},
                    {"id": "ref", "type": "calculated", "label": {"zh-CN": "时点"}, "calculate": "date(2026, 9, 30)"},
                    {"id": "count", "type": "integer", "label": {"zh-CN": "人数"},
                     "constraints": [{"expr": ". < 10", "code": "many", "severity": "warning",
                                      "message": {"zh-CN": "人数偏多"}}]}
                ]}]})
            .to_string(),
        )
        .expect("visit form")
    }

    #[test]
    fn only_a_person_added_off_the_roster_has_a_key_to_look_up() {
        let form = visit_form();
        let mut meta = Metadata {
            off_roster: true,
            ..Metadata::default()
        };
        let mut answers = Answers::new();
        assert_eq!(
            off_roster_key(&form, &answers, &meta),
            None,
            "nothing typed"
        );
        answers.insert("cert".into(), json!("  "));
        assert_eq!(off_roster_key(&form, &answers, &meta), None, "blank");
        answers.insert("cert".into(), json!(" 330110X "));
        assert_eq!(
            off_roster_key(&form, &answers, &meta),
            Some(("cert", "330110X"))
        );
        meta.off_roster = false;
        assert_eq!(
            off_roster_key(&form, &answers, &meta),
            None,
            "a roster line"
        );
        let issue = on_roster_issue("cert", "李四");
        assert_eq!(
            (issue.field.as_str(), issue.code.as_str()),
            ("cert", "on_roster")
        );
        assert_eq!(issue.severity, crate::schema::Severity::Error);
        assert!(issue.message.get("zh-CN").contains("李四"));
    }

    #[test]
    fn a_person_is_found_on_the_roster_by_their_key_or_its_id_part() {
        let person = |cert: &str, name: &str| RosterPerson {
            cert_no: cert.into(),
            name: name.into(),
            region_code: "330110005001".into(),
            prefill: Default::default(),
        };
        let roster = [
            person("33011019800101001X11", "张三"),
            person("33011019800101002X12", "李四"),
            person("33011019800101002X13", "李四换证后"),
        ];
        let whole = visit_form();
        let by_id = Form::from_json(
            &serde_json::to_string(&{
                let mut def = whole.def.clone();
                if let Some(record) = def.record.as_mut() {
                    record.key_prefix = Some(18);
                }
                def
            })
            .expect("form JSON"),
        )
        .expect("form with key_prefix");
        let name =
            |form: &Form, key: &str| listed_person(form, &roster, key).map(|p| p.name.clone());
        // The very key, its X in either case, spaces around it ignored.
        assert_eq!(name(&whole, " 33011019800101001x11 "), Some("张三".into()));
        // Reissued with another level: the same person only when the form says the first 18
        // characters name them.
        assert_eq!(name(&whole, "33011019800101001X12"), None);
        assert_eq!(name(&by_id, "33011019800101001X12"), Some("张三".into()));
        // The very key is preferred to another line of the same ID; otherwise the first line.
        assert_eq!(
            name(&by_id, "33011019800101002X13"),
            Some("李四换证后".into())
        );
        assert_eq!(name(&by_id, "33011019800101002X14"), Some("李四".into()));
        // Another ID number is no one's.
        assert_eq!(name(&by_id, "33011019800101003X12"), None);
    }

    #[test]
    fn a_record_of_a_roster_line_keeps_its_subject() {
        let village = Form::from_json(
            &json!({"id": "c", "version": "1", "title": {"zh-CN": "社区"},
            "record": {"unit": "village", "region": "region"},
            "sections": [{"id": "s", "title": {"zh-CN": "节"}, "fields": [
                {"id": "region", "type": "text", "label": {"zh-CN": "村"}, "required": true},
                {"id": "count", "type": "integer", "label": {"zh-CN": "人数"}}
            ]}]})
            .to_string(),
        )
        .expect("village form");
        let mut record = Record::start(
            "r".into(),
            &village,
            &Context::default(),
            Some("330110005001".into()),
            Answers::from([("region".to_string(), json!("330110005001"))]),
            1,
        );
        assert_eq!(
            locked_field(&village, &record.answers, &record.meta),
            Some("region")
        );
        // Another village: the record no longer stands for its roster line (nor is the field
        // locked, so that it can be set back).
        record
            .set_answer("region", json!("330110005002"), 3)
            .expect("draft");
        assert_eq!(locked_field(&village, &record.answers, &record.meta), None);
        match record.complete(&village, on("2026-10-01"), 4) {
            Err(LifecycleError::Invalid(report)) => {
                let issue = report.errors().next().expect("an error");
                assert_eq!(
                    (issue.field.as_str(), issue.code.as_str()),
                    ("region", "subject_changed")
                );
                assert!(issue.message.get("zh-CN").contains("330110005001"));
            }
            other => panic!("expected the subject's error, got {other:?}"),
        }
        record
            .set_answer("region", json!("330110005001"), 5)
            .expect("draft");
        record
            .complete(&village, on("2026-10-01"), 6)
            .expect("completes");
        // A person's certificate number is the current one, whatever the roster had: it is
        // issued anew when the category or level changes.
        let form = visit_form();
        let mut person = Record::start(
            "p".into(),
            &form,
            &Context::default(),
            Some("33011019800515002642".into()),
            Answers::from([("cert".to_string(), json!("33011019800515002642"))]),
            1,
        );
        person
            .set_answer("cert", json!("33011019800515002632"), 2)
            .expect("draft");
        assert_eq!(subject_issue(&form, &person.answers, &person.meta), None);
    }

    #[test]
    fn the_village_a_record_keeps_is_always_asked() {
        let conditional = json!({"id": "c", "version": "1", "title": {"zh-CN": "社区"},
        "record": {"unit": "village", "region": "region"},
        "sections": [{"id": "s", "title": {"zh-CN": "节"}, "fields": [
            {"id": "flag", "type": "integer", "label": {"zh-CN": "标"}},
            {"id": "region", "type": "text", "label": {"zh-CN": "村"}, "relevant": "flag = 1"}
        ]}]});
        let error = Form::from_json(&conditional.to_string()).expect_err("conditional village");
        assert!(error.to_string().contains("record.region"), "{error}");
    }

    fn on(day: &str) -> Context {
        Context {
            today: crate::expr::parse_date(day),
            collector: Some(std::sync::Arc::from("王五")),
            ..Context::default()
        }
    }

    #[test]
    fn completing_needs_every_warning_confirmed_and_records_the_metadata() {
        let form = visit_form();
        let known = Answers::from([
            ("cert".to_string(), json!("C1")),
            ("name".to_string(), json!(null)),
        ]);
        let mut record = Record::start(
            "r".into(),
            &form,
            &on("2026-09-01"),
            Some("C1".into()),
            known,
            1,
        );
        assert_eq!(
            record.answers.get("method"),
            Some(&json!("1")),
            "the default"
        );
        assert_eq!(
            record.answers.get("cert"),
            Some(&json!("C1")),
            "known answers"
        );
        assert!(
            !record.answers.contains_key("name"),
            "a null known answer is no answer"
        );
        assert_eq!(record.meta.subject.as_deref(), Some("C1"));

        record.set_answer("count", json!(12), 2).expect("draft");
        match record.complete(&form, on("2026-09-01"), 3) {
            Err(LifecycleError::Unconfirmed(warnings)) => {
                assert_eq!(warnings.len(), 1);
                assert_eq!(
                    (warnings[0].field.as_str(), warnings[0].code.as_str()),
                    ("count", "many")
                );
            }
            other => panic!("expected an unconfirmed warning, got {other:?}"),
        }
        assert_eq!(record.status, Status::Draft);
        record
            .confirm("count", "many", " 大家庭 ", 4)
            .expect("draft");
        // A confirmation of a warning that is no longer raised is dropped at completion.
        record.confirm("cert", "gone", "", 5).expect("draft");
        record
            .complete(&form, on("2026-09-01"), 6)
            .expect("completes");
        assert_eq!(record.status, Status::Completed);
        assert_eq!(record.meta.method.as_deref(), Some("1"));
        assert_eq!(record.meta.collector.as_deref(), Some("王五"));
        assert!(record.meta.reconfirm, "completed before 30 September");
        assert_eq!(
            record.meta.confirmed,
            vec![Confirmation {
                field: "count".into(),
                code: "many".into(),
                note: "大家庭".into()
            }]
        );

        // Reopened (counted), re-confirmed on the reference date: the flag goes.
        record.reopen(7).expect("completed records reopen");
        assert_eq!(record.meta.opened, 1);
        record
            .complete(&form, on("2026-09-30"), 8)
            .expect("completes");
        assert!(!record.meta.reconfirm);
        record.enqueue(9).expect("completed");
        record.reopen(10).expect("queued records reopen until sent");
        assert_eq!(record.meta.opened, 2);
        record.submit(&form, on("2026-10-02"), 11).expect("queued");
        let sent = record.to_submission();
        assert_eq!(sent.meta, record.meta);
        assert_eq!(sent.updated_at, Some(11));
        record.mark_sent().expect("queued");
        assert!(matches!(
            record.reopen(12),
            Err(LifecycleError::WrongStatus { .. })
        ));
    }

    #[test]
    fn a_record_completed_before_the_reference_date_reopens_to_be_reconfirmed_once_due() {
        let form = visit_form();
        let definition = form.def.record.clone().expect("record block");
        let day = crate::expr::parse_date;
        let known = Answers::from([("cert".to_string(), json!("C1"))]);
        let mut record = Record::start("r".into(), &form, &on("2026-09-01"), None, known, 1);
        record.set_answer("count", json!(12), 2).expect("draft");
        record.confirm("count", "many", "", 2).expect("draft");
        record
            .submit(&form, on("2026-09-01"), 2)
            .expect("completes");
        record.mark_sent().expect("queued");
        assert!(record.meta.reconfirm);
        assert_eq!(record.meta.confirmed.len(), 1);
        // Before the reference date, or without a date, it does not wait yet.
        assert!(!record.awaits_reconfirmation(&definition, day("2026-09-29")));
        assert!(!record.awaits_reconfirmation(&definition, None));
        assert!(matches!(
            record.reopen_to_reconfirm(&definition, day("2026-09-29"), 3),
            Err(LifecycleError::NotAwaitingReconfirmation)
        ));
        assert_eq!(record.status, Status::Sent);
        assert!(record.awaits_reconfirmation(&definition, day("2026-09-30")));

        // Sent, and due: it opens again, counted, with a higher revision for the server.
        let revision = record.revision;
        record
            .reopen_to_reconfirm(&definition, day("2026-10-08"), 4)
            .expect("due");
        assert_eq!(record.status, Status::Draft);
        assert_eq!(record.meta.opened, 1);
        assert!(record.revision > revision);
        assert!(
            record.awaits_reconfirmation(&definition, day("2026-10-08")),
            "reopened, it waits until it is completed again"
        );
        assert!(matches!(
            record.reopen_to_reconfirm(&definition, day("2026-10-08"), 5),
            Err(LifecycleError::NotAwaitingReconfirmation)
        ));
        // Its warnings are to be confirmed again. Completed again on or after the reference
        // date, the flag goes, and with it the wait.
        assert!(record.meta.confirmed.is_empty());
        assert!(matches!(
            record.submit(&form, on("2026-10-08"), 5),
            Err(LifecycleError::Unconfirmed(_))
        ));
        record.confirm("count", "many", "", 5).expect("draft");
        record
            .submit(&form, on("2026-10-08"), 5)
            .expect("completes");
        assert!(!record.meta.reconfirm);
        record.mark_sent().expect("queued");
        assert!(!record.awaits_reconfirmation(&definition, day("2026-10-08")));
        assert!(matches!(
            record.reopen_to_reconfirm(&definition, day("2026-10-08"), 6),
            Err(LifecycleError::NotAwaitingReconfirmation)
        ));
    }

    #[test]
    fn a_position_is_kept_for_a_home_visit_only() {
        let form = visit_form();
        let here = Position {
            latitude: 30.27,
            longitude: 120.15,
            accuracy: 12.0,
            at: 2,
        };
        let start = |method: &str| {
            let known = Answers::from([("cert".to_string(), json!("C1"))]);
            let mut record = Record::start("r".into(), &form, &on("2026-10-01"), None, known, 1);
            // Taken while the method was still the default, a home visit.
            record.set_position(here, 2).expect("draft");
            record
                .set_answer("method", json!(method), 3)
                .expect("draft");
            record
                .complete(&form, on("2026-10-01"), 4)
                .expect("completes");
            record
        };
        assert_eq!(start("1").meta.position, Some(here));
        assert_eq!(start("2").meta.position, None, "taken by phone after all");
    }

    /// A record of the visit form with a certificate number, completed and in the outbox.
    fn queued(form: &Form) -> Record {
        let mut record =
            Record::start("r".into(), form, &on("2026-10-01"), None, Answers::new(), 1);
        record.set_answer("cert", json!("C2"), 2).expect("draft");
        record.submit(form, on("2026-10-01"), 3).expect("queued");
        record
    }

    #[test]
    fn a_returned_record_keeps_the_servers_issues_until_completed_again() {
        let form = visit_form();
        let mut record = queued(&form);
        let issue = crate::validate::Issue {
            field: "cert".into(),
            severity: crate::Severity::Error,
            code: "unknown_person".into(),
            message: crate::Localized::zh_en("不在名册", "Not on the roster"),
        };
        record.send_back(vec![issue.clone()], 4).expect("queued");
        assert_eq!(record.status, Status::Draft);
        assert_eq!(record.returned, vec![issue]);
        let stored: Record =
            serde_json::from_str(&serde_json::to_string(&record).expect("json")).expect("reads");
        assert_eq!(stored.returned.len(), 1, "the issues survive a reload");
        record
            .complete(&form, on("2026-10-01"), 5)
            .expect("completes");
        assert!(record.returned.is_empty());
        assert!(
            record.send_back(vec![], 6).is_err(),
            "only a queued record is sent back"
        );
    }

    #[test]
    fn a_returned_issue_goes_when_its_answer_changes() {
        let form = visit_form();
        let issue = |field: &str| crate::validate::Issue {
            field: field.into(),
            severity: crate::Severity::Error,
            code: "server_check".into(),
            message: crate::Localized::zh_en("不对", "Wrong"),
        };
        let mut record = queued(&form);
        // A repeat group's answer as the record held it when the server returned it.
        record
            .answers
            .insert("members".into(), json!([{"n": "a"}, {"n": "b"}]));
        let returned = vec![
            issue("cert"),
            issue("name"),
            issue("members[0].n"),
            issue("members[1].n"),
        ];
        record.send_back(returned, 4).expect("queued");
        let still_standing = |record: &Record| -> Vec<String> {
            record.returned.iter().map(|i| i.field.clone()).collect()
        };
        // The same answer again changes nothing.
        record.set_answer("cert", json!("C2"), 5).expect("draft");
        assert_eq!(record.returned.len(), 4);
        record.set_answer("cert", json!("C3"), 5).expect("draft");
        assert_eq!(
            still_standing(&record),
            ["name", "members[0].n", "members[1].n"]
        );
        // In a repeat group, only the instance that changed.
        record
            .set_answer("members", json!([{"n": "a"}, {"n": "c"}]), 6)
            .expect("draft");
        assert_eq!(still_standing(&record), ["name", "members[0].n"]);
    }

    #[test]
    fn a_record_stored_before_metadata_existed_still_reads() {
        let old = json!({"id": "x", "form_id": "v", "form_version": "1", "status": "queued",
            "answers": {"cert": "C"}, "revision": 3, "created_at": 1, "updated_at": 2});
        let record: Record = serde_json::from_value(old).expect("reads");
        assert_eq!(record.meta, Metadata::default());
        assert!(record.returned.is_empty());
    }

    #[test]
    fn the_record_block_must_name_fields_of_the_form() {
        let mut def: crate::schema::FormDefinition =
            serde_json::from_str(include_str!("../../../schemas/individual.json")).expect("json");
        let record = def.record.as_mut().expect("record block");
        record.title = Some("nickname".into());
        let error = Form::from_definition(def.clone()).expect_err("unknown field");
        assert!(error.to_string().contains("record.title"), "{error}");
        let record = def.record.as_mut().expect("record block");
        record.title = Some("name".into());
        record.home_visit = vec!["9".into()];
        let error = Form::from_definition(def).expect_err("unknown code");
        assert!(error.to_string().contains("`9`"), "{error}");
    }

    #[test]
    fn ids_are_version_7_and_sort_by_time() {
        let a = record_id(1_700_000_000_000, [1; 10]);
        let b = record_id(1_700_000_000_001, [0; 10]);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "7");
        assert!(a < b);
    }

    #[test]
    fn a_draft_goes_to_the_outbox_only_without_errors() {
        let form = demo();
        let mut record = Record::new(record_id(1, [0; 10]), &form, 10);
        record.set_answer("name", json!("张三"), 11).expect("draft");
        record.set_answer("visited", json!("2"), 12).expect("draft");
        record
            .set_answer("reason", json!("外出务工"), 13)
            .expect("draft");
        record.set_answer("age", json!(34), 14).expect("draft");
        record.set_answer("visited", json!("1"), 15).expect("draft");
        assert_eq!(record.revision, 5);
        record.set_answer("age", json!(34), 16).expect("draft");
        assert_eq!(record.updated_at, 15, "an unchanged answer is not a change");

        record.set_answer("age", json!(300), 17).expect("draft");
        match record.submit(&form, Context::default(), 18) {
            Err(LifecycleError::Invalid(report)) => {
                assert_eq!(report.issues[0].field, "age")
            }
            other => panic!("expected invalid, got {other:?}"),
        }
        assert_eq!(record.status, Status::Draft);

        record.set_answer("age", json!(34), 19).expect("draft");
        record.submit(&form, Context::default(), 20).expect("valid");
        assert_eq!(record.status, Status::Queued);
        assert!(
            !record.answers.contains_key("reason"),
            "irrelevant answer dropped"
        );
        assert_eq!(record.completed_at, Some(20));
        assert!(matches!(
            record.set_answer("age", json!(1), 21),
            Err(LifecycleError::WrongStatus { .. })
        ));
        record.mark_sent().expect("queued");
        assert_eq!(record.status, Status::Sent);
        assert!(record.mark_sent().is_err());
    }

    #[test]
    fn a_record_is_checked_only_against_its_own_form_version() {
        let form = demo();
        let mut record = Record::new("r".into(), &form, 0);
        record.form_version = "0".into();
        assert!(matches!(
            record.submit(&form, Context::default(), 1),
            Err(LifecycleError::WrongForm { .. })
        ));
    }
}
