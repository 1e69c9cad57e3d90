//! The checks a flow must pass before it is published (and that the shipped flows pass in
//! the tests): every path is enumerated and must end in a checklist with at least one
//! procedure, every question must be reachable, every reference must resolve. Each problem
//! is one sentence for staff, naming the question or procedure.

use std::collections::BTreeSet;

use super::engine::{self, Answered, PathProblem};
use super::model::{Cond, Flow, is_event};

/// More paths than this is a flow no resident can be walked through; refused.
pub const MAX_PATHS: usize = 20_000;
/// LINE postback `data` is at most 300 characters (`navi:e=EVENT&date=YYYY-MM-DD&` + answers).
pub const MAX_POSTBACK_CHARS: usize = 300;

/// A problem found in a flow: (message key in `navi.` messages, the detail it names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: &'static str,
    pub detail: String,
}

fn p(key: &'static str, detail: impl Into<String>) -> Problem {
    Problem {
        key,
        detail: detail.into(),
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Every problem of `flow`, for event `event` (empty when it may be published).
pub fn check(flow: &Flow, event: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    if flow.event != event || !is_event(&flow.event) {
        out.push(p("navi.problem.event", format!("{} ≠ {event}", flow.event)));
    }
    for (name, v) in [
        ("title_ja", &flow.title_ja),
        ("title_en", &flow.title_en),
        ("summary_ja", &flow.summary_ja),
        ("date_label_ja", &flow.date_label_ja),
        ("date_label_en", &flow.date_label_en),
    ] {
        if v.trim().is_empty() {
            out.push(p("navi.problem.empty_text", name));
        }
    }
    let mut qids = BTreeSet::new();
    for q in &flow.questions {
        if !valid_id(&q.id) || q.id == "date" || q.id == "e" {
            out.push(p("navi.problem.bad_id", &q.id));
        }
        if !qids.insert(q.id.as_str()) {
            out.push(p("navi.problem.duplicate_question", &q.id));
        }
        if q.text_ja.trim().is_empty() || q.text_en.trim().is_empty() {
            out.push(p("navi.problem.empty_text", &q.id));
        }
        if q.options.len() < 2 {
            out.push(p("navi.problem.few_options", &q.id));
        }
        if q.options.len() > 13 {
            // LINE quick replies hold at most 13 items.
            out.push(p("navi.problem.many_options", &q.id));
        }
        let mut values = BTreeSet::new();
        for o in &q.options {
            if !valid_id(&o.value) {
                out.push(p("navi.problem.bad_id", format!("{}={}", q.id, o.value)));
            }
            if !values.insert(o.value.as_str()) {
                out.push(p(
                    "navi.problem.duplicate_option",
                    format!("{}={}", q.id, o.value),
                ));
            }
            if o.label_ja.trim().is_empty() || o.label_en.trim().is_empty() {
                out.push(p(
                    "navi.problem.empty_text",
                    format!("{}={}", q.id, o.value),
                ));
            }
            if o.label_ja.chars().count() > 20 {
                // LINE quick-reply labels are at most 20 characters.
                out.push(p(
                    "navi.problem.long_label",
                    format!("{}={}", q.id, o.value),
                ));
            }
        }
    }
    let mut pids = BTreeSet::new();
    for pr in &flow.procedures {
        if !valid_id(&pr.id) {
            out.push(p("navi.problem.bad_id", &pr.id));
        }
        if !pids.insert(pr.id.as_str()) {
            out.push(p("navi.problem.duplicate_procedure", &pr.id));
        }
        for (name, v) in [
            ("name_ja", &pr.name_ja),
            ("name_en", &pr.name_en),
            ("why_ja", &pr.why_ja),
            ("department_ja", &pr.department_ja),
            ("counter_ja", &pr.counter_ja),
        ] {
            if v.trim().is_empty() {
                out.push(p("navi.problem.empty_text", format!("{}.{name}", pr.id)));
            }
        }
        if let Some(d) = &pr.deadline
            && (d.length == 0 || d.length > 3650 || d.rule_ja.trim().is_empty())
        {
            out.push(p("navi.problem.deadline", &pr.id));
        }
        let mut conds: Vec<&Cond> = pr.when.iter().collect();
        for b in &pr.bring {
            if let super::model::Bring::When { when, .. } = b {
                conds.push(when);
            }
        }
        for c in conds {
            let mut m = Vec::new();
            c.mentions(&mut m);
            for (q, v) in m {
                match flow.question(&q) {
                    None => out.push(p("navi.problem.cond_question", format!("{}: {q}", pr.id))),
                    Some(qq) if qq.choice(&v).is_none() => {
                        out.push(p("navi.problem.cond_value", format!("{}: {q}={v}", pr.id)))
                    }
                    _ => {}
                }
            }
        }
    }
    if flow.question(&flow.start).is_none() {
        out.push(p("navi.problem.start", &flow.start));
        return out;
    }
    match engine::all_paths(flow, MAX_PATHS) {
        Err(PathProblem::MissingQuestion { from, to }) => {
            out.push(p("navi.problem.missing_next", format!("{from} → {to}")))
        }
        Err(PathProblem::Cycle { at, path }) => {
            out.push(p("navi.problem.cycle", format!("{at} ({path})")))
        }
        Err(PathProblem::TooMany(n)) => out.push(p("navi.problem.too_many", n.to_string())),
        Ok(paths) => {
            let mut reached = BTreeSet::new();
            for path in &paths {
                for (q, _) in path {
                    reached.insert(q.as_str());
                }
                let answered: Vec<Answered<'_>> = path
                    .iter()
                    .filter_map(|(q, v)| {
                        let question = flow.question(q)?;
                        let value = question.choice(v)?.value.as_str();
                        Some(Answered { question, value })
                    })
                    .collect();
                let query = engine::path_query(&answered);
                let list = engine::checklist(flow, answered, None);
                if list.items.is_empty() {
                    out.push(p("navi.problem.no_outcome", query.clone()));
                }
                let data = "navi:e=&date=0000-00-00&".len() + flow.event.len() + query.len();
                if data > MAX_POSTBACK_CHARS {
                    out.push(p("navi.problem.long_path", query));
                }
                if out.len() > 50 {
                    break;
                }
            }
            for q in &flow.questions {
                if !reached.contains(q.id.as_str()) {
                    out.push(p("navi.problem.unreachable", &q.id));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::navi::model::SHIPPED;

    #[test]
    fn the_shipped_flows_pass() {
        for (event, text) in SHIPPED {
            let flow = Flow::from_json(text).unwrap_or_else(|e| panic!("{event}: {e}"));
            assert_eq!(check(&flow, event), vec![], "{event}");
        }
    }

    fn small() -> Flow {
        Flow::from_json(
            r#"{"event":"tenkyo","title_ja":"転居","title_en":"Move","summary_ja":"s",
            "date_label_ja":"日","date_label_en":"day","start":"a",
            "questions":[
              {"id":"a","text_ja":"A?","text_en":"A?","options":[
                {"value":"yes","label_ja":"はい","label_en":"Yes","next":"b"},
                {"value":"no","label_ja":"いいえ","label_en":"No"}]},
              {"id":"b","text_ja":"B?","text_en":"B?","options":[
                {"value":"yes","label_ja":"はい","label_en":"Yes"},
                {"value":"no","label_ja":"いいえ","label_en":"No"}]}],
            "procedures":[{"id":"x","name_ja":"届","name_en":"N","why_ja":"w",
              "department_ja":"市民課","counter_ja":"1階"}]}"#,
        )
        .expect("parses")
    }

    #[test]
    fn a_good_flow_passes() {
        assert_eq!(check(&small(), "tenkyo"), vec![]);
    }

    #[test]
    fn an_unreachable_question_is_refused() {
        let mut f = small();
        f.questions[0].options[0].next = None;
        let probs = check(&f, "tenkyo");
        assert_eq!(probs, vec![p("navi.problem.unreachable", "b")]);
    }

    #[test]
    fn a_path_without_an_outcome_is_refused() {
        let mut f = small();
        f.procedures[0].when = Some(Cond::Answer {
            q: "a".into(),
            is: vec!["yes".into()],
        });
        // a=no ends with an empty checklist.
        assert_eq!(
            check(&f, "tenkyo"),
            vec![p("navi.problem.no_outcome", "a=no")]
        );
    }

    #[test]
    fn dangling_next_cycles_and_bad_references_are_refused() {
        let mut f = small();
        f.questions[1].options[0].next = Some("zzz".into());
        assert_eq!(
            check(&f, "tenkyo"),
            vec![p("navi.problem.missing_next", "b → zzz")]
        );
        let mut f = small();
        f.questions[1].options[0].next = Some("a".into());
        assert_eq!(
            check(&f, "tenkyo"),
            vec![p("navi.problem.cycle", "a (a=yes&b=yes)")]
        );
        let mut f = small();
        f.procedures[0].when = Some(Cond::Answer {
            q: "a".into(),
            is: vec!["maybe".into()],
        });
        let probs = check(&f, "tenkyo");
        assert!(
            probs.contains(&p("navi.problem.cond_value", "x: a=maybe")),
            "{probs:?}"
        );
        let mut f = small();
        f.start = "nope".into();
        assert_eq!(check(&f, "tenkyo"), vec![p("navi.problem.start", "nope")]);
        assert_eq!(
            check(&small(), "shibo"),
            vec![p("navi.problem.event", "tenkyo ≠ shibo")]
        );
    }
}
