//! Messages of the form engine (field errors, definition problems) (ja, en), one of the tables in `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[];
