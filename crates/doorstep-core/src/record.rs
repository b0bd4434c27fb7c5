//! A record's life: its answers, its identity, and the steps from draft to sent.
//!
//! The lifecycle is a small state machine. Every step is a method that either moves the record
//! on or says why it cannot; nothing here reads a clock or makes an id, so callers pass both in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use thiserror::Error;

use crate::expr::Context;
use crate::protocol::Submission;
use crate::schema::Form;
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
    /// Being filled in.
    Draft,
    /// Completed and checked, waiting for the network.
    Queued,
    /// Delivered to the server and accepted.
    Sent,
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
    /// The answers still have errors.
    #[error("the record has {} error(s)", .0.errors().count())]
    Invalid(Report),
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
        }
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

    /// Sets or clears (with `Json::Null` or an empty string) one answer of a draft.
    pub fn set_answer(
        &mut self,
        field: &str,
        value: Json,
        now: Millis,
    ) -> Result<(), LifecycleError> {
        self.expect(Status::Draft)?;
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
        }
        Ok(())
    }

    /// Takes a draft up again: it becomes the one most recently in hand.
    pub fn take_up(&mut self, now: Millis) -> Result<(), LifecycleError> {
        self.expect(Status::Draft)?;
        self.revision += 1;
        self.updated_at = now;
        Ok(())
    }

    /// Moves a draft made with another version of its form onto `form` (a newer version the
    /// device now has), so it can be opened and completed. Answers the new version cannot take
    /// (a question it no longer has, an answer of another type, an option code it lost) are
    /// dropped; their paths (`field`, or `group[k].field`) are returned so the collector can be
    /// told what did not carry over. Calculated values are dropped silently: they are worked
    /// out again.
    pub fn migrate(&mut self, form: &Form, now: Millis) -> Result<Vec<String>, LifecycleError> {
        self.expect(Status::Draft)?;
        if form.def.id != self.form_id {
            return Err(LifecycleError::WrongForm {
                record: format!("{}@{}", self.form_id, self.form_version),
                form: format!("{}@{}", form.def.id, form.def.version),
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
            let removed = match issue.field.split_once('[') {
                None => answers.remove(&issue.field).is_some(),
                Some((group, rest)) => {
                    // `group[k].field`: remove that answer from instance k.
                    let parsed = rest
                        .split_once("].")
                        .and_then(|(k, field)| Some((k.parse::<usize>().ok()?, field)));
                    match (parsed, answers.get_mut(group)) {
                        (Some((k, field)), Some(Json::Array(instances))) => instances
                            .get_mut(k)
                            .and_then(Json::as_object_mut)
                            .is_some_and(|instance| instance.remove(field).is_some()),
                        _ => false,
                    }
                }
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

    /// Checks the draft and, when nothing blocks it, completes it and puts it in the outbox:
    /// answers of questions that are not asked are dropped.
    pub fn submit(
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
        let evaluation = validate::Evaluation::new(form, &self.answers, context);
        let report = evaluation.report(form);
        if report.has_errors() {
            return Err(LifecycleError::Invalid(report));
        }
        self.answers = evaluation.completed_answers(form);
        self.status = Status::Queued;
        self.revision += 1;
        self.updated_at = now;
        self.completed_at = Some(now);
        Ok(())
    }

    /// Records that the server accepted the record.
    pub fn mark_sent(&mut self) -> Result<(), LifecycleError> {
        self.expect(Status::Queued)?;
        self.status = Status::Sent;
        Ok(())
    }

    /// Sends a record the server refused back to draft, so the collector can fix it.
    pub fn reopen(&mut self, now: Millis) -> Result<(), LifecycleError> {
        self.expect(Status::Queued)?;
        self.status = Status::Draft;
        self.updated_at = now;
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
            completed_at: self.completed_at,
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
    fn a_draft_of_an_older_version_moves_onto_the_new_one_saying_what_was_lost() {
        let old = Form::from_json(
            &json!({"id": "f", "version": "1", "title": {"zh-CN": "表"}, "sections": [
                {"id": "s", "title": {"zh-CN": "节"}, "fields": [
                    {"id": "name", "type": "text", "label": {"zh-CN": "姓名"}},
                    {"id": "age", "type": "integer", "label": {"zh-CN": "年龄"}},
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
        ] {
            draft.set_answer(field, value, 2).expect("draft");
        }
        draft.answers.insert("double".into(), json!(80));
        let dropped = draft.migrate(&new, 3).expect("migrates");
        assert_eq!(dropped, vec!["gone", "age", "mode"]);
        assert_eq!(draft.form_version, "2");
        assert_eq!(
            serde_json::to_value(&draft.answers).expect("json"),
            json!({"name": "张三"})
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
