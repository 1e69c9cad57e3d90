//! Unit tests of the engine on a definition with every field type
//! (`testdata/all_types.json`).

use serde_json::{Value, json};
use time::macros::date;

use super::*;
use crate::web::i18n::Lang;

const ALL_TYPES: &str = include_str!("testdata/all_types.json");
const TODAY: time::Date = date!(2026 - 12 - 01);

fn def() -> FormDefinition {
    parse_definition(ALL_TYPES).unwrap_or_else(|p| panic!("{p:#?}"))
}

fn obj(v: Value) -> Answers {
    v.as_object().cloned().expect("object")
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A complete, valid submission of the test form.
fn full() -> Value {
    json!({
        "name": {"family": "市川", "given": "花子", "family_kana": "イチカワ", "given_kana": "ハナコ"},
        "birth_date": "1990-04-01",
        "address": {"postal_code": "2728501", "address": "千葉県市川市八幡1丁目1番1号"},
        "phone": "0473344111",
        "kind": "change",
        "reason": "転居のため",
        "has_children": true,
        "children": [
            {"name": {"family": "市川", "given": "一郎"}, "birth_date": "2015-06-10", "lives_with": true},
            {"name": {"family": "市川", "given": "二郎"}, "birth_date": "2018-02-28", "lives_with": false,
             "address": {"postal_code": "1000001", "address": "東京都千代田区千代田1-1", "building": "101号室"}}
        ],
        "price": 59_800,
        "people": 3,
        "needs": ["meal", "walk"],
        "needs_other": "買い物",
        "receipt": {"id": "att_123", "name": "receipt.pdf", "size": 12000, "type": "application/pdf"},
        "agree": true
    })
}

fn codes(errs: &[FieldError]) -> Vec<(String, &'static str)> {
    errs.iter().map(|e| (e.path.clone(), e.code)).collect()
}

fn validate_err(v: Value) -> Vec<(String, &'static str)> {
    codes(&validate(&def(), &v, TODAY).expect_err("should be refused"))
}

#[test]
fn a_complete_submission_validates() {
    let out = validate(&def(), &full(), TODAY).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(Value::Object(out), full());
}

#[test]
fn integers_written_as_floats_are_made_canonical() {
    let mut v = full();
    v["people"] = json!(3.0);
    let out = validate(&def(), &v, TODAY).expect("valid");
    assert_eq!(out["people"], json!(3));
    assert!(out["people"].is_i64());
}

#[test]
fn missing_required_and_unknown_keys() {
    let mut v = full();
    v.as_object_mut().expect("obj").remove("phone");
    v["name"].as_object_mut().expect("obj").remove("given_kana");
    v["nickname"] = json!("はなちゃん");
    v["children"][0]["extra"] = json!(1);
    let got = validate_err(v);
    assert!(got.contains(&("phone".into(), "required")), "{got:?}");
    assert!(
        got.contains(&("name/given_kana".into(), "required")),
        "{got:?}"
    );
    assert!(got.contains(&("nickname".into(), "unknown")), "{got:?}");
    assert!(
        got.contains(&("children/0/extra".into(), "unknown")),
        "{got:?}"
    );
}

#[test]
fn hidden_fields_must_not_be_answered() {
    let mut v = full();
    v["kind"] = json!("new");
    assert_eq!(
        validate_err(v.clone()),
        vec![("reason".into(), "not_needed")]
    );
    let errs = validate(&def(), &v, TODAY).expect_err("refused");
    assert!(
        errs[0].message_ja.contains("この項目は回答不要です"),
        "{}",
        errs[0].message_ja
    );
    assert!(errs[0].message_ja.contains("変更の理由"));
    // A whole page hidden: the group must go too.
    let mut v = full();
    v["has_children"] = json!(false);
    assert_eq!(validate_err(v), vec![("children".into(), "not_needed")]);
    // Inside a group item.
    let mut v = full();
    v["children"][0]["address"] = json!({"postal_code": "2728501", "address": "市川市"});
    assert_eq!(
        validate_err(v),
        vec![("children/0/address".into(), "not_needed")]
    );
    // Shown and required inside an item.
    let mut v = full();
    v["children"][1]
        .as_object_mut()
        .expect("obj")
        .remove("address");
    assert_eq!(
        validate_err(v),
        vec![("children/1/address".into(), "required")]
    );
}

#[test]
fn dates_must_be_real_and_within_bounds() {
    for (bad, code) in [
        ("2023-02-29", "no_such_date"),
        ("1990-4-1", "format"),
        ("平成2年4月1日", "format"),
        ("2026-12-02", "date_too_late"),
        ("1868-01-24", "date_too_early"),
    ] {
        let mut v = full();
        v["birth_date"] = json!(bad);
        assert_eq!(validate_err(v), vec![("birth_date".into(), code)], "{bad}");
    }
    let mut v = full();
    v["birth_date"] = json!("2024-02-29");
    assert!(validate(&def(), &v, TODAY).is_ok());
    let mut v = full();
    v["children"][0]["birth_date"] = json!("2005-04-01");
    let errs = validate(&def(), &v, TODAY).expect_err("too early");
    assert_eq!(errs[0].path, "children/0/birth_date");
    assert!(
        errs[0].message_ja.contains("子ども1 生年月日"),
        "{}",
        errs[0].message_ja
    );
    assert!(
        errs[0].message_ja.contains("平成17年4月2日以降"),
        "{}",
        errs[0].message_ja
    );
}

#[test]
fn wrong_types_and_ranges() {
    let cases = [
        ("price", json!("59800"), "type"),
        ("price", json!(0), "too_small"),
        ("price", json!(500_001), "too_large"),
        ("price", json!(1.5), "type"),
        ("people", json!(21), "too_large"),
        ("kind", json!("other"), "not_option"),
        ("has_children", json!("yes"), "type"),
        ("agree", json!(false), "required"),
        ("phone", json!("047-334-4111"), "format"),
        ("phone", json!("0104567890"), "format"),
        ("needs", json!(["meal", "meal"]), "duplicate"),
        ("needs", json!([]), "too_few"),
        ("needs", json!("meal"), "type"),
        ("name", json!("市川花子"), "type"),
    ];
    for (key, value, code) in cases {
        let mut v = full();
        v[key] = value.clone();
        let got = validate_err(v);
        assert!(
            got.contains(&(key.to_string(), code)),
            "{key}={value}: {got:?}"
        );
    }
    let mut v = full();
    v["name"]["family_kana"] = json!("いちかわ");
    assert_eq!(validate_err(v), vec![("name/family_kana".into(), "format")]);
    let mut v = full();
    v["receipt"]["type"] = json!("image/gif");
    v["receipt"]["size"] = json!(6_000_000);
    let got = validate_err(v);
    assert!(
        got.contains(&("receipt/type".into(), "file_type")),
        "{got:?}"
    );
    assert!(
        got.contains(&("receipt/size".into(), "file_size")),
        "{got:?}"
    );
    let mut v = full();
    v["children"] = json!([]);
    assert_eq!(validate_err(v), vec![("children".into(), "too_few")]);
    assert_eq!(
        codes(&validate(&def(), &json!([1]), TODAY).expect_err("array")),
        vec![("".into(), "type")]
    );
}

#[test]
fn every_error_names_the_field_in_both_languages() {
    let mut v = full();
    v.as_object_mut().expect("obj").remove("phone");
    v["price"] = json!(0);
    let d = def();
    for e in validate(&d, &v, TODAY).expect_err("refused") {
        let f = field(&d, &e.path).expect("top-level field");
        assert!(
            e.message(Lang::Ja).contains(&f.label_ja),
            "{}",
            e.message_ja
        );
        assert!(
            e.message(Lang::En).contains(&f.label_en),
            "{}",
            e.message_en
        );
    }
}

#[test]
fn read_page_converts_what_residents_type() {
    let d = def();
    let input = form(&[
        ("f.name.family", " 市川 "),
        ("f.name.given", "花子"),
        ("f.name.family_kana", "ｲﾁｶﾜ"),
        ("f.name.given_kana", "はなこ"),
        ("f.birth_date", "平成2年4月1日"),
        ("f.address.postal_code", "〒２７２－８５０１"),
        ("f.address.address", "千葉県市川市八幡1丁目1番1号"),
        ("f.address.building", ""),
        ("f.phone", "０４７（３３４）４１１１"),
        ("f.email", "Hanako@Example.JP"),
        ("f.note", ""),
    ]);
    let got = read_page(
        &d,
        "applicant",
        &Answers::new(),
        &input,
        &Answers::new(),
        TODAY,
    );
    assert!(got.errors.is_empty(), "{:#?}", got.errors);
    assert_eq!(
        Value::Object(got.answers),
        json!({
            "name": {"family": "市川", "given": "花子", "family_kana": "イチカワ", "given_kana": "ハナコ"},
            "birth_date": "1990-04-01",
            "address": {"postal_code": "2728501", "address": "千葉県市川市八幡1丁目1番1号"},
            "phone": "0473344111",
            "email": "hanako@example.jp"
        })
    );
    assert_eq!(
        got.raw.get("f.birth_date").map(String::as_str),
        Some("平成2年4月1日")
    );
    let money = form(&[
        ("f.price", "５９，８００円"),
        ("f.people", "３人"),
        ("f.needs", "walk"),
        ("f.needs", "meal"),
        ("f.needs_other", "買い物"),
    ]);
    let files = obj(
        json!({"receipt": {"id": "att_1", "name": "r.pdf", "size": 100, "type": "application/pdf"}}),
    );
    let got = read_page(&d, "money", &Answers::new(), &money, &files, TODAY);
    assert!(got.errors.is_empty(), "{:#?}", got.errors);
    assert_eq!(got.answers["price"], json!(59800));
    assert_eq!(got.answers["people"], json!(3));
    assert_eq!(got.answers["needs"], json!(["meal", "walk"]));
    assert_eq!(got.answers["receipt"]["id"], json!("att_1"));
    assert_eq!(
        got.raw.get("f.needs").map(String::as_str),
        Some("walk,meal")
    );
}

#[test]
fn read_page_reports_each_problem_by_field_in_page_order() {
    let d = def();
    let input = form(&[
        ("f.name.family", "市川"),
        ("f.name.given", ""),
        ("f.name.family_kana", "市川"),
        ("f.name.given_kana", "ハナコ"),
        ("f.birth_date", "R9.1.1"),
        ("f.address.postal_code", "272-85011"),
        ("f.address.address", ""),
        ("f.phone", "090-1234-567"),
        ("f.note", "あいうえおかきくけこさしすせそたちつてとな"),
    ]);
    let got = read_page(
        &d,
        "applicant",
        &Answers::new(),
        &input,
        &Answers::new(),
        TODAY,
    );
    let paths: Vec<&str> = got.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "name/family_kana",
            "name/given",
            "birth_date",
            "address/postal_code",
            "address/address",
            "phone",
            "note"
        ],
        "{:#?}",
        got.errors
    );
    let by = |p: &str| got.errors.iter().find(|e| e.path == p).expect(p);
    assert!(by("name/family_kana").message_ja.contains("氏名（セイ）"));
    assert!(by("name/family_kana").message_ja.contains("カタカナ"));
    assert!(
        by("birth_date").message_ja.starts_with("「生年月日」"),
        "{}",
        by("birth_date").message_ja
    );
    assert_eq!(by("birth_date").code, "date_too_late");
    assert!(
        by("birth_date").message_ja.contains("令和8年12月1日以前"),
        "{}",
        by("birth_date").message_ja
    );
    assert_eq!(by("note").code, "too_long");
    assert_eq!(by("name/given").code, "required");
    assert_eq!(by("address/address").code, "required");
    assert_eq!(got.errors[0].input_name(), "f.name.family_kana");
    assert!(got.answers.is_empty(), "{:?}", got.answers);
    assert_eq!(
        got.raw.get("f.phone").map(String::as_str),
        Some("090-1234-567")
    );
}

#[test]
fn read_page_asks_required_fields_and_skips_hidden_ones() {
    let d = def();
    let got = read_page(
        &d,
        "household",
        &Answers::new(),
        &form(&[("f.kind", "new"), ("f.reason", "ignored")]),
        &Answers::new(),
        TODAY,
    );
    assert_eq!(
        codes(&got.errors),
        vec![("has_children".into(), "required")]
    );
    assert!(!got.answers.contains_key("reason"));
    let got = read_page(
        &d,
        "household",
        &Answers::new(),
        &form(&[("f.kind", "change"), ("f.has_children", "no")]),
        &Answers::new(),
        TODAY,
    );
    assert_eq!(codes(&got.errors), vec![("reason".into(), "required")]);
    assert_eq!(got.answers["has_children"], json!(false));
    let got = read_page(&d, "confirm", &Answers::new(), &[], &Answers::new(), TODAY);
    assert_eq!(codes(&got.errors), vec![("agree".into(), "required")]);
    let got = read_page(
        &d,
        "confirm",
        &Answers::new(),
        &form(&[("f.agree", "on")]),
        &Answers::new(),
        TODAY,
    );
    assert_eq!(got.answers["agree"], json!(true));
    let got = read_page(&d, "nope", &Answers::new(), &[], &Answers::new(), TODAY);
    assert_eq!(got.errors[0].code, "unknown_page");
}

#[test]
fn read_page_renumbers_group_items_and_drops_blank_ones() {
    let d = def();
    let input = form(&[
        ("f.children.2.name.family", "市川"),
        ("f.children.2.name.given", "一郎"),
        ("f.children.2.birth_date", "R1.5.1"),
        ("f.children.2.lives_with", "yes"),
        ("f.children.5.name.family", ""),
        ("f.children.5.name.given", ""),
        ("f.children.5.birth_date", ""),
        ("f.children.7.name.family", "市川"),
        ("f.children.7.name.given", "二郎"),
        ("f.children.7.birth_date", "2019-04-31"),
        ("f.children.7.lives_with", "no"),
        ("f.children.7.address.postal_code", "1000001"),
        ("f.children.7.address.address", "東京都千代田区千代田1-1"),
    ]);
    let got = read_page(
        &d,
        "children",
        &Answers::new(),
        &input,
        &Answers::new(),
        TODAY,
    );
    assert_eq!(
        codes(&got.errors),
        vec![("children/1/birth_date".into(), "format")]
    );
    assert!(
        got.errors[0].message_ja.contains("子ども2 生年月日"),
        "{}",
        got.errors[0].message_ja
    );
    assert_eq!(
        got.raw.get("f.children.1.birth_date").map(String::as_str),
        Some("2019-04-31")
    );
    assert_eq!(
        got.raw.get("f.children.0.birth_date").map(String::as_str),
        Some("R1.5.1")
    );
    let fixed = form(&[
        ("f.children.2.name.family", "市川"),
        ("f.children.2.name.given", "一郎"),
        ("f.children.2.birth_date", "R1.5.1"),
        ("f.children.2.lives_with", "yes"),
        (
            "f.children.2.address.address",
            "ignored: lives with the applicant",
        ),
    ]);
    let got = read_page(
        &d,
        "children",
        &Answers::new(),
        &fixed,
        &Answers::new(),
        TODAY,
    );
    assert!(got.errors.is_empty(), "{:#?}", got.errors);
    assert_eq!(
        got.answers["children"],
        json!([{"name": {"family": "市川", "given": "一郎"}, "birth_date": "2019-05-01", "lives_with": true}])
    );
    let none = read_page(&d, "children", &Answers::new(), &[], &Answers::new(), TODAY);
    assert_eq!(codes(&none.errors), vec![("children".into(), "required")]);
}

#[test]
fn read_page_answers_pass_validate() {
    let d = def();
    let mut answers = Answers::new();
    let pages: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "applicant",
            vec![
                ("f.name.family", "市川"),
                ("f.name.given", "花子"),
                ("f.name.family_kana", "いちかわ"),
                ("f.name.given_kana", "はなこ"),
                ("f.birth_date", "S60.1.2"),
                ("f.address.postal_code", "2728501"),
                ("f.address.address", "市川市八幡1-1-1"),
                ("f.phone", "09012345678"),
            ],
        ),
        (
            "household",
            vec![("f.kind", "new"), ("f.has_children", "yes")],
        ),
        (
            "children",
            vec![
                ("f.children.0.name.family", "市川"),
                ("f.children.0.name.given", "一郎"),
                ("f.children.0.birth_date", "令和元年5月1日"),
                ("f.children.0.lives_with", "yes"),
            ],
        ),
        ("money", vec![("f.price", "30000"), ("f.people", "2")]),
        ("confirm", vec![("f.agree", "on")]),
    ];
    let files =
        obj(json!({"receipt": {"id": "a1", "name": "r.jpg", "size": 10, "type": "image/jpeg"}}));
    let mut route = Vec::new();
    let mut at = next_page(&d, None, &answers);
    for (id, input) in pages {
        let page = at.expect("a page");
        assert_eq!(page.id, id);
        route.push(page.id.clone());
        let got = read_page(&d, id, &answers, &form(&input), &files, TODAY);
        assert!(got.errors.is_empty(), "{id}: {:#?}", got.errors);
        answers.extend(got.answers);
        at = next_page(&d, Some(id), &answers);
    }
    assert!(at.is_none());
    validate(&d, &Value::Object(answers.clone()), TODAY).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(compute(&d, &answers)[0].value, 15_000);
}

#[test]
fn route_follows_conditions() {
    let d = def();
    let ids = |a: &Answers| {
        shown_pages(&d, a)
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&Answers::new()),
        ["applicant", "household", "money", "confirm"]
    );
    let with = obj(json!({"has_children": true}));
    assert_eq!(
        ids(&with),
        ["applicant", "household", "children", "money", "confirm"]
    );
    assert_eq!(
        next_page(&d, Some("household"), &Answers::new()).map(|p| p.id.as_str()),
        Some("money")
    );
    assert_eq!(
        next_page(&d, Some("household"), &with).map(|p| p.id.as_str()),
        Some("children")
    );
    assert_eq!(
        prev_page(&d, "money", &Answers::new()).map(|p| p.id.as_str()),
        Some("household")
    );
    assert_eq!(
        prev_page(&d, "money", &with).map(|p| p.id.as_str()),
        Some("children")
    );
    assert!(prev_page(&d, "applicant", &with).is_none());
    assert!(next_page(&d, Some("confirm"), &with).is_none());
    assert!(next_page(&d, Some("missing"), &with).is_none());
    // A page that is no longer shown still has a next page.
    assert_eq!(
        next_page(&d, Some("children"), &Answers::new()).map(|p| p.id.as_str()),
        Some("money")
    );
    let reason = field(&d, "reason").expect("reason");
    assert!(field_shown(reason, &obj(json!({"kind": "change"}))));
    assert!(!field_shown(reason, &obj(json!({"kind": "new"}))));
}

#[test]
fn prune_hidden_removes_answers_that_became_unneeded() {
    let d = def();
    let mut a = obj(full());
    a["kind"] = json!("new");
    a["has_children"] = json!(false);
    let removed = prune_hidden(&d, &mut a);
    assert_eq!(removed, ["reason", "children"]);
    validate(&d, &Value::Object(a), TODAY).unwrap_or_else(|e| panic!("{e:#?}"));
    let mut a = obj(full());
    a["children"][1]["lives_with"] = json!(true);
    prune_hidden(&d, &mut a);
    assert!(a["children"][1].get("address").is_none());
    validate(&d, &Value::Object(a), TODAY).unwrap_or_else(|e| panic!("{e:#?}"));
}

#[test]
fn computed_values() {
    let d = def();
    let mut a = obj(full());
    let got = compute(&d, &a);
    assert_eq!(got[0].id, "subsidy");
    assert_eq!(got[0].value, 29_000.min(25_000));
    assert!(got[0].yen);
    assert_eq!(got[1].value, 1);
    a["price"] = json!(21_980);
    assert_eq!(compute(&d, &a)[0].value, 10_000);
    a["price"] = json!(1_999);
    assert_eq!(compute(&d, &a)[0].value, 0);
    assert_eq!(compute(&d, &Answers::new())[1].value, 0);
}

#[test]
fn summary_lists_shown_fields_in_order() {
    let d = def();
    let rows = summary(&d, &obj(full()), Lang::Ja);
    let find = |p: &str| {
        rows.iter()
            .find(|r| r.path == p)
            .unwrap_or_else(|| panic!("{p}"))
    };
    assert_eq!(find("name").value, "市川 花子（イチカワ\u{3000}ハナコ）");
    assert_eq!(find("birth_date").value, "平成2年4月1日（1990年）");
    assert_eq!(
        find("address").value,
        "〒272-8501 千葉県市川市八幡1丁目1番1号"
    );
    assert_eq!(find("phone").value, "0473344111");
    assert_eq!(find("price").value, "59,800円");
    assert_eq!(find("people").value, "3人");
    assert_eq!(find("needs").value, "食事、歩行");
    assert_eq!(find("has_children").value, "はい");
    assert_eq!(find("kind").value, "変更");
    assert_eq!(find("children/1/address").label, "子ども2 お子さんの住所");
    assert_eq!(find("children/1/address").page_id, "children");
    assert!(!rows.iter().any(|r| r.path == "children/0/address"));
    assert!(!find("email").answered);
    assert_eq!(find("email").value, "（未回答）");
    assert_eq!(find("receipt").value, "receipt.pdf（12 KB）");
    assert_eq!(find("agree").value, "同意します");
    let sub = find("subsidy");
    assert!(sub.computed);
    assert_eq!(sub.value, "25,000円");
    assert_eq!(rows.first().map(|r| r.path.as_str()), Some("name"));
    let en = summary(&d, &obj(full()), Lang::En);
    let find = |p: &str| {
        en.iter()
            .find(|r| r.path == p)
            .unwrap_or_else(|| panic!("{p}"))
    };
    assert_eq!(find("birth_date").value, "1 April 1990 (Heisei 2)");
    assert_eq!(find("price").value, "¥59,800");
    assert_eq!(find("children/0/name").label, "Child 1 Name");
    // Without children the group page and its rows are gone.
    let mut a = obj(full());
    a["has_children"] = json!(false);
    a.remove("children");
    assert!(
        !summary(&d, &a, Lang::Ja)
            .iter()
            .any(|r| r.page_id == "children")
    );
}

#[test]
fn csv_rows_line_up_with_columns() {
    let d = def();
    let cols = csv_columns(&d, Lang::Ja);
    let row = csv_row(&d, &obj(full()));
    assert_eq!(cols.len(), row.len());
    let at = |c: &str| {
        row[cols
            .iter()
            .position(|x| x == c)
            .unwrap_or_else(|| panic!("{c} in {cols:?}"))]
        .clone()
    };
    assert_eq!(at("氏名 セイ"), "イチカワ");
    assert_eq!(at("子ども2 氏名 名"), "二郎");
    assert_eq!(at("子ども2 お子さんの住所 郵便番号"), "1000001");
    assert_eq!(at("子ども3 生年月日"), "");
    assert_eq!(at("購入金額"), "59800");
    assert_eq!(at("申請の種類"), "変更");
    assert_eq!(at("補助額"), "25000");
    assert_eq!(at("申請内容の確認"), "同意");
    assert_eq!(csv_row(&d, &Answers::new()).len(), cols.len());
    assert!(csv_columns(&d, Lang::En).contains(&"Child 1 Name family name".to_string()));
}

#[test]
fn display_of_each_kind() {
    let d = def();
    let f = |id: &str| field(&d, id).expect(id);
    assert_eq!(
        display_value(f("phone"), &json!("09012345678"), Lang::Ja),
        "090-1234-5678"
    );
    assert_eq!(
        display_value(f("has_children"), &json!(false), Lang::En),
        "No"
    );
    assert_eq!(
        display_value(f("children"), &json!([{}, {}]), Lang::Ja),
        "子ども 2件"
    );
    assert_eq!(display_value(f("people"), &json!(2), Lang::En), "2 people");
    assert_eq!(display_value(f("kind"), &json!("zzz"), Lang::Ja), "\"zzz\"");
    assert_eq!(
        display_value(f("birth_date"), &json!("2019-05-01"), Lang::Ja),
        "令和元年5月1日（2019年）"
    );
}

#[test]
fn the_schema_has_an_id_a_date_and_refuses_unknown_keys() {
    let s = json_schema(
        &def(),
        "https://city.example/api/v1/forms/x/schema?date=2026-12-01",
        TODAY,
    );
    assert_eq!(
        s["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    assert!(s["$id"].as_str().is_some_and(|i| i.contains("2026-12-01")));
    assert!(
        s["$comment"]
            .as_str()
            .is_some_and(|c| c.contains("2026-12-01"))
    );
    assert_eq!(s["additionalProperties"], json!(false));
    assert!(
        s["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("phone")))
    );
    assert!(s["allOf"].as_array().is_some_and(|r| r.len() >= 3));
}

#[test]
fn definitions_refuse_unknown_keys_and_round_trip() {
    let d = def();
    let again: FormDefinition =
        serde_json::from_str(&serde_json::to_string(&d).expect("json")).expect("parse");
    assert_eq!(again, d);
    for bad in [
        r#"{"id":"a","type":"text","label_ja":"あ","label_en":"A","colour":"red"}"#,
        r#"{"id":"a","type":"phone","label_ja":"あ","label_en":"A","max_len":3}"#,
        r#"{"id":"a","type":"telepathy","label_ja":"あ","label_en":"A"}"#,
        r#"{"id":"a","label_ja":"あ","label_en":"A"}"#,
    ] {
        assert!(serde_json::from_str::<Field>(bad).is_err(), "{bad}");
    }
    let ok: Field =
        serde_json::from_str(r#"{"id":"a","type":"text","label_ja":"あ","label_en":"A"}"#)
            .expect("ok");
    assert!(ok.required);
    assert_eq!(ok.kind, FieldKind::Text { max_len: 100 });
}
