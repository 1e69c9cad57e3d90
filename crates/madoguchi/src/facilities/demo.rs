//! Demo facilities of 市川市 (ichikawa.md §4–5: names, addresses and phones from the city's
//! open data): 11 facilities whose registration is online (the plan's KPI target for FY2025)
//! and two that still register on paper. Rooms, fees, terms and rules are plausible demo
//! values, not the city's published tariffs (unconfirmed). Also the 施設利用者登録 procedure
//! and one open lottery for the I-link hall. Loading twice changes nothing.

use serde_json::json;

use super::{lottery, model, store};
use crate::audit::{self, Actor};
use crate::db::{Db, now_ms};
use crate::demo::ICHIKAWA;

#[derive(Clone, Copy)]
enum Kind {
    Kominkan,
    Taiikukan,
    Shukai,
    Tennis,
}

struct Fac {
    code: &'static str,
    name_ja: &'static str,
    name_en: &'static str,
    kind: Kind,
    address: &'static str,
    phone: &'static str,
    online: bool,
}

const FACILITIES: &[Fac] = &[
    Fac {
        code: "onitaka",
        name_ja: "鬼高公民館",
        name_en: "Onitaka Community Centre",
        kind: Kind::Kominkan,
        address: "市川市鬼高2-12-23",
        phone: "047-334-2612",
        online: true,
    },
    Fac {
        code: "shintoku",
        name_ja: "信篤公民館",
        name_en: "Shintoku Community Centre",
        kind: Kind::Kominkan,
        address: "市川市高谷1-8-1",
        phone: "047-327-6807",
        online: true,
    },
    Fac {
        code: "tobu",
        name_ja: "東部公民館",
        name_en: "Tobu Community Centre",
        kind: Kind::Kominkan,
        address: "市川市本北方3-19-16",
        phone: "047-337-8886",
        online: true,
    },
    Fac {
        code: "ichikawa",
        name_ja: "市川公民館",
        name_en: "Ichikawa Community Centre",
        kind: Kind::Kominkan,
        address: "市川市市川2-33-2",
        phone: "047-321-1171",
        online: true,
    },
    Fac {
        code: "gyotoku",
        name_ja: "行徳公民館",
        name_en: "Gyotoku Community Centre",
        kind: Kind::Kominkan,
        address: "市川市末広1-1-31",
        phone: "047-356-0763",
        online: true,
    },
    Fac {
        code: "minami-gyotoku",
        name_ja: "南行徳公民館",
        name_en: "Minami-Gyotoku Community Centre",
        kind: Kind::Kominkan,
        address: "市川市相之川1-3-7",
        phone: "047-356-7371",
        online: true,
    },
    Fac {
        code: "konodai-gym",
        name_ja: "国府台市民体育館（市川市スポーツセンター）",
        name_en: "Konodai Gymnasium (Ichikawa Sports Centre)",
        kind: Kind::Taiikukan,
        address: "市川市国府台1-6-4",
        phone: "047-373-3111",
        online: true,
    },
    Fac {
        code: "shiohama-gym",
        name_ja: "塩浜市民体育館",
        name_en: "Shiohama Gymnasium",
        kind: Kind::Taiikukan,
        address: "市川市塩浜4-9-1",
        phone: "047-398-2311",
        online: true,
    },
    Fac {
        code: "shintoku-gym",
        name_ja: "信篤市民体育館",
        name_en: "Shintoku Gymnasium",
        kind: Kind::Taiikukan,
        address: "市川市高谷1-8-2",
        phone: "047-327-6336",
        online: true,
    },
    Fac {
        code: "i-link",
        name_ja: "I-linkルーム・ホール",
        name_en: "I-link Room and Hall",
        kind: Kind::Shukai,
        address: "市川市市川南1-10-1 ザ・タワーズ・イースト3階",
        phone: "047-704-3120",
        online: true,
    },
    Fac {
        code: "shioyaki-tennis",
        name_ja: "塩焼中央公園テニスコート",
        name_en: "Shioyaki Central Park Tennis Court",
        kind: Kind::Tennis,
        address: "市川市塩焼5-6",
        phone: "047-399-2933",
        online: true,
    },
    Fac {
        code: "ono",
        name_ja: "大野公民館",
        name_en: "Ono Community Centre",
        kind: Kind::Kominkan,
        address: "市川市南大野2-3-19",
        phone: "047-339-3400",
        online: false,
    },
    Fac {
        code: "kitaichikawa-tennis",
        name_ja: "J:COM北市川スポーツパーク テニスコート",
        name_en: "J:COM Kita-Ichikawa Sports Park Tennis Courts",
        kind: Kind::Tennis,
        address: "市川市柏井町4-277-1",
        phone: "",
        online: false,
    },
];

/// (code, name_ja, name_en, capacity, opens, closes, slot minutes, fee 市民等, fee others,
/// atoms: codes of the rooms it combines, empty for an atomic room).
type RoomSpec = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    &'static [&'static str],
);

fn rooms(kind: Kind) -> &'static [RoomSpec] {
    match kind {
        Kind::Kominkan => &[
            (
                "study1",
                "第1学習室",
                "Study room 1",
                30,
                540,
                1260,
                180,
                600,
                1200,
                &[],
            ),
            (
                "study2",
                "第2学習室",
                "Study room 2",
                30,
                540,
                1260,
                180,
                600,
                1200,
                &[],
            ),
            (
                "hall",
                "大会議室（第1・第2学習室）",
                "Large hall (study rooms 1 and 2)",
                60,
                540,
                1260,
                180,
                1200,
                2400,
                &["study1", "study2"],
            ),
            (
                "washitsu",
                "和室",
                "Japanese-style room",
                20,
                540,
                1260,
                180,
                400,
                800,
                &[],
            ),
        ],
        Kind::Taiikukan => &[
            (
                "half-a",
                "競技場（半面A）",
                "Arena, half A",
                100,
                540,
                1260,
                120,
                1500,
                3000,
                &[],
            ),
            (
                "half-b",
                "競技場（半面B）",
                "Arena, half B",
                100,
                540,
                1260,
                120,
                1500,
                3000,
                &[],
            ),
            (
                "arena",
                "競技場（全面）",
                "Arena, whole floor",
                200,
                540,
                1260,
                120,
                3000,
                6000,
                &["half-a", "half-b"],
            ),
        ],
        Kind::Shukai => &[
            (
                "room",
                "I-linkルーム",
                "I-link Room",
                40,
                540,
                1260,
                180,
                1000,
                2000,
                &[],
            ),
            (
                "hall",
                "I-linkホール",
                "I-link Hall",
                150,
                540,
                1260,
                180,
                4000,
                8000,
                &[],
            ),
        ],
        Kind::Tennis => &[(
            "court1",
            "ハードコート",
            "Hard court",
            4,
            540,
            1020,
            120,
            960,
            2920,
            &[],
        )],
    }
}

fn facility_row(f: &Fac, position: i64) -> store::FacilityRow {
    let (kind, commercial, political, religious, food, citizens_only, ahead, per_month, cancel) =
        match f.kind {
            // 社会教育法第23条: no business purely for profit, no partisan politics, no religion.
            Kind::Kominkan => ("kominkan", false, false, false, false, false, 90, 8, 3),
            Kind::Taiikukan => ("taiikukan", false, false, false, false, false, 60, 4, 7),
            // I-link: 営利等 refused; lottery entries for 市民等 only (ichikawa.md §5).
            Kind::Shukai => ("shukai", false, true, true, true, true, 90, 4, 7),
            Kind::Tennis => ("tennis", false, false, false, false, false, 30, 4, 1),
        };
    store::FacilityRow {
        id: 0,
        municipality_id: ICHIKAWA.into(),
        code: f.code.into(),
        name_ja: f.name_ja.into(),
        name_en: f.name_en.into(),
        kind: kind.into(),
        address: f.address.into(),
        phone: f.phone.into(),
        allow_commercial: commercial,
        allow_political: political,
        allow_religious: religious,
        allow_food: food,
        allow_individual: true,
        citizens_only_lottery: citizens_only,
        book_ahead_days: ahead,
        max_per_month: per_month,
        cancel_days: cancel,
        online_registration: f.online,
        position,
    }
}

/// Creates a facility with its rooms unless one with the code exists. Returns its id.
pub async fn ensure(
    db: &Db,
    municipality: &str,
    f: &store::FacilityRow,
    specs: &[RoomSpec],
) -> anyhow::Result<i64> {
    let mut tx = db.begin().await?;
    if let Some(have) = store::facility_by_code_tx(&mut tx, municipality, &f.code).await? {
        return Ok(have.id);
    }
    let id = store::insert_facility(&mut tx, f).await?;
    let mut ids: Vec<(&str, i64)> = Vec::new();
    for (pos, r) in specs.iter().enumerate() {
        let rid = store::insert_room(
            &mut tx,
            &store::RoomRow {
                id: 0,
                facility_id: id,
                code: r.0.into(),
                name_ja: r.1.into(),
                name_en: r.2.into(),
                capacity: r.3,
                opens_min: r.4,
                closes_min: r.5,
                slot_min: r.6,
                fee_citizen_yen: r.7,
                fee_other_yen: r.8,
                position: pos as i64,
            },
        )
        .await?;
        if r.9.is_empty() {
            store::insert_atom(&mut tx, rid, rid).await?;
        } else {
            for a in r.9 {
                let atom = ids
                    .iter()
                    .find(|(c, _)| c == a)
                    .map(|(_, i)| *i)
                    .ok_or_else(|| anyhow::anyhow!("room {a} must come before {}", r.0))?;
                store::insert_atom(&mut tx, rid, atom).await?;
            }
        }
        ids.push((r.0, rid));
    }
    audit::record(
        &mut tx,
        municipality,
        &Actor::Cli,
        "facility.created",
        &format!("facility:{}", f.code),
        json!({ "name": f.name_ja, "rooms": specs.len(), "online_registration": f.online_registration }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn load(db: &Db) -> anyhow::Result<()> {
    super::registration::install(db, ICHIKAWA, Some("joho-system")).await?;
    let mut ilink = 0;
    for (i, f) in FACILITIES.iter().enumerate() {
        let id = ensure(db, ICHIKAWA, &facility_row(f, i as i64), rooms(f.kind)).await?;
        if f.code == "i-link" {
            ilink = id;
        }
    }
    demo_lottery(db, ilink).await
}

/// An open lottery for the I-link hall in the month three months ahead: the first slot of
/// every Saturday. So that the demo can be tried any day, its window runs from now for seven
/// days (the real rule: the 1st to the 7th, see `model::lottery_window`).
pub async fn demo_lottery(db: &Db, facility: i64) -> anyhow::Result<()> {
    let now = now_ms();
    let first = model::add_months(model::jst_date(now), 3);
    let month = model::month_string(first);
    if store::lottery_for(db, facility, &month).await?.is_some() {
        return Ok(());
    }
    let Some(hall) = store::rooms(db, facility)
        .await?
        .into_iter()
        .find(|r| r.code == "hall")
    else {
        return Ok(());
    };
    let mut slots = Vec::new();
    let mut d = first;
    while model::month_string(d) == month {
        if d.weekday() == time::Weekday::Saturday {
            let s = model::jst_ms(d, hall.opens_min);
            slots.push((hall.id, s, s + hall.slot_min * model::MINUTE_MS));
        }
        d = d.next_day().unwrap_or(d);
        if slots.len() > 5 {
            break;
        }
    }
    let closes = now + 7 * model::DAY_MS;
    lottery::create(
        db,
        ICHIKAWA,
        &Actor::Cli,
        &lottery::NewLottery {
            facility,
            target_month: month,
            slots,
            max_entries: 2,
            max_wins: Some(1),
            citizens_only: None,
            window: Some((
                now - model::MINUTE_MS,
                closes,
                closes,
                closes + 7 * model::DAY_MS,
            )),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo lottery: {e}"))?;
    Ok(())
}
