//! Once-only: the answers a form takes from the facts verified with the My Number card
//! (`"prefill": "verified.…"` on a top-level field, docs/forms.md). Pure except [`hold`]: the
//! definition and the resident's facts in, the inputs the page must show and the answer parts
//! the server must hold.
//!
//! | field type | fact | what is filled (and read-only) | what stays editable |
//! |---|---|---|---|
//! | `text` | any of the four | the whole answer, as shown (gender in words) | — |
//! | `name` | `name` | 姓 and 名 (split at the first space) | フリガナ (not a verified fact) |
//! | `address` | `address` | 住所 | 郵便番号, 建物名 (the card has no postal code) |
//! | `date` | `birthdate` | the date (shown in 和暦) | — |
//! | `choice` | `gender` | the option `female` / `male` | — |
//!
//! A fact that does not fit its field (a name without a space between family and given name,
//! a birthdate that is not a date, a gender the options do not have) fills nothing: the
//! resident answers as usual.

use serde_json::{Map, Value};

use crate::procedures::form::def::{FieldKind, FormDefinition};
use crate::web::i18n::Lang;

/// What the city already knows for one form and one resident.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prefill {
    /// Input name → value: put in place of whatever the browser sent, and drawn read-only.
    pub inputs: Vec<(String, String)>,
    /// Field id, the member of a composite answer (`None`: the whole answer), canonical value.
    pub answers: Vec<(String, Option<&'static str>, Value)>,
}

impl Prefill {
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
    /// True when the input of this name holds a verified fact.
    pub fn fills(&self, input: &str) -> bool {
        self.inputs.iter().any(|(n, _)| n == input)
    }
    /// Puts the verified values in place of whatever the browser sent for those inputs.
    pub fn force(&self, pairs: &mut Vec<(String, String)>) {
        for (name, value) in &self.inputs {
            pairs.retain(|(k, _)| k != name);
            pairs.push((name.clone(), value.clone()));
        }
    }
    /// Replaces the verified parts of the answers that are there (a field not answered, e.g.
    /// hidden by a condition, stays unanswered). Used on the whole draft before the check page
    /// and the submission, so a draft typed before the card sign-in cannot hold other values.
    pub fn apply(&self, answers: &mut Map<String, Value>) {
        for (id, member, value) in &self.answers {
            let Some(slot) = answers.get_mut(id) else {
                continue;
            };
            match member {
                None => *slot = value.clone(),
                Some(m) => {
                    if let Value::Object(o) = slot {
                        o.insert((*m).to_owned(), value.clone());
                    }
                }
            }
        }
    }
}

/// Puts the resident's verified facts back into `answers` (the case module calls this on a
/// 補正 resubmission, so a correction cannot change what the card verified).
pub async fn hold(
    db: &crate::db::Db,
    user_id: i64,
    def: &FormDefinition,
    l: Lang,
    answers: &mut Map<String, Value>,
) -> Result<(), sqlx::Error> {
    let facts: Vec<(String, String)> = super::store::facts(db, user_id)
        .await?
        .into_iter()
        .map(|r| (r.fact, r.value))
        .collect();
    build(def, &facts, l).apply(answers);
    Ok(())
}

/// Whether a field of this type can hold this fact (what `check_definition` allows).
pub fn fits(kind: &FieldKind, fact: &str) -> bool {
    match kind {
        FieldKind::Text { .. } => true,
        FieldKind::Name { .. } => fact == "name",
        FieldKind::Address => fact == "address",
        FieldKind::Date { .. } => fact == "birthdate",
        FieldKind::Choice { options } => {
            fact == "gender"
                && ["female", "male"]
                    .iter()
                    .all(|v| options.iter().any(|o| o.value == *v))
        }
        _ => false,
    }
}

/// 姓 and 名 of a name as the card gives it (「市川 花子」, 「市川　花子」): split at the first
/// run of spaces. None when there is no space, or nothing on one side.
pub fn split_name(value: &str) -> Option<(String, String)> {
    let v = value.trim();
    let at = v.find([' ', '\u{3000}'])?;
    let family = v[..at].trim();
    let given = v[at..].trim_matches([' ', '\u{3000}']);
    if family.is_empty() || given.is_empty() {
        return None;
    }
    Some((family.to_owned(), given.to_owned()))
}

/// The option value of a gender fact (OIDC `female` / `male`, or the J-LIS codes 2 / 1).
pub fn gender_option(value: &str) -> Option<&'static str> {
    match value.trim() {
        "female" | "2" | "女" | "女性" => Some("female"),
        "male" | "1" | "男" | "男性" => Some("male"),
        _ => None,
    }
}

fn birthdate(value: &str) -> Option<time::Date> {
    time::Date::parse(
        value.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// The inputs and answer parts for `def` from the resident's `facts` (fact name, value).
pub fn build(def: &FormDefinition, facts: &[(String, String)], l: Lang) -> Prefill {
    let mut out = Prefill::default();
    for page in &def.pages {
        for f in &page.fields {
            let Some(fact) = f.prefill.as_deref().and_then(super::facts::prefill_fact) else {
                continue;
            };
            let Some((_, value)) = facts.iter().find(|(k, _)| k == fact) else {
                continue;
            };
            if !fits(&f.kind, fact) {
                continue;
            }
            let name = format!("f.{}", f.id);
            match &f.kind {
                FieldKind::Text { .. } => {
                    let shown = super::facts::display(fact, value, l);
                    out.inputs.push((name, shown.clone()));
                    out.answers.push((f.id.clone(), None, Value::String(shown)));
                }
                FieldKind::Name { .. } => {
                    if let Some((family, given)) = split_name(value) {
                        out.inputs.push((format!("{name}.family"), family.clone()));
                        out.inputs.push((format!("{name}.given"), given.clone()));
                        out.answers
                            .push((f.id.clone(), Some("family"), Value::String(family)));
                        out.answers
                            .push((f.id.clone(), Some("given"), Value::String(given)));
                    }
                }
                FieldKind::Address => {
                    let a = value.trim().to_owned();
                    out.inputs.push((format!("{name}.address"), a.clone()));
                    out.answers
                        .push((f.id.clone(), Some("address"), Value::String(a)));
                }
                FieldKind::Date { .. } => {
                    if let Some(d) = birthdate(value) {
                        out.inputs
                            .push((name, crate::procedures::jp::format_wareki(d)));
                        let canonical =
                            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
                        out.answers
                            .push((f.id.clone(), None, Value::String(canonical)));
                    }
                }
                FieldKind::Choice { .. } => {
                    if let Some(o) = gender_option(value) {
                        out.inputs.push((name, o.to_owned()));
                        out.answers
                            .push((f.id.clone(), None, Value::String(o.to_owned())));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> FormDefinition {
        serde_json::from_value(json!({
            "format": 1, "title_ja": "t", "title_en": "t",
            "pages": [{"id": "p", "title_ja": "p", "title_en": "p", "fields": [
                {"id": "who", "type": "name", "label_ja": "氏名", "label_en": "Name", "prefill": "verified.name"},
                {"id": "born", "type": "date", "label_ja": "生年月日", "label_en": "Born", "prefill": "verified.birthdate"},
                {"id": "home", "type": "address", "label_ja": "住所", "label_en": "Address", "prefill": "verified.address"},
                {"id": "sex", "type": "choice", "label_ja": "性別", "label_en": "Sex", "prefill": "verified.gender",
                 "options": [{"value": "female", "label_ja": "女", "label_en": "F"}, {"value": "male", "label_ja": "男", "label_en": "M"}]},
                {"id": "note", "type": "text", "label_ja": "メモ", "label_en": "Note"}
            ]}]
        }))
        .expect("definition")
    }

    fn facts(name: &str) -> Vec<(String, String)> {
        vec![
            ("name".into(), name.into()),
            ("address".into(), "千葉県市川市八幡二丁目15番10号".into()),
            ("birthdate".into(), "1988-04-12".into()),
            ("gender".into(), "female".into()),
        ]
    }

    #[test]
    fn each_type_gets_its_part_of_the_fact() {
        let p = build(&def(), &facts("市川 花子"), Lang::Ja);
        let inputs: Vec<(&str, &str)> = p
            .inputs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            inputs,
            vec![
                ("f.who.family", "市川"),
                ("f.who.given", "花子"),
                ("f.born", "昭和63年4月12日"),
                ("f.home.address", "千葉県市川市八幡二丁目15番10号"),
                ("f.sex", "female"),
            ]
        );
        assert!(p.fills("f.who.family") && !p.fills("f.who.family_kana"));
        assert!(!p.fills("f.home.postal_code") && !p.fills("f.note"));
    }

    #[test]
    fn apply_overrides_only_the_verified_members_of_answers_present() {
        let p = build(&def(), &facts("市川　花子"), Lang::Ja);
        let mut a = json!({
            "who": {"family": "偽", "given": "名", "family_kana": "イチカワ", "given_kana": "ハナコ"},
            "home": {"postal_code": "2720021", "address": "どこか", "building": "101"},
            "sex": "male"
        })
        .as_object()
        .cloned()
        .expect("object");
        p.apply(&mut a);
        assert_eq!(
            Value::Object(a),
            json!({
                "who": {"family": "市川", "given": "花子", "family_kana": "イチカワ", "given_kana": "ハナコ"},
                "home": {"postal_code": "2720021", "address": "千葉県市川市八幡二丁目15番10号", "building": "101"},
                "sex": "female"
            }),
            "kana, postal code and building stay; an unanswered date stays unanswered"
        );
    }

    #[test]
    fn facts_that_do_not_fit_fill_nothing() {
        let mut f = facts("市川花子");
        f[2].1 = "不明".into();
        f[3].1 = "9".into();
        let p = build(&def(), &f, Lang::Ja);
        assert_eq!(
            p.inputs,
            vec![(
                "f.home.address".to_owned(),
                "千葉県市川市八幡二丁目15番10号".to_owned()
            )]
        );
        assert_eq!(
            split_name(" 国府台  さくら "),
            Some(("国府台".into(), "さくら".into()))
        );
        assert_eq!(split_name("市川 "), None);
        assert_eq!(gender_option("2"), Some("female"));
        assert_eq!(gender_option("1"), Some("male"));
    }

    #[test]
    fn which_types_hold_which_fact() {
        let d = def();
        let kind = |id: &str| {
            d.pages[0]
                .fields
                .iter()
                .find(|f| f.id == id)
                .map(|f| f.kind.clone())
                .expect("field")
        };
        assert!(fits(&kind("who"), "name") && !fits(&kind("who"), "address"));
        assert!(fits(&kind("born"), "birthdate") && !fits(&kind("born"), "name"));
        assert!(fits(&kind("home"), "address"));
        assert!(fits(&kind("sex"), "gender") && !fits(&kind("sex"), "name"));
        assert!(fits(&kind("note"), "gender"));
        let FieldKind::Choice { mut options } = kind("sex") else {
            unreachable!()
        };
        options.pop();
        assert!(
            !fits(&FieldKind::Choice { options }, "gender"),
            "a choice without a male option cannot hold the fact"
        );
    }
}
