//! The app's state and its reducer: pure, no I/O. Every change to records goes through here
//! and through `doorstep-core`; the root component mirrors the result to IndexedDB.

use std::rc::Rc;
use std::sync::Arc;

use doorstep_core::protocol::{Assignments, Session};
use doorstep_core::record::LifecycleError;
use doorstep_core::{Area, Context, Evaluation, Form, Issue, Record, Report, Status};
use serde_json::Value as Json;
use yew::Reducible;

use crate::i18n::Locale;

/// A shared form, compared by pointer so that passing it down never costs a deep comparison.
#[derive(Debug, Clone)]
pub struct FormRef(pub Rc<Form>);

impl PartialEq for FormRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Where the app is in starting up.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Opening storage and loading the form.
    Loading,
    /// The form is shown.
    Ready,
    /// The form could not be loaded; the message says why and where.
    Failed(String),
}

/// What the collector was last told about a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The record is complete and waits in the outbox.
    Queued,
    /// The server accepted it.
    Sent,
    /// The server returned it.
    Returned,
    /// A draft of an older version of the form was moved onto this one; [`State::not_carried`]
    /// lists the answers that did not carry over.
    Migrated,
}

/// Everything the screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The interface language.
    pub locale: Locale,
    /// Start-up progress.
    pub phase: Phase,
    /// The form being filled in.
    pub form: Option<FormRef>,
    /// The record being filled in.
    pub draft: Option<Record>,
    /// The state of every field of the draft, kept current with every change.
    pub evaluation: Option<Rc<Evaluation>>,
    /// Issues the server returned the draft with, shown until the next change.
    pub returned: Rc<Report>,
    /// Whether the collector tried to submit: then unanswered required questions are flagged.
    pub attempted: bool,
    /// The other records of the form on this device, newest first. Shared, so that the clone
    /// every action makes of the state does not copy them.
    pub records: Rc<Vec<Record>>,
    /// Whether the browser is online.
    pub online: bool,
    /// The last thing to tell the collector about a submission.
    pub notice: Option<Notice>,
    /// Why device storage failed, if it did.
    pub storage_error: Option<String>,
    /// The villages region answers must be in: the configured area, narrowed to the signed-in
    /// collector's villages.
    pub area: Option<Arc<Area>>,
    /// The whole configured area, as the server gives it.
    pub configured_area: Option<Arc<Area>>,
    /// The collector's sign-in; `None` shows the sign-in screen.
    pub session: Option<Session>,
    /// Why the last sign-in failed.
    pub sign_in_error: Option<String>,
    /// How uploads are going.
    pub upload: UploadStatus,
    /// The answers of the draft in hand that a newer version of the form could not take.
    pub not_carried: Vec<String>,
    /// How many persons the roster has in each of the collector's villages, from the last
    /// assignments fetched, for `roster_count(region)`.
    pub roster_sizes: Option<Arc<std::collections::BTreeMap<String, i64>>>,
}

impl Default for State {
    fn default() -> Self {
        State {
            locale: Locale::default(),
            phase: Phase::Loading,
            form: None,
            draft: None,
            evaluation: None,
            returned: Rc::new(Report::default()),
            attempted: false,
            records: Rc::new(Vec::new()),
            online: true,
            notice: None,
            storage_error: None,
            area: None,
            configured_area: None,
            session: None,
            sign_in_error: None,
            upload: UploadStatus::default(),
            not_carried: Vec::new(),
            roster_sizes: None,
        }
    }
}

/// What the collector is shown about uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadStatus {
    /// Records answered for in the current burst.
    pub done: usize,
    /// Those and the records still waiting.
    pub total: usize,
    /// Whether an upload is in flight.
    pub uploading: bool,
    /// Whether uploads wait for the collector to sign in again.
    pub needs_sign_in: bool,
    /// When the server last answered an upload, in milliseconds since the epoch.
    pub last_success: Option<i64>,
}

/// Something that happened, to be folded into the state.
#[derive(Debug, Clone)]
pub enum Action {
    /// The form and the stored records are loaded. `new_id` and `now` start a draft when
    /// there is none.
    Loaded {
        /// The form.
        form: Rc<Form>,
        /// Every record stored on the device for any form.
        stored: Vec<Record>,
        /// The villages of the configured area, if known.
        area: Option<Arc<Area>>,
        /// The sign-in kept on the device, if any.
        session: Option<Session>,
        /// An id for a new draft.
        new_id: String,
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// Loading the form failed.
    LoadFailed(String),
    /// The collector changed an answer.
    Answer {
        /// The field id.
        field: String,
        /// The new answer; null or an empty string clears it.
        value: Json,
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// The collector pressed 提交.
    Submit {
        /// The time.
        now: i64,
        /// An id for the next draft.
        next_id: String,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// The collector takes up a draft from the list; the one in hand goes to the list.
    OpenDraft {
        /// The draft's id.
        id: String,
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// The server has these records.
    Sent(Vec<String>),
    /// The server refused the record.
    Returned {
        /// The record's id.
        id: String,
        /// Why.
        issues: Vec<Issue>,
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// The browser went online or offline.
    Online(bool),
    /// Switch the interface language.
    SetLocale(Locale),
    /// Device storage failed.
    StorageFailed(String),
    /// The outbox reports how uploads are going.
    Upload(UploadStatus),
    /// The collector signed in. `context` gives the defaults of a draft not yet touched.
    SignedIn {
        /// The new sign-in.
        session: Session,
        /// Today's date, for the draft's defaults.
        context: Context,
    },
    /// The collector's villages and roster arrived (from the server, or the copy kept on the
    /// device).
    Assignments {
        /// What the server assigned.
        assignments: Assignments,
        /// Today's date, for checking the draft again.
        context: Context,
    },
    /// Signing in failed; the message says why.
    SignInFailed(String),
    /// The server no longer accepts the sign-in: ask for a new one, keeping everything else.
    SignInNeeded,
}

fn evaluate(
    form: &Option<FormRef>,
    draft: &Option<Record>,
    context: Context,
) -> Option<Rc<Evaluation>> {
    match (form, draft) {
        (Some(form), Some(draft)) => {
            Some(Rc::new(Evaluation::new(&form.0, &draft.answers, context)))
        }
        _ => None,
    }
}

/// The configured area narrowed to the collector's villages; the whole area when nobody is
/// signed in.
fn collectors_area(area: &Option<Arc<Area>>, session: &Option<Session>) -> Option<Arc<Area>> {
    match (area, session) {
        (Some(area), Some(session)) => Some(Arc::new(area.restricted_to(&session.villages))),
        (area, _) => area.clone(),
    }
}

/// A new draft with the form's defaults (such as the survey year and today's date).
fn new_draft(id: String, form: &Form, now: i64, context: &Context) -> Record {
    let mut record = Record::new(id, form, now);
    record.answers = form.defaults(context);
    record
}

/// Whether the collector has changed a draft at all; one that only holds its defaults is not
/// worth keeping when another takes its place.
fn touched(record: &Record) -> bool {
    record.revision > 0
}

impl State {
    /// The device supplies the dates; the state adds the collector's area and name.
    fn context(&self, context: Context) -> Context {
        Context {
            area: self.area.clone(),
            roster_sizes: self.roster_sizes.clone(),
            collector: self
                .session
                .as_ref()
                .map(|s| Arc::from(s.collector.as_str())),
            ..context
        }
    }

    /// Folds one action into the state.
    pub fn apply(mut self, action: Action) -> State {
        match action {
            Action::Loaded {
                form,
                stored,
                area,
                session,
                new_id,
                now,
                context,
            } => {
                self.configured_area = area;
                self.session = session;
                self.area = collectors_area(&self.configured_area, &self.session);
                let context = self.context(context);
                let id = form.def.id.clone();
                let mine = |r: &Record| r.form_id == id;
                let draft = stored
                    .iter()
                    .filter(|r| mine(r) && r.status == Status::Draft)
                    .filter(|r| r.form_version == form.def.version)
                    .max_by_key(|r| r.updated_at)
                    .cloned()
                    .unwrap_or_else(|| new_draft(new_id, &form, now, &context));
                // Every other record of the form is listed: completed ones, and drafts that hold
                // answers (set aside when a returned record was taken up, or of an older
                // version), so none is out of reach.
                let current = draft.id.clone();
                let mut records: Vec<Record> = stored
                    .into_iter()
                    .filter(|r| mine(r) && r.id != current)
                    .filter(|r| r.status != Status::Draft || touched(r))
                    .collect();
                records.sort_by(|a, b| b.id.cmp(&a.id));
                self.records = Rc::new(records);
                self.form = Some(FormRef(form));
                self.draft = Some(draft);
                self.evaluation = evaluate(&self.form, &self.draft, context);
                self.phase = Phase::Ready;
            }
            Action::LoadFailed(message) => self.phase = Phase::Failed(message),
            Action::OpenDraft { id, now, context } => {
                let context = self.context(context);
                let Some(at) = self
                    .records
                    .iter()
                    .position(|r| r.id == id && r.status == Status::Draft)
                else {
                    return self;
                };
                let Some(form) = self.form.clone() else {
                    return self;
                };
                let records = Rc::make_mut(&mut self.records);
                let mut record = records.remove(at);
                // A draft of another version of the form moves onto this one, so no draft is
                // ever out of reach; the collector is told what did not carry over.
                let mut not_carried = Vec::new();
                if record.form_version != form.0.def.version {
                    match record.migrate(&form.0, now) {
                        Ok(lost) => not_carried = lost,
                        Err(_) => {
                            records.insert(at, record);
                            return self;
                        }
                    }
                }
                if record.take_up(now).is_ok() {
                    if let Some(old) = self.draft.take().filter(touched) {
                        records.push(old);
                    }
                    self.draft = Some(record);
                    self.evaluation = evaluate(&self.form, &self.draft, context);
                    self.returned = Rc::new(Report::default());
                    self.attempted = false;
                    self.notice = (!not_carried.is_empty()).then_some(Notice::Migrated);
                    self.not_carried = not_carried;
                }
            }
            Action::Answer {
                field,
                value,
                now,
                context,
            } => {
                let context = self.context(context);
                if let (Some(form), Some(draft)) = (&self.form, &mut self.draft) {
                    if draft.set_answer(&field, value.clone(), now).is_ok() {
                        // Only the fields that read this one are re-evaluated.
                        match &mut self.evaluation {
                            Some(evaluation) => {
                                Rc::make_mut(evaluation).set(&form.0, &field, value);
                            }
                            None => self.evaluation = evaluate(&self.form, &self.draft, context),
                        }
                        self.returned = Rc::new(Report::default());
                        self.notice = None;
                    }
                }
            }
            Action::Submit {
                now,
                next_id,
                context,
            } => {
                let context = self.context(context);
                let (Some(form), Some(draft)) = (&self.form, &mut self.draft) else {
                    return self;
                };
                match draft.submit(&form.0, context.clone(), now) {
                    Ok(()) => {
                        let next = new_draft(next_id, &form.0, now, &context);
                        let done = std::mem::replace(draft, next);
                        Rc::make_mut(&mut self.records).insert(0, done);
                        self.attempted = false;
                        self.returned = Rc::new(Report::default());
                        self.notice = Some(Notice::Queued);
                        self.evaluation = evaluate(&self.form, &self.draft, context);
                    }
                    Err(LifecycleError::Invalid(_)) => {
                        // Shown with the dates the check used, so the issues on screen are
                        // exactly those that blocked it; from now on all of them are shown.
                        self.evaluation = evaluate(&self.form, &self.draft, context);
                        self.attempted = true;
                    }
                    Err(_) => {}
                }
            }
            Action::Sent(ids) => {
                let ids: std::collections::HashSet<String> = ids.into_iter().collect();
                let mut any = false;
                for record in Rc::make_mut(&mut self.records) {
                    if ids.contains(&record.id) && record.mark_sent().is_ok() {
                        any = true;
                    }
                }
                if any && self.notice == Some(Notice::Queued) {
                    self.notice = Some(Notice::Sent);
                }
            }
            Action::Returned {
                id,
                issues,
                now,
                context,
            } => {
                let context = self.context(context);
                if let Some(at) = self.records.iter().position(|r| r.id == id) {
                    let records = Rc::make_mut(&mut self.records);
                    let mut record = records.remove(at);
                    if record.reopen(now).is_ok() {
                        // The returned record becomes the draft; the empty draft it replaces
                        // is dropped only when nothing was typed into it.
                        let replaced = self.draft.replace(record);
                        if let Some(old) = replaced.filter(touched) {
                            records.push(old);
                        }
                        self.evaluation = evaluate(&self.form, &self.draft, context);
                        self.returned = Rc::new(Report { issues });
                        self.attempted = true;
                        self.notice = Some(Notice::Returned);
                    } else {
                        records.insert(at, record);
                    }
                }
            }
            Action::Online(online) => self.online = online,
            Action::SetLocale(locale) => self.locale = locale,
            Action::StorageFailed(message) => self.storage_error = Some(message),
            Action::Upload(status) => self.upload = status,
            Action::SignedIn { session, context } => {
                self.session = Some(session);
                self.sign_in_error = None;
                self.area = collectors_area(&self.configured_area, &self.session);
                let context = self.context(context);
                // A draft nothing was typed into starts again with this collector's defaults.
                if let (Some(form), Some(draft)) = (&self.form, &mut self.draft) {
                    if !touched(draft) {
                        draft.answers = form.0.defaults(&context);
                    }
                }
                self.evaluation = evaluate(&self.form, &self.draft, context);
            }
            Action::Assignments {
                assignments,
                context,
            } => {
                let mut sizes = std::collections::BTreeMap::new();
                for village in &assignments.villages {
                    sizes.insert(village.code.clone(), 0);
                }
                for person in &assignments.persons {
                    *sizes.entry(person.region_code.clone()).or_insert(0) += 1;
                }
                self.roster_sizes = Some(Arc::new(sizes));
                let context = self.context(context);
                self.evaluation = evaluate(&self.form, &self.draft, context);
            }
            Action::SignInFailed(message) => self.sign_in_error = Some(message),
            Action::SignInNeeded => self.session = None,
        }
        self
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn loaded(stored: Vec<Record>) -> State {
        let form = Rc::new(Form::from_json(include_str!("../schemas/demo.json")).expect("demo"));
        State::default().apply(Action::Loaded {
            form,
            stored,
            area: None,
            session: None,
            new_id: "new".into(),
            now: 1,
            context: Context::default(),
        })
    }

    fn answer(state: State, field: &str, value: Json) -> State {
        state.apply(Action::Answer {
            field: field.into(),
            value,
            now: 2,
            context: Context::default(),
        })
    }

    #[test]
    fn a_stored_draft_is_resumed_and_submitted() {
        let state = loaded(vec![]);
        let state = answer(state, "name", json!("张三"));
        let draft = state.draft.clone().expect("draft");
        let state = loaded(vec![draft]);
        assert_eq!(state.draft.as_ref().map(|d| d.answers.len()), Some(1));

        let state = state.apply(Action::Submit {
            now: 3,
            next_id: "next".into(),
            context: Context::default(),
        });
        assert!(state.attempted);
        let form = state.form.clone().expect("form");
        let report = state
            .evaluation
            .as_ref()
            .expect("evaluation")
            .report(&form.0);
        assert!(report.has_errors());
        assert!(state.records.is_empty());

        let state = answer(answer(state, "visited", json!("1")), "age", json!(30));
        let state = state.apply(Action::Submit {
            now: 4,
            next_id: "next".into(),
            context: Context::default(),
        });
        assert_eq!(state.records.len(), 1);
        assert_eq!(state.records[0].status, Status::Queued);
        assert_eq!(state.draft.as_ref().map(|d| d.id.as_str()), Some("next"));
        assert_eq!(state.notice, Some(Notice::Queued));

        let id = state.records[0].id.clone();
        let state = state.apply(Action::Sent(vec![id]));
        assert_eq!(state.records[0].status, Status::Sent);
        assert_eq!(state.notice, Some(Notice::Sent));
    }

    #[test]
    fn roster_sizes_come_from_the_assignments_and_count_empty_villages_as_0() {
        use doorstep_core::protocol::{AssignedVillage, RosterPerson};
        let village = |code: &str| AssignedVillage {
            code: code.into(),
            name: String::new(),
            town: String::new(),
        };
        let person = |cert: &str, region: &str| RosterPerson {
            cert_no: cert.into(),
            name: "某人".into(),
            region_code: region.into(),
            prefill: Default::default(),
        };
        let state = loaded(vec![]).apply(Action::Assignments {
            assignments: Assignments {
                collector: "王五".into(),
                villages: vec![village("330110005001"), village("330110005002")],
                persons: vec![person("a", "330110005001"), person("b", "330110005001")],
            },
            context: Context::default(),
        });
        let sizes = state.roster_sizes.clone().expect("sizes");
        assert_eq!(sizes.get("330110005001"), Some(&2));
        assert_eq!(sizes.get("330110005002"), Some(&0));
        assert_eq!(state.context(Context::default()).roster_sizes, Some(sizes));
    }

    #[test]
    fn a_draft_of_an_older_form_version_opens_on_the_new_one() {
        let state = loaded(vec![]);
        let form = state.form.clone().expect("form");
        let mut old = Record::new("old".into(), &form.0, 1);
        old.form_version = "0".into();
        old.set_answer("name", json!("王五"), 2).expect("draft");
        old.set_answer("gone", json!("旧答案"), 3).expect("draft");
        let state = loaded(vec![old]);
        // Listed, since it holds answers, though not of the current version.
        assert_eq!(state.records.len(), 1);
        let state = state.apply(Action::OpenDraft {
            id: "old".into(),
            now: 10,
            context: Context::default(),
        });
        let draft = state.draft.clone().expect("draft");
        assert_eq!(draft.id, "old");
        assert_eq!(draft.form_version, "1");
        assert_eq!(draft.answers.get("name"), Some(&json!("王五")));
        assert_eq!(state.not_carried, vec!["gone".to_string()]);
        assert_eq!(state.notice, Some(Notice::Migrated));
    }

    #[test]
    fn a_draft_set_aside_stays_listed_and_can_be_taken_up_again() {
        let state = answer(loaded(vec![]), "name", json!("张三"));
        let first = state.draft.clone().expect("draft");
        let mut second = Record::new("second".into(), &state.form.clone().expect("form").0, 5);
        second.set_answer("name", json!("李四"), 6).expect("draft");
        // Both drafts are stored; the most recent is in hand, the other is listed.
        let in_hand = |s: &State| s.draft.as_ref().map(|d| d.id.clone());
        let listed = |s: &State| s.records.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        let state = loaded(vec![first.clone(), second.clone()]);
        assert_eq!(in_hand(&state), Some(second.id.clone()));
        assert_eq!(listed(&state), vec![first.id.clone()]);
        let state = state.apply(Action::OpenDraft {
            id: first.id.clone(),
            now: 10,
            context: Context::default(),
        });
        assert_eq!(in_hand(&state), Some(first.id.clone()));
        assert_eq!(listed(&state), vec![second.id]);
        assert_eq!(state.draft.as_ref().map(|d| d.updated_at), Some(10));
    }
}
