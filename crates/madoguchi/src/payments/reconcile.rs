//! The daily reconciliation CSV for 会計課 (the accounting department): one row per payment
//! event of the day (JST), totals, and a check against the provider's own settlement list.
//! The bytes are made by the same CSV code as the application export
//! (`procedures::application::rules`: quoting, formula guard, UTF-8 BOM or Shift_JIS).

use std::collections::BTreeMap;

use super::provider::{SettlementItem, Settlements};
use super::store::{self, EventLine};
use crate::db::Db;
use crate::procedures::application::pages::shown_receipt;
use crate::procedures::application::rules::{self, CsvEncoding};

const JST: time::UtcOffset = time::macros::offset!(+9);

/// `YYYY-MM-DD` → the JST day as `[from, to)` in Unix milliseconds.
pub fn jst_day_ms(date: &str) -> Option<(i64, i64)> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(date.trim(), &fmt).ok()?;
    let start = d.with_hms(0, 0, 0).ok()?.assume_offset(JST);
    let from = start.unix_timestamp() * 1000;
    Some((from, from + 86_400_000))
}

/// `2026-04-01 09:30:05` in JST.
pub fn jst_seconds(ms: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return String::new();
    };
    let t = t.to_offset(JST);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A difference between our events and the provider's settlement list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// We recorded money moving that the provider does not list.
    OnlyOurs {
        provider_ref: String,
        kind: &'static str,
        amount: i64,
    },
    /// The provider lists money moving that we have no record of.
    OnlyProvider(SettlementItem),
    /// Both list it, with different amounts.
    Amount {
        provider_ref: String,
        kind: &'static str,
        ours: i64,
        theirs: i64,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub charges: i64,
    pub charge_count: usize,
    pub refunds: i64,
    pub refund_count: usize,
}

impl Totals {
    pub fn net(&self) -> i64 {
        self.charges - self.refunds
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub date: String,
    pub lines: Vec<EventLine>,
    pub totals: Totals,
    /// None when the provider's list could not be fetched.
    pub checked: Option<Vec<Difference>>,
}

fn money_kind(to_state: &str) -> Option<&'static str> {
    match to_state {
        "succeeded" => Some("charge"),
        "refunded" => Some("refund"),
        _ => None,
    }
}

/// Compares our money events with the provider's items (pure).
pub fn compare(lines: &[EventLine], theirs: &[SettlementItem]) -> Vec<Difference> {
    let mut ours: BTreeMap<(String, &'static str), i64> = BTreeMap::new();
    for l in lines {
        if let Some(kind) = money_kind(&l.to_state) {
            let r = l.provider_ref.clone().unwrap_or_default();
            *ours.entry((r, kind)).or_default() += l.amount_yen;
        }
    }
    let mut provider: BTreeMap<(String, &'static str), (i64, SettlementItem)> = BTreeMap::new();
    for i in theirs {
        let kind = if i.kind == "refund" {
            "refund"
        } else {
            "charge"
        };
        let e = provider
            .entry((i.payment_id.clone(), kind))
            .or_insert((0, i.clone()));
        e.0 += i.amount;
    }
    let mut out = Vec::new();
    for ((r, kind), amount) in &ours {
        match provider.get(&(r.clone(), *kind)) {
            None => out.push(Difference::OnlyOurs {
                provider_ref: r.clone(),
                kind,
                amount: *amount,
            }),
            Some((theirs, _)) if theirs != amount => out.push(Difference::Amount {
                provider_ref: r.clone(),
                kind,
                ours: *amount,
                theirs: *theirs,
            }),
            Some(_) => {}
        }
    }
    for (key, (_, item)) in provider {
        if !ours.contains_key(&key) {
            out.push(Difference::OnlyProvider(item));
        }
    }
    out
}

/// Builds the day's report. `settlements` is the provider's list for the same day (already
/// fetched), or None when it could not be fetched.
pub async fn report(
    db: &Db,
    municipality: &str,
    date: &str,
    settlements: Option<&Settlements>,
) -> Result<Option<Report>, sqlx::Error> {
    let Some((from, to)) = jst_day_ms(date) else {
        return Ok(None);
    };
    let lines = store::events_between(db, municipality, from, to).await?;
    let mut totals = Totals::default();
    for l in &lines {
        match money_kind(&l.to_state) {
            Some("charge") => {
                totals.charges += l.amount_yen;
                totals.charge_count += 1;
            }
            Some(_) => {
                totals.refunds += l.amount_yen;
                totals.refund_count += 1;
            }
            None => {}
        }
    }
    let checked = match settlements {
        None => None,
        Some(s) => {
            // One merchant account may serve several municipalities: keep the provider items
            // that are this municipality's payments, or nobody's (those are differences).
            let mut mine = Vec::new();
            for i in &s.items {
                match store::municipality_of_public(db, &i.reference).await? {
                    Some(m) if m != municipality => {}
                    _ => mine.push(i.clone()),
                }
            }
            Some(compare(&lines, &mine))
        }
    };
    Ok(Some(Report {
        date: date.trim().to_owned(),
        lines,
        totals,
        checked,
    }))
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "charge" => "入金",
        "refund" => "返金",
        _ => "",
    }
}

/// The CSV rows: a header, one row per event, then totals and the check.
pub fn rows(r: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "日時",
            "受付番号",
            "手続",
            "決済番号",
            "決済事業者",
            "事業者の決済番号",
            "変更前の状態",
            "状態",
            "区分",
            "金額",
            "記録元",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for l in &r.lines {
        rows.push(vec![
            jst_seconds(l.at),
            shown_receipt(&l.receipt),
            l.procedure_name_ja.clone(),
            l.payment_public_id.clone(),
            l.provider.clone(),
            l.provider_ref.clone().unwrap_or_default(),
            l.from_state.clone().unwrap_or_default(),
            l.to_state.clone(),
            money_kind(&l.to_state)
                .map(kind_label)
                .unwrap_or("")
                .to_owned(),
            l.amount_yen.to_string(),
            l.source.clone(),
        ]);
    }
    let t = &r.totals;
    rows.push(Vec::new());
    rows.push(vec!["集計日".into(), r.date.clone()]);
    rows.push(vec![
        "入金合計".into(),
        t.charges.to_string(),
        format!("{}件", t.charge_count),
    ]);
    rows.push(vec![
        "返金合計".into(),
        t.refunds.to_string(),
        format!("{}件", t.refund_count),
    ]);
    rows.push(vec!["差引".into(), t.net().to_string()]);
    rows.push(Vec::new());
    match &r.checked {
        None => rows.push(vec![
            "照合".into(),
            "決済事業者の精算一覧を取得できませんでした（未照合）".into(),
        ]),
        Some(d) if d.is_empty() => {
            rows.push(vec!["照合".into(), "決済事業者の精算一覧と一致".into()])
        }
        Some(d) => {
            rows.push(vec!["照合".into(), format!("差異 {}件", d.len())]);
            rows.push(
                [
                    "差異",
                    "事業者の決済番号",
                    "区分",
                    "当市の記録",
                    "事業者の記録",
                ]
                .map(str::to_owned)
                .to_vec(),
            );
            for x in d {
                rows.push(match x {
                    Difference::OnlyOurs {
                        provider_ref,
                        kind,
                        amount,
                    } => vec![
                        "事業者の一覧にない".into(),
                        provider_ref.clone(),
                        kind_label(kind).into(),
                        amount.to_string(),
                        String::new(),
                    ],
                    Difference::OnlyProvider(i) => vec![
                        "当市の記録にない".into(),
                        i.payment_id.clone(),
                        kind_label(&i.kind).into(),
                        String::new(),
                        i.amount.to_string(),
                    ],
                    Difference::Amount {
                        provider_ref,
                        kind,
                        ours,
                        theirs,
                    } => vec![
                        "金額が違う".into(),
                        provider_ref.clone(),
                        kind_label(kind).into(),
                        ours.to_string(),
                        theirs.to_string(),
                    ],
                });
            }
        }
    }
    rows
}

/// The CSV bytes in the requested encoding and how many characters became 〓.
pub fn csv(r: &Report, enc: CsvEncoding) -> (Vec<u8>, usize) {
    rules::csv_bytes(&rules::csv_text(&rows(r)), enc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(r: &str, to: &str, amount: i64) -> EventLine {
        EventLine {
            event_id: 1,
            at: 0,
            from_state: None,
            to_state: to.into(),
            amount_yen: amount,
            source: "webhook".into(),
            payment_public_id: format!("pay_{r}"),
            provider: "sandbox".into(),
            provider_ref: Some(r.into()),
            receipt: "7KQ2M9XDM".into(),
            procedure_name_ja: "住民票".into(),
        }
    }

    fn item(r: &str, kind: &str, amount: i64) -> SettlementItem {
        SettlementItem {
            payment_id: r.into(),
            reference: format!("pay_{r}"),
            kind: kind.into(),
            amount,
            at: 0,
        }
    }

    #[test]
    fn jst_days_start_at_midnight_japan_time() {
        let (from, to) = jst_day_ms("2026-04-01").unwrap_or_default();
        assert_eq!(from, 1_774_969_200_000); // 2026-03-31T15:00:00Z
        assert_eq!(to - from, 86_400_000);
        assert!(jst_day_ms("2026-13-01").is_none());
        assert!(jst_day_ms("yesterday").is_none());
        assert_eq!(jst_seconds(from), "2026-04-01 00:00:00");
    }

    #[test]
    fn compare_lists_each_kind_of_difference() {
        let ours = vec![
            line("a", "succeeded", 300),
            line("b", "succeeded", 300),
            line("c", "succeeded", 450),
            line("d", "started", 999),
        ];
        let theirs = vec![
            item("a", "charge", 300),
            item("c", "charge", 400),
            item("z", "refund", 100),
        ];
        let d = compare(&ours, &theirs);
        assert_eq!(
            d,
            vec![
                Difference::OnlyOurs {
                    provider_ref: "b".into(),
                    kind: "charge",
                    amount: 300
                },
                Difference::Amount {
                    provider_ref: "c".into(),
                    kind: "charge",
                    ours: 450,
                    theirs: 400
                },
                Difference::OnlyProvider(item("z", "refund", 100)),
            ]
        );
        assert!(compare(&ours[..1], &theirs[..1]).is_empty());
    }
}
