//! Creating, reading and listing application records over a `lendstore` store.

use chrono::{DateTime, Utc};
use lendkit::Problem;
use lendkit::idempotency::{Failure, store_problem};
use lendstore::log::{Log, Page};
use lendstore::{Created, Kv};
use origination::Application;

use crate::decision::{Decided, Outcome};
use crate::record::{Event, Record, Status, Submitter, record_key};
use crate::screening::{Screened, Verdict};

/// The submission log (`application/log-seq`, `application/log/{seq}`); one listing page
/// reads at most 500 entries, whatever it finds.
pub const SUBMISSION_LOG: Log = Log {
    prefix: "application",
    scan_max: 500,
};

fn unreadable() -> Problem {
    Problem::internal("a stored application is unreadable")
}

/// A new application id: `app_` and 64 random bits.
pub fn new_id() -> String {
    format!("app_{}", lendkit::random_token())
}

/// Stores new application `id`: its log entry first, then its record (the commit point).
pub fn create<K: Kv>(
    kv: &K,
    id: String,
    application: Application,
    screened: Screened,
    decided: Option<Decided>,
    submitted_by: Submitter,
    now: DateTime<Utc>,
) -> Result<Record, Problem> {
    let log_sequence = SUBMISSION_LOG.append(kv, &id).map_err(store_problem)?;
    let (status, event) = match screened.verdict {
        Verdict::Clear => (Status::Screened, "screened"),
        Verdict::Refer => (Status::Referred, "referred"),
        Verdict::Decline => (Status::Declined, "declined"),
    };
    let mut screening = screened.record;
    screening["reasons"] = serde_json::json!(screened.reasons);
    let system = |stage: &str| Submitter {
        role: "system".into(),
        key_id: stage.into(),
    };
    let mut history = vec![
        Event {
            at: now,
            by: submitted_by.clone(),
            event: "received".into(),
        },
        Event {
            at: now,
            by: system("screening"),
            event: event.into(),
        },
    ];
    let (status, decision) = match decided {
        None => (status, serde_json::Value::Null),
        Some(decided) => {
            let (status, event) = match decided.outcome {
                Outcome::Approve => (Status::Approved, "approved"),
                Outcome::Decline => (Status::Declined, "declined"),
                Outcome::Refer => (Status::Referred, "referred"),
            };
            history.push(Event {
                at: now,
                by: system("decisioning"),
                event: event.into(),
            });
            (status, decided.record)
        }
    };
    let record = Record {
        id: id.clone(),
        log_sequence,
        status,
        created_at: now,
        submitted_by: submitted_by.clone(),
        application,
        screening,
        decision,
        documents: Vec::new(),
        history,
        acceptance: None,
        loan_id: None,
    };
    let bytes = serde_json::to_vec(&record).map_err(|_| unreadable())?;
    match lendstore::create(kv, &record_key(&id), &bytes).map_err(store_problem)? {
        Created::Created => Ok(record),
        // A fresh random id is never taken; if it were, nothing of ours was written.
        Created::Exists(_) => Err(Problem::unavailable("application id collision; retry")),
    }
}

/// The record of application `id`, if any.
pub fn get<K: Kv>(kv: &K, id: &str) -> Result<Option<Record>, Problem> {
    match kv.get(&record_key(id)).map_err(store_problem)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| unreadable()),
        None => Ok(None),
    }
}

/// Up to `limit` records after log position `after`, with `status` if given (one page of
/// the [`SUBMISSION_LOG`]).
pub fn list<K: Kv>(
    kv: &K,
    status: Option<Status>,
    after: u64,
    limit: usize,
) -> Result<Page<Record>, Problem> {
    SUBMISSION_LOG
        .page(kv, after, limit, record_key, |bytes| {
            let record: Record =
                serde_json::from_slice(bytes).map_err(|_| Failure::from(unreadable()))?;
            Ok::<_, Failure>(status.is_none_or(|s| s == record.status).then_some(record))
        })
        .map_err(Problem::from)
}
