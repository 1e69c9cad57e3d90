//! The `[identity.card]` and `[identity.staff]` configuration sections (docs/identity.md,
//! docs/configuration.md).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::auth::Role;

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    pub card: CardConfig,
    pub staff: StaffConfig,
}

/// Whether the basic four facts may be asked for.
#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FactsPolicy {
    /// Only the facts the procedure's form prefills, and only after the resident agrees.
    #[default]
    PerProcedure,
    /// Never: `openid` only.
    Never,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CardConfig {
    /// デジタル認証アプリ issuer, e.g. `https://auth-and-sign.go.jp/api/realms/main`; empty turns
    /// the card sign-in off.
    pub issuer: String,
    /// Client id given by the Digital Agency (e.g. `RP00000001`).
    pub client_id: String,
    /// Path of our callback; the redirect URI is the request's origin + this path.
    pub redirect_path: String,
    /// PKCS#8 PEM private key (P-256 → ES256, RSA → RS256) for `private_key_jwt`.
    pub private_key_path: String,
    /// `kid` of that key; empty: its RFC 7638 thumbprint.
    pub key_id: String,
    /// `acr_values` sent with the authorization request.
    pub acr_values: String,
    /// Which of the basic four facts may be asked for.
    pub facts: FactsPolicy,
    /// How long a started sign-in may take, in seconds.
    pub request_ttl_secs: i64,
}

impl Default for CardConfig {
    fn default() -> Self {
        CardConfig {
            issuer: String::new(),
            client_id: String::new(),
            redirect_path: "/auth/card/callback".into(),
            private_key_path: String::new(),
            key_id: String::new(),
            acr_values: "aal3 crl".into(),
            facts: FactsPolicy::PerProcedure,
            request_ttl_secs: 600,
        }
    }
}

/// Where a staff group puts its members.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GroupMapping {
    /// Department code (e.g. `shimin`).
    pub department: String,
    /// `admin`, `department_staff`, `reviewer` or `dx_promoter`.
    pub role: String,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffConfig {
    /// The city's staff OpenID provider; empty turns staff single sign-on off.
    pub issuer: String,
    pub client_id: String,
    /// `client_secret_post` secret; used when `private_key_path` is empty.
    pub client_secret: String,
    /// PKCS#8 PEM key for `private_key_jwt` (preferred).
    pub private_key_path: String,
    pub key_id: String,
    pub redirect_path: String,
    /// Scopes asked for besides `openid`.
    pub scopes: String,
    /// Claim (in the ID token or userinfo) that lists the member's groups.
    pub group_claim: String,
    /// Group name → department and role. The first listed group of the member that is mapped
    /// wins; a member of no mapped group cannot sign in.
    pub groups: BTreeMap<String, GroupMapping>,
}

impl Default for StaffConfig {
    fn default() -> Self {
        StaffConfig {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            private_key_path: String::new(),
            key_id: String::new(),
            redirect_path: "/staff/login/sso/callback".into(),
            scopes: "email profile groups".into(),
            group_claim: "groups".into(),
            groups: BTreeMap::new(),
        }
    }
}

impl IdentityConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        let c = &self.card;
        if !c.issuer.is_empty() {
            anyhow::ensure!(
                !c.client_id.is_empty() && c.client_id.len() <= 255,
                "identity.card.client_id must be set (1–255 characters)"
            );
            anyhow::ensure!(
                !c.private_key_path.is_empty(),
                "identity.card.private_key_path must be set (private_key_jwt)"
            );
            anyhow::ensure!(
                c.redirect_path.starts_with('/'),
                "identity.card.redirect_path must start with /"
            );
            anyhow::ensure!(
                c.request_ttl_secs > 0,
                "identity.card.request_ttl_secs must be positive"
            );
        }
        let s = &self.staff;
        if !s.issuer.is_empty() {
            anyhow::ensure!(
                !s.client_id.is_empty(),
                "identity.staff.client_id must be set"
            );
            anyhow::ensure!(
                !s.client_secret.is_empty() || !s.private_key_path.is_empty(),
                "identity.staff needs client_secret or private_key_path"
            );
            anyhow::ensure!(
                s.redirect_path.starts_with('/'),
                "identity.staff.redirect_path must start with /"
            );
            for (g, m) in &s.groups {
                anyhow::ensure!(
                    Role::parse(&m.role).is_some(),
                    "identity.staff.groups.{g}.role {:?} is not a role",
                    m.role
                );
            }
        }
        Ok(())
    }
}
