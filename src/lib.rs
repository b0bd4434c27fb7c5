//! doorstep-app: the collector's app, a Yew front end compiled to WebAssembly.
//!
//! Codemap: [`state`] is the pure reducer (it calls `doorstep-core`); [`components`] render it;
//! [`app`] owns the state and runs the effects. Only [`store`] touches IndexedDB, only [`net`]
//! touches the network, only [`shell`] touches the service worker, only [`host`] talks to an
//! embedding host, only [`device`] reads the clock and the random source, and only
//! [`device_lock`] decides which open copy of the app may write to the device.

pub mod app;
pub mod components;
pub mod device;
pub mod device_lock;
pub mod host;
pub mod i18n;
pub mod net;
pub mod outbox;
pub mod roster;
pub mod shell;
pub mod state;
pub mod store;

/// Starts the app in the page's body and registers the service worker.
pub fn start() {
    shell::register_service_worker();
    host::install();
    yew::Renderer::<app::App>::new().render();
}
