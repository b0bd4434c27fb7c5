//! The app's only door to the network: fetching forms, signing in and posting records.

use doorstep_core::protocol::{
    ErrorBody, FormSummary, Session, SignIn, SubmissionBatch, SubmissionResponse,
};
use doorstep_core::region::RegionList;
use thiserror::Error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// Why a request did not give a usable answer.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NetError {
    /// No answer: offline, refused, timed out, or the request could not be made.
    #[error("no answer from the server: {0}")]
    Unreachable(String),
    /// The server answered with an error status.
    #[error("the server answered {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The server's error message, or the status text.
        message: String,
    },
    /// The answer could not be read.
    #[error("the server's answer is unreadable: {0}")]
    BadBody(String),
}

impl NetError {
    /// Whether trying again later may succeed (network trouble or a server error).
    pub fn is_retryable(&self) -> bool {
        match self {
            NetError::Unreachable(_) | NetError::BadBody(_) => true,
            NetError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
        }
    }
}

fn js_error(e: JsValue) -> NetError {
    NetError::Unreachable(
        e.dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| format!("{e:?}")),
    )
}

async fn fetch(request: Request) -> Result<Response, NetError> {
    let window = web_sys::window().ok_or_else(|| NetError::Unreachable("no window".into()))?;
    JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)
}

/// The body of an answer, as text.
async fn read_text(response: &Response) -> Result<String, NetError> {
    Ok(JsFuture::from(response.text().map_err(js_error)?)
        .await
        .map_err(js_error)?
        .as_string()
        .unwrap_or_default())
}

/// The body of an answer, as the bytes the server sent: no detour through a JavaScript string,
/// which a large body would pay for twice (decoding it, then encoding it again for Rust).
async fn read_bytes(response: &Response) -> Result<Vec<u8>, NetError> {
    let buffer = JsFuture::from(response.array_buffer().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

async fn send(request: Request) -> Result<(u16, String), NetError> {
    let response = fetch(request).await?;
    let text = read_text(&response).await?;
    Ok((response.status(), text))
}

/// A 2xx answer's JSON read as `T`; anything else is a [`NetError`].
fn read_json<T: serde::de::DeserializeOwned>(status: u16, text: &str) -> Result<T, NetError> {
    if !(200..300).contains(&status) {
        return Err(status_error(status, text));
    }
    serde_json::from_str(text).map_err(|e| NetError::BadBody(e.to_string()))
}

fn status_error(status: u16, body: &str) -> NetError {
    let message = serde_json::from_str::<ErrorBody>(body)
        .map(|b| b.error.message)
        .unwrap_or_else(|_| body.chars().take(200).collect());
    NetError::Status { status, message }
}

/// Fetches a text resource, such as a form definition.
pub async fn get_text(url: &str) -> Result<String, NetError> {
    let init = RequestInit::new();
    init.set_method("GET");
    let request = Request::new_with_str_and_init(url, &init).map_err(js_error)?;
    let (status, text) = send(request).await?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(status_error(status, &text))
    }
}

/// How long an upload may take before it counts as failed and is retried.
const UPLOAD_TIMEOUT_MS: u32 = 30_000;

/// How long the collector's assignments (or the records delivered) may take to arrive before
/// the app goes on with the copy it keeps. A roster of 20,000 persons is about 205 KB on the
/// wire: two minutes is enough for it on a link of 20 kbit/s, and a link that answers nothing
/// cannot hold `init` or the `ready` event for ever.
const KEPT_TIMEOUT_MS: u32 = 120_000;

/// A request of the JSON API: an optional JSON body, an optional bearer token, an optional
/// time limit.
fn api_request(
    method: &str,
    url: &str,
    body: Option<&str>,
    token: Option<&str>,
    timeout_ms: Option<u32>,
) -> Result<Request, NetError> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    if let Some(ms) = timeout_ms {
        init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(ms)));
    }
    let request = Request::new_with_str_and_init(url, &init).map_err(js_error)?;
    let headers = request.headers();
    if body.is_some() {
        headers
            .set("Content-Type", "application/json")
            .map_err(js_error)?;
    }
    if let Some(token) = token {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(js_error)?;
    }
    Ok(request)
}

/// One call of the JSON API ([`api_request`]); a 2xx answer is read as `T`, anything else is
/// a [`NetError`].
async fn call_api<T: serde::de::DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
    token: Option<&str>,
    timeout_ms: Option<u32>,
) -> Result<T, NetError> {
    let request = api_request(method, url, body.as_deref(), token, timeout_ms)?;
    let (status, text) = send(request).await?;
    read_json(status, &text)
}

fn json_body(value: &impl serde::Serialize) -> Result<String, NetError> {
    serde_json::to_string(value).map_err(|e| NetError::BadBody(e.to_string()))
}

/// The forms the server offers.
pub async fn get_forms() -> Result<Vec<FormSummary>, NetError> {
    call_api("GET", "/api/v1/forms", None, None, None).await
}

/// The configured area's region lists.
pub async fn get_regions() -> Result<Vec<RegionList>, NetError> {
    call_api("GET", "/api/v1/regions", None, None, None).await
}

/// A signed-in GET of an answer the device keeps with the server's tag of it (the assignments,
/// the records delivered). Naming the tag of the answer the device holds (`held`), the answer
/// is [`Tagged::Unchanged`] when the server still has that one: nothing is sent again.
pub async fn get_tagged<T: serde::de::DeserializeOwned>(
    url: &str,
    token: &str,
    held: Option<&str>,
) -> Result<Tagged<T>, NetError> {
    let request = api_request("GET", url, None, Some(token), Some(KEPT_TIMEOUT_MS))?;
    if let Some(held) = held {
        request
            .headers()
            .set("If-None-Match", held)
            .map_err(js_error)?;
    }
    let response = fetch(request).await?;
    if response.status() == 304 {
        return Ok(Tagged::Unchanged);
    }
    let tag = response.headers().get("ETag").ok().flatten();
    let status = response.status();
    let body = read_bytes(&response).await?;
    let value = {
        let text = String::from_utf8_lossy(&body);
        if matches!(text, std::borrow::Cow::Owned(_)) && (200..300).contains(&status) {
            return Err(NetError::BadBody(format!("{url}: the answer is not UTF-8")));
        }
        read_json(status, &text)?
    };
    Ok(Tagged::Changed { value, body, tag })
}

/// What the server answered for an answer the device keeps.
pub enum Tagged<T> {
    /// Another answer than the one held (or none was named), with the server's tag of it.
    Changed {
        /// The answer.
        value: T,
        /// Its JSON, the bytes as the server sent them: what the device keeps.
        body: Vec<u8>,
        /// The tag to name it by next time.
        tag: Option<String>,
    },
    /// The very answer the device holds: nothing was sent again.
    Unchanged,
}

/// Signs a collector in and returns the session the server hands out.
pub async fn sign_in(request: &SignIn) -> Result<Session, NetError> {
    call_api(
        "POST",
        "/api/v1/sessions",
        Some(json_body(request)?),
        None,
        None,
    )
    .await
}

/// Posts a batch of records, signed in with `token`, and returns the server's answer for
/// each. A request that hangs (a weak connection that never answers) gives up after 30 s, so
/// it cannot hold the outbox.
pub async fn post_submissions(
    batch: &SubmissionBatch,
    token: &str,
) -> Result<SubmissionResponse, NetError> {
    call_api(
        "POST",
        "/api/v1/submissions",
        Some(json_body(batch)?),
        Some(token),
        Some(UPLOAD_TIMEOUT_MS),
    )
    .await
}

/// Whether the browser believes it is online.
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}
