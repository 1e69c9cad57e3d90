//! The one place this module calls the form engine (`procedures::form`): validation of API
//! submissions and corrections, computed values, the answers summary and the CSV columns.
//! PROVISIONAL until the `form-engine` branch is merged: a minimal check (unknown keys, missing
//! unconditional required fields) and a plain display. After the merge each function is one
//! call into `form::…`.

use serde_json::{Map, Value};

use crate::procedures::form::def::{Expr, Field, FieldKind, FormDefinition};
use crate::web::i18n::Lang;

/// One problem with one answer (the API's `fields` entries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message_ja: String,
    pub message_en: String,
}

fn fields(def: &FormDefinition) -> impl Iterator<Item = &Field> {
    def.pages.iter().flat_map(|p| p.fields.iter())
}

/// Checks a submission in canonical JSON; returns the canonical answers.
pub fn validate(
    def: &FormDefinition,
    answers: &Value,
    _today: time::Date,
) -> Result<Map<String, Value>, Vec<Problem>> {
    let Some(obj) = answers.as_object() else {
        return Err(vec![Problem {
            path: String::new(),
            message_ja: "回答はオブジェクト（{…}）で送ってください。".into(),
            message_en: "Send the answers as an object ({…}).".into(),
        }]);
    };
    let mut problems = Vec::new();
    for k in obj.keys() {
        if !fields(def).any(|f| &f.id == k) {
            problems.push(Problem {
                path: k.clone(),
                message_ja: format!("「{k}」という項目はこの申請フォームにありません。"),
                message_en: format!("The form has no field “{k}”."),
            });
        }
    }
    for f in fields(def) {
        let page_conditional = def
            .pages
            .iter()
            .any(|p| p.show_if.is_some() && p.fields.iter().any(|x| x.id == f.id));
        let answered = obj.get(&f.id).is_some_and(|v| !v.is_null());
        if f.required && f.show_if.is_none() && !page_conditional && !answered {
            problems.push(Problem {
                path: f.id.clone(),
                message_ja: format!("「{}」を入力してください。", f.label_ja),
                message_en: format!("Enter “{}”.", f.label_en),
            });
        }
    }
    if problems.is_empty() {
        Ok(obj.clone())
    } else {
        Err(problems)
    }
}

fn eval(e: &Expr, answers: &Map<String, Value>) -> i64 {
    match e {
        Expr::Const(n) => *n,
        Expr::Field(f) => answers.get(f).and_then(Value::as_i64).unwrap_or(0),
        Expr::Count(g) => answers
            .get(g)
            .and_then(Value::as_array)
            .map_or(0, |a| a.len() as i64),
        Expr::Add(xs) => xs
            .iter()
            .fold(0i64, |acc, x| acc.saturating_add(eval(x, answers))),
        Expr::Mul(xs) => xs
            .iter()
            .fold(1i64, |acc, x| acc.saturating_mul(eval(x, answers))),
        Expr::Min(xs) => xs.iter().map(|x| eval(x, answers)).min().unwrap_or(0),
        Expr::Div { num, den } => {
            let d = eval(den, answers);
            if d == 0 {
                0
            } else {
                eval(num, answers).div_euclid(d)
            }
        }
        Expr::CountWhere { .. } | Expr::If { .. } => 0,
    }
}

/// The computed values (id, value).
pub fn compute(def: &FormDefinition, answers: &Map<String, Value>) -> Vec<(String, i64)> {
    def.computed
        .iter()
        .map(|c| (c.id.clone(), eval(&c.expr, answers)))
        .collect()
}

/// One row of the answers summary.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: String,
    pub label: String,
    pub value: String,
}

fn display(field: &Field, v: &Value, l: Lang) -> String {
    match (&field.kind, v) {
        (_, Value::Null) => String::new(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Bool(b)) => match (b, l) {
            (true, Lang::Ja) => "はい".into(),
            (false, Lang::Ja) => "いいえ".into(),
            (true, Lang::En) => "Yes".into(),
            (false, Lang::En) => "No".into(),
        },
        (FieldKind::Yen { .. }, Value::Number(n)) => n
            .as_i64()
            .map(crate::procedures::model::yen)
            .unwrap_or_else(|| n.to_string()),
        (_, Value::Number(n)) => n.to_string(),
        (FieldKind::File { .. }, Value::Object(o)) => o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        (FieldKind::Group { fields, .. }, Value::Array(items)) => items
            .iter()
            .map(|item| {
                fields
                    .iter()
                    .filter_map(|f| item.get(&f.id).map(|v| display(f, v, l)))
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join(" / "),
        (_, Value::Array(a)) => a
            .iter()
            .map(|x| display(field, x, l))
            .collect::<Vec<_>>()
            .join("、"),
        (_, Value::Object(o)) => o
            .values()
            .map(|x| display(field, x, l))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Label and displayed value of every answered field, in form order.
pub fn summary(def: &FormDefinition, answers: &Map<String, Value>, l: Lang) -> Vec<Row> {
    fields(def)
        .filter_map(|f| {
            answers.get(&f.id).map(|v| Row {
                id: f.id.clone(),
                label: match l {
                    Lang::Ja => f.label_ja.clone(),
                    Lang::En => f.label_en.clone(),
                },
                value: display(f, v, l),
            })
        })
        .collect()
}

/// The CSV header of the answers' columns.
pub fn csv_columns(def: &FormDefinition, l: Lang) -> Vec<String> {
    fields(def)
        .map(|f| match l {
            Lang::Ja => f.label_ja.clone(),
            Lang::En => f.label_en.clone(),
        })
        .collect()
}

/// The answers' CSV cells, matching [`csv_columns`].
pub fn csv_row(def: &FormDefinition, answers: &Map<String, Value>) -> Vec<String> {
    fields(def)
        .map(|f| {
            answers
                .get(f.id.as_str())
                .map(|v| display(f, v, Lang::Ja))
                .unwrap_or_default()
        })
        .collect()
}
