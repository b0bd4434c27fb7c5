//! The components that render state. They hold no data of their own and do no I/O.

pub mod field;
pub mod form;
pub mod header;
pub mod live;
pub mod overview;
pub mod region;
pub mod repeat;
pub mod roster;
pub mod sign_in;
