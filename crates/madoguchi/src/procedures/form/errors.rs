//! Field errors: one problem with one answer, in plain Japanese naming the field by its label
//! and saying how to fix it, and in English.

use serde::Serialize;

use super::dates;
use super::shape::{Problem, Violation, What};
use crate::procedures::jp::{FieldMessage, Yen, format_wareki, format_wareki_en};
use crate::web::i18n::Lang;

/// One problem with one answer. `path` is slash-separated like a JSON pointer without the
/// leading slash: `"child_name"`, `"applicant/family_kana"`, `"children/0/birth_date"`; `""`
/// only when the answers are not an object at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub code: &'static str,
    pub message_ja: String,
    pub message_en: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, code: &'static str, ja: String, en: String) -> Self {
        Self {
            path: path.into(),
            code,
            message_ja: ja,
            message_en: en,
        }
    }

    pub fn message(&self, l: Lang) -> &str {
        match l {
            Lang::Ja => &self.message_ja,
            Lang::En => &self.message_en,
        }
    }

    /// The HTML input name the error belongs to (`children/0/birth_date` →
    /// `f.children.0.birth_date`), for the error summary's links.
    pub fn input_name(&self) -> String {
        input_name(&self.path)
    }

    /// A jp.rs parse error on the field with this label.
    pub fn from_jp(path: &str, label: (&str, &str), e: &impl FieldMessage) -> Self {
        Self::new(
            path,
            "format",
            format!("「{}」：{}", label.0, e.message_ja()),
            format!("{}: {}", label.1, e.message_en()),
        )
    }
}

/// `a/0/b` → `f.a.0.b`.
pub fn input_name(path: &str) -> String {
    format!("f.{}", path.replace('/', "."))
}

fn yen_en(v: i64) -> String {
    let s = Yen::new(v.max(0) as u64)
        .map(|y| y.to_string())
        .unwrap_or_default();
    format!("¥{}", s.trim_end_matches('円'))
}

fn yen_ja(v: i64) -> String {
    Yen::new(v.max(0) as u64)
        .map(|y| y.to_string())
        .unwrap_or_else(|| format!("{v}円"))
}

fn mib(bytes: i64) -> String {
    let m = bytes as f64 / (1024.0 * 1024.0);
    if m >= 1.0 {
        format!("{:.0}MB", m.floor())
    } else {
        format!("{}KB", bytes / 1024)
    }
}

/// The words for a violation found by `shape::Checker`.
pub fn from_violation(v: &Violation<'_>) -> FieldError {
    let path = v.path.join("/");
    let Some(node) = v.node else {
        let key = v.path.last().cloned().unwrap_or_default();
        return FieldError::new(
            path,
            "unknown",
            format!("「{key}」という項目はこの申請書にありません。項目の名前を確かめてください。"),
            format!("There is no item \"{key}\" in this form. Please check the item's name."),
        );
    };
    let (lj, le) = match &v.item {
        Some((ij, ie)) => (
            format!("{ij} {}", node.label_ja),
            format!("{ie} {}", node.label_en),
        ),
        None => (node.label_ja.clone(), node.label_en.clone()),
    };
    let (code, ja, en): (&'static str, String, String) = match (&v.problem, &node.what) {
        (Problem::NotNeeded, _) => (
            "not_needed",
            format!(
                "「{lj}」：この項目は回答不要です。これまでの回答では必要のない項目なので、回答を消してください。"
            ),
            format!(
                "{le}: this item is not needed given the other answers. Please remove its answer."
            ),
        ),
        (Problem::Missing | Problem::TooShort { .. } | Problem::NotTrue, What::Consent) => (
            "required",
            format!("「{lj}」の内容を読み、同意する場合はチェックを入れてください。"),
            format!("Please read \"{le}\" and tick the box if you agree."),
        ),
        (Problem::Missing, What::Choice | What::YesNo | What::Multi) => (
            "required",
            format!("「{lj}」を選んでください。"),
            format!("Please choose an answer for \"{le}\"."),
        ),
        (Problem::Missing, What::Group { item_ja, item_en }) => (
            "required",
            format!("「{lj}」を入力してください（{item_ja}を1件以上）。"),
            format!("Please fill in \"{le}\" (at least one {item_en})."),
        ),
        (Problem::Pattern | Problem::TooLong { .. } | Problem::TooShort { .. }, What::NoDate) => (
            "no_date",
            format!("「{lj}」には、いま入力できる日付がありません。市役所にお問い合わせください。"),
            format!(
                "No date can be entered for \"{le}\" at present. Please contact the city office."
            ),
        ),
        (Problem::Missing | Problem::TooShort { .. }, _) => (
            "required",
            format!("「{lj}」を入力してください。"),
            format!("Please fill in \"{le}\"."),
        ),
        (Problem::Unknown, _) => (
            "unknown",
            format!(
                "「{lj}」の中に、この申請書にない項目があります。項目の名前を確かめてください。"
            ),
            format!("\"{le}\" contains an item this form does not have. Please check the names."),
        ),
        (Problem::Type { expected }, _) => {
            let (wj, we) = match *expected {
                "string" => ("文字列", "a string"),
                "integer" => ("整数（小数点なし）", "a whole number"),
                "boolean" => ("true か false", "true or false"),
                "object" => ("オブジェクト（{…}）", "an object ({…})"),
                _ => ("配列（[…]）", "an array ([…])"),
            };
            (
                "type",
                format!("「{lj}」の値の形が違います。{wj}で送ってください。"),
                format!("\"{le}\" has the wrong kind of value. Please send {we}."),
            )
        }
        (Problem::TooLong { max, got }, _) => (
            "too_long",
            format!("「{lj}」は{max}文字以内で入力してください（いまは{got}文字です）。"),
            format!("\"{le}\" can be at most {max} characters (it has {got} now)."),
        ),
        (Problem::Pattern, What::Date { lo, hi }) => date_message(v, &lj, &le, *lo, *hi),
        (Problem::Pattern, What::Kana) => (
            "format",
            format!("「{lj}」はカタカナで入力してください（例：イチカワ）。"),
            format!("Please write \"{le}\" in full-width katakana (for example イチカワ)."),
        ),
        (Problem::Pattern, What::Postal) => (
            "format",
            format!("「{lj}」は「2728501」のように7桁の数字で入力してください。"),
            format!("Please give \"{le}\" as seven digits, like 2728501."),
        ),
        (Problem::Pattern, What::Phone) => (
            "format",
            format!(
                "「{lj}」は「0473344111」や「09012345678」のように、市外局番から数字だけで入力してください。"
            ),
            format!(
                "Please give \"{le}\" as digits only, starting with the area code, like 0473344111 or 09012345678."
            ),
        ),
        (Problem::Pattern, What::Email) => (
            "format",
            format!(
                "「{lj}」はメールアドレスの形になっていません。「hanako@example.jp」のように小文字で入力してください。"
            ),
            format!(
                "\"{le}\" is not an e-mail address. Please write it in lower case, like hanako@example.jp."
            ),
        ),
        (Problem::Pattern, What::FileId) => (
            "format",
            format!("「{lj}」の添付ファイルが見つかりません。もう一度ファイルを添付してください。"),
            format!("The attachment of \"{le}\" cannot be found. Please attach the file again."),
        ),
        (Problem::Pattern, _) => (
            "format",
            format!(
                "「{lj}」に使えない文字（改行など）が含まれているか、前後に空白があります。文字を確かめてください。"
            ),
            format!(
                "\"{le}\" contains a character that cannot be used (such as a line break) or starts or ends with a space. Please check it."
            ),
        ),
        (Problem::NotInEnum, What::FileType { accept }) => {
            let kinds = accept
                .iter()
                .map(|a| mime_name(a))
                .collect::<Vec<_>>()
                .join("・");
            (
                "file_type",
                format!("「{lj}」には{kinds}のファイルを添付してください。"),
                format!("Please attach a file of one of these kinds for \"{le}\": {kinds}."),
            )
        }
        (Problem::NotInEnum, _) => (
            "not_option",
            format!("「{lj}」は選択肢の中から選んでください。"),
            format!("Please choose \"{le}\" from the options."),
        ),
        (Problem::Below { min }, What::Yen) => (
            "too_small",
            format!("「{lj}」は{}以上で入力してください。", yen_ja(*min)),
            format!("\"{le}\" must be at least {}.", yen_en(*min)),
        ),
        (Problem::Above { max }, What::Yen) => (
            "too_large",
            format!("「{lj}」は{}以下で入力してください。", yen_ja(*max)),
            format!("\"{le}\" must be at most {}.", yen_en(*max)),
        ),
        (Problem::Above { max }, What::FileSize) => (
            "file_size",
            format!(
                "「{lj}」のファイルが大きすぎます。{}以下のファイルを添付してください。",
                mib(*max)
            ),
            format!(
                "The file for \"{le}\" is too large. Please attach a file of at most {}.",
                mib(*max)
            ),
        ),
        (Problem::Below { min }, What::Number { unit_ja, unit_en }) => (
            "too_small",
            format!("「{lj}」は{min}{unit_ja}以上で入力してください。"),
            format!("\"{le}\" must be at least {min}{}.", spaced(unit_en)),
        ),
        (Problem::Above { max }, What::Number { unit_ja, unit_en }) => (
            "too_large",
            format!("「{lj}」は{max}{unit_ja}以下で入力してください。"),
            format!("\"{le}\" must be at most {max}{}.", spaced(unit_en)),
        ),
        (Problem::Below { min }, _) => (
            "too_small",
            format!("「{lj}」は{min}以上にしてください。"),
            format!("\"{le}\" must be at least {min}."),
        ),
        (Problem::Above { max }, _) => (
            "too_large",
            format!("「{lj}」は{max}以下にしてください。"),
            format!("\"{le}\" must be at most {max}."),
        ),
        (Problem::TooFew { min }, What::Group { item_ja, item_en }) => (
            "too_few",
            format!("「{lj}」は{item_ja}を{min}件以上入力してください。"),
            format!("Please enter at least {min} {item_en} for \"{le}\"."),
        ),
        (Problem::TooMany { max }, What::Group { item_ja, item_en }) => (
            "too_many",
            format!("「{lj}」に入力できる{item_ja}は{max}件までです。"),
            format!("\"{le}\" can have at most {max} {item_en}."),
        ),
        (Problem::TooFew { min }, _) => (
            "too_few",
            format!("「{lj}」は{min}つ以上選んでください。"),
            format!("Please choose at least {min} for \"{le}\"."),
        ),
        (Problem::TooMany { max }, _) => (
            "too_many",
            format!("「{lj}」は{max}つまで選べます。"),
            format!("Choose at most {max} for \"{le}\"."),
        ),
        (Problem::Duplicate, _) => (
            "duplicate",
            format!("「{lj}」で同じ選択肢が2回以上選ばれています。1回だけ選んでください。"),
            format!("\"{le}\" has the same option more than once. Please choose each only once."),
        ),
        (Problem::NotTrue, _) => (
            "type",
            format!("「{lj}」の値は true にしてください。"),
            format!("\"{le}\" must be true."),
        ),
    };
    FieldError::new(path, code, ja, en)
}

fn spaced(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

fn mime_name(m: &str) -> &str {
    match m {
        "application/pdf" => "PDF",
        "image/jpeg" => "JPEG",
        "image/png" => "PNG",
        "image/heic" => "HEIC",
        other => other,
    }
}

/// A date string that does not match its field's pattern: another shape, a day that does not
/// exist, or outside the bounds.
fn date_message(
    v: &Violation<'_>,
    lj: &str,
    le: &str,
    lo: time::Date,
    hi: time::Date,
) -> (&'static str, String, String) {
    let s = v
        .value
        .as_ref()
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    match dates::parse_canonical(s) {
        Some(d) if d < lo => (
            "date_too_early",
            format!(
                "「{lj}」は{}以降の日付を入力してください。",
                format_wareki(lo)
            ),
            format!("\"{le}\" must be on or after {}.", format_wareki_en(lo)),
        ),
        Some(_) => (
            "date_too_late",
            format!(
                "「{lj}」は{}以前の日付を入力してください。",
                format_wareki(hi)
            ),
            format!("\"{le}\" must be on or before {}.", format_wareki_en(hi)),
        ),
        None if shaped => (
            "no_such_date",
            format!(
                "「{lj}」：{}年{}月{}日という日はありません。月と日を確かめてください。",
                &s[..4],
                s[5..7].trim_start_matches('0'),
                s[8..].trim_start_matches('0')
            ),
            format!("\"{le}\": there is no such day as {s}. Please check the month and the day."),
        ),
        None => (
            "format",
            format!("「{lj}」は「2024-04-01」のように、西暦の年-月-日（数字）で送ってください。"),
            format!("Please send \"{le}\" as year-month-day, like 2024-04-01."),
        ),
    }
}

/// A problem with a form definition: where (a path like `pages/0/fields/2/show_if`) and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DefinitionProblem {
    pub path: String,
    pub message_ja: String,
    pub message_en: String,
}

impl DefinitionProblem {
    pub fn new(path: impl Into<String>, ja: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message_ja: ja.into(),
            message_en: en.into(),
        }
    }

    pub fn message(&self, l: Lang) -> &str {
        match l {
            Lang::Ja => &self.message_ja,
            Lang::En => &self.message_en,
        }
    }
}
