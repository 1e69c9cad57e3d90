//! The `madoguchi roads …` commands (docs/roads.md).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::crs::Crs;
use super::store::Editor;
use crate::audit::Actor;
use crate::config::Config;
use crate::db::Db;

#[derive(Subcommand)]
pub enum RoadsCommand {
    /// Import a road network (sections with their route attributes) from a GeoJSON file or a
    /// Shapefile (.shp + .dbf, Shift_JIS unless a .cpg says otherwise). Everything is checked
    /// first; on any problem nothing is imported and the problems are listed by feature number.
    Import {
        path: PathBuf,
        /// CRS of the coordinates: EPSG:6677 (zone IX, X north / Y east in the GeoJSON order
        /// of the file: easting, northing), EPSG:6668 or CRS84. Default: what the file declares
        /// (.prj, GeoJSON `crs`), else CRS84 for GeoJSON.
        #[arg(long)]
        crs: Option<String>,
        /// Municipality code (default: default_municipality).
        #[arg(long)]
        municipality: Option<String>,
    },
    /// Write the demo's synthetic network as GeoJSON (EPSG:6677) to a file.
    DemoGeojson { out: PathBuf },
}

pub async fn roads(db: &Db, cfg: &Config, what: RoadsCommand) -> anyhow::Result<ExitCode> {
    match what {
        RoadsCommand::DemoGeojson { out } => {
            std::fs::write(&out, super::demo::geojson().to_string())
                .with_context(|| format!("writing {}", out.display()))?;
            println!("{}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        RoadsCommand::Import {
            path,
            crs,
            municipality,
        } => {
            let m = municipality
                .or_else(|| cfg.default_municipality.clone())
                .context("give --municipality CODE (or set default_municipality)")?;
            let crs =
                match crs {
                    None => None,
                    Some(c) => Some(Crs::parse(&c).with_context(|| {
                        format!("--crs {c:?}: use EPSG:6677, EPSG:6668 or CRS84")
                    })?),
                };
            let start = std::time::Instant::now();
            let bar = if std::io::stderr().is_terminal() {
                indicatif::ProgressBar::new(0)
            } else {
                indicatif::ProgressBar::hidden()
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message("importing");
            let tick = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            let ed = Editor::new(Actor::Cli, "import");
            let res = super::import::import_file(db, &m, &path, crs, &ed, &tick).await;
            bar.finish_and_clear();
            let (plan, summary) = res.with_context(|| format!("importing {}", path.display()))?;
            match summary {
                Some(s) => {
                    println!(
                        "{}: 路線 {} routes, 区間 {} sections imported ({}) in {:.2} s",
                        path.display(),
                        s.routes,
                        s.sections,
                        plan.crs.map(Crs::code).unwrap_or(""),
                        start.elapsed().as_secs_f64()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    println!(
                        "{}: 取り込みませんでした nothing imported — {} problems:",
                        path.display(),
                        plan.problems.len()
                    );
                    for p in &plan.problems {
                        println!("  {p}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
