//! Creating, reading and listing application records over a `lendstore` store.

use chrono::{DateTime, Utc};
use lendkit::{Problem, idempotency::store_problem};
use lendstore::{Created, Kv, get_many};
use origination::Application;

use crate::decision::{Decided, Outcome};
use crate::record::{Event, LOG_SEQUENCE_KEY, Record, Status, Submitter, log_key, record_key};
use crate::screening::{Screened, Verdict};

/// Most log entries one listing request reads, whatever it finds: bounds the work of a
/// page whose filter matches little.
pub const LIST_SCAN_MAX: u64 = 500;
/// Log entries (and records) read per batch while listing.
const LIST_READ_CHUNK: u64 = 100;

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
    let sequence = kv.increment(LOG_SEQUENCE_KEY, 1).map_err(store_problem)?;
    let log_sequence = u64::try_from(sequence).map_err(|_| unreadable())?;
    kv.set(&log_key(log_sequence), id.as_bytes())
        .map_err(store_problem)?;
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

/// One page of a listing.
pub struct Page {
    /// The records found, in submission order.
    pub records: Vec<Record>,
    /// The cursor to continue after, when the log holds more.
    pub next_after: Option<u64>,
}

/// Up to `limit` records after log position `after`, with `status` if given, reading at
/// most [`LIST_SCAN_MAX`] log entries.
pub fn list<K: Kv>(
    kv: &K,
    status: Option<Status>,
    after: u64,
    limit: usize,
) -> Result<Page, Problem> {
    // Counters are read through `increment(key, 0)` on every runtime.
    let last = kv.increment(LOG_SEQUENCE_KEY, 0).map_err(store_problem)?;
    let last = u64::try_from(last).unwrap_or(0);
    let scan_end = last.min(after.saturating_add(LIST_SCAN_MAX));
    let mut records = Vec::new();
    let mut scanned = after;
    while scanned < scan_end && records.len() < limit {
        let chunk_end = scan_end.min(scanned + LIST_READ_CHUNK);
        let sequences: Vec<u64> = (scanned + 1..=chunk_end).collect();
        let log_keys: Vec<String> = sequences.iter().map(|s| log_key(*s)).collect();
        let ids = get_many(kv, &log_keys).map_err(store_problem)?;
        let mut positions = Vec::new();
        let mut record_keys = Vec::new();
        for (sequence, id) in sequences.iter().zip(ids) {
            if let Some(id) = id {
                let id = String::from_utf8(id).map_err(|_| unreadable())?;
                positions.push(*sequence);
                record_keys.push(record_key(&id));
            }
        }
        let values = get_many(kv, &record_keys).map_err(store_problem)?;
        let mut stopped_at = chunk_end;
        for (sequence, value) in positions.into_iter().zip(values) {
            // A log entry whose record never came to be: its request failed in between.
            let Some(bytes) = value else { continue };
            let record: Record = serde_json::from_slice(&bytes).map_err(|_| unreadable())?;
            if status.is_none_or(|s| s == record.status) {
                records.push(record);
                if records.len() == limit {
                    stopped_at = sequence;
                    break;
                }
            }
        }
        scanned = stopped_at;
    }
    Ok(Page {
        records,
        next_after: (scanned < last).then_some(scanned),
    })
}
