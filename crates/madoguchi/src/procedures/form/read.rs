//! Reading one page of the HTML form: lenient parsing of what residents type (和暦, full-width
//! digits, hyphens, half-width kana) into the canonical answers, then the same check
//! `validate` runs.
//!
//! Input names (the runner renders these): `f.<id>` for one-value fields;
//! `f.<id>.family`, `.given`, `.family_kana`, `.given_kana` for names; `f.<id>.postal_code`,
//! `.address`, `.building` for addresses; repeated `f.<id>` for a multi choice; `f.<id>` =
//! `yes`/`no` for yes/no; `f.<id>` = `on` for consent; `f.<group>.<index>.<inner>` for group
//! items (any indexes, gaps allowed: items are renumbered 0.. in index order, and items left
//! completely blank are dropped). Files are stored by the runner first; their answer JSON comes
//! in `files`, keyed by the path with the index as submitted (`children/3/certificate`).

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use time::Date;

use super::dates;
use super::def::{Field, FieldKind, FormDefinition};
use super::engine::{Answers, check_fields, field_shown};
use super::errors::FieldError;
use crate::auth::normalize_email;
use crate::procedures::jp::{self, PhoneNumber, PostalCode, Yen};
use crate::procedures::search::fold_width;

/// What one page's HTML form gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageInput {
    /// The canonical answers of the page's shown fields that were read without a problem
    /// (fields with an error are left out).
    pub answers: Answers,
    /// What was typed, by input name (group items renumbered), to fill the form again when
    /// there are errors. A multi choice's values are joined with `,`.
    pub raw: HashMap<String, String>,
    pub errors: Vec<FieldError>,
}

struct Inputs<'a>(HashMap<&'a str, Vec<&'a str>>);

impl Inputs<'_> {
    fn one(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .copied()
            .unwrap_or("")
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.0.get(name).cloned().unwrap_or_default()
    }
}

/// Where one field's value is read from and reported at.
struct Loc {
    /// Input name prefix as submitted (`f.children.3.name`).
    input: String,
    /// Input name prefix after renumbering (`f.children.0.name`), for `raw`.
    raw: String,
    /// Answer path (`children/0/name`), for errors.
    path: String,
    /// Path as submitted (`children/3/name`), for `files`.
    file_path: String,
    label_ja: String,
    label_en: String,
}

struct Reader<'a> {
    inputs: Inputs<'a>,
    files: &'a Answers,
    raw: HashMap<String, String>,
    errors: Vec<FieldError>,
}

fn one_line(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control())
        .collect();
    s.trim().to_string()
}

fn multi_line(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let s: String = s
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    s.trim().to_string()
}

impl Reader<'_> {
    fn take(&mut self, loc: &Loc, suffix: &str) -> String {
        let name = format!("{}{suffix}", loc.input);
        let v = self.inputs.one(&name).to_string();
        if !v.is_empty() {
            self.raw.insert(format!("{}{suffix}", loc.raw), v.clone());
        }
        v
    }

    fn err(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    fn jp_err(&mut self, path: &str, label: (&str, &str), e: &impl jp::FieldMessage) {
        self.err(FieldError::from_jp(path, label, e));
    }

    /// One field's answer; `None` when left blank (or when it could not be read: then an error
    /// was recorded).
    fn field(&mut self, f: &Field, loc: &Loc) -> Option<Value> {
        let label = (loc.label_ja.as_str(), loc.label_en.as_str());
        match &f.kind {
            FieldKind::Text { .. } => Some(one_line(&self.take(loc, "")))
                .filter(|s| !s.is_empty())
                .map(Value::from),
            FieldKind::LongText { .. } => Some(multi_line(&self.take(loc, "")))
                .filter(|s| !s.is_empty())
                .map(Value::from),
            FieldKind::Name { furigana } => {
                let mut parts = vec!["family", "given"];
                if *furigana {
                    parts.extend(["family_kana", "given_kana"]);
                }
                let typed: Vec<(&str, String)> = parts
                    .iter()
                    .map(|p| (*p, self.take(loc, &format!(".{p}"))))
                    .collect();
                if typed.iter().all(|(_, v)| v.trim().is_empty()) {
                    return None;
                }
                let mut obj = Answers::new();
                for (part, v) in typed {
                    let path = format!("{}/{part}", loc.path);
                    if part.ends_with("_kana") {
                        if v.trim().is_empty() {
                            continue;
                        }
                        let (sja, sen) = if part == "family_kana" {
                            ("セイ", "family name in katakana")
                        } else {
                            ("メイ", "given name in katakana")
                        };
                        match jp::normalize_furigana(&v) {
                            Ok(k) => {
                                obj.insert(part.into(), k.into());
                            }
                            Err(e) => self.jp_err(
                                &path,
                                (
                                    &format!("{}（{sja}）", label.0),
                                    &format!("{} ({sen})", label.1),
                                ),
                                &e,
                            ),
                        }
                    } else {
                        let s = one_line(&v);
                        if !s.is_empty() {
                            obj.insert(part.into(), s.into());
                        }
                    }
                }
                Some(Value::Object(obj))
            }
            FieldKind::Date { .. } => {
                let s = self.take(loc, "");
                match jp::parse_wareki(&s) {
                    Ok(d) => Some(dates::format_canonical(d).into()),
                    Err(jp::WarekiError::Empty) => None,
                    Err(e) => {
                        self.jp_err(&loc.path, label, &e);
                        None
                    }
                }
            }
            FieldKind::Address => {
                let (pc, addr, bldg) = (
                    self.take(loc, ".postal_code"),
                    self.take(loc, ".address"),
                    self.take(loc, ".building"),
                );
                if [&pc, &addr, &bldg].iter().all(|s| s.trim().is_empty()) {
                    return None;
                }
                let mut obj = Answers::new();
                if !pc.trim().is_empty() {
                    match PostalCode::parse(&pc) {
                        Ok(p) => {
                            obj.insert("postal_code".into(), p.digits().into());
                        }
                        Err(e) => self.jp_err(
                            &format!("{}/postal_code", loc.path),
                            (
                                &format!("{}（郵便番号）", label.0),
                                &format!("{} (postal code)", label.1),
                            ),
                            &e,
                        ),
                    }
                }
                for (k, v) in [("address", addr), ("building", bldg)] {
                    let v = one_line(&v);
                    if !v.is_empty() {
                        obj.insert(k.into(), v.into());
                    }
                }
                Some(Value::Object(obj))
            }
            FieldKind::Phone => {
                let s = self.take(loc, "");
                match PhoneNumber::parse(&s) {
                    Ok(p) => Some(p.digits().into()),
                    Err(jp::PhoneError::Empty) => None,
                    Err(e) => {
                        self.jp_err(&loc.path, label, &e);
                        None
                    }
                }
            }
            FieldKind::Email => {
                let s = fold_width(&self.take(loc, ""));
                if s.trim().is_empty() {
                    return None;
                }
                match normalize_email(&s) {
                    Some(e) => Some(e.into()),
                    None => {
                        self.err(FieldError::new(
                            &loc.path,
                            "format",
                            format!("「{}」はメールアドレスの形になっていません。「hanako@example.jp」のように入力してください。", label.0),
                            format!("\"{}\" is not an e-mail address. Please write it like hanako@example.jp.", label.1),
                        ));
                        None
                    }
                }
            }
            FieldKind::Yen { .. } => {
                let s = self.take(loc, "");
                match Yen::parse(&s) {
                    Ok(y) => Some((y.get() as i64).into()),
                    Err(jp::YenError::Empty) => None,
                    Err(e) => {
                        self.jp_err(&loc.path, label, &e);
                        None
                    }
                }
            }
            FieldKind::Number { unit_ja, .. } => {
                let typed = self.take(loc, "");
                let mut s: String = fold_width(&typed)
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != ',')
                    .collect();
                if let Some(u) = unit_ja.as_deref().filter(|u| !u.is_empty()) {
                    s = s.strip_suffix(u).map(str::to_string).unwrap_or(s);
                }
                if s.is_empty() {
                    return None;
                }
                let s = s.replace(['−', 'ー', '－'], "-");
                match s.parse::<i64>() {
                    Ok(n) => Some(n.into()),
                    Err(_) => {
                        self.err(FieldError::new(
                            &loc.path,
                            "format",
                            format!(
                                "「{}」は「3」のように整数（数字）で入力してください。",
                                label.0
                            ),
                            format!("Please enter \"{}\" as a whole number, like 3.", label.1),
                        ));
                        None
                    }
                }
            }
            FieldKind::Choice { .. } => Some(self.take(loc, ""))
                .filter(|s| !s.is_empty())
                .map(Value::from),
            FieldKind::MultiChoice { options, .. } => {
                let typed: Vec<String> = self
                    .inputs
                    .all(&loc.input)
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if typed.is_empty() {
                    return None;
                }
                self.raw.insert(loc.raw.clone(), typed.join(","));
                let mut out: Vec<Value> = options
                    .iter()
                    .filter(|o| typed.contains(&o.value))
                    .map(|o| o.value.clone().into())
                    .collect();
                let mut unknown: Vec<&String> = typed
                    .iter()
                    .filter(|t| !options.iter().any(|o| &&o.value == t))
                    .collect();
                unknown.dedup();
                out.extend(unknown.into_iter().map(|u| Value::from(u.clone())));
                Some(Value::Array(out))
            }
            FieldKind::YesNo => match self.take(loc, "").as_str() {
                "" => None,
                "yes" => Some(true.into()),
                "no" => Some(false.into()),
                other => Some(other.into()),
            },
            FieldKind::Consent { .. } => match self.take(loc, "").as_str() {
                "" => None,
                "on" => Some(true.into()),
                other => Some(other.into()),
            },
            FieldKind::File { .. } => self.files.get(&loc.file_path).cloned(),
            FieldKind::Group {
                fields,
                item_label_ja,
                item_label_en,
                ..
            } => {
                let head = format!("{}.", loc.input);
                let indexes: BTreeSet<u64> = self
                    .inputs
                    .0
                    .keys()
                    .filter_map(|k| k.strip_prefix(&head))
                    .filter_map(|rest| rest.split('.').next()?.parse().ok())
                    .chain(
                        self.files
                            .keys()
                            .filter_map(|k| k.strip_prefix(&format!("{}/", loc.file_path)))
                            .filter_map(|rest| rest.split('/').next()?.parse().ok()),
                    )
                    .collect();
                let mut items = Vec::new();
                for i in indexes {
                    let k = items.len();
                    let errors_before = self.errors.len();
                    let mut item = Answers::new();
                    for inner in fields {
                        if !field_shown(inner, &item) {
                            continue;
                        }
                        let l = Loc {
                            input: format!("{}.{i}.{}", loc.input, inner.id),
                            raw: format!("{}.{k}.{}", loc.raw, inner.id),
                            path: format!("{}/{k}/{}", loc.path, inner.id),
                            file_path: format!("{}/{i}/{}", loc.file_path, inner.id),
                            label_ja: format!("{item_label_ja}{} {}", k + 1, inner.label_ja),
                            label_en: format!("{item_label_en} {} {}", k + 1, inner.label_en),
                        };
                        if let Some(v) = self.field(inner, &l) {
                            item.insert(inner.id.clone(), v);
                        }
                    }
                    if item.is_empty() && self.errors.len() == errors_before {
                        continue;
                    }
                    items.push(Value::Object(item));
                }
                (!items.is_empty()).then_some(Value::Array(items))
            }
        }
    }
}

/// Reads one page of the HTML form into canonical answers. `prior` holds the answers of the
/// other pages (conditions may read them). Conditions inside the page read the answers in
/// field order, so a field may depend on one above it on the same page; a field that is not
/// shown is not read. Every answer then passes the same check as `validate` (lengths, bounds,
/// options), so answers without errors are canonical.
pub fn read_page(
    def: &FormDefinition,
    page_id: &str,
    prior: &Answers,
    form: &[(String, String)],
    files: &Answers,
    today: Date,
) -> PageInput {
    let Some(page) = def.pages.iter().find(|p| p.id == page_id) else {
        return PageInput {
            errors: vec![FieldError::new(
                "",
                "unknown_page",
                "このページはこの申請書にありません。最初からやり直してください。".into(),
                "This page is not part of the form. Please start again.".into(),
            )],
            ..PageInput::default()
        };
    };
    let mut inputs: HashMap<&str, Vec<&str>> = HashMap::new();
    for (k, v) in form {
        inputs.entry(k.as_str()).or_default().push(v.as_str());
    }
    let mut reader = Reader {
        inputs: Inputs(inputs),
        files,
        raw: HashMap::new(),
        errors: Vec::new(),
    };
    let mut context = prior.clone();
    for f in &page.fields {
        context.remove(&f.id);
    }
    let mut answers = Answers::new();
    for f in &page.fields {
        if !field_shown(f, &context) {
            continue;
        }
        let loc = Loc {
            input: format!("f.{}", f.id),
            raw: format!("f.{}", f.id),
            path: f.id.clone(),
            file_path: f.id.clone(),
            label_ja: f.label_ja.clone(),
            label_en: f.label_en.clone(),
        };
        if let Some(v) = reader.field(f, &loc) {
            context.insert(f.id.clone(), v.clone());
            answers.insert(f.id.clone(), v);
        }
    }
    let ids: Vec<&str> = page.fields.iter().map(|f| f.id.as_str()).collect();
    let mut errors = reader.errors;
    let checked = check_fields(def, &ids, &answers, &context, today);
    let covered = |path: &str, errors: &[FieldError]| {
        errors
            .iter()
            .any(|e| path == e.path || path.starts_with(&format!("{}/", e.path)))
    };
    let fresh: Vec<FieldError> = checked
        .into_iter()
        .filter(|e| !covered(&e.path, &errors))
        .collect();
    errors.extend(fresh);
    for e in &errors {
        let top = e.path.split('/').next().unwrap_or_default();
        answers.remove(top);
    }
    // Errors in page order (the error summary lists them top to bottom).
    let order = |e: &FieldError| {
        ids.iter()
            .position(|id| e.path.split('/').next() == Some(id))
            .unwrap_or(usize::MAX)
    };
    errors.sort_by_key(order);
    PageInput {
        answers,
        raw: reader.raw,
        errors,
    }
}
