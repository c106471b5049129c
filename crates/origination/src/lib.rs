//! Pure origination rules, tested natively and linked into the `intake` component:
//! checking a submitted loan application field by field ([`validate`]), the identifier
//! rules it uses ([`identifiers`]), and the products with their limits ([`products`]).
//!
//! Every refusal lists every failing field at once, each under its JSON pointer, with a
//! message that never repeats the submitted value (national ids and dates of birth are
//! personal data).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! let document = serde_json::json!({ "product": "personal_installment" });
//! let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
//! let errors = origination::validate(&document, now).unwrap_err();
//! assert!(errors.iter().any(|e| e.pointer == "/requested_amount"));
//! assert!(errors.iter().any(|e| e.pointer == "/applicant"));
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod application;
pub mod fields;
pub mod identifiers;
pub mod products;

pub use application::{
    Address, Application, Business, Channel, Consents, EmploymentStatus, Owner, Person,
    TaxpayerNumberKind, validate,
};
pub use fields::FieldError;
pub use products::{PRODUCTS, Product, ProductLimits};

/// The id of the policy's decision about application `application` (intake and
/// decisioning name it alike, so a decision whose stage failed can still be found).
pub fn automated_decision_id(application: &str) -> String {
    format!("dec_{application}")
}

/// The id of an underwriter's decision about application `application` (one per
/// application).
pub fn review_decision_id(application: &str) -> String {
    format!("rev_{application}")
}

#[cfg(test)]
mod tests;
