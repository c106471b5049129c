//! Identity verification behind an outbound HTTP adapter: `identity_url` (by default the
//! simulator, `http://identity-simulator.spin.internal`), its host in the component's
//! `allowed_outbound_hosts`. A provider that times out (`identity_timeout_ms`, default
//! 2000) or fails makes the result `unavailable`, which refers the application — never
//! fails it.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

/// Where the provider is when `identity_url` is not set.
pub const DEFAULT_URL: &str = "http://identity-simulator.spin.internal";
/// How long to wait for the provider when `identity_timeout_ms` is not set.
pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;

/// The details verified for one person.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// SSN or ITIN, nine digits.
    pub national_id: String,
    /// ZIP code of the home address.
    pub postal_code: String,
}

fn unavailable(reason: &str) -> Value {
    json!({ "result": "unavailable", "reason": reason })
}

/// Verifies every subject in turn, within `budget` in all: those the budget does not reach
/// are `unavailable`.
pub fn verify_all(subjects: &[Subject], budget: Duration) -> Vec<Value> {
    let started = std::time::Instant::now();
    let per_call = Duration::from_millis(
        lendkit::vars::text("identity_timeout_ms")
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_TIMEOUT_MS),
    );
    subjects
        .iter()
        .map(|subject| {
            let left = budget.saturating_sub(started.elapsed());
            if left.is_zero() {
                return unavailable("identity verification unavailable");
            }
            verify(subject, per_call.min(left))
        })
        .collect()
}

/// Verifies `subject` with the provider, waiting at most `timeout`: its `result`
/// (`verified`, `review`, `failed`, or `unavailable`), `reference` and `reason`.
pub fn verify(subject: &Subject, timeout: Duration) -> Value {
    let url = lendkit::vars::text("identity_url").unwrap_or_else(|| DEFAULT_URL.to_string());
    let body = match serde_json::to_vec(subject) {
        Ok(body) => body,
        Err(_) => return unavailable("identity verification unavailable"),
    };
    let answer = match lendkit::outbound::post_json(
        &format!("{}/verify", url.trim_end_matches('/')),
        &body,
        timeout,
    ) {
        Ok(answer) if answer.status == 200 => answer,
        Ok(_) | Err(_) => return unavailable("identity verification unavailable"),
    };
    let Ok(result) = serde_json::from_slice::<Value>(&answer.body) else {
        return unavailable("identity verification unavailable");
    };
    match result["result"].as_str() {
        Some("verified" | "review" | "failed") => json!({
            "result": result["result"],
            "reference": result["reference"],
            "reason": result["reason"],
        }),
        _ => unavailable("identity verification unavailable"),
    }
}
