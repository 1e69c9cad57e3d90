//! The `madoguchi banks …` and `madoguchi debit …` commands (docs/debit.md).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::files::{self, ExportOptions};
use crate::audit::Actor;
use crate::config::Config;
use crate::db::Db;

#[derive(Subcommand)]
pub enum BanksCommand {
    /// Replace the bank and branch master with a zengin-code source-data directory
    /// (banks.json and branches/*.json), in one transaction, reporting what changed.
    Import {
        /// The directory (its `data/` subdirectory is found too).
        path: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum DebitCommand {
    /// Billing data from the tax system.
    Bills {
        #[command(subcommand)]
        what: BillsCommand,
    },
    /// Write the 全銀 種別91 request files for the debits not yet requested: one file per bank
    /// and debit date. Marks them requested (not with --dry-run).
    Export {
        #[arg(long)]
        out_dir: PathBuf,
        /// Only bills due on this date (YYYY-MM-DD).
        #[arg(long)]
        date: Option<String>,
        /// Only this bank (4-digit code).
        #[arg(long)]
        bank: Option<String>,
        /// Only this item code.
        #[arg(long)]
        item: Option<String>,
        /// Write the files without marking anything requested.
        #[arg(long)]
        dry_run: bool,
        /// Municipality code (default: default_municipality).
        #[arg(long)]
        municipality: Option<String>,
        /// Use the demo's bank settings (as `madoguchi demo` runs with) instead of the
        /// configured `[debit.banks]`: for trying the demo only.
        #[arg(long)]
        demo_settings: bool,
    },
    /// Time an export and a result import of N debits, database included, on a throwaway
    /// database (bench/debit.sh).
    Bench {
        #[arg(long, default_value_t = 100_000)]
        records: usize,
    },
    /// A bank's result file (振替結果).
    Results {
        #[command(subcommand)]
        what: ResultsCommand,
    },
}

#[derive(Subcommand)]
pub enum BillsCommand {
    /// Import a CSV: customer number, item, amount, due date (a header row is optional).
    Import {
        file: PathBuf,
        #[arg(long)]
        municipality: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ResultsCommand {
    /// Read a result file and mark each debit paid or not paid.
    Import {
        file: PathBuf,
        #[arg(long)]
        municipality: Option<String>,
        /// Use the demo's bank settings (as `madoguchi demo` runs with) instead of the
        /// configured `[debit.banks]`: for trying the demo only.
        #[arg(long)]
        demo_settings: bool,
    },
}

pub async fn banks(db: &Db, what: BanksCommand) -> anyhow::Result<ExitCode> {
    let BanksCommand::Import { path } = what;
    let start = std::time::Instant::now();
    let (data, stale) = super::banks::read_dir(&path)?;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(data.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} banks")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("importing");
    let mut progress = |done: usize, _total: usize| bar.set_position(done as u64);
    let report = super::banks::import(db, &data, stale, &Actor::Cli, &mut progress).await;
    bar.finish_and_clear();
    let report = report.with_context(|| format!("importing {}", path.display()))?;
    print!("{report}");
    println!("in {:.2} s", start.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

fn municipality(cfg: &Config, m: Option<String>) -> anyhow::Result<String> {
    m.or_else(|| cfg.default_municipality.clone())
        .context("give --municipality CODE (or set default_municipality)")
}

fn settings(cfg: &Config, demo: bool) -> Config {
    if demo {
        crate::demo::demo_config(cfg.clone())
    } else {
        cfg.clone()
    }
}

pub async fn debit(db: &Db, cfg: &Config, what: DebitCommand) -> anyhow::Result<ExitCode> {
    match what {
        DebitCommand::Bills {
            what:
                BillsCommand::Import {
                    file,
                    municipality: m,
                },
        } => {
            let m = municipality(cfg, m)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            match super::bills::import(db, &m, &bytes, &Actor::Cli).await {
                Ok(r) => println!("{r}"),
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        DebitCommand::Export {
            out_dir,
            date,
            bank,
            item,
            dry_run,
            municipality: m,
            demo_settings,
        } => {
            let cfg = &settings(cfg, demo_settings);
            let m = municipality(cfg, m)?;
            let opts = ExportOptions { date, bank, item };
            let n = export(db, cfg, &m, &opts, &out_dir, dry_run).await?;
            if n == 0 {
                println!("no debits to request");
            }
        }
        DebitCommand::Bench { records } => {
            let r = super::bench::run(db, records).await?;
            print!("{r}");
        }
        DebitCommand::Results {
            what:
                ResultsCommand::Import {
                    file,
                    municipality: m,
                    demo_settings,
                },
        } => {
            let cfg = &settings(cfg, demo_settings);
            let m = municipality(cfg, m)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            match files::import_results(db, &cfg.debit, &m, &bytes, &Actor::Cli).await {
                Ok(s) => print!("{s}"),
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the files (under temporary names), records them (unless a dry run), then gives them
/// their names: a crash leaves either no record or a record with its file.
pub async fn export(
    db: &Db,
    cfg: &Config,
    municipality: &str,
    opts: &ExportOptions,
    out_dir: &Path,
    dry_run: bool,
) -> anyhow::Result<usize> {
    let prepared = files::prepare(db, &cfg.debit, municipality, opts).await?;
    if prepared.is_empty() {
        return Ok(0);
    }
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let mut tmp = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        let t = out_dir.join(format!(".madoguchi-export-{}-{i}.tmp", std::process::id()));
        std::fs::write(&t, &p.bytes).with_context(|| format!("writing {}", t.display()))?;
        tmp.push(t);
    }
    let names = if dry_run {
        prepared
            .iter()
            .map(|p| p.file_name(municipality, None))
            .collect()
    } else {
        match files::commit(db, municipality, &prepared, &Actor::Cli).await {
            Ok(n) => n,
            Err(e) => {
                for t in &tmp {
                    let _ = std::fs::remove_file(t);
                }
                return Err(e.into());
            }
        }
    };
    for ((t, name), p) in tmp.iter().zip(&names).zip(&prepared) {
        let dest = out_dir.join(name);
        std::fs::rename(t, &dest).with_context(|| format!("writing {}", dest.display()))?;
        println!(
            "{}  bank {}  debit date {}  {} records  {} yen{}",
            dest.display(),
            p.bank_code,
            p.debit_date,
            p.records,
            p.total_yen,
            if dry_run {
                "  (dry run: not marked)"
            } else {
                ""
            }
        );
    }
    Ok(prepared.len())
}
