//! TEMPORARY stand-in for the form engine (`procedures::form`, branch `form-engine`) with the
//! signatures its brief announces, so the runner compiles before that branch is merged. It
//! is replaced by `pub use crate::procedures::form::{…}` on merge; nothing here is a rule the
//! runner relies on.

use std::collections::HashMap;

use crate::procedures::form::def::{Condition, Field, FieldKind, FormDefinition, Page};
use crate::web::i18n::Lang;

pub type Answers = serde_json::Map<String, serde_json::Value>;

#[derive(Clone, Debug)]
pub struct FieldError {
    pub path: String,
    pub code: &'static str,
    pub message_ja: String,
    pub message_en: String,
}

impl FieldError {
    pub fn message(&self, l: Lang) -> &str {
        match l {
            Lang::Ja => &self.message_ja,
            Lang::En => &self.message_en,
        }
    }
}

pub struct PageInput {
    pub answers: Answers,
    pub raw: HashMap<String, String>,
    pub errors: Vec<FieldError>,
}

pub struct ComputedValue {
    pub id: String,
    pub label_ja: String,
    pub label_en: String,
    pub value: i64,
    pub yen: bool,
}

fn holds(c: &Condition, a: &Answers) -> bool {
    match c {
        Condition::Equals { field, value } => a.get(field) == Some(value),
        Condition::AnyOf { field, values } => a.get(field).is_some_and(|v| values.contains(v)),
        Condition::Answered { field } => a.contains_key(field),
        Condition::Not(c) => !holds(c, a),
        Condition::All(cs) => cs.iter().all(|c| holds(c, a)),
        Condition::Any(cs) => cs.iter().any(|c| holds(c, a)),
    }
}

pub fn field_shown(field: &Field, answers: &Answers) -> bool {
    field.show_if.as_ref().is_none_or(|c| holds(c, answers))
}

pub fn shown_pages<'a>(def: &'a FormDefinition, answers: &Answers) -> Vec<&'a Page> {
    def.pages
        .iter()
        .filter(|p| p.show_if.as_ref().is_none_or(|c| holds(c, answers)))
        .collect()
}

pub fn next_page<'a>(
    def: &'a FormDefinition,
    after: Option<&str>,
    answers: &Answers,
) -> Option<&'a Page> {
    let pages = shown_pages(def, answers);
    match after {
        None => pages.first().copied(),
        Some(id) => {
            let idx = def.pages.iter().position(|p| p.id == id)?;
            pages
                .into_iter()
                .find(|p| def.pages.iter().position(|q| q.id == p.id) > Some(idx))
        }
    }
}

pub fn prev_page<'a>(def: &'a FormDefinition, before: &str, answers: &Answers) -> Option<&'a Page> {
    let idx = def.pages.iter().position(|p| p.id == before)?;
    shown_pages(def, answers)
        .into_iter()
        .rev()
        .find(|p| def.pages.iter().position(|q| q.id == p.id) < Some(idx))
}

pub fn read_page(
    def: &FormDefinition,
    page_id: &str,
    form: &[(String, String)],
    files: &Answers,
    _today: time::Date,
) -> PageInput {
    let mut answers = Answers::new();
    let mut errors = Vec::new();
    let raw: HashMap<String, String> = form.iter().cloned().collect();
    let Some(page) = def.pages.iter().find(|p| p.id == page_id) else {
        return PageInput {
            answers,
            raw,
            errors,
        };
    };
    read_fields(&page.fields, "", &raw, files, &mut answers, &mut errors);
    PageInput {
        answers,
        raw,
        errors,
    }
}

fn read_fields(
    fields: &[Field],
    prefix: &str,
    raw: &HashMap<String, String>,
    files: &Answers,
    answers: &mut Answers,
    errors: &mut Vec<FieldError>,
) {
    for f in fields {
        let path = format!("{prefix}{}", f.id);
        let name = format!("f.{}", path.replace('/', "."));
        let v = raw.get(&name).map(|s| s.trim()).unwrap_or("");
        let mut bad = false;
        let value = match &f.kind {
            FieldKind::YesNo if !v.is_empty() => Some(serde_json::Value::Bool(v == "yes")),
            FieldKind::Consent { .. } if v == "on" => Some(serde_json::Value::Bool(true)),
            FieldKind::File { .. } => files.get(&path).cloned(),
            FieldKind::Name { .. } | FieldKind::Address => {
                let mut o = Answers::new();
                for (k, val) in raw {
                    if let Some(sub) = k.strip_prefix(&format!("{name}."))
                        && !val.trim().is_empty()
                    {
                        o.insert(sub.to_owned(), val.trim().into());
                    }
                }
                (!o.is_empty()).then_some(serde_json::Value::Object(o))
            }
            FieldKind::Date { .. } if !v.is_empty() => match crate::procedures::jp::parse_wareki(v)
            {
                Ok(d) => Some(d.to_string().into()),
                Err(_) => {
                    bad = true;
                    None
                }
            },
            FieldKind::Group { fields, .. } => {
                let n = raw
                    .get(&format!("n.{}", f.id))
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(1);
                let mut items = Vec::new();
                for i in 0..n {
                    let mut item = Answers::new();
                    read_fields(
                        fields,
                        &format!("{path}/{i}/"),
                        raw,
                        files,
                        &mut item,
                        errors,
                    );
                    items.push(serde_json::Value::Object(item));
                }
                Some(serde_json::Value::Array(items))
            }
            _ if !v.is_empty() => Some(serde_json::Value::String(v.to_owned())),
            _ => None,
        };
        match value {
            Some(v) => {
                answers.insert(f.id.clone(), v);
            }
            None if bad || (f.required && field_shown(f, answers)) => errors.push(FieldError {
                path: path.clone(),
                code: "required",
                message_ja: format!("{}を入力してください。", f.label_ja),
                message_en: format!("Enter {}.", f.label_en),
            }),
            None => {}
        }
    }
}

pub fn validate(
    _def: &FormDefinition,
    answers: &serde_json::Value,
    _today: time::Date,
) -> Result<Answers, Vec<FieldError>> {
    Ok(answers.as_object().cloned().unwrap_or_default())
}

pub fn compute(_def: &FormDefinition, _answers: &Answers) -> Vec<ComputedValue> {
    Vec::new()
}

pub fn display_value(_field: &Field, value: &serde_json::Value, _l: Lang) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
