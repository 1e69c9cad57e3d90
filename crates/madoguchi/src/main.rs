//! The `madoguchi` command: server, demo, migrations and administration.
#![forbid(unsafe_code)]

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use madoguchi::auth::Role;
use madoguchi::config::{Config, LogFormat};
use madoguchi::db::Db;
use madoguchi::{admin, audit, demo, server};

#[derive(Parser)]
#[command(
    name = "madoguchi",
    version,
    about = "Madoguchi (窓口): a 24-hour digital city hall"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// TOML configuration file.
    #[arg(long, env = "MADOGUCHI_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://… (overrides the config file and env).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Data directory for the embedded SQLite database (used when no database URL is given).
    #[arg(long, env = "MADOGUCHI_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run with demo data on SQLite in the data directory (default ./data).
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Run the server (production).
    Serve {
        #[arg(long)]
        addr: Option<SocketAddr>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Accounts, departments, municipalities and API tokens.
    Admin {
        #[command(subcommand)]
        what: AdminCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Application forms: export, import and check form files (test → production).
    Forms {
        #[command(subcommand)]
        what: FormsCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Japan Post's postal-code data (郵便番号 → address), see docs/postal.md.
    Postal {
        #[command(subcommand)]
        what: PostalCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// 手続きナビ: check a flow file, or time checklist evaluations (bench/run.sh).
    Navi {
        #[command(subcommand)]
        what: NaviCommand,
    },
    /// Online payments of fees (docs/payments.md).
    Payments {
        #[command(subcommand)]
        what: PaymentsCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// PDF documents: verify a notice's signature (docs/documents.md).
    Document {
        #[command(subcommand)]
        what: DocumentCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The bank and branch master (zengin-code data), see docs/debit.md.
    Banks {
        #[command(subcommand)]
        what: madoguchi::debit::cli::BanksCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The road ledger: import a network (GeoJSON, Shapefile), see docs/roads.md.
    Roads {
        #[command(subcommand)]
        what: madoguchi::roads::cli::RoadsCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Web口座振替: billing data, 全銀 request files and result files (docs/debit.md).
    Debit {
        #[command(subcommand)]
        what: madoguchi::debit::cli::DebitCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Public facilities: lotteries (draw, verify), see docs/facilities.md.
    Facilities {
        #[command(subcommand)]
        what: madoguchi::facilities::cli::FacilitiesCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Back up the database (SQLite: VACUUM INTO; PostgreSQL: pg_dump custom format), or
    /// print a checksum over every table (docs/operations.md).
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long, required_unless_present = "checksum")]
        out: Option<PathBuf>,
        /// Print SHA-256 per table and overall (of the live database).
        #[arg(long)]
        checksum: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Restore a backup into a fresh database (refuses a non-empty one unless --force).
    Restore {
        /// A file written by `madoguchi backup --out`.
        file: PathBuf,
        /// Replace the data of a database that is not empty.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// A constant-response server: the machine's ceiling for benchmarks.
    Ceiling {
        #[arg(long, default_value = "127.0.0.1:8081")]
        addr: SocketAddr,
    },
}

#[derive(Subcommand)]
enum DocumentCommand {
    /// Check a notice's detached CMS signature; exit status 0 when valid, 1 when not.
    Verify {
        /// The notice PDF.
        file: PathBuf,
        /// The signature (default: FILE.p7s).
        #[arg(long)]
        signature: Option<PathBuf>,
        /// The trusted certificate (PEM). Default: documents.signing_cert, else the demo
        /// certificate in the data directory.
        #[arg(long)]
        cert: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum FormsCommand {
    /// Write a procedure's form to a file (`<slug>-v<n>.madoguchi-form.json`, or --out).
    Export {
        #[arg(long)]
        municipality: String,
        #[arg(long)]
        procedure: String,
        /// A version number (default: the published version, else the newest).
        #[arg(long)]
        version: Option<i64>,
        /// Output file; `-` for standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read a form file as the procedure's draft (importing the same file again is a no-op).
    Import {
        file: PathBuf,
        #[arg(long)]
        municipality: String,
        /// Default: the procedure named in the file.
        #[arg(long)]
        procedure: Option<String>,
        /// Publish it right away (the live version is archived).
        #[arg(long)]
        publish: bool,
    },
    /// Check a form file; exit status 1 with the problems when it cannot be published.
    Check { file: PathBuf },
}

#[derive(Subcommand)]
enum AdminCommand {
    Staff {
        #[command(subcommand)]
        what: StaffCommand,
    },
    Resident {
        #[command(subcommand)]
        what: ResidentCommand,
    },
    Token {
        #[command(subcommand)]
        what: TokenCommand,
    },
    Municipality {
        #[command(subcommand)]
        what: MunicipalityCommand,
    },
    Department {
        #[command(subcommand)]
        what: DepartmentCommand,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a staff member; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Department code (see `admin department create`).
        #[arg(long)]
        department: String,
        /// admin, department_staff, reviewer or dx_promoter.
        #[arg(long)]
        role: String,
        #[arg(long)]
        municipality: Option<String>,
    },
    /// Change a staff member's role (and department).
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        municipality: Option<String>,
    },
}

#[derive(Subcommand)]
enum ResidentCommand {
    /// Create a resident (e-mail counted as verified); the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        municipality: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new bearer token for the account with this e-mail.
    Create {
        #[arg(long)]
        email: String,
        /// Space-separated scopes; `*` for all.
        #[arg(long, default_value = "api:read")]
        scope: String,
        #[arg(long)]
        municipality: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

#[derive(Subcommand)]
enum MunicipalityCommand {
    Create {
        /// 6-digit 全国地方公共団体コード, e.g. 122033.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name_ja: String,
        #[arg(long)]
        name_en: String,
    },
}

#[derive(Subcommand)]
enum DepartmentCommand {
    Create {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name_ja: String,
        #[arg(long)]
        name_en: String,
        #[arg(long)]
        municipality: Option<String>,
    },
}

#[derive(Subcommand)]
enum NaviCommand {
    /// Checks a flow file (JSON) as publishing would; exit 1 with the problems.
    Check {
        /// The event the flow is for (tennyu, tenshutsu, tenkyo, shussei, konin, rikon, shibo).
        event: String,
        file: PathBuf,
    },
    /// Evaluates every path of every shipped flow `rounds` times and prints the time per
    /// checklist evaluation.
    Bench {
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
}

#[derive(Subcommand)]
enum PostalCommand {
    /// Load KEN_ALL.CSV (Shift_JIS) or utf_ken_all.csv (UTF-8), plain or gzipped, in one
    /// transaction. The table must be empty unless --replace is given.
    Import {
        /// The unzipped CSV file from Japan Post (or the shipped data/postal/*.csv.gz).
        path: PathBuf,
        /// Replace every row already in the table (the report says what changed).
        #[arg(long)]
        replace: bool,
    },
    /// Print the addresses of one postal code.
    Lookup { code: String },
}

#[derive(Subcommand)]
enum PaymentsCommand {
    /// Write the day's reconciliation CSV for 会計課: every payment event of the day (JST),
    /// totals, and the differences from the provider's settlement list.
    Reconcile {
        /// The day, YYYY-MM-DD (Japan time).
        #[arg(long)]
        date: String,
        /// Output file (`-` for standard output).
        #[arg(long)]
        out: PathBuf,
        /// utf-8 (with BOM, the default), sjis (JIS X 0208 Shift_JIS) or cp932.
        #[arg(long)]
        encoding: Option<String>,
        /// Municipality code (default: the only or default one).
        #[arg(long)]
        municipality: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash chain; exit 1 naming the first bad event.
    Verify,
}

fn load_config(a: &DbArgs) -> anyhow::Result<Config> {
    let mut cfg = Config::load(a.config.as_deref(), std::env::vars())?;
    if let Some(url) = &a.database_url {
        cfg.database_url = url.clone();
    } else if let Some(dir) = &a.data_dir {
        cfg.database_url = Config::sqlite_url_in(dir);
    }
    Ok(cfg)
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MADOGUCHI_LOG")
        .unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
        LogFormat::Pretty => builder.init(),
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading the password from standard input")?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(
        !p.is_empty(),
        "no password on standard input (e.g. `madoguchi admin … < password.txt`)"
    );
    Ok(p)
}

async fn open(cfg: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&cfg.database_url)
        .await
        .with_context(|| format!("opening {}", redact(&cfg.database_url)))?;
    db.migrate().await.context("migrating the database")?;
    Ok(db)
}

/// Hides a password in a database URL for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..s], &url[at + 1..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo { addr, db: a } => {
            let mut a = a;
            if a.database_url.is_none() && a.data_dir.is_none() {
                a.data_dir = Some(madoguchi::config::default_data_dir());
            }
            let mut cfg = demo::demo_config(load_config(&a)?);
            if cfg.base_url == madoguchi::config::Config::default().base_url {
                // The sandbox payment provider sends webhooks and residents back to base_url.
                cfg.base_url = format!("http://{addr}");
            }
            cfg.addr = addr;
            // The card sign-in and staff sign-on go to the sandbox provider on this server.
            let key_dir = a
                .data_dir
                .clone()
                .unwrap_or_else(madoguchi::config::default_data_dir);
            madoguchi::identity::wire_demo_sandbox(&mut cfg, &key_dir)?;
            let docs_dir = a
                .data_dir
                .clone()
                .unwrap_or_else(madoguchi::config::default_data_dir)
                .join("documents");
            madoguchi::documents::demo_setup(&mut cfg.documents, &docs_dir)?;
            if std::env::var("MADOGUCHI_LOG_FORMAT").is_err() {
                cfg.log_format = LogFormat::Pretty;
            }
            init_logs(cfg.log_format);
            let db = open(&cfg).await?;
            demo::load(&db).await.context("loading demo data")?;
            madoguchi::roads::demo::load(&db)
                .await
                .context("loading the demo road network")?;
            // 手続きナビ on LINE talks to a local LINE sandbox unless a real channel is set.
            let line_sandbox = if cfg.line.channel_secret.is_empty() {
                let sb = madoguchi::navi::sandbox::LineSandbox::start(
                    "demo-line-channel-secret",
                    "demo-line-channel-access-token",
                )
                .await
                .context("starting the LINE sandbox")?;
                cfg.line.channel_secret = sb.channel_secret.clone();
                cfg.line.channel_access_token = sb.channel_access_token.clone();
                cfg.line.api_base_url = sb.api_base_url();
                madoguchi::navi::sandbox::set_demo(
                    sb.clone(),
                    format!("http://{addr}{}", madoguchi::navi::line::PATH),
                );
                Some(sb)
            } else {
                None
            };
            let mut banner = String::from("\nMadoguchi demo (SQLite: ");
            banner.push_str(&redact(&cfg.database_url));
            banner.push_str(")\n  市川市:   http://{addr}/  (passkeys need a host name: http://localhost:PORT/)\n  酒々井町: http://shisui.localhost:PORT/ (second demo municipality)\n  Sandbox mailbox: http://{addr}/sandbox/mailbox\n  Sandbox payments (サンドボックス): fees are paid on a sandbox page, no money moves\n  My Number card sign-in (sandbox provider): http://{addr}/auth/card\n  Staff single sign-on (sandbox provider):   http://{addr}/staff/login/sso\n\nDemo accounts (password: ");
            banner.push_str(demo::PASSWORD);
            banner.push_str(")\n");
            for acc in demo::ACCOUNTS {
                let what = match acc.staff {
                    Some((dept, role)) => {
                        format!("staff ({dept}, {})  → /staff/login", role.as_str())
                    }
                    None => "resident → /login".to_owned(),
                };
                banner.push_str(&format!(
                    "  {:<34} {} {}\n",
                    acc.email,
                    if acc.municipality == demo::ICHIKAWA {
                        "市川市"
                    } else {
                        "酒々井町"
                    },
                    what
                ));
            }
            if let Some(sb) = &line_sandbox {
                banner.push_str(&format!(
                    "  手続きナビ: http://{addr}/navi ; LINE SANDBOX: http://{addr}/sandbox/line (reply API at {}, channel secret {})\n",
                    sb.api_base_url(),
                    sb.channel_secret
                ));
            }
            let banner = banner.replace("PORT", &addr.port().to_string());
            server::run(db, cfg, true, Some(banner)).await?;
        }
        Command::Serve { addr, db: a } => {
            let mut cfg = load_config(&a)?;
            if let Some(addr) = addr {
                cfg.addr = addr;
            }
            init_logs(cfg.log_format);
            let db = open(&cfg).await?;
            server::run(db, cfg, false, None).await?;
        }
        Command::Migrate { db: a } => {
            let cfg = load_config(&a)?;
            open(&cfg).await?;
            println!("migrations applied to {}", redact(&cfg.database_url));
        }
        Command::Admin { what, db: a } => {
            let cfg = load_config(&a)?;
            let db = open(&cfg).await?;
            admin_command(&db, what).await?;
            db.close().await;
        }
        Command::Audit {
            what: AuditCommand::Verify,
            db: a,
        } => {
            let cfg = load_config(&a)?;
            let db = open(&cfg).await?;
            let report = audit::verify(&db).await?;
            db.close().await;
            match report.first_bad {
                None => println!(
                    "audit chain intact: {} events in {} municipalities",
                    report.events, report.municipalities
                ),
                Some(bad) => {
                    eprintln!("audit chain BROKEN: {bad}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Forms {
            what: FormsCommand::Check { file },
            ..
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let problems = madoguchi::procedures::editor::cli::check(&text);
            if !problems.is_empty() {
                for p in problems {
                    eprintln!("{p}");
                }
                return Ok(ExitCode::FAILURE);
            }
            println!("{}: ok", file.display());
        }
        Command::Forms { what, db: a } => {
            let cfg = load_config(&a)?;
            let db = open(&cfg).await?;
            let r = forms_command(&db, what).await;
            db.close().await;
            r?;
        }
        Command::Postal { what, db: a } => {
            let cfg = load_config(&a)?;
            let db = open(&cfg).await?;
            let code = postal_command(&db, what).await;
            db.close().await;
            return code;
        }
        Command::Navi { what } => return navi_command(what),
        Command::Payments {
            what:
                PaymentsCommand::Reconcile {
                    date,
                    out,
                    encoding,
                    municipality,
                },
            db: a,
        } => {
            use madoguchi::payments::{provider::HttpProvider, reconcile, routes};
            use madoguchi::procedures::application::rules::CsvEncoding;
            let cfg = load_config(&a)?;
            let enc = CsvEncoding::parse(encoding.as_deref())
                .ok_or_else(|| anyhow::anyhow!("--encoding must be utf-8, sjis or cp932"))?;
            let db = open(&cfg).await?;
            let m = admin::resolve_municipality(&db, municipality.as_deref()).await?;
            let provider = HttpProvider::from_config(&cfg.payments, &cfg.base_url, false).ok();
            if provider.is_none() {
                eprintln!(
                    "payments.api_base is not set: the CSV is not checked against the provider"
                );
            }
            let report = routes::day_report(&db, provider.as_ref(), &m, &date).await;
            db.close().await;
            let Some(report) = report? else {
                anyhow::bail!("--date must be YYYY-MM-DD (got {date:?})");
            };
            let (bytes, replaced) = reconcile::csv(&report, enc);
            if out.as_os_str() == "-" {
                use std::io::Write;
                std::io::stdout().write_all(&bytes)?;
            } else {
                std::fs::write(&out, &bytes)
                    .with_context(|| format!("writing {}", out.display()))?;
            }
            let t = &report.totals;
            eprintln!(
                "{}: {} events, charges {} yen ({}), refunds {} yen ({}), net {} yen; {}{}",
                report.date,
                report.lines.len(),
                t.charges,
                t.charge_count,
                t.refunds,
                t.refund_count,
                t.net(),
                match &report.checked {
                    None => "not checked against the provider".to_owned(),
                    Some(d) if d.is_empty() => "matches the provider's settlement list".to_owned(),
                    Some(d) => format!(
                        "{} differences from the provider's settlement list",
                        d.len()
                    ),
                },
                if replaced > 0 {
                    format!("; {replaced} characters replaced by 〓")
                } else {
                    String::new()
                }
            );
            if report.checked.as_ref().is_some_and(|d| !d.is_empty()) {
                return Ok(ExitCode::from(2));
            }
        }
        Command::Document {
            what:
                DocumentCommand::Verify {
                    file,
                    signature,
                    cert,
                },
            db: a,
        } => {
            let cfg = load_config(&a)?;
            let cert = match cert {
                Some(c) => c,
                None if !cfg.documents.signing_cert.trim().is_empty() => {
                    PathBuf::from(cfg.documents.signing_cert.trim())
                }
                None => {
                    let demo = a
                        .data_dir
                        .clone()
                        .unwrap_or_else(madoguchi::config::default_data_dir)
                        .join("documents")
                        .join("demo-signing-cert.pem");
                    anyhow::ensure!(
                        demo.is_file(),
                        "no trusted certificate: give --cert CERT.pem or set documents.signing_cert"
                    );
                    eprintln!("(using the demo certificate {})", demo.display());
                    demo
                }
            };
            let (ok, report) =
                madoguchi::documents::cli::verify_files(&file, signature.as_deref(), &cert)?;
            println!("{report}");
            return Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        Command::Banks { what, db: a } => {
            let db = open(&load_config(&a)?).await?;
            return madoguchi::debit::cli::banks(&db, what).await;
        }
        Command::Roads { what, db: a } => {
            let cfg = load_config(&a)?;
            let db = open(&cfg).await?;
            return madoguchi::roads::cli::roads(&db, &cfg, what).await;
        }
        Command::Debit { what, db: a } => {
            let cfg = load_config(&a)?;
            let db = open(&cfg).await?;
            return madoguchi::debit::cli::debit(&db, &cfg, what).await;
        }
        Command::Facilities { what, db: a } => {
            let cfg = load_config(&a)?;
            let db = open(&cfg).await?;
            return madoguchi::facilities::cli::run(&db, &cfg, what).await;
        }
        Command::Backup {
            out,
            checksum,
            db: a,
        } => {
            let cfg = load_config(&a)?;
            let db = open(&cfg).await?;
            let r = async {
                if let Some(out) = &out {
                    madoguchi::backup::backup(&db, &cfg.database_url, out).await?;
                    println!("backup written to {}", out.display());
                }
                if checksum {
                    println!("{}", madoguchi::backup::checksum(&db).await?);
                }
                anyhow::Ok(())
            }
            .await;
            db.close().await;
            r?;
        }
        Command::Restore { file, force, db: a } => {
            let cfg = load_config(&a)?;
            madoguchi::backup::restore(&cfg.database_url, &file, force).await?;
            let db = open(&cfg).await?;
            let sum = madoguchi::backup::checksum(&db).await;
            db.close().await;
            println!(
                "restored {} into {}; {}",
                file.display(),
                redact(&cfg.database_url),
                sum?.overall
            );
        }
        Command::Ceiling { addr } => server::ceiling(addr).await?,
    }
    Ok(ExitCode::SUCCESS)
}

fn navi_command(what: NaviCommand) -> anyhow::Result<ExitCode> {
    use madoguchi::navi::{check, engine, model};
    match what {
        NaviCommand::Check { event, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let flow = model::Flow::from_json(&text)
                .with_context(|| format!("{} is not a flow", file.display()))?;
            let problems = check::check(&flow, &event);
            if problems.is_empty() {
                let paths = engine::all_paths(&flow, check::MAX_PATHS)
                    .map(|p| p.len())
                    .unwrap_or(0);
                println!(
                    "ok: {event}, {} questions, {} procedures, {paths} paths",
                    flow.questions.len(),
                    flow.procedures.len()
                );
                return Ok(ExitCode::SUCCESS);
            }
            for p in problems {
                println!("{}: {}", madoguchi::web::i18n::Lang::Ja.t(p.key), p.detail);
            }
            Ok(ExitCode::FAILURE)
        }
        NaviCommand::Bench { rounds } => {
            let report = madoguchi::navi::bench::run(rounds.max(1));
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn forms_command(db: &Db, what: FormsCommand) -> anyhow::Result<()> {
    use madoguchi::procedures::editor::cli;
    match what {
        FormsCommand::Export {
            municipality,
            procedure,
            version,
            out,
        } => {
            let (name, json) = cli::export(db, &municipality, &procedure, version).await?;
            match out {
                Some(p) if p.as_os_str() == "-" => println!("{json}"),
                other => {
                    let path = other.unwrap_or_else(|| PathBuf::from(&name));
                    std::fs::write(&path, json + "\n")
                        .with_context(|| format!("writing {}", path.display()))?;
                    println!("{}", path.display());
                }
            }
        }
        FormsCommand::Import {
            file,
            municipality,
            procedure,
            publish,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let line = cli::import(db, &municipality, &text, procedure.as_deref(), publish).await?;
            println!("{line}");
        }
        FormsCommand::Check { .. } => {}
    }
    Ok(())
}

async fn postal_command(db: &Db, what: PostalCommand) -> anyhow::Result<ExitCode> {
    use std::io::{IsTerminal, Write};
    match what {
        PostalCommand::Import { path, replace } => {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let start = std::time::Instant::now();
            let tty = std::io::stderr().is_terminal();
            let mut shown = 0;
            let mut progress = |done: usize, total: usize| {
                let pct = done * 100 / total.max(1);
                if tty && (pct >= shown + 5 || done == total) {
                    shown = pct;
                    eprint!("\rwriting addresses: {done}/{total} ({pct}%)");
                    let _ = std::io::stderr().flush();
                }
            };
            let report = madoguchi::postal::import::import(
                db,
                &bytes,
                replace,
                &audit::Actor::Cli,
                &mut progress,
            )
            .await;
            if tty {
                eprintln!();
            }
            let report = report.with_context(|| format!("importing {}", path.display()))?;
            println!("{report} in {:.2} s", start.elapsed().as_secs_f64());
        }
        PostalCommand::Lookup { code } => {
            let code = madoguchi::procedures::jp::PostalCode::parse(&code)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let found = madoguchi::postal::lookup(db, &code).await?;
            if found.is_empty() {
                eprintln!("no address for {code}");
                return Ok(ExitCode::FAILURE);
            }
            for a in found {
                let note = if a.town_note.is_empty() {
                    String::new()
                } else {
                    format!(" （{}）", a.town_note)
                };
                println!(
                    "{code} {}{}{}{note}  {} {} {}",
                    a.prefecture, a.city, a.town, a.prefecture_kana, a.city_kana, a.town_kana
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn admin_command(db: &Db, what: AdminCommand) -> anyhow::Result<()> {
    match what {
        AdminCommand::Staff {
            what:
                StaffCommand::Create {
                    email,
                    name,
                    department,
                    role,
                    municipality,
                },
        } => {
            let role = Role::parse(&role)
                .context("role must be one of admin, department_staff, reviewer, dx_promoter")?;
            let m = admin::resolve_municipality(db, municipality.as_deref()).await?;
            let password = read_password()?;
            let id = admin::create_account(
                db,
                admin::NewAccount {
                    municipality: &m,
                    email: &email,
                    name: &name,
                    password: &password,
                    staff: Some((&department, role)),
                },
            )
            .await?;
            println!("staff member {id} created in {m}");
        }
        AdminCommand::Staff {
            what:
                StaffCommand::SetRole {
                    email,
                    role,
                    department,
                    municipality,
                },
        } => {
            let role = Role::parse(&role)
                .context("role must be one of admin, department_staff, reviewer, dx_promoter")?;
            let m = admin::resolve_municipality(db, municipality.as_deref()).await?;
            admin::set_staff_role(db, &m, &email, role, department.as_deref()).await?;
            println!("role of {email} set to {}", role.as_str());
        }
        AdminCommand::Resident {
            what:
                ResidentCommand::Create {
                    email,
                    name,
                    municipality,
                },
        } => {
            let m = admin::resolve_municipality(db, municipality.as_deref()).await?;
            let password = read_password()?;
            let id = admin::create_account(
                db,
                admin::NewAccount {
                    municipality: &m,
                    email: &email,
                    name: &name,
                    password: &password,
                    staff: None,
                },
            )
            .await?;
            println!("resident {id} created in {m}");
        }
        AdminCommand::Token {
            what:
                TokenCommand::Create {
                    email,
                    scope,
                    municipality,
                },
        } => {
            let m = admin::resolve_municipality(db, municipality.as_deref()).await?;
            let (id, secret) = admin::create_token(db, &m, &email, &scope).await?;
            eprintln!("token {id} created (shown once; store it safely)");
            println!("{secret}");
        }
        AdminCommand::Token {
            what: TokenCommand::Revoke { id },
        } => {
            admin::revoke_token(db, id).await?;
            println!("token {id} revoked");
        }
        AdminCommand::Municipality {
            what:
                MunicipalityCommand::Create {
                    code,
                    name_ja,
                    name_en,
                },
        } => {
            let created = admin::create_municipality(db, &code, &name_ja, &name_en).await?;
            println!(
                "municipality {code} {}",
                if created { "created" } else { "already exists" }
            );
        }
        AdminCommand::Department {
            what:
                DepartmentCommand::Create {
                    code,
                    name_ja,
                    name_en,
                    municipality,
                },
        } => {
            let m = admin::resolve_municipality(db, municipality.as_deref()).await?;
            match admin::create_department(db, &m, &code, &name_ja, &name_en).await? {
                Some(id) => println!("department {code} ({id}) created in {m}"),
                None => println!("department {code} already exists in {m}"),
            }
        }
    }
    Ok(())
}
