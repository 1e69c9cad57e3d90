//! Detached CMS signatures (RFC 5652 SignedData, no encapsulated content) over notice PDFs,
//! with ECDSA P-256 and SHA-256, the signer's certificate included. Signed attributes:
//! content-type (id-data), message-digest (SHA-256 of the PDF) and signing-time (RFC 5652 §11).
//!
//! [`verify`] checks, in order: the structure, that the signer is the trusted certificate (its
//! issuer and serial number, and the signature verifies with its key), that the message digest
//! equals the SHA-256 of the file, and the ECDSA signature over the signed attributes.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, DecodePem, Encode, EncodePem, pem::LineEnding};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, DecodePublicKey};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
pub const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const ID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// The city's signing key and certificate.
pub struct Signer {
    key: SigningKey,
    cert: Certificate,
}

/// Reads a PEM certificate.
pub fn read_cert(path: &Path) -> anyhow::Result<Certificate> {
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading the certificate {}", path.display()))?;
    Certificate::from_pem(pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("{} is not a PEM X.509 certificate: {e}", path.display()))
}

fn cert_key(cert: &Certificate) -> anyhow::Result<VerifyingKey> {
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .context("certificate key")?;
    VerifyingKey::from_public_key_der(&spki)
        .map_err(|e| anyhow::anyhow!("the certificate's key is not an ECDSA P-256 key: {e}"))
}

impl Signer {
    pub fn from_files(key: &Path, cert: &Path) -> anyhow::Result<Signer> {
        let pem = std::fs::read_to_string(key)
            .with_context(|| format!("documents.signing_key: reading {}", key.display()))?;
        let key_v = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            anyhow::anyhow!(
                "documents.signing_key: {} is not a PKCS#8 PEM ECDSA P-256 private key: {e}",
                key.display()
            )
        })?;
        let cert_v = read_cert(cert).context("documents.signing_cert")?;
        let public = cert_key(&cert_v).context("documents.signing_cert")?;
        anyhow::ensure!(
            public == *key_v.verifying_key(),
            "documents.signing_cert {} does not belong to documents.signing_key {}",
            cert.display(),
            key.display()
        );
        Ok(Signer {
            key: key_v,
            cert: cert_v,
        })
    }

    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// A detached SignedData over `content`, DER.
    pub fn sign_detached(&self, content: &[u8], now_ms: i64) -> anyhow::Result<Vec<u8>> {
        let digest = Sha256::digest(content);
        let time = UtcTime::from_unix_duration(std::time::Duration::from_millis(
            u64::try_from(now_ms.max(0)).unwrap_or(0) / 1000 * 1000,
        ))
        .context("signing time")?;
        let attrs = vec![
            attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?,
            attribute(
                ID_MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest.to_vec())?)?,
            )?,
            attribute(ID_SIGNING_TIME, Any::encode_from(&time)?)?,
        ];
        let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(attrs)?;
        let to_sign = signed_attrs.to_der()?;
        let sig: Signature = self.key.sign(&to_sign);
        let sig: DerSignature = sig.to_der();
        let tbs = self.cert.tbs_certificate();
        let info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer().clone(),
                serial_number: tbs.serial_number().clone(),
            }),
            digest_alg: alg(ID_SHA256),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: alg(ID_ECDSA_SHA256),
            signature: OctetString::new(sig.as_bytes().to_vec())?,
            unsigned_attrs: None,
        };
        let sd = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![alg(ID_SHA256)])?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_DATA,
                econtent: None,
            },
            certificates: Some(CertificateSet::try_from(vec![
                CertificateChoices::Certificate(self.cert.clone()),
            ])?),
            crls: None,
            signer_infos: SignerInfos::try_from(vec![info])?,
        };
        let ci = ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::encode_from(&sd)?,
        };
        Ok(ci.to_der()?)
    }
}

fn alg(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> anyhow::Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// Why a signature does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the signature file is not a CMS SignedData (PKCS#7) structure: {0}")]
    Malformed(String),
    #[error("the signature is not from the trusted certificate ({0})")]
    UntrustedSigner(String),
    #[error(
        "the document does not match the signature: it was changed after signing (SHA-256 differs)"
    )]
    DigestMismatch,
    #[error("the signature value is invalid (wrong key, or the signature was altered)")]
    BadSignature,
}

/// What a good signature says.
#[derive(Debug, Clone)]
pub struct Verified {
    pub signer: String,
    /// Signing time as written (UTC), if present.
    pub signing_time: Option<String>,
    pub sha256: String,
}

/// Verifies a detached signature over `content` against the trusted certificate.
pub fn verify(content: &[u8], p7s: &[u8], trusted: &Certificate) -> Result<Verified, VerifyError> {
    let bad = |e: &dyn std::fmt::Display| VerifyError::Malformed(e.to_string());
    let ci = ContentInfo::from_der(p7s).map_err(|e| bad(&e))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(bad(&format!("content type {}", ci.content_type)));
    }
    let sd: SignedData = ci.content.decode_as().map_err(|e| bad(&e))?;
    if sd.encap_content_info.econtent.is_some() {
        return Err(bad(&"not a detached signature"));
    }
    let infos: Vec<&SignerInfo> = sd.signer_infos.0.iter().collect();
    let [info] = infos.as_slice() else {
        return Err(bad(&format!("{} signers (expected one)", infos.len())));
    };
    if info.digest_alg.oid != ID_SHA256 || info.signature_algorithm.oid != ID_ECDSA_SHA256 {
        return Err(bad(&"unsupported algorithm (expected ECDSA with SHA-256)"));
    }
    let tbs = trusted.tbs_certificate();
    let subject = tbs.subject().to_string();
    match &info.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn)
            if isn.issuer == *tbs.issuer() && isn.serial_number == *tbs.serial_number() => {}
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            return Err(VerifyError::UntrustedSigner(format!(
                "signed by {} serial {}",
                isn.issuer, isn.serial_number
            )));
        }
        SignerIdentifier::SubjectKeyIdentifier(_) => {
            return Err(VerifyError::UntrustedSigner(
                "signer named by key identifier only".into(),
            ));
        }
    }
    let attrs = info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| bad(&"no signed attributes"))?;
    let find = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let ct: ObjectIdentifier = find(ID_CONTENT_TYPE)
        .ok_or_else(|| bad(&"no content-type attribute"))?
        .decode_as()
        .map_err(|e| bad(&e))?;
    if ct != ID_DATA {
        return Err(bad(&"content-type attribute is not id-data"));
    }
    let md: OctetString = find(ID_MESSAGE_DIGEST)
        .ok_or_else(|| bad(&"no message-digest attribute"))?
        .decode_as()
        .map_err(|e| bad(&e))?;
    let digest = Sha256::digest(content);
    let key = cert_key(trusted).map_err(|e| VerifyError::UntrustedSigner(e.to_string()))?;
    let sig =
        Signature::from_der(info.signature.as_bytes()).map_err(|_| VerifyError::BadSignature)?;
    let signed = attrs.to_der().map_err(|e| bad(&e))?;
    key.verify(&signed, &sig)
        .map_err(|_| VerifyError::BadSignature)?;
    if md.as_bytes() != digest.as_slice() {
        return Err(VerifyError::DigestMismatch);
    }
    let signing_time = find(ID_SIGNING_TIME)
        .and_then(|v| v.decode_as::<UtcTime>().ok())
        .map(|t| t.to_date_time().to_string());
    Ok(Verified {
        signer: subject,
        signing_time,
        sha256: hex::encode(digest),
    })
}

/// Makes a self-signed demo certificate and key (labelled as a sandbox certificate) in `dir`,
/// unless they exist. Returns (key path, certificate path).
pub fn ensure_demo_certificate(
    dir: &Path,
    label: &str,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let key_path = dir.join("demo-signing-key.pem");
    let cert_path = dir.join("demo-signing-cert.pem");
    if key_path.is_file() && cert_path.is_file() {
        return Ok((key_path, cert_path));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (key, cert) = self_signed(label)?;
    let key_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding the demo key: {e}"))?;
    std::fs::write(&key_path, key_pem.as_bytes())
        .with_context(|| format!("writing {}", key_path.display()))?;
    std::fs::write(&cert_path, cert.to_pem(LineEnding::LF)?)
        .with_context(|| format!("writing {}", cert_path.display()))?;
    Ok((key_path, cert_path))
}

/// A new P-256 key and a self-signed certificate for it, valid ten years.
pub fn self_signed(label: &str) -> anyhow::Result<(SigningKey, Certificate)> {
    use x509_cert::builder::{Builder, CertificateBuilder};
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::time::Validity;

    let key = loop {
        let bytes: [u8; 32] = rand::random();
        if let Ok(k) = SigningKey::from_slice(&bytes) {
            break k;
        }
    };
    let subject = Name::from_str(&format!("CN={label},O=Madoguchi sandbox,C=JP"))
        .map_err(|e| anyhow::anyhow!("certificate name: {e}"))?;
    let mut serial: [u8; 16] = rand::random();
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    let validity = Validity::from_now(std::time::Duration::from_secs(10 * 366 * 24 * 3600))
        .map_err(|e| anyhow::anyhow!("validity: {e}"))?;
    let spki = spki::SubjectPublicKeyInfoOwned::from_key(key.verifying_key())
        .map_err(|e| anyhow::anyhow!("public key: {e}"))?;
    let builder = CertificateBuilder::new(
        SelfSigned { subject },
        SerialNumber::new(&serial).map_err(|e| anyhow::anyhow!("serial: {e}"))?,
        validity,
        spki,
    )
    .map_err(|e| anyhow::anyhow!("certificate: {e}"))?;
    let cert = builder
        .build::<_, DerSignature>(&key)
        .map_err(|e| anyhow::anyhow!("signing the certificate: {e}"))?;
    Ok((key, cert))
}

/// A plain self-signed end-entity certificate (no extensions).
struct SelfSigned {
    subject: x509_cert::name::Name,
}

impl x509_cert::builder::profile::BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &x509_cert::name::Name) -> x509_cert::name::Name {
        subject.clone()
    }
    fn get_subject(&self) -> x509_cert::name::Name {
        self.subject.clone()
    }
    fn build_extensions(
        &self,
        _spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<x509_cert::ext::Extension>> {
        Ok(Vec::new())
    }
}

/// The DER of a certificate, for comparisons.
pub fn cert_der(cert: &Certificate) -> Vec<u8> {
    cert.to_der().unwrap_or_default()
}
