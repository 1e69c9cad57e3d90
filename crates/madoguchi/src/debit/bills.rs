//! `madoguchi debit bills import FILE.csv`: what the tax system bills, per customer number
//! (顧客番号), item, amount and due date. The whole file is checked first; any bad row refuses the
//! file (every bad row is named with its row number) and nothing changes. Importing the same
//! file again changes nothing; a changed amount of a bill not yet requested is updated.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::model;
use super::store::{self, NewBill};
use crate::audit::{self, Actor};
use crate::db::{Db, now_ms};

/// The largest 引落金額 a 種別91 record holds (10 digits).
pub const MAX_AMOUNT: i64 = 9_999_999_999;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based row of the file (the header row is row 1).
    pub row: usize,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BillsError {
    #[error("the file is refused, nothing changed:\n{}", .0.iter().map(|e| format!("  row {}: {}", e.row, e.reason)).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<RowError>),
    #[error("the file is refused, nothing changed: {0}")]
    File(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub rows: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub added_yen: i64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows: {} bills added ({} yen), {} updated, {} unchanged",
            self.rows, self.added, self.added_yen, self.updated, self.unchanged
        )
    }
}

/// The file as text: UTF-8 (with or without BOM) or else Shift_JIS (CP932).
pub fn decode(bytes: &[u8]) -> Result<String, BillsError> {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(b) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => {
            let (s, _, bad) = encoding_rs::SHIFT_JIS.decode(b);
            if bad {
                return Err(BillsError::File("neither UTF-8 nor Shift_JIS text".into()));
            }
            Ok(s.into_owned())
        }
    }
}

/// 顧客番号 as stored: digits, at most 20; up to 10 digits are zero-filled to 10 (ours are).
pub fn customer_number(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if s.len() <= 10 {
        format!("{s:0>10}")
    } else {
        s.to_owned()
    })
}

fn parse_date(s: &str) -> Option<String> {
    let s = s.trim().replace('/', "-");
    let s = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..])
    } else {
        s
    };
    model::parse_iso(&s).map(model::iso)
}

/// A checked row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub customer_number: String,
    pub item: String,
    pub amount: i64,
    pub due_date: String,
}

/// Parses the CSV (header row optional: a first row whose first field is not a number).
pub fn parse(text: &str) -> Result<Vec<(usize, Row)>, Vec<RowError>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errs.push(RowError {
                    row,
                    reason: format!("not CSV: {e}"),
                });
                continue;
            }
        };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if row == 1 && !rec.get(0).unwrap_or("").bytes().all(|b| b.is_ascii_digit()) {
            continue; // header
        }
        if rec.len() != 4 {
            errs.push(RowError {
                row,
                reason: format!(
                    "{} fields; expected 4: customer number, item, amount, due date",
                    rec.len()
                ),
            });
            continue;
        }
        let Some(cn) = customer_number(&rec[0]) else {
            errs.push(RowError {
                row,
                reason: format!("customer number {:?}: 1 to 20 digits", &rec[0]),
            });
            continue;
        };
        let item = rec[1].to_owned();
        if item.is_empty() {
            errs.push(RowError {
                row,
                reason: "item is empty".into(),
            });
            continue;
        }
        let amount = match rec[2].replace(',', "").parse::<i64>() {
            Ok(a) if (1..=MAX_AMOUNT).contains(&a) => a,
            _ => {
                errs.push(RowError {
                    row,
                    reason: format!(
                        "amount {:?}: a whole number of yen from 1 to {MAX_AMOUNT}",
                        &rec[2]
                    ),
                });
                continue;
            }
        };
        let Some(due) = parse_date(&rec[3]) else {
            errs.push(RowError {
                row,
                reason: format!("due date {:?}: YYYY-MM-DD", &rec[3]),
            });
            continue;
        };
        out.push((
            row,
            Row {
                customer_number: cn,
                item,
                amount,
                due_date: due,
            },
        ));
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

/// Imports a billing file for a municipality.
pub async fn import(
    db: &Db,
    municipality: &str,
    bytes: &[u8],
    actor: &Actor,
) -> Result<Report, BillsError> {
    let text = decode(bytes)?;
    let rows = parse(&text).map_err(BillsError::Rows)?;
    let items: HashSet<String> = store::items(db, municipality)
        .await?
        .into_iter()
        .map(|i| i.code)
        .collect();
    let mut tx = db.begin().await?;
    // 顧客番号 → (mandate id, status, items)
    let mut mandates: HashMap<String, (i64, String, HashSet<String>)> = HashMap::new();
    for k in store::mandate_keys_tx(&mut tx, municipality).await? {
        let e = mandates
            .entry(k.customer_number.clone())
            .or_insert_with(|| (k.id, k.status.clone(), HashSet::new()));
        if let Some(i) = k.item_code {
            e.2.insert(i);
        }
    }
    let existing: HashMap<(String, String, String), store::BillKey> =
        store::bill_keys_tx(&mut tx, municipality)
            .await?
            .into_iter()
            .map(|b| {
                (
                    (
                        b.customer_number.clone(),
                        b.item_code.clone(),
                        b.due_date.clone(),
                    ),
                    b,
                )
            })
            .collect();
    let mut errs = Vec::new();
    let mut seen = HashSet::new();
    let mut new = Vec::new();
    let mut updates = Vec::new();
    let mut report = Report {
        rows: rows.len(),
        ..Report::default()
    };
    for (row, r) in &rows {
        let key = (
            r.customer_number.clone(),
            r.item.clone(),
            r.due_date.clone(),
        );
        if !seen.insert(key.clone()) {
            errs.push(RowError {
                row: *row,
                reason: "the same customer number, item and due date appear twice".into(),
            });
            continue;
        }
        if !items.contains(&r.item) {
            errs.push(RowError {
                row: *row,
                reason: format!(
                    "item {:?} is not a direct-debit item of {municipality}",
                    r.item
                ),
            });
            continue;
        }
        let Some((mandate_id, status, m_items)) = mandates.get(&r.customer_number) else {
            errs.push(RowError {
                row: *row,
                reason: format!("no mandate with customer number {}", r.customer_number),
            });
            continue;
        };
        if status != "active" && status != "suspended" {
            errs.push(RowError {
                row: *row,
                reason: format!(
                    "the mandate of customer number {} is {status}",
                    r.customer_number
                ),
            });
            continue;
        }
        if !m_items.contains(&r.item) {
            errs.push(RowError {
                row: *row,
                reason: format!(
                    "the mandate of customer number {} does not cover item {:?}",
                    r.customer_number, r.item
                ),
            });
            continue;
        }
        match existing.get(&key) {
            Some(b) if b.amount_yen == r.amount => report.unchanged += 1,
            Some(b) if b.status == "open" => {
                updates.push((b.id, r.amount));
                report.updated += 1;
            }
            Some(b) => errs.push(RowError {
                row: *row,
                reason: format!(
                    "this bill is already {} with amount {}; it cannot change",
                    b.status, b.amount_yen
                ),
            }),
            None => {
                report.added += 1;
                report.added_yen += r.amount;
                new.push(NewBill {
                    customer_number: r.customer_number.clone(),
                    item_code: r.item.clone(),
                    amount_yen: r.amount,
                    due_date: r.due_date.clone(),
                    mandate_id: *mandate_id,
                });
            }
        }
    }
    if !errs.is_empty() {
        return Err(BillsError::Rows(errs));
    }
    if new.is_empty() && updates.is_empty() {
        return Ok(report);
    }
    let now = now_ms();
    store::insert_bills(&mut tx, municipality, &new, now).await?;
    for (id, amount) in &updates {
        store::set_bill_amount(&mut tx, *id, *amount, now).await?;
    }
    audit::record(
        &mut tx,
        municipality,
        actor,
        "debit.bills.import",
        "debit_bills",
        json!({ "rows": report.rows, "added": report.added, "updated": report.updated, "unchanged": report.unchanged, "added_yen": report.added_yen }),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_with_their_numbers() {
        let ok = parse("顧客番号,税目,金額,納期限\n1,kokuho,12300,2027-01-27\n0000000002,shikenmin,\"4,500\",20270227\n").expect("ok");
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].0, 2);
        assert_eq!(ok[0].1.customer_number, "0000000001");
        assert_eq!(ok[1].1.amount, 4500);
        assert_eq!(ok[1].1.due_date, "2027-02-27");
        let bad = parse(
            "1,kokuho,0,2027-01-27\nx,kokuho,1,2027-01-27\n1,kokuho,5,2027-02-30\n1,kokuho\n",
        )
        .expect_err("bad");
        // Row 1 "1,…" is data (its first field is a number); "x" in row 2 is not a header.
        assert_eq!(
            bad.iter().map(|e| e.row).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert!(bad[0].reason.contains("amount"));
        assert!(bad[2].reason.contains("due date"));
    }

    #[test]
    fn shift_jis_is_read() {
        let (b, _, _) =
            encoding_rs::SHIFT_JIS.encode("顧客番号,税目,金額,納期限\n1,kokuho,1,2027-01-27\n");
        let t = decode(&b).expect("sjis");
        assert!(t.starts_with("顧客番号"));
    }
}
