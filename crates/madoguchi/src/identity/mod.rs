//! Identity (issue 4, plan 1-1): residents sign in with the My Number card through the Digital
//! Agency's デジタル認証アプリ (OpenID Connect), and staff through the city's own OpenID provider.
//! Only the issuer and subject (`sub`) are stored, plus, where the resident agreed, the basic
//! four facts with the time they were read; never a 個人番号. docs/identity.md.
//!
//! `oidc.rs` is the relying party (shared by both), `keys.rs` the signing keys, `store.rs` the
//! SQL, `routes.rs` the pages, `facts.rs` the rules on what is kept, `prefill.rs` how facts fill
//! form fields, `sandbox.rs` a stand-in
//! provider for the demo and the tests.

pub mod config;
pub mod facts;
pub mod keys;
pub mod messages;
pub mod oidc;
pub mod prefill;
pub mod relink;
pub mod routes;
pub mod sandbox;
pub mod store;

use std::sync::Arc;

use crate::config::Config;
use keys::SigningKey;
use oidc::{ClientAuth, Rp};

/// The identity part of the application state.
#[derive(Default)]
pub struct Identity {
    pub card: Option<Rp>,
    pub staff: Option<Rp>,
    /// Public keys of our client keys, served at `/.well-known/jwks.json` (the URL the Digital
    /// Agency registers).
    pub jwks: Vec<jsonwebtoken::jwk::Jwk>,
    pub sandbox: Option<sandbox::Sandbox>,
}

impl Identity {
    /// Builds the relying parties from the configuration; with `sandbox`, also the sandbox
    /// provider for the realms the configuration points at this server.
    pub fn new(cfg: &Config, sandbox: bool) -> anyhow::Result<Arc<Identity>> {
        let mut id = Identity::default();
        let c = &cfg.identity.card;
        if !c.issuer.is_empty() {
            let key = SigningKey::from_file(&c.private_key_path, &c.key_id)?;
            id.jwks.push(key.public.clone());
            id.card = Some(Rp::new(
                &c.issuer,
                &c.client_id,
                ClientAuth::PrivateKeyJwt(Box::new(key)),
                &c.acr_values,
            )?);
        }
        let s = &cfg.identity.staff;
        if !s.issuer.is_empty() {
            let auth = if s.private_key_path.is_empty() {
                ClientAuth::Secret(s.client_secret.clone())
            } else {
                let key = SigningKey::from_file(&s.private_key_path, &s.key_id)?;
                if !id
                    .jwks
                    .iter()
                    .any(|k| k.common.key_id == key.public.common.key_id)
                {
                    id.jwks.push(key.public.clone());
                }
                ClientAuth::PrivateKeyJwt(Box::new(key))
            };
            id.staff = Some(Rp::new(&s.issuer, &s.client_id, auth, "")?);
        }
        if sandbox {
            id.sandbox = Some(sandbox::Sandbox::from_config(cfg)?);
        }
        Ok(Arc::new(id))
    }
}

/// The demo's wiring: when the card (or staff) issuer is not configured, point it at the
/// sandbox realm on this server and create the demo's client key in `data_dir` (kept across
/// restarts). Staff groups of the sandbox map to 市民課.
pub fn wire_demo_sandbox(cfg: &mut Config, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let base = format!("http://{}{}", cfg.addr, sandbox::PREFIX);
    let key_path = data_dir.join("identity-client-key.pem");
    if !key_path.exists() {
        std::fs::create_dir_all(data_dir)?;
        std::fs::write(&key_path, keys::generate_es256_pem()?)?;
    }
    let key = key_path.display().to_string();
    if cfg.identity.card.issuer.is_empty() {
        let c = &mut cfg.identity.card;
        c.issuer = format!("{base}/main");
        c.client_id = "RP00000001".into();
        c.private_key_path = key.clone();
    }
    if cfg.identity.staff.issuer.is_empty() {
        let s = &mut cfg.identity.staff;
        s.issuer = format!("{base}/staff");
        s.client_id = "madoguchi-staff".into();
        s.private_key_path = key;
        for (group, dept, role) in [
            ("shimin-staff", "shimin", "department_staff"),
            ("shimin-reviewer", "shimin", "reviewer"),
        ] {
            s.groups
                .entry(group.into())
                .or_insert_with(|| config::GroupMapping {
                    department: dept.into(),
                    role: role.into(),
                });
        }
    }
    Ok(())
}
