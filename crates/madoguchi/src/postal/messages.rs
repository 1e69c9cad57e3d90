//! Messages of postal-code lookup (ja, en), one of the tables in `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[
    (
        "postal.not_found",
        "郵便番号 {code} の住所は見つかりませんでした。番号をお確かめのうえ、住所を直接入力してください。",
        "No address was found for postal code {code}. Please check the number, or type the address yourself.",
    ),
    (
        "postal.internal",
        "住所を調べられませんでした。しばらくしてからもう一度お試しいただくか、住所を直接入力してください。",
        "The address could not be looked up. Please try again later, or type the address yourself.",
    ),
];
