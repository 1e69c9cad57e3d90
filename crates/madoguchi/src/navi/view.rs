//! What the pages show of a step: shared by the resident pages, the staff preview and the
//! counter mode (they differ only in their base path), and by LINE's text.

use std::collections::HashMap;

use time::Date;

use super::deadline;
use super::engine::{self, Answered, Answers, Checklist, Step};
use super::model::{Flow, pick};
use crate::web::i18n::Lang;

/// Catalogue facts the checklist needs: slug → online.
pub type Catalogue = HashMap<String, bool>;

/// A `date` parameter that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadDate;

/// The request's navigator state: answers keyed by question id and the event date.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub answers: Answers,
    /// `Some("")` when the resident left the date empty; `None` when no date was asked yet.
    pub date_raw: Option<String>,
}

impl Input {
    /// Reads the query string: question ids of `flow` and `date`; everything else is ignored.
    pub fn from_query(flow: &Flow, query: &str) -> Input {
        let mut date_raw = None;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if k == "date" {
                date_raw = Some(v.into_owned());
            }
        }
        Input {
            answers: engine::answers_from_query(flow, query),
            date_raw,
        }
    }
    /// The parsed date; `Err` when one was given that is not a date.
    pub fn date(&self) -> Result<Option<Date>, BadDate> {
        match self.date_raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => deadline::parse_date(s).map(Some).ok_or(BadDate),
        }
    }
}

/// A URL of the flow: base path, the date, then the answers in path order.
pub fn href(base: &str, date: Option<&str>, path: &[Answered<'_>]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if let Some(d) = date {
        s.append_pair("date", d);
    }
    for a in path {
        s.append_pair(&a.question.id, a.value);
    }
    let q = s.finish();
    if q.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{q}")
    }
}

pub struct OptionView {
    pub id: String,
    pub value: String,
    pub label: String,
}

pub struct QuestionView {
    pub id: String,
    pub text: String,
    pub help: Option<String>,
    pub options: Vec<OptionView>,
    pub invalid: bool,
    /// 1-based number of this question on the path.
    pub number: usize,
}

pub struct AnsweredView {
    pub question: String,
    pub answer: String,
    /// The page that asks this question again (answers after it are dropped).
    pub change_href: String,
}

pub struct ItemView {
    pub id: String,
    pub name: String,
    pub why: String,
    pub department: String,
    pub counter: String,
    /// The rule in words (「14日以内」), or the text when the deadline is not computed.
    pub deadline_rule: String,
    /// The day it is still on time (the period's end, moved past closed days), for display.
    pub due: Option<String>,
    /// The period's end by the calendar, YYYY-MM-DD (not moved; the API's `due`).
    pub due_iso: Option<String>,
    /// The day it is still on time, YYYY-MM-DD (the API's `last_open_day`).
    pub due_open_iso: Option<String>,
    /// When the period ends on a closed day: 「期限の日（…）が閉庁日（…）のため、次の開庁日（…）まで」.
    pub due_moved: Option<String>,
    pub opens: Option<String>,
    pub basis: Option<String>,
    pub bring: Vec<String>,
    pub note: Option<String>,
    pub uncertain: bool,
    /// The online application, when the catalogue has this procedure online.
    pub online_href: Option<String>,
    /// The catalogue page, when the catalogue has it.
    pub detail_href: Option<String>,
    pub source: Option<String>,
    /// Done outside the city hall: no 「来庁が必要」 label.
    pub elsewhere: bool,
    /// Counter mode: ticked off as done.
    pub done: bool,
    /// The counter is not confirmed by the city's information and its text does not already
    /// send the resident to 総合受付: the page adds 「場所は総合受付でご確認ください」.
    pub counter_check: bool,
}

/// Hidden inputs for a GET form: the date and the answers so far.
pub fn hidden(date: Option<&str>, path: &[Answered<'_>]) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if let Some(d) = date {
        v.push(("date".to_owned(), d.to_owned()));
    }
    for a in path {
        v.push((a.question.id.clone(), a.value.to_owned()));
    }
    v
}

pub fn answered(
    l: Lang,
    base: &str,
    date: Option<&str>,
    path: &[Answered<'_>],
) -> Vec<AnsweredView> {
    path.iter()
        .enumerate()
        .map(|(i, a)| AnsweredView {
            question: a.question.text(l).to_owned(),
            answer: a
                .question
                .choice(a.value)
                .map(|c| c.label(l).to_owned())
                .unwrap_or_default(),
            change_href: href(base, date.or(Some("")), &path[..i]),
        })
        .collect()
}

pub fn question(l: Lang, step: &Step<'_>) -> Option<QuestionView> {
    let Step::Ask {
        question,
        invalid,
        path,
    } = step
    else {
        return None;
    };
    Some(QuestionView {
        id: question.id.clone(),
        text: question.text(l).to_owned(),
        help: question.help(l).map(str::to_owned),
        options: question
            .options
            .iter()
            .map(|o| OptionView {
                id: format!("q-{}-{}", question.id, o.value),
                value: o.value.clone(),
                label: o.label(l).to_owned(),
            })
            .collect(),
        invalid: *invalid,
        number: path.len() + 1,
    })
}

pub fn items(l: Lang, list: &Checklist<'_>, catalogue: &Catalogue) -> Vec<ItemView> {
    list.items
        .iter()
        .map(|it| {
            let p = it.procedure;
            let deadline_rule = match &p.deadline {
                Some(d) => pick(l, &d.rule_ja, d.rule_en.as_ref()).to_owned(),
                None => match (&p.deadline_text_ja, l) {
                    (Some(ja), _) => pick(l, ja, p.deadline_text_en.as_ref()).to_owned(),
                    (None, l) => l.t("navi.no_deadline").to_owned(),
                },
            };
            let in_catalogue = p
                .catalogue
                .as_ref()
                .and_then(|s| catalogue.get(s).map(|online| (s, *online)));
            ItemView {
                id: p.id.clone(),
                name: pick(l, &p.name_ja, Some(&p.name_en)).to_owned(),
                why: pick(l, &p.why_ja, p.why_en.as_ref()).to_owned(),
                department: pick(l, &p.department_ja, p.department_en.as_ref()).to_owned(),
                counter: pick(l, &p.counter_ja, p.counter_en.as_ref()).to_owned(),
                deadline_rule,
                due: it.due_open.map(|d| deadline::display(l, d)),
                due_iso: it.due.map(deadline::iso),
                due_open_iso: it.due_open.map(deadline::iso),
                due_moved: match (it.due, it.due_open, it.due_closed) {
                    (Some(end), Some(open), Some(why)) => Some(moved_text(l, end, open, why)),
                    _ => None,
                },
                opens: it.opens.map(|d| deadline::display(l, d)),
                basis: p.deadline.as_ref().and_then(|d| d.basis.clone()),
                bring: it
                    .bring
                    .iter()
                    .map(|(ja, en)| match (l, en) {
                        (Lang::En, Some(e)) => (*e).to_owned(),
                        _ => (*ja).to_owned(),
                    })
                    .collect(),
                note: match (l, &p.note_en, &p.note_ja) {
                    (Lang::En, Some(e), _) => Some(e.clone()),
                    (_, _, ja) => ja.clone(),
                },
                uncertain: it.uncertain,
                online_href: in_catalogue
                    .filter(|(_, online)| *online)
                    .map(|(s, _)| format!("/procedures/{s}/apply")),
                detail_href: in_catalogue.map(|(s, _)| format!("/procedures/{s}")),
                source: p.source.clone(),
                elsewhere: p.elsewhere,
                done: false,
                counter_check: !p.counter_confirmed
                    && !p.elsewhere
                    && !p.counter_ja.contains("総合受付"),
            }
        })
        .collect()
}

/// 「期限の日（2026年5月3日（日）・憲法記念日）が閉庁日のため、次の開庁日（2026年5月7日（木））まで」.
pub fn moved_text(l: Lang, end: Date, open: Date, why: deadline::Closed) -> String {
    l.t("navi.due_moved")
        .replace("{end}", &deadline::display(l, end))
        .replace("{why}", &why.words(l))
        .replace("{open}", &deadline::display(l, open))
}

/// The checklist as plain text (LINE, snapshots): one block per procedure.
pub fn text(l: Lang, flow: &Flow, list: &Checklist<'_>, catalogue: &Catalogue) -> String {
    let mut out = String::new();
    out.push_str(flow.title(l));
    out.push('\n');
    for (i, it) in items(l, list, catalogue).iter().enumerate() {
        out.push_str(&format!("\n{}. {}", i + 1, it.name));
        if it.uncertain {
            out.push_str(&format!(" {}", l.t("navi.uncertain_short")));
        }
        out.push('\n');
        match &it.due {
            Some(d) => {
                out.push_str(&format!(
                    "{} {d}（{}）\n",
                    l.t("navi.due"),
                    it.deadline_rule
                ));
                if let Some(m) = &it.due_moved {
                    out.push_str(&format!("{m}\n"));
                }
            }
            None => out.push_str(&format!("{} {}\n", l.t("navi.due"), it.deadline_rule)),
        }
        out.push_str(&format!("{} {}\n", l.t("navi.where"), it.counter));
        if it.online_href.is_some() {
            out.push_str(&format!("{}\n", l.t("navi.online_available")));
        } else if !it.elsewhere {
            out.push_str(&format!("{}\n", l.t("navi.visit_needed")));
        }
    }
    out
}
