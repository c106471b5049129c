//! The daily accrual over the ledger's books, as the servicing components drive it: one
//! slice of a day's run within a time budget ([`work`]), the day checked against the
//! business date ([`accruable`]), and the run as answered ([`view`]).
//!
//! The run itself — partitions, records, exactly once per loan and day — is
//! [`portfolio::run`]; its books are the ledger's ([`LedgerBooks`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use lendkit::Problem;
use lendmath::money::{Currency, Money};
pub use portfolio::block::Kept;
use portfolio::partition::PARTITIONS;
use portfolio::run::Run;
use serde_json::{Value, json};

use crate::books::LedgerBooks;
use crate::calendar;

/// The variable bounding one HTTP slice of a run, in milliseconds.
pub const SLICE_MS: &str = "accrual_slice_ms";
/// One HTTP slice's budget when [`SLICE_MS`] is unset (well inside a request's deadline).
pub const SLICE_MS_DEFAULT: u64 = 4_000;

/// The budget of one HTTP slice ([`SLICE_MS`]).
pub fn slice_budget() -> Result<Duration, Problem> {
    lendkit::vars::number(SLICE_MS, SLICE_MS_DEFAULT, 50..=600_000).map(Duration::from_millis)
}

/// Works on the run through `as_of` for about `budget` (a partition begun is finished),
/// from a partition picked by the clock so that concurrent slices spread over the
/// portfolio; the run as it stands after.
pub fn work(as_of: NaiveDate, budget: Duration) -> Result<Run, Problem> {
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    let began = Instant::now();
    let start = Utc::now().timestamp_subsec_nanos() % PARTITIONS;
    portfolio::run::work(
        &kv,
        &LedgerBooks,
        as_of,
        start,
        || Utc::now().timestamp(),
        || began.elapsed() < budget,
    )
}

/// The run through `as_of`, if one began.
pub fn read(as_of: NaiveDate) -> Result<Option<Run>, Problem> {
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    portfolio::run::read(&kv, as_of)
}

/// Loan `id` as the daily accrual keeps it, if a run reached it.
pub fn kept(id: &str) -> Result<Option<Kept>, Problem> {
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    portfolio::run::kept_of(&kv, id)
}

/// `as_of` when jobs may run through it: not after the business date. The problem names
/// `field`.
pub fn accruable(as_of: NaiveDate, field: &str) -> Result<NaiveDate, Problem> {
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    let today = calendar::read(&kv, lendkit::vars::business_date()?)?.business_date;
    if as_of > today {
        return Err(Problem::validation(Vec::new()).with_error(
            field,
            format!("must not be after the business date ({today})"),
        ));
    }
    Ok(as_of)
}

/// Minor-unit sums by currency as decimal strings.
fn amounts(sums: &BTreeMap<String, i64>) -> Value {
    sums.iter()
        .map(|(code, minor)| {
            let text = match Currency::from_code(code) {
                Ok(currency) => Money::from_minor(*minor, currency).to_decimal_string(),
                Err(_) => minor.to_string(),
            };
            (code.clone(), Value::String(text))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn time(seconds: i64) -> Value {
    DateTime::<Utc>::from_timestamp(seconds, 0).map_or(Value::Null, |t| json!(t))
}

/// The run as answered: progress, then the summary (figures added up over the partitions
/// done, so final once `finished`).
pub fn view(run: &Run) -> Value {
    let totals = &run.totals;
    json!({
        "as_of": run.as_of,
        "finished": run.is_finished(),
        "started_at": time(run.started_at),
        "finished_at": run.finished_at.map_or(Value::Null, time),
        "partitions": PARTITIONS,
        "partitions_done": run.partitions_done,
        "loans": totals.loans,
        "loan_days": totals.loan_days,
        "interest": amounts(&totals.interest),
        "adjustments": amounts(&totals.adjustments),
        "advanced": totals.advanced,
        "failed": totals.failed,
        "failures": totals.failures,
    })
}
