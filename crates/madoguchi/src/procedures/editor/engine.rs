//! The editor's door to the form engine (`procedures::form`): parsing a definition from JSON,
//! the publish check and the JSON Schema. Everything the editor needs from the engine goes
//! through these three functions, so the editor has one place that knows the engine's API.

use crate::procedures::form::FormDefinition;

/// One problem of a definition, with where it is (`pages/0/fields/2/options`) and what to do.
pub type Problem = crate::procedures::form::DefinitionProblem;

/// A definition from JSON text: the file format (serde, unknown keys refused), then
/// [`check`]. Used for imports and the CLI `forms check`, where only a publishable file is
/// accepted.
pub fn parse(json: &str) -> Result<FormDefinition, Vec<Problem>> {
    crate::procedures::form::parse_definition(json)
}

/// Only the file format (the JSON view of the editor saves a work in progress whose
/// problems are listed, not refused).
pub fn parse_structure(json: &str) -> Result<FormDefinition, Vec<Problem>> {
    serde_json::from_str::<FormDefinition>(json).map_err(|e| {
        vec![Problem {
            path: format!("line {} column {}", e.line(), e.column()),
            message_ja: format!("ファイルの形式が正しくありません（{}行目）：{e}", e.line()),
            message_en: format!("The file is not a valid form definition: {e}"),
        }]
    })
}

/// Problems that stop a definition from being published; empty means publishable.
pub fn check(def: &FormDefinition) -> Vec<Problem> {
    crate::procedures::form::check_definition(def)
}

/// The JSON Schema (2020-12) of the answers of `def`, as of `today` (date bounds).
pub fn schema(def: &FormDefinition, id: &str, today: time::Date) -> serde_json::Value {
    crate::procedures::form::json_schema(def, id, today)
}
