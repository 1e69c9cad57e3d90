//! 手続きナビ's field-by-field staff editor (issue 5, "staff edit them in a web editor with
//! versions and a preview"), on SQLite and PostgreSQL: each edit operation is one POST of a
//! plain form that changes the draft only, is audited, and refuses bad input naming the
//! field; publishing is refused while a path has no outcome or a question is unreachable,
//! with the path or question in Japanese; a flow goes out and back in as a file; and the API
//! gives the closed-day deadline fields.

#[macro_use]
mod common;
mod support;

use axum::http::StatusCode;
use madoguchi::db::Db;
use madoguchi::demo::{ICHIKAWA, PASSWORD};
use madoguchi::navi::model::{Bring, Cond, Flow};
use madoguchi::navi::{model, store};
use support::*;

async fn admin(app: &TestApp) -> Client<'_> {
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c
        .post_form(
            "/staff/login",
            &[
                ("email", "admin@city.ichikawa.example.jp"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "login: {}", r.body);
    c
}

async fn draft(db: &Db, event: &str) -> (Flow, String) {
    let d = store::draft(db, ICHIKAWA, event)
        .await
        .expect("db")
        .expect("a draft");
    (
        Flow::from_json(&d.definition).expect("parses"),
        d.updated_at.to_string(),
    )
}

async fn published(db: &Db, event: &str) -> (i64, String) {
    let p = store::published(db, ICHIKAWA, event)
        .await
        .expect("db")
        .expect("published");
    (p.version, p.definition)
}

async fn edits(db: &Db) -> usize {
    audit_actions(db)
        .await
        .iter()
        .filter(|a| *a == "navi.draft_edited")
        .count()
}

/// Posts `fields` plus the draft's current revision.
async fn post(
    c: &mut Client<'_>,
    db: &Db,
    event: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Resp {
    let (_, rev) = draft(db, event).await;
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("rev", &rev));
    c.post_form(path, &all).await
}

db_test!(
    each_edit_operation_changes_only_the_draft,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut c = admin(&app).await;
        let before = published(&db, "tenkyo").await;
        // Without a draft the lists are shown but nothing can be edited.
        let r = c.get("/staff/navi/tenkyo").await;
        assert!(r.body.contains("まず「下書きを作る」"), "{}", r.body);
        assert!(!r.body.contains("/staff/navi/tenkyo/questions/card\""));
        assert_eq!(
            c.get("/staff/navi/tenkyo/questions/card").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            c.post_form("/staff/navi/tenkyo/draft", &[]).await.status,
            StatusCode::SEE_OTHER
        );
        let r = c.get("/staff/navi/tenkyo").await;
        assert!(
            r.body
                .contains("href=\"/staff/navi/tenkyo/questions/card\""),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains("href=\"/staff/navi/tenkyo/procedures/gakku\"")
        );

        // 1. Edit a question's texts, an answer's label and where it leads.
        let r = c.get("/staff/navi/tenkyo/questions/kokuho").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("name=\"o0-label_ja\""), "{}", r.body);
        assert!(r.body.contains("method=\"post\""));
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/kokuho",
            &[
                ("text_ja", "国民健康保険に入っていますか？（改）"),
                ("text_en", "Are you in National Health Insurance?"),
                ("help_ja", "保険証を見てください。"),
                ("help_en", ""),
                ("o-value", "yes"),
                ("o0-label_ja", "入っている"),
                ("o0-label_en", "Yes"),
                ("o0-next", "elderly"),
                ("o-value", "no"),
                ("o1-label_ja", "いいえ"),
                ("o1-label_en", "No"),
                ("o1-next", "school"),
                ("o-value", "unknown"),
                ("o2-label_ja", "わからない"),
                ("o2-label_en", "Not sure"),
                ("o2-next", "elderly"),
                ("o2-unknown", "on"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let (f, _) = draft(&db, "tenkyo").await;
        let q = f.question("kokuho").expect("q");
        assert_eq!(q.text_ja, "国民健康保険に入っていますか？（改）");
        assert_eq!(q.help_ja.as_deref(), Some("保険証を見てください。"));
        assert_eq!(q.help_en, None);
        assert_eq!(q.options[0].label_ja, "入っている");
        assert_eq!(q.options[1].next.as_deref(), Some("school"));
        assert!(q.options[2].unknown && !q.options[0].unknown);
        assert_eq!(edits(&db).await, 1);

        // 2. Add an answer, then the 「わからない」 preset, then delete one.
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/school/options",
            &[
                ("value", "soon"),
                ("label_ja", "これから入学"),
                ("label_en", "Starting soon"),
                ("next", ""),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/school/options",
            &[("preset", "unknown"), ("next", "")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let (f, _) = draft(&db, "tenkyo").await;
        let values: Vec<(&str, bool)> = f
            .question("school")
            .expect("q")
            .options
            .iter()
            .map(|o| (o.value.as_str(), o.unknown))
            .collect();
        assert_eq!(
            values,
            vec![
                ("yes", false),
                ("no", false),
                ("soon", false),
                ("unknown", true)
            ]
        );
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/school/options/soon/delete",
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let (f, _) = draft(&db, "tenkyo").await;
        assert!(f.question("school").expect("q").choice("soon").is_none());

        // 3. Add a question, reorder it, make it the first, then put the start back and
        // delete it.
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions",
            &[
                ("id", "pet"),
                ("text_ja", "犬を飼っていますか？"),
                ("text_en", "Do you have a dog?"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/staff/navi/tenkyo/questions/pet?done=edited");
        let r = c.get(r.location()).await;
        assert!(
            r.body.contains("どの答えからもこの質問に進みません"),
            "a new question is unreachable until an answer leads to it: {}",
            r.body
        );
        post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/pet/move",
            &[("dir", "up")],
        )
        .await;
        let (f, _) = draft(&db, "tenkyo").await;
        let order: Vec<&str> = f.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(order, vec!["card", "kokuho", "elderly", "pet", "school"]);
        post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/pet/start",
            &[],
        )
        .await;
        assert_eq!(draft(&db, "tenkyo").await.0.start, "pet");
        // The first question cannot be deleted: refused, naming why, nothing changed.
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/pet/delete",
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("最初の質問は削除できません"), "{}", r.body);
        post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/card/start",
            &[],
        )
        .await;
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/pet/delete",
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let (f, _) = draft(&db, "tenkyo").await;
        assert!(f.question("pet").is_none());
        assert_eq!(f.start, "card");

        // 4. Edit a procedure: its condition (two clauses), section, counter, deadline,
        // 持ち物 with a condition, the catalogue link.
        let r = c.get("/staff/navi/tenkyo/procedures/kokuho").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("name=\"when-kokuho\" value=\"is\" checked"),
            "{}",
            r.body
        );
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/procedures/kokuho",
            &[
                ("name_ja", "国民健康保険の住所変更"),
                ("name_en", "NHI address change"),
                ("why_ja", "国保に入っているため"),
                ("department_ja", "国民健康保険課"),
                ("counter_ja", "第1庁舎 国民健康保険課"),
                ("counter_confirmed", "on"),
                ("counter_note", "市に確認済み（テスト）"),
                ("when_form", "on"),
                ("when-card", ""),
                ("when-kokuho", "is"),
                ("when-kokuho-v", "yes"),
                ("when-kokuho-v", "unknown"),
                ("when-elderly", "not"),
                ("when-elderly-v", "yes"),
                ("when-school", ""),
                ("deadline", "computed"),
                ("length", "14"),
                ("unit", "days"),
                ("count", "from_next_day"),
                ("rule_ja", "引っ越した日から14日以内"),
                ("basis", "国民健康保険法施行規則"),
                ("opens", ""),
                ("b-row", "0"),
                ("b0-ja", "保険証"),
                ("b0-en", ""),
                ("b0-if", ""),
                ("b-row", "1"),
                ("b1-ja", "マイナンバーカード"),
                ("b1-en", "My Number card"),
                ("b1-if", "card=yes,unknown"),
                ("b-row", "2"),
                ("b2-ja", ""),
                ("b2-if", ""),
                ("catalogue", "jido-teate-nintei"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let (f, _) = draft(&db, "tenkyo").await;
        let p = f.procedure("kokuho").expect("p");
        assert_eq!(p.name_ja, "国民健康保険の住所変更");
        assert!(p.counter_confirmed);
        assert_eq!(p.counter_note.as_deref(), Some("市に確認済み（テスト）"));
        assert_eq!(
            p.when,
            Some(Cond::All {
                all: vec![
                    Cond::Answer {
                        q: "kokuho".into(),
                        is: vec!["yes".into(), "unknown".into()]
                    },
                    Cond::Not {
                        not: Box::new(Cond::Answer {
                            q: "elderly".into(),
                            is: vec!["yes".into()]
                        })
                    },
                ]
            })
        );
        let d = p.deadline.as_ref().expect("deadline");
        assert_eq!(
            (d.length, d.rule_ja.as_str()),
            (14, "引っ越した日から14日以内")
        );
        assert_eq!(
            p.bring,
            vec![
                Bring::Text("保険証".into()),
                Bring::When {
                    ja: "マイナンバーカード".into(),
                    en: Some("My Number card".into()),
                    when: Cond::Answer {
                        q: "card".into(),
                        is: vec!["yes".into(), "unknown".into()]
                    }
                }
            ]
        );
        assert_eq!(p.catalogue.as_deref(), Some("jido-teate-nintei"));

        // 5. Add, move and delete a procedure.
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/procedures",
            &[
                ("id", "inu"),
                ("name_ja", "犬の登録の住所変更"),
                ("name_en", "Dog registration"),
            ],
        )
        .await;
        assert_eq!(
            r.location(),
            "/staff/navi/tenkyo/procedures/inu?done=edited"
        );
        post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/procedures/inu/move",
            &[("dir", "up")],
        )
        .await;
        let (f, _) = draft(&db, "tenkyo").await;
        let order: Vec<&str> = f.procedures.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            order,
            vec!["tenkyo", "mynumber", "kokuho", "kourei", "inu", "gakku"]
        );
        post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/procedures/inu/delete",
            &[],
        )
        .await;
        assert!(draft(&db, "tenkyo").await.0.procedure("inu").is_none());

        // Every change was audited one by one, and residents still see version 1 unchanged.
        assert_eq!(edits(&db).await, 13);
        assert_eq!(published(&db, "tenkyo").await, before);
        let mut resident = app.client(ICHIKAWA_HOST);
        let r = resident.get("/navi/tenkyo?date=&card=yes").await;
        assert!(r.body.contains("国民健康保険に入っている方はいますか？"));
        assert!(!r.body.contains("（改）"));
        // The preview shows the draft.
        let r = c.get("/staff/navi/tenkyo/preview?date=&card=yes").await;
        assert!(r.body.contains("（改）"), "{}", r.body);
        assert_audit_intact(&db).await;
    }
);

db_test!(bad_input_is_refused_naming_the_field, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = admin(&app).await;
    c.post_form("/staff/navi/shussei/draft", &[]).await;
    let (before, _) = draft(&db, "shussei").await;
    let n = edits(&db).await;
    // An id with capitals and spaces.
    let r = post(
        &mut c,
        &db,
        "shussei",
        "/staff/navi/shussei/questions",
        &[
            ("id", "Twin Babies"),
            ("text_ja", "双子ですか？"),
            ("text_en", "Twins?"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("href=\"#f-new-id\""), "{}", r.body);
    assert!(r.body.contains("半角の英小文字"), "{}", r.body);
    // An empty button text, named by its answer number.
    let r = post(
        &mut c,
        &db,
        "shussei",
        "/staff/navi/shussei/questions/weight",
        &[
            ("text_ja", "2,500グラム未満？"),
            ("text_en", "Under 2,500 g?"),
            ("o-value", "yes"),
            ("o0-label_ja", "はい"),
            ("o0-label_en", "Yes"),
            ("o-value", "no"),
            ("o1-label_ja", " "),
            ("o1-label_en", "No"),
            ("o-value", "unknown"),
            ("o2-label_ja", "わからない"),
            ("o2-label_en", "Not sure"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("答え2のボタンの文字（日本語）"),
        "{}",
        r.body
    );
    // A deadline that is not a number; a 持ち物 condition naming no question.
    let mut proc_form = vec![
        ("name_ja", "出生届"),
        ("name_en", "Birth"),
        ("why_ja", "w"),
        ("department_ja", "市民課"),
        ("counter_ja", "1階"),
        ("deadline", "computed"),
        ("length", "十四"),
        ("rule_ja", "14日"),
    ];
    let r = post(
        &mut c,
        &db,
        "shussei",
        "/staff/navi/shussei/procedures/shussei",
        &proc_form,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("期間の長さ（数字）"), "{}", r.body);
    assert!(r.body.contains("1から3650までの数字"), "{}", r.body);
    proc_form[6] = ("length", "14");
    proc_form.extend([
        ("b-row", "0"),
        ("b0-ja", "母子手帳"),
        ("b0-if", "nosuch=yes"),
    ]);
    let r = post(
        &mut c,
        &db,
        "shussei",
        "/staff/navi/shussei/procedures/shussei",
        &proc_form,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("持ち物1の表示する条件"), "{}", r.body);
    // A stale revision (someone saved in between) changes nothing either.
    let r = c
        .post_form(
            "/staff/navi/shussei/questions/weight/move",
            &[("dir", "up"), ("rev", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(draft(&db, "shussei").await.0, before);
    assert_eq!(edits(&db).await, n);
    // Staff who may not edit get 403 for every change.
    let mut dx = app.client(ICHIKAWA_HOST);
    dx.post_form(
        "/staff/login",
        &[
            ("email", "dx@city.ichikawa.example.jp"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let r = dx
        .post_form(
            "/staff/navi/shussei/questions/weight/move",
            &[("dir", "up"), ("rev", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(draft(&db, "shussei").await.0, before);
});

db_test!(
    publish_is_refused_with_the_path_and_question_in_japanese,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut c = admin(&app).await;
        c.post_form("/staff/navi/tenkyo/draft", &[]).await;
        // Every answer of `elderly` now ends the questions, so `school` is unreachable.
        let mut form: Vec<(&str, &str)> = vec![
            (
                "text_ja",
                "65歳以上の方、または介護保険の認定を受けている方がいますか？",
            ),
            ("text_en", "Anyone 65+?"),
        ];
        let (f, _) = draft(&db, "tenkyo").await;
        let q = f.question("elderly").expect("q").clone();
        let labels: Vec<(String, String, String)> = q
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| (o.value.clone(), o.label_ja.clone(), format!("o{i}")))
            .collect();
        let keys: Vec<(String, String, String)> = labels
            .iter()
            .map(|(_, _, p)| {
                (
                    format!("{p}-label_ja"),
                    format!("{p}-label_en"),
                    format!("{p}-next"),
                )
            })
            .collect();
        for ((v, l, _), (kj, ke, kn)) in labels.iter().zip(&keys) {
            form.push(("o-value", v));
            form.push((kj, l));
            form.push((ke, "x"));
            form.push((kn, ""));
        }
        let r = post(
            &mut c,
            &db,
            "tenkyo",
            "/staff/navi/tenkyo/questions/elderly",
            &form,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // Every procedure listed only for card holders: the paths with card=no end without any.
        let (f, _) = draft(&db, "tenkyo").await;
        let ids: Vec<String> = f.procedures.iter().map(|p| p.id.clone()).collect();
        for id in &ids {
            let p = f.procedure(id).expect("p");
            let mut pf: Vec<(&str, &str)> = vec![
                ("name_ja", &p.name_ja),
                ("name_en", &p.name_en),
                ("why_ja", &p.why_ja),
                ("department_ja", &p.department_ja),
                ("counter_ja", &p.counter_ja),
                ("when_form", "on"),
                ("when-card", "is"),
                ("when-card-v", "yes"),
                ("deadline", "text"),
            ];
            if p.elsewhere {
                pf.push(("elsewhere", "on"));
            }
            let r = post(
                &mut c,
                &db,
                "tenkyo",
                &format!("/staff/navi/tenkyo/procedures/{id}"),
                &pf,
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{id}: {}", r.body);
        }
        let r = c.get("/staff/navi/tenkyo").await;
        assert!(
            r.body.contains("どの答えからもたどり着けない質問です"),
            "{}",
            r.body
        );
        let r = c.post_form("/staff/navi/tenkyo/publish", &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // The unreachable question by its Japanese text, linked to its page.
        assert!(
            r.body
                .contains("href=\"/staff/navi/tenkyo/questions/school\""),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains("「小学校・中学校に通うお子さんはいますか？」（school）"),
            "{}",
            r.body
        );
        // The path without an outcome, as question → answer in Japanese.
        assert!(
            r.body
                .contains("「引っ越した方は、マイナンバーカードをお持ちですか？」→「いいえ」"),
            "{}",
            r.body
        );
        assert_eq!(published(&db, "tenkyo").await.0, 1);
    }
);

db_test!(a_flow_goes_out_and_back_in_as_a_file, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = admin(&app).await;
    // Without a draft, the export is the live flow.
    let r = c.get("/staff/navi/konin/export").await;
    assert_eq!(r.status, StatusCode::OK);
    let flow = Flow::from_json(&r.body).expect("the export parses");
    assert_eq!(flow, model::shipped("konin").expect("shipped"));
    // Import a changed file: it becomes the draft (created), audited; residents unchanged.
    let mut changed = flow.clone();
    changed.questions[0].text_ja.push_str("（ファイル）");
    let r = c
        .post_file(
            "/staff/navi/konin/import",
            &[],
            "file",
            "navi-konin.json",
            "application/json",
            changed.to_json_pretty().as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(draft(&db, "konin").await.0, changed);
    assert_eq!(published(&db, "konin").await.0, 1);
    assert!(
        audit_actions(&db)
            .await
            .iter()
            .any(|a| a == "navi.draft_imported")
    );
    let r = c.get("/staff/navi/konin/export").await;
    assert!(
        r.body.contains("（ファイル）"),
        "the export is now the draft"
    );
    // Another event's file, and a file that is not a flow, are refused; the draft stays.
    let other = model::shipped("rikon").expect("shipped").to_json_pretty();
    let r = c
        .post_file(
            "/staff/navi/konin/import",
            &[],
            "file",
            "navi-rikon.json",
            "application/json",
            other.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("別の出来事の流れです"), "{}", r.body);
    let r = c
        .post_file(
            "/staff/navi/konin/import",
            &[],
            "file",
            "x.json",
            "application/json",
            b"{\"event\": ",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(draft(&db, "konin").await.0, changed);
    // The JSON editor is the "advanced" page.
    let r = c.get("/staff/navi/konin/json").await;
    assert!(r.body.contains("id=\"f-definition\""), "{}", r.body);
    assert!(r.body.contains("（ファイル）"));
    let r = c.get("/staff/navi/konin").await;
    assert!(!r.body.contains("id=\"f-definition\""));
    assert!(r.body.contains("href=\"/staff/navi/konin/json\""));
});

db_test!(
    the_editor_lists_unconfirmed_counters_and_the_api_moves_closed_days,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut c = admin(&app).await;
        let r = c.get("/staff/navi/shibo").await;
        let shibo = model::shipped("shibo").expect("shipped");
        let unconfirmed = shibo
            .procedures
            .iter()
            .filter(|p| !p.counter_confirmed && !p.elsewhere)
            .count();
        assert!(unconfirmed > 0);
        assert!(
            r.body
                .contains(&format!("確認できていない手続きが {unconfirmed} 件")),
            "{}",
            r.body
        );
        assert!(r.body.contains("要確認"));
        // A resident sees 「場所は総合受付でご確認ください」 where the counter is a guess.
        let mut resident = app.client(ICHIKAWA_HOST);
        let r = resident
            .get("/navi/shibo?date=2025-11-18&setainushi=no&insurance=work&kaigo=no&pension=no&techo=yes&jidoteate=no")
            .await;
        assert!(
            r.body
                .contains("第1庁舎2階 障がい者支援課（場所は総合受付でご確認ください）"),
            "{}",
            r.body
        );
        // The closed-day move on the page and in the API (振替休日 2025-11-24).
        assert!(
            r.body
                .contains("閉庁日（振替休日）のため、次の開庁日（2025年11月25日（火））まで"),
            "{}",
            r.body
        );
        let r = resident
            .get("/api/v1/navi/events/shibo/checklist?date=2025-11-18&setainushi=no&insurance=work&kaigo=no&pension=no&techo=no&jidoteate=no")
            .await;
        let v = r.json();
        let item = &v["checklist"][0];
        assert_eq!(item["id"], "shibo");
        assert_eq!(item["due"], "2025-11-24", "the period's end, as before");
        assert_eq!(item["last_open_day"], "2025-11-25");
        assert!(
            item["due_moved"]
                .as_str()
                .is_some_and(|s| s.contains("振替休日")),
            "{item}"
        );
        // An open day: the same date, nothing moved.
        let r = resident
            .get("/api/v1/navi/events/shibo/checklist?date=2026-04-01&setainushi=no&insurance=work&kaigo=no&pension=no&techo=no&jidoteate=no")
            .await;
        let item = &r.json()["checklist"][0];
        assert_eq!(item["due"], item["last_open_day"]);
        assert!(item["due_moved"].is_null());
    }
);
