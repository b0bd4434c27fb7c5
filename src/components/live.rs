//! The record in hand as its questions see it. The form publishes a snapshot after every
//! change; each question subscribes to the part it shows (its answer, whether it is asked or
//! required, its options and its issues) and is redrawn only when that part changed. A change
//! therefore redraws the two or three questions it touched, not the page of a hundred.
//!
//! Publishing costs one comparison per question on the page; nothing here does I/O.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use doorstep_core::record::Confirmation;
use doorstep_core::schema::FieldType;
use doorstep_core::validate::Instance;
use doorstep_core::{Evaluation, Issue, Record, Report, Severity, Status};
use jiff::civil::Date;
use serde_json::Value as Json;
use yew::prelude::*;

use crate::components::field::{field_of_path, FieldView};
use crate::components::repeat::RepeatView;
use crate::i18n::Locale;
use crate::state::FormRef;

/// What the form and its questions are drawn from: the record in hand as the last change left
/// it.
pub struct Snapshot {
    /// The record's form.
    pub form: FormRef,
    /// The record's id.
    pub id: String,
    /// Where the record is in its life.
    pub status: Status,
    /// The state of every field, kept current with every change.
    pub evaluation: Rc<Evaluation>,
    /// The issues the server returned the record with.
    pub returned: Report,
    /// The warnings the collector confirmed, with their notes.
    pub confirmed: Vec<Confirmation>,
    /// Whether the record was completed before the reference date.
    pub reconfirm: bool,
    /// Whether it waits to be re-confirmed now: the reference date has come
    /// (`Record::awaits_reconfirmation`).
    pub reconfirm_due: bool,
    /// Whether the collector tried to complete: then unanswered required questions are flagged.
    pub attempted: bool,
    /// The index of the field a record of a roster line may not change: the village of a
    /// community form, once it holds the roster's (`doorstep_core::record::locked_field`).
    pub locked: Option<usize>,
    /// A person added at the door whose number is on the roster: the error at that number,
    /// where the collector is typing (`doorstep_core::record::on_roster_issue`).
    pub on_roster: Option<Issue>,
    /// The record as a whole, worked out once, when first asked for.
    overview: OnceCell<Overview>,
}

/// The record as a whole, in one pass over the form: what the form, the jump list and the
/// warnings panel show of it.
pub struct Overview {
    /// The sections with something asked, each with the count of its errors shown.
    pub sections: Vec<(usize, usize)>,
    /// Questions answered, of those asked.
    pub answered: (usize, usize),
    /// The warnings of the record's answers.
    pub warnings: Vec<Issue>,
}

impl Overview {
    fn of(snapshot: &Snapshot) -> Overview {
        let form = &snapshot.form.0;
        let evaluation = &snapshot.evaluation;
        let count = form.def.sections.len();
        let mut asked = vec![false; count];
        let mut errors = vec![0_usize; count];
        let mut answered = (0, 0);
        for (i, f) in form.fields.iter().enumerate() {
            if f.repeat.is_some() || !evaluation.is_relevant(i) {
                continue;
            }
            asked[f.section] = true;
            if f.def.field_type != FieldType::Calculated {
                answered.0 += usize::from(evaluation.answer(i).is_some());
                answered.1 += 1;
            }
        }
        // "Required" counts only once the collector tried to complete, as at the question. The
        // server's issues count as errors; the warnings to confirm are the answers' own.
        let warnings: Vec<Issue> = evaluation
            .field_issues()
            .filter(|i| i.severity == Severity::Warning)
            .cloned()
            .collect();
        let shown = |i: &&Issue| {
            i.severity == Severity::Error && (snapshot.attempted || i.code != "required")
        };
        for issue in evaluation
            .field_issues()
            .chain(&snapshot.returned.issues)
            .filter(shown)
        {
            if let Some(f) = form.field_by_id(field_of_path(&issue.field)) {
                errors[f.section] += 1;
            }
        }
        Overview {
            sections: (0..count)
                .filter(|&s| asked[s])
                .map(|s| (s, errors[s]))
                .collect(),
            answered,
            warnings,
        }
    }
}

impl Snapshot {
    /// The record as a whole.
    pub fn overview(&self) -> &Overview {
        self.overview.get_or_init(|| Overview::of(self))
    }

    /// The snapshot of a record and its evaluation, on the day `today`.
    pub fn of(
        form: FormRef,
        record: &Record,
        evaluation: Rc<Evaluation>,
        attempted: bool,
        today: Option<Date>,
        on_roster: Option<Issue>,
    ) -> Snapshot {
        let reconfirm_due = form
            .0
            .def
            .record
            .as_ref()
            .is_some_and(|definition| record.awaits_reconfirmation(definition, today));
        let locked = doorstep_core::record::locked_field(&form.0, &record.answers, &record.meta)
            .and_then(|field| form.0.field_index(field));
        Snapshot {
            form,
            id: record.id.clone(),
            status: record.status,
            evaluation,
            returned: Report {
                issues: record.returned.clone(),
            },
            confirmed: record.meta.confirmed.clone(),
            reconfirm: record.meta.reconfirm,
            reconfirm_due,
            attempted,
            locked,
            on_roster,
            overview: OnceCell::new(),
        }
    }

    /// Which questions may show something else than in `before`: by field index, true where
    /// something differs; `None` when everything may (another record, another form, or the
    /// issues shown otherwise).
    fn differences(&self, before: &Snapshot) -> Option<Vec<bool>> {
        if self.form != before.form
            || self.id != before.id
            || self.attempted != before.attempted
            || self.returned != before.returned
            || self.locked != before.locked
            || self.on_roster != before.on_roster
        {
            return None;
        }
        self.evaluation
            .differences(&self.form.0, &before.evaluation)
    }

    /// Whether this snapshot shows exactly what `before` did: the same record, status,
    /// evaluation (the same one, not an equal copy: every change makes a new one), server
    /// issues, confirmations and attempt.
    fn same_as(&self, before: &Snapshot) -> bool {
        self.form == before.form
            && self.id == before.id
            && self.status == before.status
            && Rc::ptr_eq(&self.evaluation, &before.evaluation)
            && self.returned == before.returned
            && self.confirmed == before.confirmed
            && self.reconfirm == before.reconfirm
            && self.reconfirm_due == before.reconfirm_due
            && self.attempted == before.attempted
            && self.on_roster == before.on_roster
    }

    /// Whether a warning was confirmed.
    pub fn is_confirmed(&self, field: &str, code: &str) -> bool {
        self.confirmed
            .iter()
            .any(|c| c.field == field && c.code == code)
    }
}

type Listener = Rc<dyn Fn(&Snapshot)>;

/// A subscriber: the question it draws, if it draws one, and what to call.
struct Subscriber {
    id: u32,
    field: Option<usize>,
    listener: Listener,
}

#[derive(Default)]
struct Subscribers {
    next: Cell<u32>,
    listeners: RefCell<Vec<Subscriber>>,
    current: RefCell<Option<Rc<Snapshot>>>,
}

/// The channel from the form to its questions. Equal only to itself, so passing it down never
/// makes a question look changed.
#[derive(Clone, Default)]
pub struct RecordFeed(Rc<Subscribers>);

impl PartialEq for RecordFeed {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl RecordFeed {
    /// The latest snapshot published.
    pub fn current(&self) -> Option<Rc<Snapshot>> {
        self.0.current.borrow().clone()
    }

    /// Makes this the snapshot questions are drawn from, and tells the subscribers that may
    /// show something else: a question only when its own answer or state changed. The same
    /// record published again tells nobody.
    pub fn publish(&self, snapshot: Snapshot) {
        if self
            .current()
            .is_some_and(|current| snapshot.same_as(&current))
        {
            return;
        }
        let snapshot = Rc::new(snapshot);
        let before = self.0.current.borrow_mut().replace(snapshot.clone());
        let differs = before.and_then(|before| snapshot.differences(&before));
        let concerned = |field: Option<usize>| match (field, &differs) {
            (Some(field), Some(differs)) => differs.get(field).copied().unwrap_or(true),
            _ => true,
        };
        // Called on a copy of the list: a listener may subscribe or leave while it runs.
        let listeners: Vec<Listener> = self
            .0
            .listeners
            .borrow()
            .iter()
            .filter(|s| concerned(s.field))
            .map(|s| s.listener.clone())
            .collect();
        for listener in listeners {
            listener(&snapshot);
        }
    }

    fn subscribe(&self, field: Option<usize>, listener: Listener) -> u32 {
        let id = self.0.next.get();
        self.0.next.set(id.wrapping_add(1));
        self.0.listeners.borrow_mut().push(Subscriber {
            id,
            field,
            listener,
        });
        id
    }

    fn unsubscribe(&self, id: u32) {
        self.0.listeners.borrow_mut().retain(|s| s.id != id);
    }
}

/// The part of the feed a component shows, worked out by `select`; the component is redrawn
/// when a snapshot published changes that part, and not otherwise. `key` names what `select`
/// depends on besides the snapshot: when it changes, the subscription is made again. A
/// question names its `field`, and is asked only when that field's answer or state changed.
#[hook]
pub fn use_part<T, K, F>(feed: &RecordFeed, key: K, field: Option<usize>, select: F) -> Option<T>
where
    T: PartialEq + Clone + 'static,
    K: PartialEq + Clone + 'static,
    F: Fn(&Snapshot) -> T + 'static,
{
    let redraw = use_force_update();
    let select = Rc::new(select);
    let part = feed.current().map(|s| select(&s));
    let shown = use_mut_ref(|| None::<T>);
    *shown.borrow_mut() = part.clone();
    use_effect_with((feed.clone(), key), move |(feed, _)| {
        let listener: Listener = {
            let shown = shown.clone();
            let redraw = redraw.clone();
            let select = select.clone();
            Rc::new(move |snapshot: &Snapshot| {
                let part = select(snapshot);
                if shown.borrow().as_ref() != Some(&part) {
                    *shown.borrow_mut() = Some(part);
                    redraw.force_update();
                }
            })
        };
        // A snapshot published between this component's drawing and now is not missed.
        if let Some(snapshot) = feed.current() {
            listener(&snapshot);
        }
        let id = feed.subscribe(field, listener);
        let feed = feed.clone();
        move || feed.unsubscribe(id)
    });
    part
}

/// The issues to show at a field: "required" only once the collector tried to complete,
/// everything else as soon as there is an answer to find fault with, and the server's.
fn shown_issues(snapshot: &Snapshot, index: usize, id: &str) -> Vec<Issue> {
    let mut issues: Vec<Issue> = snapshot
        .evaluation
        .state(index)
        .map(|s| {
            s.issues
                .iter()
                .filter(|i| snapshot.attempted || i.code != "required")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    issues.extend(snapshot.returned.for_field(id).cloned());
    issues.extend(snapshot.on_roster.iter().filter(|i| i.field == id).cloned());
    issues
}

/// What a top-level question shows.
#[derive(Clone, PartialEq)]
struct QuestionPart {
    value: Option<Json>,
    relevant: bool,
    required: bool,
    offered: Option<Vec<bool>>,
    issues: Rc<Vec<Issue>>,
    locked: bool,
}

fn question_part(form: &FormRef, index: usize, snapshot: &Snapshot) -> QuestionPart {
    let field = &form.0.fields[index];
    let state = snapshot.evaluation.state(index);
    let relevant = state.is_some_and(|s| s.relevant);
    if !relevant {
        // A question not asked shows nothing, whatever else changes.
        return QuestionPart {
            value: None,
            relevant,
            required: false,
            offered: None,
            issues: Rc::default(),
            locked: false,
        };
    }
    let value = if field.def.field_type == FieldType::Calculated {
        state.map(|s| s.value.to_answer()).filter(|v| !v.is_null())
    } else {
        snapshot.evaluation.answer(index).cloned()
    };
    QuestionPart {
        value,
        relevant,
        required: state.is_some_and(|s| s.required),
        offered: state.and_then(|s| s.offered.clone()),
        issues: Rc::new(shown_issues(snapshot, index, &field.def.id)),
        locked: snapshot.locked == Some(index),
    }
}

/// What a question needs to subscribe to its part of the record.
#[derive(Properties, PartialEq)]
pub struct LiveProps {
    /// The form.
    pub form: FormRef,
    /// The field's index in the form.
    pub index: usize,
    /// Where the record is published.
    pub feed: RecordFeed,
    /// The interface language.
    pub locale: Locale,
    /// Called with `(field id, answer)` on every change.
    pub on_change: Callback<(String, Json)>,
}

/// The part of the record one top-level field shows, worked out by `select` from the form,
/// the field's index and the snapshot; asked only when that field's answer or state changed.
#[hook]
fn use_field_part<T>(props: &LiveProps, select: fn(&FormRef, usize, &Snapshot) -> T) -> Option<T>
where
    T: PartialEq + Clone + 'static,
{
    let (form, index) = (props.form.clone(), props.index);
    use_part(
        &props.feed,
        (form.clone(), index),
        Some(index),
        move |snapshot| select(&form, index, snapshot),
    )
}

/// A top-level question, redrawn only when its part of the record changes.
#[function_component(LiveQuestion)]
pub fn live_question(props: &LiveProps) -> Html {
    let Some(part) = use_field_part(props, question_part) else {
        return html! {};
    };
    html! {
        <FieldView form={props.form.clone()}
            index={props.index}
            path={props.form.0.fields[props.index].def.id.clone()}
            value={part.value}
            relevant={part.relevant}
            required={part.required}
            offered={part.offered}
            issues={part.issues}
            locked={part.locked}
            locale={props.locale}
            on_change={props.on_change.clone()} />
    }
}

/// What a repeat group shows.
#[derive(Clone, PartialEq)]
struct GroupPart {
    value: Option<Json>,
    instances: Rc<Vec<Instance>>,
    issues: Rc<Vec<Issue>>,
    attempted: bool,
}

/// The index in `Form::repeats` of the repeat group that is the field with this index.
fn repeat_of(form: &FormRef, index: usize) -> usize {
    form.0
        .repeats
        .iter()
        .position(|r| r.field == index)
        .unwrap_or_default()
}

fn group_part(form: &FormRef, index: usize, snapshot: &Snapshot) -> GroupPart {
    let id = form.0.fields[index].def.id.as_str();
    GroupPart {
        value: snapshot.evaluation.answer(index).cloned(),
        instances: Rc::new(
            snapshot
                .evaluation
                .instances(repeat_of(form, index))
                .to_vec(),
        ),
        issues: Rc::new(
            shown_issues(snapshot, index, id)
                .into_iter()
                .filter(|issue| issue.field == id)
                .collect(),
        ),
        attempted: snapshot.attempted,
    }
}

/// A repeat group, redrawn only when its part of the record changes.
#[function_component(LiveGroup)]
pub fn live_group(props: &LiveProps) -> Html {
    let Some(part) = use_field_part(props, group_part) else {
        return html! {};
    };
    let repeat = repeat_of(&props.form, props.index);
    html! {
        <RepeatView form={props.form.clone()}
            repeat={repeat}
            value={part.value}
            instances={part.instances}
            issues={part.issues}
            attempted={part.attempted}
            locale={props.locale}
            on_change={props.on_change.clone()} />
    }
}
