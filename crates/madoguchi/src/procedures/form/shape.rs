//! The one description of a canonical answer. Each field type becomes a [`Node`]; from it come
//! both the server's check ([`check`]) and the JSON Schema ([`schema`]), so the two cannot
//! drift. Only what JSON Schema 2020-12 can say is used: `type`, `pattern`, `minLength` /
//! `maxLength` (in code points), `minimum` / `maximum`, `enum`, `const`, `required`,
//! `additionalProperties: false`, `minItems` / `maxItems`, `uniqueItems` and `if`/`then`/`else`
//! over [`super::cond`] conditions.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value, json};

use super::cond;
use super::def::Condition;

/// What a node stands for, to word its error messages.
#[derive(Clone, Debug, PartialEq)]
pub enum What {
    Text,
    Kana,
    Date {
        lo: time::Date,
        hi: time::Date,
    },
    /// A date field for which no date is left (its `min` is after its `max`).
    NoDate,
    Postal,
    Phone,
    Email,
    Yen,
    Number {
        unit_ja: String,
        unit_en: String,
    },
    Choice,
    Multi,
    YesNo,
    Consent,
    FileId,
    FileType {
        accept: Vec<String>,
    },
    FileSize,
    Group {
        item_ja: String,
        item_en: String,
    },
    Object,
}

#[derive(Clone, Debug)]
pub enum Shape {
    Str {
        pattern: &'static str,
        dyn_pattern: Option<String>,
        min_len: u32,
        max_len: u32,
    },
    Enum(Vec<String>),
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    True,
    Obj(Vec<Prop>),
    Arr {
        items: Box<Node>,
        min: u32,
        max: u32,
        unique: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Node {
    pub shape: Shape,
    pub what: What,
    pub label_ja: String,
    pub label_en: String,
}

#[derive(Clone, Debug)]
pub struct Prop {
    pub key: String,
    pub node: Node,
    /// Must be present when shown.
    pub required: bool,
    /// Shown only when this holds on the object; when it does not, the key must be absent.
    pub when: Option<Condition>,
}

/// What is wrong at one place of the answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The value has another JSON type (`expected` in JSON Schema words).
    Type {
        expected: &'static str,
    },
    Pattern,
    TooShort {
        min: u32,
    },
    TooLong {
        max: u32,
        got: usize,
    },
    NotInEnum,
    Below {
        min: i64,
    },
    Above {
        max: i64,
    },
    TooFew {
        min: u32,
    },
    TooMany {
        max: u32,
    },
    Duplicate,
    Missing,
    NotNeeded,
    Unknown,
    NotTrue,
}

#[derive(Clone, Debug)]
pub struct Violation<'a> {
    pub path: Vec<String>,
    pub problem: Problem,
    /// The node at the path (`None` for an unknown key).
    pub node: Option<&'a Node>,
    /// The offending value, when there is one.
    pub value: Option<Value>,
    /// Label prefix from the enclosing group item (「子ども1」), if any.
    pub item: Option<(String, String)>,
}

thread_local! {
    static REGEXES: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// Whether `s` matches `pattern` (compiled once per thread; a pattern that does not compile
/// matches nothing, and the tests prove every pattern compiles).
pub fn is_match(pattern: &str, s: &str) -> bool {
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(r) = cache.get(pattern) {
            return r.is_match(s);
        }
        let Ok(r) = Regex::new(pattern) else {
            return false;
        };
        let hit = r.is_match(s);
        if cache.len() > 512 {
            cache.clear();
        }
        cache.insert(pattern.to_string(), r);
        hit
    })
}

impl Shape {
    fn pattern(&self) -> Option<&str> {
        match self {
            Shape::Str {
                dyn_pattern: Some(p),
                ..
            } => Some(p),
            Shape::Str { pattern, .. } if !pattern.is_empty() => Some(pattern),
            _ => None,
        }
    }
}

/// An integer as JSON Schema's `"type": "integer"` sees it (`2.0` is one); `Err(above)` for an
/// integer out of the `i64` range (only its side matters for `minimum`/`maximum`).
fn as_integer(v: &Value) -> Option<Result<i64, bool>> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(Ok(i));
    }
    if n.as_u64().is_some() {
        return Some(Err(true));
    }
    let f = n.as_f64()?;
    if f.fract() != 0.0 || !f.is_finite() {
        return None;
    }
    if (-9.0e18..=9.0e18).contains(&f) {
        Some(Ok(f as i64))
    } else {
        Some(Err(f > 0.0))
    }
}

pub struct Checker<'a> {
    pub out: Vec<Violation<'a>>,
}

impl<'a> Checker<'a> {
    pub fn new() -> Self {
        Self { out: Vec::new() }
    }

    fn push(
        &mut self,
        path: &[String],
        problem: Problem,
        node: Option<&'a Node>,
        value: Option<&Value>,
        item: &Option<(String, String)>,
    ) {
        self.out.push(Violation {
            path: path.to_vec(),
            problem,
            node,
            value: value.cloned(),
            item: item.clone(),
        });
    }

    /// Checks `value` against `node`, recording every problem; returns the canonical value
    /// (integers written as `2.0` become `2`).
    pub fn check(
        &mut self,
        node: &'a Node,
        value: &Value,
        path: &mut Vec<String>,
        item: &Option<(String, String)>,
    ) -> Value {
        let ty = |expected| Problem::Type { expected };
        match &node.shape {
            Shape::Str {
                min_len, max_len, ..
            } => {
                let Some(s) = value.as_str() else {
                    self.push(path, ty("string"), Some(node), Some(value), item);
                    return value.clone();
                };
                // One problem per value, the most helpful first: empty, then the wrong form
                // (a date of the wrong length is a format problem), then too short or long.
                let n = s.chars().count();
                let pattern_fails = node.shape.pattern().is_some_and(|p| !is_match(p, s));
                if n == 0 && *min_len > 0 {
                    self.push(
                        path,
                        Problem::TooShort { min: *min_len },
                        Some(node),
                        Some(value),
                        item,
                    );
                } else if pattern_fails {
                    self.push(path, Problem::Pattern, Some(node), Some(value), item);
                } else if n < *min_len as usize {
                    self.push(
                        path,
                        Problem::TooShort { min: *min_len },
                        Some(node),
                        Some(value),
                        item,
                    );
                } else if n > *max_len as usize {
                    self.push(
                        path,
                        Problem::TooLong {
                            max: *max_len,
                            got: n,
                        },
                        Some(node),
                        Some(value),
                        item,
                    );
                }
                value.clone()
            }
            Shape::Enum(options) => {
                if !options.iter().any(|o| value.as_str() == Some(o)) {
                    self.push(path, Problem::NotInEnum, Some(node), Some(value), item);
                }
                value.clone()
            }
            Shape::Int { min, max } => match as_integer(value) {
                None => {
                    self.push(path, ty("integer"), Some(node), Some(value), item);
                    value.clone()
                }
                Some(Err(above)) => {
                    let p = if above {
                        Problem::Above { max: *max }
                    } else {
                        Problem::Below { min: *min }
                    };
                    self.push(path, p, Some(node), Some(value), item);
                    value.clone()
                }
                Some(Ok(i)) => {
                    if i < *min {
                        self.push(
                            path,
                            Problem::Below { min: *min },
                            Some(node),
                            Some(value),
                            item,
                        );
                    } else if i > *max {
                        self.push(
                            path,
                            Problem::Above { max: *max },
                            Some(node),
                            Some(value),
                            item,
                        );
                    }
                    Value::from(i)
                }
            },
            Shape::Bool => {
                if !value.is_boolean() {
                    self.push(path, ty("boolean"), Some(node), Some(value), item);
                }
                value.clone()
            }
            Shape::True => {
                if value != &Value::Bool(true) {
                    self.push(path, Problem::NotTrue, Some(node), Some(value), item);
                }
                value.clone()
            }
            Shape::Obj(props) => {
                let Some(obj) = value.as_object() else {
                    self.push(path, ty("object"), Some(node), Some(value), item);
                    return value.clone();
                };
                Value::Object(self.check_object(props, obj, path, item))
            }
            Shape::Arr {
                items,
                min,
                max,
                unique,
            } => {
                let Some(arr) = value.as_array() else {
                    self.push(path, ty("array"), Some(node), Some(value), item);
                    return value.clone();
                };
                if arr.len() < *min as usize {
                    self.push(
                        path,
                        Problem::TooFew { min: *min },
                        Some(node),
                        Some(value),
                        item,
                    );
                } else if arr.len() > *max as usize {
                    self.push(
                        path,
                        Problem::TooMany { max: *max },
                        Some(node),
                        Some(value),
                        item,
                    );
                }
                if *unique
                    && arr
                        .iter()
                        .enumerate()
                        .any(|(i, a)| arr[..i].iter().any(|b| cond::json_eq(a, b)))
                {
                    self.push(path, Problem::Duplicate, Some(node), Some(value), item);
                }
                let group_item = |i: usize| match &node.what {
                    What::Group { item_ja, item_en } => Some((
                        format!("{item_ja}{}", i + 1),
                        format!("{item_en} {}", i + 1),
                    )),
                    _ => item.clone(),
                };
                let mut out = Vec::with_capacity(arr.len());
                for (i, v) in arr.iter().enumerate() {
                    path.push(i.to_string());
                    out.push(self.check(items, v, path, &group_item(i)));
                    path.pop();
                }
                Value::Array(out)
            }
        }
    }

    pub fn check_object(
        &mut self,
        props: &'a [Prop],
        obj: &Map<String, Value>,
        path: &mut Vec<String>,
        item: &Option<(String, String)>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for key in obj.keys() {
            if !props.iter().any(|p| &p.key == key) {
                path.push(key.clone());
                self.push(path, Problem::Unknown, None, obj.get(key), item);
                path.pop();
            }
        }
        for p in props {
            let shown = p.when.as_ref().is_none_or(|c| cond::holds(c, obj));
            path.push(p.key.clone());
            match (obj.get(&p.key), shown) {
                (Some(v), true) => {
                    let canonical = self.check(&p.node, v, path, item);
                    out.insert(p.key.clone(), canonical);
                }
                (Some(v), false) => {
                    self.push(path, Problem::NotNeeded, Some(&p.node), Some(v), item)
                }
                (None, true) if p.required => {
                    self.push(path, Problem::Missing, Some(&p.node), None, item)
                }
                (None, _) => {}
            }
            path.pop();
        }
        out
    }
}

/// The JSON Schema of one node.
pub fn schema(node: &Node) -> Value {
    let mut s = match &node.shape {
        Shape::Str {
            min_len, max_len, ..
        } => {
            let mut s = json!({ "type": "string", "minLength": min_len, "maxLength": max_len });
            if let Some(p) = node.shape.pattern() {
                s["pattern"] = json!(p);
            }
            s
        }
        Shape::Enum(options) => json!({ "type": "string", "enum": options }),
        Shape::Int { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Shape::Bool => json!({ "type": "boolean" }),
        Shape::True => json!({ "const": true }),
        Shape::Obj(props) => object_schema(props),
        Shape::Arr {
            items,
            min,
            max,
            unique,
        } => {
            let mut s = json!({ "type": "array", "items": schema(items), "minItems": min, "maxItems": max });
            if *unique {
                s["uniqueItems"] = json!(true);
            }
            s
        }
    };
    if let Some(o) = s.as_object_mut() {
        o.insert("title".into(), json!(node.label_ja));
        o.insert("description".into(), json!(node.label_en));
    }
    s
}

/// An object of answers: known keys only, unconditional required keys, and for each
/// conditional key `if <condition> then <required> else <absent>`.
pub fn object_schema(props: &[Prop]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut rules = Vec::new();
    for p in props {
        properties.insert(p.key.clone(), schema(&p.node));
        match &p.when {
            None if p.required => required.push(json!(p.key)),
            None => {}
            Some(c) => {
                let then = if p.required {
                    json!({ "required": [p.key] })
                } else {
                    json!({})
                };
                rules.push(json!({
                    "if": cond::schema(c),
                    "then": then,
                    "else": { "not": { "required": [p.key] } }
                }));
            }
        }
    }
    let mut s =
        json!({ "type": "object", "properties": properties, "additionalProperties": false });
    if !required.is_empty() {
        s["required"] = Value::Array(required);
    }
    if !rules.is_empty() {
        s["allOf"] = Value::Array(rules);
    }
    s
}
