//! The form engine the runner uses (`procedures::form`), in one place: every rule about
//! answers (reading a page, conditions, validation, computed values, display) is the engine's.

pub use crate::procedures::form::{
    Answers, FieldError, compute, display_value, field_shown, next_page, prev_page, read_page,
    shown_pages, validate,
};
