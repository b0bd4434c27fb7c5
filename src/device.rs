//! What the device provides that the core must not reach for itself: the clock (and how it
//! reads in the device's time zone) and randomness; and the interface language chosen on it.

/// Milliseconds since the Unix epoch, from the browser's clock.
pub fn now_millis() -> i64 {
    js_sys::Date::now() as i64
}

/// A new record id (UUID version 7) from the clock and the browser's random source.
pub fn new_record_id() -> String {
    let mut random = [0u8; 10];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut random).ok())
        .is_some();
    if !filled {
        // Without crypto (very old WebViews) fall back to Math.random: ids stay unique in
        // practice because the time part differs too.
        for byte in &mut random {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    doorstep_core::record::record_id(now_millis().max(0) as u64, random)
}

/// A number from 0 to 1000, to spread retries out.
pub fn jitter() -> u16 {
    (js_sys::Math::random() * 1001.0) as u16
}

/// The time of day of a moment, in the device's time zone, as HH:MM.
pub fn clock_time(millis: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// Today's date on the device, in its local time zone.
pub fn today() -> Option<jiff::civil::Date> {
    let now = js_sys::Date::new_0();
    let year = i16::try_from(now.get_full_year()).ok()?;
    let month = i8::try_from(now.get_month() + 1).ok()?;
    let day = i8::try_from(now.get_date()).ok()?;
    jiff::civil::Date::new(year, month, day).ok()
}

/// The dates the form's rules may read: today from the device; the reference date is the
/// form's own. The state adds the configured area.
pub fn context() -> doorstep_core::Context {
    doorstep_core::Context {
        today: today(),
        ..doorstep_core::Context::default()
    }
}

/// Asks the device where it is, once, without blocking: `done` is called with the position,
/// or never when the device refuses, has none, or takes longer than 30 s.
pub fn request_position(done: impl FnOnce(doorstep_core::record::Position) + 'static) {
    use wasm_bindgen::JsCast;
    let Some(geolocation) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) else {
        return;
    };
    // The position's type is not a stable part of web-sys yet: its numbers are read by name.
    let success =
        wasm_bindgen::closure::Closure::once_into_js(move |position: wasm_bindgen::JsValue| {
            let number = |object: &wasm_bindgen::JsValue, name: &str| {
                js_sys::Reflect::get(object, &name.into())
                    .ok()
                    .and_then(|v| v.as_f64())
            };
            let Ok(coords) = js_sys::Reflect::get(&position, &"coords".into()) else {
                return;
            };
            if let (Some(latitude), Some(longitude), Some(accuracy)) = (
                number(&coords, "latitude"),
                number(&coords, "longitude"),
                number(&coords, "accuracy"),
            ) {
                done(doorstep_core::record::Position {
                    latitude,
                    longitude,
                    accuracy,
                    at: number(&position, "timestamp").unwrap_or_default() as i64,
                });
            }
        });
    // A refusal or a failure is no position; the record goes on without one.
    let failure = wasm_bindgen::closure::Closure::once_into_js(|_: wasm_bindgen::JsValue| {});
    let options = web_sys::PositionOptions::new();
    options.set_timeout(30_000);
    options.set_maximum_age(300_000);
    let _ = geolocation.get_current_position_with_error_callback_and_options(
        success.unchecked_ref(),
        Some(failure.unchecked_ref()),
        &options,
    );
}

/// What the history entry of a record opened from the roster holds, so that the app knows the
/// entry is its own to go back over.
const OPENED: &str = "doorstep-record";

fn history() -> Option<web_sys::History> {
    web_sys::window().and_then(|w| w.history().ok())
}

/// Puts the app's address in the location bar without loading anything, so a reload opens
/// the same record. The history entry stays the one it was.
pub fn show_address(search: &str) {
    if let Some(history) = history() {
        let url = if search.is_empty() { "/" } else { search };
        let kept = history.state().unwrap_or(wasm_bindgen::JsValue::NULL);
        let _ = history.replace_state_with_url(&kept, "", Some(url));
    }
}

/// Whether the location bar shows `search` already: the back or forward button got there
/// first, and the history stays as it is.
pub fn at_address(search: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|shown| shown == search)
}

thread_local! {
    /// How many of the app's own goings back over a record's entry are yet to arrive as
    /// `popstate` events.
    static GOING_BACK: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether a `popstate` event is the app's own going back over a record's entry (counted
/// off), rather than the collector's back or forward button.
pub fn own_going_back() -> bool {
    GOING_BACK.with(|n| {
        let pending = n.get();
        n.set(pending.saturating_sub(1));
        pending > 0
    })
}

/// Whether the app is shown in a frame of another page, whose history it shares.
fn in_frame() -> bool {
    web_sys::window().is_some_and(|w| {
        w.top()
            .ok()
            .flatten()
            .is_some_and(|top| !js_sys::Object::is(&top, &w))
    })
}

/// Puts the address of a record opened from the roster in a new history entry: the browser's
/// back button, or a tablet's, leads back to the roster instead of out of the app. In a frame
/// of a host page the address is replaced instead: that history is the host's.
pub fn push_address(search: &str) {
    if in_frame() {
        show_address(search);
        return;
    }
    if let Some(history) = history() {
        // The app puts each screen where it starts itself (the roster at the row just left);
        // the browser restoring the scroll of the entry gone back to would undo that.
        let _ = js_sys::Reflect::set(&history, &"scrollRestoration".into(), &"manual".into());
        let _ = history.push_state_with_url(&OPENED.into(), "", Some(search));
    }
}

/// Leaves a record for the roster at `search`: back over the record's history entry when the
/// app made it, so that leaving records piles up no entries for the back button to wade
/// through; otherwise (a record opened by a reload or a link) the address is replaced.
pub fn leave_address(search: &str) {
    let Some(history) = history() else {
        return;
    };
    if history.state().ok().and_then(|s| s.as_string()).as_deref() == Some(OPENED) {
        if history.back().is_ok() {
            GOING_BACK.with(|n| n.set(n.get() + 1));
        }
    } else {
        show_address(search);
    }
}

/// Where the interface language chosen on this device is kept (the browser's local storage:
/// a setting, not a record). `static/stopped.js` reads the same key, as it must work when the
/// wasm has stopped.
const LOCALE_KEY: &str = "doorstep-locale";

/// The interface language last chosen on this device, if any.
pub fn kept_locale() -> Option<crate::i18n::Locale> {
    let storage = web_sys::window()?.local_storage().ok()??;
    crate::i18n::Locale::from_tag(&storage.get_item(LOCALE_KEY).ok()??)
}

/// Keeps the interface language for the next start. A browser that refuses (private mode,
/// storage off) starts in the default language next time; nothing else depends on it.
pub fn keep_locale(locale: crate::i18n::Locale) {
    if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = storage.set_item(LOCALE_KEY, locale.tag());
    }
}
