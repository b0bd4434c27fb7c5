//! A whole form: its sections and questions (as pages with a jump list and progress, or all on
//! one page), the error summary that links to each question, the warnings to confirm one by
//! one, and the complete button; a completed record is shown read-only with a way to edit it.

use std::rc::Rc;

use doorstep_core::schema::FieldType;
use doorstep_core::{Evaluation, Issue, Record, Report, Status};
use serde_json::Value as Json;
use wasm_bindgen::JsCast;
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
    /// Whether to flag unanswered required questions and unconfirmed warnings.
    pub attempted: bool,
    /// The interface language.
    pub locale: Locale,
    /// Whether sections are shown one at a time, as pages.
    #[prop_or_default]
    pub paged: bool,
    /// The section shown, when paged.
    #[prop_or_default]
    pub page: usize,
    /// Called with a section's index to show it.
    #[prop_or_default]
    pub on_page: Callback<usize>,
    /// Called with `(field id, answer)` on every change.
    pub on_change: Callback<(String, Json)>,
    /// Called with `(field path, warning code, note)` to confirm a warning, or with no note to
    /// withdraw the confirmation.
    #[prop_or_default]
    pub on_confirm: Callback<(String, String, Option<String>)>,
    /// Called when the collector completes the record.
    pub on_submit: Callback<()>,
    /// Called to edit a completed record again.
    #[prop_or_default]
    pub on_reopen: Callback<()>,
    /// Called when the collector asks to save (Ctrl+S); every change is saved anyway.
    #[prop_or_default]
    pub on_save: Callback<()>,
    /// Whether to show the keyboard shortcuts (the service window).
    #[prop_or_default]
    pub show_keys: bool,
}

/// What can take the focus in a question: its enabled inputs and selects, the checked radio
/// of a group first.
fn focus_target(field: &web_sys::Element) -> Option<web_sys::HtmlElement> {
    let pick = |selector: &str| {
        field
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    };
    pick("input[type=radio]:checked:not([disabled])").or_else(|| {
        pick("input:not([readonly]):not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled])")
    })
}

/// The questions of the page shown that can take the focus, in order.
fn focusable_fields() -> Vec<(web_sys::Element, web_sys::HtmlElement)> {
    let Some(list) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector_all("form.survey .field").ok())
    else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .filter_map(|field| focus_target(&field).map(|target| (field, target)))
        .collect()
}

/// Focuses the first question of the page shown.
fn focus_first_field() {
    if let Some((_, target)) = focusable_fields().into_iter().next() {
        let _ = target.focus();
    }
}

/// Moves the focus from the question holding `from` to the next one. Returns false when
/// `from` was in the page's last question.
fn focus_next_field(from: &web_sys::Element) -> bool {
    let fields = focusable_fields();
    let Some(current) = from.closest(".field").ok().flatten() else {
        return false;
    };
    let at = fields.iter().position(|(field, _)| *field == current);
    match at.and_then(|at| fields.get(at + 1)) {
        Some((_, target)) => {
            let _ = target.focus();
            true
        }
        None => false,
    }
}

/// Focuses an element once the page it is on has been drawn.
fn focus_later(id: String) {
    let focus_it = wasm_bindgen::closure::Closure::once_into_js(move || focus(&id));
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(focus_it.unchecked_ref(), 30);
    }
}

/// The DOM id an issue's link in the summary points at.
fn issue_target(form: &doorstep_core::Form, path: &str) -> Option<(String, usize)> {
    let field = form.field_by_id(field_of_path(path))?;
    let target = if field.def.field_type.has_options() {
        format!("{}-0", input_id(path))
    } else if field.def.field_type == FieldType::Repeat {
        format!("{}-add", input_id(path))
    } else {
        input_id(path)
    };
    Some((target, field.section))
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
    let page = props.page;
    // When the page changes, focus moves to its heading, so a keyboard or screen-reader user
    // starts at the top of the new page.
    let last_page = use_mut_ref(|| None::<usize>);
    // Set when Enter leaves a page's last question: the next page starts at its first question.
    let to_first_field = use_mut_ref(|| false);
    let pending = to_first_field.clone();
    use_effect_with((props.paged, page), move |(paged, page)| {
        let previous = last_page.borrow_mut().replace(*page);
        if std::mem::take(&mut *pending.borrow_mut()) {
            focus_first_field();
        } else if *paged && previous.is_some_and(|p| p != *page) {
            if let Some(heading) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(".section h2").ok().flatten())
                .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = heading.focus();
            }
        }
    });
    // At the service window the keyboard starts on the first question of a record opened.
    use_effect_with(
        (props.draft.id.clone(), props.show_keys),
        |(_, show_keys)| {
            if *show_keys {
                focus_first_field();
            }
        },
    );
    let Some(evaluation) = props.evaluation.as_deref() else {
        return html! {};
    };
    // The issues the server returned the record with, kept on the record.
    let returned = Report {
        issues: props.draft.returned.clone(),
    };
    let editable = props.draft.status == Status::Draft;
    let on_submit = {
        let on_submit = props.on_submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_submit.emit(());
        })
    };
    let report = evaluation.report(form);
    // The sections with something asked; an empty section is neither a page nor shown.
    let asked: Vec<usize> = (0..form.def.sections.len())
        .filter(|&s| {
            form.fields
                .iter()
                .enumerate()
                .any(|(i, f)| f.section == s && f.repeat.is_none() && evaluation.is_relevant(i))
        })
        .collect();
    let errors_in = |section: usize| {
        report
            .errors()
            .chain(returned.errors())
            .filter(|issue| {
                form.field_by_id(field_of_path(&issue.field))
                    .is_some_and(|f| {
                        f.section == section && (props.attempted || issue.code != "required")
                    })
            })
            .count()
    };
    let link = |target: String, section: usize| {
        let on_page = props.on_page.clone();
        let paged = props.paged;
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            if paged && section != page {
                on_page.emit(section);
                focus_later(target.clone());
            } else {
                focus(&target);
            }
        })
    };
    let summary: Vec<(String, usize, String, String)> = if props.attempted {
        report
            .errors()
            .chain(returned.errors())
            .map(|issue| {
                let message = issue.message.get(tag).to_string();
                // An issue about the record as a whole (an unknown form version, say) is listed
                // too, pointing at the complete button.
                match issue_target(form, &issue.field) {
                    Some((target, section)) => {
                        let label = form
                            .field_by_id(field_of_path(&issue.field))
                            .map_or("", |f| f.def.label.get(tag));
                        (target, section, label.to_string(), message)
                    }
                    None => (
                        "submit".to_string(),
                        page,
                        Text::WholeRecord.get(locale).to_string(),
                        message,
                    ),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let warnings: Vec<&doorstep_core::Issue> = report.warnings().collect();
    let answered = form
        .fields
        .iter()
        .enumerate()
        .filter(|(i, f)| {
            f.repeat.is_none()
                && f.def.field_type != FieldType::Calculated
                && evaluation.is_relevant(*i)
        })
        .fold((0, 0), |(done, all), (_, f)| {
            (
                done + usize::from(props.draft.answers.contains_key(&f.def.id)),
                all + 1,
            )
        });
    let position = asked.iter().position(|&s| s == page).unwrap_or(0);
    let previous = position.checked_sub(1).and_then(|p| asked.get(p)).copied();
    let next = asked.get(position + 1).copied();
    let go = |to: Option<usize>| {
        let on_page = props.on_page.clone();
        Callback::from(move |_| {
            if let Some(to) = to {
                on_page.emit(to);
            }
        })
    };
    // The keyboard: Enter moves to the next question (and on to the next page, then to 完成),
    // Ctrl+Enter completes, Ctrl+S saves, PageDown and PageUp turn pages.
    let onkeydown = {
        let (on_page, on_submit, on_save) = (
            props.on_page.clone(),
            props.on_submit.clone(),
            props.on_save.clone(),
        );
        let to_first_field = to_first_field.clone();
        Callback::from(move |e: KeyboardEvent| {
            // An input method's Enter ends a word, it does not move on.
            if e.is_composing() || e.key_code() == 229 {
                return;
            }
            let control = e.ctrl_key() || e.meta_key();
            match e.key().as_str() {
                "Enter" if control => {
                    e.prevent_default();
                    on_submit.emit(());
                }
                "s" | "S" if control => {
                    e.prevent_default();
                    on_save.emit(());
                }
                "PageDown" | "PageUp" => {
                    let to = if e.key() == "PageDown" {
                        next
                    } else {
                        previous
                    };
                    if let Some(to) = to {
                        e.prevent_default();
                        *to_first_field.borrow_mut() = true;
                        on_page.emit(to);
                    }
                }
                "Enter" => {
                    let Some(target) = e.target_dyn_into::<web_sys::Element>() else {
                        return;
                    };
                    let tag = target.tag_name().to_ascii_lowercase();
                    if tag == "button" || tag == "textarea" || tag == "a" {
                        return;
                    }
                    if target.closest(".field").ok().flatten().is_none() {
                        // Outside the questions (a warning's note): Enter does not complete the
                        // record; Ctrl+Enter does.
                        e.prevent_default();
                        return;
                    }
                    e.prevent_default();
                    if focus_next_field(&target) {
                        return;
                    }
                    match next {
                        Some(to) => {
                            *to_first_field.borrow_mut() = true;
                            on_page.emit(to);
                        }
                        None => focus("submit"),
                    }
                }
                _ => {}
            }
        })
    };
    // Most questions have no issue: they share one empty list instead of one each.
    let no_issues: Rc<Vec<Issue>> = Rc::new(Vec::new());
    let issues_of = |i: usize, id: &str| {
        let issues = shown_issues(evaluation, &returned, i, id, props.attempted);
        if issues.is_empty() {
            no_issues.clone()
        } else {
            Rc::new(issues)
        }
    };
    let section_view = |s: usize, section: &doorstep_core::schema::SectionDefinition| {
        let hidden = !asked.contains(&s) || (props.paged && s != page);
        if props.paged && hidden {
            // Pages not shown are not drawn at all: a change redraws one page, not the form.
            return html! {};
        }
        html! {
            <section class="section" key={section.id.clone()} aria-labelledby={format!("s-{}", section.id)}
                hidden={hidden}>
                <h2 id={format!("s-{}", section.id)} tabindex="-1">{ section.title.get(tag) }</h2>
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
                                issues={Rc::new(shown_issues(evaluation, &returned, i, id, props.attempted)
                                    .into_iter().filter(|issue| issue.field == id).collect::<Vec<_>>())}
                                attempted={props.attempted}
                                locale={locale}
                                on_change={props.on_change.clone()} />
                        };
                    }
                    let state = evaluation.state(i);
                    let value = if field.def.field_type == FieldType::Calculated {
                        state.map(|s| s.value.to_answer()).filter(|v| !v.is_null())
                    } else {
                        props.draft.answers.get(id).cloned()
                    };
                    html! {
                        <FieldView key={id.to_string()}
                            form={props.form.clone()}
                            index={i}
                            path={id.to_string()}
                            value={value}
                            relevant={state.is_some_and(|s| s.relevant)}
                            required={state.is_some_and(|s| s.required)}
                            offered={state.and_then(|s| s.offered.clone())}
                            issues={issues_of(i, id)}
                            locale={locale}
                            on_change={props.on_change.clone()} />
                    }
                }) }
            </section>
        }
    };
    let record_state = match props.draft.status {
        Status::Draft => None,
        Status::Sent => Some(html! {
            <div class="record-state sent" role="status"><p>{ Text::RecordSentView.get(locale) }</p></div>
        }),
        _ => Some(html! {
            <div class="record-state done" role="status">
                <p>{ Text::RecordDone.get(locale) }</p>
                if props.draft.meta.reconfirm {
                    <p class="reconfirm">{ Text::Reconfirm.get(locale) }</p>
                }
                <button type="button" class="edit" onclick={
                    let on_reopen = props.on_reopen.clone();
                    Callback::from(move |_| on_reopen.emit(()))
                }>{ Text::Edit.get(locale) }</button>
            </div>
        }),
    };
    html! {
        <form class={classes!("survey", props.paged.then_some("paged"))} novalidate=true onsubmit={on_submit}
            onkeydown={onkeydown} aria-labelledby="form-title">
            <h1 id="form-title">{ form.def.title.get(tag) }</h1>
            if props.show_keys {
                <p class="hint keys">{ Text::KeyboardHint.get(locale) }</p>
            }
            { for record_state }
            if props.paged {
                <nav class="jump" aria-label={Text::Sections.get(locale)}>
                    <p class="progress-text">
                        { format!("{} {} / {} · {} {} / {}", Text::Page.get(locale), position + 1, asked.len(),
                            Text::Answered.get(locale), answered.0, answered.1) }
                    </p>
                    <progress max={answered.1.max(1).to_string()} value={answered.0.to_string()}
                        aria-label={Text::Answered.get(locale)}></progress>
                    <ol>
                        { for asked.iter().map(|&s| {
                            let section = &form.def.sections[s];
                            let errors = errors_in(s);
                            let on_page = props.on_page.clone();
                            html! {
                                <li key={section.id.clone()}>
                                    <button type="button" class={classes!("jump-to", (errors > 0).then_some("has-error"))}
                                        aria-current={(s == page).then_some("step")}
                                        onclick={Callback::from(move |_| on_page.emit(s))}>
                                        { section.title.get(tag) }
                                        if errors > 0 {
                                            <span class="jump-errors">{ format!(" ({errors})") }</span>
                                        }
                                    </button>
                                </li>
                            }
                        }) }
                    </ol>
                </nav>
            }
            <fieldset class="answers" disabled={!editable}>
                { for form.def.sections.iter().enumerate().map(|(s, section)| section_view(s, section)) }
            </fieldset>
            if props.paged {
                <div class="pager">
                    <button type="button" class="previous" disabled={previous.is_none()} onclick={go(previous)}>
                        { Text::Previous.get(locale) }
                    </button>
                    <button type="button" class="next" disabled={next.is_none()} onclick={go(next)}>
                        { Text::Next.get(locale) }
                    </button>
                </div>
            }
            if editable && !warnings.is_empty() {
                <div class="warnings" aria-labelledby="warnings-title">
                    <h2 id="warnings-title">{ Text::WarningsTitle.get(locale) }</h2>
                    <ul>
                        { for warnings.iter().map(|w| {
                            let confirmed = props.draft.meta.confirmed.iter().find(|c| c.field == w.field && c.code == w.code);
                            let box_id = format!("confirm-{}-{}", input_id(&w.field), w.code);
                            let note_id = format!("note-{}-{}", input_id(&w.field), w.code);
                            let label = form.field_by_id(field_of_path(&w.field)).map_or("", |f| f.def.label.get(tag));
                            let (target, section) = issue_target(form, &w.field).unwrap_or(("submit".into(), page));
                            let on_box = {
                                let (on_confirm, field, code, note_id) = (props.on_confirm.clone(), w.field.clone(), w.code.clone(), note_id.clone());
                                Callback::from(move |e: Event| {
                                    let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                                    let note = input.checked().then(|| {
                                        web_sys::window()
                                            .and_then(|w| w.document())
                                            .and_then(|d| d.get_element_by_id(&note_id))
                                            .and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok())
                                            .map(|n| n.value())
                                            .unwrap_or_default()
                                    });
                                    on_confirm.emit((field.clone(), code.clone(), note));
                                })
                            };
                            let on_note = {
                                let (on_confirm, field, code) = (props.on_confirm.clone(), w.field.clone(), w.code.clone());
                                let checked = confirmed.is_some();
                                Callback::from(move |e: Event| {
                                    let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                                    if checked {
                                        on_confirm.emit((field.clone(), code.clone(), Some(input.value())));
                                    }
                                })
                            };
                            html! {
                                <li class={classes!("warning-item", confirmed.is_some().then_some("confirmed"),
                                    (props.attempted && confirmed.is_none()).then_some("unconfirmed"))}
                                    key={format!("{}|{}", w.field, w.code)}>
                                    <a href={format!("#{target}")} onclick={link(target.clone(), section)}>
                                        { format!("{label}：{}", w.message.get(tag)) }
                                    </a>
                                    <label class="confirm" for={box_id.clone()}>
                                        <input type="checkbox" id={box_id} checked={confirmed.is_some()} onchange={on_box} />
                                        <span>{ Text::ConfirmWarning.get(locale) }</span>
                                    </label>
                                    <label class="note" for={note_id.clone()}>{ Text::Note.get(locale) }</label>
                                    <input type="text" id={note_id} class="note-input"
                                        value={confirmed.map(|c| c.note.clone()).unwrap_or_default()}
                                        onchange={on_note} />
                                </li>
                            }
                        }) }
                    </ul>
                </div>
            }
            if !summary.is_empty() || (props.attempted && warnings.iter().any(|w| !props.draft.is_confirmed(&w.field, &w.code))) {
                <div class="error-summary" role="alert" tabindex="-1">
                    <h2>{ Text::FixErrors.get(locale) }</h2>
                    <ul>
                        { for summary.into_iter().map(|(target, section, label, message)| {
                            let href = format!("#{target}");
                            html! { <li><a href={href} onclick={link(target, section)}>{ format!("{label}：{message}") }</a></li> }
                        }) }
                        { for warnings.iter().filter(|w| props.attempted && !props.draft.is_confirmed(&w.field, &w.code)).map(|w| {
                            let box_id = format!("confirm-{}-{}", input_id(&w.field), w.code);
                            let label = form.field_by_id(field_of_path(&w.field)).map_or("", |f| f.def.label.get(tag));
                            html! {
                                <li class="unconfirmed">
                                    <a href={format!("#{box_id}")} onclick={link(box_id.clone(), page)}>
                                        { format!("{}：{label}：{}", Text::Unconfirmed.get(locale), w.message.get(tag)) }
                                    </a>
                                </li>
                            }
                        }) }
                    </ul>
                </div>
            }
            if editable {
                <button type="submit" id="submit" class="primary">{ Text::Complete.get(locale) }</button>
            }
        </form>
    }
}
