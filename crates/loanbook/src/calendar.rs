//! The business date: the day servicing works on, kept by the platform apart from the
//! system clock and moved only by closing a day (close of business).
//!
//! It is one value, `servicing/calendar` in the `ledger` store that every servicing
//! component already has. Until a day is first closed there is none, and the business date
//! is the starting one: the `business_date` variable (a test or training environment
//! replaying a calendar) or else today (UTC). Closing day `D` moves it to `D + 1` in one
//! confirmed compare-and-swap; the date only ever grows, so no two values repeat and the
//! swap is safe on every runtime. Closing a day names the day: asking to close a day that
//! was just closed answers it as closed (a retry changes nothing), asking to close another
//! is a conflict — so two operators, or two hosts' schedules, close each day once.

use chrono::{DateTime, NaiveDate, Utc};
use lendkit::Problem;
use lendkit::idempotency::store_problem;
use lendstore::{Change, Kv};
use serde::{Deserialize, Serialize};

/// The store holding the calendar (shared with the ledger).
pub const STORE: &str = "ledger";
/// The calendar's key.
pub const KEY: &str = "servicing/calendar";
/// Most lost races before a close gives up (retryable).
const ATTEMPTS: u32 = 16;

/// The platform's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// The day servicing works on.
    pub business_date: NaiveDate,
    /// The last day closed; none before the first close.
    pub last_closed: Option<Closed>,
}

/// A day closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    /// The day.
    pub date: NaiveDate,
    /// When it was closed (system clock).
    pub closed_at: DateTime<Utc>,
    /// Who closed it: an API key's id, or `schedule`.
    pub by: String,
}

/// What closing a day did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closing {
    /// The day was closed now.
    Closed(Calendar),
    /// The day had been closed already (a retry); the calendar as it stands.
    AlreadyClosed(Calendar),
}

/// The calendar in `kv`, or the starting one (`start`) when no day was ever closed.
pub fn read<K: Kv>(kv: &K, start: NaiveDate) -> Result<Calendar, Problem> {
    match kv.get(KEY).map_err(store_problem)? {
        Some(bytes) => decode(&bytes),
        None => Ok(Calendar {
            business_date: start,
            last_closed: None,
        }),
    }
}

/// The business date, read from the component's `ledger` store.
pub fn business_date() -> Result<NaiveDate, Problem> {
    let kv = lendkit::idempotency::open(STORE)?;
    Ok(read(&kv, lendkit::vars::business_date()?)?.business_date)
}

/// Closes `day` (the business date when `None`), by `by` at `now`, the calendar starting
/// at `start`; refuses a day that is not the business date (409), unless it was the last
/// one closed, which answers [`Closing::AlreadyClosed`].
pub fn close<K: Kv>(
    kv: &K,
    day: Option<NaiveDate>,
    start: NaiveDate,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Closing, Problem> {
    lendstore::update(kv, KEY, ATTEMPTS, |current| {
        let calendar = match current {
            Some(bytes) => decode(bytes)?,
            None => Calendar {
                business_date: start,
                last_closed: None,
            },
        };
        let day = day.unwrap_or(calendar.business_date);
        if calendar.last_closed.as_ref().is_some_and(|c| c.date == day) {
            return Ok(Change::Keep(Closing::AlreadyClosed(calendar)));
        }
        if day != calendar.business_date {
            return Err(Problem::conflict(format!(
                "the business date is {}: only that day can be closed",
                calendar.business_date
            )));
        }
        let next = day
            .succ_opt()
            .ok_or_else(|| Problem::unprocessable("the calendar has no day after this one"))?;
        let closed = Calendar {
            business_date: next,
            last_closed: Some(Closed {
                date: day,
                closed_at: now,
                by: by.to_string(),
            }),
        };
        let bytes = serde_json::to_vec(&closed).map_err(|_| unreadable())?;
        Ok(Change::Write(bytes, Closing::Closed(closed)))
    })
}

fn decode(bytes: &[u8]) -> Result<Calendar, Problem> {
    serde_json::from_slice(bytes).map_err(|_| unreadable())
}

fn unreadable() -> Problem {
    Problem::internal("the stored calendar is unreadable")
}

#[cfg(test)]
mod tests {
    use lendstore::sim::{Semantics, SimKv, Step};

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    const SEMANTICS: [Semantics; 3] = [
        Semantics::Strict,
        Semantics::SpinSqlite,
        Semantics::SpinRedis,
    ];

    #[test]
    fn closing_days_moves_the_date_one_day_each_and_a_retry_changes_nothing() {
        for semantics in SEMANTICS {
            let kv = SimKv::new(semantics);
            let now = Utc::now();
            assert_eq!(read(&kv, day(1)).unwrap().business_date, day(1));
            let Closing::Closed(first) = close(&kv, None, day(1), "ops1", now).unwrap() else {
                panic!("{semantics:?}: the first close closes");
            };
            assert_eq!(first.business_date, day(2));
            assert_eq!(first.last_closed.as_ref().unwrap().date, day(1));
            // The same day again: answered as closed, nothing moves.
            let again = close(&kv, Some(day(1)), day(1), "ops2", now).unwrap();
            assert_eq!(again, Closing::AlreadyClosed(first.clone()));
            // The start no longer matters once a day was closed.
            assert_eq!(read(&kv, day(20)).unwrap(), first);
            // A day that is not the business date is refused.
            assert_eq!(
                close(&kv, Some(day(5)), day(1), "ops1", now)
                    .unwrap_err()
                    .status,
                409
            );
            assert!(matches!(
                close(&kv, Some(day(2)), day(1), "ops1", now).unwrap(),
                Closing::Closed(c) if c.business_date == day(3)
            ));
        }
    }

    #[test]
    fn two_closers_racing_for_the_first_day_close_it_once() {
        for semantics in SEMANTICS {
            let kv = SimKv::new(semantics);
            let now = Utc::now();
            // The rival closes the day between our read (nothing stored) and our claim.
            kv.before(Step::Increment, move |kv| {
                kv.clear_hooks();
                let rival = close(kv, Some(day(1)), day(1), "rival", now).unwrap();
                assert!(matches!(rival, Closing::Closed(_)));
            });
            let ours = close(&kv, Some(day(1)), day(1), "ours", now).unwrap();
            kv.clear_hooks();
            let stored = read(&kv, day(1)).unwrap();
            assert_eq!(stored.business_date, day(2), "{semantics:?}");
            assert!(
                matches!(&ours, Closing::AlreadyClosed(c) if c.last_closed.as_ref().unwrap().by == "rival"),
                "{semantics:?}: {ours:?}"
            );
            // The day was closed once: the next close moves to the 3rd.
            let Closing::Closed(next) = close(&kv, None, day(1), "ops", now).unwrap() else {
                panic!("{semantics:?}: the 2nd closes");
            };
            assert_eq!(next.business_date, day(3));
        }
    }
}
