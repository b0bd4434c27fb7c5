//! The bar at the top of every screen: the app's name, the forms to switch between in the
//! one-form mode, whether the device is online, and the language switch. Its properties
//! change only with these, so a change to an answer does not draw it again.

use doorstep_core::protocol::FormSummary;
use yew::prelude::*;

use crate::i18n::{Locale, Text};

/// What the bar shows.
#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    /// The interface language.
    pub locale: Locale,
    /// Whether the browser is online.
    pub online: bool,
    /// The forms to switch between; the switcher shows only when there are two or more.
    pub forms: Vec<FormSummary>,
    /// The form on screen, in the one-form mode.
    pub current: Option<String>,
    /// Called to switch to the other language.
    pub on_locale: Callback<MouseEvent>,
}

/// The bar.
#[function_component(HeaderBar)]
pub fn header_bar(props: &HeaderProps) -> Html {
    let locale = props.locale;
    let t = |text: Text| text.get(locale);
    html! {
        <header class="bar">
            <span class="brand">{ t(Text::AppName) }</span>
            if props.forms.len() > 1 {
                <nav class="forms" aria-label={t(Text::Forms)}>
                    { for props.forms.iter().map(|f| {
                        let current = props.current.as_deref() == Some(f.id.as_str());
                        html! {
                            <a href={format!("?form={}", f.id)}
                                aria-current={current.then_some("page")}>
                                { f.title.get(locale.tag()) }
                            </a>
                        }
                    }) }
                </nav>
            }
            <span class={classes!("network", if props.online { "online" } else { "offline" })} role="status">
                { if props.online { t(Text::Online) } else { t(Text::Offline) } }
            </span>
            <button type="button" class="locale" onclick={props.on_locale.clone()}
                aria-label={format!("{} {}", t(Text::SwitchLanguage), locale.other().name())}
                lang={locale.other().tag()}>
                { locale.other().name() }
            </button>
        </header>
    }
}
