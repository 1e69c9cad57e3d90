//! Messages of postal-code lookup (ja, en), one of the tables in `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[];
