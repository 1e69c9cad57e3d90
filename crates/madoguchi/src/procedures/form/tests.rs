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
    // Half of 59,800 is 29,900 → 29,000, capped at 25,000.
    assert_eq!(got[0].value, 25_000);
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

// ── check_definition: every refusal ──

/// A small valid definition: page p1 (choice `a`, yes/no `b`), page p2 (text `c`).
fn small() -> Value {
    json!({
        "format": 1, "title_ja": "試験", "title_en": "Test",
        "pages": [
            {"id": "p1", "title_ja": "一", "title_en": "One", "fields": [
                {"id": "a", "type": "choice", "label_ja": "あ", "label_en": "A", "options": [
                    {"value": "x", "label_ja": "x", "label_en": "x"}, {"value": "y", "label_ja": "y", "label_en": "y"}]},
                {"id": "b", "type": "yes_no", "label_ja": "い", "label_en": "B"}
            ]},
            {"id": "p2", "title_ja": "二", "title_en": "Two", "fields": [
                {"id": "c", "type": "text", "label_ja": "う", "label_en": "C"},
                {"id": "g", "type": "group", "label_ja": "か", "label_en": "G", "item_label_ja": "件", "item_label_en": "item",
                 "fields": [{"id": "k", "type": "number", "label_ja": "き", "label_en": "K"}]}
            ]}
        ],
        "computed": [{"id": "total", "label_ja": "計", "label_en": "Total", "expr": {"count": "g"}}]
    })
}

/// The problems of `small()` changed by `edit`.
fn problems(edit: impl FnOnce(&mut Value)) -> Vec<DefinitionProblem> {
    let mut v = small();
    edit(&mut v);
    let def: FormDefinition = serde_json::from_value(v).expect("parses");
    check_definition(&def)
}

#[track_caller]
fn refused(edit: impl FnOnce(&mut Value), path: &str, words: &str) {
    let p = problems(edit);
    assert!(
        p.iter()
            .any(|p| p.path == path && p.message_ja.contains(words) && !p.message_en.is_empty()),
        "expected a problem at {path} saying {words}: {p:#?}"
    );
}

#[test]
fn the_small_definition_is_publishable() {
    assert_eq!(problems(|_| {}), vec![]);
}

#[test]
fn refuses_bad_and_duplicate_ids() {
    refused(
        |v| v["pages"][0]["fields"][0]["id"] = json!("A-1"),
        "pages/0/fields/0/id",
        "使えません",
    );
    refused(
        |v| v["pages"][1]["fields"][0]["id"] = json!("a"),
        "pages/1/fields/0/id",
        "重複",
    );
    refused(|v| v["pages"][1]["id"] = json!("p1"), "pages/1/id", "重複");
    refused(
        |v| v["pages"][1]["id"] = json!("2nd"),
        "pages/1/id",
        "使えません",
    );
    refused(
        |v| v["pages"][0]["fields"][0]["options"][1]["value"] = json!("x"),
        "pages/0/fields/0/options/1/value",
        "重複",
    );
    refused(
        |v| v["pages"][0]["fields"][0]["options"][1]["value"] = json!("Y!"),
        "pages/0/fields/0/options/1/value",
        "使えません",
    );
    refused(
        |v| v["computed"][0]["id"] = json!("c"),
        "computed/0/id",
        "重複",
    );
    refused(
        |v| v["computed"][0]["id"] = json!("Total"),
        "computed/0/id",
        "使えません",
    );
    refused(
        |v| {
            v["pages"][1]["fields"][1]["fields"]
                .as_array_mut()
                .expect("arr")
                .push(json!({"id": "k", "type": "text", "label_ja": "け", "label_en": "K2"}))
        },
        "pages/1/fields/1/fields/1/id",
        "重複",
    );
}

#[test]
fn refuses_conditions_on_unknown_later_or_group_fields() {
    refused(
        |v| v["pages"][1]["show_if"] = json!({"answered": {"field": "zz"}}),
        "pages/1/show_if",
        "ない項目",
    );
    refused(
        |v| {
            v["pages"][0]["fields"][0]["show_if"] = json!({"equals": {"field": "b", "value": true}})
        },
        "pages/0/fields/0/show_if",
        "後で尋ねる",
    );
    refused(
        |v| v["pages"][0]["show_if"] = json!({"equals": {"field": "a", "value": "x"}}),
        "pages/0/show_if",
        "後で尋ねる",
    );
    refused(
        |v| v["pages"][1]["fields"][0]["show_if"] = json!({"answered": {"field": "k"}}),
        "pages/1/fields/0/show_if",
        "繰り返しの中",
    );
    refused(
        |v| v["pages"][1]["show_if"] = json!({"equals": {"field": "a", "value": "z"}}),
        "pages/1/show_if",
        "選択肢にありません",
    );
    refused(
        |v| v["pages"][1]["show_if"] = json!({"equals": {"field": "b", "value": "yes"}}),
        "pages/1/show_if",
        "true か false",
    );
    refused(
        |v| v["pages"][1]["show_if"] = json!({"any_of": {"field": "a", "values": []}}),
        "pages/1/show_if",
        "空",
    );
    refused(
        |v| v["pages"][1]["show_if"] = json!({"all": []}),
        "pages/1/show_if",
        "空",
    );
    refused(
        |v| v["computed"][0]["expr"] = json!({"count_where": {"group": "g", "when": {"equals": {"field": "a", "value": "x"}}}}),
        "computed/0/expr",
        "の中の項目だけ",
    );
}

#[test]
fn refuses_conditions_that_can_never_hold() {
    let never = json!({"all": [{"equals": {"field": "a", "value": "x"}}, {"equals": {"field": "a", "value": "y"}}]});
    refused(
        |v| v["pages"][1]["show_if"] = never.clone(),
        "pages/1/show_if",
        "満たされない",
    );
    refused(
        |v| v["pages"][1]["fields"][0]["show_if"] = never.clone(),
        "pages/1/fields/0/show_if",
        "満たされない",
    );
    // A required yes/no that is always answered cannot be "not answered".
    refused(
        |v| v["pages"][1]["show_if"] = json!({"not": {"answered": {"field": "b"}}}),
        "pages/1/show_if",
        "満たされない",
    );
    // Chained: b is asked only when a = x, so "a = y and b = true" never holds.
    refused(
        |v| {
            v["pages"][0]["fields"][1]["show_if"] = json!({"equals": {"field": "a", "value": "x"}});
            v["pages"][1]["show_if"] = json!({"all": [{"equals": {"field": "a", "value": "y"}}, {"equals": {"field": "b", "value": true}}]});
        },
        "pages/1/show_if",
        "満たされない",
    );
    // The same with `any` holds.
    assert_eq!(
        problems(
            |v| v["pages"][1]["show_if"] = json!({"any": [{"equals": {"field": "a", "value": "x"}}, {"equals": {"field": "a", "value": "y"}}]})
        ),
        vec![]
    );
}

#[test]
fn refuses_empty_options_and_bad_bounds() {
    refused(
        |v| v["pages"][0]["fields"][0]["options"] = json!([]),
        "pages/0/fields/0/options",
        "選択肢がありません",
    );
    refused(
        |v| v["pages"][1]["fields"][0] = json!({"id": "c", "type": "yen", "label_ja": "う", "label_en": "C", "min": 10, "max": 5}),
        "pages/1/fields/0/min",
        "最小値",
    );
    refused(
        |v| v["pages"][1]["fields"][0] = json!({"id": "c", "type": "number", "label_ja": "う", "label_en": "C", "min": 10, "max": 5}),
        "pages/1/fields/0/min",
        "最小値",
    );
    refused(
        |v| v["pages"][1]["fields"][0] = json!({"id": "c", "type": "date", "label_ja": "う", "label_en": "C", "min": "2025-01-01", "max": "2024-01-01"}),
        "pages/1/fields/0/min",
        "最小値",
    );
    refused(
        |v| v["pages"][1]["fields"][0] = json!({"id": "c", "type": "date", "label_ja": "う", "label_en": "C", "min": "2023-02-29"}),
        "pages/1/fields/0/min",
        "日付として読めません",
    );
    refused(
        |v| v["pages"][1]["fields"][0] = json!({"id": "c", "type": "date", "label_ja": "う", "label_en": "C", "max": "tomorrow"}),
        "pages/1/fields/0/max",
        "日付として読めません",
    );
    refused(
        |v| v["pages"][1]["fields"][1]["min_items"] = json!(11),
        "pages/1/fields/1/min_items",
        "最小値",
    );
    refused(
        |v| v["pages"][1]["fields"][1]["max_items"] = json!(51),
        "pages/1/fields/1/max_items",
        "最大件数",
    );
    refused(
        |v| v["pages"][1]["fields"][0]["max_len"] = json!(0),
        "pages/1/fields/0/max_len",
        "最大文字数",
    );
    refused(
        |v| v["pages"][1]["fields"][0] = json!({"id": "c", "type": "multi_choice", "label_ja": "う", "label_en": "C", "min": 3, "options": [{"value": "x", "label_ja": "x", "label_en": "x"}]}),
        "pages/1/fields/0/min",
        "選択肢の数",
    );
}

#[test]
fn refuses_a_group_in_a_group() {
    refused(
        |v| {
            v["pages"][1]["fields"][1]["fields"].as_array_mut().expect("arr").push(json!({
            "id": "inner", "type": "group", "label_ja": "中", "label_en": "Inner", "item_label_ja": "件", "item_label_en": "item",
            "fields": [{"id": "t", "type": "text", "label_ja": "て", "label_en": "T"}]}))
        },
        "pages/1/fields/1/fields/1",
        "繰り返しの中に繰り返し",
    );
}

#[test]
fn refuses_file_fields_without_types_or_too_large() {
    let file = |accept: Value, max: u64| json!({"id": "c", "type": "file", "label_ja": "う", "label_en": "C", "accept": accept, "max_bytes": max});
    refused(
        |v| v["pages"][1]["fields"][0] = file(json!([]), 1000),
        "pages/1/fields/0/accept",
        "種類",
    );
    refused(
        |v| v["pages"][1]["fields"][0] = file(json!(["pdf"]), 1000),
        "pages/1/fields/0/accept/0",
        "application/pdf",
    );
    refused(
        |v| v["pages"][1]["fields"][0] = file(json!(["image/png"]), 20 * 1024 * 1024 + 1),
        "pages/1/fields/0/max_bytes",
        "20MB",
    );
    assert_eq!(
        problems(|v| v["pages"][1]["fields"][0] = file(json!(["image/png"]), 20 * 1024 * 1024)),
        vec![]
    );
}

#[test]
fn refuses_computed_values_on_missing_or_non_number_fields() {
    refused(
        |v| v["computed"][0]["expr"] = json!({"field": "nope"}),
        "computed/0/expr",
        "ない項目",
    );
    refused(
        |v| v["computed"][0]["expr"] = json!({"field": "c"}),
        "computed/0/expr",
        "数値か金額",
    );
    refused(
        |v| v["computed"][0]["expr"] = json!({"count": "c"}),
        "computed/0/expr",
        "繰り返しの項目だけ",
    );
    refused(
        |v| v["computed"][0]["expr"] = json!({"count": "gg"}),
        "computed/0/expr",
        "ない繰り返し",
    );
    refused(
        |v| v["computed"][0]["expr"] = json!({"add": [{"const": 1}, {"field": "b"}]}),
        "computed/0/expr/1",
        "数値か金額",
    );
    refused(
        |v| v["computed"][0]["expr"] = json!({"min": []}),
        "computed/0/expr",
        "空",
    );
    assert_eq!(
        problems(
            |v| v["computed"][0]["expr"] = json!({"count_where": {"group": "g", "when": {"equals": {"field": "k", "value": 2}}}})
        ),
        vec![]
    );
}

#[test]
fn refuses_no_pages_a_page_without_fields_and_other_formats() {
    refused(
        |v| v["pages"] = json!([]),
        "pages",
        "ページが1つもありません",
    );
    refused(
        |v| v["pages"][1]["fields"] = json!([]),
        "pages/1/fields",
        "質問がありません",
    );
    refused(|v| v["format"] = json!(2), "format", "バージョン");
}

#[test]
fn refuses_anything_that_asks_for_the_my_number() {
    for (key, text) in [
        ("label_ja", "個人番号"),
        ("label_ja", "マイナンバー（12桁）"),
        ("label_en", "My Number"),
        ("id", "my_number"),
        ("id", "child_mynumber"),
        ("hint_ja", "マイナンバーを書いてください"),
    ] {
        refused(
            |v| v["pages"][1]["fields"][0][key] = json!(text),
            "pages/1/fields/0",
            "個人番号",
        );
    }
    refused(
        |v| v["pages"][1]["fields"][1]["fields"][0]["label_ja"] = json!("子どもの個人番号"),
        "pages/1/fields/1/fields/0",
        "個人番号",
    );
    // Asking whether the resident has a card, or agreeing to its use, is not collecting it.
    assert_eq!(
        problems(
            |v| v["pages"][0]["fields"][1]["label_ja"] = json!("マイナンバーカードをお持ちですか")
        ),
        vec![]
    );
    assert_eq!(
        problems(
            |v| v["pages"][1]["fields"][0] = json!({"id": "c", "type": "consent", "label_ja": "個人番号の利用への同意", "label_en": "Consent", "text_ja": "同意します", "text_en": "I agree"})
        ),
        vec![]
    );
}

#[test]
fn parse_definition_reports_unreadable_files() {
    let e = parse_definition("{\"format\": 1,").expect_err("broken");
    assert!(e[0].message_ja.contains("読み取れません"), "{e:?}");
    let e = parse_definition(&small().to_string().replace("\"yes_no\"", "\"yes_or_no\""))
        .expect_err("unknown type");
    assert!(e[0].message_en.contains("cannot be read"), "{e:?}");
    assert!(parse_definition(&small().to_string()).is_ok());
}

#[test]
fn read_page_takes_group_files_by_submitted_index() {
    let d = parse_definition(
        r#"{"format": 1, "title_ja": "t", "title_en": "t", "pages": [{"id": "p", "title_ja": "p", "title_en": "p", "fields": [
          {"id": "docs", "type": "group", "label_ja": "書類", "label_en": "Documents", "item_label_ja": "書類", "item_label_en": "Document",
           "fields": [{"id": "title", "type": "text", "label_ja": "題名", "label_en": "Title"},
                      {"id": "scan", "type": "file", "label_ja": "写し", "label_en": "Copy", "accept": ["image/png"], "max_bytes": 100}]}]}]}"#,
    )
    .unwrap_or_else(|p| panic!("{p:#?}"));
    let files = obj(json!({
        "docs/4/scan": {"id": "a1", "name": "a.png", "size": 10, "type": "image/png"},
        "docs/9/scan": {"id": "a2", "name": "b.png", "size": 500, "type": "image/png"}
    }));
    let input = form(&[("f.docs.4.title", "住民票"), ("f.docs.9.title", "領収書")]);
    let got = read_page(&d, "p", &Answers::new(), &input, &files, TODAY);
    assert_eq!(
        codes(&got.errors),
        vec![("docs/1/scan/size".into(), "file_size")]
    );
    assert!(
        got.errors[0].message_ja.contains("書類2 写し"),
        "{}",
        got.errors[0].message_ja
    );
    let files =
        obj(json!({"docs/4/scan": {"id": "a1", "name": "a.png", "size": 10, "type": "image/png"}}));
    let got = read_page(
        &d,
        "p",
        &Answers::new(),
        &form(&[("f.docs.4.title", "住民票")]),
        &files,
        TODAY,
    );
    assert!(got.errors.is_empty(), "{:#?}", got.errors);
    assert_eq!(got.answers["docs"][0]["scan"]["id"], json!("a1"));
}

mod lenient {
    use super::*;
    use crate::procedures::jp::{Era, format_wareki};
    use proptest::prelude::*;
    use time::Duration;

    fn full_width(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
                '.' => '．',
                _ => c,
            })
            .collect()
    }

    proptest! {
        /// However a resident writes a date (和暦, era letter, 西暦, full-width), read_page
        /// stores the same canonical date, and validate accepts it.
        #[test]
        fn typed_dates_become_canonical(days in 0i64..58_000, style in 0u8..5) {
            let d = def();
            let day = Era::Meiji.start() + Duration::days(days);
            prop_assume!(day <= TODAY);
            let (era, y) = Era::of(day).expect("era");
            let (m, dd) = (u8::from(day.month()), day.day());
            let typed = match style {
                0 => format_wareki(day),
                1 => format!("{}{y}.{m}.{dd}", era.letter()),
                2 => format!("{}/{m}/{dd}", day.year()),
                3 => full_width(&format!("{}{y}年{m}月{dd}日", era.name_ja())),
                _ => format_date(day),
            };
            let got = read_page(&d, "applicant", &Answers::new(), &form(&[("f.birth_date", &typed)]), &Answers::new(), TODAY);
            prop_assert_eq!(got.answers.get("birth_date"), Some(&json!(format_date(day))), "{}", typed);
            let mut v = full();
            v["birth_date"] = json!(format_date(day));
            prop_assert!(validate(&d, &v, TODAY).is_ok());
        }

        /// Kana in any width or script is stored as full-width katakana that validate accepts.
        #[test]
        fn typed_kana_becomes_canonical(pick in 0usize..6) {
            let d = def();
            let (typed, want) = [("ｲﾁｶﾜ", "イチカワ"), ("いちかわ", "イチカワ"), ("ﾊﾟｰｸ", "パーク"), ("やまだ たろう", "ヤマダ\u{3000}タロウ"), (" ガ ", "ガ"), ("ヴィ", "ヴィ")][pick];
            let input = form(&[("f.name.family", "市川"), ("f.name.given", "花子"), ("f.name.family_kana", typed), ("f.name.given_kana", "ハナコ")]);
            let got = read_page(&d, "applicant", &Answers::new(), &input, &Answers::new(), TODAY);
            prop_assert_eq!(&got.answers["name"]["family_kana"], &json!(want));
            let mut v = full();
            v["name"] = got.answers["name"].clone();
            prop_assert!(validate(&d, &v, TODAY).is_ok());
        }
    }
}
