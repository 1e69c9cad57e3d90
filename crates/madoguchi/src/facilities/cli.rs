//! The `madoguchi facilities …` commands (docs/facilities.md): lotteries (list, draw, verify).

use std::process::ExitCode;

use clap::Subcommand;

use super::{lottery, model, store};
use crate::audit::Actor;
use crate::db::Db;

#[derive(Subcommand)]
pub enum FacilitiesCommand {
    /// 抽選 (lotteries).
    Lottery {
        #[command(subcommand)]
        what: LotteryCommand,
    },
}

#[derive(Subcommand)]
pub enum LotteryCommand {
    /// List the lotteries of a municipality with their seed hashes.
    List {
        /// Municipality code (default: default_municipality).
        #[arg(long)]
        municipality: Option<String>,
    },
    /// Draw a lottery now (ID), or every open lottery whose draw time has come (no ID), as the
    /// scheduled job does. Also forfeits won bookings not confirmed in time.
    Draw { id: Option<i64> },
    /// Re-run a drawn lottery from its revealed seed and its entries and compare the winners
    /// with the stored result. Exit status 1 when they differ or the seed does not match the
    /// published hash.
    Verify { id: i64 },
}

pub async fn run(db: &Db, what: FacilitiesCommand) -> anyhow::Result<ExitCode> {
    let FacilitiesCommand::Lottery { what } = what;
    match what {
        LotteryCommand::List { municipality } => {
            let m = crate::admin::resolve_municipality(db, municipality.as_deref()).await?;
            for l in store::lotteries(db, &m).await? {
                println!(
                    "{}\tfacility {}\t{}\t{}\tentries until {}\tseed sha256 {}{}",
                    l.id,
                    l.facility_id,
                    l.target_month,
                    l.status,
                    model::date_string(model::jst_date(l.closes_at - 1)),
                    l.seed_hash,
                    if l.status == "drawn" {
                        format!("\tseed {}", l.seed)
                    } else {
                        String::new()
                    }
                );
            }
        }
        LotteryCommand::Draw { id: Some(id) } => {
            match lottery::draw(db, id, &Actor::Cli)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                Some(d) => println!(
                    "lottery {}: {} entries, {} winners",
                    d.lottery,
                    d.entries,
                    d.winners.len()
                ),
                None => println!("lottery {id} was already drawn"),
            }
        }
        LotteryCommand::Draw { id: None } => {
            let (draws, forfeits) = lottery::tick(db, crate::db::now_ms())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{draws} lotteries drawn, {forfeits} unconfirmed wins forfeited");
        }
        LotteryCommand::Verify { id } => {
            let Some(v) = lottery::verify(db, id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            else {
                println!("lottery {id} is not drawn yet: its seed is still secret");
                return Ok(ExitCode::FAILURE);
            };
            println!(
                "seed matches the published SHA-256: {}",
                if v.seed_matches_hash { "yes" } else { "NO" }
            );
            for (slot, entry) in &v.recomputed {
                println!("slot {slot}: entry {entry} wins");
            }
            if v.ok() {
                println!("verified: the stored winners are what the seed gives");
            } else {
                println!("MISMATCH: stored winners {:?}", v.stored);
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
