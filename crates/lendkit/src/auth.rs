//! Authentication with role-scoped API keys.
//!
//! # Configuration
//!
//! Keys live in the secret Spin variable `api_keys` (declared per component in
//! `spin.toml` as `api_keys = "{{ api_keys }}"`). Its format is a list of `role:key` pairs
//! separated by `;`, whitespace around pairs and around `:` ignored, a trailing `;` allowed:
//!
//! ```text
//! operations:4f1c0d7e9a3b... ; admin:9be2f0... ; partner:c0ffee...
//! ```
//!
//! Roles are `applicant`, `partner`, `operations`, `risk`, `admin`. A key is 1 to
//! [`MAX_KEY_BYTES`] bytes without whitespace or `;` (use at least 32 random characters);
//! the same key may not appear twice. Several keys may share a role (rotation: add the new
//! key, move clients, remove the old one). A malformed value makes every protected route
//! answer a 500 problem that says so without printing the value.
//!
//! # Presenting a key
//!
//! `Authorization: Bearer <key>` or `X-Api-Key: <key>` (if both are sent they must agree).
//! Presented keys are hashed with SHA-256 and compared, in constant time, with the digest
//! of *every* configured key, so timing reveals neither which key nor how much of it matched.
//!
//! # Outcomes
//!
//! No credential, or an unknown one: 401 with `www-authenticate: Bearer`. A known key
//! whose role the route does not accept: 403. Otherwise the handler sees a [`Principal`]:
//! the role plus a non-secret key id (first 8 hex digits of the key's SHA-256) for audit.

use crate::{Access, Problem, Role};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// Name of the Spin variable holding the keys.
pub const API_KEYS_VARIABLE: &str = "api_keys";

/// Most keys in one configuration: authentication compares against all of them on every
/// request, so the list must stay short.
pub const MAX_KEYS: usize = 256;

/// Longest key accepted, in bytes (in configuration and when presented).
pub const MAX_KEY_BYTES: usize = 512;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The role its key grants.
    pub role: Role,
    /// First 8 hex digits of SHA-256(key): identifies the key in audit records and logs
    /// without revealing it.
    pub key_id: String,
}

/// Why the `api_keys` configuration is malformed. Never contains the configured value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeysError {
    /// 1-based position of the offending `role:key` pair (0 for the whole value).
    pub entry: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for ApiKeysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api_keys entry {}: {}", self.entry, self.reason)
    }
}

impl std::error::Error for ApiKeysError {}

/// The configured keys, kept only as SHA-256 digests.
#[derive(Clone, Default)]
pub struct KeyRing {
    entries: Vec<(Role, [u8; 32])>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.entries.len())
            .finish()
    }
}

impl KeyRing {
    /// Parse the `api_keys` format described in the [module docs](self).
    pub fn parse(config: &str) -> Result<Self, ApiKeysError> {
        let mut entries: Vec<(Role, [u8; 32])> = Vec::new();
        for (index, pair) in config.split(';').enumerate() {
            let entry = index + 1;
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let error = |reason| ApiKeysError { entry, reason };
            if entries.len() == MAX_KEYS {
                return Err(error("too many keys"));
            }
            let (role, key) = pair.split_once(':').ok_or(error("expected role:key"))?;
            let role: Role = role.trim().parse().map_err(|()| {
                error("unknown role (expected applicant, partner, operations, risk or admin)")
            })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(error("empty key"));
            }
            if key.len() > MAX_KEY_BYTES {
                return Err(error("key too long"));
            }
            if key.chars().any(char::is_whitespace) {
                return Err(error("key contains whitespace"));
            }
            let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
            if entries.iter().any(|(_, d)| *d == digest) {
                return Err(error("duplicate key"));
            }
            entries.push((role, digest));
        }
        Ok(Self { entries })
    }

    /// Read and parse the `api_keys` Spin variable (a host call). Missing or malformed
    /// configuration is a 500 problem that does not print the value.
    pub fn from_spin_variable() -> Result<Self, Problem> {
        let raw = spin_sdk::variables::get(API_KEYS_VARIABLE).map_err(|error| match error {
            spin_sdk::variables::Error::Undefined(_) => {
                Problem::internal("authentication is not configured for this component")
            }
            _ => Problem::internal("authentication configuration could not be read"),
        })?;
        Self::parse(&raw).map_err(|error| {
            Problem::internal(format!("the api_keys configuration is malformed ({error})"))
        })
    }

    /// Number of configured keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is configured (then every protected route answers 401).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The principal a presented key belongs to, if any. Runs in time independent of
    /// which entry (if any) matches.
    pub fn authenticate(&self, presented: &str) -> Option<Principal> {
        if presented.len() > MAX_KEY_BYTES {
            return None;
        }
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = subtle::Choice::from(0);
        let mut index = 0u32;
        for (i, (_, configured)) in self.entries.iter().enumerate() {
            let equal = configured.ct_eq(&digest);
            // `MAX_KEYS` keeps `i` far below u32::MAX.
            index.conditional_assign(&(i as u32), equal);
            found |= equal;
        }
        if !bool::from(found) {
            return None;
        }
        let (role, _) = self.entries[index as usize];
        Some(Principal {
            role,
            key_id: key_id(&digest),
        })
    }
}

/// The non-secret id of a key digest: its first 8 hex digits.
pub fn key_id(digest: &[u8; 32]) -> String {
    hex::encode(&digest[..4])
}

/// The key a request presents: `Authorization: Bearer <key>` or `X-Api-Key: <key>`.
///
/// `Ok(None)` when neither header is there; a 401 problem for another authorization
/// scheme, an empty token, or two headers that disagree.
pub fn presented_key<'a>(
    authorization: Option<&'a str>,
    x_api_key: Option<&'a str>,
) -> Result<Option<&'a str>, Problem> {
    let bearer = match authorization.map(str::trim) {
        None => None,
        Some(value) => {
            let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(Problem::unauthorized(
                    "unsupported authorization scheme; use Bearer",
                ));
            }
            Some(token.trim())
        }
    };
    let api_key = x_api_key.map(str::trim);
    let key = match (bearer, api_key) {
        (Some(a), Some(b)) if a != b => {
            return Err(Problem::unauthorized(
                "authorization and x-api-key headers disagree",
            ));
        }
        (Some(key), _) | (None, Some(key)) => key,
        (None, None) => return Ok(None),
    };
    if key.is_empty() {
        return Err(Problem::unauthorized("empty credential"));
    }
    Ok(Some(key))
}

/// The whole decision for one request: public routes need nothing (and load no keys);
/// others need a known key whose role `access` accepts, or, on routes the applicant role
/// may use, a valid bearer token ([`crate::token`]).
///
/// `load_keys` is called only when a credential is presented to a protected route;
/// in components it is [`KeyRing::from_spin_variable`].
pub fn authenticate(
    access: &Access,
    authorization: Option<&str>,
    x_api_key: Option<&str>,
    load_keys: impl FnOnce() -> Result<KeyRing, Problem>,
) -> Result<Option<Principal>, Problem> {
    if *access == Access::Public {
        return Ok(None);
    }
    let Some(key) = presented_key(authorization, x_api_key)? else {
        return Err(Problem::unauthorized(
            "this route requires an API key (Authorization: Bearer or X-Api-Key)",
        ));
    };
    let principal = if crate::token::looks_like_jwt(key) {
        // Bearer tokens are the applicant channel's; other routes refuse them outright.
        if !access.allows(Role::Applicant) {
            return Err(Problem::forbidden(
                "bearer tokens are accepted on applicant routes only",
            ));
        }
        crate::token::TokenConfig::from_spin_variables()?.verify(key)?
    } else {
        let ring = load_keys()?;
        ring.authenticate(key)
            .ok_or_else(|| Problem::unauthorized("unknown API key"))?
    };
    if !access.allows(principal.role) {
        return Err(Problem::forbidden(format!(
            "the {} role may not use this route",
            principal.role
        )));
    }
    Ok(Some(principal))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = " operations:ops-key-1 ;admin : admin-key;\n partner:p:with:colons ; ";

    fn ring() -> KeyRing {
        KeyRing::parse(CONFIG).unwrap()
    }

    #[test]
    fn parses_with_whitespace_and_trailing_separator() {
        let ring = ring();
        assert_eq!(ring.len(), 3);
        assert_eq!(
            ring.authenticate("ops-key-1").unwrap().role,
            Role::Operations
        );
        assert_eq!(ring.authenticate("admin-key").unwrap().role, Role::Admin);
        assert_eq!(
            ring.authenticate("p:with:colons").unwrap().role,
            Role::Partner
        );
        assert!(ring.authenticate("ops-key-2").is_none());
        assert!(ring.authenticate("").is_none());
        assert!(KeyRing::parse("").unwrap().is_empty());
        assert!(KeyRing::parse(" ; ;").unwrap().is_empty());
    }

    #[test]
    fn key_id_is_a_hash_prefix_not_the_key() {
        let p = ring().authenticate("ops-key-1").unwrap();
        assert_eq!(p.key_id.len(), 8);
        assert!(p.key_id.chars().all(|c| c.is_ascii_hexdigit()));
        let digest: [u8; 32] = Sha256::digest(b"ops-key-1").into();
        assert_eq!(p.key_id, hex::encode(digest)[..8]);
    }

    #[test]
    fn malformed_config_is_rejected_without_echo() {
        let cases = [
            ("operations", 1, "expected role:key"),
            ("operations:a;boss:secret-value", 2, "unknown role"),
            ("risk:", 1, "empty key"),
            ("risk:a b", 1, "key contains whitespace"),
            ("risk:same;admin:same", 2, "duplicate key"),
        ];
        for (config, entry, reason) in cases {
            let error = KeyRing::parse(config).unwrap_err();
            assert_eq!(error.entry, entry, "{config}");
            assert!(
                error.reason.starts_with(reason),
                "{config}: {}",
                error.reason
            );
            assert!(!error.to_string().contains("secret-value"));
        }
        let long = format!("risk:{}", "k".repeat(MAX_KEY_BYTES + 1));
        assert_eq!(KeyRing::parse(&long).unwrap_err().reason, "key too long");
        let many = (0..=MAX_KEYS)
            .map(|i| format!("risk:k{i}"))
            .collect::<Vec<_>>();
        assert_eq!(
            KeyRing::parse(&many.join(";")).unwrap_err().reason,
            "too many keys"
        );
    }

    #[test]
    fn debug_does_not_print_digests() {
        assert_eq!(format!("{:?}", ring()), "KeyRing { keys: 3 }");
    }

    #[test]
    fn presented_key_headers() {
        assert_eq!(
            presented_key(Some("Bearer abc"), None).unwrap(),
            Some("abc")
        );
        assert_eq!(
            presented_key(Some("bearer  abc "), None).unwrap(),
            Some("abc")
        );
        assert_eq!(presented_key(None, Some("abc")).unwrap(), Some("abc"));
        assert_eq!(
            presented_key(Some("Bearer abc"), Some("abc")).unwrap(),
            Some("abc")
        );
        assert_eq!(presented_key(None, None).unwrap(), None);
        for (authorization, api_key) in [
            (Some("Basic YWJj"), None),
            (Some("Bearer"), None),
            (None, Some(" ")),
            (Some("Bearer a"), Some("b")),
        ] {
            let p = presented_key(authorization, api_key).unwrap_err();
            assert_eq!(p.status, 401);
            assert_eq!(p.header("www-authenticate"), Some("Bearer"));
        }
    }

    #[test]
    fn route_decisions() {
        let ops = Access::Roles(&[Role::Operations]);
        let keys = || Ok(ring());
        // Public routes load no keys.
        let no_keys = || -> Result<KeyRing, Problem> { panic!("keys loaded for a public route") };
        assert_eq!(
            authenticate(&Access::Public, None, None, no_keys).unwrap(),
            None
        );

        let p = authenticate(&ops, Some("Bearer ops-key-1"), None, keys)
            .unwrap()
            .unwrap();
        assert_eq!(p.role, Role::Operations);
        let p = authenticate(&ops, None, Some("admin-key"), keys)
            .unwrap()
            .unwrap();
        assert_eq!(p.role, Role::Admin, "admin passes every protected route");

        assert_eq!(
            authenticate(&ops, None, None, keys).unwrap_err().status,
            401
        );
        assert_eq!(
            authenticate(&ops, None, Some("nope"), keys)
                .unwrap_err()
                .status,
            401
        );
        let p = authenticate(&ops, None, Some("p:with:colons"), keys).unwrap_err();
        assert_eq!(p.status, 403);

        let broken = || KeyRing::parse("x").map_err(|e| Problem::internal(e.to_string()));
        assert_eq!(
            authenticate(&ops, None, Some("k"), broken)
                .unwrap_err()
                .status,
            500
        );
    }
}
