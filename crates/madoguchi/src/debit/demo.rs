//! Demo data of Web口座振替: the bank master extract for the demo's 9 banks, the banks and the
//! 15 items 市川市 offers (as a city would; Ichikawa's real list is unconfirmed, see
//! docs/debit.md), a staff member of 納税・債権管理課, sample mandates taken on paper at several
//! banks and a billing CSV for them, so an export from a fresh `madoguchi demo` gives real
//! records. Idempotent.

use super::config::{Consignor, DebitBankConfig, LineEnding, Padding};
use super::store::{self, NewMandate};
use crate::admin::{self, NewAccount};
use crate::audit::Actor;
use crate::auth::{Kind, Role};
use crate::config::Config;
use crate::db::{Db, now_ms};

pub const ICHIKAWA: &str = crate::demo::ICHIKAWA;
pub const SHISUI: &str = crate::demo::SHISUI;

/// The demo's 9 banks (candidates from neighbouring cities' lists, not Ichikawa's confirmed
/// list: ../shared/reference/ichikawa.md §6).
pub const ICHIKAWA_BANKS: &[&str] = &[
    "0134", "0135", "0522", "9900", "0001", "0005", "0009", "0010", "1260",
];
pub const SHISUI_BANKS: &[&str] = &["0134", "0135", "9900"];

/// (code, 日本語, English)
pub const ICHIKAWA_ITEMS: &[(&str, &str, &str)] = &[
    (
        "shikenmin",
        "市県民税（普通徴収）",
        "Municipal and prefectural inhabitant tax (ordinary collection)",
    ),
    (
        "kotei",
        "固定資産税・都市計画税",
        "Fixed asset tax and city planning tax",
    ),
    ("keijidosha", "軽自動車税（種別割）", "Light vehicle tax"),
    ("kokuho", "国民健康保険税", "National health insurance tax"),
    ("kaigo", "介護保険料", "Long-term care insurance premium"),
    (
        "kouki",
        "後期高齢者医療保険料",
        "Late-stage elderly medical insurance premium",
    ),
    ("hoiku", "保育料", "Nursery fee"),
    ("kyushoku", "学校給食費", "School lunch fee"),
    ("gakudo", "放課後保育クラブ保育料", "After-school club fee"),
    ("yochien", "市立幼稚園保育料", "Municipal kindergarten fee"),
    ("shiei", "市営住宅使用料", "Municipal housing rent"),
    (
        "shiei-parking",
        "市営住宅駐車場使用料",
        "Municipal housing parking fee",
    ),
    ("reien", "霊園管理料", "Cemetery management fee"),
    ("shinyo", "し尿くみ取り手数料", "Night-soil collection fee"),
    (
        "jido-hattatsu",
        "児童発達支援利用者負担金",
        "Child development support fee",
    ),
];

pub const SHISUI_ITEMS: &[(&str, &str, &str)] = &[
    (
        "juminzei",
        "町県民税（普通徴収）",
        "Town and prefectural inhabitant tax",
    ),
    ("kotei", "固定資産税", "Fixed asset tax"),
    ("kokuho", "国民健康保険税", "National health insurance tax"),
];

pub const STAFF_EMAIL: &str = "koufuri@city.ichikawa.example.jp";

/// The demo's bank settings: a secret per bank (the bank SANDBOX on this server plays them all),
/// and 市川市 as 委託者 at each. ゆうちょ gets 120-byte records without line ends and
/// space-filled 顧客番号, to show the per-bank settings.
pub fn config(cfg: &mut Config) {
    for code in ICHIKAWA_BANKS {
        let b = cfg
            .debit
            .banks
            .entry((*code).to_owned())
            .or_insert_with(|| DebitBankConfig {
                secret: format!("demo-bank-secret-{code}"),
                ..DebitBankConfig::default()
            });
        if *code == "9900" {
            b.line_ending = LineEnding::None;
            b.customer_number = Padding::Space;
        }
        b.consignors
            .entry(ICHIKAWA.to_owned())
            .or_insert_with(|| Consignor {
                code: format!("122033{code}"),
                name: "ｲﾁｶﾜｼ".into(),
                branch: match *code {
                    "0134" => "011".into(),
                    "9900" => "008".into(),
                    "0522" => "080".into(),
                    "0135" => "110".into(),
                    "0010" => "005".into(),
                    _ => "001".into(),
                },
                account_type: 1,
                account_number: "1234567".into(),
            });
        if SHISUI_BANKS.contains(code) {
            b.consignors
                .entry(SHISUI.to_owned())
                .or_insert_with(|| Consignor {
                    code: format!("123226{code}"),
                    name: "ｼｽｲﾏﾁ".into(),
                    branch: "001".into(),
                    account_type: 1,
                    account_number: "7654321".into(),
                });
        }
    }
}

/// Paper mandates of fictional residents: (顧客番号, bank, branch, holder, items).
const SAMPLES: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "9000000001",
        "0134",
        "011",
        "ｲﾁｶﾜ ｲﾁﾛｳ",
        &["shikenmin", "kokuho"],
    ),
    ("9000000002", "0134", "012", "ﾔﾜﾀ ｻﾁｺ", &["kotei"]),
    ("9000000003", "0522", "080", "ｷﾞﾖｳﾄｸ ｼﾞﾛｳ", &["kokuho"]),
    ("9000000004", "9900", "008", "ﾏﾏ ﾊﾙｴ", &["kaigo", "kouki"]),
    ("9000000005", "0001", "001", "ｵｵﾏﾁ ｹﾝ", &["keijidosha"]),
    (
        "9000000006",
        "0005",
        "001",
        "ｺｳﾉﾀﾞｲ ﾐｷ",
        &["hoiku", "kyushoku"],
    ),
];

pub const DEMO_BILLS: &str = include_str!("../../data/debit/demo-bills.csv");

pub async fn load(db: &Db) -> anyhow::Result<()> {
    let data = super::banks::demo_data()?;
    let mut none = |_: usize, _: usize| {};
    super::banks::import(db, &data, 0, &Actor::System, &mut none).await?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    store::set_accepted_banks(&mut tx, ICHIKAWA, ICHIKAWA_BANKS).await?;
    store::set_accepted_banks(&mut tx, SHISUI, SHISUI_BANKS).await?;
    for (m, items) in [(ICHIKAWA, ICHIKAWA_ITEMS), (SHISUI, SHISUI_ITEMS)] {
        for (i, (code, ja, en)) in items.iter().enumerate() {
            store::put_item(&mut tx, m, i as i64, code, ja, en).await?;
        }
    }
    let have = store::mandate_keys_tx(&mut tx, ICHIKAWA).await?;
    let mut added = false;
    for (cn, bank, branch, holder, items) in SAMPLES {
        if have.iter().any(|k| k.customer_number == *cn) {
            continue;
        }
        let items: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
        let public_id = uuid::Uuid::new_v4().simple().to_string();
        store::insert_mandate(
            &mut tx,
            &NewMandate {
                municipality: ICHIKAWA,
                customer_number: Some(cn),
                public_id: &public_id,
                resident_id: None,
                channel: "paper",
                bank_code: bank,
                branch_code: branch,
                account_type: 1,
                account_number: &format!("00{}", &cn[5..]),
                holder_kana: holder,
                status: "active",
                starts_on: Some("2026-04-01"),
                bank_nonce: None,
                bank_expires_at: None,
                activated_at: Some(now),
                items: &items,
                now,
            },
        )
        .await?;
        added = true;
    }
    tx.commit().await?;
    if added {
        super::bills::import(db, ICHIKAWA, DEMO_BILLS.as_bytes(), &Actor::System).await?;
    }
    if crate::auth::store::find_user_by_email(db, ICHIKAWA, Kind::Staff, STAFF_EMAIL)
        .await?
        .is_none()
    {
        admin::create_account(
            db,
            NewAccount {
                municipality: ICHIKAWA,
                email: STAFF_EMAIL,
                name: "納税 振子",
                password: crate::demo::PASSWORD,
                staff: Some(("nozei", Role::DepartmentStaff)),
            },
        )
        .await?;
    }
    Ok(())
}
