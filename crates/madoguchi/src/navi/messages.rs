//! Messages of the 手続きナビ (ja, en), one of the tables in `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[
    ("navi.problem.event", "イベントの名前が違います", "The event name is wrong"),
];
