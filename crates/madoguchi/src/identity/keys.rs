//! Signing keys: the relying party's key for `private_key_jwt` (ES256 or RS256, PKCS#8 PEM from
//! config), its public half as a JWK for our JWKS URL, and fresh ES256 keys for the sandbox and
//! the demo.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, KeyAlgorithm, PublicKeyUse, RSAKeyParameters, RSAKeyType,
};
use jsonwebtoken::{Algorithm, EncodingKey};
use p256_jose::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};

/// A private signing key with its algorithm, key id and public JWK.
#[derive(Clone)]
pub struct SigningKey {
    pub alg: Algorithm,
    pub kid: String,
    pub encoding: EncodingKey,
    pub public: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({:?}, kid {})", self.alg, self.kid)
    }
}

impl SigningKey {
    /// Reads a PKCS#8 PEM private key: a P-256 key gives ES256, an RSA key RS256. The key id is
    /// `kid` when given, else derived from the public key (RFC 7638 thumbprint).
    pub fn from_pem(pem: &str, kid: &str) -> anyhow::Result<SigningKey> {
        if let Ok(sk) = p256_jose::SecretKey::from_pkcs8_pem(pem) {
            let point = p256_jose::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
                &sk.public_key(),
                false,
            );
            let x = B64.encode(point.x().context("P-256 point has no x")?);
            let y = B64.encode(point.y().context("P-256 point has no y")?);
            let kid = if kid.is_empty() {
                thumbprint(&format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
                ))
            } else {
                kid.to_owned()
            };
            let public = Jwk {
                common: common(&kid, KeyAlgorithm::ES256),
                algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: EllipticCurveKeyType::EC,
                    curve: EllipticCurve::P256,
                    x,
                    y,
                }),
            };
            let encoding = EncodingKey::from_ec_pem(pem.as_bytes()).context("ES256 key")?;
            return Ok(SigningKey {
                alg: Algorithm::ES256,
                kid,
                encoding,
                public,
            });
        }
        use rsa::traits::PublicKeyParts;
        let rk = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .context("the key is neither a P-256 (ES256) nor an RSA (RS256) PKCS#8 PEM key")?;
        let n = B64.encode(rk.n().to_bytes_be());
        let e = B64.encode(rk.e().to_bytes_be());
        let kid = if kid.is_empty() {
            thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#))
        } else {
            kid.to_owned()
        };
        let public = Jwk {
            common: common(&kid, KeyAlgorithm::RS256),
            algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
                key_type: RSAKeyType::RSA,
                n,
                e,
            }),
        };
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).context("RS256 key")?;
        Ok(SigningKey {
            alg: Algorithm::RS256,
            kid,
            encoding,
            public,
        })
    }

    /// Reads the key file named in the configuration.
    pub fn from_file(path: &str, kid: &str) -> anyhow::Result<SigningKey> {
        let pem = std::fs::read_to_string(path).with_context(|| format!("reading key {path}"))?;
        Self::from_pem(&pem, kid).with_context(|| format!("key file {path}"))
    }

    /// A fresh ES256 key (sandbox provider, demo relying party, tests).
    pub fn generate_es256(kid: &str) -> anyhow::Result<SigningKey> {
        Self::from_pem(&generate_es256_pem()?, kid)
    }
}

/// A fresh P-256 private key as PKCS#8 PEM.
pub fn generate_es256_pem() -> anyhow::Result<String> {
    loop {
        let bytes: [u8; 32] = rand::random();
        if let Ok(sk) = p256_jose::SecretKey::from_slice(&bytes) {
            let pem = sk
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| anyhow::anyhow!("encoding key: {e}"))?;
            return Ok(pem.to_string());
        }
    }
}

fn common(kid: &str, alg: KeyAlgorithm) -> CommonParameters {
    CommonParameters {
        public_key_use: Some(PublicKeyUse::Signature),
        key_id: Some(kid.to_owned()),
        key_algorithm: Some(alg),
        ..Default::default()
    }
}

/// RFC 7638 JWK thumbprint over the canonical member string.
fn thumbprint(canonical: &str) -> String {
    use sha2::Digest;
    B64.encode(sha2::Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn es256_round_trip_and_thumbprint_kid() {
        let pem = generate_es256_pem().expect("pem");
        let a = SigningKey::from_pem(&pem, "").expect("key");
        let b = SigningKey::from_pem(&pem, "").expect("key");
        assert_eq!(a.alg, Algorithm::ES256);
        assert_eq!(a.kid, b.kid);
        assert_eq!(a.kid.len(), 43);
        assert_eq!(SigningKey::from_pem(&pem, "k1").expect("key").kid, "k1");
        assert!(SigningKey::from_pem("not a key", "").is_err());
    }
}
