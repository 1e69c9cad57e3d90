//! The one place this module calls the form engine (`procedures::form`): validation of API
//! submissions and corrections, computed values, reading the 補正 form, the answers summary and
//! the CSV columns.

use serde_json::{Map, Value};

use crate::procedures::form::{self, FormDefinition};
use crate::web::i18n::Lang;

/// One problem with one answer (the API's `fields` entries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message_ja: String,
    pub message_en: String,
}

impl From<form::FieldError> for Problem {
    fn from(e: form::FieldError) -> Problem {
        Problem {
            path: e.path,
            message_ja: e.message_ja,
            message_en: e.message_en,
        }
    }
}

/// Checks a submission in canonical JSON; returns the canonical answers.
pub fn validate(
    def: &FormDefinition,
    answers: &Value,
    today: time::Date,
) -> Result<Map<String, Value>, Vec<Problem>> {
    form::validate(def, answers, today).map_err(|es| es.into_iter().map(Problem::from).collect())
}

/// The computed values (id, value); `fee` sets the application's fee.
pub fn compute(def: &FormDefinition, answers: &Map<String, Value>) -> Vec<(String, i64)> {
    form::compute(def, answers)
        .into_iter()
        .map(|c| (c.id, c.value))
        .collect()
}

/// One row of the answers summary (label and displayed value).
pub type Row = form::SummaryRow;

/// Label and displayed value of every shown field, in form order, then the computed values.
pub fn summary(def: &FormDefinition, answers: &Map<String, Value>, l: Lang) -> Vec<Row> {
    form::summary(def, answers, l)
}

/// The CSV header of the answers' columns.
pub fn csv_columns(def: &FormDefinition, l: Lang) -> Vec<String> {
    form::csv_columns(def, l)
}

/// The answers' CSV cells, matching [`csv_columns`].
pub fn csv_row(def: &FormDefinition, answers: &Map<String, Value>) -> Vec<String> {
    form::csv_row(def, answers)
}

/// Reads the typed values of the `requested` top-level fields with the engine's lenient reader
/// (和暦, full-width digits, hyphens…) and the answer JSON of files already stored (`files`, by
/// path): the answers of those fields (absent = left blank) and their problems. Other inputs, and other fields' problems, are ignored.
pub fn read_fields(
    def: &FormDefinition,
    requested: &[String],
    stored: &Map<String, Value>,
    pairs: &[(String, String)],
    files: &Map<String, Value>,
    today: time::Date,
) -> (Map<String, Value>, Vec<Problem>) {
    let mut answers = Map::new();
    let mut problems = Vec::new();
    for page in &def.pages {
        if !page.fields.iter().any(|f| requested.contains(&f.id)) {
            continue;
        }
        let input = form::read_page(def, &page.id, stored, pairs, files, today);
        for f in page.fields.iter().filter(|f| requested.contains(&f.id)) {
            if let Some(v) = input.answers.get(&f.id) {
                answers.insert(f.id.clone(), v.clone());
            }
        }
        problems.extend(
            input
                .errors
                .into_iter()
                .filter(|e| {
                    requested
                        .iter()
                        .any(|id| e.path == *id || e.path.starts_with(&format!("{id}/")))
                })
                .map(Problem::from),
        );
    }
    (answers, problems)
}
