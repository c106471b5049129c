//! Fixed-window rate limits over the key-value store: each subject (a token's subject, a
//! device, a client address) may act at most `max` times per window, counted with atomic
//! `increment`s under `rate/{scope}/{kind}/{hash}/{window}` (so the store holds hashes of
//! the identifiers, never the identifiers). Past the limit: a 429 problem with
//! `Retry-After` set to the seconds left in the window. Counters of past windows are not
//! read again; they are small and bounded by traffic.

use lendstore::Kv;
use sha2::{Digest, Sha256};

use crate::Problem;
use crate::idempotency::store_problem;

/// A limit: at most `max` actions per `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Actions allowed per window.
    pub max: u32,
    /// The window, in seconds.
    pub window_seconds: u64,
}

impl Limit {
    /// The limit from the variables `{prefix}_rate_limit` and `{prefix}_rate_window_seconds`
    /// (defaults `max` and `window_seconds`; a 500 when one is not a positive number).
    pub fn from_variables(prefix: &str, max: u32, window_seconds: u64) -> Result<Limit, Problem> {
        let read = |name: String, default: u64| -> Result<u64, Problem> {
            match spin_sdk::variables::get(&name) {
                Ok(text) if !text.trim().is_empty() => text
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        Problem::internal(format!("{name} must be a positive whole number"))
                    }),
                _ => Ok(default),
            }
        };
        Ok(Limit {
            max: u32::try_from(read(format!("{prefix}_rate_limit"), u64::from(max))?)
                .unwrap_or(u32::MAX),
            window_seconds: read(format!("{prefix}_rate_window_seconds"), window_seconds)?,
        })
    }
}

/// Counts one action of every `(kind, value)` subject at `now_seconds`; a 429 when any of
/// them is past `limit`.
pub fn check<K: Kv>(
    kv: &K,
    scope: &str,
    subjects: &[(&str, &str)],
    limit: Limit,
    now_seconds: u64,
) -> Result<(), Problem> {
    let window = now_seconds / limit.window_seconds;
    let mut exceeded = false;
    for (kind, value) in subjects.iter().filter(|(_, v)| !v.is_empty()) {
        let digest = hex::encode(Sha256::digest(value.as_bytes()));
        let key = format!("rate/{scope}/{kind}/{}/{window}", &digest[..32]);
        let count = kv.increment(&key, 1).map_err(store_problem)?;
        exceeded |= count > i64::from(limit.max);
    }
    if exceeded {
        let retry_after = (window + 1) * limit.window_seconds - now_seconds;
        return Err(Problem::new(429, "rate-limited", "Too many requests")
            .with_detail(format!(
                "at most {} submissions per {} seconds",
                limit.max, limit.window_seconds
            ))
            .retryable(true)
            .with_header("retry-after", retry_after.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lendstore::sim::{Semantics, SimKv};

    #[test]
    fn the_limit_holds_per_subject_and_window() {
        for semantics in [
            Semantics::Strict,
            Semantics::SpinSqlite,
            Semantics::SpinRedis,
        ] {
            let kv = SimKv::new(semantics);
            let limit = Limit {
                max: 2,
                window_seconds: 60,
            };
            let ok = |who: &str, at: u64| {
                check(
                    &kv,
                    "t",
                    &[("subject", who), ("address", "10.0.0.1")],
                    limit,
                    at,
                )
            };
            assert!(ok("a", 120).is_ok() && ok("b", 121).is_ok());
            assert!(
                ok("c", 122).is_err(),
                "{semantics:?}: the shared address is at its third"
            );
            let kv = SimKv::new(semantics);
            let one = |who: &str, at: u64| check(&kv, "t", &[("subject", who)], limit, at);
            assert!(one("a", 120).is_ok() && one("a", 130).is_ok());
            let refused = one("a", 150).unwrap_err();
            assert_eq!(
                (refused.status, refused.header("retry-after")),
                (429, Some("30"))
            );
            assert!(one("b", 150).is_ok(), "another subject has its own count");
            assert!(one("a", 180).is_ok(), "a new window starts afresh");
        }
    }
}
