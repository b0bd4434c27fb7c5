//! The real server behind a fault-injecting proxy, both on 127.0.0.1. The proxy drops 30% of
//! requests (the connection closes before the server sees them), answers 10% with 503, and
//! drops 30% of the server's answers (the server stored the records, the client never hears
//! so). A client drives the core's outbox state machine over real HTTP until its queue is
//! empty. 10,000 records must end as exactly 10,000 distinct records on the server, each with
//! the answers it was sent with.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use doorstep_core::protocol::{Submission, SubmissionBatch, SubmissionResponse};
use doorstep_core::sync::{Command, Event, Outbox};
use doorstep_core::Answers;
use doorstep_server::accounts;
use doorstep_server::app::{app, AppState};
use doorstep_server::forms::FormRegistry;
use doorstep_server::limit::RateLimiter;
use doorstep_server::store::{Collector, Store};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::json;

/// The client's bearer token (the proxy passes it on).
const TOKEN: &str = "token-of-the-faults-test";

/// A deterministic random source shared by the proxy's connections.
struct Dice(u64);

impl Dice {
    fn percent(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % 100
    }
}

/// Why the proxy closed a connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dropped by the proxy")
    }
}

impl std::error::Error for Dropped {}

#[derive(Default, Debug)]
struct Tally {
    requests: u64,
    dropped_requests: u64,
    unavailable: u64,
    dropped_answers: u64,
}

async fn relay(
    request: Request<Incoming>,
    server: SocketAddr,
    client: reqwest::Client,
    dice: Arc<Mutex<Dice>>,
    tally: Arc<Mutex<Tally>>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let roll = || dice.lock().map(|mut d| d.percent()).unwrap_or(0);
    let count = |f: fn(&mut Tally)| {
        if let Ok(mut t) = tally.lock() {
            f(&mut t)
        }
    };
    count(|t| t.requests += 1);
    let path = request.uri().path().to_string();
    let body = request
        .into_body()
        .collect()
        .await
        .map_err(|_| Dropped)?
        .to_bytes();
    let fate = roll();
    if fate < 30 {
        count(|t| t.dropped_requests += 1);
        return Err(Dropped);
    }
    if fate < 40 {
        count(|t| t.unavailable += 1);
        return Ok(Response::builder()
            .status(503)
            .body(Full::new(Bytes::from_static(b"busy")))
            .unwrap_or_default());
    }
    let answer = client
        .post(format!("http://{server}{path}"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|_| Dropped)?;
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.map_err(|_| Dropped)?;
    if roll() < 30 {
        count(|t| t.dropped_answers += 1);
        return Err(Dropped);
    }
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(bytes))
        .unwrap_or_default())
}

/// Starts the proxy in front of `server`; returns its address.
async fn start_proxy(server: SocketAddr, tally: Arc<Mutex<Tally>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy binds");
    let addr = listener.local_addr().expect("proxy address");
    let dice = Arc::new(Mutex::new(Dice(0x2545_F491_4F6C_DD1D)));
    let client = reqwest::Client::new();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (client, dice, tally) = (client.clone(), dice.clone(), tally.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    relay(request, server, client.clone(), dice.clone(), tally.clone())
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    addr
}

fn submission(n: usize) -> Submission {
    let answers: Answers = serde_json::from_value(json!({
        "name": format!("受访者{n}"), "visited": "1", "age": (n % 100) as i64
    }))
    .expect("answers");
    Submission {
        id: format!("0190f000-0000-7000-8000-{n:012}"),
        form: "demo".into(),
        form_version: "1".into(),
        revision: 2,
        hash: doorstep_core::protocol::answers_hash(&answers),
        answers,
        created_at: 1,
        completed_at: Some(2),
        updated_at: None,
        meta: Default::default(),
    }
}

/// Sends one batch through the proxy and turns what happens into the outbox's event.
async fn upload(client: &reqwest::Client, proxy: SocketAddr, ids: &[String]) -> Event {
    let records = ids
        .iter()
        .filter_map(|id| id.rsplit('-').next()?.parse::<usize>().ok())
        .map(submission)
        .collect();
    let failed = Event::Failed { jitter: 500 };
    let answer = client
        .post(format!("http://{proxy}/api/v1/submissions"))
        .bearer_auth(TOKEN)
        .json(&SubmissionBatch { records })
        .send()
        .await;
    let Ok(answer) = answer else {
        return failed;
    };
    match answer.status().as_u16() {
        200 => match answer.json::<SubmissionResponse>().await {
            Ok(response) => Event::Answered(response.results),
            Err(_) => failed,
        },
        413 => Event::TooLarge,
        401 => Event::Unauthorized,
        _ => failed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_records_arrive_exactly_once_through_a_faulty_proxy() {
    const RECORDS: usize = 10_000;
    let data = tempfile::tempdir().expect("temp dir");
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let mut store = Store::open(data.path()).expect("store opens");
    store
        .put_collector(
            &Collector {
                name: "王五".into(),
                password_hash: accounts::hash_password("a long password").expect("hash"),
                villages: vec!["330110005001".into()],
            },
            0,
        )
        .expect("collector");
    store
        .add_session(&accounts::token_hash(TOKEN), "王五", i64::MAX, 0)
        .expect("session");
    let mut state = AppState::new(
        FormRegistry::load_dir(&schemas).expect("forms load"),
        store,
        data.path().to_path_buf(),
        schemas,
    );
    // The faults are the proxy's; the per-token limit is tested elsewhere.
    state.limiter = Arc::new(Mutex::new(RateLimiter::new(u32::MAX, 1e9)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("server binds");
    let server = listener.local_addr().expect("server address");
    let router = app(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let tally = Arc::new(Mutex::new(Tally::default()));
    let proxy = start_proxy(server, tally.clone()).await;

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut outbox = Outbox::new(true);
    let mut commands = Vec::new();
    for n in 0..RECORDS {
        commands.extend(outbox.handle(Event::Queued {
            id: submission(n).id,
            collector: None,
        }));
    }
    let mut sent = std::collections::HashSet::new();
    let mut steps = 0;
    while let Some(command) = commands.pop() {
        steps += 1;
        assert!(steps < 100_000, "the outbox does not settle");
        let event = match command {
            Command::Upload(ids) => upload(&client, proxy, &ids).await,
            Command::MarkSent(id) => {
                assert!(sent.insert(id), "a record was marked sent twice");
                continue;
            }
            Command::Return { id, issues } => panic!("{id} came back: {issues:?}"),
            // Backoff is proven in the core's tests; here it is shortened to keep the test fast.
            Command::RetryAfter(ms) => {
                tokio::time::sleep(Duration::from_millis(ms / 100)).await;
                Event::Retry
            }
            Command::SignIn => panic!("no sign-in is asked for"),
        };
        commands.extend(outbox.handle(event));
    }

    let tally = tally.lock().map(|t| format!("{t:?}")).unwrap_or_default();
    assert!(outbox.waiting().is_empty(), "queue not empty; {tally}");
    assert_eq!(sent.len(), RECORDS, "{tally}");
    let stored = state
        .store
        .lock()
        .expect("store")
        .records()
        .expect("records");
    assert_eq!(stored.len(), RECORDS, "stored records; {tally}");
    let distinct: std::collections::HashSet<&str> = stored.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(distinct.len(), RECORDS);
    for record in &stored {
        let n: usize = record
            .id
            .rsplit('-')
            .next()
            .and_then(|t| t.parse().ok())
            .expect("an id this test made");
        let sent = serde_json::to_value(submission(n).answers).expect("json");
        assert_eq!(record.answers, sent, "{}", record.id);
    }
    println!("faulty proxy: {tally}");
}
