//! A repeat group: one block of questions per instance (such as per household member), with
//! buttons to add and remove instances. The group's answer is the list of its instances; every
//! change is sent up as the whole list.

use std::rc::Rc;

use doorstep_core::validate::Instance;
use doorstep_core::{Issue, Severity};
use serde_json::Value as Json;
use yew::prelude::*;

use crate::components::field::{input_id, FieldView};
use crate::components::form::focus_later;
use crate::i18n::{Locale, Text};
use crate::state::FormRef;

/// What a repeat group needs to render.
#[derive(Properties, PartialEq)]
pub struct RepeatProps {
    /// The form.
    pub form: FormRef,
    /// The group's index in `Form::repeats`.
    pub repeat: usize,
    /// The group's answer: a list of objects, one per instance.
    pub value: Option<Json>,
    /// The evaluated instances.
    pub instances: Rc<Vec<Instance>>,
    /// Issues about the group as a whole (too few, too many).
    pub issues: Rc<Vec<Issue>>,
    /// Whether to flag unanswered required questions.
    pub attempted: bool,
    /// The interface language.
    pub locale: Locale,
    /// Called with `(group id, list of instances)`.
    pub on_change: Callback<(String, Json)>,
}

fn items(value: &Option<Json>) -> Vec<Json> {
    value
        .as_ref()
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default()
}

/// A repeat group.
#[function_component(RepeatView)]
pub fn repeat_view(props: &RepeatProps) -> Html {
    let form = &props.form.0;
    let repeat = &form.repeats[props.repeat];
    let group = form.fields[repeat.field].def.id.clone();
    let locale = props.locale;
    let tag = locale.tag();
    let title = form.fields[repeat.field].def.label.get(tag).to_string();
    let current = items(&props.value);
    let emit = {
        let on_change = props.on_change.clone();
        let group = group.clone();
        move |list: Vec<Json>| on_change.emit((group.clone(), Json::Array(list)))
    };
    let on_add = {
        let (emit, current) = (emit.clone(), current.clone());
        Callback::from(move |_| {
            let mut list = current.clone();
            list.push(Json::Object(serde_json::Map::new()));
            emit(list);
        })
    };
    let at_max = repeat
        .limits
        .max
        .is_some_and(|max| current.len() >= max as usize);
    let add_id = format!("{}-add", input_id(&group));
    let issues_id = format!("{}-issues", input_id(&group));
    html! {
        <div class="repeat" id={input_id(&group)}>
            { for current.iter().enumerate().map(|(k, item)| {
                let on_member = {
                    let (emit, current) = (emit.clone(), current.clone());
                    Callback::from(move |(field, value): (String, Json)| {
                        let mut list = current.clone();
                        if let Some(Json::Object(object)) = list.get_mut(k) {
                            if value.is_null() || value.as_str().is_some_and(str::is_empty) {
                                object.remove(&field);
                            } else {
                                object.insert(field, value);
                            }
                        }
                        emit(list);
                    })
                };
                let on_remove = {
                    let (emit, current) = (emit.clone(), current.clone());
                    let add_id = add_id.clone();
                    Callback::from(move |_| {
                        let mut list = current.clone();
                        if k < list.len() {
                            list.remove(k);
                        }
                        emit(list);
                        // The button pressed goes with its instance: the focus goes on to the
                        // group's add button rather than being lost to the page.
                        focus_later(add_id.clone());
                    })
                };
                let instance = props.instances.get(k).cloned().unwrap_or_default();
                let heading = format!("{title} {}", k + 1);
                html! {
                    <fieldset class="instance" key={format!("{group}-{k}")} aria-label={heading.clone()}>
                        <legend>{ heading.clone() }</legend>
                        { for repeat.members.iter().enumerate().map(|(position, &m)| {
                            let field = &form.fields[m];
                            let id = field.def.id.as_str();
                            let state = instance.states.get(position).cloned().unwrap_or_default();
                            let value = if field.calculate.is_some() {
                                Some(state.value.to_answer()).filter(|v| !v.is_null())
                            } else {
                                item.get(id).cloned()
                            };
                            let issues: Vec<Issue> = state
                                .issues
                                .iter()
                                .filter(|i| props.attempted || i.code != "required")
                                .cloned()
                                .collect();
                            html! {
                                <FieldView key={id.to_string()}
                                    form={props.form.clone()}
                                    index={m}
                                    path={format!("{group}[{k}].{id}")}
                                    value={value}
                                    relevant={state.relevant}
                                    required={state.required}
                                    offered={state.offered}
                                    issues={Rc::new(issues)}
                                    locale={locale}
                                    on_change={on_member.clone()} />
                            }
                        }) }
                        <button type="button" class="remove" onclick={on_remove}
                            aria-label={format!("{} {heading}", Text::RemoveInstance.get(locale))}>
                            { Text::RemoveInstance.get(locale) }
                        </button>
                    </fieldset>
                }
            }) }
            // Always there (empty when there is nothing to say), so the nodes around the
            // instances never shift under the collector's focus.
            <ul class="issues" id={issues_id.clone()}>
                { for props.issues.iter().map(|i| html! {
                    <li class={classes!("issue", if i.severity == Severity::Error { "error" } else { "warning" })}>
                        { i.message.get(tag) }
                    </li>
                }) }
            </ul>
            // The group's own issues (too few, too many) are read with its add button, where
            // the summary's link to the group leads.
            <button type="button" class="add" id={add_id} onclick={on_add} disabled={at_max}
                aria-describedby={(!props.issues.is_empty()).then_some(issues_id)}>
                { format!("{} {title}", Text::AddInstance.get(locale)) }
            </button>
        </div>
    }
}
