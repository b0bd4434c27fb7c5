//! The doorstep server: serves the app and the forms, and receives records into SQLite.
//!
//! [`app::app`] is the whole HTTP interface as a router; [`store`] is the only module that
//! touches the database; [`forms`] loads the schemas folder; [`check`] is `doorstep check`;
//! [`regions`] is `doorstep import-regions`; [`accounts`] holds passwords and tokens;
//! [`roster`] reads `doorstep roster import` files; [`shell`] checks the built app's compressed
//! copies before they are served.

pub mod accounts;
pub mod app;
pub mod check;
pub mod error;
pub mod forms;
pub mod limit;
pub mod regions;
pub mod roster;
pub mod shell;
pub mod store;
