//! Walking a flow: from the answers (keyed by question id) to the next question or the
//! checklist, with deadlines from the event date. Pure: no I/O, no clock. The web pages, the
//! API, the counter mode and LINE all call [`evaluate`], so they agree by construction.

use std::collections::BTreeMap;

use time::Date;

use super::deadline;
use super::model::{Bring, Cond, Flow, Procedure, Question};

/// Answers by question id (as in the query string).
pub type Answers = BTreeMap<String, String>;

/// What comes after the answers given.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<'f> {
    /// This question is next. `invalid` is set when the answers held a value for it that is
    /// not one of its options (the page says so and asks again).
    Ask {
        question: &'f Question,
        invalid: bool,
        path: Vec<Answered<'f>>,
    },
    Done(Checklist<'f>),
}

/// One answered question on the path.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered<'f> {
    pub question: &'f Question,
    pub value: &'f str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checklist<'f> {
    pub path: Vec<Answered<'f>>,
    pub items: Vec<Item<'f>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item<'f> {
    pub procedure: &'f Procedure,
    /// Applies only because of a 「わからない」 answer: the resident should check.
    pub uncertain: bool,
    /// The period's last day by the calendar (民法第140条〜第143条), when the deadline is
    /// computed and the event date is known.
    pub due: Option<Date>,
    /// The day the procedure is still on time (民法第142条): `due`, or the next open day when
    /// `due` is a closed day of the city hall.
    pub due_open: Option<Date>,
    /// Why `due` is a closed day, when it is (then `due_open` is later than `due`).
    pub due_closed: Option<deadline::Closed>,
    /// First day it is accepted, when the deadline has one and the date is known.
    pub opens: Option<Date>,
    /// 持ち物 that apply on this path: (ja, en).
    pub bring: Vec<(&'f str, Option<&'f str>)>,
}

impl Checklist<'_> {
    /// The answers of the path as a query string, in path order (the URL of this checklist).
    pub fn query(&self) -> String {
        path_query(&self.path)
    }
}

/// Query string of a path, in path order (`card=yes&kokuho=no`).
pub fn path_query(path: &[Answered<'_>]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for a in path {
        s.append_pair(&a.question.id, a.value);
    }
    s.finish()
}

/// Follows the answers from the start question. Answers to questions off the path are ignored.
/// A path longer than the number of questions means a cycle; the checker refuses such flows,
/// and here it ends the walk with the checklist so far.
pub fn evaluate<'f>(flow: &'f Flow, answers: &Answers, date: Option<Date>) -> Step<'f> {
    let mut path: Vec<Answered<'f>> = Vec::with_capacity(8);
    let mut current = flow.question(&flow.start);
    while let Some(q) = current {
        if path.len() > flow.questions.len() {
            break;
        }
        let Some(given) = answers.get(&q.id) else {
            return Step::Ask {
                question: q,
                invalid: false,
                path,
            };
        };
        let Some(choice) = q.choice(given) else {
            return Step::Ask {
                question: q,
                invalid: true,
                path,
            };
        };
        path.push(Answered {
            question: q,
            value: &choice.value,
        });
        current = choice.next.as_deref().and_then(|n| flow.question(n));
    }
    Step::Done(checklist(flow, path, date))
}

/// The checklist of a finished path.
pub fn checklist<'f>(flow: &'f Flow, path: Vec<Answered<'f>>, date: Option<Date>) -> Checklist<'f> {
    let mut items = Vec::new();
    for p in &flow.procedures {
        let (applies, uncertain) = match &p.when {
            None => (true, false),
            Some(c) => eval(c, &path),
        };
        if !applies {
            continue;
        }
        let (due, opens) = match (&p.deadline, date) {
            (Some(d), Some(day)) => (Some(deadline::last_day(day, d)), deadline::opens(day, d)),
            _ => (None, None),
        };
        let bring = p
            .bring
            .iter()
            .filter_map(|b| match b {
                Bring::Text(t) => Some((t.as_str(), None)),
                Bring::When { ja, en, when } => {
                    eval(when, &path).0.then_some((ja.as_str(), en.as_deref()))
                }
            })
            .collect();
        let moves = p.deadline.as_ref().is_some_and(|d| !d.fixed);
        let due_closed = due.filter(|_| moves).and_then(deadline::closed_reason);
        items.push(Item {
            procedure: p,
            uncertain,
            due,
            due_open: due.map(|d| if moves { deadline::last_open_day(d) } else { d }),
            due_closed,
            opens,
            bring,
        });
    }
    Checklist { path, items }
}

/// (holds, holds only through a 「わからない」 answer).
fn eval(c: &Cond, path: &[Answered<'_>]) -> (bool, bool) {
    match c {
        Cond::Answer { q, is } => match path.iter().find(|a| &a.question.id == q) {
            Some(a) if is.iter().any(|v| v == a.value) => {
                let unknown = a.question.choice(a.value).is_some_and(|c| c.unknown);
                (true, unknown)
            }
            _ => (false, false),
        },
        Cond::All { all } => {
            let mut unknown = false;
            for c in all {
                let (ok, u) = eval(c, path);
                if !ok {
                    return (false, false);
                }
                unknown |= u;
            }
            (true, unknown)
        }
        Cond::Any { any } => {
            // Certain when one certain branch holds.
            let mut found = None;
            for c in any {
                let (ok, u) = eval(c, path);
                if ok && !u {
                    return (true, false);
                }
                if ok {
                    found = Some(true);
                }
            }
            (found.is_some(), found.is_some())
        }
        Cond::Not { not } => {
            let (ok, _) = eval(not, path);
            (!ok, false)
        }
    }
}

/// Parses a query string into answers; `date` and other non-question keys are left out by
/// the caller (it knows which keys are questions).
pub fn answers_from_query(flow: &Flow, query: &str) -> Answers {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| flow.question(k).is_some())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Every complete path of a flow, as the answers of each, depth first in option order.
/// `Err` names the problem when a path does not end (a `next` to a missing question or a
/// cycle) or when there are more than `limit` paths.
pub fn all_paths(flow: &Flow, limit: usize) -> Result<Vec<Vec<(String, String)>>, PathProblem> {
    let mut out = Vec::new();
    let Some(start) = flow.question(&flow.start) else {
        return Err(PathProblem::MissingQuestion {
            from: String::new(),
            to: flow.start.clone(),
        });
    };
    let mut stack: Vec<(String, String)> = Vec::new();
    walk(flow, start, &mut stack, &mut out, limit)?;
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    /// `from` (a question id, or empty for the start) points at a question that does not exist.
    MissingQuestion {
        from: String,
        to: String,
    },
    /// The path comes back to a question it already asked.
    Cycle {
        at: String,
        path: String,
    },
    TooMany(usize),
}

fn walk(
    flow: &Flow,
    q: &Question,
    stack: &mut Vec<(String, String)>,
    out: &mut Vec<Vec<(String, String)>>,
    limit: usize,
) -> Result<(), PathProblem> {
    if stack.iter().any(|(id, _)| id == &q.id) {
        return Err(PathProblem::Cycle {
            at: q.id.clone(),
            path: stack
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
        });
    }
    for o in &q.options {
        stack.push((q.id.clone(), o.value.clone()));
        match &o.next {
            None => {
                if out.len() >= limit {
                    return Err(PathProblem::TooMany(limit));
                }
                out.push(stack.clone());
            }
            Some(n) => match flow.question(n) {
                Some(next) => walk(flow, next, stack, out, limit)?,
                None => {
                    return Err(PathProblem::MissingQuestion {
                        from: q.id.clone(),
                        to: n.clone(),
                    });
                }
            },
        }
        stack.pop();
    }
    Ok(())
}

/// Answers of one path as a map.
pub fn to_answers(path: &[(String, String)]) -> Answers {
    path.iter().cloned().collect()
}
