//! The editor's door to the form engine (`procedures::form`): parsing a definition from JSON,
//! the publish check and the JSON Schema. Everything the editor needs from the engine goes
//! through these three functions, so the editor has one place that knows the engine's API.

use crate::procedures::form::FormDefinition;

/// One problem of a definition, with where it is (`pages/0/fields/2/options`) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message_ja: String,
    pub message_en: String,
}

/// A definition from JSON text: the file format (serde, unknown keys refused), then
/// [`check`]. Used for imports and the CLI `forms check`, where only a publishable file is
/// accepted.
pub fn parse(json: &str) -> Result<FormDefinition, Vec<Problem>> {
    let def = parse_structure(json)?;
    let problems = check(&def);
    if problems.is_empty() {
        Ok(def)
    } else {
        Err(problems)
    }
}

/// Only the file format (the JSON view of the editor saves a work in progress whose
/// problems are listed, not refused).
pub fn parse_structure(json: &str) -> Result<FormDefinition, Vec<Problem>> {
    serde_json::from_str::<FormDefinition>(json).map_err(|e| {
        vec![Problem {
            path: format!("line {} column {}", e.line(), e.column()),
            message_ja: format!("ファイルの形式が正しくありません（{}行目）：{e}", e.line()),
            message_en: format!("The file is not a valid form definition: {e}"),
        }]
    })
}

/// Problems that stop a definition from being published; empty means publishable.
pub fn check(def: &FormDefinition) -> Vec<Problem> {
    interim::check(def)
}

/// The JSON Schema (2020-12) of the answers of `def`, as of `today` (date bounds).
pub fn schema(def: &FormDefinition, id: &str, today: time::Date) -> serde_json::Value {
    interim::schema(def, id, today)
}

/// Until the engine's `check_definition` / `json_schema` are merged: the checks the editor
/// relies on (ids, empty pages, conditions on earlier fields, 個人番号) and a plain schema.
mod interim {
    use std::collections::HashSet;

    use serde_json::{Value, json};

    use super::Problem;
    use crate::procedures::form::{Condition, FieldKind, FormDefinition};

    fn p(path: String, ja: String, en: String) -> Problem {
        Problem {
            path,
            message_ja: ja,
            message_en: en,
        }
    }

    fn good_id(s: &str) -> bool {
        let mut c = s.chars();
        c.next().is_some_and(|f| f.is_ascii_lowercase())
            && c.all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '_')
    }

    fn cond_fields(c: &Condition, out: &mut Vec<String>) {
        match c {
            Condition::Equals { field, .. }
            | Condition::AnyOf { field, .. }
            | Condition::Answered { field } => out.push(field.clone()),
            Condition::Not(c) => cond_fields(c, out),
            Condition::All(v) | Condition::Any(v) => v.iter().for_each(|c| cond_fields(c, out)),
        }
    }

    pub fn check(def: &FormDefinition) -> Vec<Problem> {
        let mut out = Vec::new();
        if def.pages.is_empty() {
            out.push(p(
                "pages".into(),
                "ページが1つもありません。ページを追加してください。".into(),
                "The form has no pages. Add a page.".into(),
            ));
        }
        let mut seen: HashSet<String> = HashSet::new();
        let mut pages_seen: HashSet<String> = HashSet::new();
        for (pi, page) in def.pages.iter().enumerate() {
            let pp = format!("pages/{pi}");
            if !pages_seen.insert(page.id.clone()) || !good_id(&page.id) {
                out.push(p(
                    pp.clone(),
                    format!("ページのID「{}」が正しくないか重複しています。", page.id),
                    format!("Page id {:?} is invalid or used twice.", page.id),
                ));
            }
            if page.fields.is_empty() {
                out.push(p(
                    pp.clone(),
                    format!("ページ「{}」に項目がありません。", page.title_ja),
                    format!("Page {:?} has no fields.", page.title_en),
                ));
            }
            let mut refs = Vec::new();
            if let Some(c) = &page.show_if {
                cond_fields(c, &mut refs);
            }
            for r in refs.drain(..) {
                if !seen.contains(&r) {
                    out.push(p(
                        pp.clone(),
                        format!("ページ「{}」の表示条件が、前にない項目「{r}」を見ています。", page.title_ja),
                        format!("The condition of page {:?} refers to {r:?}, which is not asked before it.", page.title_en),
                    ));
                }
            }
            for (fi, f) in page.fields.iter().enumerate() {
                let fp = format!("{pp}/fields/{fi}");
                if let Some(c) = &f.show_if {
                    cond_fields(c, &mut refs);
                }
                for r in refs.drain(..) {
                    if !seen.contains(&r) {
                        out.push(p(
                            fp.clone(),
                            format!("「{}」の表示条件が、前にない項目「{r}」を見ています。", f.label_ja),
                            format!("The condition of {:?} refers to {r:?}, which is not asked before it.", f.label_en),
                        ));
                    }
                }
                if !good_id(&f.id) || !seen.insert(f.id.clone()) {
                    out.push(p(
                        fp.clone(),
                        format!("項目のID「{}」が正しくないか重複しています。", f.id),
                        format!("Field id {:?} is invalid or used twice.", f.id),
                    ));
                }
                if f.label_ja.trim().is_empty() {
                    out.push(p(
                        fp.clone(),
                        "項目名（日本語）が空です。".into(),
                        "The Japanese label is empty.".into(),
                    ));
                }
                let lower = format!("{} {} {}", f.id, f.label_ja, f.label_en).to_lowercase();
                let consent = matches!(f.kind, FieldKind::Consent { .. } | FieldKind::YesNo);
                if !consent
                    && ["個人番号", "マイナンバー", "my_number", "my number"]
                        .iter()
                        .any(|w| lower.contains(w))
                {
                    out.push(p(
                        fp.clone(),
                        format!("「{}」は個人番号（マイナンバー）を集める項目に見えます。個人番号はこのフォームで集められません。", f.label_ja),
                        format!("{:?} looks like a My Number field; the city must not collect it here.", f.label_en),
                    ));
                }
                match &f.kind {
                    FieldKind::Choice { options } | FieldKind::MultiChoice { options, .. } => {
                        if options.is_empty() {
                            out.push(p(
                                fp.clone(),
                                format!("「{}」に選択肢がありません。", f.label_ja),
                                format!("{:?} has no options.", f.label_en),
                            ));
                        }
                        let mut vals = HashSet::new();
                        for o in options {
                            if o.value.is_empty() || !vals.insert(o.value.clone()) {
                                out.push(p(
                                    fp.clone(),
                                    format!(
                                        "「{}」の選択肢の値「{}」が空か重複しています。",
                                        f.label_ja, o.value
                                    ),
                                    format!(
                                        "Option value {:?} of {:?} is empty or used twice.",
                                        o.value, f.label_en
                                    ),
                                ));
                            }
                        }
                    }
                    FieldKind::Group { fields, .. } if fields.is_empty() => {
                        out.push(p(
                            fp.clone(),
                            format!("繰り返し「{}」に項目がありません。", f.label_ja),
                            format!("Group {:?} has no fields.", f.label_en),
                        ));
                    }
                    _ => {}
                }
            }
        }
        out
    }

    pub fn schema(def: &FormDefinition, id: &str, today: time::Date) -> Value {
        let mut props = serde_json::Map::new();
        for f in def.pages.iter().flat_map(|p| p.fields.iter()) {
            props.insert(f.id.clone(), json!({ "title": f.label_ja }));
        }
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": id,
            "$comment": format!("date bounds as of {today}"),
            "title": def.title_ja,
            "type": "object",
            "properties": props,
            "additionalProperties": false,
        })
    }
}
