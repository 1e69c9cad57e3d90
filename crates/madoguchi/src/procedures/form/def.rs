//! The form definition format (issue 3, "Forms"): what staff build in the editor, what is
//! exported and imported as a file, and what each published version freezes.
//!
//! A definition is data, not code. It is stored as JSON (`serde_json`), one row per version,
//! and it is the only input of the engine in `super` (validation, conditions, computed values,
//! JSON Schema). Unknown keys are refused so a typo in an imported file is an error, not a
//! silently ignored setting.
//!
//! Answers (what a resident fills in) are a JSON object keyed by field id. The value of each
//! field type is given on its [`FieldKind`] variant; those shapes are the API's wire format and
//! the JSON Schema describes exactly them.

use serde::{Deserialize, Serialize};

/// Version of this file format. A definition with another number is refused on import.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormDefinition {
    /// Always [`FORMAT_VERSION`].
    pub format: u32,
    pub title_ja: String,
    pub title_en: String,
    /// Shown above the first page (what the resident needs to have at hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro_ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro_en: Option<String>,
    /// One question group per page, in order. A page whose `show_if` is false is skipped
    /// (this is how a form branches).
    pub pages: Vec<Page>,
    /// Values the server computes from the answers (a fee, a count). Not part of the answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub computed: Vec<Computed>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// `[a-z][a-z0-9_]*`, unique in the form; appears in the page URL.
    pub id: String,
    pub title_ja: String,
    pub title_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro_ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro_en: Option<String>,
    /// The page is asked only when this holds (branching).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    pub fields: Vec<Field>,
}

/// Deserialised by hand (below): serde cannot combine `flatten` with `deny_unknown_fields`,
/// and an unknown key must still be refused.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Field {
    /// `[a-z][a-z0-9_]*`, unique in the whole form (fields inside a group are unique within it).
    pub id: String,
    pub label_ja: String,
    pub label_en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_en: Option<String>,
    /// Must be answered when shown. Defaults to true: optional questions are the exception.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    /// The field is asked only when this holds. A hidden field must have no answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// A fact the city already knows fills the field in, read-only: `verified.name`,
    /// `verified.address`, `verified.birthdate` or `verified.gender`, read from the My Number
    /// card (docs/identity.md). A resident without that fact answers as usual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// The keys every field has, next to its `type` and the type's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldCommon {
    id: String,
    label_ja: String,
    label_en: String,
    #[serde(default)]
    hint_ja: Option<String>,
    #[serde(default)]
    hint_en: Option<String>,
    #[serde(default = "yes")]
    required: bool,
    #[serde(default)]
    show_if: Option<Condition>,
    #[serde(default)]
    prefill: Option<String>,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        const COMMON: [&str; 8] = [
            "id", "label_ja", "label_en", "hint_ja", "hint_en", "required", "show_if", "prefill",
        ];
        let mut rest = serde_json::Map::deserialize(d)?;
        let mut common = serde_json::Map::new();
        for k in COMMON {
            if let Some(v) = rest.remove(k) {
                common.insert(k.to_string(), v);
            }
        }
        let id = common
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string();
        let c: FieldCommon = serde_json::from_value(serde_json::Value::Object(common))
            .map_err(|e| D::Error::custom(format!("field \"{id}\": {e}")))?;
        let kind: FieldKind = serde_json::from_value(serde_json::Value::Object(rest.clone()))
            .map_err(|e| D::Error::custom(format!("field \"{id}\": {e}")))?;
        let unit = matches!(
            kind,
            FieldKind::Address | FieldKind::Phone | FieldKind::Email | FieldKind::YesNo
        );
        if let Some(k) = rest.keys().find(|k| unit && k.as_str() != "type") {
            return Err(D::Error::custom(format!(
                "field \"{id}\": unknown field `{k}`"
            )));
        }
        Ok(Field {
            id: c.id,
            label_ja: c.label_ja,
            label_en: c.label_en,
            hint_ja: c.hint_ja,
            hint_en: c.hint_en,
            required: c.required,
            show_if: c.show_if,
            prefill: c.prefill,
            kind,
        })
    }
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

/// The field types. The comment on each says the answer's JSON shape.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldKind {
    /// A one-line text. Answer: string (trimmed, 1..=max_len characters).
    Text {
        #[serde(default = "default_text_len")]
        max_len: u32,
    },
    /// A multi-line text. Answer: string.
    LongText {
        #[serde(default = "default_long_len")]
        max_len: u32,
    },
    /// 氏名, with フリガナ when `furigana`. Answer:
    /// `{"family": "市川", "given": "花子", "family_kana": "イチカワ", "given_kana": "ハナコ"}`
    /// (kana as full-width katakana; the kana keys only when `furigana`).
    Name {
        #[serde(default = "yes")]
        furigana: bool,
    },
    /// A date, entered in 和暦 or 西暦 and shown in both. Answer: `"YYYY-MM-DD"`.
    /// `min`/`max` are `"YYYY-MM-DD"`, `"today"`, or today moved by days, months or years:
    /// `"today-75y"`, `"today+30d"`, `"today-6m"`.
    Date {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<String>,
    },
    /// 郵便番号 + address; the postal code fills the prefecture, city and town. Answer:
    /// `{"postal_code": "2728501", "address": "千葉県市川市八幡1丁目1番1号", "building": "…"}`
    /// (`building` optional).
    Address,
    /// A Japanese phone number. Answer: digits only, `"0473344111"`.
    Phone,
    /// Answer: the normalised address, `"hanako@example.jp"`.
    Email,
    /// An amount in yen. Answer: integer.
    Yen {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u64>,
    },
    /// A whole number. Answer: integer.
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
        /// Shown after the box, e.g. 「人」「か月」.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_ja: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_en: Option<String>,
    },
    /// One of the options. Answer: the option's `value`.
    Choice { options: Vec<Choice> },
    /// Any of the options. Answer: array of option values, in the options' order, no repeats.
    MultiChoice {
        options: Vec<Choice>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u32>,
    },
    /// はい / いいえ. Answer: boolean.
    YesNo,
    /// An uploaded file. Answer: `{"id": "…", "name": "…", "size": 123, "type": "image/jpeg"}`
    /// where `id` is the stored attachment's id.
    File {
        /// MIME types accepted, e.g. `["application/pdf", "image/jpeg", "image/png"]`.
        accept: Vec<String>,
        max_bytes: u64,
    },
    /// A repeating group (e.g. each child). Answer: array of objects, each keyed by the inner
    /// fields' ids. Inner fields may not be groups themselves.
    Group {
        fields: Vec<Field>,
        #[serde(default)]
        min_items: u32,
        #[serde(default = "default_max_items")]
        max_items: u32,
        /// 「子ども」: used in 「子どもを追加」「2人目の子ども」.
        item_label_ja: String,
        item_label_en: String,
    },
    /// A declaration the resident must accept (宣誓・同意). Answer: `true`.
    Consent { text_ja: String, text_en: String },
}

fn default_text_len() -> u32 {
    100
}
fn default_long_len() -> u32 {
    2000
}
fn default_max_items() -> u32 {
    10
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// `[a-z0-9_]+`, unique within the field; the stored answer.
    pub value: String,
    pub label_ja: String,
    pub label_en: String,
}

/// When a page or field is shown. Conditions look only at top-level (non-group) fields asked
/// before the page or field they guard, so the JSON Schema can state them with if/then.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The field's answer equals the value (a choice value, a boolean, a number).
    Equals {
        field: String,
        value: serde_json::Value,
    },
    /// The field's answer is one of the values (for a multi choice: contains any of them).
    AnyOf {
        field: String,
        values: Vec<serde_json::Value>,
    },
    /// The field has an answer.
    Answered {
        field: String,
    },
    Not(Box<Condition>),
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

/// A value the server computes from the answers (e.g. the fee).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Computed {
    /// `[a-z][a-z0-9_]*`, unique among fields and computed values. `fee` sets the fee.
    pub id: String,
    pub label_ja: String,
    pub label_en: String,
    pub expr: Expr,
    /// Shown as yen (「1,200円」) rather than as a plain number.
    #[serde(default)]
    pub yen: bool,
}

/// Integer arithmetic over the answers. Missing answers count as 0.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expr {
    Const(i64),
    /// A number or yen field's answer.
    Field(String),
    /// How many items a group has.
    Count(String),
    /// How many items of a group satisfy a condition on the item's fields (ids of the inner fields).
    CountWhere {
        group: String,
        when: Condition,
    },
    Add(Vec<Expr>),
    Mul(Vec<Expr>),
    /// `min(a, b, …)`, e.g. a cap on a subsidy.
    Min(Vec<Expr>),
    /// Floor division `num / den` (0 when `den` is 0), e.g. 1/2 of a price rounded down to
    /// 1,000円: `Mul[Div{Div{price, 2}, 1000}, 1000]`.
    Div {
        num: Box<Expr>,
        den: Box<Expr>,
    },
    If {
        when: Condition,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}
