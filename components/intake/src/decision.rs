//! The decisioning stage, called for every application screening did not decline, through
//! local service chaining (`decisioning_url`, by default `http://decisioning.spin.internal`,
//! the private `decisioning` component, which scores the application and asks the credit
//! policy). Its answer never fails an application: when decisioning cannot be reached in
//! time, fails (a policy that traps, loops or runs out of memory is stopped by the host and
//! fails its invocation) or answers nonsense, the application is referred to an underwriter
//! as "policy unavailable" — stored, never lost.

use std::time::Duration;

use chrono::{DateTime, Utc};
use origination::Application;
use serde_json::{Value, json};

use crate::screening::Flags;

/// The part of intake's invocation that decisioning may use, in milliseconds from the
/// request's start: what is left leaves room to store the application before the
/// invocation's deadline (10 s by default) — a policy that loops is given up on here, and
/// stopped by the host at decisioning's own deadline.
pub const DECIDED_BY_MS: u64 = 8_500;
/// Intake always gives decisioning at least this long, in milliseconds.
pub const DECISIONING_MIN_MS: u64 = 500;
/// The variable naming the decisioning service's base URL.
pub const URL_VARIABLE: &str = "decisioning_url";
/// Where decisioning is when the variable is not set.
pub const DEFAULT_URL: &str = "http://decisioning.spin.internal";

/// What decisioning concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Offers were made.
    Approve,
    /// Credit was refused.
    Decline,
    /// An underwriter decides.
    Refer,
}

/// The decision kept with the application, and its outcome.
pub struct Decided {
    /// What the application stores and answers as `decision`.
    pub record: Value,
    /// The outcome.
    pub outcome: Outcome,
}

fn unavailable(id: &str) -> Decided {
    Decided {
        record: json!({
            "decision_id": origination::automated_decision_id(id),
            "outcome": "refer",
            "reasons": [{ "code": "policy-unavailable", "text": "policy unavailable: an underwriter will decide" }],
            "offers": [],
            "counter_offer": null,
        }),
        outcome: Outcome::Refer,
    }
}

/// Decides application `id` (received `now`) with screening's `flags` (which took
/// `screening`), `elapsed` into the request.
pub fn decide(
    application: &Application,
    id: &str,
    flags: Flags,
    now: DateTime<Utc>,
    screening: Duration,
    elapsed: Duration,
) -> Decided {
    let budget = Duration::from_millis(DECIDED_BY_MS)
        .saturating_sub(elapsed)
        .max(Duration::from_millis(DECISIONING_MIN_MS));
    let body = json!({
        "application_id": id,
        "application": application,
        "screening": flags,
        "as_of": now.date_naive(),
        "screening_ms": screening.as_millis() as u64,
    });
    let url = lendkit::vars::text(URL_VARIABLE).unwrap_or_else(|| DEFAULT_URL.to_string());
    let answer = lendkit::outbound::post_json(
        &format!("{}/decide", url.trim_end_matches('/')),
        body.to_string().as_bytes(),
        budget,
    );
    let Some(answer) = answer
        .ok()
        .filter(|a| a.status == 200 || a.status == 201)
        .and_then(|a| serde_json::from_slice::<Value>(&a.body).ok())
    else {
        return unavailable(id);
    };
    let outcome = match answer["outcome"].as_str() {
        Some("approve") => Outcome::Approve,
        Some("decline") => Outcome::Decline,
        Some("refer") => Outcome::Refer,
        _ => return unavailable(id),
    };
    let mut record = json!({
        "decision_id": answer["decision_id"],
        "outcome": answer["outcome"],
        "reasons": answer["reasons"],
        "offers": answer["offers"],
        "counter_offer": answer["counter_offer"],
        "policy": answer["policy"],
    });
    if outcome == Outcome::Approve {
        let decided_on = lendkit::vars::business_date().unwrap_or(now.date_naive());
        crate::offers::disclose_offers(&mut record, application, decided_on);
    }
    Decided { record, outcome }
}
