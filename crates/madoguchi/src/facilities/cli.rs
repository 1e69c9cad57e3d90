//! The `madoguchi facilities …` commands (docs/facilities.md): lotteries (create, list, draw,
//! verify) and the refunds still due (list, carry out).

use std::process::ExitCode;

use clap::Subcommand;

use super::{lottery, model, store};
use crate::audit::Actor;
use crate::db::Db;
use crate::payments::store::Due;

// Parsed once at start-up: the size of the create variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum FacilitiesCommand {
    /// 抽選 (lotteries).
    Lottery {
        #[command(subcommand)]
        what: LotteryCommand,
    },
    /// The refunds still due: paid bookings cancelled in time (or payments that hold no
    /// booking) whose refund the payment provider has not carried out yet. The server's job
    /// tries them every run; --carry-out tries them now through the configured provider.
    Refunds {
        #[arg(long)]
        municipality: Option<String>,
        #[arg(long)]
        carry_out: bool,
    },
    /// For bench/facilities.sh ONLY, on a throwaway demo database: creates N residents with
    /// approved user IDs and API tokens (scope facilities:book), lifts every facility's monthly
    /// limit and days-ahead rule, and writes `tokens.txt` (one token a line) and `rooms.txt`
    /// (`room_id opens_min slot_min slots_a_day` of the atomic rooms outside lotteries, and
    /// `day0 MS`: JST midnight of tomorrow) into OUT.
    BenchSetup {
        #[arg(long, default_value_t = 32)]
        users: usize,
        #[arg(long)]
        out: std::path::PathBuf,
        /// Required: this changes the rules of every facility.
        #[arg(long)]
        yes_throwaway: bool,
        #[arg(long)]
        municipality: Option<String>,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum LotteryCommand {
    /// Create a lottery for one room, with the checks of the staff page: the slots are DAYS ×
    /// TIMES of MONTH; window dates left out take the default (the 1st to the 7th of the month
    /// `lottery_months_before` months before, the draw on the 8th at 04:00, confirm by the
    /// 14th). Prints the lottery id and the published SHA-256 of its seed.
    Create {
        /// Municipality code (default: default_municipality).
        #[arg(long)]
        municipality: Option<String>,
        /// Room id (see GET /api/v1/facilities).
        #[arg(long)]
        room: i64,
        /// Month of use, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Days of that month, e.g. 6,13,20.
        #[arg(long)]
        days: String,
        /// Slot start times, e.g. 09:00,13:00 (the room's slot grid).
        #[arg(long, value_delimiter = ',')]
        times: Vec<String>,
        /// First day of entries, YYYY-MM-DD.
        #[arg(long, default_value = "")]
        opens: String,
        /// Last day of entries (inclusive), YYYY-MM-DD.
        #[arg(long, default_value = "")]
        closes: String,
        /// Day of the draw (04:00 JST), YYYY-MM-DD.
        #[arg(long, default_value = "")]
        draw: String,
        /// Last day winners can confirm (inclusive), YYYY-MM-DD.
        #[arg(long, default_value = "")]
        confirm_until: String,
        /// 第1希望 entries per user ID.
        #[arg(long, default_value = "2")]
        max_entries: String,
        /// Wins per user ID (default: no maximum).
        #[arg(long, default_value = "")]
        max_wins: String,
        /// Only 市民等 may enter: yes or no (default: the facility's term).
        #[arg(long)]
        citizens_only: Option<String>,
    },
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

/// The refunds still due in a municipality, one line each (payment, booking, yen, since when),
/// oldest first, then a total line.
pub async fn refunds_report(db: &Db, municipality: &str) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let mut out = String::new();
    let due = super::service::refunds_due(db, municipality).await?;
    let mut total = 0;
    for d in &due {
        total += d.payment.amount_yen;
        writeln!(
            out,
            "{}\tbooking {}\t{} yen\tdue since {}",
            d.payment.public_id,
            d.booking,
            d.payment.amount_yen,
            model::jst_text(d.since)
        )?;
    }
    writeln!(out, "{} refunds due, {} yen", due.len(), total)?;
    Ok(out)
}

pub async fn run(
    db: &Db,
    cfg: &crate::config::Config,
    what: FacilitiesCommand,
) -> anyhow::Result<ExitCode> {
    let what = match what {
        FacilitiesCommand::Lottery { what } => what,
        FacilitiesCommand::Refunds {
            municipality,
            carry_out,
        } => {
            let m = crate::admin::resolve_municipality(db, municipality.as_deref()).await?;
            if carry_out {
                let p = crate::payments::provider::HttpProvider::from_config(
                    &cfg.payments,
                    &cfg.base_url,
                    false,
                )
                .map_err(|e| {
                    anyhow::anyhow!(
                        "no payment provider to refund through ({e}): set payments.api_base; with the demo's sandbox provider the running server's job, or the staff page /staff/facilities, carries them out"
                    )
                })?;
                let n = crate::payments::service::carry_out_refunds(db, &p, Due::In(&m)).await?;
                println!("{n} refunded");
            }
            print!("{}", refunds_report(db, &m).await?);
            return Ok(ExitCode::SUCCESS);
        }
        FacilitiesCommand::BenchSetup {
            users,
            out,
            yes_throwaway,
            municipality,
        } => {
            anyhow::ensure!(
                yes_throwaway,
                "bench-setup changes every facility's rules: pass --yes-throwaway (throwaway databases only)"
            );
            let m = crate::admin::resolve_municipality(db, municipality.as_deref()).await?;
            bench_setup(db, &m, users, &out).await?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    match what {
        LotteryCommand::Create {
            municipality,
            room,
            month,
            days,
            times,
            opens,
            closes,
            draw,
            confirm_until,
            max_entries,
            max_wins,
            citizens_only,
        } => {
            let m = crate::admin::resolve_municipality(db, municipality.as_deref()).await?;
            let room = store::room(db, room)
                .await?
                .ok_or_else(|| anyhow::anyhow!("room {room} not found"))?;
            let f = store::facility(db, &m, room.facility_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("room {} is not a room of {m}", room.id))?;
            let citizens_only = match citizens_only.as_deref() {
                None => f.citizens_only_lottery,
                Some("yes") => true,
                Some("no") => false,
                Some(x) => anyhow::bail!("--citizens-only must be yes or no (got {x:?})"),
            };
            let form = lottery::LotteryForm {
                month,
                days,
                times,
                opens,
                closes,
                draw,
                confirm_until,
                max_entries,
                max_wins,
                citizens_only,
            };
            let months_before = {
                let mut tx = db.begin().await?;
                let (_, n) = store::settings_tx(&mut tx, &m).await?;
                tx.commit().await?;
                n
            };
            let plan = match lottery::plan(&form, &room, months_before, crate::db::now_ms()) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!(
                        "--{}: {}",
                        e.field.replace('_', "-"),
                        crate::web::i18n::Lang::En.t(e.key)
                    );
                    return Ok(ExitCode::FAILURE);
                }
            };
            let id = match lottery::create(db, &m, &Actor::Cli, &plan).await {
                Ok(id) => id,
                Err(super::service::FacError::Invalid(k)) => {
                    eprintln!("{}", crate::web::i18n::Lang::En.t(k));
                    return Ok(ExitCode::FAILURE);
                }
                Err(super::service::FacError::Refused(r)) => {
                    eprintln!("{}", crate::web::i18n::Lang::En.t(r.key()));
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => anyhow::bail!("{e}"),
            };
            let l = store::lottery(db, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("lottery {id} vanished"))?;
            println!(
                "lottery {id}: {} slots in {}, entries {} to {}, seed sha256 {}",
                plan.slots.len(),
                l.target_month,
                model::date_string(model::jst_date(l.opens_at)),
                model::date_string(model::jst_date(l.closes_at - 1)),
                l.seed_hash
            );
        }
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
            println!(
                "{draws} lotteries drawn, {forfeits} unconfirmed wins forfeited or unpaid bookings released"
            );
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

async fn bench_setup(
    db: &Db,
    municipality: &str,
    users: usize,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    std::fs::create_dir_all(out)?;
    let mut tokens = String::new();
    for i in 0..users {
        let email = format!("bench-facilities-{i}@example.jp");
        let id = match crate::auth::store::find_user_by_email(
            db,
            municipality,
            crate::auth::Kind::Resident,
            &email,
        )
        .await?
        {
            Some(u) => u.id,
            None => {
                crate::admin::create_account(
                    db,
                    crate::admin::NewAccount {
                        municipality,
                        email: &email,
                        name: "ベンチ 利用者",
                        password: "bench-password-2026",
                        staff: None,
                    },
                )
                .await?
            }
        };
        let mut tx = db.begin().await?;
        super::service::register_tx(
            &mut tx,
            municipality,
            &Actor::Cli,
            id,
            None,
            &super::service::Registration {
                group: true,
                name: email.clone(),
                citizen: true,
                members: 1,
                purposes: vec!["meeting".into()],
            },
        )
        .await?;
        tx.commit().await?;
        let (_, token) =
            crate::admin::create_token(db, municipality, &email, super::api::SCOPE).await?;
        writeln!(tokens, "{token}")?;
    }
    db.execute_raw(&format!(
        "UPDATE fac_facilities SET max_per_month = 1000000000, book_ahead_days = 100000 WHERE municipality_id = '{}'",
        municipality.replace('\'', "")
    ))
    .await?;
    let mut rooms = String::new();
    let day0 = model::jst_ms(
        model::jst_date(crate::db::now_ms()) + time::Duration::days(1),
        0,
    );
    writeln!(rooms, "day0 {day0}")?;
    let lotteries = store::lotteries(db, municipality).await?;
    let mut held = Vec::new();
    for l in &lotteries {
        for s in store::slots(db, l.id).await? {
            held.extend(store::atoms(db, s.room_id).await?);
        }
    }
    for f in store::facilities(db, municipality).await? {
        if !f.online_registration {
            continue; // the bench users are approved only where registration is online
        }
        for r in store::rooms(db, f.id).await? {
            let atoms = store::atoms(db, r.id).await?;
            if atoms != [r.id] || held.contains(&r.id) {
                continue;
            }
            let per_day = (r.closes_min - r.opens_min) / r.slot_min;
            writeln!(rooms, "{} {} {} {per_day}", r.id, r.opens_min, r.slot_min)?;
        }
    }
    std::fs::write(out.join("tokens.txt"), tokens)?;
    std::fs::write(out.join("rooms.txt"), rooms)?;
    println!(
        "{users} bench users, rooms in {}",
        out.join("rooms.txt").display()
    );
    Ok(())
}
