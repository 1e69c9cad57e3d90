//! The navigator's data format: one flow per life event (questions, options, rules and the
//! procedures a checklist may hold). Flows are data (crates/madoguchi/navi/*.json, then
//! versions in `navi_versions`), never code; `engine` walks them and `check` refuses a flow
//! that could strand a resident. Format reference: docs/navi.md.

use serde::{Deserialize, Serialize};

use crate::web::i18n::Lang;

/// The seven life events (plan 1-3 KPI: 7 events by the end of FY2025), in menu order.
pub const EVENTS: [&str; 7] = [
    "tennyu",
    "tenshutsu",
    "tenkyo",
    "shussei",
    "konin",
    "rikon",
    "shibo",
];

/// Whether `s` is one of [`EVENTS`].
pub fn is_event(s: &str) -> bool {
    EVENTS.contains(&s)
}

/// One life event's flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// One of [`EVENTS`]; the URL segment (`/navi/tennyu`).
    pub event: String,
    pub title_ja: String,
    pub title_en: String,
    /// One sentence under the title on the start page.
    pub summary_ja: String,
    #[serde(default)]
    pub summary_en: Option<String>,
    /// What the date the resident gives means (e.g. 「引っ越した日」). Deadlines count from it.
    pub date_label_ja: String,
    pub date_label_en: String,
    /// Id of the first question.
    pub start: String,
    pub questions: Vec<Question>,
    /// Every procedure the checklist may hold, in checklist order.
    pub procedures: Vec<Procedure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Key of the answer in the query string: lowercase ASCII letters, digits and `_`.
    pub id: String,
    pub text_ja: String,
    pub text_en: String,
    #[serde(default)]
    pub help_ja: Option<String>,
    #[serde(default)]
    pub help_en: Option<String>,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The answer's value in the query string.
    pub value: String,
    pub label_ja: String,
    pub label_en: String,
    /// The next question's id; absent: the flow ends here and the checklist follows.
    #[serde(default)]
    pub next: Option<String>,
    /// The 「わからない」 answer: items that apply only because of it are marked 「要確認」.
    #[serde(default)]
    pub unknown: bool,
}

/// A condition over the answers given on the path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cond {
    /// True when question `q` was answered with one of `is` (false when it was not asked).
    Answer {
        q: String,
        is: Vec<String>,
    },
    All {
        all: Vec<Cond>,
    },
    Any {
        any: Vec<Cond>,
    },
    Not {
        not: Box<Cond>,
    },
}

impl Cond {
    /// Every (question, value) the condition mentions, for the checker.
    pub fn mentions(&self, out: &mut Vec<(String, String)>) {
        match self {
            Cond::Answer { q, is } => {
                for v in is {
                    out.push((q.clone(), v.clone()));
                }
            }
            Cond::All { all: cs } | Cond::Any { any: cs } => {
                for c in cs {
                    c.mentions(out);
                }
            }
            Cond::Not { not } => not.mentions(out),
        }
    }
}

/// How a deadline's first day is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// 初日不算入 (民法第140条): counting starts the day after the event.
    FromNextDay,
    /// 初日算入: the event day is day 1 (戸籍法第43条第1項 for 届出期間).
    FromEventDay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Days,
    Months,
    Years,
}

/// A deadline computed from the event date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub length: u32,
    pub unit: Unit,
    pub count: Count,
    /// The rule in words, shown on the checklist (e.g. 「引っ越した日から14日以内」).
    pub rule_ja: String,
    #[serde(default)]
    pub rule_en: Option<String>,
    /// The legal basis or source, shown small (e.g. 「住民基本台帳法第22条」).
    #[serde(default)]
    pub basis: Option<String>,
    /// The earliest day the procedure is accepted, this many days before the event date
    /// (e.g. 転出届: from 14 days before the move).
    #[serde(default)]
    pub opens_days_before: Option<u32>,
    /// The last day does not move past closed days (民法第142条 is for acts at an office; an
    /// online service's own window, e.g. マイナポータル's 転出届 10 days after the move, does
    /// not move).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed: bool,
}

/// One line of 「持ち物」, shown only when its condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bring {
    Text(String),
    When {
        ja: String,
        #[serde(default)]
        en: Option<String>,
        when: Cond,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// Stable id within the flow (snapshots and counter ticks refer to it).
    pub id: String,
    pub name_ja: String,
    pub name_en: String,
    /// Why it is on the list, in words.
    pub why_ja: String,
    #[serde(default)]
    pub why_en: Option<String>,
    pub department_ja: String,
    #[serde(default)]
    pub department_en: Option<String>,
    /// Where to go: building, floor, window.
    pub counter_ja: String,
    #[serde(default)]
    pub counter_en: Option<String>,
    /// The section and counter were checked against a city source (ichikawa.md or the city
    /// itself). False: the editor lists it under 「要確認」 and residents are told to ask at
    /// 総合受付.
    #[serde(default)]
    pub counter_confirmed: bool,
    /// What is known and what is still to check about the counter (staff only).
    #[serde(default)]
    pub counter_note: Option<String>,
    /// Computed deadline; absent: `deadline_text_ja` (or 「期限の定めはありません」).
    #[serde(default)]
    pub deadline: Option<Deadline>,
    #[serde(default)]
    pub deadline_text_ja: Option<String>,
    #[serde(default)]
    pub deadline_text_en: Option<String>,
    #[serde(default)]
    pub bring: Vec<Bring>,
    #[serde(default)]
    pub note_ja: Option<String>,
    #[serde(default)]
    pub note_en: Option<String>,
    /// Slug in the procedure catalogue; the checklist links to its online application when
    /// the catalogue has it online, otherwise it says 「来庁が必要」.
    #[serde(default)]
    pub catalogue: Option<String>,
    /// Where the facts come from (reference section, URL); shown to staff in the editor.
    #[serde(default)]
    pub source: Option<String>,
    /// Absent: always on the checklist.
    #[serde(default)]
    pub when: Option<Cond>,
    /// Done outside the city hall (an employer, a court, the new municipality): the checklist
    /// says neither 「来庁が必要」 nor links an online application.
    #[serde(default)]
    pub elsewhere: bool,
}

impl Flow {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
    pub fn procedure(&self, id: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.id == id)
    }
    pub fn title(&self, l: Lang) -> &str {
        pick(l, &self.title_ja, Some(&self.title_en))
    }
    pub fn summary(&self, l: Lang) -> &str {
        pick(l, &self.summary_ja, self.summary_en.as_ref())
    }
    pub fn date_label(&self, l: Lang) -> &str {
        pick(l, &self.date_label_ja, Some(&self.date_label_en))
    }
    /// Parses a flow from its JSON text.
    pub fn from_json(text: &str) -> Result<Flow, serde_json::Error> {
        serde_json::from_str(text)
    }
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl Question {
    pub fn text(&self, l: Lang) -> &str {
        pick(l, &self.text_ja, Some(&self.text_en))
    }
    pub fn help(&self, l: Lang) -> Option<&str> {
        match (l, &self.help_en) {
            (Lang::En, Some(e)) => Some(e),
            _ => self.help_ja.as_deref(),
        }
    }
    pub fn choice(&self, value: &str) -> Option<&Choice> {
        self.options.iter().find(|o| o.value == value)
    }
}

impl Choice {
    pub fn label(&self, l: Lang) -> &str {
        pick(l, &self.label_ja, Some(&self.label_en))
    }
}

/// The English text when the page is English and there is one, else the Japanese.
pub fn pick<'a>(l: Lang, ja: &'a str, en: Option<&'a String>) -> &'a str {
    match (l, en) {
        (Lang::En, Some(e)) if !e.is_empty() => e,
        _ => ja,
    }
}

/// The flows shipped in crates/madoguchi/navi/, embedded in the binary (the first published
/// version of every municipality).
pub static SHIPPED: [(&str, &str); 7] = [
    ("tennyu", include_str!("../../navi/tennyu.json")),
    ("tenshutsu", include_str!("../../navi/tenshutsu.json")),
    ("tenkyo", include_str!("../../navi/tenkyo.json")),
    ("shussei", include_str!("../../navi/shussei.json")),
    ("konin", include_str!("../../navi/konin.json")),
    ("rikon", include_str!("../../navi/rikon.json")),
    ("shibo", include_str!("../../navi/shibo.json")),
];

/// The shipped flow of an event (parsed; the shipped files are checked by the tests).
pub fn shipped(event: &str) -> Option<Flow> {
    SHIPPED
        .iter()
        .find(|(e, _)| *e == event)
        .and_then(|(_, text)| Flow::from_json(text).ok())
}
