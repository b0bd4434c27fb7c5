//! A whole form: its sections and questions, the error summary that links to each question,
//! and the submit button.

use std::rc::Rc;

use doorstep_core::schema::FieldType;
use doorstep_core::{Evaluation, Issue, Record, Report};
use serde_json::Value as Json;
use yew::prelude::*;

use crate::components::field::{field_of_path, input_id, FieldView};
use crate::components::repeat::RepeatView;
use crate::i18n::{Locale, Text};
use crate::state::FormRef;

/// What the form needs to render.
#[derive(Properties, PartialEq)]
pub struct FormProps {
    /// The form.
    pub form: FormRef,
    /// The record being filled in.
    pub draft: Record,
    /// The state of every field of the draft.
    pub evaluation: Option<Rc<Evaluation>>,
    /// Issues the server returned the draft with.
    pub returned: Rc<Report>,
    /// Whether to flag unanswered required questions.
    pub attempted: bool,
    /// The interface language.
    pub locale: Locale,
    /// Called with `(field id, answer)` on every change.
    pub on_change: Callback<(String, Json)>,
    /// Called when the collector submits.
    pub on_submit: Callback<()>,
}

fn focus(id: &str) {
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    {
        if let Ok(element) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(element) {
            let _ = element.focus();
        }
    }
}

/// The issues to show at a field: "required" only once the collector tried to submit,
/// everything else as soon as there is an answer to find fault with.
fn shown_issues(
    evaluation: &Evaluation,
    returned: &Report,
    index: usize,
    id: &str,
    attempted: bool,
) -> Vec<Issue> {
    let mut issues: Vec<Issue> = evaluation
        .state(index)
        .map(|s| {
            s.issues
                .iter()
                .filter(|i| attempted || i.code != "required")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    issues.extend(returned.for_field(id).cloned());
    issues
}

/// The form.
#[function_component(FormView)]
pub fn form_view(props: &FormProps) -> Html {
    let form = &props.form.0;
    let locale = props.locale;
    let tag = locale.tag();
    let Some(evaluation) = props.evaluation.as_deref() else {
        return html! {};
    };
    let on_submit = {
        let on_submit = props.on_submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_submit.emit(());
        })
    };
    let summary: Vec<(String, String, String)> = if props.attempted {
        evaluation
            .report(form)
            .errors()
            .chain(props.returned.errors())
            .map(|issue| {
                let message = issue.message.get(tag).to_string();
                // An issue about the record as a whole (an unknown form version, say) is listed
                // too, pointing at the submit button.
                let Some(field) = form.field_by_id(field_of_path(&issue.field)) else {
                    return (
                        "submit".to_string(),
                        Text::WholeRecord.get(locale).to_string(),
                        message,
                    );
                };
                let target = if field.def.field_type.has_options() {
                    format!("{}-0", input_id(&issue.field))
                } else if field.def.field_type == FieldType::Repeat {
                    format!("{}-add", input_id(&issue.field))
                } else {
                    input_id(&issue.field)
                };
                (target, field.def.label.get(tag).to_string(), message)
            })
            .collect()
    } else {
        Vec::new()
    };
    html! {
        <form class="survey" novalidate=true onsubmit={on_submit} aria-labelledby="form-title">
            <h1 id="form-title">{ form.def.title.get(tag) }</h1>
            { for form.def.sections.iter().enumerate().map(|(s, section)| html! {
                // A section none of whose questions is asked is not shown at all.
                <section class="section" key={section.id.clone()} aria-labelledby={format!("s-{}", section.id)}
                    hidden={!form.fields.iter().enumerate().any(|(i, f)| f.section == s && f.repeat.is_none() && evaluation.is_relevant(i))}>
                    <h2 id={format!("s-{}", section.id)}>{ section.title.get(tag) }</h2>
                    { for form.fields.iter().enumerate().filter(|(_, f)| f.section == s && f.repeat.is_none()).map(|(i, field)| {
                        let id = field.def.id.as_str();
                        if field.def.field_type == FieldType::Repeat {
                            let r = form.repeats.iter().position(|r| r.field == i).unwrap_or_default();
                            return html! {
                                <RepeatView key={id.to_string()}
                                    form={props.form.clone()}
                                    repeat={r}
                                    value={props.draft.answers.get(id).cloned()}
                                    instances={Rc::new(evaluation.instances(r).to_vec())}
                                    issues={Rc::new(shown_issues(evaluation, &props.returned, i, id, props.attempted)
                                        .into_iter().filter(|issue| issue.field == id).collect::<Vec<_>>())}
                                    attempted={props.attempted}
                                    locale={locale}
                                    on_change={props.on_change.clone()} />
                            };
                        }
                        let state = evaluation.state(i).cloned().unwrap_or_default();
                        let value = if field.def.field_type == FieldType::Calculated {
                            Some(state.value.to_answer()).filter(|v| !v.is_null())
                        } else {
                            props.draft.answers.get(id).cloned()
                        };
                        html! {
                            <FieldView key={id.to_string()}
                                form={props.form.clone()}
                                index={i}
                                path={id.to_string()}
                                value={value}
                                relevant={state.relevant}
                                required={state.required}
                                offered={state.offered}
                                issues={Rc::new(shown_issues(evaluation, &props.returned, i, id, props.attempted))}
                                locale={locale}
                                on_change={props.on_change.clone()} />
                        }
                    }) }
                </section>
            }) }
            if !summary.is_empty() {
                <div class="error-summary" role="alert" tabindex="-1">
                    <h2>{ Text::FixErrors.get(locale) }</h2>
                    <ul>
                        { for summary.into_iter().map(|(target, label, message)| {
                            let href = format!("#{target}");
                            let onclick = Callback::from(move |e: MouseEvent| {
                                e.prevent_default();
                                focus(&target);
                            });
                            html! { <li><a href={href} onclick={onclick}>{ format!("{label}：{message}") }</a></li> }
                        }) }
                    </ul>
                </div>
            }
            <button type="submit" id="submit" class="primary">{ Text::Submit.get(locale) }</button>
        </form>
    }
}
