//! The two storage backends behave alike: the same sequence of operations on SQLite (in a
//! temporary folder) and on a real PostgreSQL server gives the same answers. PostgreSQL is
//! reached through `DOORSTEP_TEST_DATABASE_URL`, which `cargo xtask test` sets after installing
//! and starting Debian's `postgresql`; the database it names is emptied first. Two connections
//! to it also stand in for two server instances storing the same records at once.

use doorstep_core::protocol::{Outcome, RosterPerson, Submission};
use doorstep_server::store::{Collector, Store};
use serde_json::json;

fn submission(id: &str, revision: u32, age: i64) -> Submission {
    let answers: doorstep_core::Answers =
        serde_json::from_value(json!({"name": "张三", "visited": "1", "age": age}))
            .expect("answers");
    Submission {
        id: id.into(),
        form: "demo".into(),
        form_version: "1".into(),
        revision,
        hash: doorstep_core::protocol::answers_hash(&answers),
        answers,
        created_at: 1,
        completed_at: Some(2),
        updated_at: None,
        meta: Default::default(),
    }
}

/// Runs every operation and checks what each gives.
fn exercise(store: &mut Store) {
    // Records: accepted, duplicate, conflict, newer revision replaces.
    let first = submission("r1", 1, 40);
    let outcomes = store
        .insert(&[&first, &submission("r2", 1, 50)], Some("王五"), 10)
        .expect("insert");
    assert_eq!(outcomes, vec![Outcome::Accepted, Outcome::Accepted]);
    let again = store
        .insert(
            &[&first, &submission("r1", 1, 41), &submission("r2", 2, 51)],
            None,
            11,
        )
        .expect("insert");
    assert_eq!(
        again,
        vec![Outcome::Duplicate, Outcome::Conflict, Outcome::Accepted]
    );
    // The metadata the app records is kept, and a newer revision's replaces it.
    let mut visited = submission("r3", 1, 60);
    visited.meta = serde_json::from_value(json!({
        "subject": "33011019800101001X11", "method": "1", "collector": "王五", "opened": 2,
        "position": {"latitude": 30.42, "longitude": 120.3, "accuracy": 15.0, "at": 5},
        "confirmed": [{"field": "age", "code": "old", "note": "本人确认"}], "reconfirm": true
    }))
    .expect("meta");
    store.insert(&[&visited], Some("王五"), 12).expect("insert");
    let stored_meta = store
        .records()
        .expect("records")
        .into_iter()
        .find(|r| r.id == "r3")
        .map(|r| r.meta);
    assert_eq!(stored_meta, Some(visited.meta.clone()));
    visited.revision = 2;
    visited.meta.reconfirm = false;
    visited.answers.insert("age".into(), json!(61));
    visited.hash = doorstep_core::protocol::answers_hash(&visited.answers);
    store.insert(&[&visited], Some("王五"), 13).expect("insert");
    let stored_meta = store
        .records()
        .expect("records")
        .into_iter()
        .find(|r| r.id == "r3")
        .map(|r| r.meta.reconfirm);
    assert_eq!(stored_meta, Some(false));
    // The same answers with a newer revision: a duplicate, and its metadata is kept.
    visited.revision = 3;
    visited.meta.confirmed[0].note = "本人电话确认".into();
    let outcome = store.insert(&[&visited], Some("赵六"), 14).expect("insert");
    assert_eq!(outcome, vec![Outcome::Duplicate]);
    let stored = store
        .records()
        .expect("records")
        .into_iter()
        .find(|r| r.id == "r3")
        .map(|r| {
            (
                r.revision,
                r.meta.confirmed[0].note.clone(),
                r.sent_by,
                r.received_at,
            )
        });
    // Who sent the stored answers, and when: the revision that changed them (at 13), not the
    // later one with the same answers.
    assert_eq!(
        stored,
        Some((3, "本人电话确认".to_string(), Some("王五".to_string()), 13))
    );
    let records: Vec<_> = store
        .records()
        .expect("records")
        .into_iter()
        .filter(|r| r.id != "r3")
        .collect();
    assert_eq!(store.count().expect("count"), 3);
    assert_eq!(
        records
            .iter()
            .map(|r| (r.id.as_str(), r.revision))
            .collect::<Vec<_>>(),
        vec![("r1", 1), ("r2", 2)]
    );
    assert_eq!(records[1].answers["age"], 51);
    // r1 as 王五 sent it; r2 replaced by a batch sent without a sign-in, later.
    assert_eq!(
        records
            .iter()
            .map(|r| (r.sent_by.as_deref(), r.received_at))
            .collect::<Vec<_>>(),
        vec![(Some("王五"), 10), (None, 11)]
    );
    let stored = store.stored_answers(&["r1", "nope"]).expect("stored");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored["r1"],
        serde_json::to_string(&first.answers).expect("json")
    );

    // Collectors and sign-ins, with expiry.
    let collector = Collector {
        name: "王五".into(),
        password_hash: "$argon2id$stand-in".into(),
        villages: vec!["330110005001".into(), "330110005002".into()],
    };
    store.put_collector(&collector, 1).expect("collector");
    store
        .put_collector(
            &Collector {
                villages: vec!["330110005001".into()],
                ..collector.clone()
            },
            2,
        )
        .expect("replaced");
    let collectors = store.collectors().expect("collectors");
    assert_eq!(
        collectors
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        vec!["王五"]
    );
    assert_eq!(collectors[0].villages, vec!["330110005001".to_string()]);
    assert_eq!(
        store
            .collector("王五")
            .expect("collector")
            .map(|c| c.villages),
        Some(vec!["330110005001".to_string()])
    );
    assert_eq!(store.collector("nobody").expect("collector"), None);
    store
        .add_session("hash-a", "王五", 100, 1)
        .expect("session");
    assert!(store.session("hash-a", 99).expect("session").is_some());
    assert!(store.session("hash-a", 100).expect("session").is_none());
    assert!(store.session("hash-b", 1).expect("session").is_none());

    // The roster: imported, replaced by certificate number, read by village.
    let person = |cert: &str, name: &str, village: &str| RosterPerson {
        cert_no: cert.into(),
        name: name.into(),
        region_code: village.into(),
        prefill: serde_json::from_value(json!({"hukou_type": "1"})).expect("prefill"),
    };
    store
        .import_roster(
            &[
                person("33011019800515002642", "李四", "330110005001"),
                person("33011019900101001211", "赵六", "330110005002"),
            ],
            1,
        )
        .expect("roster");
    store
        .import_roster(
            &[person("33011019800515002642", "李四改", "330110005001")],
            2,
        )
        .expect("roster again");
    let mine = store.roster(&["330110005001".into()]).expect("roster");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].name, "李四改");
    assert_eq!(mine[0].prefill["hukou_type"], "1");
    let other = store.roster(&["330110005002".into()]).expect("roster");
    assert_eq!(other.len(), 1);
    // Several villages in one query, by village and certificate number.
    let both = store
        .roster(&["330110005002".into(), "330110005001".into()])
        .expect("roster");
    assert_eq!(
        both.iter()
            .map(|p| p.region_code.as_str())
            .collect::<Vec<_>>(),
        vec!["330110005001", "330110005002"]
    );
    // The records about a collector's roster, whoever sent them: a person's by certificate
    // number, a village's by its code; the record of a person on no roster of theirs is not.
    let mut about = |id: &str, subject: &str, method: Option<&str>, by: &str, at: i64| {
        let mut record = submission(id, 1, 30);
        record.meta.subject = Some(subject.into());
        record.meta.method = method.map(Into::into);
        store.insert(&[&record], Some(by), at).expect("insert");
    };
    about("p1", "33011019800515002642", Some("1"), "王五", 20);
    about("v1", "330110005002", None, "赵七", 21);
    about("p2", "33011019800515002642", Some("2"), "赵七", 22);
    let delivered = |store: &mut Store, villages: &[&str]| {
        let villages: Vec<String> = villages.iter().map(|v| v.to_string()).collect();
        store
            .delivered(&villages)
            .expect("delivered")
            .into_iter()
            .map(|d| (d.id, d.subject, d.method, d.collector))
            .collect::<Vec<_>>()
    };
    let li_si = "33011019800515002642".to_string();
    assert_eq!(
        delivered(store, &["330110005001"]),
        vec![
            (
                "p1".into(),
                li_si.clone(),
                Some("1".into()),
                Some("王五".into())
            ),
            (
                "p2".into(),
                li_si.clone(),
                Some("2".into()),
                Some("赵七".into())
            ),
        ]
    );
    assert_eq!(
        delivered(store, &["330110005002"]),
        vec![(
            "v1".into(),
            "330110005002".into(),
            None,
            Some("赵七".into())
        )]
    );
    assert_eq!(delivered(store, &["330110009001"]), vec![]);

    // A roster imported again after 赵六's number was reissued holds him twice, once per
    // number, in order: which line a number names is the core's rule
    // (`doorstep_core::record::listed_person`, applied to this list by the server).
    store
        .import_roster(&[person("33011019900101001212", "赵六", "330110005002")], 3)
        .expect("roster with the reissued number");
    let lines: Vec<String> = store
        .roster(&["330110005002".into()])
        .expect("roster")
        .into_iter()
        .map(|p| p.cert_no)
        .collect();
    assert_eq!(lines, ["33011019900101001211", "33011019900101001212"]);
}

#[test]
fn sqlite_behaves_as_specified() {
    let dir = tempfile::tempdir().expect("temp dir");
    exercise(&mut Store::open(dir.path()).expect("opens"));
    // Reopening finds everything, and runs no migration twice.
    let mut again = Store::open(dir.path()).expect("reopens");
    assert_eq!(again.count().expect("count"), 6);
}

/// The test database's address, emptied; `None` when none is configured.
fn postgres_url() -> Option<String> {
    let url = std::env::var("DOORSTEP_TEST_DATABASE_URL").ok()?;
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("PostgreSQL answers");
    client
        .batch_execute(
            "DROP TABLE IF EXISTS sessions, collectors, roster, submissions, doorstep_schema CASCADE",
        )
        .expect("emptied");
    Some(url)
}

#[test]
fn postgres_behaves_like_sqlite_and_instances_store_each_record_once() {
    let Some(url) = postgres_url() else {
        eprintln!("DOORSTEP_TEST_DATABASE_URL is not set: `cargo xtask test` sets it");
        return;
    };
    exercise(&mut Store::connect(&url).expect("connects"));
    // A record stored by an instance of the version before the subject column, still running
    // during a rolling upgrade, has none: the next instance to start fills it in.
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    raw.execute("UPDATE submissions SET subject = NULL WHERE id = 'p1'", &[])
        .expect("as an older instance stores it");
    drop(raw);
    let listed = |store: &mut Store| -> Vec<String> {
        store
            .delivered(&["330110005001".to_string()])
            .expect("delivered")
            .into_iter()
            .map(|d| d.id)
            .collect()
    };
    assert_eq!(
        listed(&mut Store::connect(&url).expect("reconnects")),
        ["p1", "p2"]
    );
    assert_eq!(
        Store::connect(&url)
            .expect("reconnects")
            .count()
            .expect("count"),
        6
    );

    // Two instances store the same 300 new records at once, in batches in opposite orders:
    // each record is stored once, and each instance hears accepted or duplicate for it.
    let batch: Vec<Submission> = (0..300)
        .map(|n| submission(&format!("c{n:04}"), 1, n % 100))
        .collect();
    let run = |reverse: bool| {
        let (url, batch) = (url.clone(), batch.clone());
        std::thread::spawn(move || {
            let mut store = Store::connect(&url).expect("connects");
            let mut records: Vec<&Submission> = batch.iter().collect();
            if reverse {
                records.reverse();
            }
            let mut outcomes = Vec::new();
            for chunk in records.chunks(50) {
                // The store locks rows in id order, so opposite orders wait rather than
                // deadlock: every batch succeeds the first time.
                outcomes.extend(
                    store
                        .insert(chunk, None, 1)
                        .expect("stored without deadlock"),
                );
            }
            outcomes
        })
    };
    let (one, two) = (run(false), run(true));
    let outcomes: Vec<Outcome> = one
        .join()
        .expect("instance one")
        .into_iter()
        .chain(two.join().expect("instance two"))
        .collect();
    assert!(outcomes.iter().all(|o| o.is_delivered()), "{outcomes:?}");
    let accepted = outcomes.iter().filter(|o| **o == Outcome::Accepted).count();
    assert_eq!(
        accepted, 300,
        "each record accepted by exactly one instance"
    );
    assert_eq!(
        Store::connect(&url)
            .expect("connects")
            .count()
            .expect("count"),
        306
    );
}
