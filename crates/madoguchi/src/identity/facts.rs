//! What is kept from a card sign-in, as plain rules: the basic four facts (基本4情報) by name,
//! the scopes a procedure needs, and the guard that no 個人番号-like value is ever stored.

use serde_json::{Map, Value};

/// The basic four facts, in the order they are shown.
pub const FACTS: [&str; 4] = ["name", "address", "birthdate", "gender"];

/// Message key of a fact's label.
pub fn label_key(fact: &str) -> &'static str {
    match fact {
        "name" => "identity.fact_name",
        "address" => "identity.fact_address",
        "birthdate" => "identity.fact_birthdate",
        _ => "identity.fact_gender",
    }
}

/// The fact a form field's `prefill` names (`verified.name` → `name`).
pub fn prefill_fact(prefill: &str) -> Option<&'static str> {
    let f = prefill.strip_prefix("verified.")?;
    FACTS.into_iter().find(|x| *x == f)
}

/// The scope string for a sign-in that reads `facts` (in [`FACTS`] order, `openid` first).
pub fn scopes(facts: &[&str]) -> String {
    let mut s = String::from("openid");
    for f in FACTS {
        if facts.contains(&f) {
            s.push(' ');
            s.push_str(f);
        }
    }
    s
}

/// True when the text holds a run of 12 digits (ignoring spaces and hyphens between them):
/// the shape of a 個人番号. Such a value is never stored.
pub fn looks_like_my_number(text: &str) -> bool {
    let mut run = 0;
    for ch in text.chars() {
        if ch.is_ascii_digit() || ('０'..='９').contains(&ch) {
            run += 1;
            if run >= 12 {
                return true;
            }
        } else if !matches!(ch, ' ' | '-' | '‐' | '－') {
            run = 0;
        }
    }
    false
}

/// The facts to store: only those in `granted` scopes, only the four named claims (every other
/// claim, such as a decoy number, is ignored), trimmed, at most 200 characters, and never one
/// that looks like a 個人番号.
pub fn extract(userinfo: &Map<String, Value>, granted: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for f in FACTS {
        if !granted.split(' ').any(|s| s == f) {
            continue;
        }
        let v = match userinfo.get(f) {
            Some(Value::String(s)) => s.trim().to_owned(),
            // OIDC's address claim is an object; its `formatted` member is the full address.
            Some(Value::Object(o)) => o
                .get("formatted")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_owned(),
            _ => continue,
        };
        if v.is_empty() || v.chars().count() > 200 || looks_like_my_number(&v) {
            continue;
        }
        out.push((f, v));
    }
    out
}

/// The fact's value as shown (gender codes in words).
pub fn display(fact: &str, value: &str, l: crate::web::i18n::Lang) -> String {
    use crate::web::i18n::Lang;
    match (fact, value, l) {
        ("gender", "female" | "2", Lang::Ja) => "女性".into(),
        ("gender", "male" | "1", Lang::Ja) => "男性".into(),
        ("gender", "female" | "2", Lang::En) => "Female".into(),
        ("gender", "male" | "1", Lang::En) => "Male".into(),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn my_number_shapes() {
        assert!(looks_like_my_number("123412341234"));
        assert!(looks_like_my_number("1234 5678 9012"));
        assert!(looks_like_my_number("番号１２３４５６７８９０１２"));
        assert!(!looks_like_my_number("千葉県市川市八幡2丁目15番10号"));
        assert!(!looks_like_my_number("1988-04-12"));
        assert!(!looks_like_my_number("12345678901"));
    }

    #[test]
    fn extract_keeps_only_granted_named_facts() {
        let u = json!({
            "sub": "x", "name": " 市川 花子 ", "address": {"formatted": "千葉県市川市八幡"},
            "birthdate": "1988-04-12", "gender": "female", "individual_number": "123412341234"
        });
        let Value::Object(m) = u else { unreachable!() };
        let got = extract(&m, "openid name address");
        assert_eq!(
            got,
            vec![
                ("name", "市川 花子".to_owned()),
                ("address", "千葉県市川市八幡".to_owned())
            ]
        );
        let mut bad = m.clone();
        bad.insert("name".into(), json!("123412341234"));
        assert!(extract(&bad, "openid name").is_empty());
        assert_eq!(scopes(&["gender", "name"]), "openid name gender");
        assert_eq!(prefill_fact("verified.address"), Some("address"));
        assert_eq!(prefill_fact("verified.my_number"), None);
    }
}
