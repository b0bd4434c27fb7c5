//! One question of a form: its label, its input, its hint and its issues, wired for
//! assistive technology (`aria-invalid`, `aria-describedby`) and for fingers (large targets).

use std::rc::Rc;

use doorstep_core::keypad::Keypad;
use doorstep_core::schema::FieldType;
use doorstep_core::{Issue, Severity};
use serde_json::Value as Json;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::form::focus;
use crate::components::region::{AreaRef, RegionPicker};
use crate::i18n::{Locale, Text};
use crate::state::FormRef;

/// What a question needs to render; compared cheaply, so only changed questions re-render.
#[derive(Properties, PartialEq)]
pub struct FieldProps {
    /// The form.
    pub form: FormRef,
    /// The field's index in the form.
    pub index: usize,
    /// Where the answer is: the field id, or `group[k].id` inside a repeat group's instance.
    pub path: String,
    /// The current answer.
    pub value: Option<Json>,
    /// Whether the question is asked.
    pub relevant: bool,
    /// The issues to show at this field.
    pub issues: Rc<Vec<Issue>>,
    /// Whether the field is required now.
    pub required: bool,
    /// For a filtered choice field, which options are offered.
    pub offered: Option<Vec<bool>>,
    /// Whether the answer is shown but may not change: the village of a community form
    /// started from the roster.
    #[prop_or_default]
    pub locked: bool,
    /// The interface language.
    pub locale: Locale,
    /// Called with `(field id, new answer)`.
    pub on_change: Callback<(String, Json)>,
}

/// The DOM id of a field's input, from its path (`age`, or `members[0].age` in a group).
pub fn input_id(path: &str) -> String {
    let mut id = String::with_capacity(path.len() + 2);
    id.push_str("f-");
    for c in path.chars() {
        match c {
            '[' | '.' => id.push('-'),
            ']' => {}
            c => id.push(c),
        }
    }
    id
}

/// The field id at the end of an issue's path.
pub fn field_of_path(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Turns what was typed into an integer field into an answer: a number when it is one, the
/// text as typed otherwise (so nothing typed is lost and the check can say what is wrong).
fn integer_answer(text: &str) -> Json {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Json::Null
    } else {
        trimmed
            .parse::<i64>()
            .map(Json::from)
            .unwrap_or_else(|_| Json::String(text.to_string()))
    }
}

/// Turns what was typed into a decimal field into an answer, like [`integer_answer`].
fn decimal_answer(text: &str) -> Json {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Json::Null;
    }
    trimmed
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Json::Number)
        .unwrap_or_else(|| Json::String(text.to_string()))
}

/// The answer a typed text gives, for a field typed in.
fn answer_of(field_type: FieldType, text: &str) -> Json {
    match field_type {
        FieldType::Integer => integer_answer(text),
        FieldType::Decimal => decimal_answer(text),
        _ if text.is_empty() => Json::Null,
        _ => Json::String(text.to_string()),
    }
}

fn display_value(value: &Option<Json>) -> String {
    match value {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Whether the option at `n` is offered, by a choice filter's list (`FieldProps::offered`):
/// every option is when the field has no filter.
fn is_offered(offered: Option<&[bool]>, n: usize) -> bool {
    offered.is_none_or(|o| o.get(n).copied().unwrap_or(true))
}

/// A calculated value as shown: the label of its code when the field lists options (such as
/// 女 for `2`), else the value itself.
fn calculated_text(
    options: &[doorstep_core::schema::ChoiceOption],
    value: &Option<Json>,
    locale: &str,
) -> String {
    let text = display_value(value);
    options
        .iter()
        .find(|o| o.code == text)
        .map_or(text, |o| o.label.get(locale).to_string())
}

/// A single choice of more options than this is a drop-down list instead of a column of
/// buttons: the 58 ethnic groups as buttons would make a page 3,000 px long on a tablet.
pub const LONG_CHOICE: usize = 12;

/// One question.
#[function_component(FieldView)]
pub fn field_view(props: &FieldProps) -> Html {
    let field = &props.form.0.fields[props.index];
    let id = field.def.id.clone();
    let field_type = field.def.field_type;
    // What the collector typed, kept as typed: "6." on the way to "6.5" must not turn into
    // "6.0" under their finger. It gives way to the answer when the answer changes elsewhere
    // (a reload, another instance), that is when the typed text no longer reads as it.
    // Kept without redrawing: the input already shows what was typed, and the answer it gives
    // redraws the question when it changes.
    let typed = use_mut_ref(|| display_value(&props.value));
    let shown_text = {
        let typed = typed.borrow();
        if answer_of(field_type, &typed) == props.value.clone().unwrap_or(Json::Null) {
            typed.clone()
        } else {
            display_value(&props.value)
        }
    };
    let on_input = {
        let on_change = props.on_change.clone();
        let id = id.clone();
        let typed = typed.clone();
        use_callback((id, on_change), move |e: InputEvent, (id, on_change)| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let text = input.value();
            let value = answer_of(field_type, &text);
            *typed.borrow_mut() = text;
            on_change.emit((id.clone(), value));
        })
    };
    let on_toggle = {
        let on_change = props.on_change.clone();
        let id = id.clone();
        let value = props.value.clone();
        use_callback(
            (id, on_change, value),
            move |e: Event, (id, on_change, value)| {
                let input: HtmlInputElement = e.target_unchecked_into();
                let mut codes: Vec<Json> = value
                    .as_ref()
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                let code = Json::String(input.value());
                codes.retain(|c| *c != code);
                if input.checked() {
                    codes.push(code);
                }
                on_change.emit((id.clone(), Json::Array(codes)));
            },
        )
    };
    let area = use_context::<AreaRef>().and_then(|a| a.0);
    let on_region = {
        let on_change = props.on_change.clone();
        let id = id.clone();
        use_callback(
            (id, on_change),
            move |code: Option<String>, (id, on_change)| {
                on_change.emit((id.clone(), code.map_or(Json::Null, Json::String)));
            },
        )
    };
    let on_choice = {
        let on_change = props.on_change.clone();
        let id = id.clone();
        use_callback((id, on_change), move |e: Event, (id, on_change)| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_change.emit((id.clone(), Json::String(input.value())));
        })
    };
    let on_select = {
        let on_change = props.on_change.clone();
        let id = id.clone();
        use_callback((id, on_change), move |e: Event, (id, on_change)| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let code = select.value();
            let answer = if code.is_empty() {
                Json::Null
            } else {
                Json::String(code)
            };
            on_change.emit((id.clone(), answer));
        })
    };
    let dropdown = field_type == FieldType::SingleChoice && field.options.len() > LONG_CHOICE;
    // Choices by their codes: digits typed on a choice question pick the option with that code
    // (codes of several digits are typed within a second, as 0 then 1 for 01).
    // What was typed, when, and the answer before a code that longer codes begin with was
    // toggled (so that 1 then 2 toggles 12, not 1 and 12).
    let typed_code = use_mut_ref(|| (String::new(), 0.0_f64, None::<Json>));
    let on_code = {
        let on_change = props.on_change.clone();
        let id = id.clone();
        let path = props.path.clone();
        let value = props.value.clone();
        let offered = props.offered.clone();
        let codes: Vec<String> = field.options.iter().map(|o| o.code.clone()).collect();
        let multiple = field_type == FieldType::MultipleChoice;
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            if key.len() != 1
                || !key.chars().all(|c| c.is_ascii_digit())
                || e.ctrl_key()
                || e.alt_key()
                || e.meta_key()
                || e.is_composing()
            {
                return;
            }
            e.prevent_default();
            let now = crate::device::now_millis() as f64;
            let mut typed = typed_code.borrow_mut();
            if now - typed.1 > 1000.0 {
                typed.0.clear();
                typed.2 = None;
            }
            typed.0.push_str(&key);
            typed.1 = now;
            let offered_at = |n: usize| is_offered(offered.as_deref(), n);
            let candidates = |prefix: &str| {
                codes
                    .iter()
                    .enumerate()
                    .filter(|(n, c)| offered_at(*n) && c.starts_with(prefix))
                    .count()
            };
            if candidates(&typed.0) == 0 {
                // A new code starts with this digit.
                typed.0 = key.clone();
                typed.2 = None;
            }
            let Some(n) = codes
                .iter()
                .position(|c| *c == typed.0)
                .filter(|&n| offered_at(n))
            else {
                return;
            };
            let code = codes[n].clone();
            let current = value.clone().unwrap_or(Json::Null);
            // Extending a code just toggled: start again from the answer before it.
            let base = typed.2.take().unwrap_or(current);
            if candidates(&code) > 1 {
                typed.2 = Some(base.clone());
            } else {
                typed.0.clear();
            }
            let answer = if multiple {
                let mut chosen: Vec<Json> = base.as_array().cloned().unwrap_or_default();
                let item = Json::String(code.clone());
                if chosen.contains(&item) {
                    chosen.retain(|c| *c != item);
                } else {
                    chosen.push(item);
                }
                Json::Array(chosen)
            } else {
                Json::String(code)
            };
            on_change.emit((id.clone(), answer));
            // The focus follows the option chosen, so Enter moves on from there. Options are
            // named by the question's path, which inside a repeat group is not its id. A
            // drop-down list keeps the focus.
            if !dropdown {
                focus(&format!("{}-{n}", input_id(&path)));
            }
        })
    };
    // A drop-down list shows the answer held: the `selected` attribute alone is not enough
    // once the collector has picked an option in it (the browser then goes by its own choice),
    // so the list's value is set whenever the answer changes. Other questions key the effect
    // on nothing, so it never runs again for them.
    let select_ref = use_node_ref();
    {
        let select_ref = select_ref.clone();
        let code = dropdown.then(|| {
            props
                .value
                .as_ref()
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        });
        use_effect_with(code, move |code| {
            if let (Some(select), Some(code)) = (select_ref.cast::<HtmlSelectElement>(), code) {
                if select.value() != *code {
                    select.set_value(code);
                }
            }
        });
    }
    if !props.relevant {
        // Hidden questions stay mounted and render nothing, so the list keeps its shape.
        return html! {};
    }
    let locale = props.locale.tag();
    let input_id = input_id(&props.path);
    let error_id = format!("{input_id}-issues");
    let hint_id = format!("{input_id}-hint");
    let has_error = props.issues.iter().any(|i| i.severity == Severity::Error);
    let mut described = Vec::new();
    if field.def.hint.is_some() {
        described.push(hint_id.clone());
    }
    if !props.issues.is_empty() {
        described.push(error_id.clone());
    }
    // A group cannot carry aria-required, and the * is hidden from screen readers: a required
    // choice says so in its description.
    let required_id = format!("{input_id}-required");
    // Always present (its text comes and goes), so the options after it are never drawn anew.
    let says_required =
        props.required && field_type.has_options() && field_type != FieldType::Calculated;
    let required_note = html! {
        <span class="visually-hidden" id={required_id.clone()}>
            { if says_required { Text::Required.get(props.locale) } else { "" } }
        </span>
    };
    if says_required {
        described.push(required_id.clone());
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    let label = field.def.label.get(locale);
    let required_mark = props.required.then(|| {
        html! { <span class="required" aria-hidden="true" title={Text::Required.get(props.locale)}>{" *"}</span> }
    });
    let hint = field
        .def
        .hint
        .as_ref()
        .map(|h| html! { <p class="hint" id={hint_id.clone()}>{ h.get(locale) }</p> });
    // The list is always there, empty when there is nothing to say: a node that comes and
    // goes beside the input would make Yew draw the input anew and take the focus from it.
    let issues = html! {
        <ul class="issues" id={error_id.clone()}>
            { for props.issues.iter().map(|i| html! {
                <li class={classes!("issue", if i.severity == Severity::Error { "error" } else { "warning" })}>
                    { i.message.get(locale) }
                </li>
            }) }
        </ul>
    };
    let aria_invalid = if has_error { "true" } else { "false" };
    // An option carries its question's issues only (errors, and warnings to confirm): the
    // group's hint and required note are read once, with the group, not again with each option.
    let option_described = (!props.issues.is_empty()).then(|| error_id.clone());
    let options = |multiple: bool| {
        let chosen: Vec<String> = match &props.value {
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect(),
            Some(Json::String(code)) => vec![code.clone()],
            _ => Vec::new(),
        };
        html! {
            <fieldset class="choices" id={format!("{input_id}-options")} aria-invalid={aria_invalid}
                aria-describedby={described.clone()} onkeydown={on_code.clone()}>
                <legend>{ label }{ required_mark.clone() }</legend>
                { required_note.clone() }
                { for field.options.iter().enumerate().map(|(n, option)| {
                    let offered = is_offered(props.offered.as_deref(), n);
                    let option_id = format!("{input_id}-{n}");
                    let checked = chosen.contains(&option.code);
                    // An option that is not offered is hidden, unless it was chosen before the
                    // filter changed: then it stays visible so it can be taken back.
                    if !offered && !checked {
                        return html! {};
                    }
                    html! {
                        <label class="choice" for={option_id.clone()}>
                            if multiple {
                                <input type="checkbox" id={option_id} name={input_id.clone()}
                                    value={option.code.clone()} checked={checked}
                                    aria-invalid={aria_invalid} aria-describedby={option_described.clone()}
                                    onchange={on_toggle.clone()} />
                            } else {
                                <input type="radio" id={option_id} name={input_id.clone()}
                                    value={option.code.clone()} checked={checked}
                                    aria-invalid={aria_invalid} aria-describedby={option_described.clone()}
                                    onchange={on_choice.clone()} />
                            }
                            <span>{ option.label.get(locale) }</span>
                        </label>
                    }
                }) }
            </fieldset>
        }
    };
    // A long list is one control, named `-options` as a group of options is, so that the
    // error summary's link and the focus find it alike.
    let select = || {
        let chosen = props.value.as_ref().and_then(Json::as_str);
        let select_id = format!("{input_id}-options");
        html! {
            <>
                <label for={select_id.clone()}>{ label }{ required_mark.clone() }</label>
                { required_note.clone() }
                <select id={select_id} ref={select_ref.clone()} aria-invalid={aria_invalid}
                    aria-describedby={described.clone()}
                    onchange={on_select.clone()} onkeydown={on_code.clone()}>
                    <option value="" selected={chosen.is_none()}>{ Text::Choose.get(props.locale) }</option>
                    { for field.options.iter().enumerate().map(|(n, option)| {
                        let offered = is_offered(props.offered.as_deref(), n);
                        let selected = chosen == Some(option.code.as_str());
                        // As among buttons: an option no longer offered stays only while chosen.
                        if !offered && !selected {
                            return html! {};
                        }
                        html! {
                            <option value={option.code.clone()} selected={selected}>
                                { option.label.get(locale) }
                            </option>
                        }
                    }) }
                </select>
            </>
        }
    };
    // The village of a community form of the roster is shown as the roster gave it, not asked.
    // So is an answer that comes from the configuration (调查年度), while it stands without an
    // error: one missing, out of range or returned by the server is the collector's to put
    // right, and is shown read-only again once it is right.
    let from_configuration =
        field.def.read_only && props.value.as_ref().is_some_and(|v| !v.is_null()) && !has_error;
    let locked_text =
        (props.locked || from_configuration).then(|| match (field_type, &area, &props.value) {
            (FieldType::Region, Some(area), Some(Json::String(code))) => area
                .village(code)
                .map(|(town, village)| {
                    format!(
                        "{} {}",
                        town.name.as_deref().unwrap_or(&town.code),
                        village.name
                    )
                })
                .unwrap_or_else(|| code.clone()),
            // A code is shown by its option's label.
            _ if !field.options.is_empty() => calculated_text(&field.options, &props.value, locale),
            _ => shown_text.clone(),
        });
    let body = match (locked_text, field_type) {
        (Some(text), _) => html! {
            <>
                <label for={input_id.clone()}>{ label }</label>
                <input id={input_id.clone()} type="text" readonly=true class="derived"
                    value={text}
                    aria-invalid={aria_invalid}
                    aria-describedby={described.clone()} />
            </>
        },
        (None, field_type) => match field_type {
            FieldType::SingleChoice if dropdown => select(),
            FieldType::SingleChoice => options(false),
            FieldType::MultipleChoice => options(true),
            // A repeat group is drawn by its own component, never as a single question.
            FieldType::Repeat => html! {},
            FieldType::Calculated => html! {
                <>
                    <label for={input_id.clone()}>{ label }</label>
                    <input id={input_id.clone()} type="text" readonly=true class="derived"
                        value={calculated_text(&field.options, &props.value, locale)}
                        aria-invalid={aria_invalid}
                        aria-describedby={described.clone()} />
                </>
            },
            FieldType::Region if area.is_some() => html! {
                <RegionPicker area={area.clone().unwrap_or_default()}
                    input_id={input_id.clone()}
                    label={html! { <>{ label }{ required_mark }</> }}
                    value={props.value.as_ref().and_then(Json::as_str).map(str::to_string)}
                    described={described.clone()}
                    invalid={has_error}
                    required={props.required}
                    locale={props.locale}
                    on_change={on_region} />
            },
            FieldType::Text
            | FieldType::Integer
            | FieldType::Decimal
            | FieldType::Date
            | FieldType::Region => {
                let (input_type, inputmode) = match field_type {
                    FieldType::Integer | FieldType::Region => ("text", Some("numeric")),
                    FieldType::Decimal => ("text", Some("decimal")),
                    FieldType::Date => ("date", None),
                    _ => ("text", field.keypad.map(Keypad::input_mode)),
                };
                html! {
                    <>
                        <label for={input_id.clone()}>{ label }{ required_mark }</label>
                        <input id={input_id.clone()} type={input_type}
                            inputmode={inputmode}
                            autocomplete="off"
                            value={shown_text.clone()}
                            aria-invalid={aria_invalid}
                            aria-required={props.required.to_string()}
                            aria-describedby={described.clone()}
                            oninput={on_input} />
                    </>
                }
            }
        },
    };
    html! {
        <div class={classes!("field", has_error.then_some("has-error"))} data-field={id}>
            { body }
            { hint.unwrap_or_default() }
            { issues }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_numbers_and_anything_else_is_kept_as_typed() {
        assert_eq!(integer_answer(" 42 "), Json::from(42));
        assert_eq!(integer_answer(""), Json::Null);
        assert_eq!(integer_answer("4x"), Json::String("4x".into()));
        assert_eq!(input_id("members[2].m_age"), "f-members-2-m_age");
        assert_eq!(field_of_path("members[2].m_age"), "m_age");
        assert_eq!(field_of_path("age"), "age");
        assert_eq!(decimal_answer("61.5"), serde_json::json!(61.5));
        assert_eq!(decimal_answer("6,5"), Json::String("6,5".into()));
    }
}
