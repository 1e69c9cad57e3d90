//! Conditions (`show_if`): how they are evaluated and how the JSON Schema states them. Both
//! read the answer the same way, whatever its type, so the schema and the server agree even on
//! answers of the wrong type:
//!
//! - `Equals{field, value}`: the field is answered and its answer equals `value`, or is an
//!   array (a multi choice) containing it.
//! - `AnyOf{field, values}`: the same with any of the values.
//! - `Answered{field}`: the field has an answer (its key is present).
//!
//! Numbers compare by value (`1` equals `1.0`), as in JSON Schema.

use serde_json::{Map, Value, json};

use super::def::Condition;

/// JSON equality as JSON Schema's `const` and `enum` define it.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(i), Some(j), _, _) => i == j,
                (_, _, Some(i), Some(j)) => i == j,
                _ => match (x.as_f64(), y.as_f64()) {
                    (Some(i), Some(j)) => i == j,
                    _ => false,
                },
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn matches_any(answer: &Value, values: &[&Value]) -> bool {
    values.iter().any(|v| json_eq(answer, v))
        || answer
            .as_array()
            .is_some_and(|items| items.iter().any(|i| values.iter().any(|v| json_eq(i, v))))
}

/// Whether the condition holds for these answers (top-level answers, or one group item's
/// answers for a condition inside a group).
pub fn holds(cond: &Condition, answers: &Map<String, Value>) -> bool {
    match cond {
        Condition::Equals { field, value } => {
            answers.get(field).is_some_and(|a| matches_any(a, &[value]))
        }
        Condition::AnyOf { field, values } => answers
            .get(field)
            .is_some_and(|a| matches_any(a, &values.iter().collect::<Vec<_>>())),
        Condition::Answered { field } => answers.contains_key(field),
        Condition::Not(c) => !holds(c, answers),
        Condition::All(cs) => cs.iter().all(|c| holds(c, answers)),
        Condition::Any(cs) => cs.iter().any(|c| holds(c, answers)),
    }
}

/// The condition as a JSON Schema that an object of answers satisfies exactly when
/// [`holds`] is true.
pub fn schema(cond: &Condition) -> Value {
    let field_is = |field: &str, values: &[Value]| {
        let (one, many) = if values.len() == 1 {
            (json!({ "const": values[0] }), json!({ "const": values[0] }))
        } else {
            (json!({ "enum": values }), json!({ "enum": values }))
        };
        json!({
            "required": [field],
            "properties": { field: { "anyOf": [one, { "type": "array", "contains": many }] } }
        })
    };
    match cond {
        Condition::Equals { field, value } => field_is(field, std::slice::from_ref(value)),
        Condition::AnyOf { field, values } if values.is_empty() => json!({ "not": {} }),
        Condition::AnyOf { field, values } => field_is(field, values),
        Condition::Answered { field } => json!({ "required": [field] }),
        Condition::Not(c) => json!({ "not": schema(c) }),
        Condition::All(cs) if cs.is_empty() => json!({}),
        Condition::All(cs) => json!({ "allOf": cs.iter().map(schema).collect::<Vec<_>>() }),
        Condition::Any(cs) if cs.is_empty() => json!({ "not": {} }),
        Condition::Any(cs) => json!({ "anyOf": cs.iter().map(schema).collect::<Vec<_>>() }),
    }
}

/// Both conditions (a page's and a field's), as one.
pub fn both(a: Option<&Condition>, b: Option<&Condition>) -> Option<Condition> {
    match (a, b) {
        (None, None) => None,
        (Some(c), None) | (None, Some(c)) => Some(c.clone()),
        (Some(a), Some(b)) => Some(Condition::All(vec![a.clone(), b.clone()])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn equals_reads_scalars_and_arrays() {
        let c = Condition::Equals {
            field: "x".into(),
            value: json!("a"),
        };
        assert!(holds(&c, &ans(json!({"x": "a"}))));
        assert!(holds(&c, &ans(json!({"x": ["b", "a"]}))));
        assert!(!holds(&c, &ans(json!({"x": "b"}))));
        assert!(!holds(&c, &ans(json!({}))));
        let n = Condition::Equals {
            field: "n".into(),
            value: json!(2),
        };
        assert!(holds(&n, &ans(json!({"n": 2.0}))));
        assert!(!holds(&n, &ans(json!({"n": "2"}))));
    }

    #[test]
    fn combinators() {
        let a = Condition::Answered { field: "x".into() };
        let any = Condition::AnyOf {
            field: "y".into(),
            values: vec![json!(true), json!("z")],
        };
        let c = Condition::All(vec![a.clone(), Condition::Not(Box::new(any.clone()))]);
        assert!(holds(&c, &ans(json!({"x": 1, "y": false}))));
        assert!(!holds(&c, &ans(json!({"x": 1, "y": true}))));
        assert!(!holds(&c, &ans(json!({"y": false}))));
        assert!(holds(&Condition::All(vec![]), &Map::new()));
        assert!(!holds(&Condition::Any(vec![]), &Map::new()));
        assert!(holds(
            &Condition::Any(vec![a, any]),
            &ans(json!({"y": ["z"]}))
        ));
    }
}
