//! The route through a form, the full check of a submission, computed values and the JSON
//! Schema.

use serde::Serialize;
use serde_json::{Map, Value, json};
use time::Date;

use super::cond;
use super::dates;
use super::def::{Expr, Field, FieldKind, FormDefinition, Page};
use super::errors::{FieldError, from_violation};
use super::nodes::form_props;

use super::shape::{Checker, object_schema};

/// Answers: a JSON object keyed by field id (the shapes are documented on
/// [`super::def::FieldKind`]).
pub type Answers = Map<String, Value>;

/// The pages a resident goes through with these answers, in order (pages whose `show_if`
/// does not hold are skipped).
pub fn shown_pages<'a>(def: &'a FormDefinition, answers: &Answers) -> Vec<&'a Page> {
    def.pages
        .iter()
        .filter(|p| page_shown(p, answers))
        .collect()
}

pub fn page_shown(page: &Page, answers: &Answers) -> bool {
    page.show_if
        .as_ref()
        .is_none_or(|c| cond::holds(c, answers))
}

/// Whether the field is asked with these answers. For a field inside a group, pass the answers
/// of the one item (conditions in a group look at the item's fields).
pub fn field_shown(field: &Field, answers: &Answers) -> bool {
    field
        .show_if
        .as_ref()
        .is_none_or(|c| cond::holds(c, answers))
}

/// The page after `after` (the first page for `None`) that is shown with these answers.
/// `after` may be a page that is no longer shown; `None` at the end of the form (or for an
/// unknown id).
pub fn next_page<'a>(
    def: &'a FormDefinition,
    after: Option<&str>,
    answers: &Answers,
) -> Option<&'a Page> {
    let start = match after {
        None => 0,
        Some(id) => def.pages.iter().position(|p| p.id == id)? + 1,
    };
    def.pages[start..].iter().find(|p| page_shown(p, answers))
}

/// The shown page before `before`; `None` on the first page (or for an unknown id).
pub fn prev_page<'a>(def: &'a FormDefinition, before: &str, answers: &Answers) -> Option<&'a Page> {
    let end = def.pages.iter().position(|p| p.id == before)?;
    def.pages[..end]
        .iter()
        .rev()
        .find(|p| page_shown(p, answers))
}

/// Removes the answers of fields that are no longer shown (after a resident went back and
/// changed an answer that a condition reads), so that the answers stay valid. Returns the ids
/// removed.
pub fn prune_hidden(def: &FormDefinition, answers: &mut Answers) -> Vec<String> {
    let mut removed = Vec::new();
    for page in &def.pages {
        for f in &page.fields {
            if !answers.contains_key(&f.id) {
                continue;
            }
            if !page_shown(page, answers) || !field_shown(f, answers) {
                answers.remove(&f.id);
                removed.push(f.id.clone());
                continue;
            }
            if let (FieldKind::Group { fields, .. }, Some(Value::Array(items))) =
                (&f.kind, answers.get_mut(&f.id))
            {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    for inner in fields {
                        if item.contains_key(&inner.id) && !field_shown(inner, item) {
                            item.remove(&inner.id);
                        }
                    }
                }
            }
        }
    }
    removed
}

/// The full check of a submission in canonical JSON (the API's wire format): every shown
/// required field answered, no hidden field answered, no unknown key, every value canonical.
/// Returns the canonical answers (integers written `2.0` become `2`) or every problem found,
/// each naming its path.
pub fn validate(
    def: &FormDefinition,
    answers: &Value,
    today: Date,
) -> Result<Answers, Vec<FieldError>> {
    let Some(obj) = answers.as_object() else {
        return Err(vec![FieldError::new(
            "",
            "type",
            "回答はオブジェクト（{\"項目ID\": 値, …}）で送ってください。".into(),
            "Please send the answers as an object ({\"field_id\": value, …}).".into(),
        )]);
    };
    let props = form_props(def, today);
    let mut checker = Checker::new();
    let out = checker.check_object(&props, obj, &mut Vec::new(), &None);
    if checker.out.is_empty() {
        Ok(out)
    } else {
        Err(checker.out.iter().map(from_violation).collect())
    }
}

/// Checks the answers of the given fields only (one page of the web runner), with `context`
/// (the other answers) for the conditions. Used by `read_page` after the lenient parse.
pub(crate) fn check_fields(
    def: &FormDefinition,
    ids: &[&str],
    page_answers: &Answers,
    context: &Answers,
    today: Date,
) -> Vec<FieldError> {
    let mut all = context.clone();
    for (k, v) in page_answers {
        all.insert(k.clone(), v.clone());
    }
    // The page is being asked, so only the fields' own conditions count here.
    let props: Vec<_> = def
        .pages
        .iter()
        .flat_map(|p| &p.fields)
        .filter(|f| ids.contains(&f.id.as_str()))
        .map(|f| super::shape::Prop {
            key: f.id.clone(),
            node: super::nodes::field_node(f, today),
            required: f.required,
            when: f.show_if.clone(),
        })
        .collect();
    let mut mine = Answers::new();
    for p in &props {
        if let Some(v) = page_answers.get(&p.key) {
            mine.insert(p.key.clone(), v.clone());
        }
    }
    // Conditions read the whole answers; values are checked for this page's fields only.
    let mut checker = Checker::new();
    let mut path = Vec::new();
    for p in &props {
        let shown = p.when.as_ref().is_none_or(|c| cond::holds(c, &all));
        path.push(p.key.clone());
        match (mine.get(&p.key), shown) {
            (Some(v), true) => {
                checker.check(&p.node, v, &mut path, &None);
            }
            (None, true) if p.required => checker.out.push(super::shape::Violation {
                path: path.clone(),
                problem: super::shape::Problem::Missing,
                node: Some(&p.node),
                value: None,
                item: None,
            }),
            _ => {}
        }
        path.pop();
    }
    checker.out.iter().map(from_violation).collect()
}

/// The JSON Schema (2020-12) of the answers, generated for `today` (date bounds such as
/// "today" are in it, and `$comment` says which day). `schema_id` becomes `$id`.
pub fn json_schema(def: &FormDefinition, schema_id: &str, today: Date) -> Value {
    let mut s = object_schema(&form_props(def, today));
    if let Some(o) = s.as_object_mut() {
        o.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        o.insert("$id".into(), json!(schema_id));
        o.insert(
            "$comment".into(),
            json!(format!(
                "Generated for {} (JST): date bounds such as \"today\" are resolved to that day. Attachments must also exist and belong to the applicant; the server checks that, the schema cannot.",
                dates::format_canonical(today)
            )),
        );
        o.insert("title".into(), json!(def.title_ja));
        o.insert("description".into(), json!(def.title_en));
    }
    s
}

/// A value the server computed from the answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComputedValue {
    pub id: String,
    pub label_ja: String,
    pub label_en: String,
    pub value: i64,
    pub yen: bool,
}

/// The computed values (fee, subsidy, allowance) for these answers, in definition order.
pub fn compute(def: &FormDefinition, answers: &Answers) -> Vec<ComputedValue> {
    def.computed
        .iter()
        .map(|c| ComputedValue {
            id: c.id.clone(),
            label_ja: c.label_ja.clone(),
            label_en: c.label_en.clone(),
            value: eval(&c.expr, answers),
            yen: c.yen,
        })
        .collect()
}

fn floor_div(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let q = a.wrapping_div(b);
    if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
        q.saturating_sub(1)
    } else {
        q
    }
}

/// Integer arithmetic over the answers (saturating; missing answers count as 0).
pub fn eval(e: &Expr, answers: &Answers) -> i64 {
    match e {
        Expr::Const(n) => *n,
        Expr::Field(id) => answers.get(id).and_then(Value::as_i64).unwrap_or(0),
        Expr::Count(g) => answers
            .get(g)
            .and_then(Value::as_array)
            .map_or(0, |a| a.len() as i64),
        Expr::CountWhere { group, when } => {
            answers
                .get(group)
                .and_then(Value::as_array)
                .map_or(0, |items| {
                    items
                        .iter()
                        .filter_map(Value::as_object)
                        .filter(|item| cond::holds(when, item))
                        .count() as i64
                })
        }
        Expr::Add(xs) => xs
            .iter()
            .fold(0i64, |a, x| a.saturating_add(eval(x, answers))),
        Expr::Mul(xs) => xs
            .iter()
            .fold(1i64, |a, x| a.saturating_mul(eval(x, answers))),
        Expr::Min(xs) => xs.iter().map(|x| eval(x, answers)).min().unwrap_or(0),
        Expr::Div { num, den } => floor_div(eval(num, answers), eval(den, answers)),
        Expr::If {
            when,
            then,
            otherwise,
        } => {
            if cond::holds(when, answers) {
                eval(then, answers)
            } else {
                eval(otherwise, answers)
            }
        }
    }
}

/// Finds a top-level field by id.
pub fn field<'a>(def: &'a FormDefinition, id: &str) -> Option<&'a Field> {
    def.pages
        .iter()
        .flat_map(|p| &p.fields)
        .find(|f| f.id == id)
}

/// The page a top-level field is on.
pub fn page_of<'a>(def: &'a FormDefinition, id: &str) -> Option<&'a Page> {
    def.pages
        .iter()
        .find(|p| p.fields.iter().any(|f| f.id == id))
}
