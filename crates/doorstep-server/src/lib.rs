//! The doorstep server: serves the app and the forms, and receives records into SQLite.
//!
//! [`app::app`] is the whole HTTP interface as a router; [`store`] is the only module that
//! touches the database; [`forms`] loads the schemas folder; [`check`] is `doorstep check`;
//! [`regions`] is `doorstep import-regions`.

pub mod app;
pub mod check;
pub mod error;
pub mod forms;
pub mod regions;
pub mod store;
