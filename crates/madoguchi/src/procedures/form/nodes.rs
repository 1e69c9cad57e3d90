//! Field types → [`Node`]s: the canonical value of each type, once.

use time::Date;

use super::dates;
use super::def::{Field, FieldKind, FormDefinition};
use super::shape::{Node, Prop, Shape, What};
use crate::procedures::jp::Yen;

/// A one-line text: no control characters, no space (half- or full-width) at either end.
pub const TEXT_LINE: &str =
    "^[^\\x00-\\x1f\\x7f \u{3000}](?:[^\\x00-\\x1f\\x7f]*[^\\x00-\\x1f\\x7f \u{3000}])?$";
/// A multi-line text: like [`TEXT_LINE`] but line feeds (`\n`, never `\r`) are allowed inside.
pub const TEXT_LONG: &str = "^[^\\x00-\\x1f\\x7f \u{3000}](?:[^\\x00-\\x09\\x0b-\\x1f\\x7f]*[^\\x00-\\x1f\\x7f \u{3000}])?$";
/// フリガナ as `jp::normalize_furigana` writes it: full-width katakana and ー, words separated
/// by one full-width space.
pub const KANA: &str = "^[ァ-ヺーヽヾ]+(?:\u{3000}[ァ-ヺーヽヾ]+)*$";
pub const POSTAL: &str = "^[0-9]{7}$";
/// The digits `jp::PhoneNumber` keeps: 11 digits for 050/070/080/090 and 0800, 10 for the
/// rest (never 00 or 010, the prefixes for calling abroad).
pub const PHONE: &str = "^(?:0[5789]0[0-9]{8}|0(?:1[1-9]|[2-46][0-9]|[5789][1-9])[0-9]{7})$";
/// A lower-case address as `auth::normalize_email` keeps it, limited to ASCII.
pub const EMAIL: &str = "^[-a-z0-9.!#$%&'*+/=?^_`{|}~]+@[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)+$";
/// An attachment's public id.
pub const FILE_ID: &str = "^[-A-Za-z0-9_]+$";

pub const NAME_MAX: u32 = 50;
pub const KANA_MAX: u32 = 100;
pub const ADDRESS_MAX: u32 = 200;
pub const BUILDING_MAX: u32 = 100;
pub const FILE_NAME_MAX: u32 = 255;
/// The bounds of a number field without its own.
pub const NUMBER_LIMIT: i64 = 1_000_000_000_000_000;

fn node(shape: Shape, what: What, ja: impl Into<String>, en: impl Into<String>) -> Node {
    Node {
        shape,
        what,
        label_ja: ja.into(),
        label_en: en.into(),
    }
}

fn text(pattern: &'static str, max: u32) -> Shape {
    Shape::Str {
        pattern,
        dyn_pattern: None,
        min_len: 1,
        max_len: max,
    }
}

fn prop(key: &str, node: Node, required: bool) -> Prop {
    Prop {
        key: key.to_string(),
        node,
        required,
        when: None,
    }
}

/// The canonical answer of one field.
pub fn field_node(f: &Field, today: Date) -> Node {
    let (ja, en) = (f.label_ja.as_str(), f.label_en.as_str());
    let part = |k: &str, sja: &str, sen: &str, shape: Shape, what: What, req: bool| {
        prop(
            k,
            node(
                shape,
                what,
                format!("{ja}（{sja}）"),
                format!("{en} ({sen})"),
            ),
            req,
        )
    };
    match &f.kind {
        FieldKind::Text { max_len } => node(text(TEXT_LINE, *max_len), What::Text, ja, en),
        FieldKind::LongText { max_len } => node(text(TEXT_LONG, *max_len), What::Text, ja, en),
        FieldKind::Name { furigana } => {
            let mut props = vec![
                part(
                    "family",
                    "姓",
                    "family name",
                    text(TEXT_LINE, NAME_MAX),
                    What::Text,
                    true,
                ),
                part(
                    "given",
                    "名",
                    "given name",
                    text(TEXT_LINE, NAME_MAX),
                    What::Text,
                    true,
                ),
            ];
            if *furigana {
                props.push(part(
                    "family_kana",
                    "セイ",
                    "family name in katakana",
                    text(KANA, KANA_MAX),
                    What::Kana,
                    true,
                ));
                props.push(part(
                    "given_kana",
                    "メイ",
                    "given name in katakana",
                    text(KANA, KANA_MAX),
                    What::Kana,
                    true,
                ));
            }
            node(Shape::Obj(props), What::Object, ja, en)
        }
        FieldKind::Date { min, max } => {
            match dates::field_range(min.as_deref(), max.as_deref(), today) {
                Some((lo, hi)) => node(
                    Shape::Str {
                        pattern: "",
                        dyn_pattern: Some(dates::date_regex(lo, hi)),
                        min_len: 10,
                        max_len: 10,
                    },
                    What::Date { lo, hi },
                    ja,
                    en,
                ),
                None => node(
                    Shape::Str {
                        pattern: "",
                        dyn_pattern: None,
                        min_len: 1,
                        max_len: 0,
                    },
                    What::NoDate,
                    ja,
                    en,
                ),
            }
        }
        FieldKind::Address => node(
            Shape::Obj(vec![
                part(
                    "postal_code",
                    "郵便番号",
                    "postal code",
                    Shape::Str {
                        pattern: POSTAL,
                        dyn_pattern: None,
                        min_len: 7,
                        max_len: 7,
                    },
                    What::Postal,
                    true,
                ),
                part(
                    "address",
                    "住所",
                    "address",
                    text(TEXT_LINE, ADDRESS_MAX),
                    What::Text,
                    true,
                ),
                part(
                    "building",
                    "建物名・部屋番号",
                    "building and room",
                    text(TEXT_LINE, BUILDING_MAX),
                    What::Text,
                    false,
                ),
            ]),
            What::Object,
            ja,
            en,
        ),
        FieldKind::Phone => node(
            Shape::Str {
                pattern: PHONE,
                dyn_pattern: None,
                min_len: 10,
                max_len: 11,
            },
            What::Phone,
            ja,
            en,
        ),
        FieldKind::Email => node(
            Shape::Str {
                pattern: EMAIL,
                dyn_pattern: None,
                min_len: 3,
                max_len: 254,
            },
            What::Email,
            ja,
            en,
        ),
        FieldKind::Yen { min, max } => node(
            Shape::Int {
                min: min.map_or(0, |m| m.min(Yen::MAX) as i64),
                max: max.map_or(Yen::MAX, |m| m.min(Yen::MAX)) as i64,
            },
            What::Yen,
            ja,
            en,
        ),
        FieldKind::Number {
            min,
            max,
            unit_ja,
            unit_en,
        } => node(
            Shape::Int {
                min: min.unwrap_or(-NUMBER_LIMIT).max(-NUMBER_LIMIT),
                max: max.unwrap_or(NUMBER_LIMIT).min(NUMBER_LIMIT),
            },
            What::Number {
                unit_ja: unit_ja.clone().unwrap_or_default(),
                unit_en: unit_en.clone().unwrap_or_default(),
            },
            ja,
            en,
        ),
        FieldKind::Choice { options } => node(
            Shape::Enum(options.iter().map(|o| o.value.clone()).collect()),
            What::Choice,
            ja,
            en,
        ),
        FieldKind::MultiChoice { options, min, max } => {
            let n = options.len() as u32;
            node(
                Shape::Arr {
                    items: Box::new(node(
                        Shape::Enum(options.iter().map(|o| o.value.clone()).collect()),
                        What::Choice,
                        ja,
                        en,
                    )),
                    min: min.unwrap_or(1).max(1),
                    max: max.unwrap_or(n).min(n),
                    unique: true,
                },
                What::Multi,
                ja,
                en,
            )
        }
        FieldKind::YesNo => node(Shape::Bool, What::YesNo, ja, en),
        FieldKind::Consent { .. } => node(Shape::True, What::Consent, ja, en),
        FieldKind::File { accept, max_bytes } => node(
            Shape::Obj(vec![
                prop(
                    "id",
                    node(
                        Shape::Str {
                            pattern: FILE_ID,
                            dyn_pattern: None,
                            min_len: 1,
                            max_len: 64,
                        },
                        What::FileId,
                        ja,
                        en,
                    ),
                    true,
                ),
                prop(
                    "name",
                    node(
                        text(TEXT_LINE, FILE_NAME_MAX),
                        What::Text,
                        format!("{ja}（ファイル名）"),
                        format!("{en} (file name)"),
                    ),
                    true,
                ),
                prop(
                    "size",
                    node(
                        Shape::Int {
                            min: 0,
                            max: (*max_bytes).min(i64::MAX as u64) as i64,
                        },
                        What::FileSize,
                        ja,
                        en,
                    ),
                    true,
                ),
                prop(
                    "type",
                    node(
                        Shape::Enum(accept.clone()),
                        What::FileType {
                            accept: accept.clone(),
                        },
                        ja,
                        en,
                    ),
                    true,
                ),
            ]),
            What::Object,
            ja,
            en,
        ),
        FieldKind::Group {
            fields,
            min_items,
            max_items,
            item_label_ja,
            item_label_en,
        } => node(
            Shape::Arr {
                items: Box::new(node(
                    Shape::Obj(props(fields.iter().map(|f| (f, None)), today)),
                    What::Object,
                    ja,
                    en,
                )),
                min: (*min_items).max(1),
                max: *max_items,
                unique: false,
            },
            What::Group {
                item_ja: item_label_ja.clone(),
                item_en: item_label_en.clone(),
            },
            ja,
            en,
        ),
    }
}

/// The properties of an object of answers: each field with its condition (the page's and its
/// own).
fn props<'a>(
    fields: impl Iterator<Item = (&'a Field, Option<&'a super::def::Condition>)>,
    today: Date,
) -> Vec<Prop> {
    fields
        .map(|(f, page_if)| Prop {
            key: f.id.clone(),
            node: field_node(f, today),
            required: f.required,
            when: super::cond::both(page_if, f.show_if.as_ref()),
        })
        .collect()
}

/// The whole answers object of a form.
pub fn form_props(def: &FormDefinition, today: Date) -> Vec<Prop> {
    props(
        def.pages
            .iter()
            .flat_map(|p| p.fields.iter().map(move |f| (f, p.show_if.as_ref()))),
        today,
    )
}
