//! The app's state and its reducer: pure, no I/O. Every change to records goes through here
//! and through `doorstep-core`; the root component mirrors the result to IndexedDB.
//!
//! The app runs in one of two modes. With a roster (the default) it opens on the collector's
//! persons and villages, and a record is opened, filled page by page, completed and closed.
//! With `?form=ID` it shows one form filled record after record, for forms without a roster.
//! Either way a form's sections are its pages.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use doorstep_core::protocol::{
    AssignedVillage, Assignments, DeliveredRecord, RosterPerson, Session,
};
use doorstep_core::record::{locked_field, off_roster_key, LifecycleError, Position};
use doorstep_core::schema::RecordUnit;
use doorstep_core::{Answers, Area, Context, Evaluation, Form, Issue, Record, Status};
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

/// A record as it was uploaded: what the server's answer is about. A record changed since
/// (reopened and completed again while the upload was under way) is another revision, which
/// the answer does not touch: it is uploaded in its turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The record's id.
    pub id: String,
    /// The revision uploaded.
    pub revision: u32,
}

/// Where the app is in starting up.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Opening storage and loading the forms.
    Loading,
    /// Another open copy of the app holds the device: this one waits for it (see
    /// `device_lock`).
    HeldElsewhere,
    /// The app is usable.
    Ready,
    /// A form could not be loaded; the message says why and where.
    Failed(String),
}

/// How the app is used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// From the collector's roster: persons and villages, one record each.
    #[default]
    Roster,
    /// One form, filled record after record (`?form=ID`).
    Free,
}

/// Which screen is shown (in roster mode; free mode always shows its form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// The roster: persons, villages and counts.
    #[default]
    Home,
    /// The record in hand.
    Record,
}

/// What the collector was last told about a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The record is complete and waits in the outbox.
    Queued,
    /// The server accepted it.
    Sent,
    /// The server returned a record.
    Returned,
    /// The collector asked to save: the record is on the device.
    Saved,
    /// A record completed, reopened with 修改 and left a draft: it is not uploaded until it
    /// is completed again.
    Reopened,
    /// A person added at the door turned out to be on the roster, and the record in hand
    /// became their line's record, with what was typed kept.
    TakenOntoRoster,
    /// A record was made with a newer version of its form than the device has now (a stale
    /// copy served): it is kept as it is, and opens once the device has that version again.
    NeedsNewerForm {
        /// The version the record was made with.
        version: String,
    },
}

/// Everything the screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The interface language.
    pub locale: Locale,
    /// Start-up progress.
    pub phase: Phase,
    /// How the app is used.
    pub mode: Mode,
    /// The screen shown.
    pub screen: Screen,
    /// Whether this is the service window (`?mode=window`): records started here get the
    /// form's window method, and the screens lead with search and the keyboard.
    pub window: bool,
    /// Every form loaded, by id.
    pub forms: Rc<BTreeMap<String, FormRef>>,
    /// The form of the record in hand.
    pub form: Option<FormRef>,
    /// The record in hand.
    pub draft: Option<Record>,
    /// The state of every field of the record in hand, kept current with every change.
    pub evaluation: Option<Rc<Evaluation>>,
    /// The page (section) of the record in hand shown, in roster mode.
    pub page: usize,
    /// Whether the collector tried to complete: then unanswered required questions and
    /// unconfirmed warnings are flagged.
    pub attempted: bool,
    /// Every other record on this device, of every form. Shared, so that the clone every
    /// action makes of the state does not copy them.
    pub records: Rc<Vec<Record>>,
    /// Whether the browser is online.
    pub online: bool,
    /// The last thing to tell the collector about a record.
    pub notice: Option<Notice>,
    /// Why device storage failed, if it did.
    pub storage_error: Option<StorageTrouble>,
    /// The villages region answers must be in: the configured area, narrowed to the signed-in
    /// collector's villages.
    pub area: Option<Arc<Area>>,
    /// The whole configured area, as the server gives it.
    pub configured_area: Option<Arc<Area>>,
    /// The collector's sign-in; `None` shows the sign-in screen.
    pub session: Option<Rc<Session>>,
    /// Why the last sign-in failed.
    pub sign_in_error: Option<String>,
    /// How uploads are going.
    pub upload: UploadStatus,
    /// The answers of the draft in hand that a newer version of the form could not take.
    pub not_carried: Vec<String>,
    /// The forms that did not load, each with its address and error: shown until a reload.
    pub unloaded: Vec<String>,
    /// How many persons the roster has in each of the collector's villages, from the last
    /// assignments fetched, for `roster_count(region)`.
    pub roster_sizes: Option<Arc<BTreeMap<String, i64>>>,
    /// The collector's villages, from the last assignments.
    pub villages: Rc<Vec<AssignedVillage>>,
    /// The persons of the collector's roster, from the last assignments.
    pub roster: Rc<Vec<RosterPerson>>,
    /// The server's tag of the last assignments, if it gave one: named when they are fetched
    /// again, so that the server sends them only if they changed.
    pub roster_tag: Option<String>,
    /// The records the server holds about the roster's persons and villages, from any device.
    pub delivered: Rc<Vec<DeliveredRecord>>,
    /// The server's tag of those records, if the device keeps them with one: named when they
    /// are fetched again, so that the server sends them only if they changed.
    pub delivered_tag: Option<String>,
    /// What the collector was asked and said about completing the record in hand as a second
    /// record of a subject the server holds one of from elsewhere
    /// ([`State::delivered_elsewhere`]); forgotten when the record is put away.
    pub second_record: Option<SecondRecord>,
    /// 完成 was refused for the record of this id, a person added at the door whose
    /// certificate number is on the roster, this many times (each refusal moves the focus to
    /// the way to their line again); forgotten when the record is put away.
    pub refused_on_roster: Option<(String, u32)>,
    /// How many times 完成 was refused for errors or unconfirmed warnings since the record in
    /// hand was opened: each refusal moves the focus to the summary of what stops it.
    pub refused: u32,
    /// How many times the browser's address changed under the app ([`Action::Navigated`]): each
    /// time, the app makes the address name what is shown again.
    pub navigations: u32,
}

/// Completing a record of a subject the server holds a record of from elsewhere, which would
/// make a second record of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondRecord {
    /// 完成 was refused for the record of this id, `times` times: each refusal moves the focus
    /// to the question again.
    Asked {
        /// The record's id.
        id: String,
        /// How many times 完成 was refused.
        times: u32,
    },
    /// The collector said a second record is meant: 完成 completes the record of this id.
    Meant {
        /// The record's id.
        id: String,
    },
}

/// What went wrong with the device's storage.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageTrouble {
    /// A write was refused, usually because the device is full; what was stored is intact.
    Full,
    /// Storage failed otherwise (unavailable, unreadable), with what the browser said.
    Failed(String),
}

impl Default for State {
    fn default() -> Self {
        State {
            locale: Locale::default(),
            phase: Phase::Loading,
            mode: Mode::default(),
            screen: Screen::default(),
            window: false,
            forms: Rc::new(BTreeMap::new()),
            form: None,
            draft: None,
            evaluation: None,
            page: 0,
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
            unloaded: Vec::new(),
            roster_sizes: None,
            villages: Rc::new(Vec::new()),
            roster: Rc::new(Vec::new()),
            roster_tag: None,
            delivered: Rc::new(Vec::new()),
            delivered_tag: None,
            second_record: None,
            refused_on_roster: None,
            refused: 0,
            navigations: 0,
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
    /// Queued records completed by another collector, waiting for them to sign in.
    pub held: usize,
}

/// Whom or what a new record is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// A person of the roster.
    Person(RosterPerson),
    /// A village, by its code.
    Village(String),
    /// A person not on the roster, in this village when one is given.
    Unlisted(Option<String>),
}

/// Something that happened, to be folded into the state.
#[derive(Debug, Clone)]
pub enum Action {
    /// The forms and the stored records are loaded.
    Loaded {
        /// How the app is used.
        mode: Mode,
        /// Whether this is the service window.
        window: bool,
        /// The forms; in free mode, the one form.
        forms: Vec<Rc<Form>>,
        /// Why each form that did not load did not (its address and the error).
        unloaded: Vec<String>,
        /// Every record stored on the device for any form.
        stored: Vec<Record>,
        /// The villages of the configured area, if known.
        area: Option<Arc<Area>>,
        /// The sign-in kept on the device, if any.
        session: Option<Session>,
        /// A record to open at once (from the address), in roster mode.
        open: Option<String>,
        /// An id for a new draft, in free mode.
        new_id: String,
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// Loading a form failed.
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
    /// The collector confirmed a warning (with a note), or withdrew the confirmation (`None`).
    Confirm {
        /// The warning's field path.
        field: String,
        /// The warning's code.
        code: String,
        /// The note, or `None` to withdraw.
        note: Option<String>,
        /// The time.
        now: i64,
    },
    /// The collector pressed 完成: complete the record and put it in the outbox.
    Submit {
        /// The time.
        now: i64,
        /// An id for the next draft (free mode).
        next_id: String,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// Open a record of this device: a draft is taken up, a completed one shown.
    OpenRecord {
        /// The record's id.
        id: String,
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// Open the record of a person or village of the roster, starting it when there is none,
    /// or start a record for a person not on the roster.
    Start {
        /// The form's id.
        form_id: String,
        /// Whom or what it is about.
        subject: Subject,
        /// An id for a new record.
        new_id: String,
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// Edit the completed record in hand again (or the sent one that waits to be
    /// re-confirmed).
    Reopen {
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// Put the record in hand away and show the roster.
    Close,
    /// The browser's address changed under the app: its back or forward button (`follow`), or
    /// the app's own going back over the entry of a record it left. Followed, the record the
    /// address names is opened, or without one the record in hand is put away; either way the
    /// address is then made to name what is shown (a record that cannot open leaves the
    /// roster, and an address that names it no longer).
    Navigated {
        /// The record the address names.
        record: Option<String>,
        /// Whether the collector went there: not when the app went back itself.
        follow: bool,
        /// The time.
        now: i64,
        /// Today's date and the reference date, for the rules.
        context: Context,
    },
    /// In the one-form mode: put the record in hand away and start a new one of its form.
    NewRecord {
        /// The new record's id.
        new_id: String,
        /// The time.
        now: i64,
        /// The device's context.
        context: Context,
    },
    /// The collector says the record in hand is meant as a second record of its subject, which
    /// the server holds a record of from elsewhere: 完成 completes it from now on.
    SecondRecordMeant,
    /// The collector asked to save (every change is saved already): say so.
    Save,
    /// Nothing changes, but the whole screen is drawn again: asked for a moment after an
    /// answer (see [`DrawnState`]).
    Redraw,
    /// Show a page of the record in hand.
    Page(usize),
    /// The device gave its position for the record in hand.
    Position {
        /// The record it was asked for.
        id: String,
        /// Where the device was.
        position: Position,
        /// The time.
        now: i64,
    },
    /// The server has these revisions of records.
    Sent(Vec<Uploaded>),
    /// The server refused this revision of a record.
    Returned {
        /// The record and the revision uploaded.
        record: Uploaded,
        /// The device's context, to check the record again when it is in hand.
        context: Context,
        /// Why.
        issues: Vec<Issue>,
        /// The time.
        now: i64,
    },
    /// The browser went online or offline.
    Online(bool),
    /// Switch the interface language.
    SetLocale(Locale),
    /// Device storage failed.
    StorageFailed(String),
    /// Another open copy of the app holds the device (`true`), or no longer (`false`).
    HeldElsewhere(bool),
    /// Device storage refused a write, usually because it is full.
    StorageFull,
    /// Device storage wrote again after failing: what it said no longer holds.
    StorageRecovered,
    /// The outbox reports how uploads are going.
    Upload(UploadStatus),
    /// The collector signed in. `context` gives the defaults of a draft not yet touched.
    SignedIn {
        /// The new sign-in.
        session: Session,
        /// Today's date, for the draft's defaults.
        context: Context,
    },
    /// The records the server holds about the roster arrived (from the server, or the copy
    /// kept on the device).
    Delivered {
        /// The records.
        records: Vec<DeliveredRecord>,
        /// The server's tag of them, when the device keeps them with one.
        tag: Option<String>,
        /// The sign-in they were fetched with; none for the copy kept on the device. Fetched
        /// with another sign-in than the current one, they are dropped.
        token: Option<String>,
    },
    /// The collector's villages and roster arrived (from the server, or the copy kept on the
    /// device).
    Assignments {
        /// What the server assigned.
        assignments: Assignments,
        /// The server's tag of them, if it gave one.
        tag: Option<String>,
        /// The sign-in they were fetched with; none for the copy kept on the device. Fetched
        /// with another sign-in than the current one (another collector signed in while they
        /// were on their way), they are dropped.
        token: Option<String>,
        /// Today's date, for checking the draft again.
        context: Context,
    },
    /// Signing in failed; the message says why.
    SignInFailed(String),
    /// The server no longer accepts the sign-in: ask for a new one, keeping everything else.
    SignInNeeded,
    /// The server refused this token when the records delivered were fetched: if it is still
    /// the current sign-in, ask for a new one (as [`Action::SignInNeeded`]); an earlier
    /// sign-in's refusal changes nothing.
    TokenRefused(String),
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

/// A new draft with the form's defaults (such as the survey year and today's date).
fn new_draft(id: String, form: &Form, now: i64, context: &Context) -> Record {
    Record::start(id, form, context, None, Answers::new(), now)
}

/// Moves a draft made with another version of its form onto `form`, the one loaded: the
/// answers that did not carry over. One made with a newer version than the device has stays as
/// it is, with the notice saying why (`Err(Some(..))`); another refusal says nothing.
fn onto_form(draft: &mut Record, form: &Form, now: i64) -> Result<Vec<String>, Option<Notice>> {
    if draft.form_version == form.def.version {
        return Ok(Vec::new());
    }
    draft.migrate(form, now).map_err(|e| match e {
        LifecycleError::OlderForm { .. } => Some(needs_newer_form(draft)),
        _ => None,
    })
}

/// The notice for a record made with a newer version of its form than the device has.
fn needs_newer_form(record: &Record) -> Notice {
    Notice::NeedsNewerForm {
        version: record.form_version.clone(),
    }
}

/// Whether the collector has changed a draft at all; one that only holds its defaults is not
/// worth keeping when another takes its place.
pub fn touched(record: &Record) -> bool {
    record.revision > 0
}

/// Whether a record is worth keeping in the one-form mode's list when another takes its place:
/// anything but a draft left as it started.
pub fn worth_keeping(record: &Record) -> bool {
    record.status != Status::Draft || touched(record)
}

/// Whether a record is of a person not on the roster and nothing was answered in it yet: it
/// is neither kept among the records nor written to the device, as nothing could find it.
pub fn untouched_walk_in(record: &Record) -> bool {
    record.meta.off_roster && record.status == Status::Draft && !touched(record)
}

/// The answers a record about a subject starts with: the roster's certificate number, name
/// and village, and its prefilled answers, in the fields the form's record block names.
fn known_answers(form: &Form, subject: &Subject) -> Answers {
    let mut known = Answers::new();
    let Some(record) = &form.def.record else {
        return known;
    };
    let mut put = |field: &Option<String>, value: &str| {
        if let Some(field) = field {
            known.insert(field.clone(), Json::String(value.to_string()));
        }
    };
    match subject {
        Subject::Person(person) => {
            put(&record.key, &person.cert_no);
            put(&record.title, &person.name);
            put(&Some(record.region.clone()), &person.region_code);
            for (field, value) in &person.prefill {
                if form.field_by_id(field).is_some() {
                    known.insert(field.clone(), value.clone());
                }
            }
        }
        Subject::Village(code) | Subject::Unlisted(Some(code)) => {
            put(&Some(record.region.clone()), code)
        }
        Subject::Unlisted(None) => {}
    }
    known
}

impl State {
    /// The configured area narrowed to the collector's villages: those of the last
    /// assignments (the server's word), else those the sign-in gave (a host that signs the
    /// collector in gives none). The whole area when nobody is signed in.
    fn collectors_area(&self) -> Option<Arc<Area>> {
        let area = self.configured_area.as_ref()?;
        let Some(session) = &self.session else {
            return Some(area.clone());
        };
        let villages: Vec<String> = if self.villages.is_empty() {
            session.villages.clone()
        } else {
            self.villages.iter().map(|v| v.code.clone()).collect()
        };
        Some(Arc::new(area.restricted_to(&villages)))
    }

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

    /// The form of a record of this device, when it is loaded.
    pub fn form_of(&self, record: &Record) -> Option<FormRef> {
        self.forms.get(&record.form_id).cloned()
    }

    /// The first loaded form whose records stand for a person, or a village.
    pub fn form_for(&self, unit: RecordUnit) -> Option<FormRef> {
        self.forms
            .values()
            .find(|f| f.0.def.record.as_ref().is_some_and(|r| r.unit == unit))
            .cloned()
    }

    /// The record of a subject (a person's key or a village code) for a form, in hand or on
    /// the device: the newest of them.
    pub fn record_of(&self, form_id: &str, subject: &str) -> Option<&Record> {
        self.records
            .iter()
            .chain(self.draft.iter())
            .filter(|r| r.form_id == form_id && r.meta.subject.as_deref() == Some(subject))
            .max_by(|a, b| a.id.cmp(&b.id))
    }

    /// Puts the record in hand back among the others: an untouched draft in roster mode too,
    /// so the person's record is found again rather than started twice. An untouched record of
    /// a person not on the roster goes: nothing would find it again (a mis-tap on "add").
    fn put_away(&mut self) {
        if let Some(record) = self.draft.take() {
            let kept = !untouched_walk_in(&record)
                && (self.mode == Mode::Roster || worth_keeping(&record));
            if kept {
                Rc::make_mut(&mut self.records).push(record);
            }
        }
        self.evaluation = None;
        self.form = None;
        self.attempted = false;
        self.not_carried.clear();
        self.page = 0;
        self.second_record = None;
        self.refused_on_roster = None;
        self.refused = 0;
    }

    /// The id of the record on screen: the one in hand, while the record's screen shows.
    pub fn record_shown(&self) -> Option<&str> {
        let draft = self
            .draft
            .as_ref()
            .filter(|_| self.screen == Screen::Record)?;
        Some(&draft.id)
    }

    /// The roster's person whose certificate number the record in hand holds, when it is a
    /// draft of a person added at the door ([`off_roster_key`]): they are visited through
    /// their line, not as someone added; by the rule the server applies too
    /// ([`doorstep_core::record::listed_person`]).
    pub fn listed_walk_in(&self) -> Option<&RosterPerson> {
        let draft = self.draft.as_ref().filter(|d| d.status == Status::Draft)?;
        let form = &self.form.as_ref()?.0;
        let (_, key) = off_roster_key(form, &draft.answers, &draft.meta)?;
        doorstep_core::record::listed_person(form, &self.roster, key)
    }

    /// The newest record the server holds, from elsewhere, about the subject of the record in
    /// hand, in roster mode (see [`crate::roster::elsewhere`]).
    pub fn delivered_elsewhere(&self) -> Option<crate::roster::Elsewhere> {
        let draft = self.draft.as_ref()?;
        if self.mode != Mode::Roster {
            return None;
        }
        let subject = draft.meta.subject.as_deref()?;
        let on_server: Vec<&DeliveredRecord> =
            crate::roster::delivered_about(&self.delivered, &draft.form_id, subject).collect();
        crate::roster::elsewhere(Some(draft), &on_server)
    }

    /// Takes a record of the list in hand: a draft of an older form version moves onto the
    /// loaded one, a draft is counted as opened once more.
    fn take_in_hand(&mut self, id: &str, now: i64, context: Context) -> bool {
        let Some(at) = self.records.iter().position(|r| r.id == id) else {
            return false;
        };
        let Some(form) = self.form_of(&self.records[at]) else {
            return false;
        };
        let mut record = self.records[at].clone();
        let mut not_carried = Vec::new();
        if record.status == Status::Draft {
            match onto_form(&mut record, &form.0, now) {
                Ok(lost) => not_carried = lost,
                Err(notice) => {
                    if notice.is_some() {
                        self.notice = notice;
                    }
                    return false;
                }
            }
            if touched(&record) && record.take_up(now).is_err() {
                return false;
            }
        }
        self.put_away();
        let records = Rc::make_mut(&mut self.records);
        if let Some(at) = records.iter().position(|r| r.id == id) {
            records.remove(at);
        }
        self.notice = None;
        self.not_carried = not_carried;
        self.form = Some(form);
        self.draft = Some(record);
        self.evaluation = evaluate(&self.form, &self.draft, context);
        self.attempted = self.draft.as_ref().is_some_and(|r| !r.returned.is_empty());
        self.refused = 0;
        self.screen = Screen::Record;
        self.page = 0;
        true
    }

    /// Folds one action into the state.
    pub fn apply(mut self, action: Action) -> State {
        match action {
            Action::Loaded {
                mode,
                window,
                forms,
                unloaded,
                stored,
                area,
                session,
                open,
                new_id,
                now,
                context,
            } => {
                self.mode = mode;
                self.window = window;
                self.unloaded = unloaded;
                self.configured_area = area;
                self.session = session.map(Rc::new);
                self.area = self.collectors_area();
                self.forms = Rc::new(
                    forms
                        .into_iter()
                        .map(|f| (f.def.id.clone(), FormRef(f)))
                        .collect(),
                );
                let context = self.context(context);
                self.records = Rc::new(stored);
                Rc::make_mut(&mut self.records).sort_by(|a, b| b.id.cmp(&a.id));
                self.phase = Phase::Ready;
                match self.mode {
                    Mode::Free => {
                        let Some(form) = self.forms.values().next().cloned() else {
                            return self;
                        };
                        let id = form.0.def.id.clone();
                        let current = self
                            .records
                            .iter()
                            .filter(|r| r.form_id == id && r.status == Status::Draft)
                            .filter(|r| r.form_version == form.0.def.version)
                            .max_by_key(|r| r.updated_at)
                            .map(|r| r.id.clone());
                        let draft = match current {
                            Some(current) => {
                                let records = Rc::make_mut(&mut self.records);
                                let at = records.iter().position(|r| r.id == current);
                                at.map(|at| records.remove(at))
                            }
                            None => None,
                        }
                        .unwrap_or_else(|| new_draft(new_id, &form.0, now, &context));
                        self.form = Some(form);
                        self.draft = Some(draft);
                        self.evaluation = evaluate(&self.form, &self.draft, context);
                        self.screen = Screen::Record;
                    }
                    Mode::Roster => {
                        self.screen = Screen::Home;
                        if let Some(id) = open {
                            self.take_in_hand(&id, now, context);
                        }
                    }
                }
            }
            Action::LoadFailed(message) => self.phase = Phase::Failed(message),
            Action::OpenRecord { id, now, context } => {
                let context = self.context(context);
                self.take_in_hand(&id, now, context);
            }
            Action::Start {
                form_id,
                subject,
                new_id,
                now,
                context,
            } => {
                let context = self.context(context);
                let Some(form) = self.forms.get(&form_id).cloned() else {
                    return self;
                };
                let key = match &subject {
                    Subject::Person(person) => Some(person.cert_no.clone()),
                    Subject::Village(code) => Some(code.clone()),
                    Subject::Unlisted(_) => None,
                };
                // The subject's record in hand already: it stays in hand.
                let in_hand = self.draft.as_ref().is_some_and(|d| {
                    d.form_id == form_id && key.is_some() && d.meta.subject == key
                });
                if in_hand {
                    self.screen = Screen::Record;
                    return self;
                }
                // The subject's record, if one was started.
                let existing = key
                    .as_deref()
                    .and_then(|key| self.record_of(&form_id, key))
                    .map(|r| r.id.clone());
                if let Some(id) = existing {
                    self.take_in_hand(&id, now, context);
                    return self;
                }
                // The person added at the door in hand is this person of the roster after all,
                // and their line has no record yet: the draft becomes the line's record, with
                // what was typed kept and what the roster knows for the rest, rather than a
                // second record beside one left unfinished for good.
                if let Subject::Person(person) = &subject {
                    let listed = self
                        .listed_walk_in()
                        .is_some_and(|p| p.cert_no == person.cert_no);
                    let draft = self
                        .draft
                        .as_mut()
                        .filter(|d| listed && d.form_id == form_id);
                    if let Some(draft) = draft {
                        let known = known_answers(&form.0, &subject);
                        let key = person.cert_no.clone();
                        if draft.take_onto_roster(&form.0, key, known, now).is_ok() {
                            self.refused_on_roster = None;
                            self.notice = Some(Notice::TakenOntoRoster);
                            self.evaluation = evaluate(&self.form, &self.draft, context);
                            self.screen = Screen::Record;
                            return self;
                        }
                    }
                }
                let mut known = known_answers(&form.0, &subject);
                // At the service window the method is the window's.
                if let Some(record) = form.0.def.record.as_ref().filter(|_| self.window) {
                    if let (Some(field), Some(code)) = (&record.method, &record.window) {
                        known.insert(field.clone(), Json::String(code.clone()));
                    }
                }
                let mut record = Record::start(new_id, &form.0, &context, key, known, now);
                record.meta.off_roster = matches!(subject, Subject::Unlisted(_));
                self.put_away();
                self.form = Some(form);
                self.draft = Some(record);
                self.evaluation = evaluate(&self.form, &self.draft, context);
                self.screen = Screen::Record;
                self.notice = None;
            }
            Action::Navigated {
                record,
                follow,
                now,
                context,
            } => {
                self.navigations = self.navigations.wrapping_add(1);
                if !follow {
                    return self;
                }
                if self.record_shown() == record.as_deref() {
                    return self;
                }
                return match record {
                    Some(id) => self.apply(Action::OpenRecord { id, now, context }),
                    None => self.apply(Action::Close),
                };
            }
            Action::Close => {
                if self.mode == Mode::Roster {
                    // Reopened with 修改 and left without 完成: easy to forget, so said.
                    let reopened = self.draft.as_ref().is_some_and(|d| {
                        d.status == Status::Draft
                            && d.completed_at.is_some()
                            && d.returned.is_empty()
                    });
                    if reopened {
                        self.notice = Some(Notice::Reopened);
                    }
                    self.put_away();
                    self.screen = Screen::Home;
                }
            }
            Action::NewRecord {
                new_id,
                now,
                context,
            } => {
                if let (Mode::Free, Some(form)) = (&self.mode, self.form.clone()) {
                    let context = self.context(context);
                    self.put_away();
                    self.draft = Some(new_draft(new_id, &form.0, now, &context));
                    self.form = Some(form);
                    self.evaluation = evaluate(&self.form, &self.draft, context);
                    self.notice = None;
                }
            }
            Action::SecondRecordMeant => {
                if let Some(draft) = &self.draft {
                    self.second_record = Some(SecondRecord::Meant {
                        id: draft.id.clone(),
                    });
                }
            }
            Action::Save => {
                // Said only while the device stores: after a failed write it would be untrue.
                if self.draft.is_some() && self.storage_error.is_none() {
                    self.notice = Some(Notice::Saved);
                }
            }
            Action::Page(page) => {
                let sections = self.form.as_ref().map_or(0, |f| f.0.def.sections.len());
                self.page = page.min(sections.saturating_sub(1));
            }
            Action::Position { id, position, now } => {
                if let Some(draft) = self.draft.as_mut().filter(|d| d.id == id) {
                    let _ = draft.set_position(position, now);
                } else if let Some(record) = Rc::make_mut(&mut self.records)
                    .iter_mut()
                    .find(|r| r.id == id)
                {
                    let _ = record.set_position(position, now);
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
                    // The subject of a record of a roster line stays as the roster gave it.
                    let locked =
                        locked_field(&form.0, &draft.answers, &draft.meta) == Some(field.as_str());
                    // As the question keeps it (an ID number's x in capitals).
                    let value = form.0.normalised(&field, value);
                    if !locked && draft.set_answer(&field, value.clone(), now).is_ok() {
                        // Only the fields that read this one are re-evaluated.
                        match &mut self.evaluation {
                            Some(evaluation) => {
                                Rc::make_mut(evaluation).set(&form.0, &field, value);
                            }
                            None => self.evaluation = evaluate(&self.form, &self.draft, context),
                        }
                        self.notice = None;
                        // A refusal was about the answers as they were.
                        self.refused_on_roster = None;
                    }
                }
            }
            Action::Confirm {
                field,
                code,
                note,
                now,
            } => {
                if let Some(draft) = &mut self.draft {
                    let _ = match note {
                        Some(note) => draft.confirm(&field, &code, &note, now),
                        None => draft.unconfirm(&field, &code, now),
                    };
                }
            }
            Action::Submit {
                now,
                next_id,
                context,
            } => {
                let context = self.context(context);
                let (Some(form), Some(draft)) = (self.form.clone(), &self.draft) else {
                    return self;
                };
                // Completed on a copy, kept only when nothing stops it.
                let mut completed = draft.clone();
                let result = completed.submit(&form.0, context.clone(), now);
                // A person added at the door whose number is on the roster is visited through
                // their line (the server refuses such a record as well): refused once nothing
                // else keeps it from completing. Not one the server holds already, reopened to
                // be re-confirmed: that stays the record of them it is.
                let reconfirming = form.0.def.record.as_ref().is_some_and(|definition| {
                    draft.awaits_reconfirmation(definition, context.today)
                });
                let listed = !reconfirming && self.listed_walk_in().is_some();
                if result.is_ok() && listed {
                    let times = match &self.refused_on_roster {
                        Some((id, times)) if *id == draft.id => times + 1,
                        _ => 1,
                    };
                    self.refused_on_roster = Some((draft.id.clone(), times));
                    return self;
                }
                // A second record of a subject the server holds one of from elsewhere is
                // completed only once the collector has said it is meant: asked when nothing
                // else keeps it from completing, so that the errors and warnings come first. A
                // record the server holds already (reopened since it was sent) is no new record.
                if result.is_ok() && self.delivered_elsewhere().is_some() {
                    let id = completed.id.clone();
                    let held = self.delivered.iter().any(|d| d.id == id);
                    let meant = matches!(&self.second_record,
                        Some(SecondRecord::Meant { id: meant }) if *meant == id);
                    if !held && !meant {
                        let times = match &self.second_record {
                            Some(SecondRecord::Asked { id: asked, times }) if *asked == id => {
                                times + 1
                            }
                            _ => 1,
                        };
                        self.second_record = Some(SecondRecord::Asked { id, times });
                        return self;
                    }
                }
                match result {
                    Ok(()) => {
                        self.notice = Some(Notice::Queued);
                        // The list belonged to the record just completed, not to the next one.
                        self.not_carried.clear();
                        match self.mode {
                            Mode::Free => {
                                self.draft = Some(new_draft(next_id, &form.0, now, &context));
                                Rc::make_mut(&mut self.records).insert(0, completed);
                                self.attempted = false;
                                self.refused = 0;
                                self.page = 0;
                                self.evaluation = evaluate(&self.form, &self.draft, context);
                            }
                            Mode::Roster => {
                                self.draft = Some(completed);
                                self.put_away();
                                self.screen = Screen::Home;
                            }
                        }
                    }
                    Err(LifecycleError::Invalid(_)) | Err(LifecycleError::Unconfirmed(_)) => {
                        // Shown with the dates the check used, so the issues on screen are
                        // exactly those that blocked it; from now on all of them are shown.
                        self.evaluation = evaluate(&self.form, &self.draft, context);
                        self.attempted = true;
                        self.refused += 1;
                    }
                    // Made with a newer version of its form than the device has now (returned
                    // by a server rolled back): it cannot be completed on this one, and the
                    // collector is told why instead of 完成 doing nothing.
                    Err(LifecycleError::WrongForm { .. }) => {
                        if let Some(draft) =
                            self.draft.as_ref().filter(|d| d.made_with_newer(&form.0))
                        {
                            self.notice = Some(needs_newer_form(draft));
                        }
                    }
                    Err(_) => {}
                }
            }
            Action::Reopen { now, context } => {
                let context = self.context(context);
                if let (Some(form), Some(draft)) = (&self.form, &mut self.draft) {
                    // Made with a newer version of the form than the device has now: reopened,
                    // it could neither move onto this one nor be completed.
                    if draft.made_with_newer(&form.0) {
                        self.notice = Some(needs_newer_form(draft));
                        return self;
                    }
                    // One that waits to be re-confirmed, whether sent or not, is reopened for
                    // that (its warnings to be confirmed again); any other completed one until
                    // it is sent.
                    let waits = form
                        .0
                        .def
                        .record
                        .as_ref()
                        .filter(|d| draft.awaits_reconfirmation(d, context.today));
                    let reopened = match waits {
                        Some(definition) => {
                            draft.reopen_to_reconfirm(definition, context.today, now)
                        }
                        None => draft.reopen(now),
                    };
                    if reopened.is_ok() {
                        // Completed under an older version of the form: it moves onto the
                        // loaded one, so it can be completed again.
                        if let Ok(lost) = onto_form(draft, &form.0, now) {
                            self.not_carried = lost;
                        }
                        self.notice = None;
                        self.evaluation = evaluate(&self.form, &self.draft, context);
                    }
                }
            }
            Action::Sent(uploaded) => {
                let sent: HashMap<&str, u32> = uploaded
                    .iter()
                    .map(|u| (u.id.as_str(), u.revision))
                    .collect();
                let was_sent = |r: &Record| sent.get(r.id.as_str()) == Some(&r.revision);
                let mut any = false;
                for record in Rc::make_mut(&mut self.records) {
                    if was_sent(record) && record.mark_sent().is_ok() {
                        any = true;
                    }
                }
                if let Some(draft) = self.draft.as_mut().filter(|d| was_sent(d)) {
                    any |= draft.mark_sent().is_ok();
                }
                if any && self.notice == Some(Notice::Queued) {
                    self.notice = Some(Notice::Sent);
                }
            }
            Action::Returned {
                record: uploaded,
                context,
                issues,
                now,
            } => {
                // The record goes back to draft with the server's issues, where it is: in the
                // list (the roster shows it as 被退回) or in hand; unless it changed since.
                let is_it = |r: &Record| r.id == uploaded.id && r.revision == uploaded.revision;
                let in_hand = self.draft.as_mut().filter(|d| d.id == uploaded.id);
                let returned = match in_hand {
                    Some(draft) => is_it(draft) && draft.send_back(issues.clone(), now).is_ok(),
                    None => Rc::make_mut(&mut self.records)
                        .iter_mut()
                        .find(|r| r.id == uploaded.id)
                        .is_some_and(|r| is_it(r) && r.send_back(issues.clone(), now).is_ok()),
                };
                if returned {
                    self.notice = Some(Notice::Returned);
                }
                // In hand, it is a draft to fix now: made with an older version of the form than
                // the one loaded, it moves onto that, or 完成 could not take it.
                let in_hand = self
                    .draft
                    .as_mut()
                    .filter(|d| returned && d.id == uploaded.id && d.status == Status::Draft);
                if let (Some(draft), Some(form)) = (in_hand, &self.form) {
                    // One made with a newer version than the device has is left as it is,
                    // the server's issues shown at their questions, and the collector told at
                    // once why it cannot be completed here (完成 says so again).
                    match onto_form(draft, &form.0, now) {
                        Ok(lost) => self.not_carried = lost,
                        Err(Some(notice)) => self.notice = Some(notice),
                        Err(None) => {}
                    }
                    let context = self.context(context);
                    self.evaluation = evaluate(&self.form, &self.draft, context);
                    self.attempted = true;
                }
            }
            Action::Online(online) => self.online = online,
            Action::SetLocale(locale) => self.locale = locale,
            // Only while starting: a copy that holds the device never waits again.
            Action::HeldElsewhere(true) if self.phase == Phase::Loading => {
                self.phase = Phase::HeldElsewhere
            }
            Action::HeldElsewhere(false) if self.phase == Phase::HeldElsewhere => {
                self.phase = Phase::Loading
            }
            Action::HeldElsewhere(_) => {}
            Action::StorageFailed(message) => {
                self.storage_error = Some(StorageTrouble::Failed(message))
            }
            Action::StorageFull => self.storage_error = Some(StorageTrouble::Full),
            Action::StorageRecovered => self.storage_error = None,
            Action::Upload(status) => self.upload = status,
            Action::SignedIn { session, context } => {
                // The records delivered about another collector's roster are not this one's.
                // Whose they are is not known after a sign-in was refused: they are fetched
                // again as the roster shows.
                let before = self.session.as_ref().map(|s| s.collector.as_str());
                if before.is_none_or(|before| before != session.collector) {
                    self.delivered = Rc::new(Vec::new());
                    self.delivered_tag = None;
                }
                self.session = Some(Rc::new(session));
                self.sign_in_error = None;
                self.area = self.collectors_area();
                let context = self.context(context);
                // A draft nothing was typed into starts again with this collector's defaults.
                if let (Some(form), Some(draft)) = (&self.form, &mut self.draft) {
                    if !touched(draft) {
                        let known = std::mem::take(&mut draft.answers);
                        draft.answers = form.0.defaults(&context);
                        // What the roster gave stays.
                        for (field, value) in known {
                            draft.answers.entry(field).or_insert(value);
                        }
                    }
                }
                self.evaluation = evaluate(&self.form, &self.draft, context);
            }
            Action::Assignments {
                assignments,
                tag,
                token,
                context,
            } => {
                let current = self.session.as_ref().map(|s| s.token.as_str());
                if token.is_some() && token.as_deref() != current {
                    return self;
                }
                self.roster_tag = tag;
                let mut sizes = BTreeMap::new();
                for village in &assignments.villages {
                    sizes.insert(village.code.clone(), 0);
                }
                for person in &assignments.persons {
                    *sizes.entry(person.region_code.clone()).or_insert(0) += 1;
                }
                self.roster_sizes = Some(Arc::new(sizes));
                self.villages = Rc::new(assignments.villages);
                self.area = self.collectors_area();
                self.roster = Rc::new(assignments.persons);
                let context = self.context(context);
                self.evaluation = evaluate(&self.form, &self.draft, context);
            }
            Action::Delivered {
                records,
                tag,
                token,
            } => {
                let current = self.session.as_ref().map(|s| s.token.as_str());
                if token.is_none() || token.as_deref() == current {
                    self.delivered = Rc::new(records);
                    self.delivered_tag = tag;
                }
            }
            Action::SignInFailed(message) => self.sign_in_error = Some(message),
            Action::SignInNeeded => self.session = None,
            Action::TokenRefused(token) => {
                if self.session.as_ref().is_some_and(|s| s.token == token) {
                    self.session = None;
                }
            }
            Action::Redraw => {}
        }
        self
    }
}

/// The state as the root component holds it: a [`State`] with a count of the actions that
/// asked for the whole screen to be drawn again.
///
/// Two are equal when their counts are, and the root component is drawn again only when the
/// count changes: on every action but an answer. An answer changes what its own questions show
/// (and what reads it), and those are told through the record feed at once; the rest of the
/// screen, and the draft's write to the device, follow with an [`Action::Redraw`] the root
/// component asks for once the current task is done. On a form of 1000 questions this keeps
/// the root's drawing out of the time from a change to the question it shows or hides.
#[derive(Debug, Clone)]
pub struct DrawnState {
    state: State,
    draws: u64,
}

impl DrawnState {
    /// The state, not yet drawn.
    pub fn new(state: State) -> DrawnState {
        DrawnState { state, draws: 0 }
    }
}

impl std::ops::Deref for DrawnState {
    type Target = State;

    fn deref(&self) -> &State {
        &self.state
    }
}

impl PartialEq for DrawnState {
    fn eq(&self, other: &Self) -> bool {
        self.draws == other.draws
    }
}

impl Reducible for DrawnState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let draws = self.draws + u64::from(!matches!(action, Action::Answer { .. }));
        Rc::new(DrawnState {
            state: self.state.clone().apply(action),
            draws,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    impl State {
        /// The record of this id taken up from the list.
        fn opened(self, id: &str, now: i64) -> State {
            self.apply(Action::OpenRecord {
                id: id.into(),
                now,
                context: Context::default(),
            })
        }

        /// The server's answer that it returns this record, as it was uploaded, without issues.
        fn returned(self, record: &Record, now: i64) -> State {
            self.apply(Action::Returned {
                record: Uploaded {
                    id: record.id.clone(),
                    revision: record.revision,
                },
                context: Context::default(),
                issues: Vec::new(),
                now,
            })
        }

        /// The server's answer that it has the record of this id, as it is now.
        fn sent(self, id: &str) -> State {
            let revision = self
                .records
                .iter()
                .chain(self.draft.iter())
                .find(|r| r.id == id)
                .map_or(0, |r| r.revision);
            self.apply(Action::Sent(vec![Uploaded {
                id: id.into(),
                revision,
            }]))
        }
    }

    /// The one-form mode with a demo record completed (queued) and a new one in hand.
    fn completed() -> State {
        let state = answer(loaded(vec![]), "name", json!("张三"));
        let state = answer(answer(state, "visited", json!("1")), "age", json!(30));
        state.apply(Action::Submit {
            now: 4,
            next_id: "next".into(),
            context: Context::default(),
        })
    }

    fn loaded(stored: Vec<Record>) -> State {
        let form = Rc::new(Form::from_json(include_str!("../schemas/demo.json")).expect("demo"));
        State::default().apply(Action::Loaded {
            mode: Mode::Free,
            window: false,
            forms: vec![form],
            unloaded: Vec::new(),
            stored,
            area: None,
            session: None,
            open: None,
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
    fn an_answer_does_not_draw_the_screen_again_until_a_redraw() {
        let before = Rc::new(DrawnState::new(loaded(vec![])));
        let answered = before.clone().reduce(Action::Answer {
            field: "name".into(),
            value: json!("张三"),
            now: 2,
            context: Context::default(),
        });
        // The answer is in the state, yet the root component is not drawn again for it.
        assert_eq!(answered.draft.as_ref().map(|d| d.answers.len()), Some(1));
        assert!(*answered == *before);
        let redrawn = answered.clone().reduce(Action::Redraw);
        assert!(*redrawn != *answered);
        assert_eq!(redrawn.draft, answered.draft);
        // Any other action is drawn at once.
        assert!(*redrawn.clone().reduce(Action::Save) != *redrawn);
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
        // Each refusal is counted: each moves the focus to the summary again.
        assert_eq!(state.refused, 1);
        let state = state.apply(Action::Submit {
            now: 3,
            next_id: "next".into(),
            context: Context::default(),
        });
        assert_eq!(state.refused, 2);
        let form = state.form.clone().expect("form");
        let report = state
            .evaluation
            .as_ref()
            .expect("evaluation")
            .report(&form.0);
        assert!(report.has_errors());
        assert!(!state.records.iter().any(|r| r.status != Status::Draft));

        let state = answer(answer(state, "visited", json!("1")), "age", json!(30));
        let state = state.apply(Action::Submit {
            now: 4,
            next_id: "next".into(),
            context: Context::default(),
        });
        assert_eq!(state.records[0].status, Status::Queued);
        assert_eq!(state.draft.as_ref().map(|d| d.id.as_str()), Some("next"));
        assert_eq!(state.notice, Some(Notice::Queued));
        // The next record starts with none.
        assert_eq!(state.refused, 0);

        let id = state.records[0].id.clone();
        let state = state.sent(&id);
        assert_eq!(state.records[0].status, Status::Sent);
        assert_eq!(state.notice, Some(Notice::Sent));
    }

    #[test]
    fn a_completed_record_is_viewed_and_edited_until_sent_and_a_new_one_started() {
        let state = completed();
        let id = state.records[0].id.clone();
        // Taken up from the list, reopened, changed and completed again: still one record.
        let state = state.opened(&id, 5);
        assert_eq!(state.draft.as_ref().map(|d| d.status), Some(Status::Queued));
        let state = state.apply(Action::Reopen {
            now: 6,
            context: Context::default(),
        });
        let state = answer(state, "name", json!("张三丰")).apply(Action::Submit {
            now: 7,
            next_id: "third".into(),
            context: Context::default(),
        });
        let ours: Vec<&Record> = state.records.iter().filter(|r| r.id == id).collect();
        assert_eq!(ours.len(), 1);
        assert_eq!(ours[0].status, Status::Queued);
        assert_eq!(ours[0].answers["name"], json!("张三丰"));
        // Viewed again, then left for a new record: the new one is blank, the viewed one kept.
        let state = state.opened(&id, 8).apply(Action::NewRecord {
            new_id: "fourth".into(),
            now: 9,
            context: Context::default(),
        });
        let draft = state.draft.as_ref().expect("a new record");
        assert_eq!((draft.id.as_str(), draft.answers.len()), ("fourth", 0));
        assert_eq!(state.records.iter().filter(|r| r.id == id).count(), 1);
    }

    #[test]
    fn a_record_of_a_newer_form_version_than_the_device_has_is_kept_as_it_is() {
        let state = answer(loaded(vec![]), "name", json!("张三"));
        let mut newer = state.draft.clone().expect("draft");
        newer.id = "newer".into();
        newer.form_version = "2".into();
        newer.answers.insert("asked_in_2".into(), json!("x"));
        let state = loaded(vec![newer.clone()]);
        let state = state.opened("newer", 5);
        assert_eq!(
            state.notice,
            Some(Notice::NeedsNewerForm {
                version: "2".into()
            })
        );
        assert_ne!(state.draft.as_ref().map(|d| d.id.as_str()), Some("newer"));
        let kept = state
            .records
            .iter()
            .find(|r| r.id == "newer")
            .expect("kept");
        assert_eq!(kept, &newer);
    }

    #[test]
    fn a_record_returned_in_hand_moves_onto_the_form_loaded_and_can_be_completed() {
        let state = completed();
        // Completed with an older version of the form; viewed while the server answers.
        let mut queued = state.records[0].clone();
        queued.form_version = "0.9".into();
        let state = loaded(vec![queued.clone()]).opened(&queued.id, 5);
        assert_eq!(state.draft.as_ref().map(|d| d.status), Some(Status::Queued));
        let state = state.returned(&queued, 6);
        let draft = state.draft.as_ref().expect("in hand");
        assert_eq!(
            (draft.status, draft.form_version.as_str()),
            (Status::Draft, "1")
        );
        assert!(state.attempted);
        let state = state.apply(Action::Submit {
            now: 7,
            next_id: "n".into(),
            context: Context::default(),
        });
        let completed = state
            .records
            .iter()
            .find(|r| r.id == queued.id)
            .expect("listed");
        assert_eq!(completed.status, Status::Queued);
    }

    #[test]
    fn a_record_of_a_newer_form_version_returned_in_hand_says_why_it_cannot_be_completed() {
        let state = completed();
        let mut queued = state.records[0].clone();
        queued.form_version = "2".into();
        let state = loaded(vec![queued.clone()])
            .opened(&queued.id, 5)
            .returned(&queued, 6);
        let told = Some(Notice::NeedsNewerForm {
            version: "2".into(),
        });
        assert_eq!(state.notice, told);
        let state = state.apply(Action::Submit {
            now: 7,
            next_id: "n".into(),
            context: Context::default(),
        });
        let draft = state.draft.as_ref().expect("still in hand");
        assert_eq!(
            (draft.status, draft.form_version.as_str()),
            (Status::Draft, "2")
        );
        assert_eq!(
            state.notice,
            Some(Notice::NeedsNewerForm {
                version: "2".into()
            })
        );
    }

    #[test]
    fn an_answer_about_an_earlier_revision_leaves_the_record_as_it_is_now() {
        let state = completed();
        assert_eq!(state.records[0].status, Status::Queued);
        let (id, uploaded) = (state.records[0].id.clone(), state.records[0].revision);
        // Reopened and completed again while that revision was being uploaded.
        let mut state = state;
        Rc::make_mut(&mut state.records)[0].revision += 1;
        let earlier = Uploaded {
            id: id.clone(),
            revision: uploaded,
        };
        let state = state.apply(Action::Sent(vec![earlier.clone()]));
        assert_eq!(state.records[0].status, Status::Queued, "not marked sent");
        let state = state.apply(Action::Returned {
            record: earlier,
            context: Context::default(),
            issues: Vec::new(),
            now: 5,
        });
        assert_eq!(state.records[0].status, Status::Queued, "not sent back");
        let state = state.sent(&id);
        assert_eq!(state.records[0].status, Status::Sent);
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
            tag: None,
            token: None,
            context: Context::default(),
        });
        let sizes = state.roster_sizes.clone().expect("sizes");
        assert_eq!(sizes.get("330110005001"), Some(&2));
        assert_eq!(sizes.get("330110005002"), Some(&0));
        assert_eq!(state.context(Context::default()).roster_sizes, Some(sizes));
    }

    #[test]
    fn assignments_fetched_with_another_collectors_sign_in_are_dropped() {
        let session = |token: &str| Session {
            token: token.into(),
            collector: token.into(),
            villages: Vec::new(),
            expires_at: i64::MAX,
        };
        let assignments = |collector: &str| Assignments {
            collector: collector.into(),
            villages: Vec::new(),
            persons: vec![RosterPerson {
                cert_no: format!("{collector}-1"),
                name: collector.into(),
                region_code: "330110005001".into(),
                prefill: Default::default(),
            }],
        };
        let fetched = |state: State, collector: &str, token: Option<&str>| {
            state.apply(Action::Assignments {
                assignments: assignments(collector),
                tag: Some(format!("W/\"{collector}\"")),
                token: token.map(str::to_owned),
                context: Context::default(),
            })
        };
        // A host signs in as b while a's roster is still on its way with a's sign-in.
        let state = loaded(vec![]).apply(Action::SignedIn {
            session: session("b"),
            context: Context::default(),
        });
        let state = fetched(state, "b", Some("b"));
        let state = fetched(state, "a", Some("a"));
        assert_eq!(state.roster[0].name, "b", "a's late answer is dropped");
        assert_eq!(
            state.roster_tag.as_deref(),
            Some("W/\"b\""),
            "and so is its tag"
        );
        // The copy kept on the device names no sign-in, and is taken.
        let state = fetched(state, "kept", None);
        assert_eq!(state.roster[0].name, "kept");
    }

    #[test]
    fn records_delivered_belong_to_the_sign_in_they_were_fetched_with() {
        let session = |name: &str| Session {
            token: format!("token-{name}"),
            collector: name.into(),
            villages: Vec::new(),
            expires_at: i64::MAX,
        };
        let delivered = |id: &str, token: Option<&str>| Action::Delivered {
            records: vec![DeliveredRecord {
                id: id.into(),
                form: "individual".into(),
                subject: "33011019800515002642".into(),
                method: None,
                collector: None,
            }],
            tag: Some(format!("W/\"{id}\"")),
            token: token.map(str::to_owned),
        };
        let ids = |state: &State| -> Vec<String> {
            state.delivered.iter().map(|d| d.id.clone()).collect()
        };
        let signed_in = |state: State, name: &str| {
            state.apply(Action::SignedIn {
                session: session(name),
                context: Context::default(),
            })
        };
        let state = signed_in(loaded(vec![]), "a").apply(delivered("for-a", Some("token-a")));
        assert_eq!(ids(&state), ["for-a"]);
        // The same collector signing in again keeps them; another forgets them.
        let state = signed_in(state, "a");
        assert_eq!(ids(&state), ["for-a"]);
        let state = signed_in(state, "b");
        assert!(ids(&state).is_empty());
        // Nor is their tag named: the server would answer that b holds a's list.
        assert_eq!(state.delivered_tag, None);
        // A late answer fetched with a's sign-in is dropped; b's own, and the kept copy
        // (which names no sign-in), are taken.
        let state = state.apply(delivered("late-for-a", Some("token-a")));
        assert!(ids(&state).is_empty());
        let state = state.apply(delivered("for-b", Some("token-b")));
        assert_eq!(ids(&state), ["for-b"]);
        let state = state.apply(delivered("kept", None));
        assert_eq!(ids(&state), ["kept"]);
        // A refusal of a's token, arriving late, leaves b signed in; of b's, asks b again.
        let state = state.apply(Action::TokenRefused("token-a".into()));
        assert!(state.session.is_some());
        let state = state.apply(Action::TokenRefused("token-b".into()));
        assert!(state.session.is_none());
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
        let state = state.opened("old", 10);
        let draft = state.draft.clone().expect("draft");
        assert_eq!(draft.id, "old");
        assert_eq!(draft.form_version, "1");
        assert_eq!(draft.answers.get("name"), Some(&json!("王五")));
        assert_eq!(state.not_carried, vec!["gone".to_string()]);
        // Completed, the record goes and its list with it: the next draft of the one-form mode
        // lost nothing.
        let state = answer(answer(state, "visited", json!("1")), "age", json!(30));
        let state = state.apply(Action::Submit {
            now: 11,
            next_id: "next".into(),
            context: Context::default(),
        });
        assert_eq!(state.draft.as_ref().map(|d| d.id.as_str()), Some("next"));
        assert!(state.not_carried.is_empty());
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
        let state = state.opened(&first.id, 10);
        assert_eq!(in_hand(&state), Some(first.id.clone()));
        assert_eq!(listed(&state), vec![second.id]);
        assert_eq!(state.draft.as_ref().map(|d| d.updated_at), Some(10));
    }

    fn roster_form() -> Rc<Form> {
        Rc::new(
            Form::from_json(
                &json!({"id": "person", "version": "1", "title": {"zh-CN": "个人"},
                    "record": {"unit": "person", "key": "cert", "key_prefix": 18, "title": "name", "region": "region",
                               "method": "method", "home_visit": ["1"], "reference_date": "ref"},
                    "sections": [
                        {"id": "a", "title": {"zh-CN": "一"}, "fields": [
                            {"id": "ref", "type": "calculated", "label": {"zh-CN": "时点"},
                             "calculate": "date(2026, 9, 30)"},
                            {"id": "cert", "type": "text", "label": {"zh-CN": "证号"}, "required": true},
                            {"id": "name", "type": "text", "label": {"zh-CN": "姓名"}, "required": true},
                            {"id": "region", "type": "region", "label": {"zh-CN": "村"}},
                            {"id": "method", "type": "single_choice", "label": {"zh-CN": "方式"}, "default": "'1'",
                             "options": [{"code": "1", "label": {"zh-CN": "入户"}}, {"code": "2", "label": {"zh-CN": "电话"}}]}]},
                        {"id": "b", "title": {"zh-CN": "二"}, "fields": [
                            {"id": "count", "type": "integer", "label": {"zh-CN": "人数"}, "required": true,
                             "constraints": [{"expr": ". < 10", "code": "many", "severity": "warning",
                                              "message": {"zh-CN": "人数偏多"}}]}]}]})
                .to_string(),
            )
            .expect("roster form"),
        )
    }

    fn loaded_roster(window: bool, forms: Vec<Rc<Form>>) -> State {
        State::default().apply(Action::Loaded {
            mode: Mode::Roster,
            window,
            forms,
            unloaded: Vec::new(),
            stored: vec![],
            area: None,
            session: None,
            open: None,
            new_id: "unused".into(),
            now: 1,
            context: Context::default(),
        })
    }

    fn roster_state() -> State {
        let village = Form::from_json(
            &json!({"id": "village", "version": "1", "title": {"zh-CN": "村"},
                "record": {"unit": "village", "region": "region"},
                "sections": [{"id": "a", "title": {"zh-CN": "一"}, "fields": [
                    {"id": "region", "type": "region", "label": {"zh-CN": "村"}, "required": true}]}]})
            .to_string(),
        )
        .expect("village form");
        loaded_roster(false, vec![roster_form(), Rc::new(village)])
    }

    fn person() -> RosterPerson {
        RosterPerson {
            cert_no: "33011019800101001X11".into(),
            name: "张三".into(),
            region_code: "330110005001".into(),
            prefill: serde_json::from_value(json!({"count": 3, "not_a_field": 1}))
                .expect("prefill"),
        }
    }

    /// The context of a day, `YYYY-MM-DD`.
    fn on(day: &str) -> Context {
        Context {
            today: doorstep_core::expr::parse_date(day),
            ..Context::default()
        }
    }

    /// The state with a roster of one person, [`person`].
    fn with_roster(state: State) -> State {
        state.apply(Action::Assignments {
            assignments: Assignments {
                collector: "王五".into(),
                villages: Vec::new(),
                persons: vec![person()],
            },
            tag: None,
            token: None,
            context: Context::default(),
        })
    }

    fn start(state: State, subject: Subject, id: &str) -> State {
        state.apply(Action::Start {
            form_id: "person".into(),
            subject,
            new_id: id.into(),
            now: 5,
            context: Context::default(),
        })
    }

    #[test]
    fn a_person_added_at_the_door_who_is_on_the_roster_becomes_their_lines_record() {
        let state = start(
            with_roster(roster_state()),
            Subject::Unlisted(Some("330110005001".into())),
            "w1",
        );
        let state = answer(
            answer(state, "count", json!(5)),
            "cert",
            json!(person().cert_no),
        );
        assert_eq!(
            state.listed_walk_in().map(|p| p.name.clone()),
            Some("张三".into())
        );
        // 打开名册中的此人: the same record, now the line's, with what was typed kept and
        // what the roster knows for the rest.
        let state = start(state, Subject::Person(person()), "p1");
        let draft = state.draft.clone().expect("in hand");
        assert_eq!(draft.id, "w1");
        assert!(!draft.meta.off_roster);
        assert_eq!(
            draft.meta.subject.as_deref(),
            Some(person().cert_no.as_str())
        );
        assert_eq!(draft.answers.get("count"), Some(&json!(5)), "typed, kept");
        assert_eq!(
            draft.answers.get("name"),
            Some(&json!("张三")),
            "from the roster"
        );
        assert_eq!(state.notice, Some(Notice::TakenOntoRoster));
        assert!(state.listed_walk_in().is_none());
        // Put away, it is the line's record: opening the person takes it up again.
        let state = start(state.apply(Action::Close), Subject::Person(person()), "p2");
        assert_eq!(state.draft.as_ref().map(|d| d.id.as_str()), Some("w1"));

        // When the line has a record already, the one added at the door is left as it is and
        // the line's is opened.
        let state = start(state.apply(Action::Close), Subject::Unlisted(None), "w2");
        let state = answer(state, "cert", json!(person().cert_no));
        let state = start(state, Subject::Person(person()), "p3");
        assert_eq!(state.draft.as_ref().map(|d| d.id.as_str()), Some("w1"));
        let left = state.records.iter().find(|r| r.id == "w2").expect("kept");
        assert!(left.meta.off_roster);
    }

    #[test]
    fn the_back_and_forward_buttons_follow_the_address_and_the_apps_own_going_back_does_not() {
        let navigated = |state: State, record: Option<&str>, follow: bool| {
            state.apply(Action::Navigated {
                record: record.map(str::to_string),
                follow,
                now: 6,
                context: Context::default(),
            })
        };
        let state = answer(
            start(with_roster(roster_state()), Subject::Person(person()), "p1"),
            "count",
            json!(4),
        );
        // Back: the record is put away, as 返回名册 does.
        let state = navigated(state, None, true);
        assert_eq!((state.screen, state.navigations), (Screen::Home, 1));
        assert!(state.draft.is_none());
        // Forward: it is in hand again, as it was left.
        let state = navigated(state, Some("p1"), true);
        assert_eq!(state.screen, Screen::Record);
        assert_eq!(
            state.draft.as_ref().map(|d| d.answers.get("count")),
            Some(Some(&json!(4)))
        );
        // The app's own going back, arriving once a host opened the record: nothing changes
        // but the count, so the address is made to name the record again.
        let state = navigated(state, None, false);
        assert_eq!((state.screen, state.navigations), (Screen::Record, 3));
        // A record that is gone does not open; the roster stays, and the count moves.
        let state = navigated(navigated(state, None, true), Some("gone"), true);
        assert_eq!((state.screen, state.navigations), (Screen::Home, 5));
        assert!(state.draft.is_none());
    }

    #[test]
    fn a_roster_person_opens_prefilled_and_is_found_again_after_closing() {
        let state = roster_state();
        assert_eq!(state.screen, Screen::Home);
        assert!(state.draft.is_none());
        let state = start(state, Subject::Person(person()), "p1");
        assert_eq!(state.screen, Screen::Record);
        let draft = state.draft.clone().expect("in hand");
        assert_eq!(
            draft.answers.get("cert"),
            Some(&json!("33011019800101001X11"))
        );
        assert_eq!(draft.answers.get("name"), Some(&json!("张三")));
        assert_eq!(draft.answers.get("region"), Some(&json!("330110005001")));
        assert_eq!(draft.answers.get("count"), Some(&json!(3)), "prefilled");
        assert_eq!(
            draft.answers.get("method"),
            Some(&json!("1")),
            "the default"
        );
        assert!(!draft.answers.contains_key("not_a_field"));
        assert_eq!(draft.meta.subject.as_deref(), Some("33011019800101001X11"));

        let state = answer(state, "count", json!(4)).apply(Action::Close);
        assert_eq!(state.screen, Screen::Home);
        assert_eq!(state.records.len(), 1);
        // Opening the person again takes up the same record, counted as opened once more.
        let state = start(state, Subject::Person(person()), "p2");
        let draft = state.draft.clone().expect("in hand");
        assert_eq!(draft.id, "p1");
        assert_eq!(draft.answers.get("count"), Some(&json!(4)));
        assert_eq!(draft.meta.opened, 1);
        assert!(state.records.is_empty());
    }

    #[test]
    fn the_subject_of_a_roster_line_cannot_be_answered_away() {
        // A person's certificate number is the current one: it may change (a reassessment
        // issues a new one), and the record stays the roster line's.
        let state = start(roster_state(), Subject::Person(person()), "p1");
        let state = answer(state, "cert", json!("33011019800101001X21"));
        let draft = state.draft.clone().expect("in hand");
        assert_eq!(
            draft.answers.get("cert"),
            Some(&json!("33011019800101001X21"))
        );
        assert_eq!(draft.meta.subject.as_deref(), Some("33011019800101001X11"));
        // A village's community form: its village is the subject.
        let village = |state: State, id: &str| {
            state.apply(Action::Close).apply(Action::Start {
                form_id: "village".into(),
                subject: Subject::Village("330110005001".into()),
                new_id: id.into(),
                now: 6,
                context: Context::default(),
            })
        };
        let state = answer(village(state, "v1"), "region", json!("330110005002"));
        let region = |state: &State| {
            state
                .draft
                .as_ref()
                .and_then(|d| d.answers.get("region").cloned())
        };
        assert_eq!(region(&state), Some(json!("330110005001")));
        // One an earlier version let change is not locked: it can be set back, as completing
        // it asks, and is locked again from then on.
        let mut state = state;
        if let Some(draft) = state.draft.as_mut() {
            draft.answers.insert("region".into(), json!("330110005002"));
        }
        let state = village(state, "v2");
        assert_eq!(state.draft.as_ref().map(|d| d.id.as_str()), Some("v1"));
        assert_eq!(region(&state), Some(json!("330110005002")));
        let state = answer(state, "region", json!("330110005001"));
        assert_eq!(region(&state), Some(json!("330110005001")));
        let state = answer(state, "region", json!("330110005003"));
        assert_eq!(region(&state), Some(json!("330110005001")));
    }

    #[test]
    fn completing_waits_for_each_warning_and_returns_to_the_roster() {
        let state = answer(
            start(roster_state(), Subject::Person(person()), "p1"),
            "count",
            json!(12),
        );
        let state = state.apply(Action::Page(7));
        assert_eq!(state.page, 1, "pages stop at the last section");
        let submit = |s: State| {
            s.apply(Action::Submit {
                now: 9,
                next_id: "n".into(),
                context: Context::default(),
            })
        };
        let state = submit(state);
        assert!(state.attempted, "the unconfirmed warning blocks completion");
        assert_eq!(state.screen, Screen::Record);
        let state = state.apply(Action::Confirm {
            field: "count".into(),
            code: "many".into(),
            note: Some("三代同堂".into()),
            now: 10,
        });
        let state = submit(state);
        assert_eq!(state.screen, Screen::Home);
        assert_eq!(state.notice, Some(Notice::Queued));
        let record = &state.records[0];
        assert_eq!(record.status, Status::Queued);
        assert_eq!(record.meta.method.as_deref(), Some("1"));
        assert_eq!(record.meta.confirmed[0].note, "三代同堂");

        // The server returns it: it is a draft again in the list, with the server's issues.
        let issue = Issue {
            field: "name".into(),
            severity: doorstep_core::Severity::Error,
            code: "x".into(),
            message: doorstep_core::Localized::zh_en("错", "wrong"),
        };
        let revision = state.records[0].revision;
        let state = state.apply(Action::Returned {
            record: Uploaded {
                id: "p1".into(),
                revision,
            },
            context: Context::default(),
            issues: vec![issue],
            now: 11,
        });
        assert_eq!(state.notice, Some(Notice::Returned));
        assert_eq!(state.records[0].status, Status::Draft);
        assert_eq!(state.records[0].returned.len(), 1);
        let state = state.opened("p1", 12);
        assert!(state.attempted, "the returned issues are shown at once");
        assert_eq!(state.draft.as_ref().map(|d| d.returned.len()), Some(1));
    }

    #[test]
    fn at_the_service_window_a_record_gets_the_window_method() {
        let mut form = roster_form().def.clone();
        if let Some(record) = form.record.as_mut() {
            record.window = Some("2".into());
        }
        let form = Rc::new(Form::from_definition(form).expect("form"));
        let state = loaded_roster(true, vec![form]);
        let state = start(state, Subject::Unlisted(None), "w1");
        let draft = state.draft.clone().expect("in hand");
        assert_eq!(draft.answers.get("method"), Some(&json!("2")));
        assert!(draft.meta.off_roster);
    }

    #[test]
    fn a_person_not_on_the_roster_is_marked_and_each_is_a_new_record() {
        let state = start(
            roster_state(),
            Subject::Unlisted(Some("330110005001".into())),
            "u1",
        );
        let draft = state.draft.clone().expect("in hand");
        assert!(draft.meta.off_roster);
        assert_eq!(draft.meta.subject, None);
        assert_eq!(draft.answers.get("region"), Some(&json!("330110005001")));
        let state = answer(state, "count", json!(1));
        let state = start(state.apply(Action::Close), Subject::Unlisted(None), "u2");
        assert_eq!(state.draft.as_ref().map(|d| d.id.as_str()), Some("u2"));
        assert_eq!(state.records.len(), 1);
    }

    #[test]
    fn a_person_not_on_the_roster_added_by_mistake_leaves_nothing_behind() {
        let state = start(roster_state(), Subject::Unlisted(None), "u1");
        assert!(untouched_walk_in(state.draft.as_ref().expect("in hand")));
        let state = state.apply(Action::Close);
        assert!(state.records.is_empty(), "{:?}", state.records);
        // Started again and answered, it is kept.
        let state = answer(
            start(state, Subject::Unlisted(None), "u2"),
            "count",
            json!(1),
        );
        assert!(!untouched_walk_in(state.draft.as_ref().expect("in hand")));
        let state = state.apply(Action::Close);
        assert_eq!(state.records.len(), 1);
    }

    #[test]
    fn a_completed_record_reopens_for_editing_until_it_is_sent() {
        let state = answer(
            start(roster_state(), Subject::Person(person()), "p1"),
            "count",
            json!(2),
        );
        let state = state.apply(Action::Submit {
            now: 9,
            next_id: "n".into(),
            context: Context::default(),
        });
        let state = state.opened("p1", 10);
        assert_eq!(state.draft.as_ref().map(|d| d.status), Some(Status::Queued));
        let state = state.apply(Action::Reopen {
            now: 11,
            context: Context::default(),
        });
        let draft = state.draft.clone().expect("in hand");
        assert_eq!(draft.status, Status::Draft);
        assert_eq!(draft.meta.opened, 1);
        // Left without completing it again, it is a draft, not uploaded: the roster says so.
        let closed = state.clone().apply(Action::Close);
        assert_eq!(closed.notice, Some(Notice::Reopened));
        let state = state
            .apply(Action::Submit {
                now: 12,
                next_id: "n".into(),
                context: Context::default(),
            })
            .sent("p1");
        let state = state.opened("p1", 13);
        let state = state.apply(Action::Reopen {
            now: 14,
            context: Context::default(),
        });
        assert_eq!(
            state.draft.as_ref().map(|d| d.status),
            Some(Status::Sent),
            "a sent record stays sent"
        );
    }

    #[test]
    fn a_person_added_at_the_door_whose_number_is_on_the_roster_is_not_completed() {
        let state = with_roster(roster_state());
        let state = start(state, Subject::Unlisted(None), "w1");
        let submit = |state: State| {
            state.apply(Action::Submit {
                now: 9,
                next_id: "n".into(),
                context: Context::default(),
            })
        };
        let fill = |state: State, cert: &str| {
            let state = answer(state, "cert", json!(cert));
            let state = answer(state, "name", json!("张三"));
            answer(state, "count", json!(2))
        };
        // What is missing is shown first.
        let state = submit(answer(state, "cert", json!("33011019800101001x11")));
        assert!(state.attempted);
        assert_eq!(state.refused_on_roster, None);
        // Then, the number being the roster's (whatever its case), 完成 is refused, each time.
        let state = submit(submit(fill(state, "33011019800101001x11")));
        assert_eq!(state.refused_on_roster, Some(("w1".to_string(), 2)));
        assert_eq!(state.draft.as_ref().map(|d| d.status), Some(Status::Draft));
        assert_eq!(state.screen, Screen::Record);
        // A change forgets the refusal: it was about the answers as they were.
        let state = answer(state, "count", json!(3));
        assert_eq!(state.refused_on_roster, None);
        // The number reissued with another level since the roster was made is the same
        // person's: the first 18 characters, the ID number, name them.
        let state = submit(fill(state, "33011019800101001X12"));
        assert_eq!(state.refused_on_roster, Some(("w1".to_string(), 1)));
        // A number not on the roster completes.
        let state = submit(fill(state, "33011019800101002X11"));
        assert_eq!(state.screen, Screen::Home);
        assert_eq!(state.refused_on_roster, None);
        assert_eq!(state.records[0].status, Status::Queued);
    }

    #[test]
    fn a_person_added_at_the_door_and_sent_before_the_roster_listed_them_is_reconfirmed() {
        // Sent on 15 September, when the roster did not list them.
        let state = start(roster_state(), Subject::Unlisted(None), "w1");
        let state = answer(state, "cert", json!(person().cert_no));
        let state = answer(answer(state, "name", json!("张三")), "count", json!(2));
        let state = state
            .apply(Action::Submit {
                now: 9,
                next_id: "n".into(),
                context: on("2026-09-15"),
            })
            .sent("w1");
        // Now it does; the record is due to be re-confirmed, and is, as the record it is.
        let state = with_roster(state)
            .apply(Action::OpenRecord {
                id: "w1".into(),
                now: 10,
                context: on("2026-10-08"),
            })
            .apply(Action::Reopen {
                now: 11,
                context: on("2026-10-08"),
            });
        assert_eq!(state.draft.as_ref().map(|d| d.status), Some(Status::Draft));
        let state = state.apply(Action::Submit {
            now: 12,
            next_id: "n".into(),
            context: on("2026-10-08"),
        });
        assert_eq!(state.refused_on_roster, None);
        let record = state.records.iter().find(|r| r.id == "w1").expect("kept");
        assert_eq!(record.status, Status::Queued);
    }

    #[test]
    fn a_second_record_of_a_person_delivered_from_elsewhere_is_completed_only_when_meant() {
        let state =
            start(roster_state(), Subject::Person(person()), "p1").apply(Action::Delivered {
                records: vec![DeliveredRecord {
                    id: "x1".into(),
                    form: "person".into(),
                    subject: person().cert_no,
                    method: None,
                    collector: Some("赵七".into()),
                }],
                tag: None,
                token: None,
            });
        assert_eq!(
            state.delivered_elsewhere().map(|e| e.by),
            Some("赵七".to_string())
        );
        let submit = |state: State| {
            state.apply(Action::Submit {
                now: 9,
                next_id: "n".into(),
                context: Context::default(),
            })
        };
        // With an answer missing (the roster's count cleared), 完成 shows what is missing first.
        let state = submit(answer(state, "count", Json::Null));
        assert!(state.attempted);
        assert_eq!(state.second_record, None);
        // Then it asks, each time: the record stays a draft in hand.
        let state = submit(submit(answer(state, "count", json!(2))));
        let asked = |times| {
            Some(SecondRecord::Asked {
                id: "p1".into(),
                times,
            })
        };
        assert_eq!(state.second_record, asked(2));
        assert_eq!(state.draft.as_ref().map(|d| d.status), Some(Status::Draft));
        assert_eq!(state.screen, Screen::Record);
        // Put away and taken again, it is asked afresh.
        let state = state.apply(Action::Close).opened("p1", 10);
        assert_eq!(state.second_record, None);
        let state = submit(state);
        assert_eq!(state.second_record, asked(1));
        // Said to be meant, it completes.
        let state = submit(state.apply(Action::SecondRecordMeant));
        let record = state.records.iter().find(|r| r.id == "p1").expect("kept");
        assert_eq!(record.status, Status::Queued);
        assert_eq!(state.screen, Screen::Home);
    }

    #[test]
    fn a_record_the_server_holds_already_is_completed_again_without_asking() {
        let held = |id: &str, by: &str| DeliveredRecord {
            id: id.into(),
            form: "person".into(),
            subject: person().cert_no,
            method: None,
            collector: Some(by.into()),
        };
        let state = answer(
            start(roster_state(), Subject::Person(person()), "p1"),
            "count",
            json!(2),
        )
        .apply(Action::Submit {
            now: 9,
            next_id: "n".into(),
            context: Context::default(),
        })
        .sent("p1")
        // Another tablet's record of the same person, and this one's, as the server lists them.
        .apply(Action::Delivered {
            records: vec![held("x1", "赵七"), held("p1", "e2e")],
            tag: None,
            token: None,
        });
        // Reopened since it was sent (as to re-confirm it): completing it again replaces the
        // server's copy, and makes no second record.
        let mut reopened = state.records[0].clone();
        reopened.status = Status::Draft;
        let state = State {
            records: Rc::new(vec![reopened]),
            ..state
        }
        .apply(Action::OpenRecord {
            id: "p1".into(),
            now: 20,
            context: Context::default(),
        });
        assert!(state.delivered_elsewhere().is_some());
        let state = state.apply(Action::Submit {
            now: 21,
            next_id: "n".into(),
            context: Context::default(),
        });
        assert_eq!(state.second_record, None);
        assert_eq!(state.records[0].status, Status::Queued);
    }

    #[test]
    fn a_sent_record_completed_before_the_reference_date_reopens_once_it_is_due() {
        let state = answer(
            start(roster_state(), Subject::Person(person()), "p1"),
            "count",
            json!(2),
        );
        let state = state
            .apply(Action::Submit {
                now: 9,
                next_id: "n".into(),
                context: on("2026-09-15"),
            })
            .sent("p1");
        let open = |state: State, now: i64, day: &str| {
            state
                .apply(Action::OpenRecord {
                    id: "p1".into(),
                    now,
                    context: on(day),
                })
                .apply(Action::Reopen {
                    now: now + 1,
                    context: on(day),
                })
        };
        // Before the reference date it stays sent; on it, it is a draft to complete again.
        let state = open(state, 10, "2026-09-29");
        let draft = state.draft.clone().expect("in hand");
        assert_eq!((draft.status, draft.meta.reconfirm), (Status::Sent, true));
        let state = open(state.apply(Action::Close), 12, "2026-09-30");
        assert_eq!(state.draft.as_ref().map(|d| d.status), Some(Status::Draft));
        let state = state.apply(Action::Submit {
            now: 14,
            next_id: "n".into(),
            context: on("2026-10-08"),
        });
        let record = state.records.iter().find(|r| r.id == "p1").expect("kept");
        assert_eq!(
            (record.status, record.meta.reconfirm),
            (Status::Queued, false)
        );
    }
}
