//! The root component: owns the state, and runs the effects that connect it to the device
//! store, the network and the outbox. Components below it only render.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use doorstep_core::protocol::{Delivered, FormSummary, Session};
use doorstep_core::schema::RecordUnit;
use doorstep_core::sync::Event;
use doorstep_core::{Area, Form, Issue, Record, Status};
use gloo_events::EventListener;
use serde_json::Value as Json;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::form::FormView;
use crate::components::header::HeaderBar;
use crate::components::live::{RecordFeed, Snapshot};
use crate::components::region::AreaRef;
use crate::components::roster::{KeptView, LinesRef, RosterView, VillageLine};
use crate::components::sign_in::SignInView;
use crate::device_lock::{self, DeviceLock};
use crate::i18n::{Locale, Text};
use crate::outbox::{OutboxDriver, Persisted};
use crate::roster::Progress;
use crate::state::{
    Action, DrawnState, Mode, Notice, Phase, Screen, SecondRecord, State, StorageTrouble, Subject,
    UploadStatus, Uploaded,
};
use crate::store::{DeviceStore, KeptAnswer, StorageUsage, StoreError, DATABASE};
use crate::{device, host, net};

/// A query parameter of the address, if it is a safe id (letters, digits, `_` and `-`).
fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let prefix = format!("{name}=");
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.strip_prefix(prefix.as_str()))
        .find(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .map(str::to_string)
}

/// What start-up leaves for the effects: the open store, the id, status and revision of every
/// stored record, and the queued ones for the outbox.
struct Started {
    store: DeviceStore,
    stored: Vec<(String, Status, u32)>,
    queued: Vec<Event>,
    token: Option<String>,
    collector: Option<String>,
    /// Whether the app works from the roster (not one form named in the address).
    roster: bool,
}

/// The configured area's villages, from the server or the service worker's copy. Without it
/// region codes are typed and only their shape is checked; the server still checks the area.
async fn load_area() -> Option<Arc<Area>> {
    match net::get_regions().await {
        Ok(lists) if !lists.is_empty() => Some(Arc::new(Area::new(lists))),
        Ok(_) => None,
        Err(e) => {
            web_sys::console::warn_1(&format!("region lists: {e}").into());
            None
        }
    }
}

/// Scrolls a screen just shown to its top and moves the focus to where it starts: a record's
/// title, or the roster's row of the record `left` (its id, and the roster key it is about),
/// else the roster's title. At the service window only the scrolling is done.
fn show_screen_start(screen: Screen, at_window: bool, left: Option<&(String, Option<String>)>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    window.scroll_to_with_x_and_y(0.0, 0.0);
    let Some(document) = window.document().filter(|_| !at_window) else {
        return;
    };
    // The row whose `attribute` is `value`; compared here rather than in a selector, so that no
    // value can make one that does not parse.
    let row = |attribute: &str, value: &str| {
        let rows = document
            .query_selector_all(&format!("[{attribute}]"))
            .ok()?;
        (0..rows.length())
            .filter_map(|i| rows.item(i))
            .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
            .find(|e| e.get_attribute(attribute).as_deref() == Some(value))
    };
    let target = match screen {
        Screen::Record => document.get_element_by_id("form-title"),
        Screen::Home => left
            .and_then(|(id, subject)| {
                row("data-record", id)
                    .or_else(|| subject.as_deref().and_then(|s| row("data-subject", s)))
            })
            .or_else(|| document.get_element_by_id("roster-title")),
    };
    if let Some(target) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = target.focus();
    }
}

/// Fetches the collector's villages and roster, keeps them on the device, and hands them to
/// the state. Offline, the copy kept last time stays in use. `held` is the server's tag of the
/// assignments the state holds (`State::roster_tag`): when the server still has those, it says
/// so and sends nothing, and they stay in use. A tag names one collector's assignments, so
/// another collector's sign-in never takes them.
async fn refresh_assignments(
    store: DeviceStore,
    token: String,
    held: Option<String>,
    dispatch: UseReducerDispatcher<DrawnState>,
) {
    match net::get_tagged("/api/v1/assignments", &token, held.as_deref()).await {
        Ok(net::Tagged::Changed {
            value: assignments,
            body,
            tag,
        }) => {
            // Kept only while the device's sign-in is the one they were fetched with: another
            // collector may have signed in while they were on their way (the state drops them
            // then too).
            let kept = match store
                .put_answer(KeptAnswer::Assignments, &body, tag.as_deref(), &token)
                .await
            {
                Ok(kept) => kept,
                Err(e) => {
                    web_sys::console::warn_1(&format!("assignments not kept: {e}").into());
                    false
                }
            };
            dispatch.dispatch(Action::Assignments {
                assignments,
                // The state's tag names only what the device keeps: a roster not kept is
                // fetched whole at the next sign-in or start, and kept then.
                tag: tag.filter(|_| kept),
                token: Some(token.clone()),
                context: device::context(),
            });
        }
        Ok(net::Tagged::Unchanged) => {}
        Err(e) => web_sys::console::warn_1(&format!("assignments: {e}").into()),
    }
}

/// Fetches the records the server holds about the collector's roster, from any device, keeps
/// them on the device and hands them to the state: a person visited from another tablet (or
/// from this one before it was reset) shows as 已上传. Done each time the roster is shown
/// signed in, naming the tag of the records the state holds (`held`, `State::delivered_tag`):
/// the server answers `304` when nothing changed. Offline, the copy kept last time
/// stays in use. An answer fetched with a sign-in that is no longer the device's is neither
/// kept nor taken by the state, and one that arrives after a later fetch began (`is_latest`
/// says no) is dropped. A sign-in the server refuses is asked for again.
async fn refresh_delivered(
    store: &DeviceStore,
    token: &str,
    held: Option<&str>,
    dispatch: &UseReducerDispatcher<DrawnState>,
    is_latest: impl Fn() -> bool,
) {
    match net::get_tagged::<Delivered>("/api/v1/delivered", token, held).await {
        // An answer that took longer than a later fetch's is older than what that one brings.
        Ok(net::Tagged::Changed { .. }) if !is_latest() => {}
        Ok(net::Tagged::Changed { value, body, tag }) => {
            match store
                .put_answer(KeptAnswer::Delivered, &body, tag.as_deref(), token)
                .await
            {
                Ok(false) => {}
                kept => {
                    if let Err(e) = &kept {
                        web_sys::console::warn_1(&format!("delivered not kept: {e}").into());
                    }
                    dispatch.dispatch(Action::Delivered {
                        records: value.records,
                        // Named next time only if the device keeps what it names.
                        tag: tag.filter(|_| kept.is_ok()),
                        token: Some(token.to_string()),
                    });
                }
            }
        }
        Ok(net::Tagged::Unchanged) => {}
        // A sign-in the server refuses is asked for again: the roster would otherwise go stale
        // without a word, and a person visited from elsewhere be visited again.
        Err(net::NetError::Status { status: 401, .. }) => {
            dispatch.dispatch(Action::TokenRefused(token.to_string()));
        }
        Err(e) => web_sys::console::warn_1(&format!("delivered: {e}").into()),
    }
}

/// Everything that follows a sign-in, whoever made it (the sign-in screen or a host): the
/// sign-in is kept on the device, the state and the outbox take it, and the collector's
/// assignments are fetched (done when they have arrived, or could not: a host that hears
/// `init` resolve can open a person of the roster). The state takes the sign-in even when
/// keeping it on the device failed, which is what the error says.
pub(crate) async fn signed_in(
    session: Session,
    store: Option<DeviceStore>,
    held: Option<String>,
    dispatch: &UseReducerDispatcher<DrawnState>,
    driver: &Rc<RefCell<Option<OutboxDriver>>>,
) -> Result<(), StoreError> {
    let kept = match &store {
        Some(store) => store.put_session(&session).await,
        None => Ok(()),
    };
    let token = session.token.clone();
    let collector = session.collector.clone();
    dispatch.dispatch(Action::SignedIn {
        session,
        context: device::context(),
    });
    if let Some(d) = driver.borrow().as_ref() {
        d.signed_in(token.clone(), collector);
    }
    if let Some(store) = store {
        refresh_assignments(store, token, held, dispatch.clone()).await;
    }
    kept
}

/// Loads one form from its address; the error names the address and the place in the form.
async fn load_form(url: &str) -> Result<Form, String> {
    let loaded = match net::get_text(url).await {
        Ok(text) => Form::from_json(&text).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    loaded.map_err(|e| format!("{url}: {e}"))
}

/// The forms the app works with: in free mode the one the address names; with a roster every
/// form the server offers (the service worker keeps the last copies for offline use), with
/// the error of each that did not load: one form that fails does not keep the collector from
/// the others and their records. It fails only when no form loads.
async fn load_forms(mode: &Mode) -> Result<(Vec<Rc<Form>>, Vec<String>), String> {
    if let (Mode::Free, Some(id)) = (mode, query_param("form")) {
        let form = load_form(&format!("/schemas/{id}.json")).await?;
        return Ok((vec![Rc::new(form)], Vec::new()));
    }
    let list = net::get_forms()
        .await
        .map_err(|e| format!("/api/v1/forms: {e}"))?;
    // All at once: one round trip's wait, not one per form.
    let loads = list.iter().map(|summary| load_form(&summary.url));
    let (mut forms, mut failed) = (Vec::new(), Vec::new());
    for loaded in futures_util::future::join_all(loads).await {
        match loaded {
            Ok(form) => forms.push(Rc::new(form)),
            Err(e) => failed.push(e),
        }
    }
    if forms.is_empty() && !failed.is_empty() {
        return Err(failed.join("\n"));
    }
    Ok((forms, failed))
}

async fn start(dispatch: UseReducerDispatcher<DrawnState>, lock: DeviceLock) -> Option<Started> {
    // Nothing is read before this copy holds the device: another open copy may be writing.
    // If that takes a moment, the collector is told why the app waits.
    let said = Rc::new(std::cell::Cell::new(false));
    let waiting = {
        let (dispatch, said) = (dispatch.clone(), said.clone());
        gloo_timers::callback::Timeout::new(device_lock::PATIENCE_MS as u32, move || {
            said.set(true);
            dispatch.dispatch(Action::HeldElsewhere(true))
        })
    };
    lock.held().await;
    drop(waiting);
    // Only a wait the collector was told of is ended: a start that waited for nothing draws
    // nothing more for it.
    if said.get() {
        dispatch.dispatch(Action::HeldElsewhere(false));
    }
    let store = match DeviceStore::open(DATABASE).await {
        Ok(store) => store,
        Err(e) => {
            dispatch.dispatch(Action::StorageFailed(e.to_string()));
            return None;
        }
    };
    let mode = if query_param("form").is_some() {
        Mode::Free
    } else {
        Mode::Roster
    };
    let window = query_param("mode").as_deref() == Some("window");
    // Both at once: on a slow link each may wait for the service worker's patience.
    let (loaded, area) = futures_util::join!(load_forms(&mode), load_area());
    let (forms, unloaded) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            dispatch.dispatch(Action::LoadFailed(e));
            return None;
        }
    };
    // An unreadable sign-in is no sign-in: the collector is asked again.
    let session = store.session().await.unwrap_or_default();
    let stored = match store.all().await {
        Ok((records, unreadable)) => {
            for e in unreadable {
                web_sys::console::error_1(&e.to_string().into());
            }
            records
        }
        Err(e) => {
            dispatch.dispatch(Action::StorageFailed(e.to_string()));
            return None;
        }
    };
    let summary = stored
        .iter()
        .map(|r| (r.id.clone(), r.status, r.revision))
        .collect();
    let queued = stored
        .iter()
        .filter(|r| r.status == Status::Queued)
        .map(crate::outbox::queued)
        .collect();
    let token = session.as_ref().map(|s| s.token.clone());
    let collector = session.as_ref().map(|s| s.collector.clone());
    let roster = mode == Mode::Roster;
    dispatch.dispatch(Action::Loaded {
        mode,
        window,
        forms,
        unloaded,
        stored,
        area,
        session,
        open: query_param("record"),
        new_id: device::new_record_id(),
        now: device::now_millis(),
        context: device::context(),
    });
    Some(Started {
        store,
        stored: summary,
        queued,
        token,
        collector,
        roster,
    })
}

/// A record list compared by pointer: the state replaces the list whenever it changes it.
#[derive(Clone)]
struct RecordsRef(Rc<Vec<Record>>);

impl PartialEq for RecordsRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The roster's lines and the villages' statuses.
fn roster_lines(
    state: &State,
    today: Option<jiff::civil::Date>,
) -> (Rc<Vec<crate::roster::Line>>, Rc<Vec<VillageLine>>, bool) {
    let all: Vec<&Record> = state.records.iter().chain(state.draft.iter()).collect();
    let lines = state
        .form_for(RecordUnit::Person)
        .and_then(|form| {
            let definition = form.0.def.record.clone()?;
            Some(crate::roster::lines(
                &state.roster,
                &all,
                &state.delivered,
                &form.0.def.id,
                &definition,
                today,
            ))
        })
        .unwrap_or_default();
    let village_form = state.form_for(RecordUnit::Village);
    let (latest, on_server) = village_form
        .as_ref()
        .map(|f| {
            (
                crate::roster::latest_by_subject(all.iter().copied(), &f.0.def.id),
                crate::roster::delivered_by_subject(&state.delivered, &f.0.def.id),
            )
        })
        .unwrap_or_default();
    let villages = state
        .villages
        .iter()
        .map(|village| {
            let code = village.code.as_str();
            let delivered = on_server.get(code).map_or(&[][..], Vec::as_slice);
            let record = latest.get(code).copied();
            let (progress, elsewhere) = crate::roster::standing(record, delivered);
            let definition = village_form.as_ref().and_then(|f| f.0.def.record.as_ref());
            let reconfirm = record
                .zip(definition)
                .is_some_and(|(r, d)| r.awaits_reconfirmation(d, today));
            VillageLine {
                village: village.clone(),
                progress,
                elsewhere,
                reconfirm,
            }
        })
        .collect();
    (Rc::new(lines), Rc::new(villages), village_form.is_some())
}

/// What the collector is told about a storage failure.
fn storage_text(trouble: &StorageTrouble, locale: Locale) -> String {
    match trouble {
        StorageTrouble::Full => Text::QuotaExceeded.get(locale).to_string(),
        StorageTrouble::Failed(message) => {
            format!("{}: {message}", Text::StorageFailed.get(locale))
        }
    }
}

/// Publishes the record in hand, if there is one, to the form's questions, with the error at
/// the number of a person added at the door who is on the roster.
fn publish(feed: &RecordFeed, state: &State, on_roster: Option<Issue>) {
    if let (Some(form), Some(draft), Some(evaluation)) =
        (&state.form, &state.draft, &state.evaluation)
    {
        feed.publish(Snapshot::of(
            form.clone(),
            draft,
            evaluation.clone(),
            state.attempted,
            device::today(),
            on_roster,
        ));
    }
}

/// What the writes to the device share: the status and revision last written of each record,
/// the records whose last write failed, the outbox driver and the reducer.
#[derive(Clone)]
struct DeviceWrites {
    persisted: Persisted,
    unwritten: Rc<RefCell<HashSet<String>>>,
    driver: Rc<RefCell<Option<OutboxDriver>>>,
    dispatch: UseReducerDispatcher<DrawnState>,
}

impl DeviceWrites {
    /// Whether a record has changed since it was last written (a walk-in not yet worked on is
    /// not written at all). Named by id, status and revision, so a keystroke copies no record
    /// to find out.
    fn unsaved(&self, record: &Record) -> bool {
        !crate::state::untouched_walk_in(record)
            && self.persisted.borrow().get(&record.id) != Some(&(record.status, record.revision))
    }

    /// Forgets the failed writes of records the state no longer holds (a new record left blank
    /// is dropped, never written): they are not to be written again, nor keep the message
    /// about a full device once the others are stored.
    fn forget_gone(&self, state: &State) {
        let mut unwritten = self.unwritten.borrow_mut();
        if unwritten.is_empty() {
            return;
        }
        unwritten.retain(|id| {
            state
                .draft
                .iter()
                .chain(state.records.iter())
                .any(|r| r.id == *id)
        });
        if unwritten.is_empty() {
            self.dispatch.dispatch(Action::StorageRecovered);
        }
    }

    /// Writes the records in one transaction, then tells the outbox and the host what the
    /// write changed; a failed write is told to the reducer and taken again with the next.
    fn write(&self, store: DeviceStore, records: Vec<Record>) {
        let DeviceWrites {
            persisted,
            unwritten,
            driver,
            dispatch,
        } = self.clone();
        // What the device held of each record before this write: its status tells the
        // outbox and the host what the write changed.
        let mut previous = Vec::with_capacity(records.len());
        for record in &records {
            previous.push(
                persisted
                    .borrow_mut()
                    .insert(record.id.clone(), (record.status, record.revision)),
            );
        }
        let before: Vec<Option<Status>> = previous
            .iter()
            .map(|p| p.map(|(status, _)| status))
            .collect();
        // Every record changed by one action is written in one transaction.
        wasm_bindgen_futures::spawn_local(async move {
            match store.put_many(&records).await {
                Ok(()) => {
                    // Once every record a failure left unwritten is stored (space was
                    // freed), the message about it goes.
                    let recovered = {
                        let mut unwritten = unwritten.borrow_mut();
                        let before = unwritten.len();
                        for record in &records {
                            unwritten.remove(&record.id);
                        }
                        before > 0 && unwritten.is_empty()
                    };
                    if recovered {
                        dispatch.dispatch(Action::StorageRecovered);
                    }
                    // A mark the browser benchmark reads: the change is on the device.
                    // Only the latest is kept, so marks do not pile up over a day.
                    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                        performance.clear_marks_with_mark_name("doorstep-saved");
                        let _ = performance.mark("doorstep-saved");
                    }
                    for ((record, before), held) in records.iter().zip(&before).zip(&previous) {
                        // The device held another revision of it before this write.
                        let revised = held.is_some_and(|(_, revision)| revision != record.revision);
                        let about = host::describe(record);
                        match record.status {
                            Status::Draft => host::emit("draft-saved", about),
                            Status::Completed => host::emit("completed", about),
                            // Newly queued, or queued again in another revision (completed
                            // again after writes of the reopening and the completion were
                            // refused): the host hears of the revision it now is.
                            Status::Queued if *before != Some(Status::Queued) || revised => {
                                if *before != Some(Status::Completed) {
                                    host::emit("completed", about.clone());
                                }
                                host::emit("queued", about);
                            }
                            _ => {}
                        }
                    }
                    // Newly queued records join the outbox; a queued record reopened
                    // leaves it.
                    if let Some(d) = driver.borrow().as_ref() {
                        d.handle_all(records.iter().zip(&before).filter_map(|(r, before)| match (
                            r.status, before,
                        ) {
                            (Status::Queued, _) => Some(crate::outbox::queued(r)),
                            (Status::Draft, Some(Status::Queued)) => {
                                Some(Event::Withdrawn(r.id.clone()))
                            }
                            _ => None,
                        }));
                    }
                }
                // Another copy took the device over: this one reloads, with nothing to tell.
                Err(StoreError::HeldElsewhere) => {}
                Err(e) => {
                    // Not stored: the device still holds what it held before, so the
                    // next write takes these again and tells what changed since then
                    // (a queued record reopened still leaves the outbox).
                    for (record, previous) in records.iter().zip(&previous) {
                        let mut persisted = persisted.borrow_mut();
                        match previous {
                            Some(held) => persisted.insert(record.id.clone(), *held),
                            None => persisted.remove(&record.id),
                        };
                        unwritten.borrow_mut().insert(record.id.clone());
                    }
                    dispatch.dispatch(match e {
                        StoreError::QuotaExceeded(_) | StoreError::NotWritten => {
                            Action::StorageFull
                        }
                        e => Action::StorageFailed(e.to_string()),
                    })
                }
            }
        });
    }
}

/// A drawing of the whole screen asked for after an answer, once the current task is done:
/// the answer's own questions are drawn already, through the feed. However often it is asked
/// for before then, it comes once; one timer callback, made once, serves every request.
#[derive(Clone)]
struct LaterRedraw(Rc<LaterRedrawParts>);

struct LaterRedrawParts {
    asked: Rc<std::cell::Cell<bool>>,
    fire: wasm_bindgen::closure::Closure<dyn Fn()>,
    dispatch: UseReducerDispatcher<DrawnState>,
}

impl LaterRedraw {
    fn new(dispatch: UseReducerDispatcher<DrawnState>) -> LaterRedraw {
        let asked = Rc::new(std::cell::Cell::new(false));
        let fire = {
            let (asked, dispatch) = (asked.clone(), dispatch.clone());
            wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                if asked.replace(false) {
                    dispatch.dispatch(Action::Redraw);
                }
            })
        };
        LaterRedraw(Rc::new(LaterRedrawParts {
            asked,
            fire,
            dispatch,
        }))
    }

    /// Asks for a drawing once the current task is done; without a timer, at once.
    fn ask(&self) {
        use wasm_bindgen::JsCast;
        if !self.0.asked.replace(true) {
            let set = web_sys::window()
                .map(|w| w.set_timeout_with_callback(self.0.fire.as_ref().unchecked_ref()));
            if !matches!(set, Some(Ok(_))) {
                self.now();
            }
        }
    }

    /// Whether a drawing is asked for and has not come yet.
    fn pending(&self) -> bool {
        self.0.asked.get()
    }

    /// Draws now what was asked for later, if anything was.
    fn now(&self) {
        if self.0.asked.replace(false) {
            self.0.dispatch.dispatch(Action::Redraw);
        }
    }
}

/// The app.
#[function_component(App)]
pub fn app() -> Html {
    // In the language last chosen on this device.
    let state = use_reducer_eq(|| {
        DrawnState::new(State {
            locale: device::kept_locale().unwrap_or_default(),
            ..State::default()
        })
    });
    // The record in hand, published to the form and its questions after every change: only the
    // parts a change touched are drawn again. A drawing of the app for another reason (an
    // upload's progress, the network) publishes the same record, which the feed passes over.
    let feed = (*use_memo((), |_| RecordFeed::default())).clone();
    let later = {
        let dispatch = state.dispatcher();
        (*use_memo((), move |_| LaterRedraw::new(dispatch))).clone()
    };
    let store = use_state(|| None::<DeviceStore>);
    let driver = use_mut_ref(|| None::<OutboxDriver>);
    let persisted: Persisted = use_mut_ref(HashMap::new);
    let last_records = use_mut_ref(|| Rc::new(Vec::<Record>::new()));
    // The records whose last write to the device failed: written again with the next write,
    // and the message about it stays until all of them are stored.
    let unwritten = use_mut_ref(HashSet::<String>::new);
    let forms = use_state(Vec::<FormSummary>::new);
    // The roster's search and filters while a record is open; another collector signed in on
    // this device starts with none.
    let kept_roster = (*use_memo(state.session.as_ref().map(|s| s.collector.clone()), |_| {
        KeptView::default()
    }))
    .clone();
    let writes = DeviceWrites {
        persisted: persisted.clone(),
        unwritten: unwritten.clone(),
        driver: driver.clone(),
        dispatch: state.dispatcher(),
    };
    // The device's lock this copy holds or waits for: its collector may take it over.
    let device_lock = use_mut_ref(|| None::<DeviceLock>);
    // The store, for the flush when the page is hidden or left: set by the start as soon as
    // the records are read, before the store is handed to the rest of the app.
    let store_now = use_mut_ref(|| None::<DeviceStore>);

    // The forms the server offers, for the switcher in the header of the one-form mode (the
    // service worker keeps the last list for offline use; without one, only the form on
    // screen is shown). The roster mode has its forms from start-up and no switcher.
    {
        let forms = forms.clone();
        use_effect_with((), move |_| {
            if query_param("form").is_none() {
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                match net::get_forms().await {
                    Ok(list) => forms.set(list),
                    Err(e) => web_sys::console::warn_1(&format!("forms: {e}").into()),
                }
            });
        });
    }

    // Start: open the store, load the form and the records, start the outbox.
    {
        // The language the app opened in (the one last chosen on the device).
        let opened_in = state.locale;
        let dispatch = state.dispatcher();
        let store = store.clone();
        let driver = driver.clone();
        let persisted = persisted.clone();
        let device_lock = device_lock.clone();
        let store_now = store_now.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                // Read before the app rewrites the address with the record in hand.
                let address_config = host::config_from_address();
                let lock = DeviceLock::ask();
                *device_lock.borrow_mut() = Some(lock.clone());
                let Some(started) = start(dispatch.clone(), lock).await else {
                    host::started(None);
                    return;
                };
                let on_sent = {
                    let dispatch = dispatch.clone();
                    // The host hears `synced` and `rejected` from the outbox driver: only for
                    // the revision the device holds, the one that was uploaded.
                    Callback::from(move |sent: Vec<Uploaded>| dispatch.dispatch(Action::Sent(sent)))
                };
                let on_returned = {
                    let dispatch = dispatch.clone();
                    Callback::from(
                        move |(record, issues): (Uploaded, Vec<doorstep_core::Issue>)| {
                            dispatch.dispatch(Action::Returned {
                                record,
                                context: device::context(),
                                issues,
                                now: device::now_millis(),
                            })
                        },
                    )
                };
                let on_status = {
                    let dispatch = dispatch.clone();
                    Callback::from(move |status| {
                        host::upload_status(status);
                        dispatch.dispatch(Action::Upload(status))
                    })
                };
                let on_sign_in = {
                    let dispatch = dispatch.clone();
                    Callback::from(move |()| dispatch.dispatch(Action::SignInNeeded))
                };
                let outbox = OutboxDriver::new(
                    started.store.clone(),
                    on_sent,
                    on_returned,
                    on_status,
                    on_sign_in,
                    persisted.clone(),
                );
                // Live at once, before anything is awaited: an `online` or `offline` event in
                // an await below reaches it. (Stored after the reads below, such an event found
                // no outbox to tell, and one that believed itself offline kept its records.)
                *driver.borrow_mut() = Some(outbox.clone());
                // The server's tag of the assignments kept is named only when they could be
                // read: unreadable ones are fetched whole.
                let mut held = None;
                if let Some((assignments, tag)) = started
                    .store
                    .answer_with_tag(KeptAnswer::Assignments)
                    .await
                    .ok()
                    .flatten()
                {
                    held = tag.clone();
                    dispatch.dispatch(Action::Assignments {
                        assignments,
                        tag,
                        token: None,
                        context: device::context(),
                    });
                }
                if let Some((token, collector)) = started.token.zip(started.collector.clone()) {
                    wasm_bindgen_futures::spawn_local(refresh_assignments(
                        started.store.clone(),
                        token.clone(),
                        held.clone(),
                        dispatch.clone(),
                    ));
                    outbox.signed_in(token, collector);
                }
                for (id, status, revision) in started.stored {
                    persisted.borrow_mut().insert(id, (status, revision));
                }
                // A record can be worked on from here: a page hidden or left before the store is
                // handed on below still has its changes written.
                *store_now.borrow_mut() = Some(started.store.clone());
                outbox.handle_all(started.queued);
                // The records delivered kept, for the roster offline: not read when one form is
                // filled in, whose first changes it would only delay. Before the store is handed
                // on, so that the first fetch of the records delivered names their tag.
                let kept = if started.roster {
                    started
                        .store
                        .answer_with_tag::<Delivered>(KeptAnswer::Delivered)
                        .await
                        .ok()
                        .flatten()
                } else {
                    None
                };
                if let Some((delivered, tag)) = kept {
                    dispatch.dispatch(Action::Delivered {
                        records: delivered.records,
                        tag,
                        token: None,
                    });
                }
                store.set(Some(started.store.clone()));
                // Started: the host's calls made before go on now, with the store. They do
                // not wait for the address's sign-in below, whose roster download has no time
                // limit (only `ready` does).
                host::started(Some(started.store.clone()));
                // A host that can only load a URL configures the app through it.
                let mut collector = started.collector;
                let mut locale = opened_in.tag().to_string();
                if let Some(config) = address_config {
                    let applied = host::apply_config(
                        config,
                        dispatch.clone(),
                        Some(started.store),
                        driver.clone(),
                        opened_in,
                        held,
                    );
                    match applied.await {
                        Ok(result) => {
                            if let Some(name) = result["collector"].as_str() {
                                collector = Some(name.to_string());
                            }
                            if let Some(tag) = result["locale"].as_str() {
                                locale = tag.to_string();
                            }
                        }
                        Err(e) => {
                            host::emit("error", serde_json::json!({ "message": e.to_string() }))
                        }
                    }
                }
                // Ready for the host once loaded and configured (with the roster, when the
                // address signed the collector in).
                host::emit(
                    "ready",
                    serde_json::json!({ "version": host::PROTOCOL, "collector": collector,
                        "locale": locale }),
                );
            });
        });
    }

    // The host API reaches the app through the latest state and handles.
    host::update(host::Handle {
        dispatch: state.dispatcher(),
        driver: driver.clone(),
        state: state.clone(),
    });
    {
        let failure = match &state.phase {
            Phase::Failed(message) => Some(message.clone()),
            _ => state
                .storage_error
                .as_ref()
                .map(|trouble| storage_text(trouble, state.locale)),
        };
        use_effect_with(failure, |failure| {
            if let Some(message) = failure {
                host::emit("error", serde_json::json!({ "message": message }));
            }
        });
        // A form that did not load while others did: the host hears of each.
        use_effect_with(state.unloaded.clone(), |unloaded| {
            for message in unloaded {
                host::emit("error", serde_json::json!({ "message": message }));
            }
        });
    }

    // Follow the browser's online state.
    {
        let dispatch = state.dispatcher();
        let driver = driver.clone();
        use_effect_with((), move |_| {
            dispatch.dispatch(Action::Online(net::is_online()));
            let listeners = web_sys::window().map(|window| {
                let on = {
                    let (dispatch, driver) = (dispatch.clone(), driver.clone());
                    EventListener::new(&window, "online", move |_| {
                        dispatch.dispatch(Action::Online(true));
                        if let Some(d) = driver.borrow().as_ref() {
                            d.handle(Event::Online);
                        }
                    })
                };
                let off = EventListener::new(&window, "offline", move |_| {
                    dispatch.dispatch(Action::Online(false));
                    if let Some(d) = driver.borrow().as_ref() {
                        d.handle(Event::Offline);
                    }
                });
                (on, off)
            });
            move || drop(listeners)
        });
    }

    // What other devices delivered since is fetched each time the roster is shown, signed in
    // (at the start, after a sign-in, back from a record), each time a record is opened from it,
    // and when the network comes back: a tablet that showed its roster offline learns of a
    // delivery before its collector completes a second record of the same person or village.
    {
        let roster = state.phase == Phase::Ready && state.mode == Mode::Roster;
        let token = state
            .session
            .as_ref()
            .filter(|_| roster)
            .map(|s| s.token.clone());
        let at = (state.screen, state.online);
        let dispatch = state.dispatcher();
        // The tag of the records in hand when the fetch begins; not a dependency: a new list
        // is not a reason to fetch again.
        let held = state.delivered_tag.clone();
        // Counts the fetches begun: only the answer of the latest is used.
        let fetches = use_mut_ref(|| 0_u32);
        use_effect_with(
            ((*store).clone(), token, at),
            move |(store, token, (_, online))| {
                if let (Some(store), Some(token), true) = (store.clone(), token.clone(), *online) {
                    let this = {
                        let mut begun = fetches.borrow_mut();
                        *begun = begun.wrapping_add(1);
                        *begun
                    };
                    wasm_bindgen_futures::spawn_local(async move {
                        let is_latest = move || *fetches.borrow() == this;
                        refresh_delivered(&store, &token, held.as_deref(), &dispatch, is_latest)
                            .await;
                    });
                }
            },
        );
    }

    // Mirror every changed record to the device, then tell the outbox about newly queued ones.
    {
        // The list is looked through only when the state replaced it since a write last took
        // its changes; on a keystroke only the record in hand has changed. That is marked by the
        // effect, not here: Yew may draw the app again before it runs the effect of a drawing
        // (a long drawing yields to a timer, and an answer's redraw may come first), and a list
        // seen only by that first drawing would never be written.
        let list_changed = !Rc::ptr_eq(&*last_records.borrow(), &state.records);
        let records_now = state.records.clone();
        let last_records = last_records.clone();
        let unsaved = |r: &&Record| writes.unsaved(r);
        let key = |r: &Record| (r.id.clone(), r.status, r.revision);
        let mut changed: Vec<(String, Status, u32)> =
            state.draft.iter().filter(unsaved).map(key).collect();
        // Records whose write failed stay in the list of changes (so the next write, the next
        // change's, takes them again) without making a change of their own: a full device is
        // not written to in a loop.
        if list_changed || !writes.unwritten.borrow().is_empty() {
            changed.extend(state.records.iter().filter(unsaved).map(key));
        }
        let current = state.clone();
        let writes = writes.clone();
        let list = Rc::as_ptr(&state.records) as usize;
        use_effect_with(
            ((*store).clone(), changed, list),
            move |(store, changed, _)| {
                if store.is_some() {
                    *last_records.borrow_mut() = records_now;
                }
                writes.forget_gone(&current);
                if let (Some(store), false) = (store.clone(), changed.is_empty()) {
                    let wanted: HashMap<&str, (Status, u32)> = changed
                        .iter()
                        .map(|(id, status, revision)| (id.as_str(), (*status, *revision)))
                        .collect();
                    let records: Vec<Record> = current
                        .draft
                        .iter()
                        .chain(current.records.iter())
                        .filter(|r| wanted.get(r.id.as_str()) == Some(&(r.status, r.revision)))
                        .cloned()
                        .collect();
                    writes.write(store, records);
                }
            },
        );
    }

    // Keep the document's language in step with the interface, and the choice for next time.
    use_effect_with(state.locale, |locale| {
        device::keep_locale(*locale);
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", locale.tag());
        }
    });

    // The page's title names the screen, in the interface's language: what a screen reader
    // announces and a tab shows.
    {
        let locale = state.locale;
        let screen_title = match (&state.phase, state.session.is_some(), state.screen) {
            (Phase::Ready, false, _) => Some(Text::SignIn.get(locale).to_string()),
            (Phase::Ready, true, Screen::Home) if state.mode == Mode::Roster => {
                Some(Text::Roster.get(locale).to_string())
            }
            (Phase::Ready, true, _) => state
                .form
                .as_ref()
                .map(|f| f.0.def.title.get(locale.tag()).to_string()),
            _ => None,
        };
        use_effect_with((screen_title, locale), |(screen_title, locale)| {
            let app = Text::AppName.get(*locale);
            let title = match screen_title {
                Some(screen) => format!("{screen} · {app}"),
                None => app.to_string(),
            };
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                document.set_title(&title);
            }
        });
    }

    // A new screen starts where the collector expects it, not at the scroll position of the one
    // before: a record at its top, the focus on its title; the roster at the row of the record
    // just left, focused, its status showing what became of it. (At the service window the
    // roster's search box and the form's first question take the focus themselves.)
    {
        let left = use_mut_ref(|| None::<(String, Option<String>)>);
        if state.screen == Screen::Record {
            if let Some(draft) = &state.draft {
                *left.borrow_mut() = Some((draft.id.clone(), draft.meta.subject.clone()));
            }
        }
        let at_window = state.window;
        let first = use_mut_ref(|| true);
        // Another record in hand is a new screen too (the next one after 完成 in the one-form
        // mode, or one a host opens).
        let in_hand = state.draft.as_ref().map(|d| d.id.clone());
        use_effect_with((state.screen, in_hand), move |(screen, in_hand)| {
            // Nothing to move from at the start, nor before a record is in hand.
            if std::mem::replace(&mut *first.borrow_mut(), false)
                || (*screen == Screen::Record && in_hand.is_none())
            {
                return;
            }
            show_screen_start(*screen, at_window, left.borrow().as_ref());
        });
    }

    // 完成 refused for a second record of a subject delivered from elsewhere: the question,
    // at the top of the record, takes the focus and comes into view.
    {
        // Keyed on the count of refusals: each press of 完成 moves the focus there again.
        let asked = state
            .second_record
            .clone()
            .filter(|s| matches!(s, SecondRecord::Asked { .. }));
        use_effect_with(asked, |asked| {
            if asked.is_some() {
                crate::components::form::focus_later("second-record".to_string());
            }
        });
    }

    // 完成 refused for errors or unconfirmed warnings: the summary of what stops it takes the
    // focus and comes into view, at each press (it is not a live region, so fixing an error
    // while typing is not read out over the typing).
    use_effect_with(state.refused, |refused| {
        if *refused > 0 {
            crate::components::form::focus_later(
                crate::components::overview::SUMMARY_ID.to_string(),
            );
        }
    });

    // 完成 refused for a person added at the door who is on the roster: the way to their line
    // takes the focus, at each press.
    use_effect_with(state.refused_on_roster.clone(), |refused| {
        if refused.is_some() {
            crate::components::form::focus_later("open-on-roster".to_string());
        }
    });

    // The device's position for a home visit: asked once per record opened, never waited for.
    {
        let dispatch = state.dispatcher();
        let wants = state.draft.as_ref().and_then(|draft| {
            let definition = state.form.as_ref()?.0.def.record.as_ref()?;
            let method = definition
                .method
                .as_ref()
                .and_then(|m| draft.answers.get(m))?;
            let home = method.as_str().is_some_and(|m| definition.is_home_visit(m));
            // Asked once the collector works on the record (not when a person is only looked
            // at), and never again once it has one.
            let working = crate::state::touched(draft);
            (home && working && draft.status == Status::Draft && draft.meta.position.is_none())
                .then(|| draft.id.clone())
        });
        use_effect_with(wants, move |wants| {
            if let Some(id) = wants.clone() {
                device::request_position(move |position| {
                    dispatch.dispatch(Action::Position {
                        id,
                        position,
                        now: device::now_millis(),
                    })
                });
            }
        });
    }

    // The address names the record in hand, so a reload opens it again. A record opened from
    // the roster is a new entry of the browser's history, so that the back button (a tablet's
    // too, or an Android host's) leads back to the roster; leaving it within the app goes back
    // over that entry.
    // In free mode the address names the form, and stays.
    let roster_ready = state.phase == Phase::Ready && state.mode == Mode::Roster;
    {
        let open = state.record_shown().map(str::to_string);
        let ready = roster_ready;
        let window = state.window;
        // The record the address named last; `None` until the app is ready.
        let shown = use_mut_ref(|| None::<Option<String>>);
        let navigations = state.navigations;
        use_effect_with(
            (ready, open, window, navigations),
            move |(ready, open, window, _)| {
                if !*ready {
                    return;
                }
                let window = if *window { "mode=window" } else { "" };
                let address = match open {
                    Some(id) if window.is_empty() => format!("?record={id}"),
                    Some(id) => format!("?{window}&record={id}"),
                    None if window.is_empty() => String::new(),
                    None => format!("?{window}"),
                };
                let before = shown.borrow_mut().replace(open.clone());
                if device::at_address(&address) {
                    return;
                }
                match (before, open) {
                    (Some(None), Some(_)) => device::push_address(&address),
                    (Some(Some(_)), None) => device::leave_address(&address),
                    _ => device::show_address(&address),
                }
            },
        );
    }
    // The back (or forward) button: the record the address now names is the one in hand. Back
    // from a record closes it as 返回名册 does; forward opens the record again. The app's own
    // going back changes nothing shown (a host may have opened the next record meanwhile).
    {
        let dispatch = state.dispatcher();
        use_effect_with(roster_ready, move |ready| {
            let listener = (*ready).then(web_sys::window).flatten().map(|window| {
                EventListener::new(&window, "popstate", move |_| {
                    dispatch.dispatch(Action::Navigated {
                        record: query_param("record"),
                        follow: !device::own_going_back(),
                        now: device::now_millis(),
                        context: device::context(),
                    })
                })
            });
            move || drop(listener)
        });
    }

    // How much device storage is used, again every 50 records; persistent storage is asked for
    // the first time only.
    let usage = use_state(|| None::<StorageUsage>);
    {
        let usage = usage.clone();
        let count = state.records.len();
        let asked = use_mut_ref(|| false);
        use_effect_with(count / 50, move |_| {
            let ask = !std::mem::replace(&mut *asked.borrow_mut(), true);
            wasm_bindgen_futures::spawn_local(async move {
                usage.set(crate::store::storage_usage(ask).await);
            });
        });
    }

    // An answer draws its own questions at once, through the feed; the rest of the screen and
    // the draft's write to the device follow once this task is done (see `DrawnState`).
    let on_change = {
        let (state, feed, later) = (state.clone(), feed.clone(), later.clone());
        use_callback((), move |(field, value): (String, Json), _| {
            state.dispatch(Action::Answer {
                field,
                value,
                now: device::now_millis(),
                context: device::context(),
            });
            // A fresh handle reads the state just made, and keeps no history of its own. The
            // roster is searched for a number typed once the app is drawn again, after this
            // task: until then the error at the number stays as it was.
            let on_roster = feed.current().and_then(|s| s.on_roster.clone());
            publish(&feed, &state.clone(), on_roster);
            later.ask();
        })
    };
    // When the page is hidden or left (a tablet put away, an app switched, a tab closed), every
    // record changed since its last write is written at once, and what is asked for later is
    // drawn: a page being left may run no more timers, nor the drawing if Yew put it off to
    // one, nor the effect that writes after a drawing if Yew yielded between the two.
    {
        let (later, writes, state) = (later.clone(), writes.clone(), state.clone());
        use_effect_with((), move |_| {
            let flush = Rc::new(move || {
                let current = state.clone();
                let store = store_now.borrow().clone();
                if let Some(store) = store {
                    let changed: Vec<Record> = current
                        .draft
                        .iter()
                        .chain(current.records.iter())
                        .filter(|r| writes.unsaved(r))
                        .cloned()
                        .collect();
                    if !changed.is_empty() {
                        writes.write(store, changed);
                    }
                }
                if later.pending() {
                    later.now();
                }
            });
            let listeners = web_sys::window().map(|window| {
                let hidden = window.document().map(|document| {
                    let flush = flush.clone();
                    EventListener::new(&document, "visibilitychange", move |_| flush())
                });
                let left = EventListener::new(&window, "pagehide", move |_| flush());
                (hidden, left)
            });
            move || drop(listeners)
        });
    }
    let on_submit = {
        let dispatch = state.dispatcher();
        use_callback((), move |(), _| {
            dispatch.dispatch(Action::Submit {
                now: device::now_millis(),
                next_id: device::new_record_id(),
                context: device::context(),
            })
        })
    };
    let on_open = {
        let dispatch = state.dispatcher();
        use_callback((), move |id: String, _| {
            dispatch.dispatch(Action::OpenRecord {
                id,
                now: device::now_millis(),
                context: device::context(),
            })
        })
    };
    let on_new = {
        let dispatch = state.dispatcher();
        use_callback((), move |_: MouseEvent, _| {
            dispatch.dispatch(Action::NewRecord {
                new_id: device::new_record_id(),
                now: device::now_millis(),
                context: device::context(),
            })
        })
    };
    let on_confirm = {
        let dispatch = state.dispatcher();
        use_callback(
            (),
            move |(field, code, note): (String, String, Option<String>), _| {
                dispatch.dispatch(Action::Confirm {
                    field,
                    code,
                    note,
                    now: device::now_millis(),
                })
            },
        )
    };
    let on_page = {
        let dispatch = state.dispatcher();
        use_callback((), move |page: usize, _| {
            dispatch.dispatch(Action::Page(page))
        })
    };
    let on_reopen = {
        let dispatch = state.dispatcher();
        use_callback((), move |(), _| {
            dispatch.dispatch(Action::Reopen {
                now: device::now_millis(),
                context: device::context(),
            })
        })
    };
    let on_save = {
        let dispatch = state.dispatcher();
        use_callback((), move |(), _| dispatch.dispatch(Action::Save))
    };
    let on_close = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| dispatch.dispatch(Action::Close))
    };
    let start_record = {
        let dispatch = state.dispatcher();
        move |form_id: Option<String>, subject: Subject| {
            if let Some(form_id) = form_id {
                dispatch.dispatch(Action::Start {
                    form_id,
                    subject,
                    new_id: device::new_record_id(),
                    now: device::now_millis(),
                    context: device::context(),
                });
            }
        }
    };
    let person_form = state
        .form_for(RecordUnit::Person)
        .map(|f| f.0.def.id.clone());
    let village_form = state
        .form_for(RecordUnit::Village)
        .map(|f| f.0.def.id.clone());
    let on_person = {
        let (start_record, form) = (start_record.clone(), person_form.clone());
        Callback::from(move |person| start_record(form.clone(), Subject::Person(person)))
    };
    let on_add = {
        let (start_record, form) = (start_record.clone(), person_form.clone());
        Callback::from(move |village| start_record(form.clone(), Subject::Unlisted(village)))
    };
    let on_village = {
        let (start_record, form) = (start_record.clone(), village_form.clone());
        Callback::from(move |code| start_record(form.clone(), Subject::Village(code)))
    };
    let roster = {
        // Worked out only while the roster is shown, and again only when the records, the
        // roster, the records delivered or the forms change: never on a keystroke in a form.
        let shown = state.mode == Mode::Roster && state.screen == Screen::Home;
        let key = (
            RecordsRef(state.records.clone()),
            Rc::as_ptr(&state.roster) as usize,
            Rc::as_ptr(&state.delivered) as usize,
            Rc::as_ptr(&state.forms) as usize,
            shown,
            // A roster left open from one day to the next shows what the new day asks.
            device::today(),
        );
        let state = state.clone();
        use_memo(key, move |(_, _, _, _, shown, today)| {
            if *shown {
                roster_lines(&state, *today)
            } else {
                Default::default()
            }
        })
    };
    let sign_in = {
        let dispatch = state.dispatcher();
        let store = store.clone();
        let driver = driver.clone();
        let locale = state.locale;
        let held = state.roster_tag.clone();
        Callback::from(move |(name, password): (String, String)| {
            let (dispatch, store, driver) = (dispatch.clone(), (*store).clone(), driver.clone());
            let held = held.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let request = doorstep_core::protocol::SignIn { name, password };
                match net::sign_in(&request).await {
                    Ok(session) => {
                        if let Err(e) = signed_in(session, store, held, &dispatch, &driver).await {
                            dispatch.dispatch(Action::StorageFailed(e.to_string()));
                        }
                    }
                    Err(net::NetError::Status { status: 401, .. }) => dispatch
                        .dispatch(Action::SignInFailed(Text::SignInWrong.get(locale).into())),
                    Err(net::NetError::Unreachable(_)) => dispatch
                        .dispatch(Action::SignInFailed(Text::SignInOffline.get(locale).into())),
                    Err(e) => {
                        // The collector is told in their language; the details are for
                        // whoever looks at the console.
                        web_sys::console::error_1(&e.to_string().into());
                        let text = match e {
                            net::NetError::Status { status: 429, .. } => Text::SignInBusy,
                            _ => Text::SignInServerError,
                        };
                        dispatch.dispatch(Action::SignInFailed(text.get(locale).into()));
                    }
                }
            });
        })
    };
    // Made once, so the parts they are given are not drawn again on every change.
    let upload_now = {
        let driver = driver.clone();
        use_callback((), move |_: MouseEvent, _| {
            if let Some(d) = driver.borrow().as_ref() {
                // The collector asks: do not wait out the backoff.
                d.handle(Event::Retry);
            }
        })
    };
    let switch_locale = {
        let dispatch = state.dispatcher();
        use_callback(state.locale.other(), move |_: MouseEvent, other| {
            dispatch.dispatch(Action::SetLocale(*other))
        })
    };

    let locale = state.locale;
    let t = |text: Text| text.get(locale);
    let main = match &state.phase {
        Phase::Loading => html! { <p class="loading" role="status">{ t(Text::Loading) }</p> },
        Phase::HeldElsewhere => {
            let take_over = {
                let device_lock = device_lock.clone();
                Callback::from(move |_: MouseEvent| {
                    if let Some(lock) = device_lock.borrow().as_ref() {
                        lock.take_over();
                    }
                })
            };
            html! {
                <div class="held-elsewhere" role="alert">
                    <h1>{ t(Text::HeldElsewhere) }</h1>
                    <p>{ t(Text::HeldElsewhereHint) }</p>
                    <button type="button" onclick={take_over}>{ t(Text::UseHere) }</button>
                </div>
            }
        }
        Phase::Failed(message) => html! {
            <div class="load-error" role="alert">
                <h1>{ t(Text::FormFailed) }</h1>
                <pre>{ message }</pre>
            </div>
        },
        Phase::Ready if state.session.is_none() => html! {
            <SignInView locale={locale} error={state.sign_in_error.clone()} on_submit={sign_in} />
        },
        Phase::Ready if state.mode == Mode::Roster && state.screen == Screen::Home => {
            let (lines, villages, has_village_form) = (*roster).clone();
            html! {
                <RosterView lines={LinesRef(lines)} villages={villages} has_village_form={has_village_form}
                    window={state.window} person_form={state.form_for(RecordUnit::Person)}
                    locale={locale} on_person={on_person.clone()} on_record={on_open.clone()}
                    on_add={on_add} on_village={on_village} kept={kept_roster} />
            }
        }
        Phase::Ready => match (&state.form, &state.draft) {
            (Some(form), Some(draft)) => html! {
                <>
                    if state.mode == Mode::Roster {
                        <button type="button" class="back" onclick={on_close}>{ format!("← {}", t(Text::BackToRoster)) }</button>
                    }
                    <FormView form={form.clone()} feed={feed.clone()} locale={locale}
                        page={state.page} on_page={on_page}
                        on_change={on_change} on_confirm={on_confirm}
                        on_submit={on_submit.clone()} on_reopen={on_reopen} on_save={on_save}
                        show_keys={state.window} />
                    if draft.meta.position.is_some() {
                        <p class="hint position">{ t(Text::PositionRecorded) }</p>
                    }
                </>
            },
            _ => html! {},
        },
    };
    // A person added at the door whose certificate number is on the roster: they are visited
    // through their line of the roster (a record added for them would count them twice).
    // Looked up again only when the number or the roster changes, not at every redraw.
    // With the person, the error shown at the number.
    let typed_cert = state.draft.as_ref().and_then(|draft| {
        let form = &state.form.as_ref()?.0;
        let (field, key) =
            doorstep_core::record::off_roster_key(form, &draft.answers, &draft.meta)?;
        Some((draft.status, field.to_string(), key.to_string()))
    });
    let on_roster = {
        let state = state.clone();
        use_memo(
            (typed_cert, Rc::as_ptr(&state.roster) as usize),
            move |(typed, _)| {
                let field = &typed.as_ref()?.1;
                let person = state.listed_walk_in()?.clone();
                let issue = doorstep_core::record::on_roster_issue(field, &person.name);
                Some((person, issue))
            },
        )
    };
    publish(
        &feed,
        &state,
        on_roster.as_ref().as_ref().map(|(_, issue)| issue.clone()),
    );
    let on_roster = (*on_roster).clone().map(|(person, _)| {
        let text = format!(
            "{}{}{}",
            t(Text::OnRoster),
            t(Text::LabelSeparator),
            person.name
        );
        let open = {
            let on_person = on_person.clone();
            Callback::from(move |_: MouseEvent| on_person.emit(person.clone()))
        };
        // 完成 was refused: why, tied to the button that leads to the person's line. Only the
        // first paragraph is a live region: the refusal is read once, as the description of
        // the button the focus moves to, not a second time as a change of the alert.
        let refused = matches!((&state.refused_on_roster, &state.draft),
            (Some((id, _)), Some(draft)) if *id == draft.id);
        html! {
            <div class="notice returned on-roster">
                <p role="alert">{ text }</p>
                if refused {
                    <p id="on-roster-refused">{ t(Text::OnRosterRefused) }</p>
                }
                <button type="button" id="open-on-roster" onclick={open}
                    aria-describedby={refused.then_some("on-roster-refused")}>
                    { t(Text::OpenOnRoster) }
                </button>
            </div>
        }
    });
    // The record in hand is of a person or village the server already holds a record of, sent
    // from elsewhere: visiting them again would make a second record. Looked up again only when
    // the record in hand, its status or the records delivered change.
    let delivered_elsewhere = {
        let key = (
            state
                .draft
                .as_ref()
                .map(|d| (d.id.clone(), d.status, d.meta.subject.clone())),
            Rc::as_ptr(&state.delivered) as usize,
        );
        let state = state.clone();
        use_memo(key, move |_| state.delivered_elsewhere())
    };
    // An alert, so that a screen reader says it although the focus goes to the record's title.
    let delivered_elsewhere = (*delivered_elsewhere).clone().map(|elsewhere| {
        let (text, class) = if elsewhere.duplicate {
            (
                Text::DuplicateOnServer,
                "notice returned delivered-elsewhere duplicate",
            )
        } else {
            (
                Text::DeliveredElsewhere,
                "notice returned delivered-elsewhere",
            )
        };
        let by = crate::components::roster::sender(&elsewhere, locale);
        // 完成 was refused until the collector says a second record is meant.
        let asked = matches!((&state.second_record, &state.draft),
            (Some(SecondRecord::Asked { id, .. }), Some(draft)) if *id == draft.id);
        let meant = {
            let (dispatch, on_submit) = (state.dispatcher(), on_submit.clone());
            Callback::from(move |_| {
                dispatch.dispatch(Action::SecondRecordMeant);
                on_submit.emit(());
            })
        };
        // As for the person on the roster: the question is read once, as the description of
        // the button the focus moves to.
        html! {
            <div class={class}>
                <p role="alert">{ format!("{}{}{by}", t(text), t(Text::LabelSeparator)) }</p>
                if asked {
                    <p id="second-record-question">{ t(Text::SecondRecordAsk) }</p>
                    <button type="button" id="second-record" onclick={meant}
                        aria-describedby="second-record-question">
                        { t(Text::SecondRecordMeant) }
                    </button>
                }
            </div>
        }
    });
    let notice = state.notice.as_ref().map(|notice| {
        let (text, class) = match notice {
            Notice::Queued => (t(Text::SubmittedWaiting).to_string(), "notice waiting"),
            Notice::Sent => (t(Text::SubmittedSent).to_string(), "notice sent"),
            Notice::Returned => (t(Text::Returned).to_string(), "notice returned"),
            Notice::Reopened => (t(Text::ReopenedDraft).to_string(), "notice returned"),
            Notice::TakenOntoRoster => (t(Text::TakenOntoRoster).to_string(), "notice sent"),
            Notice::Saved => (t(Text::Saved).to_string(), "notice sent"),
            Notice::NeedsNewerForm { version } => (
                crate::i18n::needs_newer_form(locale, version),
                "notice returned",
            ),
        };
        html! { <p class={class}>{ text }</p> }
    });
    // The answers a newer version of the form could not take: those of questions it still
    // asks by label, the others counted; shown for as long as the record is in hand.
    let not_carried = (!state.not_carried.is_empty()).then(|| {
        // A question of a repeat group is named once, however many of its instances lost it.
        let mut labels: Vec<&str> = Vec::new();
        let mut no_longer_asked = 0;
        for path in &state.not_carried {
            let id = crate::components::field::field_of_path(path);
            match state.form.as_ref().and_then(|f| f.0.field_by_id(id)) {
                Some(field) => {
                    let label = field.def.label.get(locale.tag());
                    if !labels.contains(&label) {
                        labels.push(label);
                    }
                }
                None => no_longer_asked += 1,
            }
        }
        html! {
            <p class="notice returned" id="not-carried">
                { crate::i18n::not_carried(locale, &labels, no_longer_asked) }
            </p>
        }
    });
    let free_form = (state.mode == Mode::Free)
        .then(|| state.form.as_ref().map(|f| f.0.def.id.clone()))
        .flatten();
    html! {
        <>
            <HeaderBar locale={locale} online={state.online} on_locale={switch_locale}
                forms={if state.mode == Mode::Free { (*forms).clone() } else { Vec::new() }}
                current={free_form.clone()} />
            <main>
                if let Some(trouble) = &state.storage_error {
                    <p class="storage-error" role="alert">{ storage_text(trouble, locale) }</p>
                }
                if !state.unloaded.is_empty() {
                    <div class="load-error" role="alert">
                        <h2>{ t(Text::FormFailed) }</h2>
                        <pre>{ state.unloaded.join("\n") }</pre>
                    </div>
                }
                <div aria-live="polite" class="notices">
                    { for not_carried }{ for on_roster }{ for delivered_elsewhere }{ for notice }
                </div>
                <UploadBar status={state.upload} online={state.online} locale={locale} on_upload={upload_now} />
                <ContextProvider<AreaRef> context={AreaRef(state.area.clone())}>
                    { main }
                </ContextProvider<AreaRef>>
                if let Some(form_id) = free_form {
                    <RecordList records={RecordsRef(state.records.clone())} form_id={form_id} locale={locale} on_open={on_open}
                        on_new={state.draft.as_ref().filter(|d| crate::state::worth_keeping(d)).map(|_| on_new.clone())}
                        title_field={state.form.as_ref().and_then(|f| f.0.fields.iter()
                            .find(|field| field.def.field_type == doorstep_core::schema::FieldType::Text)
                            .map(|field| field.def.id.clone()))} />
                }
                if let Some(usage) = *usage {
                    <p class="storage-usage hint">
                        { format!("{} {:.1} MB / {:.0} MB{}", t(Text::StorageUsed), usage.used / 1e6, usage.quota / 1e6,
                            if usage.persistent { t(Text::StoragePersistent) } else { "" }) }
                    </p>
                }
            </main>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct UploadBarProps {
    status: UploadStatus,
    online: bool,
    locale: Locale,
    on_upload: Callback<MouseEvent>,
}

/// How uploads are going: n of m with a progress bar, the time of the last successful upload,
/// and a button to upload now.
#[function_component(UploadBar)]
fn upload_bar(props: &UploadBarProps) -> Html {
    let status = props.status;
    let locale = props.locale;
    let waiting = status.total - status.done.min(status.total);
    if status.total == 0 && status.last_success.is_none() && status.held == 0 {
        return html! {};
    }
    let text = if status.needs_sign_in {
        Text::SignInAgain.get(locale).to_string()
    } else if waiting == 0 && status.held > 0 {
        format!(
            "{}{}{}",
            Text::HeldForCollector.get(locale),
            Text::LabelSeparator.get(locale),
            status.held
        )
    } else if waiting == 0 {
        Text::AllUploaded.get(locale).to_string()
    } else if !props.online {
        // Nothing is being uploaded offline: say what waits.
        format!(
            "{}{}{waiting}",
            Text::StatusQueued.get(locale),
            Text::LabelSeparator.get(locale)
        )
    } else {
        format!(
            "{} {}/{}",
            Text::Uploading.get(locale),
            status.done,
            status.total
        )
    };
    html! {
        <div class="uploads" role="status">
            <progress max={status.total.max(1).to_string()} value={status.done.to_string()}
                aria-label={Text::Uploading.get(locale)}></progress>
            <span class="upload-count">{ text }</span>
            if let Some(at) = status.last_success {
                <span class="upload-last">{ format!("{} {}", Text::LastUpload.get(locale), device::clock_time(at)) }</span>
            }
            <button type="button" class="upload-now" onclick={props.on_upload.clone()}
                disabled={waiting == 0 || !props.online || status.uploading || status.needs_sign_in}>
                { Text::UploadNow.get(locale) }
            </button>
        </div>
    }
}

/// The most records the list shows (the newest): drawing thousands on every upload would cost
/// more than the upload itself. The counts above the list cover them all.
const RECORDS_SHOWN: usize = 1000;

#[derive(Properties, PartialEq)]
struct RecordListProps {
    /// Compared by pointer: comparing thousands of records on every keystroke would cost more
    /// than drawing them.
    records: RecordsRef,
    /// Only this form's records are listed.
    form_id: String,
    locale: Locale,
    /// The field whose answer names a record in the list: the form's first text field.
    title_field: Option<String>,
    /// Takes up a record from the list: a draft to go on with, another to view (and edit with
    /// 修改 until it is sent).
    on_open: Callback<String>,
    /// Puts the record in hand away for a new one; none while the one in hand is new.
    on_new: Option<Callback<MouseEvent>>,
}

/// The completed records on this device and where each one is.
#[function_component(RecordList)]
fn record_list(props: &RecordListProps) -> Html {
    let records: Vec<&Record> = props
        .records
        .0
        .iter()
        .filter(|r| r.form_id == props.form_id)
        .filter(|r| crate::state::worth_keeping(r))
        .collect();
    // The record in hand is not in the list: viewing the only one leaves the list empty, with
    // the way to a new record still there.
    if records.is_empty() && props.on_new.is_none() {
        return html! {};
    }
    let locale = props.locale;
    let count = |status: Status| records.iter().filter(|r| r.status == status).count();
    let hidden = records.len().saturating_sub(RECORDS_SHOWN);
    html! {
        <section class="records" aria-labelledby="records-title">
            <h2 id="records-title">{ Text::RecordsOnDevice.get(locale) }</h2>
            if let Some(on_new) = props.on_new.clone() {
                <button type="button" class="new-record" onclick={on_new}>{ Text::NewRecord.get(locale) }</button>
            }
            <p class="record-counts">
                { format!("{} {} · {} {} · {} {}",
                    Text::StatusDraft.get(locale), count(Status::Draft),
                    Text::StatusQueued.get(locale), count(Status::Queued),
                    Text::StatusSent.get(locale), count(Status::Sent)) }
            </p>
            <ul>
                { for records.iter().take(RECORDS_SHOWN).map(|r| {
                    let status = crate::components::roster::progress_text(Progress::of(r));
                    let name = props
                        .title_field
                        .as_ref()
                        .and_then(|f| r.answers.get(f))
                        .and_then(Json::as_str)
                        .unwrap_or("—");
                    html! {
                        <li key={r.id.clone()} class={classes!("record", format!("status-{:?}", r.status).to_lowercase())} data-id={r.id.clone()}>
                            <span class="record-name">{ name }</span>
                            <span class="record-status">{ status.get(locale) }</span>
                            <button type="button" class="open" onclick={
                                let (on_open, id) = (props.on_open.clone(), r.id.clone());
                                Callback::from(move |_| on_open.emit(id.clone()))
                            }>{ if r.status == Status::Draft { Text::ContinueDraft.get(locale) } else { Text::ViewRecord.get(locale) } }</button>
                        </li>
                    }
                }) }
            </ul>
            if hidden > 0 {
                <p class="hint">{ format!("{} {hidden}", Text::MoreRecords.get(locale)) }</p>
            }
        </section>
    }
}
