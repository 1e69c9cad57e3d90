//! `madoguchi document verify FILE [--signature FILE.p7s] [--cert CERT.pem]`: checks a notice's
//! detached CMS signature against the configured (or given) certificate.

use std::path::{Path, PathBuf};

use super::sign::{self, VerifyError};

/// The outcome, printed by the CLI; `Ok(true)` when the signature is good.
pub fn verify_files(
    file: &Path,
    signature: Option<&Path>,
    cert: &Path,
) -> anyhow::Result<(bool, String)> {
    let sig_path: PathBuf = match signature {
        Some(p) => p.to_path_buf(),
        None => {
            let mut s = file.as_os_str().to_owned();
            s.push(".p7s");
            PathBuf::from(s)
        }
    };
    let content =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let p7s = std::fs::read(&sig_path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the signature {}: {e} (give it with --signature FILE.p7s)",
            sig_path.display()
        )
    })?;
    let trusted = sign::read_cert(cert)?;
    Ok(match sign::verify(&content, &p7s, &trusted) {
        Ok(v) => (
            true,
            format!(
                "OK: the signature is valid.\n  file:      {}\n  signature: {}\n  signer:    {}\n  signed at: {}\n  SHA-256:   {}\n署名は有効です。この書類は署名の時から変更されていません。",
                file.display(),
                sig_path.display(),
                v.signer,
                v.signing_time.as_deref().unwrap_or("(not stated)"),
                v.sha256
            ),
        ),
        Err(e) => {
            let ja = match &e {
                VerifyError::Malformed(_) => "署名ファイルの形式が正しくありません。",
                VerifyError::UntrustedSigner(_) => "市の証明書による署名ではありません。",
                VerifyError::DigestMismatch => "書類が署名の後に変更されています。",
                VerifyError::BadSignature => "署名の値が正しくありません。",
            };
            (
                false,
                format!(
                    "FAILED: {e}.\n  file:      {}\n  signature: {}\n署名を確認できません：{ja}",
                    file.display(),
                    sig_path.display()
                ),
            )
        }
    })
}
