//! The export file `<slug>-v<n>.madoguchi-form.json`: a small header (what it is, which
//! procedure, which version, when and where it was exported) and the definition. A form moves
//! from the test server to production, or from one municipality to another, as this file.
//! Import also accepts a bare definition (the shipped `forms/<slug>.json` files).

use serde::{Deserialize, Serialize};

use super::engine::{self, Problem};
use crate::procedures::form::FormDefinition;

pub const FORMAT: &str = "madoguchi-form";

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProcedureRef {
    pub slug: String,
    pub name_ja: String,
    pub name_en: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityRef {
    /// 全国地方公共団体コード.
    pub code: String,
    pub name_ja: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormFile {
    /// Always [`FORMAT`].
    pub format: String,
    pub procedure: ProcedureRef,
    pub version: i64,
    /// RFC 3339, Japan time.
    pub exported_at: String,
    pub from_municipality: MunicipalityRef,
    pub definition: FormDefinition,
}

/// The file name of an export.
pub fn file_name(slug: &str, version: i64) -> String {
    format!("{slug}-v{version}.madoguchi-form.json")
}

/// Pretty JSON (people read and diff these files).
pub fn to_json(f: &FormFile) -> String {
    serde_json::to_string_pretty(f).unwrap_or_default()
}

/// What an imported file holds: the definition, and the procedure slug when the file has a
/// header.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub slug: Option<String>,
    pub definition: FormDefinition,
}

/// Reads an export file or a bare definition, and checks the definition (nothing may be
/// stored from a file with problems).
pub fn read(text: &str) -> Result<Read, Vec<Problem>> {
    let text = text.trim_start_matches('\u{feff}');
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem {
            path: format!("line {}", e.line()),
            message_ja: format!("JSONとして読めません（{}行目）：{e}", e.line()),
            message_en: format!("Not valid JSON: {e}"),
        }]
    })?;
    let is_file = value.get("format").and_then(|f| f.as_str()) == Some(FORMAT);
    if is_file {
        let f: FormFile = serde_json::from_value(value).map_err(|e| {
            vec![Problem {
                path: String::new(),
                message_ja: format!("書き出したファイルの形式が正しくありません：{e}"),
                message_en: format!("The export file is not valid: {e}"),
            }]
        })?;
        let problems = engine::check(&f.definition);
        if !problems.is_empty() {
            return Err(problems);
        }
        return Ok(Read {
            slug: Some(f.procedure.slug),
            definition: f.definition,
        });
    }
    let definition = engine::parse(text)?;
    Ok(Read {
        slug: None,
        definition,
    })
}

#[cfg(test)]
mod tests {
    use super::super::edit;
    use super::*;

    fn sample() -> FormFile {
        let mut d = edit::empty("妊娠の届出", "Pregnancy notification");
        edit::add_field(&mut d, "page_1", "name").expect("add");
        edit::add_field(&mut d, "page_1", "date").expect("add");
        FormFile {
            format: FORMAT.into(),
            procedure: ProcedureRef {
                slug: "ninshin".into(),
                name_ja: "妊娠の届出".into(),
                name_en: "Pregnancy notification".into(),
            },
            version: 3,
            exported_at: "2026-12-01T12:00:00+09:00".into(),
            from_municipality: MunicipalityRef {
                code: "122033".into(),
                name_ja: "市川市".into(),
            },
            definition: d,
        }
    }

    #[test]
    fn round_trip_gives_the_identical_definition() {
        let f = sample();
        let r = read(&to_json(&f)).expect("read");
        assert_eq!(r.definition, f.definition);
        assert_eq!(r.slug.as_deref(), Some("ninshin"));
        // A BOM (saved from Windows Notepad) is fine.
        let r = read(&format!("\u{feff}{}", to_json(&f))).expect("read");
        assert_eq!(r.definition, f.definition);
        assert_eq!(file_name("ninshin", 3), "ninshin-v3.madoguchi-form.json");
    }

    #[test]
    fn bare_definitions_are_accepted() {
        let f = sample();
        let text = serde_json::to_string(&f.definition).expect("json");
        let r = read(&text).expect("read");
        assert_eq!(r.slug, None);
        assert_eq!(r.definition, f.definition);
    }

    #[test]
    fn bad_files_name_their_problems() {
        assert!(read("{").expect_err("bad")[0].message_ja.contains("JSON"));
        let mut v = serde_json::to_value(sample()).expect("json");
        v["definition"]["pages"][0]["fields"][0]["colour"] = "red".into();
        assert!(!read(&v.to_string()).expect_err("bad").is_empty());
        let mut f = sample();
        f.definition.pages[0].fields[0].label_ja = "個人番号".into();
        let p = read(&to_json(&f)).expect_err("my number");
        assert!(p.iter().any(|p| p.message_ja.contains("個人番号")), "{p:?}");
        let mut f = sample();
        f.definition.pages.clear();
        assert!(read(&to_json(&f)).is_err());
    }
}
