//! The device's lock: one open copy of the app at a time writes to the device.
//!
//! Two tabs of the app (one left open, one opened from a link) would each write the records
//! they hold in memory over the other's newer ones. So the app holds a Web Lock for as long as
//! its page is open, and starts only once it has it. A copy that finds it held waits, and says
//! so; its collector may take the device over, and the copy that held it then reloads, to wait
//! in turn. A browser without Web Locks (an old WebView, which shows one page) starts at once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The lock's name, shared by every copy of the app on this origin.
const NAME: &str = "doorstep-device";

/// How long a copy waits for the lock before it says another copy holds it: the copy just
/// closed or reloaded lets go of it within this.
pub const PATIENCE_MS: i32 = 1500;

thread_local! {
    /// Set once another copy took the lock over from this one.
    static LOST: Cell<bool> = const { Cell::new(false) };
}

/// Whether another copy took the device over from this one: this one writes nothing more to
/// the device (the other may have read it already), and reloads.
pub fn lost() -> bool {
    LOST.with(Cell::get)
}

/// A copy of the app waiting for the device's lock, or holding it.
#[derive(Clone)]
pub struct DeviceLock {
    /// Resolves the wait of [`DeviceLock::held`]; taken by the first grant.
    granted: Rc<RefCell<Option<Function>>>,
    /// Resolves once this copy holds the lock, or at once without Web Locks.
    held: Promise,
    /// Whether this copy asked to take the lock over already.
    taking_over: Rc<Cell<bool>>,
}

impl DeviceLock {
    /// Asks for the lock: [`DeviceLock::held`] resolves once this copy holds it. If another
    /// copy takes it over later, this page reloads.
    pub fn ask() -> DeviceLock {
        let granted = Rc::new(RefCell::new(None::<Function>));
        let slot = granted.clone();
        let held = Promise::new(&mut |resolve, _reject| {
            *slot.borrow_mut() = Some(resolve);
        });
        let lock = DeviceLock {
            granted,
            held,
            taking_over: Rc::new(Cell::new(false)),
        };
        lock.request(false);
        lock
    }

    /// Waits until this copy holds the lock.
    pub async fn held(&self) {
        // The promise only ever resolves.
        let _ = JsFuture::from(self.held.clone()).await;
    }

    /// Takes the lock from the copy that holds it, which reloads. Once only, and not when this
    /// copy holds it already: a second press would take it from this copy itself.
    pub fn take_over(&self) {
        if self.granted.borrow().is_none() || self.taking_over.replace(true) {
            return;
        }
        self.request(true);
    }

    fn grant(&self) {
        if let Some(resolve) = self.granted.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// Asks the browser for the lock (taking it over when `steal`); without Web Locks, this
    /// copy holds the device at once.
    fn request(&self, steal: bool) {
        if !self.ask_browser(steal) {
            self.grant();
        }
    }

    /// Asks the browser for the lock; false when it has no Web Locks to ask.
    fn ask_browser(&self, steal: bool) -> bool {
        let Some(locks) = web_sys::window()
            .map(|w| w.navigator())
            .and_then(|n| Reflect::get(&n, &"locks".into()).ok())
            .filter(|l| l.is_object())
        else {
            return false;
        };
        let Some(request) = Reflect::get(&locks, &"request".into())
            .ok()
            .and_then(|r| r.dyn_into::<Function>().ok())
        else {
            return false;
        };
        let options = Object::new();
        if steal && Reflect::set(&options, &"steal".into(), &JsValue::TRUE).is_err() {
            return false;
        }
        let this = self.clone();
        // Whether this request was granted: only a lock held can be taken over.
        let held_here = Rc::new(Cell::new(false));
        let granted_here = held_here.clone();
        // Held for the page's life: the callback's promise never settles.
        let on_granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            granted_here.set(true);
            this.grant();
            Promise::new(&mut |_, _| {}).into()
        });
        let Ok(asked) = request.call3(&locks, &NAME.into(), &options, &on_granted) else {
            return false;
        };
        let this = self.clone();
        if let Ok(asked) = asked.dyn_into::<Promise>() {
            let on_lost = Closure::<dyn FnMut(JsValue)>::once(move |error: JsValue| {
                let aborted = Reflect::get(&error, &"name".into())
                    .ok()
                    .and_then(|n| n.as_string())
                    .is_some_and(|n| n == "AbortError");
                if held_here.get() && aborted {
                    // Another copy took the lock over: this one writes nothing more, and
                    // reloads to wait for it again.
                    LOST.with(|lost| lost.set(true));
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().reload();
                    }
                } else {
                    // Refused outright (storage blocked, a sandboxed frame): the app starts
                    // as without Web Locks, and says what it can about its storage.
                    this.grant();
                }
            });
            let _ = asked.catch(&on_lost);
            // Kept for the page's life, as the request is.
            on_lost.forget();
        }
        true
    }
}
