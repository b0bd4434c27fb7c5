//! The size floor: the app's engine, storage and framework with one trivial screen.
//!
//! It loads a form, keeps a record in IndexedDB, reads it back, drives the outbox one step and
//! writes a submission, and draws every question of the form as a labelled input that is
//! re-checked at each keystroke. Whatever the real app adds beyond this wasm is the cost of its
//! screens and their logic. `measure.sh` builds it exactly as the app is built and prints its size.

use doorstep_core::protocol::{Assignments, Session, SubmissionBatch};
use doorstep_core::region::RegionList;
use doorstep_core::{sync, Area, Context, Evaluation, Form, Record};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

/// Fetches `url` as text.
async fn fetch_text(url: &str) -> Option<String> {
    let response = JsFuture::from(web_sys::window()?.fetch_with_str(url))
        .await
        .ok()?;
    let response: web_sys::Response = response.dyn_into().ok()?;
    JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()
}

/// Does once what the app does with a form, the device and the server's answers.
async fn load(evaluation: Rc<RefCell<Option<Evaluation>>>) -> Option<Rc<Form>> {
    let form = Rc::new(Form::from_json(&fetch_text("/forms/individual.json").await?).ok()?);
    let regions: Vec<RegionList> = serde_json::from_str(&fetch_text("/regions").await?).ok()?;
    let context = Context {
        area: Some(Area::new(regions).into()),
        ..Context::default()
    };
    let session: Option<Session> = serde_json::from_str(&fetch_text("/session").await?).ok();
    let assignments: Option<Assignments> =
        serde_json::from_str(&fetch_text("/assignments").await?).ok();
    let record = Record::new("floor".into(), &form, 0);
    *evaluation.borrow_mut() = Some(Evaluation::new(&form, &record.answers, context));

    let db = rexie::Rexie::builder("floor")
        .version(1)
        .add_object_store(rexie::ObjectStore::new("records"))
        .build()
        .await
        .ok()?;
    let tx = db
        .transaction(&["records"], rexie::TransactionMode::ReadWrite)
        .ok()?;
    let store = tx.store("records").ok()?;
    let text = serde_json::to_string(&record).ok()?;
    store
        .put(
            &JsValue::from_str(&text),
            Some(&JsValue::from_str(&record.id)),
        )
        .await
        .ok()?;
    for kept in store.get_all(None, None).await.ok()? {
        let kept: Record = serde_json::from_str(&kept.as_string()?).ok()?;
        let commands = sync::Outbox::new(true).handle(sync::Event::Online);
        let batch = SubmissionBatch {
            records: vec![kept.to_submission()],
        };
        let line = format!(
            "{} {} {}",
            commands.len(),
            serde_json::to_string(&batch).ok()?,
            session.is_some() && assignments.is_some()
        );
        web_sys::console::log_1(&line.into());
    }
    Some(form)
}

/// The one screen: every question of the form as a labelled input.
#[function_component]
fn Floor() -> Html {
    let form = use_state(|| None::<Rc<Form>>);
    let evaluation = use_mut_ref(|| None::<Evaluation>);
    let redraws = use_state(|| 0u32);
    {
        let (form, evaluation) = (form.clone(), evaluation.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { form.set(load(evaluation).await) })
        });
    }
    let Some(loaded) = (*form).clone() else {
        return html! { <p>{ "…" }</p> };
    };
    let report = evaluation.borrow().as_ref().map(|e| e.report(&loaded));
    let inputs = loaded.fields.iter().map(|field| {
        let (evaluation, form, redraws) = (evaluation.clone(), loaded.clone(), redraws.clone());
        let id = field.def.id.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Some(evaluation) = evaluation.borrow_mut().as_mut() {
                evaluation.set(&form, &id, serde_json::Value::String(input.value()));
            }
            redraws.set(*redraws + 1);
        });
        let invalid = report
            .as_ref()
            .is_some_and(|r| r.for_field(&field.def.id).next().is_some());
        html! {
            <label key={field.def.id.clone()}>
                { field.def.label.get("zh-CN") }
                <input aria-invalid={invalid.to_string()} {oninput} />
            </label>
        }
    });
    html! { <form>{ for inputs }</form> }
}

fn main() {
    yew::Renderer::<Floor>::new().render();
}
