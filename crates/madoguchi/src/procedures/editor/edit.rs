//! The edits staff make in the editor, as pure functions on a definition: add a field by
//! type, move it up or down, change its texts and limits, set its condition from two
//! dropdowns (never hand-written logic), add, rename, move and delete pages. Each web action
//! (with or without JavaScript) is one of these followed by saving the draft.

use crate::procedures::form::{
    Choice, Condition, FORMAT_VERSION, Field, FieldKind, FormDefinition, Page,
};

/// The field types staff can add, with the names the editor shows.
pub const KINDS: &[(&str, &str, &str)] = &[
    ("name", "氏名（フリガナ付き）", "Name (with furigana)"),
    ("date", "日付（和暦）", "Date (Japanese era)"),
    (
        "address",
        "住所（郵便番号から入力）",
        "Address (from postal code)",
    ),
    ("phone", "電話番号", "Phone number"),
    ("email", "メールアドレス", "E-mail address"),
    ("yen", "金額（円）", "Amount (yen)"),
    ("number", "数値", "Number"),
    ("choice", "選択（1つ）", "Choice (one)"),
    ("multi_choice", "選択（複数）", "Choice (several)"),
    ("yes_no", "はい・いいえ", "Yes / no"),
    ("text", "短い文章", "Short text"),
    ("long_text", "長文", "Long text"),
    ("file", "ファイル", "File"),
    (
        "group",
        "繰り返し（例：子ども）",
        "Repeating group (e.g. children)",
    ),
    ("consent", "同意", "Consent"),
];

/// The Japanese (or English) name of a field's type.
pub fn kind_label(kind: &FieldKind, ja: bool) -> &'static str {
    let code = kind_code(kind);
    KINDS
        .iter()
        .find(|k| k.0 == code)
        .map(|k| if ja { k.1 } else { k.2 })
        .unwrap_or("")
}

pub fn kind_code(kind: &FieldKind) -> &'static str {
    match kind {
        FieldKind::Text { .. } => "text",
        FieldKind::LongText { .. } => "long_text",
        FieldKind::Name { .. } => "name",
        FieldKind::Date { .. } => "date",
        FieldKind::Address => "address",
        FieldKind::Phone => "phone",
        FieldKind::Email => "email",
        FieldKind::Yen { .. } => "yen",
        FieldKind::Number { .. } => "number",
        FieldKind::Choice { .. } => "choice",
        FieldKind::MultiChoice { .. } => "multi_choice",
        FieldKind::YesNo => "yes_no",
        FieldKind::File { .. } => "file",
        FieldKind::Group { .. } => "group",
        FieldKind::Consent { .. } => "consent",
    }
}

/// Why an edit was refused (a message key of `editor.` and the item it concerns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError {
    pub key: &'static str,
    pub item: String,
}

fn err(key: &'static str, item: &str) -> EditError {
    EditError {
        key,
        item: item.to_owned(),
    }
}

/// An empty form with one page, the start of a new draft.
pub fn empty(title_ja: &str, title_en: &str) -> FormDefinition {
    FormDefinition {
        format: FORMAT_VERSION,
        title_ja: title_ja.to_owned(),
        title_en: title_en.to_owned(),
        intro_ja: None,
        intro_en: None,
        pages: vec![new_page("page_1", 1)],
        computed: Vec::new(),
    }
}

fn new_page(id: &str, n: usize) -> Page {
    Page {
        id: id.to_owned(),
        title_ja: format!("ページ{n}"),
        title_en: format!("Page {n}"),
        intro_ja: None,
        intro_en: None,
        show_if: None,
        fields: Vec::new(),
    }
}

fn choice(value: &str, ja: &str, en: &str) -> Choice {
    Choice {
        value: value.to_owned(),
        label_ja: ja.to_owned(),
        label_en: en.to_owned(),
    }
}

fn default_kind(code: &str) -> Option<FieldKind> {
    Some(match code {
        "text" => FieldKind::Text { max_len: 100 },
        "long_text" => FieldKind::LongText { max_len: 2000 },
        "name" => FieldKind::Name { furigana: true },
        "date" => FieldKind::Date {
            min: None,
            max: None,
        },
        "address" => FieldKind::Address,
        "phone" => FieldKind::Phone,
        "email" => FieldKind::Email,
        "yen" => FieldKind::Yen {
            min: None,
            max: None,
        },
        "number" => FieldKind::Number {
            min: None,
            max: None,
            unit_ja: None,
            unit_en: None,
        },
        "choice" => FieldKind::Choice {
            options: vec![
                choice("option_1", "選択肢1", "Option 1"),
                choice("option_2", "選択肢2", "Option 2"),
            ],
        },
        "multi_choice" => FieldKind::MultiChoice {
            options: vec![
                choice("option_1", "選択肢1", "Option 1"),
                choice("option_2", "選択肢2", "Option 2"),
            ],
            min: None,
            max: None,
        },
        "yes_no" => FieldKind::YesNo,
        "file" => FieldKind::File {
            accept: vec![
                "application/pdf".into(),
                "image/jpeg".into(),
                "image/png".into(),
            ],
            max_bytes: 10 * 1024 * 1024,
        },
        "group" => FieldKind::Group {
            fields: vec![Field {
                id: "name".into(),
                label_ja: "氏名".into(),
                label_en: "Name".into(),
                hint_ja: None,
                hint_en: None,
                required: true,
                show_if: None,
                prefill: None,
                kind: FieldKind::Name { furigana: true },
            }],
            min_items: 1,
            max_items: 10,
            item_label_ja: "子ども".into(),
            item_label_en: "child".into(),
        },
        "consent" => FieldKind::Consent {
            text_ja: "記載した内容に誤りがないことを確認しました。".into(),
            text_en: "I confirm that what I entered is correct.".into(),
        },
        _ => return None,
    })
}

/// Every field id in the form (top level and inside groups).
fn all_ids(def: &FormDefinition) -> Vec<String> {
    let mut out = Vec::new();
    for f in def.pages.iter().flat_map(|p| p.fields.iter()) {
        out.push(f.id.clone());
        if let FieldKind::Group { fields, .. } = &f.kind {
            out.extend(fields.iter().map(|g| g.id.clone()));
        }
    }
    out.extend(def.computed.iter().map(|c| c.id.clone()));
    out
}

fn fresh_id(taken: &[String], prefix: &str) -> String {
    (1..)
        .map(|n| format!("{prefix}_{n}"))
        .find(|id| !taken.contains(id))
        .unwrap_or_else(|| prefix.to_owned())
}

/// Adds a field of the type `code` at the end of the page; returns its id.
pub fn add_field(def: &mut FormDefinition, page_id: &str, code: &str) -> Result<String, EditError> {
    let kind = default_kind(code).ok_or_else(|| err("editor.err.kind", code))?;
    let id = fresh_id(&all_ids(def), code);
    let (ja, en) = KINDS
        .iter()
        .find(|k| k.0 == code)
        .map(|k| (k.1, k.2))
        .unwrap_or(("項目", "Field"));
    // The label starts as the type's short name (「氏名」「日付」), for staff to change.
    let short_ja = ja.split('（').next().unwrap_or(ja);
    let short_en = en.split(" (").next().unwrap_or(en);
    let page = page_mut(def, page_id)?;
    page.fields.push(Field {
        id: id.clone(),
        label_ja: short_ja.to_owned(),
        label_en: short_en.to_owned(),
        hint_ja: None,
        hint_en: None,
        required: true,
        show_if: None,
        prefill: None,
        kind,
    });
    Ok(id)
}

fn page_mut<'a>(def: &'a mut FormDefinition, page_id: &str) -> Result<&'a mut Page, EditError> {
    def.pages
        .iter_mut()
        .find(|p| p.id == page_id)
        .ok_or_else(|| err("editor.err.no_item", page_id))
}

/// (page index, field index) of a top-level field.
fn locate(def: &FormDefinition, field_id: &str) -> Result<(usize, usize), EditError> {
    def.pages
        .iter()
        .enumerate()
        .find_map(|(pi, p)| {
            p.fields
                .iter()
                .position(|f| f.id == field_id)
                .map(|fi| (pi, fi))
        })
        .ok_or_else(|| err("editor.err.no_item", field_id))
}

pub fn field_mut<'a>(
    def: &'a mut FormDefinition,
    field_id: &str,
) -> Result<&'a mut Field, EditError> {
    let (pi, fi) = locate(def, field_id)?;
    Ok(&mut def.pages[pi].fields[fi])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Up,
    Down,
}

impl Dir {
    pub fn parse(s: &str) -> Option<Dir> {
        match s {
            "up" => Some(Dir::Up),
            "down" => Some(Dir::Down),
            _ => None,
        }
    }
}

/// Moves a field one place up or down; at the top or bottom of a page it moves to the end
/// of the previous page or the start of the next one. Refused at the very ends of the form.
pub fn move_field(def: &mut FormDefinition, field_id: &str, dir: Dir) -> Result<(), EditError> {
    let (pi, fi) = locate(def, field_id)?;
    let len = def.pages[pi].fields.len();
    match dir {
        Dir::Up if fi > 0 => def.pages[pi].fields.swap(fi, fi - 1),
        Dir::Down if fi + 1 < len => def.pages[pi].fields.swap(fi, fi + 1),
        Dir::Up if pi > 0 => {
            let f = def.pages[pi].fields.remove(fi);
            def.pages[pi - 1].fields.push(f);
        }
        Dir::Down if pi + 1 < def.pages.len() => {
            let f = def.pages[pi].fields.remove(fi);
            def.pages[pi + 1].fields.insert(0, f);
        }
        _ => return Err(err("editor.err.cannot_move", field_id)),
    }
    Ok(())
}

pub fn move_page(def: &mut FormDefinition, page_id: &str, dir: Dir) -> Result<(), EditError> {
    let pi = def
        .pages
        .iter()
        .position(|p| p.id == page_id)
        .ok_or_else(|| err("editor.err.no_item", page_id))?;
    match dir {
        Dir::Up if pi > 0 => def.pages.swap(pi, pi - 1),
        Dir::Down if pi + 1 < def.pages.len() => def.pages.swap(pi, pi + 1),
        _ => return Err(err("editor.err.cannot_move", page_id)),
    }
    Ok(())
}

/// Deletes a field. Refused while a condition or computed value still refers to it, so a
/// deletion never leaves a broken condition behind.
pub fn delete_field(def: &mut FormDefinition, field_id: &str) -> Result<(), EditError> {
    let (pi, fi) = locate(def, field_id)?;
    let used = def
        .pages
        .iter()
        .flat_map(|p| {
            p.show_if
                .iter()
                .chain(p.fields.iter().filter_map(|f| f.show_if.as_ref()))
        })
        .any(|c| mentions(c, field_id))
        || def.computed.iter().any(|c| {
            serde_json::to_string(&c.expr).is_ok_and(|s| s.contains(&format!("\"{field_id}\"")))
        });
    if used {
        return Err(err("editor.err.in_use", field_id));
    }
    def.pages[pi].fields.remove(fi);
    Ok(())
}

fn mentions(c: &Condition, id: &str) -> bool {
    match c {
        Condition::Equals { field, .. }
        | Condition::AnyOf { field, .. }
        | Condition::Answered { field } => field == id,
        Condition::Not(c) => mentions(c, id),
        Condition::All(v) | Condition::Any(v) => v.iter().any(|c| mentions(c, id)),
    }
}

/// Adds a page at the end; returns its id.
pub fn add_page(def: &mut FormDefinition) -> String {
    let taken: Vec<String> = def.pages.iter().map(|p| p.id.clone()).collect();
    let id = fresh_id(&taken, "page");
    let n = def.pages.len() + 1;
    def.pages.push(new_page(&id, n));
    id
}

/// Deletes an empty page (fields must be moved or deleted first: nothing is lost by accident).
pub fn delete_page(def: &mut FormDefinition, page_id: &str) -> Result<(), EditError> {
    let pi = def
        .pages
        .iter()
        .position(|p| p.id == page_id)
        .ok_or_else(|| err("editor.err.no_item", page_id))?;
    if !def.pages[pi].fields.is_empty() {
        return Err(err("editor.err.page_not_empty", page_id));
    }
    def.pages.remove(pi);
    Ok(())
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// What the field's edit form sends. Empty strings mean "not set".
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct FieldEdit {
    #[serde(default)]
    pub label_ja: String,
    #[serde(default)]
    pub label_en: String,
    #[serde(default)]
    pub hint_ja: String,
    #[serde(default)]
    pub hint_en: String,
    /// `on` when the box is ticked.
    #[serde(default)]
    pub required: Option<String>,
    /// Choices, one per line: `value: 日本語 / English` (the value may be left out).
    #[serde(default)]
    pub options: String,
    #[serde(default)]
    pub min: String,
    #[serde(default)]
    pub max: String,
    #[serde(default)]
    pub max_len: String,
    #[serde(default)]
    pub unit_ja: String,
    #[serde(default)]
    pub text_ja: String,
    #[serde(default)]
    pub text_en: String,
    #[serde(default)]
    pub item_label_ja: String,
    #[serde(default)]
    pub furigana: Option<String>,
}

/// Choices from the options box: one per line, `value: 日本語 / English`; without `value:`
/// the value is `option_<n>`; without `/ English` the English label repeats the Japanese.
pub fn parse_options(text: &str) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::new();
    for (n, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let (value, rest) = match line.split_once(':') {
            Some((v, r))
                if !v.trim().is_empty()
                    && v.trim()
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
            {
                (v.trim().to_owned(), r.trim())
            }
            _ => (format!("option_{}", n + 1), line),
        };
        let (ja, en) = match rest.split_once(" / ") {
            Some((j, e)) => (j.trim(), e.trim()),
            None => (rest, rest),
        };
        out.push(choice(&value, ja, en));
    }
    out
}

/// The options as the options box shows them (the inverse of [`parse_options`]).
pub fn options_text(options: &[Choice]) -> String {
    options
        .iter()
        .map(|o| format!("{}: {} / {}", o.value, o.label_ja, o.label_en))
        .collect::<Vec<_>>()
        .join("\n")
}

fn num<T: std::str::FromStr>(
    s: &str,
    key: &'static str,
    item: &str,
) -> Result<Option<T>, EditError> {
    let t: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' => '-',
            c => c,
        })
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| err(key, item))
}

/// Applies the edit form to a field (only the settings its type has).
pub fn update_field(
    def: &mut FormDefinition,
    field_id: &str,
    e: &FieldEdit,
) -> Result<(), EditError> {
    let f = field_mut(def, field_id)?;
    if e.label_ja.trim().is_empty() {
        return Err(err("editor.err.label", field_id));
    }
    f.label_ja = e.label_ja.trim().to_owned();
    f.label_en = opt(&e.label_en).unwrap_or_else(|| f.label_ja.clone());
    f.hint_ja = opt(&e.hint_ja);
    f.hint_en = opt(&e.hint_en);
    f.required = e.required.is_some();
    let id = field_id.to_owned();
    match &mut f.kind {
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => {
            if let Some(n) = num::<u32>(&e.max_len, "editor.err.number", &id)? {
                *max_len = n;
            }
        }
        FieldKind::Name { furigana } => *furigana = e.furigana.is_some(),
        FieldKind::Date { min, max } => {
            *min = opt(&e.min);
            *max = opt(&e.max);
        }
        FieldKind::Yen { min, max } => {
            *min = num(&e.min, "editor.err.number", &id)?;
            *max = num(&e.max, "editor.err.number", &id)?;
        }
        FieldKind::Number {
            min,
            max,
            unit_ja,
            unit_en,
        } => {
            *min = num(&e.min, "editor.err.number", &id)?;
            *max = num(&e.max, "editor.err.number", &id)?;
            *unit_ja = opt(&e.unit_ja);
            if unit_ja.is_none() {
                *unit_en = None;
            }
        }
        FieldKind::Choice { options } => *options = parse_options(&e.options),
        FieldKind::MultiChoice { options, min, max } => {
            *options = parse_options(&e.options);
            *min = num(&e.min, "editor.err.number", &id)?;
            *max = num(&e.max, "editor.err.number", &id)?;
        }
        FieldKind::Consent { text_ja, text_en } => {
            if let Some(t) = opt(&e.text_ja) {
                *text_ja = t;
            }
            if let Some(t) = opt(&e.text_en) {
                *text_en = t;
            }
        }
        FieldKind::Group { item_label_ja, .. } => {
            if let Some(t) = opt(&e.item_label_ja) {
                *item_label_ja = t;
            }
        }
        FieldKind::Address
        | FieldKind::Phone
        | FieldKind::Email
        | FieldKind::YesNo
        | FieldKind::File { .. } => {}
    }
    Ok(())
}

/// One choice of the condition dropdown: 「［婚姻の状況］が［離婚］のとき」.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionChoice {
    /// `field=value` as the dropdown sends it.
    pub code: String,
    pub field_label: String,
    pub value_label: String,
}

/// The conditions a field or page can have: "an earlier choice / yes-no field has this
/// answer". `before` is the id of the field (or page) being guarded.
pub fn condition_choices(def: &FormDefinition, before: &str, ja: bool) -> Vec<ConditionChoice> {
    let mut out = Vec::new();
    for p in &def.pages {
        if p.id == before {
            break;
        }
        for f in &p.fields {
            if f.id == before {
                return out;
            }
            let label = if ja { &f.label_ja } else { &f.label_en };
            match &f.kind {
                FieldKind::Choice { options } | FieldKind::MultiChoice { options, .. } => {
                    for o in options {
                        out.push(ConditionChoice {
                            code: format!("{}={}", f.id, o.value),
                            field_label: label.clone(),
                            value_label: if ja {
                                o.label_ja.clone()
                            } else {
                                o.label_en.clone()
                            },
                        });
                    }
                }
                FieldKind::YesNo => {
                    for (v, lj, le) in [("true", "はい", "Yes"), ("false", "いいえ", "No")] {
                        out.push(ConditionChoice {
                            code: format!("{}={v}", f.id),
                            field_label: label.clone(),
                            value_label: if ja { lj } else { le }.to_owned(),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The dropdown code of a condition the editor can show (`field=value`), if it is one.
pub fn condition_code(c: &Condition) -> Option<String> {
    match c {
        Condition::Equals { field, value } => Some(match value {
            serde_json::Value::String(s) => format!("{field}={s}"),
            v => format!("{field}={v}"),
        }),
        _ => None,
    }
}

/// Sets (or with an empty code, removes) the condition of a field or a page from the
/// dropdown. Only the choices [`condition_choices`] offers are accepted.
pub fn set_condition(def: &mut FormDefinition, target: &str, code: &str) -> Result<(), EditError> {
    let cond = if code.is_empty() {
        None
    } else {
        if !condition_choices(def, target, true)
            .iter()
            .any(|c| c.code == code)
        {
            return Err(err("editor.err.condition", target));
        }
        let (field, value) = code
            .split_once('=')
            .ok_or_else(|| err("editor.err.condition", target))?;
        let value = match value {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            v => serde_json::Value::String(v.to_owned()),
        };
        Some(Condition::Equals {
            field: field.to_owned(),
            value,
        })
    };
    if let Some(p) = def.pages.iter_mut().find(|p| p.id == target) {
        p.show_if = cond;
        return Ok(());
    }
    field_mut(def, target)?.show_if = cond;
    Ok(())
}

/// Page texts.
pub fn update_page(
    def: &mut FormDefinition,
    page_id: &str,
    title_ja: &str,
    title_en: &str,
    intro_ja: &str,
) -> Result<(), EditError> {
    if title_ja.trim().is_empty() {
        return Err(err("editor.err.label", page_id));
    }
    let p = page_mut(def, page_id)?;
    p.title_ja = title_ja.trim().to_owned();
    p.title_en = opt(title_en).unwrap_or_else(|| p.title_ja.clone());
    p.intro_ja = opt(intro_ja);
    Ok(())
}

/// The form's title and introduction.
pub fn update_form(
    def: &mut FormDefinition,
    title_ja: &str,
    title_en: &str,
    intro_ja: &str,
) -> Result<(), EditError> {
    if title_ja.trim().is_empty() {
        return Err(err("editor.err.label", "form"));
    }
    def.title_ja = title_ja.trim().to_owned();
    def.title_en = opt(title_en).unwrap_or_else(|| def.title_ja.clone());
    def.intro_ja = opt(intro_ja);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FormDefinition {
        let mut d = empty("テスト", "Test");
        add_field(&mut d, "page_1", "choice").expect("ok");
        add_field(&mut d, "page_1", "phone").expect("ok");
        d
    }

    #[test]
    fn every_kind_can_be_added_with_a_fresh_id() {
        let mut d = empty("t", "t");
        for (code, _, _) in KINDS {
            let id = add_field(&mut d, "page_1", code).expect("ok");
            assert_eq!(id, format!("{code}_1"));
            let f = d.pages[0].fields.last().expect("ok");
            assert_eq!(kind_code(&f.kind), *code);
        }
        assert_eq!(add_field(&mut d, "page_1", "phone").expect("ok"), "phone_2");
        assert!(add_field(&mut d, "page_1", "my_number").is_err());
        assert!(add_field(&mut d, "nope", "phone").is_err());
    }

    #[test]
    fn moving_crosses_pages_and_stops_at_the_ends() {
        let mut d = form();
        let p2 = add_page(&mut d);
        assert_eq!(
            move_field(&mut d, "choice_1", Dir::Up)
                .expect_err("refused")
                .key,
            "editor.err.cannot_move"
        );
        move_field(&mut d, "choice_1", Dir::Down).expect("ok");
        assert_eq!(d.pages[0].fields[0].id, "phone_1");
        move_field(&mut d, "choice_1", Dir::Down).expect("ok");
        assert_eq!(d.pages[1].id, p2);
        assert_eq!(d.pages[1].fields[0].id, "choice_1");
        assert!(move_field(&mut d, "choice_1", Dir::Down).is_err());
        move_field(&mut d, "choice_1", Dir::Up).expect("ok");
        assert_eq!(d.pages[0].fields[1].id, "choice_1");
        move_page(&mut d, &p2, Dir::Up).expect("ok");
        assert_eq!(d.pages[0].id, p2);
    }

    #[test]
    fn conditions_only_from_the_offered_choices_and_deletion_keeps_them_whole() {
        let mut d = form();
        let choices = condition_choices(&d, "phone_1", true);
        assert_eq!(choices.len(), 2);
        assert_eq!(choices[0].code, "choice_1=option_1");
        assert!(condition_choices(&d, "choice_1", true).is_empty());
        // Later fields cannot be offered, nor made-up values.
        assert!(set_condition(&mut d, "choice_1", "phone_1=x").is_err());
        assert!(set_condition(&mut d, "phone_1", "choice_1=nope").is_err());
        set_condition(&mut d, "phone_1", "choice_1=option_2").expect("ok");
        assert_eq!(
            condition_code(d.pages[0].fields[1].show_if.as_ref().expect("ok")).as_deref(),
            Some("choice_1=option_2")
        );
        assert_eq!(
            delete_field(&mut d, "choice_1").expect_err("refused").key,
            "editor.err.in_use"
        );
        set_condition(&mut d, "phone_1", "").expect("ok");
        delete_field(&mut d, "choice_1").expect("ok");
        assert_eq!(d.pages[0].fields.len(), 1);
        // A page condition.
        let p2 = add_page(&mut d);
        let mut d2 = form();
        let p = add_page(&mut d2);
        set_condition(&mut d2, &p, "choice_1=option_1").expect("ok");
        assert!(d2.pages[1].show_if.is_some());
        assert!(delete_page(&mut d, &p2).is_ok());
        assert_eq!(
            delete_page(&mut d, "page_1").expect_err("refused").key,
            "editor.err.page_not_empty"
        );
    }

    #[test]
    fn yes_no_conditions_are_booleans() {
        let mut d = empty("t", "t");
        add_field(&mut d, "page_1", "yes_no").expect("ok");
        add_field(&mut d, "page_1", "text").expect("ok");
        set_condition(&mut d, "text_1", "yes_no_1=true").expect("ok");
        assert_eq!(
            d.pages[0].fields[1].show_if,
            Some(Condition::Equals {
                field: "yes_no_1".into(),
                value: serde_json::Value::Bool(true)
            })
        );
    }

    #[test]
    fn options_round_trip_and_update_field() {
        let o = parse_options("single: 未婚 / Single\n既婚\n\n divorced : 離婚 / Divorced ");
        assert_eq!(o.len(), 3);
        assert_eq!(o[1].value, "option_2");
        assert_eq!(o[1].label_en, "既婚");
        assert_eq!(o[2].value, "divorced");
        assert_eq!(parse_options(&options_text(&o)), o);
        let mut d = form();
        let e = FieldEdit {
            label_ja: " 婚姻の状況 ".into(),
            options: "single: 未婚 / Single".into(),
            ..FieldEdit::default()
        };
        update_field(&mut d, "choice_1", &e).expect("ok");
        let f = &d.pages[0].fields[0];
        assert_eq!(f.label_ja, "婚姻の状況");
        assert_eq!(f.label_en, "婚姻の状況");
        assert!(!f.required);
        assert!(matches!(&f.kind, FieldKind::Choice { options } if options.len() == 1));
        let bad = FieldEdit {
            label_ja: String::new(),
            ..FieldEdit::default()
        };
        assert_eq!(
            update_field(&mut d, "choice_1", &bad)
                .expect_err("refused")
                .key,
            "editor.err.label"
        );
        let mut d = empty("t", "t");
        add_field(&mut d, "page_1", "yen").expect("ok");
        let e = FieldEdit {
            label_ja: "金額".into(),
            max: "２５，０００".into(),
            required: Some("on".into()),
            ..FieldEdit::default()
        };
        update_field(&mut d, "yen_1", &e).expect("ok");
        assert!(matches!(
            d.pages[0].fields[0].kind,
            FieldKind::Yen {
                max: Some(25000),
                ..
            }
        ));
        let e = FieldEdit {
            label_ja: "金額".into(),
            max: "たくさん".into(),
            ..FieldEdit::default()
        };
        assert_eq!(
            update_field(&mut d, "yen_1", &e).expect_err("refused").key,
            "editor.err.number"
        );
    }
}
