//! What the form shows about the record as a whole: the jump list with each page's errors and
//! the progress, the warnings to confirm one by one, and the summary of what stops the record
//! from being completed, each linking to its question. Each has its own small properties, so a
//! change redraws only the parts whose content changed.

use doorstep_core::record::Confirmation;
use doorstep_core::{Issue, Status};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::field::{field_of_path, input_id};
use crate::components::form::{focus, focus_later, issue_target};
use crate::components::live::{use_part, RecordFeed, Snapshot};
use crate::i18n::{Locale, Text};
use crate::state::FormRef;

/// A link to a question: it turns to the question's page when it is on another, then focuses
/// the question.
fn link(
    on_page: &Callback<usize>,
    page: usize,
    target: String,
    section: usize,
) -> Callback<MouseEvent> {
    let on_page = on_page.clone();
    Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        if section != page {
            on_page.emit(section);
            focus_later(target.clone());
        } else {
            focus(&target);
        }
    })
}

/// The label of the question an issue is about.
fn label_of<'a>(form: &'a FormRef, path: &str, tag: &str) -> &'a str {
    form.0
        .field_by_id(field_of_path(path))
        .map_or("", |f| f.def.label.get(tag))
}

/// What the jump list, the warnings panel and the summary need.
#[derive(Properties, PartialEq)]
pub struct OverviewProps {
    /// The form.
    pub form: FormRef,
    /// Where the record in hand is published.
    pub feed: RecordFeed,
    /// The interface language.
    pub locale: Locale,
    /// The section shown.
    pub page: usize,
    /// Called with a section's index to show it.
    pub on_page: Callback<usize>,
    /// Called with `(field path, warning code, note)` to confirm a warning, or with no note to
    /// withdraw the confirmation.
    #[prop_or_default]
    pub on_confirm: Callback<(String, String, Option<String>)>,
}

/// What the jump list shows: the sections with something asked, each with its count of
/// errors, and the questions answered of those asked.
#[derive(Clone, PartialEq)]
struct JumpPart {
    sections: Vec<(usize, usize)>,
    answered: (usize, usize),
}

impl JumpPart {
    fn of(snapshot: &Snapshot) -> JumpPart {
        let overview = snapshot.overview();
        JumpPart {
            sections: overview.sections.clone(),
            answered: overview.answered,
        }
    }
}

/// The pages, with where the collector is, how far the record is, and where its errors are.
#[function_component(JumpNav)]
pub fn jump_nav(props: &OverviewProps) -> Html {
    let part = use_part(&props.feed, (), None, JumpPart::of);
    let Some(part) = part else {
        return html! {};
    };
    let locale = props.locale;
    let (done, all) = part.answered;
    let position = part
        .sections
        .iter()
        .position(|&(s, _)| s == props.page)
        .unwrap_or(0);
    html! {
        <nav class="jump" aria-label={Text::Sections.get(locale)}>
            <p class="progress-text">
                { format!("{} {} / {} · {} {done} / {all}", Text::Page.get(locale), position + 1,
                    part.sections.len(), Text::Answered.get(locale)) }
            </p>
            <progress max={all.max(1).to_string()} value={done.to_string()}
                aria-label={Text::Answered.get(locale)}></progress>
            <JumpList form={props.form.clone()} locale={locale} page={props.page}
                sections={part.sections.clone()} on_page={props.on_page.clone()} />
        </nav>
    }
}

/// What the list of pages needs.
#[derive(Properties, PartialEq)]
struct JumpListProps {
    form: FormRef,
    locale: Locale,
    page: usize,
    /// The sections with something asked, each with its count of errors.
    sections: Vec<(usize, usize)>,
    on_page: Callback<usize>,
}

/// The pages to jump to, with their errors: drawn again only when these change, not when an
/// answer only moves the progress.
#[function_component(JumpList)]
fn jump_list(props: &JumpListProps) -> Html {
    let tag = props.locale.tag();
    // Where the list is one line scrolled sideways (a narrow screen), the page shown is
    // brought into it. Only the list scrolls: the page stays where it is.
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(props.page, move |_| {
            let Some(list) = list.cast::<web_sys::HtmlElement>() else {
                return;
            };
            let current = list
                .query_selector("[aria-current]")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(current) = current {
                // The list is positioned (style.css): the button's offset is from its edge.
                let centred =
                    current.offset_left() - (list.client_width() - current.offset_width()) / 2;
                list.set_scroll_left(centred.max(0));
            }
        });
    }
    html! {
        <ol ref={list}>
            { for props.sections.iter().map(|&(s, errors)| {
                let section = &props.form.0.def.sections[s];
                let on_page = props.on_page.clone();
                html! {
                    <li key={section.id.clone()}>
                        <button type="button" class={classes!("jump-to", (errors > 0).then_some("has-error"))}
                            aria-current={(s == props.page).then_some("step")}
                            onclick={Callback::from(move |_| on_page.emit(s))}>
                            { section.title.get(tag) }
                            if errors > 0 {
                                <span class="jump-errors">{ crate::i18n::error_count(props.locale, errors) }</span>
                            }
                        </button>
                    </li>
                }
            }) }
        </ol>
    }
}

/// What the warnings panel shows: the warnings of the record's answers, those confirmed with
/// their notes, and whether the collector tried to complete (then unconfirmed ones are
/// flagged). Nothing when the record cannot be edited.
#[derive(Clone, PartialEq)]
struct WarningsPart {
    warnings: Vec<Issue>,
    confirmed: Vec<Confirmation>,
    attempted: bool,
}

impl WarningsPart {
    fn of(snapshot: &Snapshot) -> WarningsPart {
        if snapshot.status != Status::Draft {
            return WarningsPart {
                warnings: Vec::new(),
                confirmed: Vec::new(),
                attempted: false,
            };
        }
        WarningsPart {
            warnings: snapshot.overview().warnings.clone(),
            confirmed: snapshot.confirmed.clone(),
            attempted: snapshot.attempted,
        }
    }
}

/// The warnings, each confirmed on its own with an optional note.
#[function_component(WarningsPanel)]
pub fn warnings_panel(props: &OverviewProps) -> Html {
    let part = use_part(&props.feed, (), None, WarningsPart::of);
    let Some(part) = part.filter(|p| !p.warnings.is_empty()) else {
        return html! {};
    };
    let locale = props.locale;
    let tag = locale.tag();
    html! {
        <div class="warnings" aria-labelledby="warnings-title">
            <h2 id="warnings-title">{ Text::WarningsTitle.get(locale) }</h2>
            <ul>
                { for part.warnings.iter().map(|w| {
                    let confirmed = part.confirmed.iter().find(|c| c.field == w.field && c.code == w.code);
                    let box_id = format!("confirm-{}-{}", input_id(&w.field), w.code);
                    let note_id = format!("note-{}-{}", input_id(&w.field), w.code);
                    // The warning's text describes its box and its note: each warning's are
                    // told apart by what they confirm, not only by their shared names.
                    let text_id = format!("warning-{}-{}", input_id(&w.field), w.code);
                    let label = label_of(&props.form, &w.field, tag);
                    let (target, section) = issue_target(&props.form.0, &w.field)
                        .unwrap_or(("submit".into(), props.page));
                    let on_box = {
                        let (on_confirm, field, code, note_id) =
                            (props.on_confirm.clone(), w.field.clone(), w.code.clone(), note_id.clone());
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
                    // The note of a confirmed warning goes into the record as it is typed, like
                    // an answer. Before the box is ticked it lives in the input alone (which the
                    // app does not set, so a redraw never wipes it) and the tick takes it.
                    let on_note = {
                        let (on_confirm, field, code) =
                            (props.on_confirm.clone(), w.field.clone(), w.code.clone());
                        let checked = confirmed.is_some();
                        Callback::from(move |e: InputEvent| {
                            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                            if checked {
                                on_confirm.emit((field.clone(), code.clone(), Some(input.value())));
                            }
                        })
                    };
                    html! {
                        <li class={classes!("warning-item", confirmed.is_some().then_some("confirmed"),
                            (part.attempted && confirmed.is_none()).then_some("unconfirmed"))}
                            key={format!("{}|{}", w.field, w.code)}>
                            <a href={format!("#{target}")} id={text_id.clone()}
                                onclick={link(&props.on_page, props.page, target.clone(), section)}>
                                { format!("{label}{}{}", Text::LabelSeparator.get(locale), w.message.get(tag)) }
                            </a>
                            <label class="confirm" for={box_id.clone()}>
                                <input type="checkbox" id={box_id} checked={confirmed.is_some()}
                                    aria-describedby={text_id.clone()} onchange={on_box} />
                                <span>{ Text::ConfirmWarning.get(locale) }</span>
                            </label>
                            <label class="note" for={note_id.clone()}>{ Text::Note.get(locale) }</label>
                            <input type="text" id={note_id} class="note-input"
                                value={confirmed.map(|c| c.note.clone())}
                                aria-describedby={text_id} oninput={on_note} />
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}

/// What the error summary shows, once the collector tried to complete: every error, the
/// record's own (an unknown form version, say) included, and the warnings not confirmed yet.
#[derive(Clone, PartialEq)]
struct SummaryPart {
    errors: Vec<Issue>,
    unconfirmed: Vec<Issue>,
}

impl SummaryPart {
    fn of(snapshot: &Snapshot) -> SummaryPart {
        if !snapshot.attempted {
            return SummaryPart {
                errors: Vec::new(),
                unconfirmed: Vec::new(),
            };
        }
        SummaryPart {
            errors: snapshot
                .evaluation
                .report(&snapshot.form.0)
                .errors()
                .chain(snapshot.returned.errors())
                .cloned()
                .collect(),
            unconfirmed: snapshot
                .overview()
                .warnings
                .iter()
                .filter(|w| !snapshot.is_confirmed(&w.field, &w.code))
                .cloned()
                .collect(),
        }
    }
}

/// The DOM id of the error summary, which takes the focus when 完成 is refused.
pub(crate) const SUMMARY_ID: &str = "error-summary";
const SUMMARY_TITLE_ID: &str = "error-summary-title";

/// What stops the record from being completed, each linking to its question or its warning.
#[function_component(ErrorSummary)]
pub fn error_summary(props: &OverviewProps) -> Html {
    let part = use_part(&props.feed, (), None, SummaryPart::of);
    let Some(part) = part.filter(|p| !p.errors.is_empty() || !p.unconfirmed.is_empty()) else {
        return html! {};
    };
    let locale = props.locale;
    let tag = locale.tag();
    let link = |target: String, section: usize| link(&props.on_page, props.page, target, section);
    html! {
        <div id={SUMMARY_ID} class="error-summary" role="region" aria-labelledby={SUMMARY_TITLE_ID}
            tabindex="-1">
            <h2 id={SUMMARY_TITLE_ID}>
                { if part.errors.is_empty() { Text::ConfirmFirst.get(locale) } else { Text::FixErrors.get(locale) } }
            </h2>
            <ul>
                { for part.errors.iter().map(|issue| {
                    let message = issue.message.get(tag);
                    // An issue about the record as a whole is listed too, pointing at the
                    // complete button.
                    let (target, section, label) = match issue_target(&props.form.0, &issue.field) {
                        Some((target, section)) => (target, section, label_of(&props.form, &issue.field, tag)),
                        None => ("submit".to_string(), props.page, Text::WholeRecord.get(locale)),
                    };
                    html! {
                        <li><a href={format!("#{target}")} onclick={link(target.clone(), section)}>
                            { format!("{label}{}{message}", Text::LabelSeparator.get(locale)) }
                        </a></li>
                    }
                }) }
                { for part.unconfirmed.iter().map(|w| {
                    let box_id = format!("confirm-{}-{}", input_id(&w.field), w.code);
                    let label = label_of(&props.form, &w.field, tag);
                    html! {
                        <li class="unconfirmed">
                            <a href={format!("#{box_id}")} onclick={link(box_id.clone(), props.page)}>
                                { format!("{}{sep}{label}{sep}{}", Text::Unconfirmed.get(locale), w.message.get(tag), sep = Text::LabelSeparator.get(locale)) }
                            </a>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}
