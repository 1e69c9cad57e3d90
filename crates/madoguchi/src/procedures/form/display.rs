//! Answers for people: one value in words (`display_value`), the check-your-answers page
//! (`summary`) and the CSV export (`csv_columns`, `csv_row`).

use serde::Serialize;
use serde_json::Value;

use super::dates;
use super::def::{Field, FieldKind, FormDefinition};
use super::engine::{Answers, compute, field_shown, page_shown};
use crate::procedures::jp::{PhoneNumber, PostalCode, Yen, format_wareki, format_wareki_en};
use crate::web::i18n::Lang;

fn pick<'a>(l: Lang, ja: &'a str, en: &'a str) -> &'a str {
    match l {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

fn yen_text(v: i64, l: Lang) -> String {
    let ja = if v < 0 {
        format!(
            "-{}",
            Yen::new(v.unsigned_abs())
                .map(|y| y.to_string())
                .unwrap_or_default()
        )
    } else {
        Yen::new(v as u64)
            .map(|y| y.to_string())
            .unwrap_or_else(|| format!("{v}円"))
    };
    match l {
        Lang::Ja => ja,
        Lang::En => format!("¥{}", ja.trim_end_matches('円')),
    }
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// One answer in words for the resident or staff: dates in 和暦 (`令和6年9月1日`; English
/// `1 September 2024 (Reiwa 6)`), names with their reading, yen with separators, options by
/// their label. A value of the wrong shape is shown as its JSON.
pub fn display_value(field: &Field, value: &Value, l: Lang) -> String {
    let json = || value.to_string();
    match &field.kind {
        FieldKind::Text { .. } | FieldKind::LongText { .. } => {
            value.as_str().map_or_else(json, str::to_string)
        }
        FieldKind::Name { .. } => {
            let name = format!("{} {}", str_of(value, "family"), str_of(value, "given"));
            let kana = format!(
                "{}\u{3000}{}",
                str_of(value, "family_kana"),
                str_of(value, "given_kana")
            );
            if kana.trim().is_empty() {
                name
            } else {
                format!("{name}（{}）", kana.trim())
            }
        }
        FieldKind::Date { .. } => match value.as_str().and_then(dates::parse_canonical) {
            Some(d) => match l {
                Lang::Ja => format!("{}（{}年）", format_wareki(d), d.year()),
                Lang::En => format_wareki_en(d),
            },
            None => json(),
        },
        FieldKind::Address => {
            let pc = PostalCode::parse(str_of(value, "postal_code"))
                .map(|p| p.to_string())
                .unwrap_or_default();
            let mut s = format!("〒{pc} {}", str_of(value, "address"));
            let b = str_of(value, "building");
            if !b.is_empty() {
                s.push(' ');
                s.push_str(b);
            }
            s
        }
        FieldKind::Phone => value.as_str().map_or_else(json, |s| {
            PhoneNumber::parse(s).map_or_else(|_| s.to_string(), |p| p.to_string())
        }),
        FieldKind::Email => value.as_str().map_or_else(json, str::to_string),
        FieldKind::Yen { .. } => value.as_i64().map_or_else(json, |v| yen_text(v, l)),
        FieldKind::Number {
            unit_ja, unit_en, ..
        } => value.as_i64().map_or_else(json, |v| {
            let unit = pick(
                l,
                unit_ja.as_deref().unwrap_or(""),
                unit_en.as_deref().unwrap_or(""),
            );
            match l {
                Lang::Ja => format!("{v}{unit}"),
                Lang::En if unit.is_empty() => v.to_string(),
                Lang::En => format!("{v} {unit}"),
            }
        }),
        FieldKind::Choice { options } => {
            let v = value.as_str().unwrap_or_default();
            options
                .iter()
                .find(|o| o.value == v)
                .map_or_else(json, |o| pick(l, &o.label_ja, &o.label_en).to_string())
        }
        FieldKind::MultiChoice { options, .. } => {
            let chosen: Vec<&str> = value
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            options
                .iter()
                .filter(|o| chosen.contains(&o.value.as_str()))
                .map(|o| pick(l, &o.label_ja, &o.label_en))
                .collect::<Vec<_>>()
                .join(pick(l, "、", ", "))
        }
        FieldKind::YesNo => match value.as_bool() {
            Some(true) => pick(l, "はい", "Yes").into(),
            Some(false) => pick(l, "いいえ", "No").into(),
            None => json(),
        },
        FieldKind::Consent { .. } => match value.as_bool() {
            Some(true) => pick(l, "同意します", "Agreed").into(),
            _ => json(),
        },
        FieldKind::File { .. } => {
            let size = value.get("size").and_then(Value::as_u64).unwrap_or(0);
            format!("{}（{}）", str_of(value, "name"), size_text(size))
        }
        FieldKind::Group {
            item_label_ja,
            item_label_en,
            ..
        } => {
            let n = value.as_array().map_or(0, Vec::len);
            match l {
                Lang::Ja => format!("{item_label_ja} {n}件"),
                Lang::En => format!("{n} × {item_label_en}"),
            }
        }
    }
}

/// One line of the check-your-answers page (or of the answers staff see).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    /// The page to go back to for a change (empty for a computed value).
    pub page_id: String,
    pub page_title: String,
    /// The answer's path (`children/0/birth_date`), or the computed value's id.
    pub path: String,
    pub label: String,
    pub value: String,
    /// False for a shown optional question left blank (the value then says so).
    pub answered: bool,
    /// A value the server computed (fee, subsidy), not an answer.
    pub computed: bool,
}

/// The check-your-answers rows: every shown field of every shown page, in order (a group's
/// items one row per inner field, labelled 「子ども1 氏名」), then the computed values.
pub fn summary(def: &FormDefinition, answers: &Answers, l: Lang) -> Vec<SummaryRow> {
    let blank = pick(l, "（未回答）", "(not answered)").to_string();
    let mut rows = Vec::new();
    for page in def.pages.iter().filter(|p| page_shown(p, answers)) {
        let title = pick(l, &page.title_ja, &page.title_en).to_string();
        let mut row = |path: String, label: String, value: Option<String>| {
            rows.push(SummaryRow {
                page_id: page.id.clone(),
                page_title: title.clone(),
                path,
                label,
                answered: value.is_some(),
                value: value.unwrap_or_else(|| blank.clone()),
                computed: false,
            });
        };
        for f in page.fields.iter().filter(|f| field_shown(f, answers)) {
            let label = pick(l, &f.label_ja, &f.label_en).to_string();
            match (&f.kind, answers.get(&f.id)) {
                (
                    FieldKind::Group {
                        fields,
                        item_label_ja,
                        item_label_en,
                        ..
                    },
                    Some(Value::Array(items)),
                ) => {
                    for (i, item) in items.iter().enumerate() {
                        let Some(item) = item.as_object() else {
                            continue;
                        };
                        let head = match l {
                            Lang::Ja => format!("{item_label_ja}{}", i + 1),
                            Lang::En => format!("{item_label_en} {}", i + 1),
                        };
                        for inner in fields.iter().filter(|x| field_shown(x, item)) {
                            row(
                                format!("{}/{i}/{}", f.id, inner.id),
                                format!("{head} {}", pick(l, &inner.label_ja, &inner.label_en)),
                                item.get(&inner.id).map(|v| display_value(inner, v, l)),
                            );
                        }
                    }
                }
                (_, v) => row(f.id.clone(), label, v.map(|v| display_value(f, v, l))),
            }
        }
    }
    for c in compute(def, answers) {
        rows.push(SummaryRow {
            page_id: String::new(),
            page_title: String::new(),
            path: c.id.clone(),
            label: pick(l, &c.label_ja, &c.label_en).to_string(),
            value: if c.yen {
                yen_text(c.value, l)
            } else {
                c.value.to_string()
            },
            answered: true,
            computed: true,
        });
    }
    rows
}

/// The columns one field takes in the CSV: (suffix ja, suffix en, key in the answer object).
fn columns(f: &Field) -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    match &f.kind {
        FieldKind::Name { furigana: true } => vec![
            ("姓", "family name", Some("family")),
            ("名", "given name", Some("given")),
            ("セイ", "family name (kana)", Some("family_kana")),
            ("メイ", "given name (kana)", Some("given_kana")),
        ],
        FieldKind::Name { furigana: false } => {
            vec![
                ("姓", "family name", Some("family")),
                ("名", "given name", Some("given")),
            ]
        }
        FieldKind::Address => vec![
            ("郵便番号", "postal code", Some("postal_code")),
            ("住所", "address", Some("address")),
            ("建物名", "building", Some("building")),
        ],
        _ => vec![("", "", None)],
    }
}

fn header(l: Lang, head: &str, f: &Field, sja: &str, sen: &str) -> String {
    let label = pick(l, &f.label_ja, &f.label_en);
    let suffix = pick(l, sja, sen);
    let mut s = String::from(head);
    if !s.is_empty() {
        s.push(' ');
    }
    s.push_str(label);
    if !suffix.is_empty() {
        s.push(' ');
        s.push_str(suffix);
    }
    s
}

/// The CSV header: one column per answer part, in form order; a group takes
/// `max_items` × its inner columns (「子ども1 氏名 姓」…); computed values last.
pub fn csv_columns(def: &FormDefinition, l: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for f in def.pages.iter().flat_map(|p| &p.fields) {
        if let FieldKind::Group {
            fields,
            max_items,
            item_label_ja,
            item_label_en,
            ..
        } = &f.kind
        {
            for i in 1..=*max_items {
                let head = match l {
                    Lang::Ja => format!("{item_label_ja}{i}"),
                    Lang::En => format!("{item_label_en} {i}"),
                };
                for inner in fields {
                    for (sja, sen, _) in columns(inner) {
                        out.push(header(l, &head, inner, sja, sen));
                    }
                }
            }
        } else {
            for (sja, sen, _) in columns(f) {
                out.push(header(l, "", f, sja, sen));
            }
        }
    }
    out.extend(
        def.computed
            .iter()
            .map(|c| pick(l, &c.label_ja, &c.label_en).to_string()),
    );
    out
}

/// One cell: machine-friendly (dates `YYYY-MM-DD`, yen and numbers as digits, phone digits)
/// except choices, which are their Japanese labels (what staff read). Cells are raw text: the
/// CSV writer quotes them and neutralises leading `=`, `+`, `-`, `@`.
fn cell(f: &Field, v: Option<&Value>) -> String {
    let Some(v) = v else { return String::new() };
    match &f.kind {
        FieldKind::Choice { .. }
        | FieldKind::MultiChoice { .. }
        | FieldKind::YesNo
        | FieldKind::File { .. } => display_value(f, v, Lang::Ja),
        FieldKind::Consent { .. } => {
            if v == &Value::Bool(true) {
                "同意".into()
            } else {
                v.to_string()
            }
        }
        _ => match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    }
}

/// The answers in the order of [`csv_columns`].
pub fn csv_row(def: &FormDefinition, answers: &Answers) -> Vec<String> {
    let mut out = Vec::new();
    let part = |f: &Field, obj: &serde_json::Map<String, Value>, out: &mut Vec<String>| {
        for (_, _, key) in columns(f) {
            match key {
                Some(k) => out.push(
                    obj.get(&f.id)
                        .and_then(|v| v.get(k))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                ),
                None => out.push(cell(f, obj.get(&f.id))),
            }
        }
    };
    for f in def.pages.iter().flat_map(|p| &p.fields) {
        if let FieldKind::Group {
            fields, max_items, ..
        } = &f.kind
        {
            let items = answers.get(&f.id).and_then(Value::as_array);
            for i in 0..*max_items as usize {
                let empty = serde_json::Map::new();
                let item = items
                    .and_then(|a| a.get(i))
                    .and_then(Value::as_object)
                    .unwrap_or(&empty);
                for inner in fields {
                    part(inner, item, &mut out);
                }
            }
        } else {
            part(f, answers, &mut out);
        }
    }
    out.extend(
        compute(def, answers)
            .into_iter()
            .map(|c| c.value.to_string()),
    );
    out
}
