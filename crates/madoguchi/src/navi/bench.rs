//! `madoguchi navi bench`: the time of one checklist evaluation (answers → checklist with
//! deadlines), over every path of every shipped flow. The target is under 50 µs (issue 5,
//! "Performance"); bench/run.sh reports it. No database: the evaluation is pure.

use std::time::{Duration, Instant};

use super::engine::{self, Step};
use super::model::{Flow, SHIPPED};
use super::view::{self, Catalogue};
use crate::web::i18n::Lang;

pub struct Report {
    pub paths: usize,
    pub evaluations: usize,
    pub total: Duration,
    /// Slowest single path (mean over the rounds), and its event.
    pub slowest: (Duration, String),
    /// Evaluation plus building the page's view (what a page request does).
    pub with_view_per_eval: Duration,
}

impl Report {
    pub fn per_eval(&self) -> Duration {
        self.total / self.evaluations.max(1) as u32
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "navi checklist evaluation: {} paths, {} evaluations",
            self.paths, self.evaluations
        )?;
        writeln!(
            f,
            "  mean per evaluation:        {:.2} µs",
            self.per_eval().as_secs_f64() * 1e6
        )?;
        writeln!(
            f,
            "  slowest path (mean):        {:.2} µs ({})",
            self.slowest.0.as_secs_f64() * 1e6,
            self.slowest.1
        )?;
        writeln!(
            f,
            "  evaluation + view, mean:    {:.2} µs",
            self.with_view_per_eval.as_secs_f64() * 1e6
        )?;
        write!(f, "  target: < 50 µs per evaluation")
    }
}

pub fn run(rounds: usize) -> Report {
    let flows: Vec<Flow> = SHIPPED
        .iter()
        .filter_map(|(_, t)| Flow::from_json(t).ok())
        .collect();
    let date = super::deadline::parse_date("2026-04-01");
    let mut cases = Vec::new();
    for f in &flows {
        for p in engine::all_paths(f, super::check::MAX_PATHS).unwrap_or_default() {
            cases.push((f, engine::to_answers(&p)));
        }
    }
    let mut total = Duration::ZERO;
    let mut slowest = (Duration::ZERO, String::new());
    let mut sink = 0usize;
    for (f, answers) in &cases {
        let start = Instant::now();
        for _ in 0..rounds {
            if let Step::Done(list) = engine::evaluate(f, std::hint::black_box(answers), date) {
                sink += list.items.len();
            }
        }
        let t = start.elapsed();
        total += t;
        let mean = t / rounds as u32;
        if mean > slowest.0 {
            slowest = (mean, f.event.clone());
        }
    }
    let cat = Catalogue::new();
    let start = Instant::now();
    for (f, answers) in &cases {
        if let Step::Done(list) = engine::evaluate(f, answers, date) {
            sink += view::items(Lang::Ja, &list, &cat).len();
        }
    }
    let with_view = start.elapsed() / cases.len().max(1) as u32;
    std::hint::black_box(sink);
    Report {
        paths: cases.len(),
        evaluations: cases.len() * rounds,
        total,
        slowest,
        with_view_per_eval: with_view,
    }
}
