//! The one module that talks to a host embedding the app: a native app's WebView, or a web page
//! with the app in an iframe (`docs/embedding.md`).
//!
//! The host drives the app through `window.doorstep` (`init`, `open`, `prefill`, `sync`,
//! `records`, each returning a Promise), through the same calls sent by `postMessage` when it
//! is on another origin, or through the address (`#token=…&collector=…&locale=…`) when it can
//! only load a URL. The app tells the host what happens (`ready`, `draft-saved`, `completed`,
//! `queued`, `synced`, `rejected`, `error`) by `postMessage` to the parent window and through
//! a native bridge object when one is present. Every message carries `"doorstep": 1`, the
//! version of this format.

use std::cell::RefCell;
use std::rc::Rc;

use doorstep_core::protocol::Session;
use doorstep_core::schema::{FieldType, RecordUnit};
use doorstep_core::{Record, Status};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use thiserror::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::UseReducerDispatcher;

use crate::i18n::Locale;
use crate::outbox::OutboxDriver;
use crate::state::{Action, DrawnState, State, Subject, UploadStatus};
use crate::store::DeviceStore;

/// The calls of the host API, as `window.doorstep` has them and `postMessage` names them.
pub const CALLS: [&str; 5] = ["init", "open", "prefill", "sync", "records"];

/// The version of the message format; every message carries it as `"doorstep"`.
/// `static/stopped.js` writes its one event (`error` with `stopped: true`) in the same shape by
/// itself, as it must work when the wasm has stopped: a change here changes it too.
pub const PROTOCOL: u32 = 1;

/// The name of the native bridge object a WebView host may add (on Android,
/// `addJavascriptInterface(bridge, "DoorstepBridge")`); its `postMessage(json)` receives every
/// event as a JSON string.
pub const BRIDGE: &str = "DoorstepBridge";

/// When a sign-in a host made expires, as far as the app knows: never (the host renews it, and
/// the server answers 401 once it has expired). It is JavaScript's largest exact integer,
/// 2^53 - 1: the sign-in is kept on the device as a JavaScript object, and a larger number
/// would not read back, so the app would start with nobody signed in.
pub const HOST_SIGN_IN_EXPIRES: i64 = 9_007_199_254_740_991;

/// Why a host's call was refused; the Promise is rejected with this message.
#[derive(Debug, Error, PartialEq)]
pub enum HostError {
    /// The arguments are not what the call takes.
    #[error("{call}: {message}")]
    BadArguments {
        /// The call.
        call: &'static str,
        /// What is wrong with its arguments.
        message: String,
    },
    /// The app is not ready for the call.
    #[error("{call}: {message}")]
    NotNow {
        /// The call.
        call: &'static str,
        /// Why not now.
        message: String,
    },
    /// The call names a method the API does not have.
    #[error("no such call `{0}`; the calls are init, open, prefill, sync and records")]
    UnknownCall(String),
}

fn bad(call: &'static str, message: impl Into<String>) -> HostError {
    HostError::BadArguments {
        call,
        message: message.into(),
    }
}

fn not_now(call: &'static str, message: impl Into<String>) -> HostError {
    HostError::NotNow {
        call,
        message: message.into(),
    }
}

/// What the host API reaches into: set by the root component, the state refreshed on every
/// render.
#[derive(Clone)]
pub struct Handle {
    /// The reducer.
    pub dispatch: UseReducerDispatcher<DrawnState>,
    /// The outbox driver, once started.
    pub driver: Rc<RefCell<Option<OutboxDriver>>>,
    /// The state as last rendered (a handle: cloning it copies nothing).
    pub state: yew::UseReducerHandle<DrawnState>,
}

thread_local! {
    static HANDLE: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// Promises of `sync()` waiting for the outbox to settle.
    static SYNCS: RefCell<Vec<js_sys::Function>> = const { RefCell::new(Vec::new()) };
    /// Where events go besides a native bridge: the host's origin once known.
    static HOST_ORIGIN: RefCell<Option<String>> = const { RefCell::new(None) };
    /// How the app's start went, once it is over: the device store it opened, or `None` when
    /// it could not start.
    static STARTED: RefCell<Option<Option<DeviceStore>>> = const { RefCell::new(None) };
    /// Settled when the start is over ([`started`]): a call made before waits for it.
    static START_GATE: (js_sys::Promise, js_sys::Function) = start_gate();
}

fn start_gate() -> (js_sys::Promise, js_sys::Function) {
    let mut settle = None;
    let gate = js_sys::Promise::new(&mut |resolve, _reject| settle = Some(resolve));
    // A Promise runs its executor at once, so `settle` is set; a function that does nothing
    // stands in should it not be.
    (
        gate,
        settle.unwrap_or_else(|| js_sys::Function::new_no_args("")),
    )
}

/// Tells the host API that the app's start is over (the store open, the forms and records
/// loaded; before the address's configuration is applied and `ready` sent): with the device
/// store, or `None` when the app could not start. Calls the host made before
/// (a native host may call `init` as soon as the page has loaded) go on now, with the store:
/// a sign-in they make is kept on the device and fetches the roster, as one made later does.
pub fn started(store: Option<DeviceStore>) {
    STARTED.with(|s| *s.borrow_mut() = Some(store));
    START_GATE.with(|(_, settle)| {
        let _ = settle.call0(&JsValue::NULL);
    });
}

/// Waits until the app's start is over, and gives the device store it opened.
async fn after_start(call: &'static str) -> Result<DeviceStore, HostError> {
    let gate = START_GATE.with(|(gate, _)| gate.clone());
    // The gate is only ever resolved.
    let _ = wasm_bindgen_futures::JsFuture::from(gate).await;
    STARTED.with(|s| s.borrow().clone()).flatten().ok_or_else(|| {
        not_now(
            call,
            "the app could not start (its storage or its forms are unavailable; the screen says which)",
        )
    })
}

/// Gives the host API the app's latest state and handles.
pub fn update(handle: Handle) {
    HANDLE.with(|h| *h.borrow_mut() = Some(handle));
}

fn handle(call: &'static str) -> Result<Handle, HostError> {
    HANDLE.with(|h| h.borrow().clone()).ok_or_else(|| {
        not_now(
            call,
            "the app has not drawn itself yet; wait for the `ready` event",
        )
    })
}

/// Sends an event to the host: the parent window (when the app is in a frame) and the native
/// bridge (when there is one).
pub fn emit(event: &str, data: Json) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let post = js_sys::Reflect::get(&window, &BRIDGE.into())
        .ok()
        .and_then(|bridge| {
            let post = js_sys::Reflect::get(&bridge, &"postMessage".into()).ok()?;
            post.dyn_ref::<js_sys::Function>()
                .cloned()
                .map(|post| (bridge, post))
        });
    let parent = window.parent().ok().flatten().filter(|p| *p != window);
    // Nobody listening (a browser tab on its own): nothing to write out.
    if post.is_none() && parent.is_none() {
        return;
    }
    let message = json!({ "doorstep": PROTOCOL, "type": "event", "event": event, "data": data });
    let text = message.to_string();
    if let Some((bridge, post)) = post {
        let _ = post.call1(&bridge, &JsValue::from_str(&text));
    }
    if let Some(parent) = parent {
        if let Ok(value) = js_sys::JSON::parse(&text) {
            // Events name records: they go only to the host's origin once it is known (its
            // calls tell it), and until then to this origin, so a foreign page framing the app
            // learns nothing.
            let origin = HOST_ORIGIN
                .with(|o| o.borrow().clone())
                .or_else(|| window.location().origin().ok())
                .unwrap_or_default();
            let _ = parent.post_message(&value, &origin);
        }
    }
}

/// Tells waiting `sync()` calls how uploads went, once the outbox has settled.
pub fn upload_status(status: UploadStatus) {
    if status.uploading {
        return;
    }
    let waiting: Vec<js_sys::Function> = SYNCS.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let result = to_js(&json!({
        "uploaded": status.done,
        "waiting": status.total.saturating_sub(status.done),
        "needsSignIn": status.needs_sign_in,
        "waitingForCollector": status.held,
    }));
    for resolve in waiting {
        let _ = resolve.call1(&JsValue::NULL, &result);
    }
}

fn to_js(value: &Json) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL)
}

fn from_js(call: &'static str, value: &JsValue) -> Result<Json, HostError> {
    if value.is_undefined() {
        return Ok(Json::Null);
    }
    let text: String = js_sys::JSON::stringify(value)
        .map_err(|_| bad(call, "the argument cannot be read as JSON"))?
        .into();
    serde_json::from_str(&text).map_err(|e| bad(call, e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(call: &'static str, value: Json) -> Result<T, HostError> {
    serde_json::from_value(value).map_err(|e| bad(call, e.to_string()))
}

/// The argument of `init`.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InitConfig {
    /// The server's origin; the app talks to the server that serves it, so this must be it.
    #[serde(default)]
    pub server: Option<String>,
    /// A bearer token the host obtained by signing the collector in.
    #[serde(default)]
    pub token: Option<String>,
    /// The collector's account name, with the token.
    #[serde(default)]
    pub collector: Option<String>,
    /// `zh-CN` or `en`.
    #[serde(default)]
    pub locale: Option<String>,
}

/// The configuration a host that can only load a URL puts in the address: the query or the
/// fragment, `server`, `token`, `collector` and `locale`, percent-encoded.
pub fn config_from_address() -> Option<InitConfig> {
    let location = web_sys::window()?.location();
    let mut config = InitConfig::default();
    let mut any = false;
    for part in [
        location.search().unwrap_or_default(),
        location.hash().unwrap_or_default(),
    ] {
        for pair in part.trim_start_matches(['?', '#']).split('&') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let value: String = js_sys::decode_uri_component(value)
                .map(Into::into)
                .unwrap_or_else(|_| value.to_string());
            let slot = match key {
                "server" => &mut config.server,
                "token" => &mut config.token,
                "collector" => &mut config.collector,
                "locale" => &mut config.locale,
                _ => continue,
            };
            *slot = Some(value);
            any = true;
        }
    }
    if any {
        // The token does not stay in the address (nor in the history): the query keeps its
        // other parts, the fragment goes.
        let search = location.search().unwrap_or_default();
        let rest: Vec<&str> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|pair| {
                !pair.is_empty()
                    && !["server", "token", "collector", "locale"]
                        .iter()
                        .any(|key| pair.split('=').next() == Some(key))
            })
            .collect();
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        let address = if rest.is_empty() {
            path
        } else {
            format!("{path}?{}", rest.join("&"))
        };
        crate::device::show_address(&address);
    }
    any.then_some(config)
}

/// What a checked `init` asks for: a language, and a sign-in (token and collector).
#[derive(Debug, PartialEq)]
pub struct Checked {
    /// The language to switch to.
    pub locale: Option<Locale>,
    /// The bearer token and the collector's name.
    pub sign_in: Option<(String, String)>,
}

/// Checks an `init` configuration against this page: what to do, or why not.
pub fn check_config(config: &InitConfig, origin: &str) -> Result<Checked, HostError> {
    if let Some(server) = &config.server {
        if server.trim_end_matches('/') != origin {
            return Err(bad(
                "init",
                format!("server `{server}` is not the server this app was loaded from ({origin}); load the app from the server it sends records to"),
            ));
        }
    }
    let locale = match config.locale.as_deref() {
        None => None,
        Some(tag) => Some(
            Locale::from_tag(tag)
                .ok_or_else(|| bad("init", format!("locale `{tag}` is not one of zh-CN, en")))?,
        ),
    };
    let sign_in = match (&config.token, &config.collector) {
        (None, None) => None,
        (Some(token), Some(collector)) if !token.is_empty() && !collector.is_empty() => {
            Some((token.clone(), collector.clone()))
        }
        _ => {
            return Err(bad(
                "init",
                "token and collector are given together, and neither may be empty",
            ))
        }
    };
    Ok(Checked { locale, sign_in })
}

/// Applies a checked configuration: the language, and the sign-in the host made (kept on the
/// device, as a sign-in on the sign-in screen is).
pub async fn apply_config(
    config: InitConfig,
    dispatch: UseReducerDispatcher<DrawnState>,
    store: Option<DeviceStore>,
    driver: Rc<RefCell<Option<OutboxDriver>>>,
    locale_now: Locale,
    held: Option<String>,
) -> Result<Json, HostError> {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let Checked { locale, sign_in } = check_config(&config, &origin)?;
    if let Some(locale) = locale {
        dispatch.dispatch(Action::SetLocale(locale));
    }
    if let Some((token, collector)) = sign_in {
        // The villages come with the assignments, fetched next.
        let session = Session {
            token,
            collector,
            villages: Vec::new(),
            expires_at: HOST_SIGN_IN_EXPIRES,
        };
        crate::app::signed_in(session, store, held, &dispatch, &driver)
            .await
            .map_err(|e| not_now("init", e.to_string()))?;
    }
    let locale = locale.unwrap_or(locale_now);
    Ok(json!({ "locale": locale.tag(), "collector": config.collector }))
}

/// The argument of `open`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OpenTarget {
    #[serde(default)]
    cert_no: Option<String>,
    #[serde(default)]
    record_id: Option<String>,
}

fn open(
    state: &State,
    dispatch: &UseReducerDispatcher<DrawnState>,
    arg: Json,
) -> Result<Json, HostError> {
    let target: OpenTarget = parse("open", arg)?;
    let now = crate::device::now_millis();
    let context = crate::device::context();
    match (target.cert_no, target.record_id) {
        (Some(cert), None) => {
            let form = state
                .form_for(RecordUnit::Person)
                .ok_or_else(|| not_now("open", "no form for persons is loaded"))?;
            // A number reissued since the roster was made finds the person's line too.
            let person = doorstep_core::record::listed_person(&form.0, &state.roster, &cert)
                .cloned()
                .ok_or_else(|| {
                    bad(
                        "open",
                        format!("certificate number `{cert}` is not on this collector's roster"),
                    )
                })?;
            let form_id = form.0.def.id.clone();
            let existing = state
                .record_of(&form_id, &person.cert_no)
                .map(|r| r.id.clone());
            let id = existing.unwrap_or_else(crate::device::new_record_id);
            dispatch.dispatch(Action::Start {
                form_id,
                subject: Subject::Person(person),
                new_id: id.clone(),
                now,
                context,
            });
            Ok(json!({ "recordId": id }))
        }
        (None, Some(id)) => {
            let known = state
                .records
                .iter()
                .chain(state.draft.iter())
                .any(|r| r.id == id);
            if !known {
                return Err(bad(
                    "open",
                    format!("there is no record `{id}` on this device"),
                ));
            }
            dispatch.dispatch(Action::OpenRecord {
                id: id.clone(),
                now,
                context,
            });
            Ok(json!({ "recordId": id }))
        }
        _ => Err(bad("open", "give exactly one of certNo and recordId")),
    }
}

fn prefill(
    state: &State,
    dispatch: &UseReducerDispatcher<DrawnState>,
    arg: Json,
) -> Result<Json, HostError> {
    let Json::Object(answers) = arg else {
        return Err(bad(
            "prefill",
            "the answers are an object of field ids and answers",
        ));
    };
    let (Some(form), Some(draft)) = (&state.form, &state.draft) else {
        return Err(not_now("prefill", "no record is open; call open first"));
    };
    if draft.status != Status::Draft {
        return Err(not_now(
            "prefill",
            format!("record `{}` is completed; it is not a draft", draft.id),
        ));
    }
    let unknown: Vec<&str> = answers
        .keys()
        .filter(|id| {
            form.0
                .field_by_id(id)
                .is_none_or(|f| f.def.field_type == FieldType::Calculated)
        })
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(bad(
            "prefill",
            format!(
                "form `{}` has no question {}",
                form.0.def.id,
                unknown.join(", ")
            ),
        ));
    }
    // The subject of a record of a roster line is the roster's: the host may repeat it, not
    // change it.
    if let (Some(field), Some(subject)) = (
        doorstep_core::record::locked_field(&form.0, &draft.answers, &draft.meta),
        draft.meta.subject.as_deref(),
    ) {
        let changes =
            |value: &Json| form.0.normalised(field, value.clone()).as_str() != Some(subject);
        if answers.get(field).is_some_and(changes) {
            return Err(bad(
                "prefill",
                format!(
                    "`{field}` of this record is the roster's `{subject}` and cannot be changed"
                ),
            ));
        }
    }
    let count = answers.len();
    // In form order, so that a question asked only after another is set after it.
    let mut ordered: Vec<(String, Json)> = answers.into_iter().collect();
    ordered.sort_by_key(|(id, _)| form.0.field_index(id).unwrap_or(usize::MAX));
    for (field, value) in ordered {
        dispatch.dispatch(Action::Answer {
            field,
            value,
            now: crate::device::now_millis(),
            context: crate::device::context(),
        });
    }
    // Answers draw only their questions (see `DrawnState`): the whole screen, and the draft's
    // write to the device, follow here, once for all of them.
    dispatch.dispatch(Action::Redraw);
    Ok(json!({ "recordId": draft.id, "answers": count }))
}

/// What `records()` and the events say about a record.
pub fn describe(record: &Record) -> Json {
    json!({
        "recordId": record.id,
        "form": record.form_id,
        "formVersion": record.form_version,
        "status": record.status,
        "returned": !record.returned.is_empty(),
        "subject": record.meta.subject,
        "offRoster": record.meta.off_roster,
        "revision": record.revision,
        "updatedAt": record.updated_at,
        "completedAt": record.completed_at,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFilter {
    #[serde(default)]
    status: Option<String>,
}

fn records(state: &State, arg: Json) -> Result<Json, HostError> {
    let filter: RecordFilter = if arg.is_null() {
        RecordFilter::default()
    } else {
        parse("records", arg)?
    };
    // The names are `Status`'s own (its serde names), as `describe` gives them.
    let wanted: Option<Status> = match filter.status {
        None => None,
        Some(status) => Some(
            serde_json::from_value(Json::String(status.clone())).map_err(|_| {
                bad(
                    "records",
                    format!("status `{status}` is not one of draft, completed, queued, sent"),
                )
            })?,
        ),
    };
    let list: Vec<Json> = state
        .records
        .iter()
        .chain(state.draft.iter())
        .filter(|r| wanted.is_none_or(|s| s == r.status))
        .map(describe)
        .collect();
    Ok(Json::Array(list))
}

/// Runs one call; `sync` answers later, through `resolve`.
async fn call(
    method: &'static str,
    arg: JsValue,
    resolve: js_sys::Function,
) -> Result<Option<Json>, HostError> {
    let store = after_start(method).await?;
    match method {
        "init" => {
            let config: InitConfig = parse("init", from_js("init", &arg)?)?;
            let h = handle("init")?;
            apply_config(
                config,
                h.dispatch.clone(),
                Some(store),
                h.driver.clone(),
                h.state.locale,
                h.state.roster_tag.clone(),
            )
            .await
            .map(Some)
        }
        "open" => {
            let h = handle("open")?;
            open(&h.state, &h.dispatch, from_js("open", &arg)?).map(Some)
        }
        "prefill" => {
            let h = handle("prefill")?;
            prefill(&h.state, &h.dispatch, from_js("prefill", &arg)?).map(Some)
        }
        "records" => {
            let h = handle("records")?;
            records(&h.state, from_js("records", &arg)?).map(Some)
        }
        "sync" => {
            let h = handle("sync")?;
            if h.state.session.is_none() {
                return Err(not_now(
                    "sync",
                    "nobody is signed in; call init with a token, or sign in",
                ));
            }
            let queued = h
                .state
                .records
                .iter()
                .chain(h.state.draft.iter())
                .filter(|r| r.status == Status::Queued)
                .count();
            if queued == 0 {
                return Ok(Some(
                    json!({ "uploaded": 0, "waiting": 0, "needsSignIn": false, "waitingForCollector": 0 }),
                ));
            }
            SYNCS.with(|s| s.borrow_mut().push(resolve));
            if let Some(driver) = h.driver.borrow().as_ref() {
                driver.handle(doorstep_core::sync::Event::Retry);
            }
            Ok(None)
        }
        other => Err(HostError::UnknownCall(other.to_string())),
    }
}

/// A Promise for one call.
fn promise(method: &'static str, arg: JsValue) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let arg = arg.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match call(method, arg, resolve.clone()).await {
                Ok(Some(value)) => {
                    let _ = resolve.call1(&JsValue::NULL, &to_js(&value));
                }
                Ok(None) => {}
                Err(e) => {
                    let _ = reject.call1(&JsValue::NULL, &js_sys::Error::new(&e.to_string()));
                }
            }
        });
    })
}

/// Puts `window.doorstep` in place and listens for calls sent by `postMessage`.
pub fn install() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&api, &"version".into(), &JsValue::from(PROTOCOL));
    for method in CALLS {
        let function =
            Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(move |arg| promise(method, arg));
        let _ = js_sys::Reflect::set(&api, &method.into(), function.as_ref());
        function.forget();
    }
    let _ = js_sys::Reflect::set(&window, &"doorstep".into(), &api);

    // Calls from a host on another origin: {doorstep: 1, type: "call", id, method, args}; the
    // answer goes back to that window and origin as {doorstep: 1, type: "result", id, ok,
    // value | error}.
    let listener = Closure::<dyn Fn(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
        let Ok(message) = from_js("message", &event.data()) else {
            return;
        };
        if message.get("doorstep") != Some(&json!(PROTOCOL))
            || message.get("type") != Some(&json!("call"))
        {
            return;
        }
        let origin = event.origin();
        // Calls come only from the page that frames the app (the server's `frame-ancestors`
        // says which pages may), never from a window that merely opened it; and only from the
        // first origin that called.
        let Some(window) = web_sys::window() else {
            return;
        };
        let from_parent = match (window.parent(), event.source()) {
            (Ok(Some(parent)), Some(source)) => {
                parent != window && JsValue::from(parent) == JsValue::from(source)
            }
            _ => false,
        };
        let known = HOST_ORIGIN.with(|o| {
            let mut o = o.borrow_mut();
            match o.as_ref() {
                Some(first) => *first == origin,
                None if from_parent => {
                    *o = Some(origin.clone());
                    true
                }
                None => false,
            }
        });
        if !from_parent || !known {
            return;
        }
        let id = message.get("id").cloned().unwrap_or(Json::Null);
        let method = message
            .get("method")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let args = message.get("args").map(to_js).unwrap_or(JsValue::UNDEFINED);
        let Some(source) = event
            .source()
            .and_then(|s| s.dyn_into::<web_sys::Window>().ok())
        else {
            return;
        };
        let method: &'static str = match CALLS.iter().find(|call| **call == method) {
            Some(call) => call,
            None => {
                let answer = json!({ "doorstep": PROTOCOL, "type": "result", "id": id, "ok": false,
                    "error": HostError::UnknownCall(method).to_string() });
                let _ = source.post_message(&to_js(&answer), &origin);
                return;
            }
        };
        let promise = promise(method, args);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(value) => json!({ "doorstep": PROTOCOL, "type": "result", "id": id, "ok": true,
                    "value": from_js("result", &value).unwrap_or(Json::Null) }),
                Err(error) => {
                    let message = js_sys::Reflect::get(&error, &"message".into())
                        .ok()
                        .and_then(|m| m.as_string())
                        .unwrap_or_default();
                    json!({ "doorstep": PROTOCOL, "type": "result", "id": id, "ok": false, "error": message })
                }
            };
            let _ = source.post_message(&to_js(&answer), &origin);
        });
    });
    let _ = window.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref());
    listener.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_checks_its_configuration() {
        let origin = "http://127.0.0.1:8080";
        let ok = InitConfig {
            server: Some("http://127.0.0.1:8080/".into()),
            token: Some("t".into()),
            collector: Some("王五".into()),
            locale: Some("en".into()),
        };
        assert_eq!(
            check_config(&ok, origin),
            Ok(Checked {
                locale: Some(Locale::En),
                sign_in: Some(("t".into(), "王五".into()))
            })
        );
        let elsewhere = InitConfig {
            server: Some("https://example.org".into()),
            ..InitConfig::default()
        };
        let error = check_config(&elsewhere, origin).expect_err("another server");
        assert!(error.to_string().contains("https://example.org"), "{error}");
        let locale = InitConfig {
            locale: Some("fr".into()),
            ..InitConfig::default()
        };
        assert!(check_config(&locale, origin)
            .expect_err("locale")
            .to_string()
            .contains("`fr`"));
        let half = InitConfig {
            token: Some("t".into()),
            ..InitConfig::default()
        };
        assert!(check_config(&half, origin).is_err());
        let unknown: Result<InitConfig, _> = parse("init", json!({"tokn": "t"}));
        assert!(unknown
            .expect_err("unknown key")
            .to_string()
            .starts_with("init: unknown field `tokn`"));
    }
}
