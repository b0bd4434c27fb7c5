//! The HTTP routes: the API, the forms, and the built app with its service worker.
//!
//! [`app`] builds the whole [`Router`] from an [`AppState`], so tests drive it without a socket
//! and `doorstep serve` puts the same router on one.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use doorstep_core::protocol::{
    FormSummary, Outcome, Submission, SubmissionBatch, SubmissionResponse, SubmissionResult,
    MAX_BATCH_RECORDS, MAX_BODY_BYTES,
};
use doorstep_core::region::RegionList;
use doorstep_core::{Context, Evaluation, Issue, Localized, Severity};
use tower_http::services::{ServeDir, ServeFile};

use crate::error::AppError;
use crate::forms::FormRegistry;
use crate::store::Store;

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
}

/// The whole server as one router.
pub fn app(state: AppState) -> Router {
    let index = state.app_dir.join("index.html");
    let app_files = ServeDir::new(&state.app_dir).fallback(ServeFile::new(index));
    let schemas = ServeDir::new(&state.schemas_dir);
    Router::new()
        .route("/api/v1/health", get(|| async { "ok" }))
        .route("/api/v1/forms", get(list_forms))
        .route("/api/v1/regions", get(list_regions))
        .route(
            "/api/v1/submissions",
            post(submit).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .nest_service("/schemas", schemas)
        .fallback_service(app_files)
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
            Localized::zh_en("记录编号无效", "the record id is empty or too long"),
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
                    "the server has no form {} at version {}",
                    record.form, record.form_version
                ),
            ),
        ));
    };
    let evaluation = Evaluation::new(form, &record.answers, server_context(&state.forms));
    let report = evaluation.report(form);
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
                    "the record differs from what the form's rules give: {}",
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

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn submit(
    State(state): State<AppState>,
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
    // One blocking task holds the database for the whole batch: it looks up what is stored,
    // checks the rest with the engine, and stores what passes in one transaction.
    let results =
        tokio::task::spawn_blocking(move || answer_batch(&state, &batch.records)).await??;
    Ok(Json(SubmissionResponse { results }))
}

/// What becomes of each record of a batch, in order.
fn answer_batch(
    state: &AppState,
    records: &[Submission],
) -> Result<Vec<SubmissionResult>, crate::store::StoreError> {
    let mut store = state
        .store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let stored = store.stored_answers(&ids)?;
    let mut results: Vec<Option<SubmissionResult>> = Vec::with_capacity(records.len());
    let mut to_store = Vec::new();
    for (i, record) in records.iter().enumerate() {
        // A record the server already holds, unchanged, is a duplicate whatever today's rules
        // say: a retry must never turn into a rejection of something already stored.
        let unchanged = serde_json::to_string(&record.answers)
            .is_ok_and(|text| stored.get(&record.id) == Some(&text));
        if unchanged {
            results.push(Some(SubmissionResult {
                id: record.id.clone(),
                outcome: Outcome::Duplicate,
                issues: Vec::new(),
            }));
            continue;
        }
        match check(state, record) {
            Ok(()) => {
                to_store.push(i);
                results.push(None);
            }
            Err(result) => results.push(Some(result)),
        }
    }
    let batch: Vec<&Submission> = to_store.iter().map(|&i| &records[i]).collect();
    let outcomes = store.insert(&batch, now_millis())?;
    for (outcome, i) in outcomes.into_iter().zip(to_store) {
        // A conflict goes back to the collector, who is told why.
        let issues = if outcome == Outcome::Conflict {
            rejected(
                &records[i].id,
                "conflict",
                Localized::zh_en(
                    "服务器上已有此记录的另一版本，请核对后重新提交",
                    "the server holds another version of this record; check it and submit again",
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
