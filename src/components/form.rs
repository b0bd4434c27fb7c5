//! A whole form: its sections as pages, with a jump list and progress, the error summary that
//! links to each question, the warnings to confirm one by one, and the complete button; a
//! completed record is shown read-only with a way to edit it.

use doorstep_core::schema::FieldType;
use doorstep_core::Status;
use serde_json::Value as Json;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::field::{field_of_path, input_id};
use crate::components::live::{use_part, LiveGroup, LiveQuestion, RecordFeed, Snapshot};
use crate::components::overview::{ErrorSummary, JumpNav, WarningsPanel};
use crate::i18n::{Locale, Text};
use crate::state::FormRef;

/// What the form needs to render.
#[derive(Properties, PartialEq)]
pub struct FormProps {
    /// The form.
    pub form: FormRef,
    /// Where the record in hand is published, after every change.
    pub feed: RecordFeed,
    /// The interface language.
    pub locale: Locale,
    /// The section shown: sections are shown one at a time, as pages.
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
pub(crate) fn focus_later(id: String) {
    let focus_it = wasm_bindgen::closure::Closure::once_into_js(move || focus(&id));
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(focus_it.unchecked_ref(), 30);
    }
}

/// The DOM id an issue's link in the summary points at.
pub(super) fn issue_target(form: &doorstep_core::Form, path: &str) -> Option<(String, usize)> {
    let field = form.field_by_id(field_of_path(path))?;
    let target = if field.def.field_type.has_options() {
        // The group, not its first option: that one may not be offered, and not drawn.
        format!("{}-options", input_id(path))
    } else if field.def.field_type == FieldType::Repeat {
        format!("{}-add", input_id(path))
    } else {
        input_id(path)
    };
    Some((target, field.section))
}

pub(super) fn focus(id: &str) {
    let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    else {
        return;
    };
    // A group of options takes the focus on its chosen option, or its first one drawn. A
    // control that cannot be used (a village's list before its town is chosen, a group's add
    // button once it is full) cannot take the focus: its question's first control that can
    // takes it.
    let target = if element.tag_name() == "FIELDSET" {
        focus_target(&element)
    } else if element.has_attribute("disabled") {
        element
            .closest(".field, .repeat")
            .ok()
            .flatten()
            .and_then(|field| focus_target(&field))
    } else {
        wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(element).ok()
    };
    if let Some(target) = target {
        let _ = target.focus();
    }
}

/// What one section's questions need to render.
#[derive(Properties, PartialEq)]
struct SectionProps {
    form: FormRef,
    /// The section's index in the form.
    section: usize,
    feed: RecordFeed,
    locale: Locale,
    on_change: Callback<(String, Json)>,
}

/// One section: its heading and its questions, each subscribed to its own part of the record.
/// Its properties do not change with an answer, so a change does not redraw it.
#[function_component(SectionView)]
fn section_view(props: &SectionProps) -> Html {
    let form = &props.form.0;
    let section = &form.def.sections[props.section];
    let tag = props.locale.tag();
    html! {
        <section class="section" aria-labelledby={format!("s-{}", section.id)}>
            <h2 id={format!("s-{}", section.id)} tabindex="-1">{ section.title.get(tag) }</h2>
            { for form.fields.iter().enumerate().filter(|(_, f)| f.section == props.section && f.repeat.is_none()).map(|(i, field)| {
                let key = field.def.id.clone();
                if field.def.field_type == FieldType::Repeat {
                    html! {
                        <LiveGroup key={key} form={props.form.clone()} index={i} feed={props.feed.clone()}
                            locale={props.locale} on_change={props.on_change.clone()} />
                    }
                } else {
                    html! {
                        <LiveQuestion key={key} form={props.form.clone()} index={i} feed={props.feed.clone()}
                            locale={props.locale} on_change={props.on_change.clone()} />
                    }
                }
            }) }
        </section>
    }
}

/// What the form itself shows of the record in hand.
#[derive(Clone, PartialEq)]
struct FramePart {
    id: String,
    /// The sections with something asked: an empty section is neither a page nor shown.
    asked: Vec<usize>,
    status: Status,
    reconfirm: bool,
    reconfirm_due: bool,
}

impl FramePart {
    fn of(snapshot: &Snapshot) -> FramePart {
        FramePart {
            id: snapshot.id.clone(),
            asked: snapshot
                .overview()
                .sections
                .iter()
                .map(|&(s, _)| s)
                .collect(),
            status: snapshot.status,
            reconfirm: snapshot.reconfirm,
            reconfirm_due: snapshot.reconfirm_due,
        }
    }
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
    use_effect_with(page, move |page| {
        let previous = last_page.borrow_mut().replace(*page);
        if std::mem::take(&mut *pending.borrow_mut()) {
            focus_first_field();
        } else if previous.is_some_and(|p| p != *page) {
            if let Some(heading) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(".section h2").ok().flatten())
                .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = heading.focus();
            }
        }
    });
    // What the form itself shows of the record: which sections ask something, and where the
    // record is in its life. An answer that changes neither does not redraw the form.
    let frame = use_part(&props.feed, (), None, FramePart::of);
    // At the service window the keyboard starts on the first question of a record opened.
    // (Every hook comes before the form may return early.)
    use_effect_with(
        (frame.as_ref().map(|f| f.id.clone()), props.show_keys),
        |(id, show_keys)| {
            if *show_keys && id.is_some() {
                focus_first_field();
            }
        },
    );
    let Some(frame) = frame else {
        return html! {};
    };
    let asked = &frame.asked;
    let editable = frame.status == Status::Draft;
    let on_submit = {
        let on_submit = props.on_submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_submit.emit(());
        })
    };
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
    let section_view = |s: usize, section: &doorstep_core::schema::SectionDefinition| {
        if s != page || !asked.contains(&s) {
            // Pages not shown are not drawn at all.
            return html! {};
        }
        html! {
            <SectionView key={section.id.clone()} form={props.form.clone()} section={s}
                feed={props.feed.clone()} locale={locale} on_change={props.on_change.clone()} />
        }
    };
    // The button that opens the record again goes with the notice: the focus goes to the
    // record's title.
    let reopen = |text: Text| {
        let on_reopen = props.on_reopen.clone();
        let onclick = Callback::from(move |_| {
            on_reopen.emit(());
            focus_later("form-title".to_string());
        });
        html! { <button type="button" class="edit" {onclick}>{ text.get(locale) }</button> }
    };
    // Completed before the reference date: said, and once that date has come, how to
    // re-confirm it.
    let reconfirm = if frame.reconfirm_due {
        html! { <p class="reconfirm">{ Text::ReconfirmDue.get(locale) }</p> }
    } else if frame.reconfirm {
        html! { <p class="reconfirm">{ Text::Reconfirm.get(locale) }</p> }
    } else {
        Html::default()
    };
    let record_state = match frame.status {
        Status::Draft => None,
        Status::Sent => Some(html! {
            <div class="record-state sent" role="status">
                if !frame.reconfirm_due {
                    <p>{ Text::RecordSentView.get(locale) }</p>
                }
                { reconfirm }
                if frame.reconfirm_due {
                    { reopen(Text::ReconfirmNow) }
                }
            </div>
        }),
        _ => Some(html! {
            <div class="record-state done" role="status">
                <p>{ Text::RecordDone.get(locale) }</p>
                { reconfirm }
                { reopen(if frame.reconfirm_due { Text::ReconfirmNow } else { Text::Edit }) }
            </div>
        }),
    };
    html! {
        <form class="survey paged" novalidate=true onsubmit={on_submit}
            onkeydown={onkeydown} aria-labelledby="form-title">
            <h1 id="form-title" tabindex="-1">{ form.def.title.get(tag) }</h1>
            if props.show_keys {
                <p class="hint keys">{ Text::KeyboardHint.get(locale) }</p>
            }
            { for record_state }
            <JumpNav form={props.form.clone()} feed={props.feed.clone()} locale={locale} page={page}
                on_page={props.on_page.clone()} />
            <fieldset class="answers" disabled={!editable}>
                { for form.def.sections.iter().enumerate().map(|(s, section)| section_view(s, section)) }
            </fieldset>
            <div class="pager">
                <button type="button" class="previous" disabled={previous.is_none()} onclick={go(previous)}>
                    { Text::Previous.get(locale) }
                </button>
                <button type="button" class="next" disabled={next.is_none()} onclick={go(next)}>
                    { Text::Next.get(locale) }
                </button>
            </div>
            <WarningsPanel form={props.form.clone()} feed={props.feed.clone()} locale={locale}
                page={page} on_page={props.on_page.clone()}
                on_confirm={props.on_confirm.clone()} />
            <ErrorSummary form={props.form.clone()} feed={props.feed.clone()} locale={locale}
                page={page} on_page={props.on_page.clone()} />
            if editable {
                <button type="submit" id="submit" class="primary">{ Text::Complete.get(locale) }</button>
            }
        </form>
    }
}
