//! The sign-in screen: an account name and a password, with the reason shown when signing in
//! fails. The root component does the signing in; this only renders and reports.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::{Locale, Text};

/// What the screen needs.
#[derive(Properties, PartialEq)]
pub struct SignInProps {
    /// The interface language.
    pub locale: Locale,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Called with the name and the password.
    pub on_submit: Callback<(String, String)>,
}

/// The sign-in form.
#[function_component(SignInView)]
pub fn sign_in_view(props: &SignInProps) -> Html {
    let name = use_node_ref();
    let password = use_node_ref();
    let locale = props.locale;
    let onsubmit = {
        let (name, password) = (name.clone(), password.clone());
        let on_submit = props.on_submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |node: &NodeRef| {
                node.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            on_submit.emit((value(&name).trim().to_string(), value(&password)));
        })
    };
    html! {
        <form class="sign-in" onsubmit={onsubmit} aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">{ Text::SignIn.get(locale) }</h1>
            <p class="hint">{ Text::SignInHint.get(locale) }</p>
            <div class="field">
                <label for="sign-in-name">{ Text::AccountName.get(locale) }</label>
                <input id="sign-in-name" type="text" ref={name} autocomplete="username"
                    required=true aria-invalid={props.error.is_some().to_string()}
                    aria-describedby={props.error.as_ref().map(|_| "sign-in-error")} />
            </div>
            <div class="field">
                <label for="sign-in-password">{ Text::Password.get(locale) }</label>
                <input id="sign-in-password" type="password" ref={password}
                    autocomplete="current-password" required=true
                    aria-invalid={props.error.is_some().to_string()}
                    aria-describedby={props.error.as_ref().map(|_| "sign-in-error")} />
            </div>
            if let Some(error) = &props.error {
                <p id="sign-in-error" class="issue error" role="alert">{ error }</p>
            }
            <button type="submit" class="primary">{ Text::SignIn.get(locale) }</button>
        </form>
    }
}
