//! The 全銀 種別91 files: request files to the banks (`madoguchi debit export`, the staff
//! download) and the banks' result files (`madoguchi debit results import`). The byte formats
//! are the `zengin` crate's; this module chooses the records, applies each bank's settings
//! (`[debit.banks.<code>]`) and keeps the database in step.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;
use sha2::{Digest, Sha256};
use zengin::kana::{self, CharClass};
use zengin::{
    AccountType, CustomerNumberFormat, Data, FileKind, Header, LineEnding, MonthDay, NewCode,
    ReadOptions, ResultCode, TransferFile, WriteOptions,
};

use super::config::{DebitBankConfig, DebitConfig, Padding};
use super::store::{self, DueBill};
use crate::audit::{self, Actor};
use crate::db::{Db, now_ms};

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Only bills due on this date (YYYY-MM-DD).
    pub date: Option<String>,
    /// Only this bank (4 digits).
    pub bank: Option<String>,
    /// Only this item code.
    pub item: Option<String>,
}

/// One request file, built but not yet recorded.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub bank_code: String,
    /// The item the export was narrowed to, if any.
    pub item: Option<String>,
    pub debit_date: String,
    pub records: usize,
    pub total_yen: i64,
    pub bytes: Vec<u8>,
}

impl Prepared {
    /// `zengin91_<municipality>_<bank>_<YYYYMMDD>_r<request>.txt` (`…_dryrun.txt` for a dry
    /// run): which bank and which debit date, at a glance.
    pub fn file_name(&self, municipality: &str, request: Option<i64>) -> String {
        let tail = request.map_or_else(|| "dryrun".to_owned(), |r| format!("r{r}"));
        format!(
            "zengin91_{municipality}_{}_{}_{tail}.txt",
            self.bank_code,
            self.debit_date.replace('-', "")
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "bank {0} has no [debit.banks.\"{0}\"] settings for municipality {1} (consignor code, name, branch, account)"
    )]
    NotConfigured(String, String),
    #[error("bank {bank}, debit date {date}: record {record}: {reason}")]
    Record {
        bank: String,
        date: String,
        record: usize,
        reason: String,
    },
    #[error("{0}")]
    BadOption(String),
    #[error(
        "the bills changed while exporting (another export ran at the same time); nothing was marked, try again"
    )]
    Changed,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn bank_name_kana(kana_full: &str, max: usize) -> String {
    // zengin-code kana is full-width with 全銀 conventions (－ for the long vowel); names are
    // optional in a request, so a name that does not convert is left blank.
    kana::to_zengin_in(kana_full, CharClass::BankName)
        .map(|s| kana::truncate(&s, max).to_owned())
        .unwrap_or_default()
}

fn account_type(t: i64) -> AccountType {
    match t {
        2 => AccountType::Current,
        3 => AccountType::TaxReserve,
        9 => AccountType::Other,
        _ => AccountType::Ordinary,
    }
}

pub fn write_options(b: &DebitBankConfig) -> WriteOptions {
    WriteOptions {
        line_ending: match b.line_ending {
            super::config::LineEnding::Crlf => LineEnding::CrLf,
            super::config::LineEnding::None => LineEnding::None,
        },
        eof_marker: b.eof_marker,
        customer_number: customer_format(b.customer_number),
        ..WriteOptions::default()
    }
}

fn customer_format(p: Padding) -> CustomerNumberFormat {
    match p {
        Padding::Zero => CustomerNumberFormat::ZeroFilled,
        Padding::Space => CustomerNumberFormat::SpaceFilled,
    }
}

/// Builds the request files for the open bills (one per bank and debit date). Nothing is
/// written to the database.
pub async fn prepare(
    db: &Db,
    cfg: &DebitConfig,
    municipality: &str,
    opts: &ExportOptions,
) -> Result<Vec<Prepared>, ExportError> {
    if let Some(d) = &opts.date
        && super::model::parse_iso(d).is_none()
    {
        return Err(ExportError::BadOption(format!(
            "--date {d:?}: use YYYY-MM-DD"
        )));
    }
    let bills = store::due_bills(
        db,
        municipality,
        opts.date.as_deref(),
        opts.bank.as_deref(),
        opts.item.as_deref(),
    )
    .await?;
    // In bank, date order already: split into runs.
    let mut groups: Vec<((String, String), Vec<DueBill>)> = Vec::new();
    for b in bills {
        match groups.last_mut() {
            Some(((bank, date), v)) if *bank == b.bank_code && *date == b.due_date => v.push(b),
            _ => groups.push(((b.bank_code.clone(), b.due_date.clone()), vec![b])),
        }
    }
    let mut out = Vec::new();
    for ((bank, date), bills) in groups {
        // Branch names in half-width kana, converted once per branch of this bank.
        let mut branch_names: HashMap<String, String> = HashMap::new();
        let bank_cfg = cfg.banks.get(&bank);
        let consignor = bank_cfg.and_then(|b| b.consignors.get(municipality));
        let (Some(bank_cfg), Some(cons)) = (bank_cfg, consignor) else {
            return Err(ExportError::NotConfigured(bank, municipality.to_owned()));
        };
        let bank_row = store::bank(db, &bank).await?;
        let bank_kana = bank_row
            .map(|b| bank_name_kana(&b.kana, 15))
            .unwrap_or_default();
        let mut branch_name = async |code: &str| -> Result<String, sqlx::Error> {
            if let Some(n) = branch_names.get(code) {
                return Ok(n.clone());
            }
            let n = store::branch(db, &bank, code)
                .await?
                .map(|b| bank_name_kana(&b.kana, 15))
                .unwrap_or_default();
            branch_names.insert(code.to_owned(), n.clone());
            Ok(n)
        };
        let d = super::model::parse_iso(&date).ok_or_else(|| {
            ExportError::BadOption(format!("bill due date {date:?} is not a date"))
        })?;
        let mmdd = MonthDay::new(u8::from(d.month()), d.day()).ok_or_else(|| {
            ExportError::BadOption(format!("bill due date {date:?} is not a date"))
        })?;
        let header = Header {
            type_code: zengin::TYPE_CODE_ACCOUNT_TRANSFER.to_owned(),
            code_division: zengin::CodeDivision::Jis,
            collector_code: cons.code.clone(),
            collector_name: cons.name.clone(),
            debit_date: mmdd,
            bank_code: bank.clone(),
            bank_name: bank_kana.clone(),
            branch_code: cons.branch.clone(),
            branch_name: branch_name(&cons.branch).await?,
            account_type: account_type(i64::from(cons.account_type)),
            account_number: cons.account_number.clone(),
        };
        let records = bills.len();
        let mut data = Vec::with_capacity(records);
        let mut total: i64 = 0;
        for b in bills {
            total += b.amount_yen;
            data.push(Data {
                bank_code: bank.clone(),
                bank_name: bank_kana.clone(),
                branch_name: branch_name(&b.branch_code).await?,
                branch_code: b.branch_code,
                account_type: account_type(b.account_type),
                account_number: b.account_number,
                holder_name: b.holder_kana,
                amount: u64::try_from(b.amount_yen).unwrap_or(0),
                new_code: if b.first_debit {
                    NewCode::First
                } else {
                    NewCode::Other
                },
                customer_number: b.customer_number,
                result: None,
            });
        }
        let file = TransferFile::single(FileKind::Request, header, data).map_err(|r| {
            ExportError::Record {
                bank: bank.clone(),
                date: date.clone(),
                record: 0,
                reason: r.to_string(),
            }
        })?;
        let bytes = zengin::to_bytes(&file, &write_options(bank_cfg)).map_err(|e| match e {
            zengin::WriteError::Invalid {
                record,
                field,
                reason,
            } => ExportError::Record {
                bank: bank.clone(),
                date: date.clone(),
                record,
                reason: match field {
                    Some(f) => format!("{f}: {reason}"),
                    None => reason.to_string(),
                },
            },
            other => ExportError::Record {
                bank: bank.clone(),
                date: date.clone(),
                record: 0,
                reason: other.to_string(),
            },
        })?;
        out.push(Prepared {
            item: opts.item.clone(),
            records,
            total_yen: total,
            bank_code: bank,
            debit_date: date,
            bytes,
        });
    }
    Ok(out)
}

/// Records prepared files as requested in one transaction; returns each file's name.
pub async fn commit(
    db: &Db,
    municipality: &str,
    files: &[Prepared],
    actor: &Actor,
) -> Result<Vec<String>, ExportError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let mut names = Vec::new();
    for p in files {
        let id = store::insert_request(
            &mut tx,
            municipality,
            &p.bank_code,
            &p.debit_date,
            "",
            p.records as i64,
            p.total_yen,
            now,
        )
        .await?;
        let name = p.file_name(municipality, Some(id));
        store::set_file_name(&mut tx, id, &name).await?;
        let n = store::mark_due_requested(
            &mut tx,
            id,
            municipality,
            &p.debit_date,
            &p.bank_code,
            p.item.as_deref(),
        )
        .await?;
        if n as usize != p.records {
            return Err(ExportError::Changed);
        }
        store::clear_first_debit_of_request(&mut tx, id).await?;
        audit::record(
            &mut tx,
            municipality,
            actor,
            "debit.export",
            &format!("debit_request:{id}"),
            json!({ "bank": p.bank_code, "debit_date": p.debit_date, "records": p.records,
                    "total_yen": p.total_yen, "file": name,
                    "sha256": hex::encode(Sha256::digest(&p.bytes)) }),
        )
        .await?;
        names.push(name);
    }
    tx.commit().await?;
    Ok(names)
}

// ---- results --------------------------------------------------------------------------------

/// Unpaid debits of one 振替結果コード.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unpaid {
    pub code: String,
    pub meaning_ja: &'static str,
    pub meaning_en: &'static str,
    pub count: i64,
    pub yen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResultSummary {
    pub request_id: i64,
    pub request_file: String,
    pub bank_code: String,
    pub debit_date: String,
    pub paid_count: i64,
    pub paid_yen: i64,
    pub unpaid: Vec<Unpaid>,
    /// The same file was imported before: nothing changed now.
    pub already_imported: bool,
}

impl ResultSummary {
    pub fn unpaid_count(&self) -> i64 {
        self.unpaid.iter().map(|u| u.count).sum()
    }
    pub fn unpaid_yen(&self) -> i64 {
        self.unpaid.iter().map(|u| u.yen).sum()
    }
}

impl std::fmt::Display for ResultSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.already_imported {
            writeln!(
                f,
                "this result file was already imported for {} (request {}); nothing changed",
                self.request_file, self.request_id
            )?;
        }
        writeln!(
            f,
            "bank {}, debit date {}, request {} ({})",
            self.bank_code, self.debit_date, self.request_id, self.request_file
        )?;
        writeln!(
            f,
            "  paid (振替済): {} debits, {} yen",
            self.paid_count, self.paid_yen
        )?;
        writeln!(
            f,
            "  not paid (振替不能): {} debits, {} yen",
            self.unpaid_count(),
            self.unpaid_yen()
        )?;
        for u in &self.unpaid {
            writeln!(
                f,
                "    {} {} ({}): {} debits, {} yen",
                u.code, u.meaning_ja, u.meaning_en, u.count, u.yen
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("refused, nothing changed: {0}")]
    Malformed(zengin::ReadError),
    #[error("refused, nothing changed: {0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn refused(s: impl Into<String>) -> ResultsError {
    ResultsError::Refused(s.into())
}

fn strip_zeros(s: &str) -> &str {
    let t = s.trim().trim_start_matches('0');
    if t.is_empty() { "0" } else { t }
}

/// Reads a bank's result file and records each debit's result. Refused (and nothing changed)
/// when it is malformed, matches no request, or disagrees with the request or with itself.
/// Importing the same file again changes nothing.
pub async fn import_results(
    db: &Db,
    cfg: &DebitConfig,
    municipality: &str,
    bytes: &[u8],
    actor: &Actor,
) -> Result<ResultSummary, ResultsError> {
    // The header's 取引銀行番号 (bytes 59–62) says whose settings apply (顧客番号 padding).
    let bank_hint = bytes
        .get(58..62)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("");
    let padding = cfg
        .banks
        .get(bank_hint)
        .map(|b| b.customer_number)
        .unwrap_or_default();
    let read = zengin::from_bytes(
        bytes,
        &ReadOptions {
            expect: Some(FileKind::Result),
            customer_number: customer_format(padding),
            ..ReadOptions::default()
        },
    )
    .map_err(ResultsError::Malformed)?;
    let file = read.file;
    let [group] = file.groups.as_slice() else {
        return Err(refused(format!(
            "the file holds {} header…trailer groups; one per file is supported",
            file.groups.len()
        )));
    };
    let sha = hex::encode(Sha256::digest(bytes));
    let bank = group.header.bank_code.clone();
    let mmdd = format!(
        "{:02}{:02}",
        group.header.debit_date.month(),
        group.header.debit_date.day()
    );
    // The file's own totals: 振替済 + 振替不能 = 合計, and each equals its records.
    let t = &group.trailer;
    let (mut paid_n, mut paid_yen, mut unpaid_n, mut unpaid_yen) = (0u64, 0u64, 0u64, 0u64);
    for d in &group.data {
        if d.result.is_some_and(ResultCode::is_paid) {
            paid_n += 1;
            paid_yen += d.amount;
        } else {
            unpaid_n += 1;
            unpaid_yen += d.amount;
        }
    }
    if (t.paid_count, t.paid_amount, t.unpaid_count, t.unpaid_amount)
        != (paid_n, paid_yen, unpaid_n, unpaid_yen)
        || t.paid_count + t.unpaid_count != t.total_count
        || t.paid_amount + t.unpaid_amount != t.total_amount
    {
        return Err(refused(format!(
            "trailer record {}: 振替済 {} / {} yen and 振替不能 {} / {} yen do not add up to the data records (振替済 {paid_n} / {paid_yen} yen, 振替不能 {unpaid_n} / {unpaid_yen} yen) or to 合計 {} / {} yen",
            group.data.len() + 2,
            t.paid_count,
            t.paid_amount,
            t.unpaid_count,
            t.unpaid_amount,
            t.total_count,
            t.total_amount
        )));
    }
    let mut tx = db.begin().await?;
    let candidates = store::requests_matching_tx(&mut tx, municipality, &bank, &mmdd).await?;
    if let Some(r) = candidates
        .iter()
        .find(|r| r.result_sha256.as_deref() == Some(sha.as_str()))
    {
        return Ok(ResultSummary {
            request_id: r.id,
            request_file: r.file_name.clone(),
            bank_code: r.bank_code.clone(),
            debit_date: r.debit_date.clone(),
            paid_count: r.paid_count.unwrap_or(0),
            paid_yen: r.paid_yen.unwrap_or(0),
            unpaid: summarize_unpaid(&group.data),
            already_imported: true,
        });
    }
    // The request this answers: same bank and date, same records, in the same order.
    let mut chosen = None;
    let mut why = format!("no request file to bank {bank} for a debit date ending {mmdd}");
    for r in &candidates {
        if r.records as usize != group.data.len() || r.total_yen as u64 != t.total_amount {
            why = format!(
                "request {} ({}) has {} records / {} yen; the result file has {} / {} yen",
                r.id,
                r.file_name,
                r.records,
                r.total_yen,
                group.data.len(),
                t.total_amount
            );
            continue;
        }
        let bills = store::bills_of_request_tx(&mut tx, r.id).await?;
        let mismatch = bills
            .iter()
            .zip(&group.data)
            .enumerate()
            .find(|(_, (b, d))| {
                strip_zeros(&b.customer_number) != strip_zeros(&d.customer_number)
                    || b.amount_yen as u64 != d.amount
            });
        if let Some((i, (b, d))) = mismatch {
            why = format!(
                "record {}: customer number {} / {} yen does not match request {} ({}): {} / {} yen",
                i + 2,
                d.customer_number,
                d.amount,
                r.id,
                r.file_name,
                b.customer_number,
                b.amount_yen
            );
            continue;
        }
        if bills.len() != group.data.len() {
            continue;
        }
        if r.result_sha256.is_some() {
            return Err(refused(format!(
                "a different result file was already imported for request {} ({})",
                r.id, r.file_name
            )));
        }
        chosen = Some((r.clone(), bills));
        break;
    }
    let Some((req, bills)) = chosen else {
        return Err(refused(why));
    };
    let now = now_ms();
    // The debits not paid, by their code (few, usually); the others are paid.
    let mut by_code: BTreeMap<u8, Vec<i64>> = BTreeMap::new();
    for (b, d) in bills.iter().zip(&group.data) {
        let code = d.result.map_or(b'9', ResultCode::byte);
        if code != b'0' {
            by_code.entry(code).or_default().push(b.id);
        }
    }
    for (code, ids) in &by_code {
        store::set_unpaid(&mut tx, req.id, ids, &char::from(*code).to_string()).await?;
    }
    if !store::set_request_result(
        &mut tx,
        req.id,
        &sha,
        paid_n as i64,
        paid_yen as i64,
        unpaid_n as i64,
        unpaid_yen as i64,
        now,
    )
    .await?
    {
        return Err(refused("the request's result was recorded meanwhile"));
    }
    let summary = ResultSummary {
        request_id: req.id,
        request_file: req.file_name.clone(),
        bank_code: req.bank_code.clone(),
        debit_date: req.debit_date.clone(),
        paid_count: paid_n as i64,
        paid_yen: paid_yen as i64,
        unpaid: summarize_unpaid(&group.data),
        already_imported: false,
    };
    audit::record(
        &mut tx,
        municipality,
        actor,
        "debit.results.import",
        &format!("debit_request:{}", req.id),
        json!({ "sha256": sha, "paid_count": summary.paid_count, "paid_yen": summary.paid_yen,
                "unpaid_count": summary.unpaid_count(), "unpaid_yen": summary.unpaid_yen() }),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

fn summarize_unpaid(data: &[Data]) -> Vec<Unpaid> {
    let mut m: BTreeMap<u8, (ResultCode, i64, i64)> = BTreeMap::new();
    for d in data {
        let code = d.result.unwrap_or(ResultCode::Other);
        if code.is_paid() {
            continue;
        }
        let e = m.entry(code.byte()).or_insert((code, 0, 0));
        e.1 += 1;
        e.2 += d.amount as i64;
    }
    m.into_values()
        .map(|(c, n, yen)| Unpaid {
            code: char::from(c.byte()).to_string(),
            meaning_ja: c.meaning_ja(),
            meaning_en: c.meaning_en(),
            count: n,
            yen,
        })
        .collect()
}
