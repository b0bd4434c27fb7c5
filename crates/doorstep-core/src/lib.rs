//! doorstep-core: the form engine shared by the app (compiled to wasm) and the server.
//!
//! It holds the form format and its loader ([`schema`]), the expression language ([`expr`]),
//! validation ([`validate`]), region lists ([`region`]), a record's life cycle ([`record`]), the outbox state machine
//! ([`sync`]) and the wire format ([`protocol`]).
//!
//! Invariant: nothing here does I/O, reads a clock or draws random numbers. Time, ids and
//! randomness are passed in, so the same code runs, and is tested, natively and in the browser.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod chunked;
pub mod expr;
pub mod keypad;
pub mod message;
pub mod protocol;
pub mod record;
pub mod region;
pub mod schema;
pub mod sync;
pub mod validate;

pub use expr::Context;
pub use record::{Answers, Record, Status};
pub use region::Area;
pub use schema::{Form, Localized, SchemaError, Severity};
pub use validate::{validate, Evaluation, Issue, Report};
