//! `madoguchi debit bench --records N`: the end-to-end time of a 種別91 export and of a result
//! import of N debits, database included (bench/debit.sh runs it on SQLite and PostgreSQL). The
//! target (issue 6) is 200,000 records per second or more for each.
//!
//! On the database it is given (use a throwaway one) it creates a bench municipality
//! (`999991`), one bank and branch, N paper mandates and N bills due on one date (set-up, timed
//! separately), then times `files::prepare` + `files::commit` (the export: select, build and
//! write the 120-byte records, mark N bills requested) and `files::import_results` of the
//! bank's answer (strict read, checks against the request, mark N bills paid / not paid).

use std::time::{Duration, Instant};

use sea_query::Query;

use super::config::{Consignor, DebitBankConfig, DebitConfig};
use super::files::{self, ExportOptions};
use super::store::{
    self, BankRow, BranchRow, DebitFirstDebits as Fd, DebitMandateItems as Mi, DebitMandates as Ma,
};
use crate::audit::Actor;
use crate::db::{Db, now_ms};

pub const MUNICIPALITY: &str = "999991";
const BANK: &str = "0134";
const DATE: &str = "2027-01-31";

pub struct Report {
    pub records: usize,
    pub setup: Duration,
    pub export: Duration,
    /// Of which: selecting the bills and building the file (the rest marks them requested).
    pub prepare: Duration,
    /// Reading the result file alone (no database), of the import's time.
    pub read: Duration,
    pub file_bytes: usize,
    pub import: Duration,
    pub paid: i64,
    pub unpaid: i64,
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

impl Report {
    pub fn export_rate(&self) -> f64 {
        rate(self.records, self.export)
    }
    pub fn import_rate(&self) -> f64 {
        rate(self.records, self.import)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "debit bench: {} debits", self.records)?;
        writeln!(
            f,
            "  set-up (mandates + bills, not timed against the target): {:.2} s",
            self.setup.as_secs_f64()
        )?;
        writeln!(
            f,
            "  export  (select, 種別91 file of {} bytes, mark requested): {:.3} s = {:.0} records/s ({:.2} × target 200000/s)",
            self.file_bytes,
            self.export.as_secs_f64(),
            self.export_rate(),
            self.export_rate() / 200_000.0
        )?;
        writeln!(
            f,
            "    of which select + build the file {:.3} s, mark requested {:.3} s",
            self.prepare.as_secs_f64(),
            (self.export - self.prepare).as_secs_f64()
        )?;
        writeln!(
            f,
            "  results (strict read, checks, mark {} paid / {} not paid): {:.3} s = {:.0} records/s ({:.2} × target 200000/s)",
            self.paid,
            self.unpaid,
            self.import.as_secs_f64(),
            self.import_rate(),
            self.import_rate() / 200_000.0
        )?;
        writeln!(
            f,
            "    reading the file alone (no database) takes {:.3} s",
            self.read.as_secs_f64()
        )
    }
}

fn config() -> DebitConfig {
    let mut cfg = DebitConfig::default();
    let mut b = DebitBankConfig {
        secret: "bench".into(),
        ..DebitBankConfig::default()
    };
    b.consignors.insert(
        MUNICIPALITY.into(),
        Consignor {
            code: "9999910134".into(),
            name: "ﾍﾞﾝﾁｼ".into(),
            branch: "001".into(),
            account_type: 1,
            account_number: "1234567".into(),
        },
    );
    cfg.banks.insert(BANK.into(), b);
    cfg
}

async fn setup(db: &Db, n: usize) -> anyhow::Result<()> {
    crate::admin::create_municipality(db, MUNICIPALITY, "ベンチ市", "Bench City").await?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    store::upsert_banks(
        &mut tx,
        &[BankRow {
            code: BANK.into(),
            name: "千葉".into(),
            kana: "チバ".into(),
        }],
        now,
    )
    .await?;
    store::upsert_branches(
        &mut tx,
        &[BranchRow {
            bank_code: BANK.into(),
            code: "001".into(),
            name: "中央".into(),
            kana: "チユウオウ".into(),
        }],
        now,
    )
    .await?;
    store::put_item(
        &mut tx,
        MUNICIPALITY,
        0,
        "kokuho",
        "国民健康保険税",
        "NHI tax",
    )
    .await?;
    let base: i64 = {
        #[derive(sqlx::FromRow)]
        struct M {
            m: Option<i64>,
        }
        let r: M = tx
            .fetch_one(
                Query::select()
                    .expr_as(
                        sea_query::Func::max(sea_query::Expr::col(Ma::Id)),
                        sea_query::Alias::new("m"),
                    )
                    .from(Ma::Table),
            )
            .await?;
        r.m.unwrap_or(0)
    };
    for start in (0..n).step_by(store::BATCH) {
        let end = (start + store::BATCH).min(n);
        let mut q = Query::insert();
        q.into_table(Ma::Table).columns([
            Ma::Id,
            Ma::MunicipalityId,
            Ma::PublicId,
            Ma::Channel,
            Ma::CustomerNumber,
            Ma::BankCode,
            Ma::BranchCode,
            Ma::AccountType,
            Ma::AccountNumber,
            Ma::HolderKana,
            Ma::Status,
            Ma::StartsOn,
            Ma::CreatedAt,
            Ma::ActivatedAt,
            Ma::UpdatedAt,
        ]);
        let mut items = Query::insert();
        items
            .into_table(Mi::Table)
            .columns([Mi::MandateId, Mi::ItemCode]);
        let mut firsts = Query::insert();
        firsts.into_table(Fd::Table).columns([Fd::MandateId]);
        let mut bills = Vec::with_capacity(end - start);
        for i in start..end {
            let id = base + 1 + i as i64;
            let cn = format!("{:010}", 5_000_000_000i64 + i as i64);
            q.values_panic([
                id.into(),
                MUNICIPALITY.into(),
                format!("bench{id}").into(),
                "paper".into(),
                cn.clone().into(),
                BANK.into(),
                "001".into(),
                1i64.into(),
                format!("{:07}", i % 10_000_000).into(),
                "ﾍﾞﾝﾁ ﾀﾛｳ".into(),
                "active".into(),
                "2026-04-01".into(),
                now.into(),
                now.into(),
                now.into(),
            ]);
            items.values_panic([id.into(), "kokuho".into()]);
            // Every mandate is new (the worst case: each record carries 新規コード 1 and the
            // export clears it for all of them).
            firsts.values_panic([id.into()]);
            bills.push(store::NewBill {
                customer_number: cn,
                item_code: "kokuho".into(),
                amount_yen: 1000 + (i % 9000) as i64,
                due_date: DATE.into(),
                mandate_id: id,
            });
        }
        tx.execute(&q).await?;
        tx.execute(&items).await?;
        tx.execute(&firsts).await?;
        store::insert_bills(&mut tx, MUNICIPALITY, &bills, now).await?;
    }
    tx.commit().await?;
    if db.backend() == crate::db::Backend::Postgres {
        // Identity columns were given explicitly: move the sequence past them.
        db.execute_raw("SELECT setval(pg_get_serial_sequence('debit_mandates', 'id'), (SELECT MAX(id) FROM debit_mandates))").await?;
        db.execute_raw("ANALYZE").await?;
    }
    Ok(())
}

pub async fn run(db: &Db, n: usize) -> anyhow::Result<Report> {
    anyhow::ensure!(
        (1..=999_999).contains(&n),
        "--records must be 1 to 999999 (one 種別91 file)"
    );
    let cfg = config();
    let t = Instant::now();
    setup(db, n).await?;
    let setup = t.elapsed();

    let t = Instant::now();
    let prepared = files::prepare(db, &cfg, MUNICIPALITY, &ExportOptions::default()).await?;
    let prepare = t.elapsed();
    files::commit(db, MUNICIPALITY, &prepared, &Actor::Cli).await?;
    let export = t.elapsed();
    anyhow::ensure!(
        prepared.len() == 1 && prepared[0].records == n,
        "expected one file of {n} records"
    );
    let bytes = &prepared[0].bytes;

    // The bank's answer: every 10th debit 資金不足 (not timed).
    let read = zengin::from_bytes(
        bytes,
        &zengin::ReadOptions {
            expect: Some(zengin::FileKind::Request),
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let g = &read.file.groups[0];
    let mut data = g.data.clone();
    for (i, d) in data.iter_mut().enumerate() {
        d.result = Some(if i % 10 == 9 {
            zengin::ResultCode::InsufficientFunds
        } else {
            zengin::ResultCode::Paid
        });
    }
    let result = zengin::TransferFile::single(zengin::FileKind::Result, g.header.clone(), data)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let result_bytes = zengin::to_bytes(&result, &files::write_options(&cfg.banks[BANK]))
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let t = Instant::now();
    let _ = zengin::from_bytes(&result_bytes, &zengin::ReadOptions::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let read_only = t.elapsed();
    let t = Instant::now();
    let s = files::import_results(db, &cfg, MUNICIPALITY, &result_bytes, &Actor::Cli).await?;
    let import = t.elapsed();
    Ok(Report {
        records: n,
        setup,
        export,
        file_bytes: bytes.len(),
        prepare,
        read: read_only,
        import,
        paid: s.paid_count,
        unpaid: s.unpaid_count(),
    })
}
