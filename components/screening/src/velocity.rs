//! Duplicates and velocity: how often the same national id, e-mail, phone or device has
//! applied within a window, and whether an open application for the same product exists.
//!
//! | key | value |
//! |---|---|
//! | `velocity/{kind}/{hmac}` | the applications seen with that identifier (at most [`SEEN_MAX`], within the window) |
//!
//! Identifiers are kept only as HMAC-SHA256 under the secret variable
//! `identifier_hash_key`, so the store never holds a national id, and a leaked store does
//! not give one up by trying all nine-digit numbers. Each record changes by one confirmed
//! compare-and-swap (`lendstore`), created by claim.

use chrono::{DateTime, Duration, Utc};
use lendkit::Problem;
use lendkit::idempotency::store_problem;
use lendkit::vars::IdentifierKey;
use lendstore::{Change, Kv};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Most applications one identifier's record keeps (older ones drop off first).
pub const SEEN_MAX: usize = 50;
/// Compare-and-swap attempts per record.
const UPDATE_ATTEMPTS: u32 = 16;

/// The velocity rule: from `limit` applications within `window_days` on (this one
/// included), refer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Applications in the window that refer.
    pub limit: u32,
    /// The window, in days.
    pub window_days: u32,
}

impl Rule {
    /// The rule from the variables `velocity_limit` (default 3) and `velocity_window_days`
    /// (default 30).
    pub fn from_variables() -> Result<Rule, Problem> {
        let number = |name: &str, default: u64| {
            lendkit::vars::number(name, default, 1..=3650).map(|n| n as u32)
        };
        Ok(Rule {
            limit: number("velocity_limit", 3)?,
            window_days: number("velocity_window_days", 30)?,
        })
    }
}

/// One identifier of an application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    /// `national_id`, `email`, `phone` or `device`.
    pub kind: String,
    /// The value (normalised by intake).
    pub value: String,
}

/// The application being screened.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// Its id.
    pub id: String,
    /// Its product.
    pub product: String,
    /// When it was received.
    pub at: DateTime<Utc>,
    /// Its identifiers.
    pub identifiers: Vec<Identifier>,
}

/// An application seen with an identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    at: DateTime<Utc>,
    application: String,
    product: String,
    /// Whether screening declined it (a declined application is not open).
    declined: bool,
}

const KINDS: &[&str] = &["national_id", "email", "phone", "device"];

fn record_key(key: &IdentifierKey, kind: &str, value: &str) -> String {
    format!("velocity/{kind}/{}", key.hash(kind, value))
}

/// Records `submission` under each of its identifiers and answers what it found: per
/// identifier the applications in the window (this one included) and whether the rule is
/// exceeded, and an open application with the same national id and product, if any.
pub fn check<K: Kv>(
    kv: &K,
    submission: &Submission,
    declined: bool,
    rule: Rule,
) -> Result<Value, Problem> {
    let secret = IdentifierKey::from_variable()?;
    let window_start = submission.at - Duration::days(i64::from(rule.window_days));
    let mut checks = Vec::new();
    let mut duplicate_of: Option<String> = None;
    for identifier in &submission.identifiers {
        if !KINDS.contains(&identifier.kind.as_str()) || identifier.value.is_empty() {
            return Err(Problem::validation(Vec::new()).with_error(
                "application.identifiers",
                "kinds are national_id, email, phone, device",
            ));
        }
        let key = record_key(&secret, &identifier.kind, &identifier.value);
        let before: Vec<Seen> = lendstore::update(kv, &key, UPDATE_ATTEMPTS, |current| {
            let mut seen: Vec<Seen> = match current {
                Some(bytes) => serde_json::from_slice(bytes).map_err(|_| {
                    lendstore::StoreError::Backend("unreadable velocity record".into())
                })?,
                None => Vec::new(),
            };
            seen.retain(|s| s.at >= window_start);
            if seen.iter().any(|s| s.application == submission.id) {
                // Already recorded (a retried screening): nothing to write.
                let earlier = seen
                    .iter()
                    .filter(|s| s.application != submission.id)
                    .cloned()
                    .collect();
                return Ok(Change::Keep(earlier));
            }
            let earlier = seen.clone();
            seen.push(Seen {
                at: submission.at,
                application: submission.id.clone(),
                product: submission.product.clone(),
                declined,
            });
            if seen.len() > SEEN_MAX {
                let drop = seen.len() - SEEN_MAX;
                seen.drain(..drop);
            }
            let bytes = serde_json::to_vec(&seen)
                .map_err(|_| lendstore::StoreError::Backend("velocity record".into()))?;
            Ok(Change::Write(bytes, earlier))
        })
        .map_err(store_problem)?;
        let count = before.len() as u32 + 1;
        if identifier.kind == "national_id" && duplicate_of.is_none() {
            duplicate_of = before
                .iter()
                .rev()
                .find(|s| s.product == submission.product && !s.declined)
                .map(|s| s.application.clone());
        }
        checks.push(json!({
            "kind": identifier.kind,
            "applications_in_window": count,
            "window_days": rule.window_days,
            "limit": rule.limit,
            "exceeded": count >= rule.limit,
        }));
    }
    Ok(json!({ "checks": checks, "duplicate_of": duplicate_of }))
}
