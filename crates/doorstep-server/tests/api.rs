//! The HTTP interface, driven through `app()` without a socket, and once over a real one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use doorstep_core::protocol::{ErrorBody, Outcome, SubmissionResponse, MAX_BODY_BYTES};
use doorstep_server::app::{app, AppState};
use doorstep_server::forms::FormRegistry;
use doorstep_server::store::Store;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

struct Fixture {
    state: AppState,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

fn fixture() -> Fixture {
    let data = tempfile::tempdir().expect("temp dir");
    let app_dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        app_dir.path().join("index.html"),
        "<!doctype html><title>app</title>",
    )
    .expect("write index");
    let state = AppState {
        forms: Arc::new(FormRegistry::load_dir(&schemas_dir()).expect("forms load")),
        store: Arc::new(Mutex::new(Store::open(data.path()).expect("store opens"))),
        app_dir: app_dir.path().to_path_buf(),
        schemas_dir: schemas_dir(),
    };
    Fixture {
        state,
        _dirs: (data, app_dir),
    }
}

fn record(id: &str, age: i64) -> Value {
    json!({
        "id": id, "form": "demo", "form_version": "1", "revision": 3,
        "answers": {"name": "张三", "visited": "1", "age": age},
        "created_at": 1, "completed_at": 2
    })
}

async fn post(state: &AppState, body: impl Into<Body>) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/submissions")
        .header("content-type", "application/json")
        .body(body.into())
        .expect("request");
    let response = app(state.clone()).oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn stored(state: &AppState) -> u64 {
    state.store.lock().expect("lock").count().expect("count")
}

#[tokio::test]
async fn a_valid_record_is_stored_once() {
    let f = fixture();
    let body = json!({"records": [record("r1", 40)]}).to_string();
    let (status, answer) = post(&f.state, body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let answer: SubmissionResponse = serde_json::from_value(answer).expect("response shape");
    assert_eq!(answer.results[0].outcome, Outcome::Accepted);
    let (_, again) = post(&f.state, body).await;
    assert_eq!(again["results"][0]["outcome"], "duplicate");
    assert_eq!(stored(&f.state), 1);
    let records = f
        .state
        .store
        .lock()
        .expect("lock")
        .records()
        .expect("records");
    assert_eq!(
        records[0].answers,
        json!({"name": "张三", "visited": "1", "age": 40})
    );
}

#[tokio::test]
async fn the_server_checks_with_the_same_engine() {
    let f = fixture();
    let body = json!({"records": [record("bad", 300), record("good", 30)]}).to_string();
    let (status, answer) = post(&f.state, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["results"][0]["outcome"], "rejected");
    assert_eq!(answer["results"][0]["issues"][0]["field"], "age");
    assert_eq!(answer["results"][0]["issues"][0]["code"], "age_range");
    assert_eq!(answer["results"][1]["outcome"], "accepted");
    assert_eq!(stored(&f.state), 1);

    let mut other = record("other-form", 30);
    other["form"] = json!("nope");
    let (_, answer) = post(&f.state, json!({"records": [other]}).to_string()).await;
    assert_eq!(answer["results"][0]["issues"][0]["code"], "unknown_form");
}

#[tokio::test]
async fn a_village_outside_the_configured_area_is_rejected() {
    let f = fixture();
    let community = |id: &str, region: &str| {
        json!({
            "id": id, "form": "community", "form_version": "2026.1", "revision": 1,
            "answers": {
                "survey_year": 2026, "region_code": region, "urban_rural_code": "220",
                "certified_count": 37, "has_association": "1", "has_liaison": "2",
                "rehab_station": "1", "disabled_home": "1", "day_care": "2",
                "aid_service_point": "2", "accessible_facilities": ["1", "2"],
                "culture_venue": "1", "culture_events": 4, "filled_by": "王五",
                "report_date": "2026-10-08"
            },
            "created_at": 1, "completed_at": 2
        })
    };
    let body = json!({"records": [
        community("inside", "330110005001"),
        // 12 digits, but a village of another county (西湖区), not of the configured area.
        community("outside", "330106001001"),
    ]});
    let (status, answer) = post(&f.state, body.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["results"][0]["outcome"], "accepted", "{answer}");
    assert_eq!(answer["results"][1]["outcome"], "rejected");
    assert_eq!(answer["results"][1]["issues"][0]["field"], "region_code");
    assert_eq!(answer["results"][1]["issues"][0]["code"], "unknown_region");
    assert_eq!(stored(&f.state), 1);
}

#[tokio::test]
async fn only_completed_records_are_stored() {
    let f = fixture();
    // An answer to a question that is not asked (reason, with visited = 1) is refused.
    let mut extra = record("extra", 40);
    extra["answers"]["reason"] = json!("外出");
    let (_, answer) = post(&f.state, json!({"records": [extra]}).to_string()).await;
    assert_eq!(answer["results"][0]["outcome"], "rejected");
    assert_eq!(answer["results"][0]["issues"][0]["code"], "not_completed");
    assert_eq!(answer["results"][0]["issues"][0]["field"], "reason");
    assert_eq!(stored(&f.state), 0);
}

#[tokio::test]
async fn a_stored_record_sent_again_is_a_duplicate_before_any_check() {
    let f = fixture();
    // Stored earlier under rules that accepted it; today's rules would reject it.
    let old = record("old", 300);
    let submission: doorstep_core::protocol::Submission =
        serde_json::from_value(old.clone()).expect("submission");
    f.state
        .store
        .lock()
        .expect("lock")
        .insert(&[&submission], 0)
        .expect("stored");
    let (_, answer) = post(&f.state, json!({"records": [old]}).to_string()).await;
    assert_eq!(answer["results"][0]["outcome"], "duplicate");
    assert_eq!(stored(&f.state), 1);
}

#[tokio::test]
async fn a_changed_record_conflicts_unless_newer() {
    let f = fixture();
    post(&f.state, json!({"records": [record("r", 40)]}).to_string()).await;
    let (_, answer) = post(&f.state, json!({"records": [record("r", 41)]}).to_string()).await;
    assert_eq!(answer["results"][0]["outcome"], "conflict");
    assert_eq!(answer["results"][0]["issues"][0]["code"], "conflict");
    let mut newer = record("r", 42);
    newer["revision"] = json!(4);
    let (_, answer) = post(&f.state, json!({"records": [newer]}).to_string()).await;
    assert_eq!(answer["results"][0]["outcome"], "accepted");
    let records = f
        .state
        .store
        .lock()
        .expect("lock")
        .records()
        .expect("records");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].answers["age"], 42);
}

#[tokio::test]
async fn malformed_json_is_400_with_an_error_body_and_stores_nothing() {
    let f = fixture();
    for body in [
        "{\"records\": [".to_string(),
        "not json".to_string(),
        json!({"records": [{"id": "x"}]}).to_string(),
        json!({"records": []}).to_string() + " trailing",
    ] {
        let (status, answer) = post(&f.state, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let error: ErrorBody = serde_json::from_value(answer).expect("error body");
        assert_eq!(error.error.code, "malformed_json");
        assert!(!error.error.message.is_empty());
    }
    let (_, answer) = post(&f.state, json!({"records": [{"id": "x"}]}).to_string()).await;
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("records[0]"));
    assert_eq!(stored(&f.state), 0);
}

#[tokio::test]
async fn an_oversized_body_is_413_and_stores_nothing() {
    let f = fixture();
    let mut big = record("big", 40);
    big["answers"]["name"] = json!("x".repeat(MAX_BODY_BYTES));
    let (status, answer) = post(&f.state, json!({"records": [big]}).to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["error"]["code"], "body_too_large");

    let many: Vec<Value> = (0..101).map(|i| record(&format!("r{i}"), 40)).collect();
    let (status, answer) = post(&f.state, json!({"records": many}).to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["error"]["code"], "batch_too_large");
    assert_eq!(stored(&f.state), 0);
}

#[tokio::test]
async fn forms_and_the_app_are_served() {
    let f = fixture();
    let get = |uri: &str| {
        let state = f.state.clone();
        let uri = uri.to_string();
        async move {
            let response = app(state)
                .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
                .await
                .expect("response");
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    let (status, body) = get("/api/v1/forms").await;
    assert_eq!(status, StatusCode::OK);
    let forms: Value = serde_json::from_str(&body).expect("json");
    assert!(forms
        .as_array()
        .expect("list")
        .iter()
        .any(|f| f["id"] == "demo" && f["url"] == "/schemas/demo.json"));
    assert!(forms
        .as_array()
        .expect("list")
        .iter()
        .any(|f| f["id"] == "individual" && f["title"]["zh-CN"] == "个人登记表"));
    // The configured area: the committed county's towns and villages.
    let (status, body) = get("/api/v1/regions").await;
    assert_eq!(status, StatusCode::OK);
    let lists: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(lists[0]["county"], "330110");
    assert_eq!(lists[0]["towns"][0]["villages"][0]["code"], "330110005001");
    let (status, body) = get("/schemas/demo.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"id\": \"demo\""));
    let (status, body) = get("/some/deep/link").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<title>app</title>"));
}

/// The same router on a real socket on 127.0.0.1, spoken to by a real HTTP client.
#[tokio::test]
async fn over_a_real_socket() {
    let f = fixture();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app(f.state.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/v1/submissions");
    let answer: SubmissionResponse = client
        .post(&url)
        .json(&json!({"records": [record("sock", 50)]}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(answer.results[0].outcome, Outcome::Accepted);
    let status = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(stored(&f.state), 1);
    server.abort();
}
