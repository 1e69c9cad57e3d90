//! `madoguchi banks import PATH`: the bank and branch master from the zengin-code source-data
//! layout (`banks.json` and `branches/<bank code>.json`, https://github.com/zengin-code/source-data),
//! in one transaction, with a report of what changed per bank. The whole directory is read and
//! checked before the database is touched, so a malformed file changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use super::store::{self, BankRow, BranchRow};
use crate::audit::{self, Actor};
use crate::db::{Db, now_ms};

#[derive(Deserialize)]
struct Entry {
    code: String,
    name: String,
    kana: String,
}

/// A bank with its branches, as read from the files.
#[derive(Debug, Clone)]
pub struct BankData {
    pub bank: BankRow,
    pub branches: Vec<BranchRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn file_err(path: &Path, reason: impl std::fmt::Display) -> ImportError {
    ImportError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_banks(text: &str, label: &Path) -> Result<BTreeMap<String, Entry>, ImportError> {
    let banks: BTreeMap<String, Entry> =
        serde_json::from_str(text).map_err(|e| file_err(label, e))?;
    for (key, b) in &banks {
        if *key != b.code || !digits(&b.code, 4) {
            return Err(file_err(
                label,
                format!("bank {key:?}: the code must be 4 digits and equal the key"),
            ));
        }
        if b.name.trim().is_empty() || b.kana.trim().is_empty() {
            return Err(file_err(label, format!("bank {key}: empty name or kana")));
        }
    }
    Ok(banks)
}

fn parse_branches(bank: &str, text: &str, label: &Path) -> Result<Vec<BranchRow>, ImportError> {
    let m: BTreeMap<String, Entry> = serde_json::from_str(text).map_err(|e| file_err(label, e))?;
    let mut v = Vec::with_capacity(m.len());
    for (k, br) in m {
        if k != br.code || !digits(&br.code, 3) {
            return Err(file_err(
                label,
                format!("branch {k:?}: the code must be 3 digits and equal the key"),
            ));
        }
        if br.name.trim().is_empty() {
            return Err(file_err(label, format!("branch {k}: empty name")));
        }
        v.push(BranchRow {
            bank_code: bank.to_owned(),
            code: br.code,
            name: br.name,
            kana: br.kana,
        });
    }
    Ok(v)
}

fn bank_data(b: Entry, branches: Vec<BranchRow>) -> BankData {
    BankData {
        bank: BankRow {
            code: b.code,
            name: b.name,
            kana: b.kana,
        },
        branches,
    }
}

/// Reads a source-data directory: `PATH/banks.json` (or `PATH/data/banks.json`) and the
/// branch file of every bank in it. Branch files of banks no longer in banks.json (the upstream
/// converter never deletes them) are skipped; their number is returned.
pub fn read_dir(path: &Path) -> Result<(Vec<BankData>, usize), ImportError> {
    let root = if path.join("banks.json").is_file() {
        path.to_path_buf()
    } else if path.join("data").join("banks.json").is_file() {
        path.join("data")
    } else {
        return Err(file_err(
            path,
            "no banks.json here (expected the zengin-code source-data layout: banks.json and branches/*.json)",
        ));
    };
    let banks_path = root.join("banks.json");
    let text = std::fs::read_to_string(&banks_path).map_err(|e| file_err(&banks_path, e))?;
    let banks = parse_banks(&text, &banks_path)?;
    let mut out = Vec::with_capacity(banks.len());
    for (key, b) in banks {
        let bp = root.join("branches").join(format!("{key}.json"));
        let branches = if bp.is_file() {
            let text = std::fs::read_to_string(&bp).map_err(|e| file_err(&bp, e))?;
            parse_branches(&key, &text, &bp)?
        } else {
            Vec::new()
        };
        out.push(bank_data(b, branches));
    }
    let known: std::collections::HashSet<String> = out
        .iter()
        .map(|b| format!("{}.json", b.bank.code))
        .collect();
    let stale = std::fs::read_dir(root.join("branches"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.ends_with(".json") && !known.contains(&n)
                })
                .count()
        })
        .unwrap_or(0);
    Ok((out, stale))
}

/// The master shipped for the demo: the demo's 9 banks, a small extract of zengin-code
/// (`crates/madoguchi/data/banks`, embedded in the binary).
pub fn demo_data() -> Result<Vec<BankData>, ImportError> {
    macro_rules! branch_files {
        ($($code:literal),*) => {
            [$(($code, include_str!(concat!("../../data/banks/branches/", $code, ".json")))),*]
        };
    }
    let files = branch_files!(
        "0001", "0005", "0009", "0010", "0134", "0135", "0522", "1260", "9900"
    );
    let label = Path::new("data/banks/banks.json");
    let banks = parse_banks(include_str!("../../data/banks/banks.json"), label)?;
    let mut out = Vec::new();
    for (key, b) in banks {
        let text = files
            .iter()
            .find(|(c, _)| *c == key)
            .map(|(_, t)| *t)
            .unwrap_or("{}");
        let branches = parse_branches(&key, text, Path::new("data/banks/branches"))?;
        out.push(bank_data(b, branches));
    }
    Ok(out)
}

/// What changed at one bank.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BankChange {
    pub code: String,
    pub name: String,
    /// `added`, `changed`, `removed` or `unchanged` (the bank's own name / kana).
    pub bank: &'static str,
    pub branches_added: usize,
    pub branches_changed: usize,
    pub branches_removed: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub banks: usize,
    pub branches: usize,
    pub banks_added: usize,
    pub banks_changed: usize,
    pub banks_removed: usize,
    pub branches_added: usize,
    pub branches_changed: usize,
    pub branches_removed: usize,
    pub stale_files_skipped: usize,
    /// Banks with any change, in code order.
    pub changes: Vec<BankChange>,
}

impl Report {
    pub fn is_unchanged(&self) -> bool {
        self.changes.is_empty()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} banks, {} branches: banks {} added, {} changed, {} removed; branches {} added, {} changed, {} removed{}",
            self.banks,
            self.branches,
            self.banks_added,
            self.banks_changed,
            self.banks_removed,
            self.branches_added,
            self.branches_changed,
            self.branches_removed,
            if self.stale_files_skipped > 0 {
                format!(
                    " ({} branch files of banks not in banks.json skipped)",
                    self.stale_files_skipped
                )
            } else {
                String::new()
            }
        )?;
        for c in &self.changes {
            writeln!(
                f,
                "  {} {}: bank {}, branches +{} ~{} -{}",
                c.code, c.name, c.bank, c.branches_added, c.branches_changed, c.branches_removed
            )?;
        }
        Ok(())
    }
}

/// Replaces the master with `data` in one transaction (audited in every municipality).
/// `progress(done, total)` is called after each bank.
pub async fn import(
    db: &Db,
    data: &[BankData],
    stale: usize,
    actor: &Actor,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Report, ImportError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let old_banks: HashMap<String, BankRow> = store::all_banks_tx(&mut tx)
        .await?
        .into_iter()
        .map(|b| (b.code.clone(), b))
        .collect();
    let mut old_branches: HashMap<String, HashMap<String, BranchRow>> = HashMap::new();
    for b in store::all_branches_tx(&mut tx).await? {
        old_branches
            .entry(b.bank_code.clone())
            .or_default()
            .insert(b.code.clone(), b);
    }
    let mut report = Report {
        banks: data.len(),
        branches: data.iter().map(|d| d.branches.len()).sum(),
        stale_files_skipped: stale,
        ..Report::default()
    };
    let mut bank_writes = Vec::new();
    let mut branch_writes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, d) in data.iter().enumerate() {
        seen.insert(d.bank.code.clone());
        let mut c = BankChange {
            code: d.bank.code.clone(),
            name: d.bank.name.clone(),
            bank: "unchanged",
            ..BankChange::default()
        };
        match old_banks.get(&d.bank.code) {
            None => {
                c.bank = "added";
                report.banks_added += 1;
                bank_writes.push(d.bank.clone());
            }
            Some(o) if o != &d.bank => {
                c.bank = "changed";
                report.banks_changed += 1;
                bank_writes.push(d.bank.clone());
            }
            Some(_) => {}
        }
        let empty = HashMap::new();
        let old = old_branches.get(&d.bank.code).unwrap_or(&empty);
        let mut now_codes = std::collections::HashSet::new();
        for br in &d.branches {
            now_codes.insert(br.code.as_str());
            match old.get(&br.code) {
                None => {
                    c.branches_added += 1;
                    branch_writes.push(br.clone());
                }
                Some(o) if o != br => {
                    c.branches_changed += 1;
                    branch_writes.push(br.clone());
                }
                Some(_) => {}
            }
        }
        let mut removed: Vec<&String> = old
            .keys()
            .filter(|k| !now_codes.contains(k.as_str()))
            .collect();
        removed.sort();
        for code in removed {
            store::delete_branch(&mut tx, &d.bank.code, code).await?;
            c.branches_removed += 1;
        }
        report.branches_added += c.branches_added;
        report.branches_changed += c.branches_changed;
        report.branches_removed += c.branches_removed;
        if c.bank != "unchanged" || c.branches_added + c.branches_changed + c.branches_removed > 0 {
            report.changes.push(c);
        }
        if bank_writes.len() >= store::BATCH || branch_writes.len() >= store::BATCH {
            store::upsert_banks(&mut tx, &bank_writes, now).await?;
            bank_writes.clear();
            store::upsert_branches(&mut tx, &branch_writes, now).await?;
            branch_writes.clear();
        }
        progress(i + 1, data.len());
    }
    store::upsert_banks(&mut tx, &bank_writes, now).await?;
    store::upsert_branches(&mut tx, &branch_writes, now).await?;
    let mut gone: Vec<&BankRow> = old_banks
        .values()
        .filter(|b| !seen.contains(&b.code))
        .collect();
    gone.sort_by(|a, b| a.code.cmp(&b.code));
    for b in gone {
        let n = old_branches.get(&b.code).map_or(0, HashMap::len);
        store::delete_bank(&mut tx, &b.code).await?;
        report.banks_removed += 1;
        report.branches_removed += n;
        report.changes.push(BankChange {
            code: b.code.clone(),
            name: b.name.clone(),
            bank: "removed",
            branches_removed: n,
            ..BankChange::default()
        });
    }
    report.changes.sort_by(|a, b| a.code.cmp(&b.code));
    if !report.is_unchanged() {
        let detail = serde_json::json!({
            "banks": report.banks, "branches": report.branches,
            "banks_added": report.banks_added, "banks_changed": report.banks_changed,
            "banks_removed": report.banks_removed, "branches_added": report.branches_added,
            "branches_changed": report.branches_changed, "branches_removed": report.branches_removed,
        });
        for m in store::municipality_ids(&mut tx).await? {
            audit::record(
                &mut tx,
                &m,
                actor,
                "debit.banks.import",
                "banks",
                detail.clone(),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(report)
}
