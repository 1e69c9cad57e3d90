//! The JSON Schema published for a form and the server's `validate` agree: for every shipped
//! definition and for synthetic ones covering every field type and condition, on generated
//! valid answers and on mutations of them (wrong types, missing and extra keys, out of range,
//! hidden but answered, impossible dates), `schema valid ⇔ validate Ok`, and every rejection
//! names a path. The schema is run by the `jsonschema` crate (its default fancy-regex engine),
//! `validate` by our own code (the `regex` crate), so the two are independent.
//!
//! Also: every shipped definition passes `check_definition`, and its realistic filled example
//! (`forms/examples/<slug>.json`) validates, and each survives a round trip through the
//! `form_versions` table on SQLite and PostgreSQL unchanged.

#[macro_use]
mod common;

use std::path::PathBuf;

use madoguchi::db::Db;
use madoguchi::procedures::form::store;

use madoguchi::procedures::form::{
    Answers, Condition, Field, FieldKind, FormDefinition, check_definition, condition_holds,
    format_date, json_schema, parse_date, parse_definition, resolve_date_bound, validate,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use time::{Date, Duration, macros::date};

const TODAYS: [Date; 2] = [date!(2026 - 12 - 01), date!(2024 - 02 - 29)];

fn forms_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("forms")
}

/// Every shipped definition, by slug.
fn shipped() -> Vec<(String, FormDefinition)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(forms_dir()).expect("forms/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let slug = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&path).expect("read");
            let def = parse_definition(&text).unwrap_or_else(|p| panic!("{slug}: {p:#?}"));
            out.push((slug, def));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

const ALL_TYPES: &str = include_str!("../src/procedures/form/testdata/all_types.json");

/// Conditions of every kind, on pages and fields, chained (a condition on a field that is
/// itself conditional), numbers, multi choices and `answered`.
const CONDITIONS: &str = r#"{
  "format": 1, "title_ja": "条件の試験", "title_en": "Conditions test",
  "pages": [
    { "id": "p1", "title_ja": "1", "title_en": "1", "fields": [
      { "id": "a", "type": "choice", "label_ja": "あ", "label_en": "A", "options": [
        {"value": "x", "label_ja": "x", "label_en": "x"}, {"value": "y", "label_ja": "y", "label_en": "y"}, {"value": "z", "label_ja": "z", "label_en": "z"}] },
      { "id": "n", "type": "number", "label_ja": "数", "label_en": "N", "min": 0, "max": 5, "required": false },
      { "id": "m", "type": "multi_choice", "label_ja": "複", "label_en": "M", "required": false, "min": 1, "max": 2, "options": [
        {"value": "p", "label_ja": "p", "label_en": "p"}, {"value": "q", "label_ja": "q", "label_en": "q"}, {"value": "r", "label_ja": "r", "label_en": "r"}] },
      { "id": "b", "type": "yes_no", "label_ja": "い", "label_en": "B",
        "show_if": { "any": [ { "equals": { "field": "a", "value": "x" } }, { "any_of": { "field": "n", "values": [3, 4] } } ] } },
      { "id": "c", "type": "text", "label_ja": "う", "label_en": "C", "required": false,
        "show_if": { "all": [ { "equals": { "field": "b", "value": true } }, { "not": { "equals": { "field": "m", "value": "q" } } } ] } }
    ] },
    { "id": "p2", "title_ja": "2", "title_en": "2",
      "show_if": { "any": [ { "answered": { "field": "c" } }, { "equals": { "field": "a", "value": "z" } } ] },
      "fields": [
        { "id": "d", "type": "date", "label_ja": "え", "label_en": "D", "min": "today" },
        { "id": "e", "type": "yen", "label_ja": "お", "label_en": "E", "required": false,
          "show_if": { "not": { "answered": { "field": "n" } } } }
    ] },
    { "id": "p3", "title_ja": "3", "title_en": "3", "fields": [
      { "id": "g", "type": "group", "label_ja": "か", "label_en": "G", "item_label_ja": "件", "item_label_en": "item",
        "required": false, "min_items": 2, "max_items": 3, "fields": [
          { "id": "k", "type": "choice", "label_ja": "き", "label_en": "K", "options": [
            {"value": "s", "label_ja": "s", "label_en": "s"}, {"value": "t", "label_ja": "t", "label_en": "t"}] },
          { "id": "f", "type": "file", "label_ja": "く", "label_en": "F", "accept": ["image/png"], "max_bytes": 1000,
            "show_if": { "equals": { "field": "k", "value": "t" } } },
          { "id": "l", "type": "long_text", "label_ja": "け", "label_en": "L", "max_len": 5, "required": false }
      ] },
      { "id": "ok", "type": "consent", "label_ja": "同意", "label_en": "OK", "text_ja": "同意します", "text_en": "I agree" }
    ] }
  ]
}"#;

fn synthetic() -> Vec<(String, FormDefinition)> {
    [("all_types", ALL_TYPES), ("conditions", CONDITIONS)]
        .into_iter()
        .map(|(n, t)| {
            let def = parse_definition(t).unwrap_or_else(|p| panic!("{n}: {p:#?}"));
            (n.to_string(), def)
        })
        .collect()
}

/// SplitMix64: a tiny deterministic generator, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

fn date_bounds(min: &Option<String>, max: &Option<String>, today: Date) -> (Date, Date) {
    let b = |s: &Option<String>| s.as_deref().and_then(|s| resolve_date_bound(s, today));
    let lo = b(min).map_or(date!(1868 - 01 - 25), |d| d.max(date!(1868 - 01 - 25)));
    let hi = b(max).map_or(date!(9999 - 12 - 31), |d| d.min(date!(9999 - 12 - 31)));
    (lo, hi)
}

const TEXTS: [&str; 5] = [
    "市川",
    "テスト 123",
    "a",
    "八幡1丁目1番1号　市川ビル",
    "Ichikawa Hanako",
];

/// A valid value for one field.
fn gen_value(f: &Field, rng: &mut Rng, today: Date) -> Value {
    match &f.kind {
        FieldKind::Text { max_len } => Value::from(
            rng.pick(&TEXTS)
                .chars()
                .take(*max_len as usize)
                .collect::<String>()
                .trim()
                .to_string(),
        ),
        FieldKind::LongText { max_len } => {
            let s = *rng.pick(&["一行目\n二行目", "なし", "理由は\n\nありません。"]);
            Value::from(
                s.chars()
                    .take(*max_len as usize)
                    .collect::<String>()
                    .trim_end()
                    .to_string(),
            )
        }
        FieldKind::Name { furigana } => {
            let mut o = json!({"family": rng.pick(&["市川", "Smith", "山田"]), "given": rng.pick(&["花子", "John Paul", "太郎"])});
            if *furigana {
                o["family_kana"] = json!(rng.pick(&["イチカワ", "スミス", "ヤマダ"]));
                o["given_kana"] = json!(rng.pick(&["ハナコ", "ジョン\u{3000}ポール", "タロウ"]));
            }
            o
        }
        FieldKind::Date { min, max } => {
            let (lo, hi) = date_bounds(min, max, today);
            let span = (hi - lo).whole_days().clamp(0, 60_000);
            let d = if rng.chance(30) {
                *rng.pick(&[lo, hi])
            } else {
                lo + Duration::days(rng.range(0, span))
            };
            Value::from(format_date(d))
        }
        FieldKind::Address => {
            let mut o = json!({"postal_code": format!("{:07}", rng.below(10_000_000)), "address": rng.pick(&["千葉県市川市八幡1-1-1", "東京都千代田区千代田1番1号"])});
            if rng.chance(50) {
                o["building"] = json!("市川マンション101号室");
            }
            o
        }
        FieldKind::Phone => json!(rng.pick(&[
            "0473344111",
            "09012345678",
            "05012345678",
            "0120123456",
            "08001234567",
            "0312345678"
        ])),
        FieldKind::Email => json!(rng.pick(&["hanako@example.jp", "a.b+c@city.ichikawa.lg.jp"])),
        FieldKind::Yen { min, max } => {
            let lo = min.unwrap_or(0) as i64;
            let hi = max.map_or(lo + 200_000, |m| m as i64);
            json!(if rng.chance(30) {
                *rng.pick(&[lo, hi])
            } else {
                rng.range(lo, hi)
            })
        }
        FieldKind::Number { min, max, .. } => {
            let lo = min.unwrap_or(-50);
            let hi = max.unwrap_or(lo + 100);
            json!(if rng.chance(30) {
                *rng.pick(&[lo, hi])
            } else {
                rng.range(lo, hi)
            })
        }
        FieldKind::Choice { options } => json!(rng.pick(options).value),
        FieldKind::MultiChoice { options, min, max } => {
            let lo = min.unwrap_or(1).max(1) as i64;
            let hi = max.map_or(options.len(), |m| (m as usize).min(options.len())) as i64;
            let n = rng.range(lo, hi) as usize;
            let mut pool: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
            let mut out = Vec::new();
            for _ in 0..n {
                let i = rng.below(pool.len() as u64) as usize;
                out.push(Value::from(pool.remove(i)));
            }
            Value::Array(out)
        }
        FieldKind::YesNo => json!(rng.chance(50)),
        FieldKind::Consent { .. } => json!(true),
        FieldKind::File { accept, max_bytes } => json!({
            "id": format!("att_{}", rng.below(1000)),
            "name": rng.pick(&["写真.jpg", "receipt.pdf"]),
            "size": if rng.chance(20) { *max_bytes } else { rng.below(*max_bytes + 1) },
            "type": rng.pick(accept),
        }),
        FieldKind::Group {
            fields,
            min_items,
            max_items,
            ..
        } => {
            let n = rng.range(i64::from((*min_items).max(1)), i64::from(*max_items));
            Value::Array(
                (0..n)
                    .map(|_| {
                        Value::Object(gen_object(fields.iter().map(|f| (f, None)), rng, today))
                    })
                    .collect(),
            )
        }
    }
}

/// Valid answers for fields in order, each with its page's condition.
fn gen_object<'a>(
    fields: impl Iterator<Item = (&'a Field, Option<&'a Condition>)>,
    rng: &mut Rng,
    today: Date,
) -> Answers {
    let mut out = Map::new();
    for (f, page_if) in fields {
        let shown = page_if.is_none_or(|c| condition_holds(c, &out))
            && f.show_if.as_ref().is_none_or(|c| condition_holds(c, &out));
        if shown && (f.required || rng.chance(70)) {
            let v = gen_value(f, rng, today);
            out.insert(f.id.clone(), v);
        }
    }
    out
}

fn gen_answers(def: &FormDefinition, rng: &mut Rng, today: Date) -> Answers {
    gen_object(
        def.pages
            .iter()
            .flat_map(|p| p.fields.iter().map(move |f| (f, p.show_if.as_ref()))),
        rng,
        today,
    )
}

/// All paths to values in the answers (objects' keys and array items), with the root's keys.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                prefix.push(k.clone());
                out.push(prefix.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(i.to_string());
                out.push(prefix.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| match v {
        Value::Object(o) => o.get_mut(k),
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

fn all_fields(def: &FormDefinition) -> Vec<&Field> {
    def.pages.iter().flat_map(|p| &p.fields).collect()
}

/// Replaces a value with something near it that may or may not still be valid.
fn mutate_value(v: &Value, rng: &mut Rng, today: Date) -> Value {
    let wrong = [
        json!(null),
        json!(1),
        json!(1.5),
        json!("x"),
        json!(""),
        json!(true),
        json!([]),
        json!({}),
        json!(2.0),
        json!(-1),
    ];
    match v {
        Value::String(s) => {
            if let Some(d) = parse_date(s) {
                let step = |n: i64| d.checked_add(Duration::days(n)).unwrap_or(d);
                let near = [
                    step(-1),
                    step(1),
                    today,
                    today + Duration::days(1),
                    date!(1868 - 01 - 24),
                ];
                return match rng.below(4) {
                    0 => json!(format_date(*rng.pick(&near))),
                    1 => json!(rng.pick(&[
                        "2023-02-29",
                        "2024-02-30",
                        "2100-02-29",
                        "2000-02-29",
                        "2024-1-01",
                        "R6.1.1",
                        "2024-04-31",
                        "0000-01-01",
                        "9999-12-31"
                    ])),
                    2 => json!(format!("{s} ")),
                    _ => rng.pick(&wrong).clone(),
                };
            }
            let s = s.clone();
            match rng.below(10) {
                0 => json!(format!(" {s}")),
                1 => json!(format!("{s}\u{3000}")),
                2 => json!(format!("{s}\n{s}")),
                3 => json!(s.repeat(60)),
                4 => json!(s.to_uppercase()),
                5 => json!(format!("{s}ｶﾅ")),
                6 => json!(s.chars().skip(1).collect::<String>()),
                7 => json!(format!("{s}0")),
                8 => json!(rng.pick(&[
                    "yes",
                    "new",
                    "p",
                    "s",
                    "meal",
                    "0473344111",
                    "イチカワ",
                    "いちかわ",
                    "image/gif",
                    "application/pdf",
                    "a\tb"
                ])),
                _ => rng.pick(&wrong).clone(),
            }
        }
        Value::Number(n) => {
            let i = n.as_i64().unwrap_or(0);
            match rng.below(6) {
                0 => json!(i + 1),
                1 => json!(i - 1),
                2 => json!(i as f64),
                3 => json!(1e20),
                4 => json!(i as f64 + 0.5),
                _ => rng.pick(&wrong).clone(),
            }
        }
        Value::Bool(b) => {
            if rng.chance(50) {
                json!(!b)
            } else {
                rng.pick(&wrong).clone()
            }
        }
        Value::Array(a) => {
            let mut a = a.clone();
            match rng.below(5) {
                0 if !a.is_empty() => {
                    let x = a[0].clone();
                    a.push(x);
                }
                1 => a.clear(),
                2 => {
                    a.reverse();
                }
                3 => a.push(json!("unknown")),
                _ => return rng.pick(&wrong).clone(),
            }
            Value::Array(a)
        }
        Value::Object(_) | Value::Null => rng.pick(&wrong).clone(),
    }
}

/// One to three mutations of valid answers.
fn mutate(def: &FormDefinition, answers: &Answers, rng: &mut Rng, today: Date) -> Value {
    let mut v = Value::Object(answers.clone());
    for _ in 0..rng.range(1, 3) {
        let mut ps = Vec::new();
        paths(&v, &mut Vec::new(), &mut ps);
        match rng.below(6) {
            // Remove something.
            0 if !ps.is_empty() => {
                let p = rng.pick(&ps).clone();
                let (last, parent) = p.split_last().expect("non-empty");
                match at_mut(&mut v, parent) {
                    Some(Value::Object(o)) => {
                        o.remove(last);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>()
                            && i < a.len()
                        {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
            // An extra key somewhere.
            1 => {
                let objects: Vec<&Vec<String>> = ps
                    .iter()
                    .filter(|p| matches!(at_mut(&mut v.clone(), p), Some(Value::Object(_))))
                    .collect();
                let target = if objects.is_empty() || rng.chance(50) {
                    Vec::new()
                } else {
                    (*rng.pick(&objects)).clone()
                };
                if let Some(Value::Object(o)) = at_mut(&mut v, &target) {
                    o.insert(
                        rng.pick(&["extra", "name2", "my_number", "family"])
                            .to_string(),
                        json!("x"),
                    );
                }
            }
            // A field that is not asked, answered anyway (or one that is, answered again).
            2 => {
                let f = *rng.pick(&all_fields(def));
                let value = gen_value(f, rng, today);
                if let Some(o) = v.as_object_mut() {
                    o.insert(f.id.clone(), value);
                }
            }
            // Duplicate or drop a group item.
            3 => {
                let groups: Vec<&Field> = all_fields(def)
                    .into_iter()
                    .filter(|f| matches!(f.kind, FieldKind::Group { .. }))
                    .collect();
                if let Some(g) = groups.first()
                    && let Some(Value::Array(items)) = v.get_mut(&g.id)
                {
                    if rng.chance(50) && !items.is_empty() {
                        let x = items[0].clone();
                        items.push(x.clone());
                        items.push(x);
                    } else {
                        items.pop();
                    }
                }
            }
            // Change a value.
            _ if !ps.is_empty() => {
                let p = rng.pick(&ps).clone();
                if let Some(x) = at_mut(&mut v, &p) {
                    *x = mutate_value(x, rng, today);
                }
            }
            _ => {}
        }
    }
    v
}

struct Checked {
    valid: usize,
    invalid: usize,
}

fn agree(name: &str, def: &FormDefinition, cases: usize, seed: u64) -> Checked {
    let mut stats = Checked {
        valid: 0,
        invalid: 0,
    };
    for today in TODAYS {
        let schema = json_schema(
            def,
            &format!(
                "https://example.jp/forms/{name}/schema?date={}",
                format_date(today)
            ),
            today,
        );
        assert!(
            jsonschema::meta::is_valid(&schema),
            "{name}: the schema is not a valid 2020-12 schema"
        );
        let validator =
            jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut rng = Rng(seed ^ today.to_julian_day() as u64);
        for case in 0..cases {
            let answers = gen_answers(def, &mut rng, today);
            let instance = if case % 4 == 0 {
                Value::Object(answers.clone())
            } else {
                mutate(def, &answers, &mut rng, today)
            };
            // (On the second day a shipped form may have a date field with no date left:
            // スマートフォン purchases from 2026-04-01 cannot be made on 2024-02-29.)
            if case % 4 == 0 && today == TODAYS[0] {
                let ok = validate(def, &instance, today);
                assert!(
                    ok.is_ok(),
                    "{name}: generated answers refused: {instance:#}\n{ok:#?}"
                );
            }
            let by_schema = validator.is_valid(&instance);
            let by_server = validate(def, &instance, today);
            assert_eq!(
                by_schema,
                by_server.is_ok(),
                "{name} (today {today}): schema says {by_schema}, validate says {by_server:#?}\nfor {instance:#}\nschema errors: {:#?}",
                validator
                    .iter_errors(&instance)
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            );
            match by_server {
                Ok(canonical) => {
                    stats.valid += 1;
                    assert!(
                        validator.is_valid(&Value::Object(canonical)),
                        "{name}: canonical answers fail the schema"
                    );
                }
                Err(errors) => {
                    stats.invalid += 1;
                    assert!(!errors.is_empty());
                    let obj = instance.as_object().expect("object");
                    for e in &errors {
                        let top = e.path.split('/').next().unwrap_or_default();
                        assert!(
                            !e.path.is_empty()
                                && (obj.contains_key(top)
                                    || all_fields(def).iter().any(|f| f.id == top)),
                            "{name}: error without a field path: {e:?}"
                        );
                        assert!(
                            !e.message_ja.is_empty() && !e.message_en.is_empty(),
                            "{e:?}"
                        );
                    }
                }
            }
        }
    }
    stats
}

#[test]
fn schema_and_validate_agree_on_synthetic_definitions() {
    for (name, def) in synthetic() {
        let s = agree(&name, &def, 1500, 0x5eed);
        assert!(
            s.valid > 300 && s.invalid > 1000,
            "{name}: too few of one kind: {} valid, {} invalid",
            s.valid,
            s.invalid
        );
    }
}

#[test]
fn schema_and_validate_agree_on_shipped_definitions() {
    let all = shipped();
    assert!(all.len() >= 13, "only {} shipped definitions", all.len());
    for (name, def) in all {
        let s = agree(&name, &def, 300, 0xf0f0);
        assert!(
            s.valid > 50 && s.invalid > 100,
            "{name}: {} valid, {} invalid",
            s.valid,
            s.invalid
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Random seeds on top of the fixed ones above.
    #[test]
    fn schema_and_validate_agree_for_random_seeds(seed in any::<u64>()) {
        for (name, def) in synthetic() {
            agree(&name, &def, 10, seed);
        }
    }
}

#[test]
fn every_shipped_definition_is_named_after_a_demo_procedure() {
    let slugs: Vec<String> = madoguchi::procedures::demo::drafts()
        .into_iter()
        .map(|(_, d)| d.slug)
        .collect();
    for (slug, _) in shipped() {
        assert!(
            slugs.contains(&slug),
            "forms/{slug}.json: no procedure {slug} in the demo catalogue"
        );
    }
}

#[test]
fn shipped_definitions_are_publishable_and_their_examples_validate() {
    for (slug, def) in shipped() {
        assert!(
            check_definition(&def).is_empty(),
            "{slug}: {:#?}",
            check_definition(&def)
        );
        let path = forms_dir().join("examples").join(format!("{slug}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let example: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{slug} example: {e}"));
        let ok = validate(&def, &example, TODAYS[0]);
        assert!(ok.is_ok(), "{slug} example: {ok:#?}");
        let last = def
            .pages
            .last()
            .and_then(|p| p.fields.last())
            .expect("a last field");
        assert!(
            matches!(last.kind, FieldKind::Consent { .. }),
            "{slug}: the form should end with a consent"
        );
    }
}

db_test!(
    shipped_definitions_round_trip_through_storage,
    |db: Db| async move {
        common::seed_municipality(&db, "122033", "市川市", "Ichikawa").await;
        for (slug, def) in shipped() {
            common::exec(
            &db,
            &format!(
                "INSERT INTO procedures (municipality_id, slug, name_ja, name_en, reading_ja, summary_ja, summary_en, \
                 eligibility_ja, documents_ja, legal_basis, identity_level, search_text, created_at, updated_at) \
                 VALUES ('122033', '{slug}', '{}', '{}', 'よみ', '', '', '', '', '', 'signed_in', '', 0, 0)",
                def.title_ja, def.title_en
            ),
        )
        .await;
            let ids: Vec<(i64,)> = common::fetch_raw(
                &db,
                &format!("SELECT id FROM procedures WHERE slug = '{slug}'"),
            )
            .await;
            let procedure_id = ids[0].0;
            let mut tx = db.begin().await.expect("begin");
            let id = store::insert(&mut tx, "122033", procedure_id, 1, "published", &def, None)
                .await
                .expect("insert");
            tx.commit().await.expect("commit");
            let row = store::published(&db, "122033", procedure_id)
                .await
                .expect("select")
                .expect("published row");
            assert_eq!(row.id, id);
            let back = row.parsed().unwrap_or_else(|e| panic!("{slug}: {e}"));
            assert_eq!(back, def, "{slug} changed in storage");
            let text =
                std::fs::read_to_string(forms_dir().join("examples").join(format!("{slug}.json")))
                    .expect("example");
            let example: Value = serde_json::from_str(&text).expect("example json");
            assert!(validate(&back, &example, TODAYS[0]).is_ok(), "{slug}");
        }
    }
);
