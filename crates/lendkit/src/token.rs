//! Bearer tokens of borrower apps: JWTs issued by the lender's identity provider.
//!
//! A browser or mobile app cannot keep an API key, so the `applicant` channel also accepts
//! `Authorization: Bearer <JWT>`, verified with a key from the secret variable
//! `applicant_token_keys` — `hs256:<base64 secret>` or `eddsa:<base64url Ed25519 public
//! key>` entries separated by `;` (several while keys rotate) — and checked for `exp`, `aud`
//! (`applicant_token_audience`) and `iss` (`applicant_token_issuer`), with 30 seconds of
//! clock leeway. The token's subject becomes the caller: it owns the applications it creates
//! and reads only those ([`Principal::key_id`] is `sub:` and a hash of the subject, never the
//! subject itself, which may be personal data). Unconfigured, tokens are refused.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{Principal, Problem, Role};

/// The variable holding the verification keys.
pub const KEYS_VARIABLE: &str = "applicant_token_keys";
/// The variable holding the expected issuer.
pub const ISSUER_VARIABLE: &str = "applicant_token_issuer";
/// The variable holding the expected audience.
pub const AUDIENCE_VARIABLE: &str = "applicant_token_audience";
/// Seconds a token's `exp` may be past, for clock skew between the provider and us.
pub const LEEWAY_SECONDS: u64 = 30;
/// Prefix of the key id of a token's subject.
pub const SUBJECT_PREFIX: &str = "sub:";

/// Whether a bearer value is a JWT rather than an API key: three dot-separated parts, the
/// first a base64url JSON object (a JOSE header).
pub fn looks_like_jwt(value: &str) -> bool {
    let mut parts = value.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .is_ok_and(|bytes| bytes.first() == Some(&b'{'))
}

/// Verification keys, issuer and audience.
#[derive(Clone)]
pub struct TokenConfig {
    keys: Vec<(Algorithm, DecodingKey)>,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenConfig({} keys)", self.keys.len())
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

fn refused() -> Problem {
    Problem::unauthorized("the bearer token is invalid, expired, or not for this service")
}

impl TokenConfig {
    /// Parses the keys, issuer and audience (errors never repeat a key).
    pub fn parse(keys: &str, issuer: &str, audience: &str) -> Result<TokenConfig, &'static str> {
        let mut parsed = Vec::new();
        for entry in keys.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (kind, key) = entry
                .split_once(':')
                .ok_or("a key lacks its kind (hs256: or eddsa:)")?;
            match kind {
                "hs256" => {
                    let secret = base64::engine::general_purpose::STANDARD
                        .decode(key)
                        .map_err(|_| "an hs256 secret is not base64")?;
                    if secret.len() < 32 {
                        return Err("an hs256 secret is shorter than 32 bytes");
                    }
                    let key = DecodingKey::from_secret(&secret)
                        .map_err(|_| "an hs256 secret is unusable")?;
                    parsed.push((Algorithm::HS256, key));
                }
                "eddsa" => {
                    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(key.trim_end_matches('='))
                        .map_err(|_| "an eddsa key is not base64url")?;
                    if bytes.len() != 32 {
                        return Err("an eddsa key is not 32 bytes");
                    }
                    let key = DecodingKey::from_ed_components(key.trim_end_matches('='))
                        .map_err(|_| "an eddsa key is not an Ed25519 public key")?;
                    parsed.push((Algorithm::EdDSA, key));
                }
                _ => return Err("a key kind is neither hs256 nor eddsa"),
            }
        }
        if parsed.is_empty() {
            return Err("no keys");
        }
        if issuer.trim().is_empty() || audience.trim().is_empty() {
            return Err("the issuer and audience must be set");
        }
        Ok(TokenConfig {
            keys: parsed,
            issuer: issuer.trim().to_string(),
            audience: audience.trim().to_string(),
        })
    }

    /// The configuration from the Spin variables; a 401 when tokens are not configured (an
    /// API key is then the only way in), a 500 when they are malformed.
    pub fn from_spin_variables() -> Result<TokenConfig, Problem> {
        let get = |name: &str| spin_sdk::variables::get(name).unwrap_or_default();
        let keys = get(KEYS_VARIABLE);
        if keys.trim().is_empty() {
            return Err(refused());
        }
        TokenConfig::parse(&keys, &get(ISSUER_VARIABLE), &get(AUDIENCE_VARIABLE)).map_err(|why| {
            Problem::internal(format!(
                "the applicant token configuration is malformed ({why})"
            ))
        })
    }

    /// The applicant a valid token names; a 401 for anything else.
    pub fn verify(&self, token: &str) -> Result<Principal, Problem> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused())?;
        for (algorithm, key) in self.keys.iter().filter(|(a, _)| *a == header.alg) {
            let mut validation = Validation::new(*algorithm);
            validation.set_issuer(&[&self.issuer]);
            validation.set_audience(&[&self.audience]);
            validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            validation.leeway = LEEWAY_SECONDS;
            if let Ok(data) = jsonwebtoken::decode::<Claims>(token, key, &validation)
                && !data.claims.sub.is_empty()
            {
                let digest = hex::encode(Sha256::digest(data.claims.sub.as_bytes()));
                return Ok(Principal {
                    role: Role::Applicant,
                    key_id: format!("{SUBJECT_PREFIX}{}", &digest[..16]),
                });
            }
        }
        Err(refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    /// RFC 8032's first Ed25519 test key: the seed as PKCS#8, and the public key.
    const ED_PKCS8_HEX: &str = "302e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const ED_PUBLIC: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const HS_SECRET: &[u8] = b"a-test-secret-of-at-least-32-bytes!!";

    fn config() -> TokenConfig {
        let hs = base64::engine::general_purpose::STANDARD.encode(HS_SECRET);
        TokenConfig::parse(
            &format!("hs256:{hs};eddsa:{ED_PUBLIC}"),
            "https://id.lender.test",
            "lendwork",
        )
        .unwrap()
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn claims(exp_in: i64, aud: &str, iss: &str) -> serde_json::Value {
        json!({ "sub": "user-42", "exp": now() + exp_in, "aud": aud, "iss": iss })
    }

    fn hs(claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(HS_SECRET).unwrap(),
        )
        .unwrap()
    }

    fn ed(claims: &serde_json::Value) -> String {
        let der = hex::decode(ED_PKCS8_HEX).unwrap();
        jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            claims,
            &EncodingKey::from_ed_der(&der),
        )
        .unwrap()
    }

    #[test]
    fn valid_tokens_name_their_subject_by_a_hash() {
        let good = claims(300, "lendwork", "https://id.lender.test");
        for token in [hs(&good), ed(&good)] {
            assert!(looks_like_jwt(&token));
            let principal = config().verify(&token).unwrap();
            assert_eq!(principal.role, Role::Applicant);
            assert!(principal.key_id.starts_with("sub:") && !principal.key_id.contains("user-42"));
            assert_eq!(
                principal,
                config().verify(&hs(&good)).unwrap(),
                "one subject, one id"
            );
        }
    }

    #[test]
    fn expired_foreign_and_forged_tokens_are_refused() {
        let cases = [
            hs(&claims(-120, "lendwork", "https://id.lender.test")),
            hs(&claims(300, "another-service", "https://id.lender.test")),
            hs(&claims(300, "lendwork", "https://evil.test")),
            ed(&claims(-120, "lendwork", "https://id.lender.test")),
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims(300, "lendwork", "https://id.lender.test"),
                &EncodingKey::from_secret(b"some-other-secret-of-32-bytes-or-more").unwrap(),
            )
            .unwrap(),
            // No expiry at all.
            hs(&json!({ "sub": "user-42", "aud": "lendwork", "iss": "https://id.lender.test" })),
            "a.b.c".into(),
        ];
        for token in cases {
            assert_eq!(config().verify(&token).unwrap_err().status, 401, "{token}");
        }
        // Within the leeway, an expired token still passes.
        assert!(
            config()
                .verify(&hs(&claims(-10, "lendwork", "https://id.lender.test")))
                .is_ok()
        );
        assert!(!looks_like_jwt("applicant-test-key"));
    }

    #[test]
    fn malformed_configuration_is_refused_without_echoing_keys() {
        for (keys, iss, aud) in [
            ("", "i", "a"),
            ("hs256:c2hvcnQ=", "i", "a"),
            ("rs256:abc", "i", "a"),
            ("eddsa:!!", "i", "a"),
            (&*format!("eddsa:{ED_PUBLIC}"), "", "a"),
        ] {
            let why = TokenConfig::parse(keys, iss, aud).unwrap_err();
            assert!(!why.contains(ED_PUBLIC));
        }
    }
}
