//! The root component: owns the state, and runs the effects that connect it to the device
//! store, the network and the outbox. Components below it only render.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use doorstep_core::protocol::FormSummary;
use doorstep_core::sync::Event;
use doorstep_core::{Area, Form, Record, Status};
use gloo_events::EventListener;
use serde_json::Value as Json;
use yew::prelude::*;

use crate::components::form::FormView;
use crate::components::region::AreaRef;
use crate::components::sign_in::SignInView;
use crate::i18n::{Locale, Text};
use crate::outbox::OutboxDriver;
use crate::state::{Action, Notice, Phase, State, UploadStatus};
use crate::store::{DeviceStore, DATABASE};
use crate::{device, net};

/// The form shown when the address does not name one.
pub const DEFAULT_FORM: &str = "demo";

/// The form id from the address (`?form=ID`), if it names a safe one.
fn form_from_location() -> String {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.strip_prefix("form="))
        .find(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .unwrap_or(DEFAULT_FORM)
        .to_string()
}

/// The last revision and status written to the device for each record.
type Persisted = Rc<RefCell<HashMap<String, (Status, u32)>>>;

/// What start-up leaves for the effects: the open store, the form's id, and the id, status and
/// revision of every stored record.
struct Started {
    store: DeviceStore,
    form_id: String,
    stored: Vec<(String, String, Status, u32)>,
    token: Option<String>,
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

/// Fetches the collector's villages and roster, keeps them on the device, and hands them to
/// the state. Offline, the copy kept last time stays in use.
fn refresh_assignments(store: DeviceStore, token: String, dispatch: UseReducerDispatcher<State>) {
    wasm_bindgen_futures::spawn_local(async move {
        match net::get_assignments(&token).await {
            Ok(assignments) => {
                if let Err(e) = store.put_assignments(&assignments).await {
                    web_sys::console::warn_1(&format!("assignments not kept: {e}").into());
                }
                dispatch.dispatch(Action::Assignments {
                    assignments,
                    context: device::context(),
                });
            }
            Err(e) => web_sys::console::warn_1(&format!("assignments: {e}").into()),
        }
    });
}

async fn start(dispatch: UseReducerDispatcher<State>) -> Option<Started> {
    let store = match DeviceStore::open(DATABASE).await {
        Ok(store) => store,
        Err(e) => {
            dispatch.dispatch(Action::StorageFailed(e.to_string()));
            return None;
        }
    };
    let url = format!("/schemas/{}.json", form_from_location());
    let loaded = match net::get_text(&url).await {
        Ok(text) => Form::from_json(&text).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let form = match loaded {
        Ok(form) => form,
        Err(e) => {
            dispatch.dispatch(Action::LoadFailed(format!("{url}: {e}")));
            return None;
        }
    };
    let area = load_area().await;
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
        .map(|r| (r.id.clone(), r.form_id.clone(), r.status, r.revision))
        .collect();
    let form_id = form.def.id.clone();
    let token = session.as_ref().map(|s| s.token.clone());
    dispatch.dispatch(Action::Loaded {
        form: Rc::new(form),
        stored,
        area,
        session,
        new_id: device::new_record_id(),
        now: device::now_millis(),
        context: device::context(),
    });
    Some(Started {
        store,
        form_id,
        stored: summary,
        token,
    })
}

/// The app.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    let store = use_state(|| None::<DeviceStore>);
    let driver = use_mut_ref(|| None::<OutboxDriver>);
    let persisted: Persisted = use_mut_ref(HashMap::new);
    let forms = use_state(Vec::<FormSummary>::new);

    // The forms the server offers, for the switcher in the header (the service worker keeps
    // the last list for offline use; without one, only the form on screen is shown).
    {
        let forms = forms.clone();
        use_effect_with((), move |_| {
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
        let dispatch = state.dispatcher();
        let store = store.clone();
        let driver = driver.clone();
        let persisted = persisted.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let Some(started) = start(dispatch.clone()).await else {
                    return;
                };
                let on_sent = {
                    let dispatch = dispatch.clone();
                    Callback::from(move |ids| dispatch.dispatch(Action::Sent(ids)))
                };
                let on_returned = {
                    let dispatch = dispatch.clone();
                    Callback::from(move |(id, issues)| {
                        dispatch.dispatch(Action::Returned {
                            id,
                            issues,
                            now: device::now_millis(),
                            context: device::context(),
                        })
                    })
                };
                let on_status = {
                    let dispatch = dispatch.clone();
                    Callback::from(move |status| dispatch.dispatch(Action::Upload(status)))
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
                );
                if let Some(assignments) = started.store.assignments().await.ok().flatten() {
                    dispatch.dispatch(Action::Assignments {
                        assignments,
                        context: device::context(),
                    });
                }
                if let Some(token) = started.token {
                    refresh_assignments(started.store.clone(), token.clone(), dispatch.clone());
                    outbox.signed_in(token);
                }
                let mut queued = Vec::new();
                for (id, form_id, status, revision) in started.stored {
                    persisted
                        .borrow_mut()
                        .insert(id.clone(), (status, revision));
                    // Only records of the form on screen: the state that takes their results
                    // holds only those. Other forms' records wait until their form is opened.
                    if status == Status::Queued && form_id == started.form_id {
                        queued.push(Event::Queued(id));
                    }
                }
                outbox.handle_all(queued);
                *driver.borrow_mut() = Some(outbox);
                store.set(Some(started.store));
            });
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

    // Mirror every changed record to the device, then tell the outbox about newly queued ones.
    {
        let driver = driver.clone();
        let persisted = persisted.clone();
        let dispatch = state.dispatcher();
        let changed: Vec<Record> = state
            .draft
            .iter()
            .chain(state.records.iter())
            .filter(|r| persisted.borrow().get(&r.id) != Some(&(r.status, r.revision)))
            .cloned()
            .collect();
        use_effect_with(((*store).clone(), changed), move |(store, changed)| {
            if let (Some(store), false) = (store.clone(), changed.is_empty()) {
                let records = changed.clone();
                for record in &records {
                    persisted
                        .borrow_mut()
                        .insert(record.id.clone(), (record.status, record.revision));
                }
                // Every record changed by one action is written in one transaction.
                wasm_bindgen_futures::spawn_local(async move {
                    match store.put_many(&records).await {
                        Ok(()) => {
                            if let Some(d) = driver.borrow().as_ref() {
                                d.handle_all(
                                    records
                                        .iter()
                                        .filter(|r| r.status == Status::Queued)
                                        .map(|r| Event::Queued(r.id.clone())),
                                );
                            }
                        }
                        Err(e) => {
                            // Not stored: forget they were, so the next change writes them again.
                            for record in &records {
                                persisted.borrow_mut().remove(&record.id);
                            }
                            dispatch.dispatch(Action::StorageFailed(e.to_string()))
                        }
                    }
                });
            }
        });
    }

    // Keep the document's language in step with the interface.
    use_effect_with(state.locale, |locale| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", locale.tag());
        }
    });

    let on_change = {
        let dispatch = state.dispatcher();
        use_callback((), move |(field, value): (String, Json), _| {
            dispatch.dispatch(Action::Answer {
                field,
                value,
                now: device::now_millis(),
                context: device::context(),
            })
        })
    };
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
            dispatch.dispatch(Action::OpenDraft {
                id,
                now: device::now_millis(),
                context: device::context(),
            })
        })
    };
    let sign_in = {
        let dispatch = state.dispatcher();
        let store = store.clone();
        let driver = driver.clone();
        let locale = state.locale;
        Callback::from(move |(name, password): (String, String)| {
            let (dispatch, store, driver) = (dispatch.clone(), (*store).clone(), driver.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let request = doorstep_core::protocol::SignIn { name, password };
                match net::sign_in(&request).await {
                    Ok(session) => {
                        if let Some(store) = &store {
                            if let Err(e) = store.put_session(&session).await {
                                dispatch.dispatch(Action::StorageFailed(e.to_string()));
                            }
                        }
                        let token = session.token.clone();
                        dispatch.dispatch(Action::SignedIn {
                            session,
                            context: device::context(),
                        });
                        if let Some(store) = store.clone() {
                            refresh_assignments(store, token.clone(), dispatch.clone());
                        }
                        if let Some(d) = driver.borrow().as_ref() {
                            d.signed_in(token);
                        }
                    }
                    Err(net::NetError::Status { status: 401, .. }) => dispatch
                        .dispatch(Action::SignInFailed(Text::SignInWrong.get(locale).into())),
                    Err(net::NetError::Unreachable(_)) => dispatch
                        .dispatch(Action::SignInFailed(Text::SignInOffline.get(locale).into())),
                    Err(e) => dispatch.dispatch(Action::SignInFailed(e.to_string())),
                }
            });
        })
    };
    let upload_now = {
        let driver = driver.clone();
        Callback::from(move |_| {
            if let Some(d) = driver.borrow().as_ref() {
                // The collector asks: do not wait out the backoff.
                d.handle(Event::Retry);
            }
        })
    };
    let switch_locale = {
        let dispatch = state.dispatcher();
        let other = state.locale.other();
        Callback::from(move |_| dispatch.dispatch(Action::SetLocale(other)))
    };

    let locale = state.locale;
    let t = |text: Text| text.get(locale);
    let main = match &state.phase {
        Phase::Loading => html! { <p class="loading" role="status">{ t(Text::Loading) }</p> },
        Phase::Failed(message) => html! {
            <div class="load-error" role="alert">
                <h1>{ t(Text::FormFailed) }</h1>
                <pre>{ message }</pre>
            </div>
        },
        Phase::Ready if state.session.is_none() => html! {
            <SignInView locale={locale} error={state.sign_in_error.clone()} on_submit={sign_in} />
        },
        Phase::Ready => match (&state.form, &state.draft) {
            (Some(form), Some(draft)) => html! {
                <FormView form={form.clone()} draft={draft.clone()}
                    evaluation={state.evaluation.clone()} returned={state.returned.clone()}
                    attempted={state.attempted} locale={locale}
                    on_change={on_change} on_submit={on_submit} />
            },
            _ => html! {},
        },
    };
    let notice = state.notice.map(|notice| {
        let (text, class) = match notice {
            Notice::Queued => (t(Text::SubmittedWaiting), "notice waiting"),
            Notice::Sent => (t(Text::SubmittedSent), "notice sent"),
            Notice::Returned => (t(Text::Returned), "notice returned"),
            Notice::Migrated => (t(Text::Migrated), "notice returned"),
        };
        if notice == Notice::Migrated {
            // Name the answers that did not carry over, by their labels where the form has them.
            let lost: Vec<String> = state
                .not_carried
                .iter()
                .map(|path| {
                    let id = crate::components::field::field_of_path(path);
                    state
                        .form
                        .as_ref()
                        .and_then(|f| f.0.field_by_id(id))
                        .map_or_else(
                            || path.clone(),
                            |f| f.def.label.get(locale.tag()).to_string(),
                        )
                })
                .collect();
            return html! { <p class={class}>{ format!("{text}{}", lost.join("、")) }</p> };
        }
        html! { <p class={class}>{ text }</p> }
    });
    html! {
        <>
            <header class="bar">
                <span class="brand">{ t(Text::AppName) }</span>
                if forms.len() > 1 {
                    <nav class="forms" aria-label={t(Text::Forms)}>
                        { for forms.iter().map(|f| {
                            let current = state.form.as_ref().is_some_and(|form| form.0.def.id == f.id);
                            html! {
                                <a href={format!("?form={}", f.id)}
                                    aria-current={current.then_some("page")}>
                                    { f.title.get(locale.tag()) }
                                </a>
                            }
                        }) }
                    </nav>
                }
                <span class={classes!("network", if state.online { "online" } else { "offline" })} role="status">
                    { if state.online { t(Text::Online) } else { t(Text::Offline) } }
                </span>
                <button type="button" class="locale" onclick={switch_locale}
                    aria-label={t(Text::SwitchLanguage)} lang={locale.other().tag()}>
                    { locale.other().name() }
                </button>
            </header>
            <main>
                if let Some(error) = &state.storage_error {
                    <p class="storage-error" role="alert">{ format!("{}: {error}", t(Text::StorageFailed)) }</p>
                }
                <div aria-live="polite" class="notices">{ for notice }</div>
                <UploadBar status={state.upload} online={state.online} locale={locale} on_upload={upload_now} />
                <ContextProvider<AreaRef> context={AreaRef(state.area.clone())}>
                    { main }
                </ContextProvider<AreaRef>>
                <RecordList records={state.records.clone()} locale={locale} on_open={on_open}
                    title_field={state.form.as_ref().and_then(|f| f.0.fields.iter()
                        .find(|field| field.def.field_type == doorstep_core::schema::FieldType::Text)
                        .map(|field| field.def.id.clone()))} />
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
    if status.total == 0 && status.last_success.is_none() {
        return html! {};
    }
    let text = if status.needs_sign_in {
        Text::SignInAgain.get(locale).to_string()
    } else if waiting == 0 {
        Text::AllUploaded.get(locale).to_string()
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
    records: Rc<Vec<Record>>,
    locale: Locale,
    /// The field whose answer names a record in the list: the form's first text field.
    title_field: Option<String>,
    /// Takes up a draft from the list.
    on_open: Callback<String>,
}

/// The completed records on this device and where each one is.
#[function_component(RecordList)]
fn record_list(props: &RecordListProps) -> Html {
    if props.records.is_empty() {
        return html! {};
    }
    let locale = props.locale;
    let count = |status: Status| props.records.iter().filter(|r| r.status == status).count();
    let hidden = props.records.len().saturating_sub(RECORDS_SHOWN);
    html! {
        <section class="records" aria-labelledby="records-title">
            <h2 id="records-title">{ Text::RecordsOnDevice.get(locale) }</h2>
            <p class="record-counts">
                { format!("{} {} · {} {} · {} {}",
                    Text::StatusDraft.get(locale), count(Status::Draft),
                    Text::StatusQueued.get(locale), count(Status::Queued),
                    Text::StatusSent.get(locale), count(Status::Sent)) }
            </p>
            <ul>
                { for props.records.iter().take(RECORDS_SHOWN).map(|r| {
                    let status = match r.status {
                        Status::Draft => Text::StatusDraft,
                        Status::Queued => Text::StatusQueued,
                        Status::Sent => Text::StatusSent,
                    };
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
                            if r.status == Status::Draft {
                                <button type="button" class="open" onclick={
                                    let (on_open, id) = (props.on_open.clone(), r.id.clone());
                                    Callback::from(move |_| on_open.emit(id.clone()))
                                }>{ Text::ContinueDraft.get(locale) }</button>
                            }
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
