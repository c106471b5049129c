//! Personal data that must not leak into logs, error messages or unmasked responses.
//!
//! * [`Masked`] holds an identifier (national id, bank account number) and shows only its
//!   last few characters (`***6789`) through `Debug`, `Display` and `Serialize`.
//! * [`Redacted`] holds a value (date of birth, free text) and shows nothing of it
//!   (`[redacted]`); it cannot be serialized at all, so it cannot slip into a response.
//!
//! Both deserialize transparently from the raw value and hand it out only through an
//! explicitly named [`Masked::expose`] / [`Redacted::expose`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What masked output starts with.
pub const MASK: &str = "***";

/// What redacted output is.
pub const REDACTED: &str = "[redacted]";

/// The last characters of an identifier that may be shown, or `None` to show nothing.
///
/// Separators (spaces, `-`, `.`, `/`) are ignored. Identifiers of 8 or more characters
/// show their last 4, of 6 or 7 their last 2, shorter ones nothing: revealing 4 of a
/// 5-character value would reveal most of it.
fn visible_tail(value: &str) -> Option<String> {
    let chars: Vec<char> = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '/'))
        .collect();
    let shown = match chars.len() {
        0..=5 => 0,
        6..=7 => 2,
        _ => 4,
    };
    (shown > 0).then(|| chars[chars.len() - shown..].iter().collect())
}

fn mask(value: &str) -> String {
    match visible_tail(value) {
        Some(tail) => format!("{MASK}{tail}"),
        None => MASK.to_owned(),
    }
}

/// A bank account number (or IBAN) for display: `***6789`.
pub fn mask_account_number(account_number: &str) -> String {
    mask(account_number)
}

/// A national identifier (SSN, NIN, ...) for display: `***6789`.
pub fn mask_national_id(national_id: &str) -> String {
    mask(national_id)
}

/// A date of birth for display: only the year is kept (`1980-**-**`) when the value looks
/// like an ISO date, otherwise nothing.
pub fn mask_date_of_birth(date_of_birth: &str) -> String {
    let bytes = date_of_birth.as_bytes();
    if bytes.len() == 10 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-' {
        format!("{}-**-**", &date_of_birth[..4])
    } else {
        "****-**-**".to_owned()
    }
}

/// An identifier shown only by its last characters. `Debug`, `Display` and `Serialize`
/// all produce the masked form.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Masked<T>(T);

impl<T: AsRef<str>> Masked<T> {
    /// Wrap a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The raw value. Name the call site's reason in a comment: every use is a place
    /// personal data leaves the wrapper.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwrap.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// The masked form (`***6789`).
    pub fn masked(&self) -> String {
        mask(self.0.as_ref())
    }
}

impl<T: AsRef<str>> fmt::Debug for Masked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Masked({})", self.masked())
    }
}

impl<T: AsRef<str>> fmt::Display for Masked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl<T: AsRef<str>> Serialize for Masked<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Masked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Masked)
    }
}

/// A value shown as `[redacted]` by `Debug` and `Display`, and not serializable.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    /// Wrap a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The raw value (see [`Masked::expose`]).
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwrap.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Redacted<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Redacted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_identifiers() {
        assert_eq!(mask_national_id("123-45-6789"), "***6789");
        assert_eq!(mask_account_number("000123456789"), "***6789");
        assert_eq!(
            mask_account_number("GB29 NWBK 6016 1331 9268 19"),
            "***6819"
        );
        assert_eq!(mask_account_number("123456"), "***56");
        assert_eq!(mask_account_number("12345"), "***");
        assert_eq!(mask_account_number(""), "***");
        assert_eq!(mask_national_id("ÅÄÖ-12345678"), "***5678");
    }

    #[test]
    fn masks_dates_of_birth() {
        assert_eq!(mask_date_of_birth("1980-07-14"), "1980-**-**");
        assert_eq!(mask_date_of_birth("14/07/1980"), "****-**-**");
        assert_eq!(mask_date_of_birth("é"), "****-**-**");
    }

    #[test]
    fn masked_wrapper_never_shows_the_value() {
        let ssn: Masked<String> = serde_json::from_str(r#""123-45-6789""#).unwrap();
        assert_eq!(ssn.expose(), "123-45-6789");
        assert_eq!(format!("{ssn}"), "***6789");
        assert_eq!(format!("{ssn:?}"), "Masked(***6789)");
        assert_eq!(format!("{:?}", Some(&ssn)), "Some(Masked(***6789))");
        assert_eq!(serde_json::to_string(&ssn).unwrap(), r#""***6789""#);
    }

    #[test]
    fn redacted_wrapper_shows_nothing() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Applicant {
            name: String,
            date_of_birth: Redacted<String>,
        }
        let a: Applicant =
            serde_json::from_str(r#"{"name":"A","date_of_birth":"1980-07-14"}"#).unwrap();
        let shown = format!("{a:?} {}", a.date_of_birth);
        assert!(!shown.contains("1980"), "{shown}");
        assert!(shown.contains(REDACTED));
        assert_eq!(a.date_of_birth.expose(), "1980-07-14");
    }
}
