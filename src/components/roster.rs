//! The roster screen: the collector's persons with their statuses, search and filters, the
//! counts against the targets, the villages with their community form, and a way to add a
//! person who is not on the roster.

use std::cell::RefCell;
use std::rc::Rc;

use doorstep_core::protocol::{AssignedVillage, RosterPerson};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::i18n::{Locale, Text};
use crate::roster::{Counts, Elsewhere, Filter, Line, Progress};
use crate::state::FormRef;

/// The status filter's value for the records that wait to be re-confirmed.
const RECONFIRM: &str = "reconfirm";

/// How many lines are drawn at first, and added by 显示更多: drawing 20,000 at once would
/// keep a tablet busy for seconds.
const PAGE: usize = 100;

/// A village with where its community form stands.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageLine {
    /// The village.
    pub village: AssignedVillage,
    /// Where its record stands.
    pub progress: Progress,
    /// A record of it that the server holds and the device does not, if any.
    pub elsewhere: Option<Elsewhere>,
    /// Whether the device's record of it waits to be re-confirmed.
    pub reconfirm: bool,
}

/// Who sent a record from elsewhere, as the collector is told: another device when the server
/// does not say.
pub fn sender(elsewhere: &Elsewhere, locale: Locale) -> &str {
    if elsewhere.by.is_empty() {
        Text::AnotherDevice.get(locale)
    } else {
        &elsewhere.by
    }
}

/// The note on a line whose record the server holds from elsewhere: who sent it, or, when the
/// device's own record is completed too, that there is a second record.
fn elsewhere_note(elsewhere: Option<&Elsewhere>, locale: Locale) -> Html {
    let Some(elsewhere) = elsewhere else {
        return Html::default();
    };
    let by = sender(elsewhere, locale);
    let (text, class) = if elsewhere.duplicate {
        (Text::AlsoDeliveredBy, "badge delivered duplicate")
    } else {
        (Text::DeliveredBy, "badge delivered")
    };
    html! {
        <span class={class}>
            { format!("{}{}{by}", text.get(locale), Text::LabelSeparator.get(locale)) }
        </span>
    }
}

/// What the roster screen needs.
#[derive(Properties, PartialEq)]
pub struct RosterProps {
    /// Every line, persons of the roster first; compared by pointer, so drawing the app again
    /// does not compare 20,000 lines.
    pub lines: LinesRef,
    /// The collector's villages, with their community form's status when there is a form
    /// for villages.
    pub villages: Rc<Vec<VillageLine>>,
    /// Whether a form for villages is loaded.
    pub has_village_form: bool,
    /// The form for persons, whose record block says which part of a certificate number names
    /// the person: a search by a number reissued since finds the person's line.
    #[prop_or_default]
    pub person_form: Option<FormRef>,
    /// Whether this is the service window: search first, Enter opens the first match.
    #[prop_or_default]
    pub window: bool,
    /// The interface language.
    pub locale: Locale,
    /// Opens (or starts) the record of a person of the roster.
    pub on_person: Callback<RosterPerson>,
    /// Opens a record by id.
    pub on_record: Callback<String>,
    /// Starts a record for a person not on the roster, in the village chosen in the filter.
    pub on_add: Callback<Option<String>>,
    /// Opens (or starts) a village's community form.
    pub on_village: Callback<String>,
    /// The search and filters as the collector left them, found again after a record.
    #[prop_or_default]
    pub kept: KeptView,
}

/// The roster's search, filters and how many lines were shown, kept by the app while a record
/// is open: back on the roster, the collector goes on with the same village and status. At
/// the service window nothing is kept: the next visitor is someone else, of any village.
#[derive(Clone, Default)]
pub struct KeptView(Rc<RefCell<(Filter, usize)>>);

impl PartialEq for KeptView {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The roster's lines compared by pointer: a new list is a new `Rc`.
#[derive(Clone)]
pub struct LinesRef(pub Rc<Vec<Line>>);

impl PartialEq for LinesRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The name of a status.
pub fn progress_text(progress: Progress) -> Text {
    match progress {
        Progress::NotStarted => Text::NotStarted,
        Progress::Draft => Text::StatusDraft,
        Progress::Completed => Text::StatusCompleted,
        Progress::Queued => Text::StatusQueued,
        Progress::Sent => Text::StatusSent,
        Progress::Returned => Text::StatusReturned,
    }
}

fn village_name(villages: &[VillageLine], code: &str) -> String {
    villages
        .iter()
        .find(|v| v.village.code == code)
        .map_or_else(|| code.to_string(), |v| v.village.name.clone())
}

/// The roster screen.
#[function_component(RosterView)]
pub fn roster_view(props: &RosterProps) -> Html {
    let locale = props.locale;
    let t = |text: Text| text.get(locale);
    let filter = use_state(|| match props.window {
        true => Filter::default(),
        false => props.kept.0.borrow().0.clone(),
    });
    let shown_max = use_state(|| props.kept.0.borrow().1.max(PAGE));
    *props.kept.0.borrow_mut() = ((*filter).clone(), *shown_max);
    // The counts depend on the lines only, not on the search.
    let counts = *use_memo(props.lines.clone(), |lines| Counts::of(&lines.0));
    // Records waiting to be re-confirmed, the community forms' with the persons'.
    let reconfirm = counts.reconfirm + props.villages.iter().filter(|v| v.reconfirm).count();
    // Enter in the search box found nobody: said until the search changes.
    let nobody = use_state(|| false);
    let on_search = {
        let (filter, shown_max, nobody) = (filter.clone(), shown_max.clone(), nobody.clone());
        Callback::from(move |e: InputEvent| {
            nobody.set(false);
            let input: HtmlInputElement = e.target_unchecked_into();
            filter.set(Filter {
                search: input.value(),
                ..(*filter).clone()
            });
            shown_max.set(PAGE);
        })
    };
    let on_village_filter = {
        let (filter, shown_max) = (filter.clone(), shown_max.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            filter.set(Filter {
                village: select.value(),
                ..(*filter).clone()
            });
            shown_max.set(PAGE);
        })
    };
    let on_status_filter = {
        let (filter, shown_max) = (filter.clone(), shown_max.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            let progress = Progress::ALL.into_iter().find(|p| p.slug() == value);
            filter.set(Filter {
                progress,
                reconfirm: value == RECONFIRM,
                ..(*filter).clone()
            });
            shown_max.set(PAGE);
        })
    };
    let person = props
        .person_form
        .as_ref()
        .and_then(|form| form.0.def.record.as_ref());
    let matching: Vec<&Line> = filter.apply(&props.lines.0, person);
    // The community forms go by the same filters.
    let villages_shown: Vec<&VillageLine> = props
        .villages
        .iter()
        .filter(|v| {
            filter.admits_village(
                &v.village.code,
                &v.village.name,
                &v.village.town,
                v.progress,
                v.reconfirm,
            )
        })
        .collect();
    let more = matching.len().saturating_sub(*shown_max);
    let show_more = {
        let shown_max = shown_max.clone();
        Callback::from(move |_| shown_max.set(*shown_max + PAGE * 10))
    };
    let add = {
        let on_add = props.on_add.clone();
        let village = filter.village.clone();
        Callback::from(move |_| on_add.emit((!village.is_empty()).then(|| village.clone())))
    };
    let percent = counts.home_visit_percent();
    // Enter in the search box opens the first person it finds: by what the box holds then,
    // not by the list last drawn, which a scanner (a number and Enter, typed at once) or a
    // fast typist on a slow tablet outruns.
    let on_search_key = {
        let (on_person, on_record) = (props.on_person.clone(), props.on_record.clone());
        let (nobody, lines, filter) = (nobody.clone(), props.lines.clone(), (*filter).clone());
        let person_form = props.person_form.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Enter" || e.is_composing() || e.key_code() == 229 {
                return;
            }
            e.prevent_default();
            let input: HtmlInputElement = e.target_unchecked_into();
            let typed = Filter {
                search: input.value(),
                ..filter.clone()
            };
            let person = person_form
                .as_ref()
                .and_then(|form| form.0.def.record.as_ref());
            let first = typed
                .apply(&lines.0, person)
                .first()
                .map(|line| (line.person.clone(), line.record.clone()));
            match first {
                Some((Some(person), _)) => on_person.emit(person),
                Some((None, Some(id))) => on_record.emit(id),
                _ => nobody.set(true),
            }
        })
    };
    let search_box = use_node_ref();
    {
        let search_box = search_box.clone();
        use_effect_with(props.window, move |window| {
            if *window {
                if let Some(input) = search_box.cast::<HtmlInputElement>() {
                    let _ = input.focus();
                }
            }
        });
    }
    html! {
        <section class="roster" aria-labelledby="roster-title">
            <h1 id="roster-title" tabindex="-1">{ if props.window { t(Text::WindowTitle) } else { t(Text::Roster) } }</h1>
            if props.window {
                <p class="hint">{ t(Text::WindowHint) }</p>
            }
            <dl class="counts">
                <div class="count">
                    <dt>{ t(Text::DoneOfAssigned) }</dt>
                    <dd id="count-done">{ format!("{} / {}", counts.done, counts.assigned) }</dd>
                </div>
                <div class={classes!("count", (counts.completed > 0 && percent < 90.0).then_some("below-target"))}>
                    <dt>{ t(Text::HomeVisits) }</dt>
                    <dd id="count-home">{ format!("{} / {} ({:.0}%)", counts.home_visits, counts.completed, percent) }</dd>
                </div>
                if reconfirm > 0 {
                    <div class="count below-target">
                        <dt>{ t(Text::ReconfirmWaiting) }</dt>
                        <dd id="count-reconfirm">{ reconfirm }</dd>
                    </div>
                }
                if counts.unlisted > 0 {
                    <div class="count">
                        <dt>{ t(Text::UnlistedDone) }</dt>
                        <dd>{ counts.unlisted }</dd>
                    </div>
                }
            </dl>
            <p class="hint">{ t(Text::HomeVisitTarget) }</p>
            <div class="roster-tools" role="search">
                <label class="tool">
                    <span>{ t(Text::Search) }</span>
                    <input type="search" id="roster-search" value={filter.search.clone()} oninput={on_search}
                        onkeydown={on_search_key} ref={search_box}
                        autocomplete="off" placeholder={t(Text::SearchHint)} />
                </label>
                <label class="tool">
                    <span>{ t(Text::Village) }</span>
                    <select id="roster-village" onchange={on_village_filter}>
                        <option value="" selected={filter.village.is_empty()}>{ t(Text::AllVillages) }</option>
                        { for props.villages.iter().map(|v| html! {
                            <option value={v.village.code.clone()} selected={filter.village == v.village.code}>
                                { format!("{} {}", v.village.town, v.village.name) }
                            </option>
                        }) }
                    </select>
                </label>
                <label class="tool">
                    <span>{ t(Text::Status) }</span>
                    <select id="roster-status" onchange={on_status_filter}>
                        <option value="" selected={filter.progress.is_none() && !filter.reconfirm}>{ t(Text::AllStatuses) }</option>
                        { for Progress::ALL.iter().map(|p| html! {
                            <option value={p.slug()} selected={filter.progress == Some(*p)}>{ progress_text(*p).get(locale) }</option>
                        }) }
                        <option value={RECONFIRM} selected={filter.reconfirm}>{ t(Text::ReconfirmWaiting) }</option>
                    </select>
                </label>
                <button type="button" class="add-person" onclick={add}>{ t(Text::AddPerson) }</button>
            </div>
            <p class="roster-matching" role="status">{ format!("{} {}", t(Text::Matching), matching.len()) }</p>
            if *nobody && matching.is_empty() {
                <p class="nobody" role="alert">{ t(Text::NobodyFound) }</p>
            }
            <ul class="persons">
                { for matching.iter().take(*shown_max).map(|line| {
                    let onclick = match (&line.record, &line.person) {
                        (_, Some(person)) => {
                            let (on_person, person) = (props.on_person.clone(), person.clone());
                            Callback::from(move |_| on_person.emit(person.clone()))
                        }
                        (Some(id), None) => {
                            let (on_record, id) = (props.on_record.clone(), id.clone());
                            Callback::from(move |_| on_record.emit(id.clone()))
                        }
                        (None, None) => Callback::noop(),
                    };
                    let name = if line.name.is_empty() { "—".to_string() } else { line.name.clone() };
                    html! {
                        <li class={classes!("person", format!("progress-{}", line.progress.slug()))}
                            key={line.record.clone().unwrap_or_else(|| line.cert_no.clone())}>
                            <button type="button" class="person-open" onclick={onclick}
                                data-record={line.record.clone()}
                                data-subject={line.person.as_ref().map(|p| p.cert_no.clone())}>
                                <span class="person-name">{ name }</span>
                                <span class="person-cert">{ line.cert_no.clone() }</span>
                                <span class="person-village">{ village_name(&props.villages, &line.region_code) }</span>
                                if line.unlisted {
                                    <span class="badge unlisted">{ t(Text::Unlisted) }</span>
                                }
                                <span class={classes!("badge", "progress", line.progress.slug())}>
                                    { progress_text(line.progress).get(locale) }
                                </span>
                                if line.reconfirm {
                                    <span class="badge reconfirm">{ t(Text::ReconfirmWaiting) }</span>
                                }
                                { elsewhere_note(line.elsewhere.as_ref(), locale) }
                            </button>
                        </li>
                    }
                }) }
            </ul>
            if more > 0 {
                <button type="button" class="show-more" onclick={show_more}>
                    { format!("{} ({more})", t(Text::ShowMore)) }
                </button>
            }
            if props.has_village_form && !villages_shown.is_empty() {
                <section class="villages" aria-labelledby="villages-title">
                    <h2 id="villages-title">{ t(Text::VillageForms) }</h2>
                    <ul>
                        { for villages_shown.iter().map(|v| {
                            let (on_village, code) = (props.on_village.clone(), v.village.code.clone());
                            html! {
                                <li key={v.village.code.clone()} class={classes!("village", format!("progress-{}", v.progress.slug()))}>
                                    <button type="button" class="village-open" data-subject={v.village.code.clone()}
                                        onclick={Callback::from(move |_| on_village.emit(code.clone()))}>
                                        <span class="person-name">{ format!("{} {}", v.village.town, v.village.name) }</span>
                                        <span class="person-cert">{ v.village.code.clone() }</span>
                                        <span class={classes!("badge", "progress", v.progress.slug())}>
                                            { progress_text(v.progress).get(locale) }
                                        </span>
                                        if v.reconfirm {
                                            <span class="badge reconfirm">{ t(Text::ReconfirmWaiting) }</span>
                                        }
                                        { elsewhere_note(v.elsewhere.as_ref(), locale) }
                                    </button>
                                </li>
                            }
                        }) }
                    </ul>
                </section>
            }
        </section>
    }
}
