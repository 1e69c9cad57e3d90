//! People and their credentials: residents, staff, sessions, e-mail tokens, API tokens, login
//! throttling. Storage functions take a `Db` or `Tx`; rules live in plain functions.

pub mod passkey;
pub mod password;
pub mod store;
pub mod token;

use serde::Serialize;

/// A resident signs up online; staff are created by an admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Resident,
    Staff,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Resident => "resident",
            Kind::Staff => "staff",
        }
    }
}

/// Staff roles (ARCHITECTURE.md): admin manages staff and departments; department staff handle
/// their 課's cases; reviewers decide; DX推進員 (plan 3-2) run seminars and KPI work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    DepartmentStaff,
    Reviewer,
    DxPromoter,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::DepartmentStaff,
        Role::Reviewer,
        Role::DxPromoter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DepartmentStaff => "department_staff",
            Role::Reviewer => "reviewer",
            Role::DxPromoter => "dx_promoter",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self, lang: crate::web::i18n::Lang) -> &'static str {
        use crate::web::i18n::Lang::*;
        match (self, lang) {
            (Role::Admin, Ja) => "管理者",
            (Role::Admin, En) => "Administrator",
            (Role::DepartmentStaff, Ja) => "課の職員",
            (Role::DepartmentStaff, En) => "Department staff",
            (Role::Reviewer, Ja) => "審査担当",
            (Role::Reviewer, En) => "Reviewer",
            (Role::DxPromoter, Ja) => "DX推進員",
            (Role::DxPromoter, En) => "DX promoter",
        }
    }
}

/// Normalises an e-mail address for lookup: trimmed, lower-cased. Returns None when it is not
/// a plausible address (one @, non-empty local part, a dot in the domain, no spaces).
pub fn normalize_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_normalisation() {
        assert_eq!(
            normalize_email("  Hanako@Example.JP "),
            Some("hanako@example.jp".into())
        );
        for bad in [
            "",
            "hanako",
            "@example.jp",
            "a@b",
            "a@@b.jp",
            "a b@c.jp",
            "a@.jp",
            "a@b.jp.",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
