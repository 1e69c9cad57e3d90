//! Configuration: a TOML file, then `MADOGUCHI_*` environment variables, then command-line flags,
//! each overriding the one before. Unknown keys are an error (a typo must not silently fall back
//! to a default). Every key is documented in docs/configuration.md; a test keeps the two in step.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// Environment variables that are flags of the CLI rather than config keys.
/// (`MADOGUCHI_PG_BINDIR` is read by the test harness.)
const RESERVED_ENV: &[&str] = &[
    "MADOGUCHI_CONFIG",
    "MADOGUCHI_DATA_DIR",
    "MADOGUCHI_LOG",
    "MADOGUCHI_PG_BINDIR",
];

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
    pub database_url: String,
    /// Address the web server listens on.
    pub addr: SocketAddr,
    /// Address of the Prometheus metrics listener; empty to disable.
    pub metrics_addr: Option<SocketAddr>,
    /// Public base URL used in e-mail links when the request host is not a configured host.
    pub base_url: String,
    /// Set when users reach the server over HTTPS (directly or through a TLS proxy): turns on HSTS.
    pub https: bool,
    /// Origins allowed to POST besides the request's own host (for reverse proxies that rewrite Host).
    pub trusted_origins: Vec<String>,
    /// Municipality code used when the request host is not in `hosts`.
    pub default_municipality: Option<String>,
    /// Host name → municipality code.
    pub hosts: BTreeMap<String, String>,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted file-upload body (multipart POST of an online application page) in
    /// bytes. Each file is also held to its field's own limit (at most 20 MiB).
    pub max_upload_bytes: usize,
    /// Request timeout in seconds.
    pub request_timeout_secs: u64,
    /// Log format: `json` (default, for production) or `pretty`.
    pub log_format: LogFormat,
    pub session: SessionConfig,
    pub login: LoginConfig,
    pub smtp: SmtpConfig,
    pub line: LineConfig,
    pub payments: PaymentsConfig,
    /// My Number card sign-in and staff single sign-on (docs/identity.md).
    pub identity: crate::identity::config::IdentityConfig,
    /// PDF receipts and notices (docs/documents.md).
    pub documents: crate::documents::DocumentsConfig,
    /// Web口座振替 and the 全銀 bank files (docs/debit.md).
    pub debit: crate::debit::config::DebitConfig,
    /// Public facilities: registration expiry, lotteries (docs/facilities.md).
    pub facilities: crate::facilities::config::FacilitiesConfig,
    /// The public road map and its vector tiles (docs/roads-map.md).
    pub roads_map: crate::roads::map_config::RoadsMapConfig,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// A session ends after this many minutes without a request.
    pub idle_minutes: i64,
    /// A session ends this many hours after login, however active.
    pub absolute_hours: i64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Failed logins for one account (or from one address ×4) before a temporary lockout.
    pub max_failures: i64,
    /// Window in minutes in which failures are counted, and length of the lockout.
    pub lockout_minutes: i64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// SMTP relay host; empty keeps mail in the outbox (visible in the demo's sandbox mailbox).
    pub host: String,
    pub port: u16,
    /// Sender address of every message.
    pub from: String,
}

/// The city's LINE official account (手続きナビ on LINE, docs/navi.md).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineConfig {
    /// Channel secret from the LINE Developers console; empty turns the webhook off (404).
    pub channel_secret: String,
    /// Long-lived channel access token, sent as the bearer token of reply calls.
    pub channel_access_token: String,
    /// Base URL of the Messaging API (the demo points it at its local LINE sandbox).
    pub api_base_url: String,
}

impl Default for LineConfig {
    fn default() -> Self {
        LineConfig {
            channel_secret: String::new(),
            channel_access_token: String::new(),
            api_base_url: "https://api.line.me".into(),
        }
    }
}

/// The payment provider (docs/payments.md).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    /// Name stored with each payment and shown to staff (`sandbox` for the local sandbox).
    pub provider: String,
    /// Base URL of the provider's REST API. Empty: payments are off, except in the demo, where
    /// the sandbox mounted on this server is used.
    pub api_base: String,
    /// Secret API key sent as `Authorization: Bearer …`.
    pub secret_key: String,
    /// Shared secret of the webhook signatures (HMAC-SHA256).
    pub webhook_secret: String,
    /// Webhooks whose signed timestamp is further than this from now are refused (replay window).
    pub webhook_tolerance_secs: i64,
    /// How long the provider's payment page stays valid.
    pub session_minutes: i64,
    /// Seconds the sandbox waits before it sends a 遅延Webhook (delayed webhook) choice.
    pub sandbox_webhook_delay_secs: u64,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            provider: "sandbox".into(),
            api_base: String::new(),
            secret_key: String::new(),
            webhook_secret: String::new(),
            webhook_tolerance_secs: 300,
            session_minutes: 90,
            sandbox_webhook_delay_secs: 3,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://data/madoguchi.db".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_addr: None,
            base_url: "http://127.0.0.1:8080".into(),
            https: false,
            trusted_origins: Vec::new(),
            default_municipality: None,
            hosts: BTreeMap::new(),
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 21 * 1024 * 1024,
            request_timeout_secs: 30,
            log_format: LogFormat::Json,
            session: SessionConfig::default(),
            login: LoginConfig::default(),
            smtp: SmtpConfig::default(),
            line: LineConfig::default(),
            payments: PaymentsConfig::default(),
            identity: Default::default(),
            documents: Default::default(),
            debit: Default::default(),
            facilities: Default::default(),
            roads_map: Default::default(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_minutes: 30,
            absolute_hours: 12,
        }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            max_failures: 5,
            lockout_minutes: 15,
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 25,
            from: "no-reply@madoguchi.invalid".into(),
        }
    }
}

impl Config {
    /// Loads the file (if any) and overlays `MADOGUCHI_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let mut table = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading config file {}", p.display()))?;
                toml::from_str::<toml::Table>(&text)
                    .with_context(|| format!("parsing config file {}", p.display()))?
            }
            None => toml::Table::new(),
        };
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("MADOGUCHI_") else {
                continue;
            };
            if RESERVED_ENV.contains(&key.as_str()) {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            let value = if is_string_key(&path) {
                toml::Value::String(value)
            } else {
                env_value(&value)
            };
            insert_path(&mut table, &path, value)
                .with_context(|| format!("environment variable {key}"))?;
        }
        let cfg: Config = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration (see docs/configuration.md)")?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.session.idle_minutes > 0,
            "session.idle_minutes must be positive"
        );
        anyhow::ensure!(
            self.session.absolute_hours > 0,
            "session.absolute_hours must be positive"
        );
        anyhow::ensure!(
            self.login.max_failures > 0,
            "login.max_failures must be positive"
        );
        anyhow::ensure!(
            self.max_body_bytes >= 1024,
            "max_body_bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.max_upload_bytes >= self.max_body_bytes,
            "max_upload_bytes must be at least max_body_bytes"
        );
        anyhow::ensure!(
            self.payments.session_minutes > 0 && self.payments.webhook_tolerance_secs > 0,
            "payments.session_minutes and payments.webhook_tolerance_secs must be positive"
        );
        self.identity.validate()?;
        self.facilities.check().map_err(anyhow::Error::msg)?;
        self.roads_map.validate()?;
        Ok(())
    }

    /// The SQLite URL inside a data directory.
    pub fn sqlite_url_in(dir: &Path) -> String {
        format!("sqlite://{}", dir.join("madoguchi.db").display())
    }
}

/// True when the key holds text, so `MADOGUCHI_DEFAULT_MUNICIPALITY=122033` stays the string
/// "122033" instead of becoming a number. Decided from the types of a fully filled config.
fn is_string_key(path: &[String]) -> bool {
    if path.first().is_some_and(|p| p == "hosts") {
        return true;
    }
    let mut c = Config::default();
    c.metrics_addr = Some(c.addr);
    c.default_municipality = Some(String::new());
    let Ok(mut v) = toml::Value::try_from(&c) else {
        return false;
    };
    for p in path {
        match v.get(p) {
            Some(next) => v = next.clone(),
            None => return false,
        }
    }
    v.is_str()
}

/// An environment value is read as TOML when it parses as one (numbers, booleans, arrays),
/// otherwise as a plain string, so `MADOGUCHI_HTTPS=true` and `MADOGUCHI_BASE_URL=https://…`
/// both do what one expects.
fn env_value(raw: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_owned())),
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

fn insert_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> anyhow::Result<()> {
    match path {
        [] => anyhow::bail!("empty key"),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => insert_path(t, rest, value),
                _ => anyhow::bail!("{first} is not a table"),
            }
        }
    }
}

/// Default data directory for the demo and for admin commands without a URL.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_overrides_file_and_nested_keys_work() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "addr = \"127.0.0.1:9000\"\n[smtp]\nport = 2525\n").expect("write");
        let cfg = Config::load(
            Some(&file),
            env(&[
                ("MADOGUCHI_SMTP__HOST", "mail.example.jp"),
                ("MADOGUCHI_HTTPS", "true"),
            ]),
        )
        .expect("load");
        assert_eq!(cfg.addr.port(), 9000);
        assert_eq!(cfg.smtp.port, 2525);
        assert_eq!(cfg.smtp.host, "mail.example.jp");
        assert!(cfg.https);
        let cfg = Config::load(
            None,
            env(&[
                ("MADOGUCHI_DEFAULT_MUNICIPALITY", "122033"),
                ("MADOGUCHI_HOSTS__SHISUI.LOCALHOST", "123226"),
                ("MADOGUCHI_SMTP__PORT", "2525"),
            ]),
        )
        .expect("numeric-looking strings");
        assert_eq!(cfg.default_municipality.as_deref(), Some("122033"));
        assert_eq!(
            cfg.hosts.get("shisui.localhost").map(String::as_str),
            Some("123226")
        );
        assert_eq!(cfg.smtp.port, 2525);
    }

    #[test]
    fn unknown_keys_are_rejected_in_file_and_env() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "adress = \"127.0.0.1:9000\"\n").expect("write");
        let err = Config::load(Some(&file), env(&[])).expect_err("typo must fail");
        assert!(format!("{err:#}").contains("adress"), "{err:#}");
        let err = Config::load(None, env(&[("MADOGUCHI_SMTP__HOTS", "x")])).expect_err("typo");
        assert!(format!("{err:#}").contains("hots"), "{err:#}");
    }

    #[test]
    fn every_key_is_documented() {
        let doc = include_str!("../../../docs/configuration.md");
        // Serialise a config with every optional key filled so that enumeration sees all keys:
        // a new field in `Config` without a line in the docs fails here.
        let mut c = Config::default();
        c.metrics_addr = Some(c.addr);
        c.default_municipality = Some("122033".into());
        let value = toml::Value::try_from(&c).expect("serialise");
        let mut found = Vec::new();
        collect_keys(&value, "", &mut found);
        assert!(found.len() >= 18, "enumerated too few keys: {found:?}");
        for k in found {
            assert!(
                doc.contains(&format!("`{k}`")),
                "docs/configuration.md lacks `{k}`"
            );
        }
    }

    fn collect_keys(v: &toml::Value, prefix: &str, out: &mut Vec<String>) {
        if let toml::Value::Table(t) = v {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v {
                    toml::Value::Table(_) if k != "hosts" => collect_keys(v, &key, out),
                    _ => out.push(key),
                }
            }
        }
    }
}
