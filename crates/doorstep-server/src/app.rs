//! The HTTP routes: the API, the forms, and the built app with its service worker.
//!
//! [`app`] builds the whole [`Router`] from an [`AppState`], so tests drive it without a socket
//! and `doorstep serve` puts the same router on one.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_core::protocol::{
    answers_hash, AssignedVillage, Assignments, Delivered, FormSummary, Outcome, RosterPerson,
    Session, SignIn, Submission, SubmissionBatch, SubmissionResponse, SubmissionResult,
    MAX_BATCH_RECORDS, MAX_BODY_BYTES,
};
use doorstep_core::record::{listed_person, off_roster_key, on_roster_issue};
use doorstep_core::region::RegionList;
use doorstep_core::schema::FieldType;
use doorstep_core::{Context, Evaluation, Issue, Localized, Severity};
use sha2::{Digest, Sha256};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

use crate::accounts;
use crate::error::AppError;
use crate::forms::FormRegistry;
use crate::limit::RateLimiter;
use crate::store::{Collector, Store};

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The forms, loaded at start.
    pub forms: Arc<FormRegistry>,
    /// The database.
    pub store: Arc<Mutex<Store>>,
    /// The built app (Trunk's `dist/`).
    pub app_dir: PathBuf,
    /// The folder the forms were loaded from, served under `/schemas/`.
    pub schemas_dir: PathBuf,
    /// Requests per bearer token, and sign-in attempts per account name.
    pub limiter: Arc<Mutex<RateLimiter>>,
    /// The `Content-Security-Policy` every answer carries: who may show the app in a frame
    /// (by default only pages of this server, so a foreign page cannot frame the app and call
    /// its host API). Set with [`AppState::allow_framing_by`].
    pub frame_policy: axum::http::HeaderValue,
}

/// The default `frame-ancestors`: pages of this server only.
pub const SELF_ONLY: &str = "'self'";

/// Bursts of 120 requests per token, then 2 a second: an outbox uploads one batch at a time.
pub const RATE_BURST: u32 = 120;
/// The sustained rate per token, in requests per second.
pub const RATE_PER_SECOND: f64 = 2.0;

impl AppState {
    /// The state for these forms, database and folders, with the default rate limits.
    pub fn new(forms: FormRegistry, store: Store, app_dir: PathBuf, schemas_dir: PathBuf) -> Self {
        AppState {
            forms: Arc::new(forms),
            store: Arc::new(Mutex::new(store)),
            app_dir,
            schemas_dir,
            limiter: Arc::new(Mutex::new(RateLimiter::new(RATE_BURST, RATE_PER_SECOND))),
            frame_policy: axum::http::HeaderValue::from_static("frame-ancestors 'self'"),
        }
    }

    /// Lets these CSP `frame-ancestors` sources (such as `'self' https://host.example`) show
    /// the app in a frame; an error when they cannot be a header value.
    pub fn allow_framing_by(
        mut self,
        sources: &str,
    ) -> Result<Self, axum::http::header::InvalidHeaderValue> {
        self.frame_policy =
            axum::http::HeaderValue::from_str(&format!("frame-ancestors {sources}"))?;
        Ok(self)
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request against `key`'s budget.
    fn limit(&self, key: &str) -> Result<(), AppError> {
        let mut limiter = self
            .limiter
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        limiter
            .take(key, std::time::Instant::now())
            .map_err(|wait| AppError::RateLimited {
                retry_after: wait.as_secs().max(1),
            })
    }

    /// The collector a request's bearer token signs in, after counting the request against the
    /// token's budget. Runs on a blocking thread (it reads the database).
    fn authenticate(&self, headers: &HeaderMap) -> Result<Collector, AppError> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthorized)?;
        let hash = accounts::token_hash(token);
        self.limit(&hash)?;
        self.store()
            .session(&hash, now_millis())?
            .ok_or(AppError::Unauthorized)
    }
}

/// The OpenAPI description of the interface (`docs/openapi.json`).
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// The Brotli and gzip quality for responses compressed as they are sent.
const DYNAMIC_QUALITY: i32 = 4;

/// The whole server as one router.
pub fn app(state: AppState) -> Router {
    let index = state.app_dir.join("index.html");
    // The app's files go out as the Brotli or gzip copies `cargo xtask build-app` writes beside
    // them, to browsers that accept those; a file without copies is compressed on the way out.
    let app_files = ServeDir::new(&state.app_dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    // Which copy went out depends on what the browser accepts; a cache in between must know.
    let app_files = SetResponseHeader::if_not_present(
        app_files,
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    );
    let schemas = ServeDir::new(&state.schemas_dir);
    Router::new()
        .route("/api/v1/health", get(|| async { "ok" }))
        .route("/api/v1/forms", get(list_forms))
        .route("/api/v1/regions", get(list_regions))
        .route(
            "/api/v1/sessions",
            post(sign_in).layer(DefaultBodyLimit::max(16 * 1024)),
        )
        .route("/api/v1/assignments", get(assignments))
        .route("/api/v1/delivered", get(delivered))
        .route(
            "/api/v1/openapi.json",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    OPENAPI,
                )
            }),
        )
        .route(
            "/api/v1/submissions",
            post(submit).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .nest_service("/schemas", schemas)
        .fallback_service(app_files)
        // Who may frame the app: hosts that embed it are named when the server starts.
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::CONTENT_SECURITY_POLICY,
            state.frame_policy.clone(),
        ))
        // Everything else (forms, rosters, the API's answers) is compressed on the way out, at
        // a quality that suits compressing per response: on the app's wasm, Brotli's best (11)
        // took 2.4 s where 4 took 36 ms, for 17% less. Responses already compressed pass as
        // they are.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(DYNAMIC_QUALITY)))
        .with_state(state)
}

async fn list_forms(State(state): State<AppState>) -> Json<Vec<FormSummary>> {
    let forms = state
        .forms
        .iter()
        .map(|(form, path)| FormSummary {
            id: form.def.id.clone(),
            version: form.def.version.clone(),
            title: form.def.title.clone(),
            url: format!(
                "/schemas/{}",
                path.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
            ),
        })
        .collect();
    Json(forms)
}

/// Signs a collector in: checks the password (argon2, on a blocking thread) and hands out a
/// bearer token that expires after [`accounts::SESSION_MILLIS`].
async fn sign_in(
    State(state): State<AppState>,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<Json<Session>, AppError> {
    let Json(request) = body.map_err(|e| AppError::MalformedJson(e.body_text()))?;
    state.limit(&format!("sign-in:{}", request.name))?;
    let session = tokio::task::spawn_blocking(move || -> Result<Session, AppError> {
        let collector = state.store().collector(&request.name)?;
        let Some(collector) =
            collector.filter(|c| accounts::verify_password(&request.password, &c.password_hash))
        else {
            return Err(AppError::BadCredentials);
        };
        let token = accounts::new_token();
        let now = now_millis();
        let expires_at = now + accounts::SESSION_MILLIS;
        state.store().add_session(
            &accounts::token_hash(&token),
            &collector.name,
            expires_at,
            now,
        )?;
        Ok(Session {
            token,
            collector: collector.name,
            villages: collector.villages,
            expires_at,
        })
    })
    .await??;
    Ok(Json(session))
}

/// The signed-in collector's villages and the roster's persons in them, with an entity tag of
/// the answer. A device that names that tag in `If-None-Match` holds this very answer already,
/// and gets `304 Not Modified` without it: a roster of 20,000 persons is 1.6 MB of JSON the
/// device would otherwise download, read and store again at every start.
async fn assignments(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let held = if_none_match(&headers);
    let answer = tokio::task::spawn_blocking(move || -> Result<Assignments, AppError> {
        let collector = state.authenticate(&headers)?;
        let persons = state.store().roster(&collector.villages)?;
        let area = state.forms.area();
        let villages = collector
            .villages
            .iter()
            .map(|code| {
                let found = area.and_then(|a| a.village(code));
                AssignedVillage {
                    code: code.clone(),
                    name: found.map(|(_, v)| v.name.clone()).unwrap_or_default(),
                    town: found.and_then(|(t, _)| t.name.clone()).unwrap_or_default(),
                }
            })
            .collect();
        Ok(Assignments {
            collector: collector.name,
            villages,
            persons,
        })
    })
    .await??;
    personal_json(&answer, held.as_deref())
}

/// `GET /api/v1/delivered`: the records the server holds about the persons and villages of the
/// signed-in collector's roster, whichever device sent them, so that each device shows them
/// as 已上传. Tagged like the assignments: a device that holds this very answer gets `304`.
async fn delivered(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let held = if_none_match(&headers);
    let answer = tokio::task::spawn_blocking(move || -> Result<Delivered, AppError> {
        let collector = state.authenticate(&headers)?;
        let records = state.store().delivered(&collector.villages)?;
        Ok(Delivered { records })
    })
    .await??;
    personal_json(&answer, held.as_deref())
}

/// The tags a request names in `If-None-Match`, if it names any.
fn if_none_match(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An answer of personal data as JSON, with its entity tag: kept by no cache on the way, nor by
/// the browser's own (the app keeps it), and `304 Not Modified` without a body when the device
/// names this very answer's tag in `If-None-Match` (`held`).
fn personal_json(answer: &impl serde::Serialize, held: Option<&str>) -> Result<Response, AppError> {
    let body = serde_json::to_vec(answer)?;
    let tag = entity_tag(&body);
    let kept = [
        (header::ETAG, tag.clone()),
        (header::CACHE_CONTROL, "private, no-store".to_string()),
    ];
    if held.is_some_and(|held| names_tag(held, &tag)) {
        return Ok((StatusCode::NOT_MODIFIED, kept).into_response());
    }
    Ok((kept, [(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// A weak entity tag of a body: the first 128 bits of its SHA-256, in hex. Weak, because the
/// compression layer may send the body gzip- or Brotli-encoded.
fn entity_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// Whether an `If-None-Match` value names `tag`: `*`, or a list of tags compared weakly (the
/// `W/` prefix ignored), as RFC 9110 asks of `If-None-Match`.
fn names_tag(held: &str, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    held.trim() == "*" || held.split(',').any(|t| opaque(t) == opaque(tag))
}

/// The region lists of the configured area (an empty list when none is configured).
async fn list_regions(State(state): State<AppState>) -> Json<Vec<RegionList>> {
    Json(
        state
            .forms
            .area()
            .map(|area| area.lists().to_vec())
            .unwrap_or_default(),
    )
}

fn rejected(id: &str, code: &str, message: Localized) -> SubmissionResult {
    SubmissionResult {
        id: id.to_string(),
        outcome: Outcome::Rejected,
        issues: vec![Issue {
            field: String::new(),
            severity: Severity::Error,
            code: code.to_string(),
            message,
        }],
    }
}

/// Checks one record with the same engine the app ran; `Ok` when it may be stored.
fn check(state: &AppState, record: &Submission) -> Result<(), SubmissionResult> {
    if record.id.is_empty() || record.id.len() > 64 {
        return Err(rejected(
            &record.id,
            "invalid_id",
            Localized::zh_en("记录编号无效", "The record id is empty or too long"),
        ));
    }
    let Some(form) = state
        .forms
        .get(&record.form)
        .filter(|f| f.def.version == record.form_version)
    else {
        return Err(rejected(
            &record.id,
            "unknown_form",
            Localized::zh_en(
                format!(
                    "服务器没有表单 {}（版本 {}）",
                    record.form, record.form_version
                ),
                format!(
                    "The server has no form {} at version {}",
                    record.form, record.form_version
                ),
            ),
        ));
    };
    let evaluation = Evaluation::new(form, &record.answers, server_context(&state.forms));
    let mut report = evaluation.report(form);
    // A record of a roster line stays about that line.
    report.issues.extend(doorstep_core::record::subject_issue(
        form,
        &record.answers,
        &record.meta,
    ));
    if report.has_errors() {
        return Err(SubmissionResult {
            id: record.id.clone(),
            outcome: Outcome::Rejected,
            issues: report.issues,
        });
    }
    // A completed record holds exactly what the form's rules give: no answers to questions
    // not asked, and calculated values as calculated. Anything else is not stored.
    let completed = evaluation.completed_answers(form);
    if completed != record.answers {
        let differing: Vec<&str> = completed
            .keys()
            .chain(record.answers.keys())
            .filter(|k| completed.get(*k) != record.answers.get(*k))
            .map(String::as_str)
            .collect();
        let mut result = rejected(
            &record.id,
            "not_completed",
            Localized::zh_en(
                format!("记录与表单规则得出的结果不一致：{}", differing.join("、")),
                format!(
                    "The record differs from what the form's rules give: {}",
                    differing.join(", ")
                ),
            ),
        );
        if let Some(issue) = result.issues.first_mut() {
            issue.field = differing.first().map(|f| f.to_string()).unwrap_or_default();
        }
        return Err(result);
    }
    Ok(())
}

/// What rules may read besides the answers: today from the server's clock in its local time
/// zone, the configured area, and the form's own reference date.
pub fn server_context(forms: &FormRegistry) -> Context {
    Context {
        today: Some(jiff::ZonedDateTime::now().date()),
        area: forms.area().cloned(),
        ..Context::default()
    }
}

/// Milliseconds since the Unix epoch, from the server's clock.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SubmissionResponse>, AppError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            }
        } else {
            AppError::UnreadableBody(rejection.body_text())
        }
    })?;
    let mut de = serde_json::Deserializer::from_slice(&body);
    let batch: SubmissionBatch = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        AppError::MalformedJson(format!("at {path}: {}", e.into_inner()))
    })?;
    de.end()
        .map_err(|e| AppError::MalformedJson(e.to_string()))?;
    if batch.records.len() > MAX_BATCH_RECORDS {
        return Err(AppError::BatchTooLarge {
            limit: MAX_BATCH_RECORDS,
            count: batch.records.len(),
        });
    }
    // One blocking task holds the database for the whole batch: it checks the sign-in, looks
    // up what is stored, checks the rest with the engine, and stores what passes in one
    // transaction.
    let results = tokio::task::spawn_blocking(move || -> Result<_, AppError> {
        let collector = state.authenticate(&headers)?;
        Ok(answer_batch(&state, &collector, &batch.records)?)
    })
    .await??;
    Ok(Json(SubmissionResponse { results }))
}

/// Refuses a record that names a village outside the collector's: every region answer must
/// be one of their villages.
fn outside_villages(
    state: &AppState,
    collector: &Collector,
    record: &Submission,
) -> Option<SubmissionResult> {
    let form = state.forms.get(&record.form)?;
    let field = form.fields.iter().find(|f| {
        f.def.field_type == FieldType::Region
            && record
                .answers
                .get(&f.def.id)
                .and_then(serde_json::Value::as_str)
                .is_some_and(|code| !collector.villages.iter().any(|v| v == code))
    })?;
    let code = record.answers.get(&field.def.id)?.as_str()?;
    Some(SubmissionResult {
        id: record.id.clone(),
        outcome: Outcome::Forbidden,
        issues: vec![Issue {
            field: field.def.id.clone(),
            severity: Severity::Error,
            code: "forbidden_region".into(),
            message: Localized::zh_en(
                format!("{code} 不在您负责的村（社区）范围内"),
                format!("{code} is not one of your villages"),
            ),
        }],
    })
}

/// Refuses a person added off the roster who is on the collector's roster after all, by the
/// rule the tablet applies with the same roster ([`doorstep_core::record::listed_person`],
/// [`doorstep_core::record::on_roster_issue`]). A person of another collector's villages is
/// not refused (that line is theirs to visit, and this collector could not open it).
/// `roster` is the collector's roster, read at the first record that needs it.
fn listed_off_roster(
    state: &AppState,
    store: &mut Store,
    collector: &Collector,
    roster: &mut Option<Vec<RosterPerson>>,
    record: &Submission,
) -> Result<Option<SubmissionResult>, crate::store::StoreError> {
    let Some(form) = state.forms.get(&record.form) else {
        return Ok(None);
    };
    let Some((field, key)) = off_roster_key(form, &record.answers, &record.meta) else {
        return Ok(None);
    };
    let roster = match roster {
        Some(roster) => roster,
        None => roster.insert(store.roster(&collector.villages)?),
    };
    Ok(
        listed_person(form, roster, key).map(|person| SubmissionResult {
            id: record.id.clone(),
            outcome: Outcome::Rejected,
            issues: vec![on_roster_issue(field, &person.name)],
        }),
    )
}

/// What becomes of each record of a batch, in order.
fn answer_batch(
    state: &AppState,
    collector: &Collector,
    records: &[Submission],
) -> Result<Vec<SubmissionResult>, crate::store::StoreError> {
    let mut store = state.store();
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let stored = store.stored_answers(&ids)?;
    let mut results: Vec<Option<SubmissionResult>> = Vec::with_capacity(records.len());
    let mut to_store = Vec::new();
    let mut roster = None;
    for (i, record) in records.iter().enumerate() {
        // Answers that do not match their hash were damaged on the way: nothing of them is
        // trusted, and the device keeps the record to send again.
        if record.hash != answers_hash(&record.answers) {
            results.push(Some(rejected(
                &record.id,
                "hash_mismatch",
                Localized::zh_en(
                    "记录在传输中损坏（内容与校验值不符），请重新上传",
                    "The record was damaged on the way (its answers do not match its hash); send it again",
                ),
            )));
            continue;
        }
        // A record the server already holds, unchanged, is a duplicate whatever today's rules
        // say: a retry must never turn into a rejection of something already stored.
        let unchanged = serde_json::to_string(&record.answers)
            .is_ok_and(|text| stored.get(&record.id) == Some(&text));
        if unchanged {
            if outside_villages(state, collector, record).is_none() {
                // Stored as a duplicate: a newer revision's metadata is kept.
                to_store.push(i);
                results.push(None);
            } else {
                results.push(Some(SubmissionResult {
                    id: record.id.clone(),
                    outcome: Outcome::Duplicate,
                    issues: Vec::new(),
                }));
            }
            continue;
        }
        // The engine's own check first, so the server says what the tablet says; then
        // whether the villages named are the collector's.
        let checked = check(state, record)
            .and_then(|()| outside_villages(state, collector, record).map_or(Ok(()), Err));
        // A new revision of a record the server holds (such as one re-confirmed) stays the
        // record it is.
        let checked = match checked {
            Ok(()) if !stored.contains_key(&record.id) => {
                listed_off_roster(state, &mut store, collector, &mut roster, record)?
                    .map_or(Ok(()), Err)
            }
            other => other,
        };
        match checked {
            Ok(()) => {
                to_store.push(i);
                results.push(None);
            }
            Err(result) => results.push(Some(result)),
        }
    }
    let batch: Vec<&Submission> = to_store.iter().map(|&i| &records[i]).collect();
    let outcomes = store.insert(&batch, Some(&collector.name), now_millis())?;
    for (outcome, i) in outcomes.into_iter().zip(to_store) {
        // A conflict goes back to the collector, who is told why.
        let issues = if outcome == Outcome::Conflict {
            rejected(
                &records[i].id,
                "conflict",
                Localized::zh_en(
                    "服务器上已有此记录的另一版本，请核对后重新提交",
                    "The server holds another version of this record; check it and submit again",
                ),
            )
            .issues
        } else {
            Vec::new()
        };
        results[i] = Some(SubmissionResult {
            id: records[i].id.clone(),
            outcome,
            issues,
        });
    }
    Ok(results.into_iter().flatten().collect())
}
