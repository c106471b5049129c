//! Decisions as stored, in the key-value store labelled `decisions`.
//!
//! | key | value |
//! |---|---|
//! | `decision/{id}` | a [`Decision`]: the policy (name, version, wasm SHA-256), the exact facts and their digest, the outcome, reasons and offers, the timings |
//! | `decision/log-seq`, `decision/log/{seq}` | the [`DECISION_LOG`]: every decision by arrival, for listings and backtests |
//!
//! An automated decision's id follows from its application (`dec_{application}`): it is
//! created *pending*, with its facts, before the policy runs, so a policy that traps or
//! runs past its deadline leaves the inputs behind and intake, which knows the id, refers
//! the application as "policy unavailable". A second decide call for the same application
//! answers the decision already made.

use chrono::{DateTime, Utc};
use lendkit::Problem;
use lendkit::idempotency::store_problem;
use lendstore::log::Log;
use lendstore::{Change, Created, Kv};
use policykit::wit::{Offer, Reason};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::facts::Facts;

/// Every decision by arrival; one listing page reads at most 500 entries.
pub const DECISION_LOG: Log = Log {
    prefix: "decision",
    scan_max: 500,
};

/// Compare-and-swap attempts when completing a decision.
const UPDATE_ATTEMPTS: u32 = 8;

/// Which policy decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    /// Its name.
    pub name: String,
    /// Its own version.
    pub version: String,
    /// SHA-256 of its `.wasm`, as the deployment records it.
    pub wasm_sha256: String,
}

/// How long each stage took.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// Screening, as intake measured it, milliseconds.
    #[serde(default)]
    pub screening_ms: u64,
    /// Scoring (bureau pulls included), milliseconds.
    pub scoring_ms: u64,
    /// The policy's evaluation, microseconds.
    pub policy_us: u64,
}

/// Who or what decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The policy.
    Automated,
    /// A person, in review.
    Review,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Its id.
    pub id: String,
    /// The application decided.
    pub application_id: String,
    /// Automated or by review.
    pub kind: Kind,
    /// Whether the outcome is known yet (a pending decision has only its inputs).
    pub pending: bool,
    /// The policy, for an automated decision.
    pub policy: Option<PolicyRef>,
    /// The exact facts the policy received.
    pub facts: Option<Facts>,
    /// SHA-256 of the facts' canonical JSON ([`digest`]).
    pub facts_sha256: Option<String>,
    /// What scoring found (pulls, scorecard, points), for reading.
    pub scoring: serde_json::Value,
    /// The outcome: `approve`, `decline` or `refer` ([`policykit::outcome_name`]).
    pub outcome: Option<String>,
    /// Principal reasons, most important first.
    pub reasons: Vec<Reason>,
    /// Offers, for an approval.
    pub offers: Vec<Offer>,
    /// The counter-offer, when less was offered than asked.
    pub counter_offer: Option<Offer>,
    /// Stage timings.
    pub timings: Timings,
    /// When it was made.
    pub decided_at: DateTime<Utc>,
    /// The reviewer (role and key id), for a review.
    pub decided_by: Option<serde_json::Value>,
    /// The reviewer's notes.
    pub notes: Option<String>,
}

/// SHA-256 (hex) of `facts` as canonical JSON ([`lendkit::json::canonical`]): what anyone
/// holding the stored facts can recompute.
pub fn digest(facts: &Facts) -> String {
    let canonical = serde_json::to_value(facts)
        .map(|value| lendkit::json::canonical(&value))
        .unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn key(id: &str) -> String {
    format!("decision/{id}")
}

fn unreadable() -> Problem {
    Problem::internal("a stored decision is unreadable")
}

/// The decision `id`, if any.
pub fn get<K: Kv>(kv: &K, id: &str) -> Result<Option<Decision>, Problem> {
    match kv.get(&key(id)).map_err(store_problem)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| unreadable()),
        None => Ok(None),
    }
}

/// Up to `limit` decisions after log position `after`, oldest first, each as `keep` maps it
/// (`None`: skipped); see [`Log::page`].
pub fn page<K: Kv, T>(
    kv: &K,
    after: u64,
    limit: usize,
    mut keep: impl FnMut(Decision) -> Option<T>,
) -> Result<lendstore::log::Page<T>, Problem> {
    DECISION_LOG
        .page(kv, after, limit, key, |bytes| {
            let decision: Decision = serde_json::from_slice(bytes)
                .map_err(|_| lendkit::idempotency::Failure::from(unreadable()))?;
            Ok::<_, lendkit::idempotency::Failure>(keep(decision))
        })
        .map_err(Problem::from)
}

/// Creates `decision` unless one with its id exists: the existing one, if so. It joins the
/// [`DECISION_LOG`] first (a listing skips an entry logged twice by racing creators).
pub fn create<K: Kv>(kv: &K, decision: &Decision) -> Result<Option<Decision>, Problem> {
    let bytes = serde_json::to_vec(decision).map_err(|_| unreadable())?;
    DECISION_LOG
        .append(kv, &decision.id)
        .map_err(store_problem)?;
    match lendstore::create(kv, &key(&decision.id), &bytes).map_err(store_problem)? {
        Created::Created => Ok(None),
        Created::Exists(existing) => serde_json::from_slice(&existing)
            .map(Some)
            .map_err(|_| unreadable()),
    }
}

/// Completes the pending decision `id` with `complete`; a decision already complete is
/// answered as it stands.
pub fn complete<K: Kv>(
    kv: &K,
    id: &str,
    complete: impl Fn(&mut Decision),
) -> Result<Decision, Problem> {
    lendstore::update(kv, &key(id), UPDATE_ATTEMPTS, |current| {
        let mut decision: Decision = current
            .and_then(|bytes| serde_json::from_slice(bytes).ok())
            .ok_or_else(|| lendstore::StoreError::Backend("the pending decision is gone".into()))?;
        if !decision.pending {
            return Ok(Change::Keep(decision));
        }
        complete(&mut decision);
        decision.pending = false;
        let bytes = serde_json::to_vec(&decision)
            .map_err(|_| lendstore::StoreError::Backend("decision".into()))?;
        Ok(Change::Write(bytes, decision))
    })
    .map_err(store_problem)
}
