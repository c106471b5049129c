//! Reading a component's Spin variables: optional text, bounded numbers, and the keyed
//! hash that identifiers (national ids, e-mails, phones, devices) are stored under.

use std::ops::RangeInclusive;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Problem;

/// The variable that fixes the starting business date (`YYYY-MM-DD`): for test and
/// training environments replaying a calendar; unset in production, where it is today
/// (UTC). Servicing moves on from it by closing days (`loanbook::calendar`).
pub const BUSINESS_DATE: &str = "business_date";

/// The starting business date: [`BUSINESS_DATE`] when set, else today (UTC). A value that
/// is not a date is a configuration fault.
pub fn business_date() -> Result<chrono::NaiveDate, Problem> {
    match text(BUSINESS_DATE) {
        None => Ok(chrono::Utc::now().date_naive()),
        Some(value) => chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map_err(|_| Problem::internal("business_date must be a date written YYYY-MM-DD")),
    }
}

/// The secret variable keying [`identifier_hash`].
pub const IDENTIFIER_HASH_KEY: &str = "identifier_hash_key";
/// The shortest [`IDENTIFIER_HASH_KEY`] accepted.
pub const IDENTIFIER_HASH_KEY_MIN_CHARS: usize = 16;

/// The variable's value, or `None` when it is unset or blank.
pub fn text(name: &str) -> Option<String> {
    spin_sdk::variables::get(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A whole-number variable inside `range`, `default` when unset or blank; a value outside
/// the range or not a number is a configuration fault, said plainly.
pub fn number(name: &str, default: u64, range: RangeInclusive<u64>) -> Result<u64, Problem> {
    match text(name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                Problem::internal(format!(
                    "{name} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ))
            }),
    }
}

/// The key identifiers (national ids, e-mails, phones, devices) are hashed under before a
/// store keeps them: equal identifiers meet, and none can be read back (or guessed from the
/// nine digits of an SSN without the key).
pub struct IdentifierKey(Vec<u8>);

impl IdentifierKey {
    /// The key in the [`IDENTIFIER_HASH_KEY`] secret variable.
    pub fn from_variable() -> Result<IdentifierKey, Problem> {
        let key = spin_sdk::variables::get(IDENTIFIER_HASH_KEY)
            .map_err(|_| Problem::internal("identifier_hash_key is not configured"))?;
        IdentifierKey::new(key.into_bytes())
    }

    /// A key of `bytes`, at least [`IDENTIFIER_HASH_KEY_MIN_CHARS`] long.
    pub fn new(bytes: Vec<u8>) -> Result<IdentifierKey, Problem> {
        if bytes.len() < IDENTIFIER_HASH_KEY_MIN_CHARS {
            return Err(Problem::internal(format!(
                "identifier_hash_key must be at least {IDENTIFIER_HASH_KEY_MIN_CHARS} characters"
            )));
        }
        Ok(IdentifierKey(bytes))
    }

    /// HMAC-SHA256 (hex) of the identifier `value` of `kind`.
    pub fn hash(&self, kind: &str, value: &str) -> String {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC keys have no length limit"));
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_hash_the_same_under_one_key_and_differently_by_kind_or_key() {
        let key = IdentifierKey::new(b"a-development-key-of-32-characters".to_vec()).unwrap();
        let other = IdentifierKey::new(b"another-development-key-entirely".to_vec()).unwrap();
        let ssn = key.hash("national_id", "123456789");
        assert_eq!(ssn, key.hash("national_id", "123456789"));
        assert_eq!(ssn.len(), 64);
        assert_ne!(ssn, key.hash("phone", "123456789"));
        assert_ne!(ssn, other.hash("national_id", "123456789"));
        assert!(!ssn.contains("123456789"));
        assert!(IdentifierKey::new(b"too-short".to_vec()).is_err());
    }
}
