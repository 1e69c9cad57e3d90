//! Official documents (issue 4, "Documents"): the PDF receipt (受付票) of every application and
//! the PDF notice (通知書) of every decision (承認・不承認・却下・完了), with an embedded, subset
//! Japanese font, the municipality's name and seal (印影), dates in 和暦 and 西暦, and a detached
//! CMS signature (RFC 5652) over each notice. See docs/documents.md.
//!
//! Layout: `content` (what each document says: pure functions over plain data), `layout` (lines
//! on A4 pages, measured with the font's metrics), `pdf` (drawing with krilla), `sign` (CMS
//! signing and verification, the demo certificate), `store` (SQL), `notice` (issuing a notice in
//! the decision's transaction), `routes` (HTTP), `cli` (`madoguchi document verify`).

pub mod cli;
pub mod content;
pub mod layout;
pub mod messages;
pub mod notice;
pub mod pdf;
pub mod routes;
pub mod sign;
pub mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub use routes::routes;

/// The shipped demo seal (印影): a red circle reading 市川市長之印 with 見本 (sample) across it,
/// drawn by `examples/demo_seal.rs`. Selected with `seal_path = "builtin:demo-seal"`.
pub const DEMO_SEAL_PNG: &[u8] = include_bytes!("../../assets/documents/demo-seal.png");
pub const BUILTIN_DEMO_SEAL: &str = "builtin:demo-seal";

/// Fonts tried in order when `documents.font_path` is empty: Debian's fonts-noto-cjk (明朝
/// first, as on printed notices), then fonts-ipaexfont.
pub const DEFAULT_FONTS: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    ("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf", 0),
    ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf", 0),
];

/// `[documents]` in the configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsConfig {
    /// A TrueType/OpenType font (or a `.ttc` collection) with Japanese glyphs. Empty: the first
    /// of [`DEFAULT_FONTS`] that exists.
    pub font_path: String,
    /// The face inside a `.ttc` collection (Noto CJK: 0 is the Japanese face).
    pub font_index: u32,
    /// PEM file with the PKCS#8 ECDSA P-256 private key that signs notices. Empty: notices are
    /// issued unsigned.
    pub signing_key: String,
    /// PEM file with the X.509 certificate of that key (embedded in each signature and the one
    /// `madoguchi document verify` trusts).
    pub signing_cert: String,
    /// Per municipality code (e.g. `"122033"`): who signs, the seal and the contact line.
    pub municipalities: BTreeMap<String, MunicipalityDocs>,
}

/// `[documents.municipalities."<code>"]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MunicipalityDocs {
    /// The signer line, e.g. `市川市長　田中　甲`. Empty: the municipality's name + 長.
    pub mayor: String,
    /// PNG of the official seal (印影). `builtin:demo-seal` is the shipped demo seal. Empty: the
    /// notice says （公印省略）.
    pub seal_path: String,
    /// Address and telephone printed at the foot, e.g. `〒272-8501 千葉県市川市八幡1丁目1番1号　電話 047-334-1111（代表）`.
    pub contact: String,
}

/// The loaded font, seals and signing key: built once at start-up ([`Documents::load`]), so a
/// missing font or key is a start-up error and never a blank PDF.
pub struct Documents {
    pub(crate) font: pdf::LoadedFont,
    seals: BTreeMap<String, Arc<Vec<u8>>>,
    people: BTreeMap<String, MunicipalityDocs>,
    pub(crate) signer: Option<sign::Signer>,
    /// Where the font came from (for logs and the CLI).
    pub font_source: String,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents")
            .field("font", &self.font_source)
            .field("seals", &self.seals.keys().collect::<Vec<_>>())
            .field("signing", &self.signer.is_some())
            .finish()
    }
}

/// The demo's signing certificate: a self-signed sandbox certificate made at first start in
/// `dir` (the data directory's `documents/`), used unless a key is configured.
pub fn demo_setup(cfg: &mut DocumentsConfig, dir: &Path) -> anyhow::Result<()> {
    if cfg.signing_key.trim().is_empty() && cfg.signing_cert.trim().is_empty() {
        let (key, cert) =
            sign::ensure_demo_certificate(dir, "Madoguchi DEMO document signer (sandbox)")?;
        cfg.signing_key = key.display().to_string();
        cfg.signing_cert = cert.display().to_string();
    }
    Ok(())
}

/// Finds the font file: the configured one, else the first default that exists.
pub fn font_file(cfg: &DocumentsConfig) -> anyhow::Result<(PathBuf, u32)> {
    if !cfg.font_path.trim().is_empty() {
        let p = PathBuf::from(cfg.font_path.trim());
        anyhow::ensure!(
            p.is_file(),
            "documents.font_path: the font file {} does not exist. Set documents.font_path to a \
             font with Japanese glyphs, or install one: apt-get install fonts-noto-cjk",
            p.display()
        );
        return Ok((p, cfg.font_index));
    }
    for (p, i) in DEFAULT_FONTS {
        if Path::new(p).is_file() {
            return Ok((PathBuf::from(p), *i));
        }
    }
    anyhow::bail!(
        "no Japanese font for PDF documents: none of {} exists. Install one \
         (apt-get install fonts-noto-cjk) or set documents.font_path",
        DEFAULT_FONTS
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Documents {
    /// Loads the font, the seals and the signing key named by the configuration.
    pub fn load(cfg: &DocumentsConfig) -> anyhow::Result<Documents> {
        let (path, index) = font_file(cfg)?;
        let data = std::fs::read(&path)
            .with_context(|| format!("documents.font_path: reading {}", path.display()))?;
        let font = pdf::LoadedFont::new(data, index).with_context(|| {
            format!(
                "documents.font_path: {} (face {index}) cannot be used for Japanese documents",
                path.display()
            )
        })?;
        let mut seals = BTreeMap::new();
        for (code, m) in &cfg.municipalities {
            let p = m.seal_path.trim();
            if p.is_empty() {
                continue;
            }
            let bytes = if p == BUILTIN_DEMO_SEAL {
                DEMO_SEAL_PNG.to_vec()
            } else {
                std::fs::read(p).with_context(|| {
                    format!("documents.municipalities.\"{code}\".seal_path: reading {p}")
                })?
            };
            pdf::check_png(&bytes).with_context(|| {
                format!("documents.municipalities.\"{code}\".seal_path: {p} is not a usable PNG")
            })?;
            seals.insert(code.clone(), Arc::new(bytes));
        }
        let signer = match (cfg.signing_key.trim(), cfg.signing_cert.trim()) {
            ("", "") => None,
            ("", _) | (_, "") => anyhow::bail!(
                "documents.signing_key and documents.signing_cert must be set together"
            ),
            (k, c) => Some(sign::Signer::from_files(Path::new(k), Path::new(c))?),
        };
        Ok(Documents {
            font,
            seals,
            people: cfg.municipalities.clone(),
            signer,
            font_source: format!("{} (face {index})", path.display()),
        })
    }

    /// The seal PNG of a municipality, if one is configured.
    pub fn seal(&self, municipality: &str) -> Option<Arc<Vec<u8>>> {
        self.seals.get(municipality).cloned()
    }

    /// The signer line: configured, or `<municipality>長`.
    pub fn mayor(&self, municipality: &str, name_ja: &str) -> String {
        self.people
            .get(municipality)
            .map(|m| m.mayor.trim().to_owned())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("{name_ja}長"))
    }

    pub fn contact(&self, municipality: &str) -> String {
        self.people
            .get(municipality)
            .map(|m| m.contact.trim().to_owned())
            .unwrap_or_default()
    }

    pub fn signs(&self) -> bool {
        self.signer.is_some()
    }

    /// A detached CMS signature over `pdf` (DER), when a key is configured.
    pub fn sign(&self, pdf: &[u8], now_ms: i64) -> anyhow::Result<Option<Vec<u8>>> {
        match &self.signer {
            Some(s) => s.sign_detached(pdf, now_ms).map(Some),
            None => Ok(None),
        }
    }
}
