//! Messages of the documents module (ja, en), one of the tables in `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[
    ("doc.title", "書類（PDF）", "Documents (PDF)"),
    ("doc.receipt", "受付票（PDF）", "Receipt (PDF)"),
    ("doc.notice", "通知書（PDF）", "Notice (PDF)"),
    (
        "doc.signature",
        "電子署名ファイル（.p7s）",
        "Digital signature (.p7s)",
    ),
    (
        "doc.intro",
        "受付票と通知書はPDFで保存・印刷できます。",
        "You can save or print the receipt and the notices as PDF.",
    ),
    (
        "doc.signed_note",
        "通知書には市の電子署名があります。署名ファイルで、内容が交付時から変わっていないことを確かめられます。",
        "Notices carry the city's digital signature. The signature file shows that the notice has not changed since it was issued.",
    ),
];
