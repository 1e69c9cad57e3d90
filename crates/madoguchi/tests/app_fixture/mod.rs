//! Shared set-up of the application tests: the demo city with a published form for 住民票の写し
//! (juminhyo), made `signed_in` and given a 標準処理期間 of 7 days, plus a reviewer and a
//! staff member of another department.

use madoguchi::admin::{self, NewAccount};
use madoguchi::auth::Role;
use madoguchi::db::Db;
use madoguchi::procedures::application::{Applicant, Idempotency, NewApplication};
use madoguchi::procedures::form::def::FormDefinition;
use serde_json::{Map, Value, json};

use crate::common::{exec, fetch_raw};
use crate::support::TestApp;

pub const ICHIKAWA: &str = madoguchi::demo::ICHIKAWA;
pub const SHISUI: &str = madoguchi::demo::SHISUI;
pub const PASSWORD: &str = madoguchi::demo::PASSWORD;
pub const HANAKO: &str = "hanako@example.jp";
pub const SHIMIN_STAFF: &str = "shimin@city.ichikawa.example.jp";
pub const ADMIN: &str = "admin@city.ichikawa.example.jp";
pub const DX: &str = "dx@city.ichikawa.example.jp";
pub const REVIEWER: &str = "shinsa@city.ichikawa.example.jp";
pub const OTHER_DEPT: &str = "nozei@city.ichikawa.example.jp";
pub const OTHER_RESIDENT: &str = "jiro@example.jp";

pub struct Fixture {
    pub procedure_id: i64,
    pub form_version_id: i64,
    pub slug: &'static str,
    pub hanako: i64,
    pub shimin_dept: i64,
    pub reviewer: i64,
    pub shimin_staff: i64,
}

pub fn definition() -> FormDefinition {
    serde_json::from_value(json!({
        "format": 1,
        "title_ja": "住民票の写しの交付請求",
        "title_en": "Residence record copy",
        "pages": [{
            "id": "main",
            "title_ja": "請求の内容",
            "title_en": "Request",
            "fields": [
                {"id": "full_name", "label_ja": "氏名", "label_en": "Name", "type": "text"},
                {"id": "copies", "label_ja": "通数", "label_en": "Copies", "type": "number", "min": 1, "max": 10},
                {"id": "purpose", "label_ja": "使いみち", "label_en": "Purpose", "type": "text", "required": false},
                {"id": "proof", "label_ja": "本人確認書類", "label_en": "Proof of identity", "type": "file",
                 "accept": ["application/pdf"], "max_bytes": 1000000, "required": false}
            ]
        }],
        "computed": [{"id": "fee", "label_ja": "手数料", "label_en": "Fee", "expr": {"const": 300}, "yen": true}]
    }))
    .expect("test definition")
}

pub fn answers(name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("full_name".into(), json!(name));
    m.insert("copies".into(), json!(1));
    m
}

async fn user_id(db: &Db, email: &str) -> i64 {
    let rows: Vec<(i64,)> = fetch_raw(
        db,
        &format!("SELECT id FROM users WHERE email = '{email}' AND municipality_id = '{ICHIKAWA}'"),
    )
    .await;
    rows.first()
        .map(|r| r.0)
        .unwrap_or_else(|| panic!("no user {email}"))
}

impl Fixture {
    pub async fn new(app: &TestApp) -> Fixture {
        let db = &app.db;
        exec(
            db,
            "UPDATE procedures SET processing_days = 7, identity_level = 'signed_in', online = TRUE \
             WHERE slug = 'juminhyo' AND municipality_id = '122033'",
        )
        .await;
        let procedure_id: Vec<(i64,)> = fetch_raw(
            db,
            "SELECT id FROM procedures WHERE slug = 'juminhyo' AND municipality_id = '122033'",
        )
        .await;
        let procedure_id = procedure_id[0].0;
        let mut tx = db.begin().await.expect("tx");
        let form_version_id = madoguchi::procedures::form::store::insert(
            &mut tx,
            ICHIKAWA,
            procedure_id,
            1,
            "published",
            &definition(),
            None,
        )
        .await
        .expect("form version");
        tx.commit().await.expect("commit");
        for (email, name, staff) in [
            (REVIEWER, "審査 二郎", Some(("shimin", Role::Reviewer))),
            (
                OTHER_DEPT,
                "納税 三子",
                Some(("nozei", Role::DepartmentStaff)),
            ),
            (OTHER_RESIDENT, "市川 次郎", None),
        ] {
            admin::create_account(
                db,
                NewAccount {
                    municipality: ICHIKAWA,
                    email,
                    name,
                    password: PASSWORD,
                    staff,
                },
            )
            .await
            .expect("account");
        }
        let dept: Vec<(i64,)> = fetch_raw(
            db,
            "SELECT id FROM departments WHERE code = 'shimin' AND municipality_id = '122033'",
        )
        .await;
        Fixture {
            procedure_id,
            form_version_id,
            slug: "juminhyo",
            hanako: user_id(db, HANAKO).await,
            shimin_dept: dept[0].0,
            reviewer: user_id(db, REVIEWER).await,
            shimin_staff: user_id(db, SHIMIN_STAFF).await,
        }
    }

    pub fn new_app(&self, answers: Map<String, Value>, key: Option<&str>) -> NewApplication {
        NewApplication {
            procedure_id: self.procedure_id,
            form_version_id: self.form_version_id,
            answers,
            computed: vec![("fee".into(), 300)],
            applicant: Applicant::Resident {
                user_id: self.hanako,
                name: "市川 花子".into(),
                email: HANAKO.into(),
            },
            idempotency: key.map(|k| Idempotency {
                scope: format!("user:{}", self.hanako),
                key: k.into(),
            }),
            draft_id: None,
        }
    }
}

pub async fn count_applications(db: &Db) -> i64 {
    let rows: Vec<(i64,)> = fetch_raw(db, "SELECT COUNT(*) FROM applications").await;
    rows[0].0
}

pub async fn insert_attachment(
    db: &Db,
    municipality: &str,
    public_id: &str,
    owner: Option<i64>,
    draft: Option<i64>,
) {
    let owner = owner.map_or("NULL".to_owned(), |o| o.to_string());
    let draft = draft.map_or("NULL".to_owned(), |d| d.to_string());
    let blob = match db.backend() {
        madoguchi::db::Backend::Sqlite => "X'616263'",
        madoguchi::db::Backend::Postgres => "'\\x616263'::bytea",
    };
    exec(
        db,
        &format!(
            "INSERT INTO attachments (municipality_id, public_id, draft_id, owner_user_id, field_path, \
             filename, content_type, size_bytes, sha256, data, created_at) VALUES ('{municipality}', \
             '{public_id}', {draft}, {owner}, 'proof', 'a.pdf', 'application/pdf', 3, 'x', {blob}, 0)"
        ),
    )
    .await;
}

pub async fn insert_draft(db: &Db, municipality: &str, procedure: i64, version: i64) -> i64 {
    exec(
        db,
        &format!(
            "INSERT INTO application_drafts (municipality_id, procedure_id, form_version_id, email, \
             answers, created_at, updated_at, expires_at) VALUES ('{municipality}', {procedure}, \
             {version}, 'ichiro@example.jp', '{{}}', 0, 0, 9999999999999)"
        ),
    )
    .await;
    let rows: Vec<(i64,)> = fetch_raw(db, "SELECT MAX(id) FROM application_drafts").await;
    rows[0].0
}
