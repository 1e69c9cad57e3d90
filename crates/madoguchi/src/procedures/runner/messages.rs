//! Messages of the resident form runner (filling in, drafts, submitting) (ja, en), one of the tables in `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[];
