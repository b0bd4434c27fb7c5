//! The device store against real IndexedDB in headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use doorstep_app::store::{DeviceStore, KeptAnswer};
use doorstep_core::{Form, Record, Status};
use serde_json::json;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn demo() -> Form {
    Form::from_json(include_str!("../schemas/demo.json")).expect("demo form")
}

#[wasm_bindgen_test]
async fn a_draft_survives_closing_and_reopening_the_database() {
    let name = "doorstep-test-roundtrip";
    DeviceStore::delete(name).await.expect("clean start");
    let form = demo();
    let mut draft = Record::new("0190-test-draft".into(), &form, 1_000);
    draft
        .set_answer("name", json!("张三"), 1_001)
        .expect("draft");
    draft.set_answer("age", json!(42), 1_002).expect("draft");
    {
        let store = DeviceStore::open(name).await.expect("opens");
        store.put(&draft).await.expect("put");
        store.close();
    }
    let store = DeviceStore::open(name).await.expect("reopens");
    let read = store.get(&draft.id).await.expect("get").expect("present");
    assert_eq!(read, draft);
    assert_eq!(store.get("missing").await.expect("get"), None);
    let both = store
        .get_many(&[draft.id.clone(), "missing".into()])
        .await
        .expect("get_many");
    assert_eq!(both, vec![Some(draft.clone()), None]);

    // A status change replaces the stored copy: the record is never in two states.
    draft
        .set_answer("visited", json!("1"), 1_003)
        .expect("draft");
    draft
        .submit(&form, doorstep_core::Context::default(), 1_004)
        .expect("valid");
    store.put(&draft).await.expect("put queued");
    let (all, unreadable) = store.all().await.expect("all");
    assert!(unreadable.is_empty());
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, Status::Queued);
    assert_eq!(all[0].answers["age"], json!(42));
    store.close();
    DeviceStore::delete(name).await.expect("clean up");
}

#[wasm_bindgen_test]
async fn records_come_back_in_creation_order() {
    let name = "doorstep-test-order";
    DeviceStore::delete(name).await.expect("clean start");
    let form = demo();
    let store = DeviceStore::open(name).await.expect("opens");
    let ids: Vec<String> = (0..5u64)
        .map(|i| doorstep_core::record::record_id(1_700_000_000_000 + i, [9; 10]))
        .collect();
    for id in ids.iter().rev() {
        store
            .put(&Record::new(id.clone(), &form, 0))
            .await
            .expect("put");
    }
    let (all, _) = store.all().await.expect("all");
    let read: Vec<String> = all.into_iter().map(|r| r.id).collect();
    assert_eq!(read, ids);
    store.close();
    DeviceStore::delete(name).await.expect("clean up");
}

#[wasm_bindgen_test]
async fn a_record_keeps_its_metadata_and_returned_issues_and_the_assignments_are_kept() {
    use doorstep_core::protocol::{AssignedVillage, Assignments, RosterPerson};
    use doorstep_core::record::{Confirmation, Position};
    let name = "doorstep-test-metadata";
    DeviceStore::delete(name).await.expect("clean start");
    let store = DeviceStore::open(name).await.expect("opens");
    let mut record = Record::new("0190-test-meta".into(), &demo(), 1);
    record.meta.subject = Some("33011019800515002642".into());
    record.meta.method = Some("1".into());
    record.meta.opened = 3;
    record.meta.position = Some(Position {
        latitude: 30.29,
        longitude: 119.97,
        accuracy: 12.5,
        at: 5,
    });
    record.meta.confirmed = vec![Confirmation {
        field: "age".into(),
        code: "old".into(),
        note: "本人确认".into(),
    }];
    record.meta.reconfirm = true;
    record.returned = vec![doorstep_core::Issue {
        field: "name".into(),
        severity: doorstep_core::Severity::Error,
        code: "conflict".into(),
        message: doorstep_core::Localized::zh_en("冲突", "conflict"),
    }];
    store.put(&record).await.expect("put");
    let read = store.get(&record.id).await.expect("get").expect("present");
    assert_eq!(read, record);

    let assignments = Assignments {
        collector: "王五".into(),
        villages: vec![AssignedVillage {
            code: "330110005001".into(),
            name: "顾家桥社区".into(),
            town: "五常街道".into(),
        }],
        persons: vec![RosterPerson {
            cert_no: "33011019800515002642".into(),
            name: "李四".into(),
            region_code: "330110005001".into(),
            prefill: serde_json::from_value(json!({"hukou_type": "1"})).expect("prefill"),
        }],
    };
    // Kept as the server sent it: a field this version does not know stays in the copy.
    let mut sent = serde_json::to_value(&assignments).expect("json");
    sent["persons"][0]["added_later"] = json!(1);
    let sent = sent.to_string();
    // Kept only while the device's sign-in is the one they were fetched with.
    let session = |token: &str| doorstep_core::protocol::Session {
        token: token.into(),
        collector: "王五".into(),
        villages: vec!["330110005001".into()],
        expires_at: doorstep_app::host::HOST_SIGN_IN_EXPIRES,
    };
    assert!(!store
        .put_answer(
            KeptAnswer::Assignments,
            sent.as_bytes(),
            Some("W/\"a1\""),
            "t"
        )
        .await
        .expect("written"));
    assert_eq!(
        store
            .answer_with_tag::<Assignments>(KeptAnswer::Assignments)
            .await
            .expect("read"),
        None
    );
    store.put_session(&session("t")).await.expect("signed in");
    // A host's sign-in, which never expires, reads back: the app starts signed in.
    assert_eq!(store.session().await.expect("read"), Some(session("t")));
    assert!(store
        .put_answer(
            KeptAnswer::Assignments,
            sent.as_bytes(),
            Some("W/\"a1\""),
            "t"
        )
        .await
        .expect("kept"));
    store.put_session(&session("u")).await.expect("signed in");
    assert!(!store
        .put_answer(KeptAnswer::Assignments, b"{}", Some("W/\"other\""), "t")
        .await
        .expect("written"));
    store.close();
    let raw = rexie::Rexie::builder(name).build().await.expect("opens");
    {
        let tx = raw
            .transaction(&["session"], rexie::TransactionMode::ReadOnly)
            .expect("transaction");
        let kept = tx
            .store("session")
            .expect("store")
            .get(wasm_bindgen::JsValue::from_str("assignments"))
            .await
            .expect("read")
            .expect("kept");
        let kept = String::from_utf8(js_sys::Uint8Array::new(&kept).to_vec()).expect("UTF-8");
        assert_eq!(kept, sent);
    }
    raw.close();
    let store = DeviceStore::open(name).await.expect("reopens");
    assert_eq!(
        store.assignments().await.expect("read"),
        Some(assignments.clone())
    );
    assert_eq!(
        store
            .answer_with_tag::<Assignments>(KeptAnswer::Assignments)
            .await
            .expect("read"),
        Some((assignments.clone(), Some("W/\"a1\"".to_string())))
    );
    // Assignments the server gave no tag for leave none behind: an old tag would name them.
    assert!(store
        .put_answer(KeptAnswer::Assignments, sent.as_bytes(), None, "u")
        .await
        .expect("kept"));
    assert_eq!(
        store
            .answer_with_tag::<Assignments>(KeptAnswer::Assignments)
            .await
            .expect("read"),
        Some((assignments.clone(), None))
    );
    // The records delivered are kept beside them, under their own keys: neither answer
    // replaces the other, nor takes the other's tag.
    let delivered = doorstep_core::protocol::Delivered {
        records: vec![doorstep_core::protocol::DeliveredRecord {
            id: "r1".into(),
            form: "individual".into(),
            subject: "33011019800515002642".into(),
            method: Some("1".into()),
            collector: Some("赵七".into()),
        }],
    };
    let body = serde_json::to_vec(&delivered).expect("json");
    assert!(store
        .put_answer(KeptAnswer::Delivered, &body, Some("W/\"d1\""), "u")
        .await
        .expect("kept"));
    assert_eq!(
        store
            .answer_with_tag(KeptAnswer::Delivered)
            .await
            .expect("read"),
        Some((delivered, Some("W/\"d1\"".to_string())))
    );
    assert_eq!(
        store
            .answer_with_tag::<Assignments>(KeptAnswer::Assignments)
            .await
            .expect("read"),
        Some((assignments.clone(), None))
    );
    // The same collector signing in again keeps them; another collector's sign-in forgets
    // them, being about another roster.
    store.put_session(&session("v")).await.expect("signed in");
    assert!(store
        .answer_with_tag::<doorstep_core::protocol::Delivered>(KeptAnswer::Delivered)
        .await
        .expect("read")
        .is_some());
    store
        .put_session(&doorstep_core::protocol::Session {
            collector: "赵七".into(),
            ..session("w")
        })
        .await
        .expect("signed in");
    assert_eq!(
        store
            .answer_with_tag::<doorstep_core::protocol::Delivered>(KeptAnswer::Delivered)
            .await
            .expect("read"),
        None
    );
    store.close();
    // A copy kept by an earlier version of the app, as the parsed object, with its tag: still
    // read, tag and all, so that an update does not download an unchanged roster again.
    let raw = rexie::Rexie::builder(name).build().await.expect("opens");
    {
        let tx = raw
            .transaction(&["session"], rexie::TransactionMode::ReadWrite)
            .expect("transaction");
        let kept = tx.store("session").expect("store");
        let object = js_sys::JSON::parse(&sent).expect("json");
        kept.put(
            &object,
            Some(&wasm_bindgen::JsValue::from_str("assignments")),
        )
        .await
        .expect("put");
        kept.put(
            &wasm_bindgen::JsValue::from_str("W/\"old\""),
            Some(&wasm_bindgen::JsValue::from_str("assignments-tag")),
        )
        .await
        .expect("put");
        tx.done().await.expect("committed");
    }
    raw.close();
    let store = DeviceStore::open(name).await.expect("reopens");
    assert_eq!(
        store
            .answer_with_tag::<Assignments>(KeptAnswer::Assignments)
            .await
            .expect("read"),
        Some((assignments, Some("W/\"old\"".to_string())))
    );
    store.close();
    DeviceStore::delete(name).await.expect("clean up");
}
