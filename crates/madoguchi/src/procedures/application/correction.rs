//! The 補正 form: inputs for exactly the fields a 補正依頼 named (with the stored or just typed
//! values), and reading them back into a copy of the stored answers. Input names follow the
//! runner's (`f.<id>`, `f.<id>.family` …, see docs/forms.md), so the form engine's lenient
//! reader applies to them. Fields not named are never read, so they cannot change.

use serde_json::{Map, Value};

use crate::procedures::form::def::{Field, FieldKind, FormDefinition};
use crate::procedures::runner::{flow, view::FieldView};
use crate::web::i18n::Lang;

/// A sub-input (a part of a name or an address).
pub struct Part {
    pub name: String,
    pub id: String,
    pub label: String,
    pub value: String,
}

/// A choice among options (radio or checkbox).
pub struct Opt {
    pub value: String,
    pub id: String,
    pub label: String,
    pub checked: bool,
}

/// One field of the 補正 form.
pub struct Input {
    pub name: String,
    pub id: String,
    pub label: String,
    /// `text`, `textarea`, `parts`, `radio`, `checkbox`, `file`, `consent`, `group`, or
    /// `unsupported` (a repeating group with files: the resident is asked to send a message).
    pub widget: &'static str,
    /// `group`: the runner's view of the repeating group (items, add and remove buttons).
    pub group: Option<FieldView>,
    /// `file`: the accepted types (the input's `accept`) and the limit, as residents read it.
    pub accept: String,
    pub limit: String,
    /// `file`: the name of the file sent so far; `consent`: the text agreed to.
    pub current: String,
    /// `consent`: ticked.
    pub checked: bool,
    /// `type` of a `text` input: text, tel, email.
    pub input_type: &'static str,
    pub value: String,
    pub parts: Vec<Part>,
    pub options: Vec<Opt>,
    pub error: String,
}

fn pick(l: Lang, ja: &str, en: &str) -> String {
    match l {
        Lang::Ja => ja.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn typed_or(typed: Option<&[(String, String)]>, name: &str, stored: String) -> String {
    match typed {
        Some(t) => t
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        None => stored,
    }
}

fn parts_of(f: &Field) -> Vec<(&'static str, &'static str, &'static str)> {
    match &f.kind {
        FieldKind::Name { furigana } => {
            let mut p = vec![
                ("family", "氏", "Family name"),
                ("given", "名", "Given name"),
            ];
            if *furigana {
                p.push(("family_kana", "氏（フリガナ）", "Family name (katakana)"));
                p.push(("given_kana", "名（フリガナ）", "Given name (katakana)"));
            }
            p
        }
        FieldKind::Address => vec![
            ("postal_code", "郵便番号", "Postal code"),
            ("address", "住所", "Address"),
            ("building", "建物名・部屋番号", "Building, room"),
        ],
        _ => Vec::new(),
    }
}

fn str_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The inputs of the requested fields, in the order the request named them.
pub fn inputs(
    def: &FormDefinition,
    requested: &[String],
    answers: &Map<String, Value>,
    typed: Option<&[(String, String)]>,
    errors: &[super::forms::Problem],
    l: Lang,
) -> Vec<Input> {
    requested
        .iter()
        .filter_map(|id| {
            def.pages
                .iter()
                .flat_map(|p| p.fields.iter())
                .find(|f| &f.id == id)
        })
        .map(|f| {
            let name = format!("f.{}", f.id);
            let stored = answers.get(&f.id);
            let error = errors
                .iter()
                .find(|e| e.path == f.id || e.path.starts_with(&format!("{}/", f.id)))
                .map(|e| pick(l, &e.message_ja, &e.message_en))
                .unwrap_or_default();
            let mut input = Input {
                id: format!("f-{}", f.id),
                label: pick(l, &f.label_ja, &f.label_en),
                widget: "text",
                input_type: "text",
                value: String::new(),
                parts: Vec::new(),
                options: Vec::new(),
                accept: String::new(),
                limit: String::new(),
                current: String::new(),
                checked: false,
                group: None,
                error,
                name: name.clone(),
            };
            match &f.kind {
                FieldKind::Text { .. }
                | FieldKind::Date { .. }
                | FieldKind::Yen { .. }
                | FieldKind::Number { .. }
                | FieldKind::Phone
                | FieldKind::Email => {
                    input.input_type = match f.kind {
                        FieldKind::Phone => "tel",
                        FieldKind::Email => "email",
                        _ => "text",
                    };
                    input.value = typed_or(typed, &name, str_of(stored));
                }
                FieldKind::LongText { .. } => {
                    input.widget = "textarea";
                    input.value = typed_or(typed, &name, str_of(stored));
                }
                FieldKind::Name { .. } | FieldKind::Address => {
                    input.widget = "parts";
                    input.parts = parts_of(f)
                        .into_iter()
                        .map(|(key, ja, en)| {
                            let n = format!("{name}.{key}");
                            Part {
                                id: format!("f-{}-{key}", f.id),
                                label: pick(l, ja, en),
                                value: typed_or(typed, &n, str_of(stored.and_then(|s| s.get(key)))),
                                name: n,
                            }
                        })
                        .collect();
                }
                FieldKind::YesNo => {
                    input.widget = "radio";
                    let current = match typed {
                        Some(_) => typed_or(typed, &name, String::new()),
                        None => match stored {
                            Some(Value::Bool(true)) => "yes".into(),
                            Some(Value::Bool(false)) => "no".into(),
                            _ => String::new(),
                        },
                    };
                    input.options = [("yes", "はい", "Yes"), ("no", "いいえ", "No")]
                        .into_iter()
                        .map(|(v, ja, en)| Opt {
                            id: format!("f-{}-{v}", f.id),
                            value: v.into(),
                            label: pick(l, ja, en),
                            checked: current == v,
                        })
                        .collect();
                }
                FieldKind::Choice { options } | FieldKind::MultiChoice { options, .. } => {
                    let multi = matches!(f.kind, FieldKind::MultiChoice { .. });
                    input.widget = if multi { "checkbox" } else { "radio" };
                    let chosen: Vec<String> = match typed {
                        Some(t) => t
                            .iter()
                            .filter(|(k, _)| *k == name)
                            .map(|(_, v)| v.clone())
                            .collect(),
                        None => match stored {
                            Some(Value::String(s)) => vec![s.clone()],
                            Some(Value::Array(a)) => a
                                .iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect(),
                            _ => Vec::new(),
                        },
                    };
                    input.options = options
                        .iter()
                        .map(|o| Opt {
                            id: format!("f-{}-{}", f.id, o.value),
                            value: o.value.clone(),
                            label: pick(l, &o.label_ja, &o.label_en),
                            checked: chosen.contains(&o.value),
                        })
                        .collect();
                }
                FieldKind::File { accept, max_bytes } => {
                    input.widget = "file";
                    input.accept = accept.join(",");
                    input.limit = crate::procedures::runner::flow::mb_label(*max_bytes);
                    input.current = stored
                        .and_then(|v| v.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                }
                FieldKind::Consent { text_ja, text_en } => {
                    input.widget = "consent";
                    input.current = pick(l, text_ja, text_en);
                    input.checked = match typed {
                        Some(_) => typed_or(typed, &name, String::new()) == "on",
                        None => stored == Some(&Value::Bool(true)),
                    };
                }
                FieldKind::Group { .. } if !editable(f) => {
                    input.widget = "unsupported";
                }
                FieldKind::Group { .. } => {
                    input.widget = "group";
                    let stored_pairs;
                    let pairs = match typed {
                        Some(t) => t,
                        None => {
                            stored_pairs =
                                flow::answers_to_pairs(std::slice::from_ref(f), answers, "");
                            &stored_pairs
                        }
                    };
                    let field_errors: Vec<crate::procedures::form::FieldError> = errors
                        .iter()
                        .map(|e| {
                            crate::procedures::form::FieldError::new(
                                e.path.clone(),
                                "correction",
                                e.message_ja.clone(),
                                e.message_en.clone(),
                            )
                        })
                        .collect();
                    let view_input = crate::procedures::runner::view::Input {
                        pairs,
                        answers,
                        errors: &field_errors,
                        files: &[],
                        l,
                    };
                    input.group = Some(crate::procedures::runner::view::field(
                        f,
                        &f.id,
                        &view_input,
                    ));
                }
            }
            input
        })
        .collect()
}

/// Every field can be corrected on the 補正 form except a repeating group with a file inside
/// (its files are stored per item; the resident is asked to send them by message).
fn editable(f: &Field) -> bool {
    match &f.kind {
        FieldKind::Group { fields, .. } => !fields
            .iter()
            .any(|i| matches!(i.kind, FieldKind::File { .. } | FieldKind::Group { .. })),
        _ => true,
    }
}

/// A group's 「追加」 or 「削除」 button on the 補正 form: the typed inputs with one item more or
/// less (nothing is stored). None when `action` is not one of them or names no requested group.
pub fn group_action(
    def: &FormDefinition,
    requested: &[String],
    pairs: &[(String, String)],
    action: &str,
) -> Option<Vec<(String, String)>> {
    let action = flow::Action::parse(action);
    let (flow::Action::Add(g) | flow::Action::Remove(g, _)) = &action else {
        return None;
    };
    let f = def
        .pages
        .iter()
        .flat_map(|p| p.fields.iter())
        .find(|f| &f.id == g && requested.contains(&f.id) && editable(f))?;
    let FieldKind::Group {
        min_items,
        max_items,
        ..
    } = &f.kind
    else {
        return None;
    };
    let n = flow::item_count(pairs, g, *min_items, *max_items);
    let (mut out, n) = match action {
        flow::Action::Remove(_, i) if i < n && n > (*min_items as usize).max(1) => {
            (flow::remove_item(pairs, g, i), n - 1)
        }
        flow::Action::Add(_) if n < *max_items as usize => (pairs.to_vec(), n + 1),
        _ => (pairs.to_vec(), n),
    };
    out.retain(|(k, _)| k != "action");
    flow::set_count(&mut out, g, n);
    Some(out)
}

/// The requested top-level file fields: (id, accepted types, size limit). The 補正 form reads
/// only these files.
pub fn file_fields<'a>(
    def: &'a FormDefinition,
    requested: &[String],
) -> Vec<(&'a Field, &'a [String], u64)> {
    def.pages
        .iter()
        .flat_map(|p| p.fields.iter())
        .filter(|f| requested.contains(&f.id))
        .filter_map(|f| match &f.kind {
            FieldKind::File { accept, max_bytes } => Some((f, accept.as_slice(), *max_bytes)),
            _ => None,
        })
        .collect()
}

/// The stored answers with the requested fields replaced by what was typed, read by the form
/// engine's lenient reader, and the problems of those fields. `files` holds the answer JSON of
/// the files sent with this 補正 by field id; a requested file field without a new file keeps
/// its stored file. A repeating group is read whole from its items' inputs (one with files
/// inside keeps its stored answers).
pub fn apply(
    def: &FormDefinition,
    requested: &[String],
    stored: &Map<String, Value>,
    pairs: &[(String, String)],
    files: &Map<String, Value>,
    today: time::Date,
) -> (Map<String, Value>, Vec<super::forms::Problem>) {
    let ids: Vec<String> = def
        .pages
        .iter()
        .flat_map(|p| p.fields.iter())
        .filter(|f| requested.contains(&f.id) && editable(f))
        .map(|f| f.id.clone())
        .collect();
    let mut files_now = files.clone();
    for (f, _, _) in file_fields(def, requested) {
        if !files_now.contains_key(&f.id)
            && let Some(v) = stored.get(&f.id)
        {
            files_now.insert(f.id.clone(), v.clone());
        }
    }
    let (read, problems) = super::forms::read_fields(def, &ids, stored, pairs, &files_now, today);
    let mut out = stored.clone();
    for id in ids {
        match read.get(&id) {
            Some(v) => {
                out.insert(id, v.clone());
            }
            None => {
                out.remove(&id);
            }
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> FormDefinition {
        serde_json::from_value(json!({
            "format": 1, "title_ja": "t", "title_en": "t",
            "pages": [{"id": "p", "title_ja": "p", "title_en": "p", "fields": [
                {"id": "who", "label_ja": "氏名", "label_en": "Name", "type": "name"},
                {"id": "n", "label_ja": "人数", "label_en": "People", "type": "number"},
                {"id": "pets", "label_ja": "ペット", "label_en": "Pets", "type": "multi_choice",
                 "options": [{"value": "dog", "label_ja": "犬", "label_en": "Dog"},
                             {"value": "cat", "label_ja": "猫", "label_en": "Cat"}]},
                {"id": "ok", "label_ja": "同居", "label_en": "Together", "type": "yes_no"}
            ]}]
        }))
        .expect("definition")
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn today() -> time::Date {
        time::macros::date!(2026 - 12 - 01)
    }

    #[test]
    fn only_requested_fields_are_read() {
        let d = def();
        let stored: Map<String, Value> =
            serde_json::from_value(json!({"n": 2, "ok": true})).expect("map");
        let (out, problems) = apply(
            &d,
            &["who".into(), "pets".into()],
            &stored,
            &pairs(&[
                ("f.who.family", "市川"),
                ("f.who.given", "花子"),
                ("f.who.family_kana", "イチカワ"),
                ("f.who.given_kana", "ハナコ"),
                ("f.pets", "cat"),
                ("f.pets", "dog"),
                ("f.n", "９"),
                ("f.ok", "no"),
            ]),
            &Map::new(),
            today(),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            out["who"],
            json!({"family": "市川", "given": "花子", "family_kana": "イチカワ", "given_kana": "ハナコ"})
        );
        assert_eq!(out["pets"], json!(["dog", "cat"]));
        assert_eq!(out["n"], json!(2), "not requested: unchanged");
        assert_eq!(out["ok"], json!(true), "not requested: unchanged");
        // Lenient input: full-width digits.
        let (out, problems) = apply(
            &d,
            &["n".into(), "ok".into()],
            &stored,
            &pairs(&[("f.n", "１２"), ("f.ok", "no")]),
            &Map::new(),
            today(),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(out["n"], json!(12));
        assert_eq!(out["ok"], json!(false));
        // Emptied: the answer is removed and the problem named.
        let (out, problems) = apply(
            &d,
            &["n".into()],
            &stored,
            &pairs(&[]),
            &Map::new(),
            today(),
        );
        assert!(!out.contains_key("n"));
        assert!(problems.iter().all(|p| p.path == "n"), "{problems:?}");
        assert!(!problems.is_empty());
    }

    #[test]
    fn inputs_show_the_stored_values() {
        let d = def();
        let stored: Map<String, Value> = serde_json::from_value(
            json!({"who": {"family": "市川", "given": "花子", "family_kana": "イチカワ", "given_kana": "ハナコ"}, "ok": false}),
        )
        .expect("map");
        let i = inputs(
            &d,
            &["who".into(), "ok".into()],
            &stored,
            None,
            &[],
            Lang::Ja,
        );
        assert_eq!(i.len(), 2);
        assert_eq!(i[0].widget, "parts");
        assert_eq!(i[0].parts.len(), 4);
        assert_eq!(i[0].parts[2].value, "イチカワ");
        assert_eq!(i[0].parts[0].name, "f.who.family");
        assert_eq!(i[1].widget, "radio");
        assert!(i[1].options.iter().any(|o| o.value == "no" && o.checked));
    }
}
