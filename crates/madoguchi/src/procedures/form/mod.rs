//! Plan 1-1 オンライン申請: form definitions and the engine that runs them (issue 3, "Forms").
//!
//! `def` is the definition format (data). The engine is pure: no database, clock or I/O;
//! "today" is passed in.
//!
//! - Route: [`shown_pages`], [`next_page`], [`prev_page`], [`field_shown`], [`prune_hidden`].
//! - Input: [`read_page`] (the HTML form of one page, read leniently into canonical answers)
//!   and [`validate`] (a whole submission in canonical JSON, the API's wire format).
//! - Output: [`compute`], [`display_value`], [`summary`], [`csv_columns`], [`csv_row`].
//! - Publishing: [`check_definition`], [`parse_definition`], [`json_schema`].
//!
//! The canonical value of every field type is described once (`nodes`, `shape`); both
//! [`validate`] and [`json_schema`] are derived from that description, and
//! `tests/form_schema.rs` proves them equal on thousands of generated answers.

mod check;
mod cond;
mod dates;
pub mod def;
mod display;
mod engine;
mod errors;
pub mod messages;
mod nodes;
mod read;
mod shape;
pub mod store;
#[cfg(test)]
mod tests;

pub use check::{MAX_FILE_BYTES, check_definition, parse_definition};
pub use cond::holds as condition_holds;
pub use dates::{
    format_canonical as format_date, parse_canonical as parse_date,
    resolve_bound as resolve_date_bound,
};
pub use def::*;
pub use display::{SummaryRow, csv_columns, csv_row, display_value, summary};
pub use engine::{
    Answers, ComputedValue, compute, field, field_shown, json_schema, next_page, page_of,
    page_shown, prev_page, prune_hidden, shown_pages, validate,
};
pub use errors::{DefinitionProblem, FieldError, input_name};
pub use read::{PageInput, read_page};
