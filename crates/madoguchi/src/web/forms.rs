//! Field errors for server-rendered forms: each error names the field and says how to fix it,
//! in the page's language. Templates render them next to the field (aria-invalid, described-by)
//! and in a summary at the top with links to the fields.

use super::i18n::Lang;

#[derive(Clone, Debug, Default)]
pub struct Errors {
    items: Vec<(&'static str, &'static str)>,
}

impl Errors {
    pub fn add(&mut self, field: &'static str, key: &'static str) {
        if !self.items.iter().any(|(f, _)| *f == field) {
            self.items.push((field, key));
        }
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// The message key for a field, if it has an error.
    pub fn key(&self, field: &str) -> Option<&'static str> {
        self.items
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, k)| *k)
    }
    /// The translated message for a field ("" when none), for templates.
    pub fn msg(&self, l: &Lang, field: &str) -> &'static str {
        self.key(field).map(|k| l.t(k)).unwrap_or("")
    }
    pub fn has(&self, field: &str) -> bool {
        self.key(field).is_some()
    }
    pub fn list(&self) -> &[(&'static str, &'static str)] {
        &self.items
    }
}

/// Trims a text field and checks presence and maximum length (in characters).
pub fn required_text(
    errs: &mut Errors,
    field: &'static str,
    value: &str,
    max: usize,
    empty_key: &'static str,
    long_key: &'static str,
) -> String {
    let v = value.trim().to_owned();
    if v.is_empty() {
        errs.add(field, empty_key);
    } else if v.chars().count() > max {
        errs.add(field, long_key);
    }
    v
}

/// A person's name (required, at most 100 characters) and e-mail address, as every sign-up and
/// staff form asks for them. Returns the trimmed name and the normalised address (None when
/// it is not valid; the error is in `errs`).
pub fn name_and_email(errs: &mut Errors, name: &str, email: &str) -> (String, Option<String>) {
    let name = required_text(errs, "name", name, 100, "v.name_required", "v.name_long");
    let email = crate::auth::normalize_email(email);
    if email.is_none() {
        errs.add("email", "v.email_invalid");
    }
    (name, email)
}

/// Applies the password policy and the confirmation check.
pub fn new_password(errs: &mut Errors, password: &str, confirm: &str, email: &str) {
    use crate::auth::password::{PolicyError, check_policy};
    match check_policy(password, email) {
        Err(PolicyError::TooShort) => errs.add("password", "v.password_short"),
        Err(PolicyError::TooLong) => errs.add("password", "v.password_long"),
        Err(PolicyError::Common) => errs.add("password", "v.password_common"),
        Err(PolicyError::ContainsEmail) => errs.add("password", "v.password_email"),
        Ok(()) => {
            if password != confirm {
                errs.add("password_confirm", "v.password_mismatch");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_per_field_wins_and_messages_translate() {
        let mut e = Errors::default();
        e.add("email", "v.email_invalid");
        e.add("email", "v.email_taken");
        assert_eq!(e.key("email"), Some("v.email_invalid"));
        assert!(e.msg(&Lang::Ja, "email").contains("メールアドレス"));
        assert!(e.msg(&Lang::En, "email").contains("email address"));
        assert_eq!(e.msg(&Lang::Ja, "name"), "");
    }

    #[test]
    fn password_rules() {
        let mut e = Errors::default();
        new_password(&mut e, "long enough phrase", "long enough phrasE", "a@b.jp");
        assert_eq!(e.key("password_confirm"), Some("v.password_mismatch"));
        let mut e = Errors::default();
        new_password(&mut e, "short", "short", "a@b.jp");
        assert_eq!(e.key("password"), Some("v.password_short"));
        assert!(!e.has("password_confirm"));
    }
}
