//! A region question answered by choosing a town (乡镇街道) and then one of its villages
//! (村/社区) from the configured area, so a collector never types a 12-digit code. Without an
//! area the field falls back to typing the code.

use std::sync::Arc;

use doorstep_core::Area;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::i18n::{Locale, Text};

/// The configured area, shared by context and compared by pointer.
#[derive(Debug, Clone, Default)]
pub struct AreaRef(pub Option<Arc<Area>>);

impl PartialEq for AreaRef {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// What the picker needs.
#[derive(Properties, PartialEq)]
pub struct RegionPickerProps {
    /// The area to choose from.
    pub area: Arc<Area>,
    /// The DOM id of the village list; the town list gets `-town` appended.
    pub input_id: String,
    /// The question's label, for the village list.
    pub label: Html,
    /// The chosen village code.
    pub value: Option<String>,
    /// The ids of the hint and issues, for `aria-describedby`.
    pub described: Option<String>,
    /// Whether the answer has an error.
    pub invalid: bool,
    /// Whether an answer is required now.
    pub required: bool,
    /// The interface language.
    pub locale: Locale,
    /// Called with the chosen village code, or `None` when the choice is cleared.
    pub on_change: Callback<Option<String>>,
}

/// Two lists: the town, then the village of that town.
#[function_component(RegionPicker)]
pub fn region_picker(props: &RegionPickerProps) -> Html {
    let area = &props.area;
    let chosen_town = props
        .value
        .as_deref()
        .and_then(|code| area.village(code))
        .map(|(town, _)| town.code.clone());
    // The town picked before any village of it is: kept here until a village is chosen.
    let picked_town = use_state(|| None::<String>);
    let town = chosen_town.clone().or_else(|| (*picked_town).clone());
    let on_town = {
        let picked_town = picked_town.clone();
        let on_change = props.on_change.clone();
        let had_village = props.value.is_some();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let code = select.value();
            picked_town.set((!code.is_empty()).then_some(code));
            if had_village {
                on_change.emit(None);
            }
        })
    };
    let on_village = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let code = select.value();
            on_change.emit((!code.is_empty()).then_some(code));
        })
    };
    let town_id = format!("{}-town", props.input_id);
    let villages = town
        .as_deref()
        .and_then(|code| area.towns().find(|t| t.code == code))
        .map(|t| t.villages.as_slice())
        .unwrap_or_default();
    let invalid = if props.invalid { "true" } else { "false" };
    html! {
        <div class="region">
            <label for={town_id.clone()}>{ Text::Town.get(props.locale) }</label>
            <select id={town_id} onchange={on_town}>
                <option value="" selected={town.is_none()}>{ Text::ChooseTown.get(props.locale) }</option>
                { for area.towns().map(|t| html! {
                    <option value={t.code.clone()} selected={town.as_deref() == Some(t.code.as_str())}>
                        { t.name.clone().unwrap_or_else(|| t.code.clone()) }
                    </option>
                }) }
            </select>
            <label for={props.input_id.clone()}>{ props.label.clone() }</label>
            <select id={props.input_id.clone()} onchange={on_village}
                disabled={town.is_none()}
                aria-invalid={invalid}
                aria-required={props.required.to_string()}
                aria-describedby={props.described.clone()}>
                <option value="" selected={props.value.is_none()}>{ Text::ChooseVillage.get(props.locale) }</option>
                { for villages.iter().map(|v| html! {
                    <option value={v.code.clone()} selected={props.value.as_deref() == Some(v.code.as_str())}>
                        { format!("{} {}", v.name, v.code.get(9..).unwrap_or(&v.code)) }
                    </option>
                }) }
            </select>
        </div>
    }
}
