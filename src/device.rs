//! What the device provides that the core must not reach for itself: the clock (and how it
//! reads in the device's time zone) and randomness.

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
