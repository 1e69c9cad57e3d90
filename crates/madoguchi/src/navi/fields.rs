//! The field-by-field editor's changes to a flow: one [`Edit`] per form POST, applied to the
//! draft by `versions::edit_draft` (one transaction with its audit event). Pure: the
//! functions here only change a [`Flow`] in memory and say, field by field, why an input is
//! refused. A change that leaves the flow with problems (a question nobody reaches, a path
//! without an outcome) is still applied to the draft, as in the JSON editor; publishing is
//! what refuses it (`check::check`).

use super::model::{Bring, Choice, Cond, Deadline, Flow, Procedure, Question};

/// One answer of a question as the question form sends it (the value itself is not edited:
/// conditions refer to it).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionFields {
    pub value: String,
    pub label_ja: String,
    pub label_en: String,
    /// Id of the next question; `None`: the checklist follows.
    pub next: Option<String>,
    pub unknown: bool,
}

/// One clause of a procedure's condition: the answer to `q` is (or with `negate`, is not)
/// one of `values`. A procedure's condition is all of its clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub q: String,
    pub negate: bool,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProcedureFields {
    pub name_ja: String,
    pub name_en: String,
    pub why_ja: String,
    pub why_en: Option<String>,
    pub department_ja: String,
    pub department_en: Option<String>,
    pub counter_ja: String,
    pub counter_en: Option<String>,
    pub counter_confirmed: bool,
    pub counter_note: Option<String>,
    pub deadline: Option<Deadline>,
    pub deadline_text_ja: Option<String>,
    pub deadline_text_en: Option<String>,
    pub bring: Vec<Bring>,
    pub note_ja: Option<String>,
    pub note_en: Option<String>,
    pub catalogue: Option<String>,
    pub source: Option<String>,
    /// `None`: keep the condition as it is (one the form cannot show; JSON editor only).
    pub when: Option<Vec<Clause>>,
    pub elsewhere: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    AddQuestion {
        id: String,
        text_ja: String,
        text_en: String,
    },
    UpdateQuestion {
        id: String,
        text_ja: String,
        text_en: String,
        help_ja: Option<String>,
        help_en: Option<String>,
        options: Vec<OptionFields>,
    },
    AddOption {
        q: String,
        option: OptionFields,
    },
    DeleteOption {
        q: String,
        value: String,
    },
    MoveQuestion {
        id: String,
        up: bool,
    },
    DeleteQuestion {
        id: String,
    },
    SetStart {
        id: String,
    },
    AddProcedure {
        id: String,
        name_ja: String,
        name_en: String,
    },
    UpdateProcedure {
        id: String,
        fields: Box<ProcedureFields>,
    },
    MoveProcedure {
        id: String,
        up: bool,
    },
    DeleteProcedure {
        id: String,
    },
}

impl Edit {
    /// The name of the operation in the audit event (`navi.draft_edited`).
    pub fn op(&self) -> &'static str {
        match self {
            Edit::AddQuestion { .. } => "add_question",
            Edit::UpdateQuestion { .. } => "update_question",
            Edit::AddOption { .. } => "add_option",
            Edit::DeleteOption { .. } => "delete_option",
            Edit::MoveQuestion { .. } => "move_question",
            Edit::DeleteQuestion { .. } => "delete_question",
            Edit::SetStart { .. } => "set_start",
            Edit::AddProcedure { .. } => "add_procedure",
            Edit::UpdateProcedure { .. } => "update_procedure",
            Edit::MoveProcedure { .. } => "move_procedure",
            Edit::DeleteProcedure { .. } => "delete_procedure",
        }
    }
    /// The question or procedure it changes (for the audit event and the redirect).
    pub fn subject(&self) -> &str {
        match self {
            Edit::AddQuestion { id, .. }
            | Edit::UpdateQuestion { id, .. }
            | Edit::MoveQuestion { id, .. }
            | Edit::DeleteQuestion { id }
            | Edit::SetStart { id }
            | Edit::AddProcedure { id, .. }
            | Edit::UpdateProcedure { id, .. }
            | Edit::MoveProcedure { id, .. }
            | Edit::DeleteProcedure { id } => id,
            Edit::AddOption { q, .. } | Edit::DeleteOption { q, .. } => q,
        }
    }
}

/// A refused input: the form field (its element id without the `f-` prefix) and the message
/// key (`navi.fe.*`) that names the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub key: &'static str,
}

fn err(field: impl Into<String>, key: &'static str) -> FieldError {
    FieldError {
        field: field.into(),
        key,
    }
}

/// Ids and answer values: lowercase ASCII letters, digits, `_` and `-`, at most 40.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn required(field: &str, v: &str) -> Result<(), FieldError> {
    if v.trim().is_empty() {
        Err(err(field, "navi.fe.required"))
    } else {
        Ok(())
    }
}

fn check_next(flow: &Flow, field: &str, next: &Option<String>) -> Result<(), FieldError> {
    match next {
        Some(n) if flow.question(n).is_none() => Err(err(field, "navi.fe.no_question")),
        _ => Ok(()),
    }
}

fn question_mut<'f>(flow: &'f mut Flow, id: &str) -> Result<&'f mut Question, FieldError> {
    flow.questions
        .iter_mut()
        .find(|q| q.id == id)
        .ok_or_else(|| err("id", "navi.fe.no_question"))
}

fn procedure_mut<'f>(flow: &'f mut Flow, id: &str) -> Result<&'f mut Procedure, FieldError> {
    flow.procedures
        .iter_mut()
        .find(|p| p.id == id)
        .ok_or_else(|| err("id", "navi.fe.no_procedure"))
}

fn move_in<T>(v: &mut [T], i: usize, up: bool) {
    if up && i > 0 {
        v.swap(i, i - 1);
    } else if !up && i + 1 < v.len() {
        v.swap(i, i + 1);
    }
}

/// Applies one change to `flow`, or says which field is wrong (then `flow` is unchanged).
pub fn apply(flow: &mut Flow, edit: &Edit) -> Result<(), FieldError> {
    match edit {
        Edit::AddQuestion {
            id,
            text_ja,
            text_en,
        } => {
            if !valid_id(id) || id == "date" || id == "e" {
                return Err(err("new-id", "navi.fe.bad_id"));
            }
            if flow.question(id).is_some() {
                return Err(err("new-id", "navi.fe.taken"));
            }
            required("new-text_ja", text_ja)?;
            required("new-text_en", text_en)?;
            let opt = |value: &str, ja: &str, en: &str| Choice {
                value: value.into(),
                label_ja: ja.into(),
                label_en: en.into(),
                next: None,
                unknown: false,
            };
            flow.questions.push(Question {
                id: id.clone(),
                text_ja: text_ja.trim().into(),
                text_en: text_en.trim().into(),
                help_ja: None,
                help_en: None,
                options: vec![opt("yes", "はい", "Yes"), opt("no", "いいえ", "No")],
            });
        }
        Edit::UpdateQuestion {
            id,
            text_ja,
            text_en,
            help_ja,
            help_en,
            options,
        } => {
            required("text_ja", text_ja)?;
            required("text_en", text_en)?;
            for (i, o) in options.iter().enumerate() {
                required(&format!("o{i}-label_ja"), &o.label_ja)?;
                required(&format!("o{i}-label_en"), &o.label_en)?;
                if o.label_ja.trim().chars().count() > 20 {
                    return Err(err(format!("o{i}-label_ja"), "navi.fe.long_label"));
                }
                check_next(flow, &format!("o{i}-next"), &o.next)?;
            }
            let q = question_mut(flow, id)?;
            if options.len() != q.options.len()
                || options
                    .iter()
                    .zip(&q.options)
                    .any(|(a, b)| a.value != b.value)
            {
                // The form was made for another version of the question.
                return Err(err("text_ja", "navi.fe.stale_form"));
            }
            q.text_ja = text_ja.trim().into();
            q.text_en = text_en.trim().into();
            q.help_ja = help_ja.clone();
            q.help_en = help_en.clone();
            for (o, f) in q.options.iter_mut().zip(options) {
                o.label_ja = f.label_ja.trim().into();
                o.label_en = f.label_en.trim().into();
                o.next = f.next.clone();
                o.unknown = f.unknown;
            }
        }
        Edit::AddOption { q, option } => {
            if !valid_id(&option.value) {
                return Err(err("add-value", "navi.fe.bad_id"));
            }
            required("add-label_ja", &option.label_ja)?;
            required("add-label_en", &option.label_en)?;
            if option.label_ja.trim().chars().count() > 20 {
                return Err(err("add-label_ja", "navi.fe.long_label"));
            }
            check_next(flow, "add-next", &option.next)?;
            let question = question_mut(flow, q)?;
            if question.choice(&option.value).is_some() {
                return Err(err("add-value", "navi.fe.taken"));
            }
            if question.options.len() >= 13 {
                return Err(err("add-value", "navi.fe.many_options"));
            }
            question.options.push(Choice {
                value: option.value.clone(),
                label_ja: option.label_ja.trim().into(),
                label_en: option.label_en.trim().into(),
                next: option.next.clone(),
                unknown: option.unknown,
            });
        }
        Edit::DeleteOption { q, value } => {
            let question = question_mut(flow, q)?;
            let before = question.options.len();
            question.options.retain(|o| &o.value != value);
            if question.options.len() == before {
                return Err(err("id", "navi.fe.no_option"));
            }
        }
        Edit::MoveQuestion { id, up } => {
            let i = flow
                .questions
                .iter()
                .position(|q| &q.id == id)
                .ok_or_else(|| err("id", "navi.fe.no_question"))?;
            move_in(&mut flow.questions, i, *up);
        }
        Edit::DeleteQuestion { id } => {
            if &flow.start == id {
                return Err(err("id", "navi.fe.delete_start"));
            }
            let before = flow.questions.len();
            flow.questions.retain(|q| &q.id != id);
            if flow.questions.len() == before {
                return Err(err("id", "navi.fe.no_question"));
            }
        }
        Edit::SetStart { id } => {
            if flow.question(id).is_none() {
                return Err(err("id", "navi.fe.no_question"));
            }
            flow.start = id.clone();
        }
        Edit::AddProcedure {
            id,
            name_ja,
            name_en,
        } => {
            if !valid_id(id) {
                return Err(err("new-pid", "navi.fe.bad_id"));
            }
            if flow.procedure(id).is_some() {
                return Err(err("new-pid", "navi.fe.taken"));
            }
            required("new-name_ja", name_ja)?;
            required("new-name_en", name_en)?;
            flow.procedures.push(Procedure {
                id: id.clone(),
                name_ja: name_ja.trim().into(),
                name_en: name_en.trim().into(),
                why_ja: String::new(),
                why_en: None,
                department_ja: String::new(),
                department_en: None,
                counter_ja: String::new(),
                counter_en: None,
                counter_confirmed: false,
                counter_note: None,
                deadline: None,
                deadline_text_ja: None,
                deadline_text_en: None,
                bring: Vec::new(),
                note_ja: None,
                note_en: None,
                catalogue: None,
                source: None,
                // Listed on every path until staff give it a condition (in the draft).
                when: None,
                elsewhere: false,
            });
        }
        Edit::UpdateProcedure { id, fields } => {
            let f = fields.as_ref();
            for (name, v) in [
                ("name_ja", &f.name_ja),
                ("name_en", &f.name_en),
                ("why_ja", &f.why_ja),
                ("department_ja", &f.department_ja),
                ("counter_ja", &f.counter_ja),
            ] {
                required(name, v)?;
            }
            if let Some(d) = &f.deadline {
                if d.length == 0 || d.length > 3650 {
                    return Err(err("length", "navi.fe.length"));
                }
                required("rule_ja", &d.rule_ja)?;
            }
            if let Some(clauses) = &f.when {
                for c in clauses {
                    let q = flow
                        .question(&c.q)
                        .ok_or_else(|| err(format!("when-{}", c.q), "navi.fe.no_question"))?;
                    if c.values.is_empty() {
                        return Err(err(format!("when-{}", c.q), "navi.fe.no_values"));
                    }
                    if c.values.iter().any(|v| q.choice(v).is_none()) {
                        return Err(err(format!("when-{}", c.q), "navi.fe.no_option"));
                    }
                }
            }
            for (i, b) in f.bring.iter().enumerate() {
                if let Bring::When { when, .. } = b {
                    let mut m = Vec::new();
                    when.mentions(&mut m);
                    if m.iter()
                        .any(|(q, v)| flow.question(q).and_then(|q| q.choice(v)).is_none())
                    {
                        return Err(err(format!("b{i}-if"), "navi.fe.bring_if"));
                    }
                }
            }
            let p = procedure_mut(flow, id)?;
            p.name_ja = f.name_ja.trim().into();
            p.name_en = f.name_en.trim().into();
            p.why_ja = f.why_ja.trim().into();
            p.why_en = f.why_en.clone();
            p.department_ja = f.department_ja.trim().into();
            p.department_en = f.department_en.clone();
            p.counter_ja = f.counter_ja.trim().into();
            p.counter_en = f.counter_en.clone();
            p.counter_confirmed = f.counter_confirmed;
            p.counter_note = f.counter_note.clone();
            p.deadline = f.deadline.clone();
            p.deadline_text_ja = f.deadline_text_ja.clone();
            p.deadline_text_en = f.deadline_text_en.clone();
            p.bring = f.bring.clone();
            p.note_ja = f.note_ja.clone();
            p.note_en = f.note_en.clone();
            p.catalogue = f.catalogue.clone();
            p.source = f.source.clone();
            p.elsewhere = f.elsewhere;
            if let Some(clauses) = &f.when {
                p.when = cond_of(clauses);
            }
        }
        Edit::MoveProcedure { id, up } => {
            let i = flow
                .procedures
                .iter()
                .position(|p| &p.id == id)
                .ok_or_else(|| err("id", "navi.fe.no_procedure"))?;
            move_in(&mut flow.procedures, i, *up);
        }
        Edit::DeleteProcedure { id } => {
            let before = flow.procedures.len();
            flow.procedures.retain(|p| &p.id != id);
            if flow.procedures.len() == before {
                return Err(err("id", "navi.fe.no_procedure"));
            }
        }
    }
    Ok(())
}

fn clause_cond(c: &Clause) -> Cond {
    let a = Cond::Answer {
        q: c.q.clone(),
        is: c.values.clone(),
    };
    if c.negate {
        Cond::Not { not: Box::new(a) }
    } else {
        a
    }
}

/// The condition of a list of clauses (all must hold); no clause: always listed.
pub fn cond_of(clauses: &[Clause]) -> Option<Cond> {
    match clauses {
        [] => None,
        [one] => Some(clause_cond(one)),
        many => Some(Cond::All {
            all: many.iter().map(clause_cond).collect(),
        }),
    }
}

/// The clauses of a condition, when the form can show it: one clause per question, each an
/// answer (or its negation); `all` of such. `None` for anything else (JSON editor only).
pub fn clauses_of(c: Option<&Cond>) -> Option<Vec<Clause>> {
    fn one(c: &Cond) -> Option<Clause> {
        match c {
            Cond::Answer { q, is } => Some(Clause {
                q: q.clone(),
                negate: false,
                values: is.clone(),
            }),
            Cond::Not { not } => match not.as_ref() {
                Cond::Answer { q, is } => Some(Clause {
                    q: q.clone(),
                    negate: true,
                    values: is.clone(),
                }),
                _ => None,
            },
            _ => None,
        }
    }
    let out: Vec<Clause> = match c {
        None => return Some(Vec::new()),
        Some(Cond::All { all }) => all.iter().map(one).collect::<Option<_>>()?,
        Some(c) => vec![one(c)?],
    };
    let mut qs: Vec<&str> = out.iter().map(|c| c.q.as_str()).collect();
    qs.sort_unstable();
    qs.dedup();
    (qs.len() == out.len()).then_some(out)
}

/// A 持ち物 line's condition as the form writes it: `q=a,b` (the answer is a or b), `q!=a`
/// (it is not), or the condition's JSON for anything else. Empty: always.
pub fn bring_if_text(c: &Cond) -> String {
    match clauses_of(Some(c)).as_deref() {
        Some([]) => String::new(),
        Some([one]) => format!(
            "{}{}{}",
            one.q,
            if one.negate { "!=" } else { "=" },
            one.values.join(",")
        ),
        _ => serde_json::to_string(c).unwrap_or_default(),
    }
}

/// Reads [`bring_if_text`]'s format back; `None` when it is neither form.
pub fn parse_bring_if(s: &str) -> Option<Option<Cond>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(None);
    }
    if s.starts_with('{') {
        return serde_json::from_str(s).ok().map(Some);
    }
    let (q, negate, rest) = match s.split_once("!=") {
        Some((q, r)) => (q, true, r),
        None => {
            let (q, r) = s.split_once('=')?;
            (q, false, r)
        }
    };
    let values: Vec<String> = rest
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if !valid_id(q.trim()) || values.is_empty() {
        return None;
    }
    Some(Some(clause_cond(&Clause {
        q: q.trim().to_owned(),
        negate,
        values,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::navi::model::shipped;

    #[test]
    fn conditions_round_trip_through_the_form() {
        for (event, _) in crate::navi::model::SHIPPED {
            let f = shipped(event).expect("ships");
            for p in &f.procedures {
                let clauses = clauses_of(p.when.as_ref())
                    .unwrap_or_else(|| panic!("{event}/{}: the form shows it", p.id));
                assert_eq!(cond_of(&clauses), p.when, "{event}/{}", p.id);
                for b in &p.bring {
                    if let Bring::When { when, .. } = b {
                        let text = bring_if_text(when);
                        assert_eq!(parse_bring_if(&text), Some(Some(when.clone())), "{text}");
                    }
                }
            }
        }
        let any = Cond::Any {
            any: vec![Cond::Answer {
                q: "a".into(),
                is: vec!["yes".into()],
            }],
        };
        assert_eq!(clauses_of(Some(&any)), None);
        assert_eq!(parse_bring_if(&bring_if_text(&any)), Some(Some(any)));
        assert_eq!(parse_bring_if("kokuho"), None);
        assert_eq!(parse_bring_if("Kokuho=yes"), None);
        assert_eq!(parse_bring_if(""), Some(None));
    }

    #[test]
    fn bad_input_names_the_field_and_changes_nothing() {
        let mut f = shipped("tenkyo").expect("ships");
        let before = f.clone();
        let e = Edit::AddQuestion {
            id: "Bad Id".into(),
            text_ja: "x".into(),
            text_en: "x".into(),
        };
        assert_eq!(apply(&mut f, &e), Err(err("new-id", "navi.fe.bad_id")));
        let e = Edit::AddQuestion {
            id: f.start.clone(),
            text_ja: "x".into(),
            text_en: "x".into(),
        };
        assert_eq!(apply(&mut f, &e), Err(err("new-id", "navi.fe.taken")));
        let e = Edit::DeleteQuestion {
            id: f.start.clone(),
        };
        assert_eq!(apply(&mut f, &e), Err(err("id", "navi.fe.delete_start")));
        let e = Edit::AddOption {
            q: f.start.clone(),
            option: OptionFields {
                value: "maybe".into(),
                label_ja: "たぶん".into(),
                label_en: "Maybe".into(),
                next: Some("nowhere".into()),
                unknown: false,
            },
        };
        assert_eq!(
            apply(&mut f, &e),
            Err(err("add-next", "navi.fe.no_question"))
        );
        assert_eq!(f, before);
    }
}
