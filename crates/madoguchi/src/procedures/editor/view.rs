//! What the editor page shows, built from a definition in the page's language (the template
//! only lays it out).

use super::edit::{self, ConditionChoice};
use super::engine::Problem;
use crate::procedures::form::{Condition, Field, FieldKind, FormDefinition};
use crate::web::i18n::Lang;

/// The condition choices of one earlier field (an `<optgroup>` of the dropdown).
pub struct CondGroup {
    pub label: String,
    pub choices: Vec<ConditionChoice>,
}

fn groups(choices: Vec<ConditionChoice>) -> Vec<CondGroup> {
    let mut out: Vec<CondGroup> = Vec::new();
    for c in choices {
        match out.last_mut() {
            Some(g) if g.label == c.field_label => g.choices.push(c),
            _ => out.push(CondGroup {
                label: c.field_label.clone(),
                choices: vec![c],
            }),
        }
    }
    out
}

pub struct FieldView {
    pub id: String,
    pub label: String,
    pub kind_label: &'static str,
    pub kind: &'static str,
    pub required: bool,
    pub condition_text: Option<String>,
    pub cond_code: String,
    pub cond_choices: Vec<CondGroup>,
    pub first: bool,
    pub last: bool,
    pub label_ja: String,
    pub label_en: String,
    pub hint_ja: String,
    pub hint_en: String,
    pub options: String,
    pub min: String,
    pub max: String,
    pub max_len: String,
    pub unit_ja: String,
    pub text_ja: String,
    pub text_en: String,
    pub item_label_ja: String,
    pub furigana: bool,
}

pub struct PageView {
    pub id: String,
    pub n: usize,
    pub title_ja: String,
    pub title_en: String,
    pub intro_ja: String,
    pub cond_code: String,
    pub condition_text: Option<String>,
    pub cond_choices: Vec<CondGroup>,
    pub first: bool,
    pub last: bool,
    pub fields: Vec<FieldView>,
}

pub struct ProblemView {
    pub message: String,
    /// `#item-<field>` or `#page-<page>` when the problem is at one.
    pub anchor: String,
}

fn s<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn condition_text(def: &FormDefinition, c: &Condition, l: Lang) -> String {
    let ja = l == Lang::Ja;
    match edit::condition_code(c) {
        Some(code) => {
            // The choice list of the whole form holds every field=value pair.
            let all = edit::condition_choices(def, "", ja);
            match all.iter().find(|x| x.code == code) {
                Some(x) => l
                    .t("editor.cond.when")
                    .replace("{field}", &x.field_label)
                    .replace("{value}", &x.value_label),
                None => code,
            }
        }
        None => l.t("editor.cond.custom").to_owned(),
    }
}

fn field_view(def: &FormDefinition, f: &Field, l: Lang, first: bool, last: bool) -> FieldView {
    let ja = l == Lang::Ja;
    let mut v = FieldView {
        id: f.id.clone(),
        label: if ja || f.label_en.is_empty() {
            f.label_ja.clone()
        } else {
            f.label_en.clone()
        },
        kind_label: edit::kind_label(&f.kind, ja),
        kind: edit::kind_code(&f.kind),
        required: f.required,
        condition_text: f.show_if.as_ref().map(|c| condition_text(def, c, l)),
        cond_code: f
            .show_if
            .as_ref()
            .and_then(edit::condition_code)
            .unwrap_or_default(),
        cond_choices: groups(edit::condition_choices(def, &f.id, ja)),
        first,
        last,
        label_ja: f.label_ja.clone(),
        label_en: f.label_en.clone(),
        hint_ja: s(&f.hint_ja),
        hint_en: s(&f.hint_en),
        options: String::new(),
        min: String::new(),
        max: String::new(),
        max_len: String::new(),
        unit_ja: String::new(),
        text_ja: String::new(),
        text_en: String::new(),
        item_label_ja: String::new(),
        furigana: false,
    };
    match &f.kind {
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => {
            v.max_len = max_len.to_string()
        }
        FieldKind::Name { furigana } => v.furigana = *furigana,
        FieldKind::Date { min, max } => {
            v.min = s(min);
            v.max = s(max);
        }
        FieldKind::Yen { min, max } => {
            v.min = s(min);
            v.max = s(max);
        }
        FieldKind::Number {
            min, max, unit_ja, ..
        } => {
            v.min = s(min);
            v.max = s(max);
            v.unit_ja = s(unit_ja);
        }
        FieldKind::Choice { options } => v.options = edit::options_text(options),
        FieldKind::MultiChoice { options, min, max } => {
            v.options = edit::options_text(options);
            v.min = s(min);
            v.max = s(max);
        }
        FieldKind::Consent { text_ja, text_en } => {
            v.text_ja = text_ja.clone();
            v.text_en = text_en.clone();
        }
        FieldKind::Group { item_label_ja, .. } => v.item_label_ja = item_label_ja.clone(),
        FieldKind::Address
        | FieldKind::Phone
        | FieldKind::Email
        | FieldKind::YesNo
        | FieldKind::File { .. } => {}
    }
    v
}

pub fn pages(def: &FormDefinition, l: Lang) -> Vec<PageView> {
    let ja = l == Lang::Ja;
    let np = def.pages.len();
    let total: usize = def.pages.iter().map(|p| p.fields.len()).sum();
    let mut seen = 0;
    def.pages
        .iter()
        .enumerate()
        .map(|(pi, p)| {
            let fields = p
                .fields
                .iter()
                .map(|f| {
                    seen += 1;
                    field_view(def, f, l, seen == 1, seen == total)
                })
                .collect();
            PageView {
                id: p.id.clone(),
                n: pi + 1,
                title_ja: p.title_ja.clone(),
                title_en: p.title_en.clone(),
                intro_ja: s(&p.intro_ja),
                cond_code: p
                    .show_if
                    .as_ref()
                    .and_then(edit::condition_code)
                    .unwrap_or_default(),
                condition_text: p.show_if.as_ref().map(|c| condition_text(def, c, l)),
                cond_choices: groups(edit::condition_choices(def, &p.id, ja)),
                first: pi == 0,
                last: pi + 1 == np,
                fields,
            }
        })
        .collect()
}

/// The anchor of the item a problem path points at (`pages/1/fields/0/...`).
pub fn anchor(def: &FormDefinition, path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let page = parts
        .get(1)
        .filter(|_| parts.first() == Some(&"pages"))
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| def.pages.get(n));
    let Some(page) = page else {
        return String::new();
    };
    let field = parts
        .get(3)
        .filter(|_| parts.get(2) == Some(&"fields"))
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| page.fields.get(n));
    match field {
        Some(f) => format!("#item-{}", f.id),
        None => format!("#page-{}", page.id),
    }
}

pub fn problems(def: &FormDefinition, problems: &[Problem], l: Lang) -> Vec<ProblemView> {
    problems
        .iter()
        .map(|p| ProblemView {
            message: match l {
                Lang::Ja => p.message_ja.clone(),
                Lang::En => p.message_en.clone(),
            },
            anchor: anchor(def, &p.path),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_point_at_fields_and_pages() {
        let mut d = edit::empty("t", "t");
        edit::add_field(&mut d, "page_1", "choice").expect("add");
        edit::add_field(&mut d, "page_1", "phone").expect("add");
        assert_eq!(anchor(&d, "pages/0/fields/1/label_ja"), "#item-phone_1");
        assert_eq!(anchor(&d, "pages/0"), "#page-page_1");
        assert_eq!(anchor(&d, "pages/9"), "");
        assert_eq!(anchor(&d, "title_ja"), "");
        edit::set_condition(&mut d, "phone_1", "choice_1=option_2").expect("cond");
        let p = pages(&d, Lang::Ja);
        assert_eq!(
            p[0].fields[1].condition_text.as_deref(),
            Some("［選択］が［選択肢2］のとき")
        );
        assert!(p[0].fields[0].first && !p[0].fields[0].last);
        assert!(p[0].fields[1].last);
        assert_eq!(p[0].fields[1].cond_code, "choice_1=option_2");
    }
}
