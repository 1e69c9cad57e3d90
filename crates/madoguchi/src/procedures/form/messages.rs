//! Messages of the form engine (field errors, definition problems) (ja, en), one of the tables in `crate::web::i18n::TABLES`.
//!
//! Field errors and definition problems are built in `errors.rs` and `check.rs` (they name the
//! field, so they are formatted, not looked up); these are the fixed words around answers that
//! the runner, the check-your-answers page and the staff screens share. (`form.required` and
//! `form.errors_title` are in the main table of `web::i18n`.)

pub static MESSAGES: &[(&str, &str, &str)] = &[
    ("form.optional", "任意", "Optional"),
    ("form.not_answered", "（未回答）", "(not answered)"),
    ("form.yes", "はい", "Yes"),
    ("form.no", "いいえ", "No"),
    ("form.agree", "同意します", "I agree"),
    ("form.change", "変更する", "Change"),
    ("form.add_item", "追加する", "Add"),
    ("form.remove_item", "削除する", "Remove"),
    (
        "form.errors_intro",
        "次の項目を直してください。",
        "Please correct the following.",
    ),
    ("form.computed", "計算結果", "Calculated"),
    (
        "form.date_hint",
        "「令和6年9月1日」や「2024年9月1日」のように入力してください。",
        "For example Reiwa 6.9.1 or 2024-09-01.",
    ),
    (
        "form.postal_hint",
        "「272-8501」のように7桁の数字で入力してください。",
        "Seven digits, like 272-8501.",
    ),
    (
        "form.phone_hint",
        "「090-1234-5678」のように入力してください。",
        "For example 090-1234-5678.",
    ),
    (
        "form.kana_hint",
        "カタカナで入力してください（ひらがなでも構いません）。",
        "In katakana (hiragana is also fine).",
    ),
];
