//! The HTTP interface, driven through `app()` without a socket, and once over a real one.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::header::{
    HeaderName, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY,
};
use axum::http::{HeaderMap, Request, StatusCode};
use doorstep_core::protocol::{ErrorBody, Outcome, SubmissionResponse, MAX_BODY_BYTES};
use doorstep_server::accounts;
use doorstep_server::app::{app, AppState};
use doorstep_server::forms::FormRegistry;
use doorstep_server::store::{Collector, Store};
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
    let mut store = Store::open(data.path()).expect("store opens");
    // 王五 works in the villages of 五常街道 (330110005) and is signed in with TOKEN.
    let villages = (1..=16)
        .map(|n| format!("330110005{n:03}"))
        .filter(|code| {
            FormRegistry::load_dir(&schemas_dir())
                .ok()
                .and_then(|f| f.area().map(|a| a.contains(code)))
                .unwrap_or(false)
        })
        .collect();
    store
        .put_collector(
            &Collector {
                name: "王五".into(),
                password_hash: accounts::hash_password(PASSWORD).expect("hash"),
                villages,
            },
            1,
        )
        .expect("collector");
    store
        .add_session(&accounts::token_hash(TOKEN), "王五", i64::MAX, 1)
        .expect("session");
    let state = AppState::new(
        FormRegistry::load_dir(&schemas_dir()).expect("forms load"),
        store,
        app_dir.path().to_path_buf(),
        schemas_dir(),
    );
    Fixture {
        state,
        _dirs: (data, app_dir),
    }
}

/// A completed community record for a village.
fn community(id: &str, region: &str) -> Value {
    hashed(json!({
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
    }))
}

const TOKEN: &str = "test-token-of-wang-wu";
const PASSWORD: &str = "correct horse battery";

/// A submission with the content hash of its answers filled in.
fn hashed(mut submission: Value) -> Value {
    let answers: doorstep_core::Answers =
        serde_json::from_value(submission["answers"].clone()).expect("answers");
    submission["hash"] = json!(doorstep_core::protocol::answers_hash(&answers));
    submission
}

fn record(id: &str, age: i64) -> Value {
    hashed(json!({
        "id": id, "form": "demo", "form_version": "1", "revision": 3,
        "answers": {"name": "张三", "visited": "1", "age": age},
        "created_at": 1, "completed_at": 2
    }))
}

async fn post(state: &AppState, body: impl Into<Body>) -> (StatusCode, Value) {
    send(state, "/api/v1/submissions", Some(TOKEN), body).await
}

/// Posts a body to a path with an optional bearer token; a GET when the body is empty.
async fn send(
    state: &AppState,
    path: &str,
    token: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, Value) {
    let body = body.into();
    let mut request = Request::builder().uri(path).method("POST");
    if path == "/api/v1/assignments" || path == "/api/v1/delivered" {
        request = request.method("GET");
    }
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .header("content-type", "application/json")
        .body(body)
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
async fn a_community_form_stays_about_the_village_it_was_started_for() {
    let f = fixture();
    // Started from the roster line of 顾家桥 (…001), answered for 沿山河 (…002): two forms for
    // one village and none for the other, were it stored.
    let mut moved = community("moved", "330110005002");
    moved["meta"] = json!({"subject": "330110005001"});
    let mut kept = community("kept", "330110005001");
    kept["meta"] = json!({"subject": "330110005001"});
    let (_, answer) = post(&f.state, json!({"records": [moved, kept]}).to_string()).await;
    assert_eq!(answer["results"][0]["outcome"], "rejected", "{answer}");
    assert_eq!(answer["results"][0]["issues"][0]["field"], "region_code");
    assert_eq!(answer["results"][0]["issues"][0]["code"], "subject_changed");
    assert_eq!(answer["results"][1]["outcome"], "accepted", "{answer}");
    assert_eq!(stored(&f.state), 1);
}

#[tokio::test]
async fn only_completed_records_are_stored() {
    let f = fixture();
    // An answer to a question that is not asked (reason, with visited = 1) is refused.
    let mut extra = record("extra", 40);
    extra["answers"]["reason"] = json!("外出");
    // Changed after its hash was made, the record is refused as damaged…
    let (_, answer) = post(&f.state, json!({"records": [extra.clone()]}).to_string()).await;
    assert_eq!(answer["results"][0]["outcome"], "rejected");
    assert_eq!(answer["results"][0]["issues"][0]["code"], "hash_mismatch");
    // …and with its hash made again, as not completed by the form's rules.
    let extra = hashed(extra);
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
        .insert(&[&submission], None, 0)
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
    // Sign in over the socket, then submit with the token handed out.
    let session: doorstep_core::protocol::Session = client
        .post(format!("http://{addr}/api/v1/sessions"))
        .json(&json!({"name": "王五", "password": PASSWORD}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("a session");
    assert_eq!(session.collector, "王五");
    let url = format!("http://{addr}/api/v1/submissions");
    let answer: SubmissionResponse = client
        .post(&url)
        .bearer_auth(&session.token)
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
        .bearer_auth(&session.token)
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

#[tokio::test]
async fn signing_in_gives_a_token_and_wrong_passwords_give_401() {
    let f = fixture();
    let (status, session) = send(
        &f.state,
        "/api/v1/sessions",
        None,
        json!({"name": "王五", "password": PASSWORD}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["collector"], "王五");
    assert!(session["villages"]
        .as_array()
        .expect("villages")
        .contains(&json!("330110005001")));
    let token = session["token"].as_str().expect("token").to_string();
    let (status, _) = send(
        &f.state,
        "/api/v1/submissions",
        Some(&token),
        json!({"records": [record("with-new-token", 30)]}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    for (name, password) in [("王五", "wrong password"), ("nobody", PASSWORD)] {
        let (status, body) = send(
            &f.state,
            "/api/v1/sessions",
            None,
            json!({"name": name, "password": password}).to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "bad_credentials");
    }
}

#[tokio::test]
async fn submissions_without_a_valid_token_are_401_and_store_nothing() {
    let f = fixture();
    let body = json!({"records": [record("no-token", 30)]}).to_string();
    for token in [None, Some("made-up"), Some("")] {
        let (status, answer) = send(&f.state, "/api/v1/submissions", token, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(answer["error"]["code"], "unauthorized");
    }
    // An expired sign-in is no sign-in.
    f.state
        .store
        .lock()
        .expect("lock")
        .add_session(&accounts::token_hash("old"), "王五", 2, 1)
        .expect("session");
    let (status, _) = send(&f.state, "/api/v1/submissions", Some("old"), body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(stored(&f.state), 0);
}

#[tokio::test]
async fn a_record_for_another_collectors_village_is_forbidden_alone() {
    let f = fixture();
    // 330110009001 is in the area (仁和街道) but not one of 王五's villages.
    let body = json!({"records": [community("mine", "330110005002"), community("theirs", "330110009001")]});
    let (status, answer) = post(&f.state, body.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["results"][0]["outcome"], "accepted", "{answer}");
    assert_eq!(answer["results"][1]["outcome"], "forbidden");
    assert_eq!(
        answer["results"][1]["issues"][0]["code"],
        "forbidden_region"
    );
    assert_eq!(answer["results"][1]["issues"][0]["field"], "region_code");
    assert_eq!(stored(&f.state), 1);
}

#[tokio::test]
async fn assignments_list_the_collectors_villages_and_roster() {
    let f = fixture();
    f.state
        .store
        .lock()
        .expect("lock")
        .import_roster(
            &[
                doorstep_core::protocol::RosterPerson {
                    cert_no: "33011019800515002642".into(),
                    name: "李四".into(),
                    region_code: "330110005001".into(),
                    prefill: Default::default(),
                },
                doorstep_core::protocol::RosterPerson {
                    cert_no: "33011019900101001211".into(),
                    name: "别村".into(),
                    region_code: "330110009001".into(),
                    prefill: Default::default(),
                },
            ],
            1,
        )
        .expect("roster");
    let (status, answer) = send(&f.state, "/api/v1/assignments", Some(TOKEN), Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["collector"], "王五");
    assert_eq!(answer["villages"][0]["code"], "330110005001");
    assert_eq!(answer["villages"][0]["name"], "顾家桥社区");
    assert_eq!(answer["villages"][0]["town"], "五常街道");
    let persons = answer["persons"].as_array().expect("persons");
    assert_eq!(persons.len(), 1, "only persons of 王五's villages");
    assert_eq!(persons[0]["name"], "李四");
    let (status, _) = send(&f.state, "/api/v1/assignments", None, Body::empty()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A completed individual record of 张建国 (the fixture corpus's default person), added at the
/// door: not started from the roster. `revision` and `phone` vary it.
fn walk_in(state: &AppState, id: &str, revision: u32, phone: &str) -> Value {
    let corpus: Value = serde_json::from_str(
        &std::fs::read_to_string(schemas_dir().join("../tests/forms/individual.json"))
            .expect("corpus"),
    )
    .expect("corpus json");
    let mut answers: doorstep_core::Answers =
        serde_json::from_value(corpus["bases"]["default"].clone()).expect("answers");
    answers.insert("phone_mobile".into(), json!(phone));
    let form = state.forms.get("individual").expect("individual form");
    let context = doorstep_server::app::server_context(&state.forms);
    let completed = doorstep_core::Evaluation::new(form, &answers, context).completed_answers(form);
    hashed(json!({
        "id": id, "form": "individual", "form_version": form.def.version, "revision": revision,
        "answers": completed, "created_at": 1, "completed_at": 2,
        "meta": {"off_roster": true, "method": "1"}
    }))
}

/// 张建国 on the roster, in this village.
fn roster_zhang(state: &AppState, village: &str) {
    roster_zhang_as(state, "33011019850315013343", village);
}

/// 张建国 on the roster under this certificate number, in this village.
fn roster_zhang_as(state: &AppState, cert_no: &str, village: &str) {
    state
        .store
        .lock()
        .expect("lock")
        .import_roster(
            &[doorstep_core::protocol::RosterPerson {
                cert_no: cert_no.into(),
                name: "张建国".into(),
                region_code: village.into(),
                prefill: Default::default(),
            }],
            1,
        )
        .expect("roster");
}

#[tokio::test]
async fn a_person_added_at_the_door_who_is_on_the_collectors_roster_is_refused() {
    let f = fixture();
    let outcome = |answer: &Value| answer["results"][0]["outcome"].clone();
    let send = |record: Value| post(&f.state, json!({"records": [record]}).to_string());
    // Not on the roster: the person added at the door is stored.
    let (status, answer) = send(walk_in(&f.state, "w-1", 1, "13812345678")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome(&answer), "accepted", "{answer}");
    // On 王五's roster after all: a second record would count them twice and leave their line
    // unvisited.
    roster_zhang(&f.state, "330110005001");
    let (_, answer) = send(walk_in(&f.state, "w-2", 1, "13812345678")).await;
    let result = &answer["results"][0];
    assert_eq!(result["outcome"], "rejected", "{answer}");
    assert_eq!(result["issues"][0]["field"], "cert_no");
    assert_eq!(result["issues"][0]["code"], "on_roster");
    assert!(
        result["issues"][0]["message"]["zh-CN"]
            .as_str()
            .is_some_and(|m| m.contains("张建国")),
        "{answer}"
    );
    // The one stored before stays the record it is: sent again unchanged, and as a new
    // revision (re-confirmed, say).
    let (_, answer) = send(walk_in(&f.state, "w-1", 1, "13812345678")).await;
    assert_eq!(outcome(&answer), "duplicate", "{answer}");
    let (_, answer) = send(walk_in(&f.state, "w-1", 2, "13812345679")).await;
    assert_eq!(outcome(&answer), "accepted", "{answer}");
    // On another collector's roster: not 王五's line to open, so not refused.
    roster_zhang(&f.state, "330110009001");
    let (_, answer) = send(walk_in(&f.state, "w-3", 1, "13812345678")).await;
    assert_eq!(outcome(&answer), "accepted", "{answer}");
    assert_eq!(stored(&f.state), 2);
}

#[tokio::test]
async fn a_person_added_at_the_door_under_a_number_reissued_since_the_roster_is_refused() {
    let outcome_with_roster = |lines: &'static [(&'static str, &'static str)]| async move {
        let f = fixture();
        for (cert_no, village) in lines {
            roster_zhang_as(&f.state, cert_no, village);
        }
        let record = walk_in(&f.state, "w-1", 1, "13812345678");
        assert_eq!(record["answers"]["cert_no"], "33011019850315013343");
        let (_, answer) = post(&f.state, json!({ "records": [record] }).to_string()).await;
        answer["results"][0].clone()
    };
    // The roster was made before a reassessment, when 张建国's number ended in level 2; the
    // collector types the number reissued since, ending in 3. The same ID number is the same
    // person (the individual form's `key_prefix`).
    let result = outcome_with_roster(&[("33011019850315013342", "330110005001")]).await;
    assert_eq!(result["outcome"], "rejected", "{result}");
    assert_eq!(result["issues"][0]["code"], "on_roster");
    // A roster imported again after an earlier reissue holds him twice, the first line in
    // another collector's village: the line in this collector's is found all the same.
    let result = outcome_with_roster(&[
        ("33011019850315013341", "330110009001"),
        ("33011019850315013342", "330110005001"),
    ])
    .await;
    assert_eq!(result["outcome"], "rejected", "{result}");
    // Another ID number with the same category and level is someone else.
    let result = outcome_with_roster(&[("33011019850315023343", "330110005001")]).await;
    assert_eq!(result["outcome"], "accepted", "{result}");
}

/// Gets the assignments with an optional `If-None-Match`: the status, the entity tag and the
/// body's length.
async fn get_assignments(
    state: &AppState,
    token: Option<&str>,
    held: Option<&str>,
) -> (StatusCode, Option<String>, usize) {
    get_tagged(state, "/api/v1/assignments", token, held).await
}

/// Gets a tagged answer of personal data (the assignments, the records delivered) with an
/// optional `If-None-Match`: the status, the entity tag and the body's length.
async fn get_tagged(
    state: &AppState,
    path: &str,
    token: Option<&str>,
    held: Option<&str>,
) -> (StatusCode, Option<String>, usize) {
    let mut request = Request::builder().uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(held) = held {
        request = request.header("if-none-match", held);
    }
    let response = app(state.clone())
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let tag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        // Personal data: no cache on the way keeps it, nor the browser's own.
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("private, no-store")
        );
    }
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, tag, body.len())
}

#[tokio::test]
async fn assignments_a_device_holds_already_are_not_sent_again() {
    let f = fixture();
    let person = |cert_no: &str, name: &str| doorstep_core::protocol::RosterPerson {
        cert_no: cert_no.into(),
        name: name.into(),
        region_code: "330110005001".into(),
        prefill: Default::default(),
    };
    let import = |persons: &[doorstep_core::protocol::RosterPerson], at: i64| {
        f.state
            .store
            .lock()
            .expect("lock")
            .import_roster(persons, at)
            .expect("roster")
    };
    import(&[person("33011019800515002642", "李四")], 1);
    let (status, tag, length) = get_assignments(&f.state, Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(length > 0);
    let tag = tag.expect("an entity tag");
    // The same answer held: no body. A list of tags, or the tag without `W/`, names it too.
    for held in [
        tag.clone(),
        format!("\"other\", {tag}"),
        tag.replace("W/", ""),
    ] {
        let (status, again, length) = get_assignments(&f.state, Some(TOKEN), Some(&held)).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{held}");
        assert_eq!(again.as_deref(), Some(tag.as_str()));
        assert_eq!(length, 0);
    }
    // `*` names whatever the server has.
    let (status, _, _) = get_assignments(&f.state, Some(TOKEN), Some("*")).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // Another tag, or none held: the whole answer.
    let (status, _, _) = get_assignments(&f.state, Some(TOKEN), Some("W/\"other\"")).await;
    assert_eq!(status, StatusCode::OK);
    // Never without a sign-in, tag or not.
    let (status, _, _) = get_assignments(&f.state, None, Some(&tag)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A roster imported again with another person: the held tag no longer names the answer.
    import(
        &[
            person("33011019800515002642", "李四"),
            person("33011019900101001211", "王二"),
        ],
        2,
    );
    let (status, changed, length) = get_assignments(&f.state, Some(TOKEN), Some(&tag)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(length > 0);
    assert_ne!(changed.as_deref(), Some(tag.as_str()));
}

/// What another device delivered about the collector's villages is listed for every device of
/// theirs, with who sent it; an unchanged list is not sent again.
#[tokio::test]
async fn records_delivered_about_the_collectors_villages_are_listed() {
    let f = fixture();
    let (status, answer) = send(&f.state, "/api/v1/delivered", Some(TOKEN), Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"records": []}));
    let mut village = community("v-1", "330110005001");
    village["meta"] = json!({"subject": "330110005001", "method": "1"});
    let (status, answer) = post(&f.state, json!({"records": [village]}).to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["results"][0]["outcome"], "accepted", "{answer}");
    let (status, answer) = send(&f.state, "/api/v1/delivered", Some(TOKEN), Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({"records": [{
            "id": "v-1", "form": "community", "subject": "330110005001",
            "method": "1", "collector": "王五"
        }]})
    );
    let (_, tag, _) = get_tagged(&f.state, "/api/v1/delivered", Some(TOKEN), None).await;
    let tag = tag.expect("a tag");
    let (status, _, length) =
        get_tagged(&f.state, "/api/v1/delivered", Some(TOKEN), Some(&tag)).await;
    assert_eq!((status, length), (StatusCode::NOT_MODIFIED, 0));
    let (status, _) = send(&f.state, "/api/v1/delivered", None, Body::empty()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_that_sends_too_much_gets_429_with_retry_after() {
    let mut f = fixture();
    f.state.limiter = std::sync::Arc::new(std::sync::Mutex::new(
        doorstep_server::limit::RateLimiter::new(2, 0.01),
    ));
    let body = json!({"records": [record("busy", 30)]}).to_string();
    for _ in 0..2 {
        let (status, _) = post(&f.state, body.clone()).await;
        assert_eq!(status, StatusCode::OK);
    }
    let request = Request::post("/api/v1/submissions")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let response = app(f.state.clone())
        .oneshot(request)
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
}

/// The OpenAPI description is served, and names every route the router answers (each one is
/// tried: none may be a 404).
#[tokio::test]
async fn the_openapi_description_is_served_and_covers_every_route() {
    let f = fixture();
    let request = Request::get("/api/v1/openapi.json")
        .body(Body::empty())
        .expect("request");
    let response = app(f.state.clone())
        .oneshot(request)
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    for path in [
        "/api/v1/health",
        "/api/v1/forms",
        "/api/v1/regions",
        "/api/v1/sessions",
        "/api/v1/assignments",
        "/api/v1/delivered",
        "/api/v1/submissions",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains(&path), "{path} is not described");
    }
    for path in paths {
        let method = doc["paths"][path]
            .as_object()
            .and_then(|m| m.keys().next().cloned())
            .unwrap_or_default();
        let request = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(path)
            .body(Body::empty())
            .expect("request");
        let response = app(f.state.clone())
            .oneshot(request)
            .await
            .expect("response");
        // The app's fallback serves index.html for unknown paths, so a described path that
        // the router lacks would answer 200 with HTML; the API answers JSON or text.
        let html = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or_default().contains("html"));
        assert!(!html, "{method} {path} is not a route of the API");
    }
}

/// The app may be framed by pages of this server only, unless the server names other hosts:
/// a foreign page cannot frame the app and drive its host API.
#[tokio::test]
async fn only_the_named_hosts_may_frame_the_app() {
    let f = fixture();
    let policy = |state: AppState| async move {
        let (_, headers, _) = get_with(&state, "/api/v1/health", None).await;
        header(&headers, CONTENT_SECURITY_POLICY)
    };
    assert_eq!(
        policy(f.state.clone()).await.as_deref(),
        Some("frame-ancestors 'self'")
    );
    let named = f
        .state
        .clone()
        .allow_framing_by("'self' https://host.example")
        .expect("a header value");
    assert_eq!(
        policy(named).await.as_deref(),
        Some("frame-ancestors 'self' https://host.example")
    );
    assert!(f.state.clone().allow_framing_by("'self'\nX: y").is_err());
}

/// A GET with the given `Accept-Encoding`: the status, the headers, and the body as it came
/// over the wire.
async fn get_with(
    state: &AppState,
    uri: &str,
    accept: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    let response = app(state.clone())
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes().to_vec();
    (parts.status, parts.headers, body)
}

/// One header's value as text.
fn header(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &body[..], &mut out).expect("valid brotli");
    out
}

/// The built app goes out as the Brotli or gzip copy beside each file, to a browser that
/// accepts it, with the file's own type; a browser that accepts neither gets the file itself.
#[tokio::test]
async fn the_app_goes_out_as_its_compressed_copies() {
    let f = fixture();
    let dir = &f.state.app_dir;
    // Something like a wasm module: long enough and repetitive enough to compress.
    let wasm: Vec<u8> = (0..20_000u32)
        .flat_map(|n| (n % 251).to_le_bytes())
        .collect();
    std::fs::write(dir.join("app_bg.wasm"), &wasm).expect("write wasm");
    let mut br = Vec::new();
    brotli::BrotliCompress(&mut &wasm[..], &mut br, &Default::default()).expect("brotli");
    std::fs::write(dir.join("app_bg.wasm.br"), &br).expect("write .br");
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&wasm).expect("gzip");
        e.finish().expect("gzip")
    };
    std::fs::write(dir.join("app_bg.wasm.gz"), &gz).expect("write .gz");

    let (status, headers, body) =
        get_with(&f.state, "/app_bg.wasm", Some("gzip, deflate, br")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, CONTENT_ENCODING).as_deref(), Some("br"));
    assert_eq!(
        header(&headers, CONTENT_TYPE).as_deref(),
        Some("application/wasm")
    );
    assert_eq!(header(&headers, VARY).as_deref(), Some("accept-encoding"));
    assert_eq!(
        body, br,
        "the copy written at build time, not one made per request"
    );
    assert_eq!(unbrotli(&body), wasm);

    let (_, headers, body) = get_with(&f.state, "/app_bg.wasm", Some("gzip")).await;
    assert_eq!(header(&headers, CONTENT_ENCODING).as_deref(), Some("gzip"));
    assert_eq!(
        header(&headers, CONTENT_TYPE).as_deref(),
        Some("application/wasm")
    );
    assert_eq!(gunzip(&body), wasm);

    let (_, headers, body) = get_with(&f.state, "/app_bg.wasm", None).await;
    assert_eq!(header(&headers, CONTENT_ENCODING), None);
    assert_eq!(body, wasm);
}

/// What has no compressed copy (the forms, the area's villages, the API's answers) is
/// compressed on the way out for a browser that accepts it, and decodes to the same JSON.
#[tokio::test]
async fn forms_and_answers_are_compressed_on_the_way_out() {
    let f = fixture();
    for uri in ["/api/v1/regions", "/schemas/individual.json"] {
        let (status, headers, plain) = get_with(&f.state, uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(header(&headers, CONTENT_ENCODING), None, "{uri}");
        let (_, headers, body) = get_with(&f.state, uri, Some("br")).await;
        assert_eq!(
            header(&headers, CONTENT_ENCODING).as_deref(),
            Some("br"),
            "{uri}"
        );
        assert!(
            header(&headers, CONTENT_TYPE).is_some_and(|k| k.starts_with("application/json")),
            "{uri}"
        );
        assert!(
            body.len() * 3 < plain.len(),
            "{uri}: {} of {} bytes",
            body.len(),
            plain.len()
        );
        assert_eq!(unbrotli(&body), plain, "{uri}");
        let (_, headers, body) = get_with(&f.state, uri, Some("gzip")).await;
        assert_eq!(
            header(&headers, CONTENT_ENCODING).as_deref(),
            Some("gzip"),
            "{uri}"
        );
        assert_eq!(gunzip(&body), plain, "{uri}");
    }
}
