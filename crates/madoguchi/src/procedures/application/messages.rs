//! Messages of applications, cases and the two-way window (ja, en), one of the tables in `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[];
