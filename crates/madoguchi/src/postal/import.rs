//! `madoguchi postal import`: replaces the table with a Japan Post file in one transaction and
//! reports what changed. The file is parsed completely before the database is touched, so a
//! malformed file changes nothing.

use std::cmp::Ordering;

use super::parse::{self, Encoding, Entry, ParseError};
use super::store;
use crate::audit::{self, Actor};
use crate::db::Db;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    #[serde(skip)]
    pub encoding: Encoding,
    /// Rows of the file (a town split over three rows counts three).
    pub rows_read: usize,
    /// Addresses stored (after joining split rows): the table's new row count.
    pub rows_written: usize,
    /// Addresses that were not in the table before.
    pub inserted: usize,
    /// Addresses in the table before that the file no longer has.
    pub removed: usize,
    pub unchanged: usize,
    /// Postal codes whose addresses differ from before (added, removed or edited).
    pub codes_changed: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} rows read, {} addresses written ({} new, {} removed, {} unchanged; {} postal codes changed)",
            self.encoding.as_str(),
            self.rows_read,
            self.rows_written,
            self.inserted,
            self.removed,
            self.unchanged,
            self.codes_changed
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error(
        "postal_codes already holds {0} rows; run again with --replace to replace them with this file"
    )]
    NotEmpty(i64),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Imports a file's bytes (KEN_ALL.CSV, utf_ken_all.csv, or either gzipped). Without `replace`
/// the table must be empty. `progress(done, total)` is called after every batch.
pub async fn import(
    db: &Db,
    bytes: &[u8],
    replace: bool,
    actor: &Actor,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Report, ImportError> {
    let parsed = parse::parse(bytes)?;
    let mut tx = db.begin().await?;
    let existing = store::count_in(&mut tx).await?;
    if existing > 0 && !replace {
        return Err(ImportError::NotEmpty(existing));
    }
    let before = if existing > 0 {
        let old = store::all_in(&mut tx).await?;
        store::delete_all(&mut tx).await?;
        old
    } else {
        Vec::new()
    };
    let diff = compare(&before, &parsed.entries);
    let total = parsed.entries.len();
    let mut done = 0;
    for chunk in parsed.entries.chunks(store::BATCH) {
        store::insert_batch(&mut tx, chunk).await?;
        done += chunk.len();
        progress(done, total);
    }
    let report = Report {
        encoding: parsed.encoding,
        rows_read: parsed.rows,
        rows_written: total,
        inserted: diff.inserted,
        removed: diff.removed,
        unchanged: total - diff.inserted,
        codes_changed: diff.codes_changed,
    };
    let detail = serde_json::to_value(&report).unwrap_or_default();
    for m in store::municipality_ids(&mut tx).await? {
        audit::record(
            &mut tx,
            &m,
            actor,
            "postal.import",
            "postal_codes",
            detail.clone(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Diff {
    pub inserted: usize,
    pub removed: usize,
    pub codes_changed: usize,
}

/// Compares two lists of addresses as multisets (order and row ids do not matter): both are
/// sorted (by code first) and merged, so the changed codes come out in order.
pub(crate) fn compare(before: &[Entry], after: &[Entry]) -> Diff {
    if before.is_empty() {
        let mut codes: Vec<&str> = after.iter().map(|e| e.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        return Diff {
            inserted: after.len(),
            removed: 0,
            codes_changed: codes.len(),
        };
    }
    let mut a: Vec<&Entry> = before.iter().collect();
    let mut b: Vec<&Entry> = after.iter().collect();
    a.sort_unstable();
    b.sort_unstable();
    let (mut i, mut j) = (0, 0);
    let (mut inserted, mut removed, mut codes_changed) = (0, 0, 0);
    // The merge visits entries in sorted order, so a code's changes are consecutive.
    let mut last: Option<&str> = None;
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
            Ordering::Less => {
                removed += 1;
                if last != Some(a[i].code.as_str()) {
                    codes_changed += 1;
                    last = Some(a[i].code.as_str());
                }
                i += 1;
            }
            Ordering::Greater => {
                inserted += 1;
                if last != Some(b[j].code.as_str()) {
                    codes_changed += 1;
                    last = Some(b[j].code.as_str());
                }
                j += 1;
            }
        }
    }
    Diff {
        inserted,
        removed,
        codes_changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(code: &str, town: &str) -> Entry {
        Entry {
            code: code.into(),
            local_government_code: "12203".into(),
            prefecture: "千葉県".into(),
            prefecture_kana: "チバケン".into(),
            city: "市川市".into(),
            city_kana: "イチカワシ".into(),
            town: town.into(),
            town_kana: String::new(),
            town_note: String::new(),
        }
    }

    #[test]
    fn compare_counts_added_removed_and_touched_codes() {
        let a = vec![
            e("2720021", "八幡"),
            e("2720022", "鬼越"),
            e("2720023", "南八幡"),
        ];
        assert_eq!(
            compare(&a, &a),
            Diff {
                inserted: 0,
                removed: 0,
                codes_changed: 0
            }
        );
        let mut b = a.clone();
        b.reverse();
        assert_eq!(compare(&a, &b).codes_changed, 0, "order does not matter");
        let b = vec![
            e("2720021", "八幡"),
            e("2720022", "鬼高"),
            e("2720024", "新田"),
        ];
        assert_eq!(
            compare(&a, &b),
            Diff {
                inserted: 2,
                removed: 2,
                codes_changed: 3
            }
        );
        assert_eq!(
            compare(&[], &a),
            Diff {
                inserted: 3,
                removed: 0,
                codes_changed: 3
            }
        );
        // A duplicate counts.
        let b = vec![a[0].clone(), a[0].clone(), a[1].clone(), a[2].clone()];
        assert_eq!(compare(&a, &b).inserted, 1);
    }
}
