//! Measures how many records per second the server takes in: starts the real server on
//! 127.0.0.1 with a fresh SQLite database (or the PostgreSQL one `DATABASE_URL` names, which
//! should be empty), and posts records read from a JSON Lines file (as
//! `generate_records` writes them) in batches of 100, one batch at a time, as the app's outbox
//! does; or, with `--concurrent N`, from N clients at once.
//!
//! `cargo run --release -p doorstep-server --example ingest -- records.jsonl [--concurrent 4]`
//!
//! Only records `doorstep check` finds valid are sent, so every one is stored.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use doorstep_core::protocol::{Submission, SubmissionBatch, SubmissionResponse};
use doorstep_core::{validate, Answers, Context};
use doorstep_server::accounts;
use doorstep_server::app::{app, AppState};
use doorstep_server::forms::FormRegistry;
use doorstep_server::limit::RateLimiter;
use doorstep_server::store::{Collector, Store};

#[derive(serde::Deserialize)]
struct Line {
    form: String,
    answers: Answers,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(input) = args.next() else {
        eprintln!("usage: ingest RECORDS.jsonl [--concurrent N]");
        std::process::exit(2);
    };
    let concurrent: usize = match (args.next().as_deref(), args.next()) {
        (Some("--concurrent"), Some(n)) => n.parse().unwrap_or(1),
        _ => 1,
    };
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let forms = FormRegistry::load_dir(&schemas).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let text = std::fs::read_to_string(&input).unwrap_or_else(|e| {
        eprintln!("{input}: {e}");
        std::process::exit(2)
    });
    let context = Context {
        today: doorstep_core::expr::parse_date("2026-10-05"),
        area: forms.area().cloned(),
        ..Context::default()
    };
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Ok(line) = serde_json::from_str::<Line>(line) else {
            continue;
        };
        let Some(form) = forms.get(&line.form) else {
            continue;
        };
        if validate(form, &line.answers, context.clone()).has_errors() {
            continue;
        }
        records.push(Submission {
            id: doorstep_core::record::record_id(1_790_000_000_000 + n as u64, [n as u8; 10]),
            form: line.form,
            form_version: form.def.version.clone(),
            revision: 1,
            hash: doorstep_core::protocol::answers_hash(&line.answers),
            answers: line.answers,
            created_at: 1,
            completed_at: Some(2),
            updated_at: None,
            meta: Default::default(),
        });
    }
    let data = std::env::temp_dir().join(format!("doorstep-ingest-{}", std::process::id()));
    // One collector for every village of the area, signed in with a token made here.
    let villages: Vec<String> = forms
        .area()
        .map(|a| {
            a.towns()
                .flat_map(|t| t.villages.iter().map(|v| v.code.clone()))
                .collect()
        })
        .unwrap_or_default();
    let token = accounts::new_token();
    // The PostgreSQL client runs its own runtime, so the store is opened and prepared on a
    // blocking thread.
    let prepared = {
        let (data, token) = (data.clone(), token.clone());
        tokio::task::spawn_blocking(move || -> Result<Store, String> {
            let mut store = Store::open_configured(&data).map_err(|e| e.to_string())?;
            let password_hash =
                accounts::hash_password("benchmark-password").map_err(|e| e.to_string())?;
            store
                .put_collector(
                    &Collector {
                        name: "bench".into(),
                        password_hash,
                        villages,
                    },
                    0,
                )
                .and_then(|()| {
                    store.add_session(&accounts::token_hash(&token), "bench", i64::MAX, 0)
                })
                .map_err(|e| e.to_string())?;
            Ok(store)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
    };
    let store = prepared.unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let mut state = AppState::new(forms, store, data.clone(), schemas);
    // The benchmark measures ingest, not the per-token limit.
    state.limiter = Arc::new(Mutex::new(RateLimiter::new(u32::MAX, 1e9)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        });
    let Ok(addr) = listener.local_addr() else {
        std::process::exit(2)
    };
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    let url = format!("http://{addr}/api/v1/submissions");
    let client = reqwest::Client::new();
    let batches: Vec<Vec<Submission>> = records.chunks(100).map(<[_]>::to_vec).collect();
    let queue = Arc::new(Mutex::new(batches));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrent.max(1) {
        let (queue, client, url, token) =
            (queue.clone(), client.clone(), url.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            let mut stored = 0usize;
            loop {
                let Some(batch) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                    return stored;
                };
                let answer = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&SubmissionBatch { records: batch })
                    .send()
                    .await;
                if let Ok(answer) = answer {
                    if let Ok(body) = answer.json::<SubmissionResponse>().await {
                        stored += body
                            .results
                            .iter()
                            .filter(|r| r.outcome.is_delivered())
                            .count();
                    }
                }
            }
        }));
    }
    let mut stored = 0;
    for worker in workers {
        stored += worker.await.unwrap_or(0);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{stored} of {} records stored in {seconds:.2} s by {concurrent} client(s): {:.0} records/s",
        records.len(),
        stored as f64 / seconds
    );
    let _ = std::fs::remove_dir_all(&data);
    // Exit without dropping the server: a PostgreSQL client must not be dropped on the
    // runtime's threads.
    std::process::exit(0);
}
