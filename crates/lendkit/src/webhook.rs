//! Partner webhooks signed the Standard Webhooks way.
//!
//! A partner sends three headers with the raw body:
//!
//! * `webhook-id` — the message id, unique per message (retries repeat it);
//! * `webhook-timestamp` — unix seconds when it was signed;
//! * `webhook-signature` — space-separated `v1,<base64 HMAC-SHA256>` signatures over
//!   `{id}.{timestamp}.{body}`, so that a partner rotating its secret can sign with both.
//!
//! Secrets live in the secret Spin variable `partner_secrets` as `partner:whsec_<base64>`
//! pairs separated by `;` (a partner may appear twice while it rotates). A message is
//! accepted when its timestamp is within [`TOLERANCE_SECONDS`] of now either way and one of
//! its signatures matches one of the partner's secrets, compared in constant time. Anything
//! else — an unknown partner included — is a 401 that does not say which check failed.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::Problem;

/// The header carrying the message id.
pub const ID_HEADER: &str = "webhook-id";
/// The header carrying the signing time (unix seconds).
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header carrying the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The variable holding the partners' secrets.
pub const SECRETS_VARIABLE: &str = "partner_secrets";
/// How far a message's timestamp may be from now, either way, in seconds.
pub const TOLERANCE_SECONDS: i64 = 300;
/// Most signatures one header may carry (a rotation needs two).
pub const MAX_SIGNATURES: usize = 8;
/// Prefix of a secret in the variable.
const SECRET_PREFIX: &str = "whsec_";
/// Shortest secret accepted, in decoded bytes (HMAC-SHA256 wants at least its output size
/// for full strength; Standard Webhooks issues 24 to 64).
pub const SECRET_MIN_BYTES: usize = 16;

/// The headers of a signed message.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`.
    pub signature: Option<&'a str>,
}

/// The partners' secrets, decoded.
#[derive(Clone, Default)]
pub struct Secrets {
    entries: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} entries)", self.entries.len())
    }
}

fn rejected() -> Problem {
    Problem::unauthorized("the webhook signature is missing, invalid or stale")
}

impl Secrets {
    /// Parses `partner:whsec_<base64>` pairs separated by `;` (empty: no partners). The
    /// error never contains the configured value.
    pub fn parse(text: &str) -> Result<Secrets, &'static str> {
        let mut entries = Vec::new();
        for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (partner, secret) = pair.split_once(':').ok_or("a pair lacks ':'")?;
            let valid_partner = !partner.is_empty()
                && partner.len() <= 64
                && partner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid_partner {
                return Err("a partner name is not 1-64 characters of A-Z a-z 0-9 - _");
            }
            let encoded = secret
                .strip_prefix(SECRET_PREFIX)
                .ok_or("a secret does not start with whsec_")?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| "a secret is not base64")?;
            if bytes.len() < SECRET_MIN_BYTES {
                return Err("a secret is shorter than 16 bytes");
            }
            entries.push((partner.to_string(), bytes));
        }
        Ok(Secrets { entries })
    }

    /// The secrets from the `partner_secrets` Spin variable (a 500 problem when it is
    /// malformed; an undefined variable means no partners).
    pub fn from_spin_variable() -> Result<Secrets, Problem> {
        match spin_sdk::variables::get(SECRETS_VARIABLE) {
            Ok(text) => Secrets::parse(&text).map_err(|why| {
                Problem::internal(format!(
                    "the partner_secrets configuration is malformed ({why})"
                ))
            }),
            Err(spin_sdk::variables::Error::Undefined(_)) => Ok(Secrets::default()),
            Err(_) => Err(Problem::internal(
                "the partner_secrets configuration could not be read",
            )),
        }
    }

    /// Checks a message from `partner` at `now_seconds`: its id when it is authentic and
    /// fresh, a 401 problem otherwise.
    pub fn verify<'a>(
        &self,
        partner: &str,
        headers: Signed<'a>,
        body: &[u8],
        now_seconds: i64,
    ) -> Result<&'a str, Problem> {
        let (Some(id), Some(timestamp), Some(signatures)) =
            (headers.id, headers.timestamp, headers.signature)
        else {
            return Err(rejected());
        };
        if id.is_empty() || id.len() > 128 {
            return Err(rejected());
        }
        let sent: i64 = timestamp.parse().map_err(|_| rejected())?;
        if (now_seconds - sent).abs() > TOLERANCE_SECONDS {
            return Err(rejected());
        }
        let secrets: Vec<&[u8]> = self
            .entries
            .iter()
            .filter(|(name, _)| name == partner)
            .map(|(_, secret)| secret.as_slice())
            .collect();
        let mut matched = false;
        for candidate in signatures
            .split(' ')
            .filter(|s| !s.is_empty())
            .take(MAX_SIGNATURES)
        {
            let Some(encoded) = candidate.strip_prefix("v1,") else {
                continue;
            };
            let Ok(given) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
                continue;
            };
            for secret in &secrets {
                let expected = signature_bytes(secret, id, timestamp, body);
                // Every comparison runs, so timing says nothing about which one matched.
                matched |= bool::from(expected.as_slice().ct_eq(&given));
            }
        }
        if matched { Ok(id) } else { Err(rejected()) }
    }
}

fn signature_bytes(secret: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The `webhook-signature` value (`v1,<base64>`) for a message, as a partner computes it
/// with `secret` (`whsec_<base64>`); `None` when the secret is malformed.
pub fn sign(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX)?)
        .ok()?;
    let signature = signature_bytes(&bytes, id, timestamp, body);
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(signature)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification's reference libraries.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: &str = "1614265330";
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn secrets() -> Secrets {
        Secrets::parse(&format!("acme:{SPEC_SECRET}")).unwrap()
    }

    fn headers<'a>(signature: &'a str) -> Signed<'a> {
        Signed {
            id: Some(SPEC_ID),
            timestamp: Some(SPEC_TIMESTAMP),
            signature: Some(signature),
        }
    }

    #[test]
    fn signs_as_the_specification_does() {
        assert_eq!(
            sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY).unwrap(),
            SPEC_SIGNATURE
        );
    }

    #[test]
    fn accepts_a_fresh_message_signed_by_the_partner() {
        let now = 1_614_265_330;
        assert_eq!(
            secrets().verify("acme", headers(SPEC_SIGNATURE), SPEC_BODY, now),
            Ok(SPEC_ID)
        );
        for skew in [-TOLERANCE_SECONDS, TOLERANCE_SECONDS] {
            assert!(
                secrets()
                    .verify("acme", headers(SPEC_SIGNATURE), SPEC_BODY, now + skew)
                    .is_ok()
            );
        }
    }

    #[test]
    fn refuses_everything_else_with_one_answer() {
        let now = 1_614_265_330;
        let other = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let cases: Vec<(&str, Signed<'_>, &[u8], i64)> = vec![
            ("acme", headers(other), SPEC_BODY, now),
            ("acme", headers(SPEC_SIGNATURE), b"{\"test\": 1}", now),
            (
                "acme",
                headers(SPEC_SIGNATURE),
                SPEC_BODY,
                now + TOLERANCE_SECONDS + 1,
            ),
            (
                "acme",
                headers(SPEC_SIGNATURE),
                SPEC_BODY,
                now - TOLERANCE_SECONDS - 1,
            ),
            ("globex", headers(SPEC_SIGNATURE), SPEC_BODY, now),
            (
                "acme",
                Signed {
                    signature: None,
                    ..headers(SPEC_SIGNATURE)
                },
                SPEC_BODY,
                now,
            ),
            (
                "acme",
                Signed {
                    id: None,
                    ..headers(SPEC_SIGNATURE)
                },
                SPEC_BODY,
                now,
            ),
            (
                "acme",
                Signed {
                    timestamp: Some("soon"),
                    ..headers(SPEC_SIGNATURE)
                },
                SPEC_BODY,
                now,
            ),
            (
                "acme",
                headers("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
                SPEC_BODY,
                now,
            ),
        ];
        for (partner, headers, body, at) in cases {
            let problem = secrets().verify(partner, headers, body, at).unwrap_err();
            assert_eq!(problem.status, 401);
        }
    }

    #[test]
    fn a_rotating_partner_signs_with_both_secrets() {
        let new = "whsec_bmV3LXNlY3JldC1vZi10aGUtcGFydG5lcg==";
        let both = Secrets::parse(&format!("acme:{SPEC_SECRET};acme:{new}")).unwrap();
        let signed_new = sign(new, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY).unwrap();
        let header = format!("{signed_new} {SPEC_SIGNATURE}");
        let now = 1_614_265_330;
        assert!(
            both.verify("acme", headers(&header), SPEC_BODY, now)
                .is_ok()
        );
        // Only the new secret configured: the old signature alone no longer passes.
        let only_new = Secrets::parse(&format!("acme:{new}")).unwrap();
        assert!(
            only_new
                .verify("acme", headers(&header), SPEC_BODY, now)
                .is_ok()
        );
        assert!(
            only_new
                .verify("acme", headers(SPEC_SIGNATURE), SPEC_BODY, now)
                .is_err()
        );
    }

    #[test]
    fn malformed_configuration_is_refused_without_echoing_it() {
        for bad in [
            "acme",
            "acme:secret",
            "acme:whsec_!!",
            "acme:whsec_c2hvcnQ=",
            "a b:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ] {
            let why = Secrets::parse(bad).unwrap_err();
            assert!(!why.contains("acme") && !why.contains("whsec_M"), "{why}");
        }
        assert_eq!(Secrets::parse("").unwrap().entries.len(), 0);
    }
}
