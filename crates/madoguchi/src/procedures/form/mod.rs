//! Plan 1-1 オンライン申請: form definitions and the engine that runs them (issue 3, "Forms").
//!
//! `def` is the definition format (data). The engine (validation, conditions, computed values,
//! JSON Schema) is pure: no database, clock or I/O; "today" is passed in.

pub mod def;
pub mod messages;
pub mod store;

pub use def::*;
