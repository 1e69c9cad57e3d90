//! Demo data: 市川市 (default) and a second small town, 酒々井町, with departments, staff and
//! residents (see ../shared/reference/ichikawa.md), and their procedure catalogues
//! (`procedures::demo`). Loading is idempotent.

use crate::admin::{self, NewAccount};
use crate::auth::{Kind, Role, store};
use crate::config::Config;
use crate::db::Db;

pub const PASSWORD: &str = "demo-password-2026";
pub const ICHIKAWA: &str = "122033";
pub const SHISUI: &str = "123226";

pub struct DemoAccount {
    pub municipality: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub staff: Option<(&'static str, Role)>,
}

pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        municipality: ICHIKAWA,
        email: "hanako@example.jp",
        name: "市川 花子",
        staff: None,
    },
    DemoAccount {
        municipality: ICHIKAWA,
        email: "admin@city.ichikawa.example.jp",
        name: "行政 太郎",
        staff: Some(("joho-system", Role::Admin)),
    },
    DemoAccount {
        municipality: ICHIKAWA,
        email: "shimin@city.ichikawa.example.jp",
        name: "窓口 一美",
        staff: Some(("shimin", Role::DepartmentStaff)),
    },
    DemoAccount {
        municipality: ICHIKAWA,
        email: "shimin-review@city.ichikawa.example.jp",
        name: "審査 光子",
        staff: Some(("shimin", Role::Reviewer)),
    },
    DemoAccount {
        municipality: ICHIKAWA,
        email: "dx@city.ichikawa.example.jp",
        name: "推進 健",
        staff: Some(("gyosei-dx", Role::DxPromoter)),
    },
    DemoAccount {
        municipality: SHISUI,
        email: "taro@example.jp",
        name: "酒々井 太郎",
        staff: None,
    },
    DemoAccount {
        municipality: SHISUI,
        email: "admin@town.shisui.example.jp",
        name: "町役 次郎",
        staff: Some(("somu", Role::Admin)),
    },
];

/// Departments (課) from the city's organisation (ichikawa.md §3).
const ICHIKAWA_DEPARTMENTS: &[(&str, &str, &str)] = &[
    (
        "gyosei-dx",
        "行政経営・DX課",
        "Administrative Management and DX Division",
    ),
    (
        "joho-system",
        "情報システム課",
        "Information Systems Division",
    ),
    ("shimin", "市民課", "Citizens Division"),
    (
        "nozei",
        "納税・債権管理課",
        "Tax Collection and Receivables Division",
    ),
    (
        "kokuho",
        "国民健康保険課",
        "National Health Insurance Division",
    ),
    ("kaigo", "介護保険課", "Long-term Care Insurance Division"),
    ("koho", "広報広聴課", "Public Relations Division"),
    ("doro-kanri", "道路管理課", "Road Management Division"),
    ("keiyaku", "契約課", "Contracts Division"),
    ("shakai-kyoiku", "社会教育課", "Social Education Division"),
    (
        "chiiki-hokatsu",
        "地域包括支援課",
        "Community Comprehensive Support Division",
    ),
    ("sports", "スポーツ課", "Sports Division"),
    // Added for the procedure catalogue; names from ichikawa.md §3 ([KOHO2511], [FLOOR]).
    ("kodomo-kyufu", "子育て給付課", "Child Benefits Division"),
    (
        "kodomo-nyuen",
        "こども施設入園課",
        "Childcare Admissions Division",
    ),
    ("kenko-shien", "健康支援課", "Health Support Division"),
    ("kodomo-fukushi", "こども福祉課", "Child Welfare Division"),
    ("kiki-kanri", "危機管理課", "Crisis Management Division"),
    ("shiminzei", "市民税課", "Municipal Tax Division"),
];

const SHISUI_DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("somu", "総務課", "General Affairs Division"),
    ("jumin", "住民課", "Residents Division"),
];

/// Host names the demo maps to each municipality.
pub fn demo_config(mut cfg: Config) -> Config {
    for h in ["127.0.0.1", "localhost", "ichikawa.localhost"] {
        cfg.hosts.entry(h.into()).or_insert_with(|| ICHIKAWA.into());
    }
    cfg.hosts
        .entry("shisui.localhost".into())
        .or_insert_with(|| SHISUI.into());
    cfg.default_municipality
        .get_or_insert_with(|| ICHIKAWA.into());
    // The SANDBOX payment provider mounted on the demo server (docs/payments.md).
    if cfg.payments.secret_key.is_empty() {
        cfg.payments.secret_key = "sk_sandbox_demo".into();
    }
    if cfg.payments.webhook_secret.is_empty() {
        cfg.payments.webhook_secret = "whsec_sandbox_demo".into();
    }
    crate::debit::demo::config(&mut cfg);
    cfg.documents
        .municipalities
        .entry(ICHIKAWA.into())
        .or_insert_with(|| crate::documents::MunicipalityDocs {
            mayor: "市川市長　田中　甲".into(),
            seal_path: crate::documents::BUILTIN_DEMO_SEAL.into(),
            contact: "〒272-8501 千葉県市川市八幡1丁目1番1号　電話 047-334-1111（代表）".into(),
        });
    cfg
}

pub async fn load(db: &Db) -> anyhow::Result<()> {
    admin::create_municipality(db, ICHIKAWA, "市川市", "Ichikawa City").await?;
    admin::create_municipality(db, SHISUI, "酒々井町", "Shisui Town").await?;
    for (code, ja, en) in ICHIKAWA_DEPARTMENTS {
        admin::create_department(db, ICHIKAWA, code, ja, en).await?;
    }
    for (code, ja, en) in SHISUI_DEPARTMENTS {
        admin::create_department(db, SHISUI, code, ja, en).await?;
    }
    for a in ACCOUNTS {
        let kind = if a.staff.is_some() {
            Kind::Staff
        } else {
            Kind::Resident
        };
        if store::find_user_by_email(db, a.municipality, kind, a.email)
            .await?
            .is_some()
        {
            continue;
        }
        admin::create_account(
            db,
            NewAccount {
                municipality: a.municipality,
                email: a.email,
                name: a.name,
                password: PASSWORD,
                staff: a.staff,
            },
        )
        .await?;
    }
    // The catalogue, with the shipped forms published and their procedures online.
    crate::procedures::editor::demo::load(db).await?;
    // 戸籍証明書等の交付請求 is paid before the city works on it.
    crate::payments::demo::load(db).await?;
    // 郵便番号 data for 千葉県 (national table; loaded only while it is empty).
    crate::postal::load_demo(db).await?;
    // 手続きナビ: the shipped flows as version 1 of each municipality.
    for m in [ICHIKAWA, SHISUI] {
        crate::navi::versions::load_shipped(db, m).await?;
    }
    crate::debit::demo::load(db).await?;
    crate::facilities::demo::load(db).await?;
    Ok(())
}
