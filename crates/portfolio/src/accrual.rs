//! Accruing one partition through a day.
//!
//! Each loan of the partition (its registry shard's books whose [`Partition`] it is)
//! accrues every day from its record's `through` up to and including the day asked — none
//! twice, since a record remembers the day it accrued through — and the partition's block
//! is written back in one confirmed compare-and-swap with the run's summary, so a re-run,
//! or a second host racing on the same partition, accrues nothing again.
//!
//! * A loan whose record reaches its **calendar date** (a due date, a grace end) has its
//!   book advanced to that date first (the installment billed, the late fee charged, the
//!   period's interest recognised on the ledger by the book's own entry), and its record
//!   taken again from the new checkpoint.
//! * A loan that **moved** (its change counter is not the record's) is read again; when
//!   its book's sequence differs, the record is taken again and the difference between
//!   what its book now recognises and what the day figures added up to is that day's
//!   adjustment (a payment's, a backdated payment's replayed interest). A change begun
//!   before the counter was read may commit after the book was read, so a record is read
//!   once more after [`SETTLE_SECS`] without a change.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use lendkit::Problem;
use lendstore::{Change, Kv};
use servicing::Loan;
use servicing::accruing::{Accruing, Day, Stopped};

use crate::Books;
use crate::block::{Block, Failure, Kept, RUNS_KEPT, Summary};
use crate::partition::{Partition, moved_key};

/// Seconds after which no change of a loan's book begun earlier can still be committing
/// (longer than any request's or scheduled run's deadline).
pub const SETTLE_SECS: i64 = 600;
/// Calendar dates one loan crosses in one run at most.
pub const STEPS_MAX: u32 = 64;
/// Lost races on a block before its accrual gives up (retryable).
const ATTEMPTS: u32 = 8;

/// Accrues every loan of `partition` — `members`, the books its registry shard lists —
/// through `as_of`, at `now` (Unix seconds);
/// the partition's summary of this run (the one stored, when the partition had been
/// accrued through `as_of` already).
pub fn accrue_partition<K: Kv, B: Books>(
    kv: &K,
    books: &B,
    partition: Partition,
    as_of: NaiveDate,
    now: i64,
    members: &[String],
) -> Result<Summary, Problem> {
    let members: Vec<&str> = members.iter().map(String::as_str).collect();
    if members.is_empty() {
        // Nothing to accrue: the block is not even read.
        return Ok(Summary {
            as_of: Some(as_of),
            ..Summary::default()
        });
    }
    // Counters first, books after: a change counted later than this read is seen next run.
    let keys: Vec<String> = members.iter().map(|id| moved_key(id)).collect();
    let counters: HashMap<&str, i64> = members
        .iter()
        .zip(lendstore::get_many(kv, &keys)?)
        .map(|(id, value)| {
            let count = value
                .as_deref()
                .and_then(lendstore::counter_value)
                .unwrap_or(0);
            (*id, count)
        })
        .collect();
    lendstore::update(kv, &partition.block_key(), ATTEMPTS, |current| {
        let mut block = match current {
            Some(bytes) => Block::decode(bytes)?,
            None => Block::default(),
        };
        let earlier = block.run(as_of).cloned();
        if let Some(earlier) = earlier.as_ref().filter(|s| s.failed == 0) {
            return Ok(Change::Keep(earlier.clone()));
        }
        let mut summary = Summary {
            as_of: Some(as_of),
            ..Summary::default()
        };
        let mut kept: HashMap<String, Kept> = block
            .loans
            .drain(..)
            .map(|k| (k.record.loan.clone(), k))
            .collect();
        let mut loans = Vec::with_capacity(members.len());
        for id in &members {
            if block.others.iter().any(|other| other == id) {
                continue;
            }
            let mut loan = Accrual {
                books,
                id,
                kept: kept.remove(*id),
                summary: &mut summary,
                as_of,
            };
            let outcome = loan.run(counters[id], now);
            let Accrual { kept: record, .. } = loan;
            match (outcome, record) {
                (Ok(()), None) => block.others.push(id.to_string()),
                (Ok(()), Some(record)) => loans.push(record),
                (Err(problem), record) => {
                    summary.fail(Failure {
                        loan: id.to_string(),
                        reason: problem
                            .detail
                            .clone()
                            .unwrap_or_else(|| problem.title.clone()),
                    });
                    loans.extend(record);
                }
            }
        }
        // A record whose book left the registry (never, today) is kept as it is.
        loans.extend(kept.into_values());
        loans.sort_by(|a, b| a.record.loan.cmp(&b.record.loan));
        block.loans = loans;
        let mut stored = summary;
        if let Some(earlier) = earlier {
            // A run again over a partition where loans failed: its figures add to the
            // first attempt's; its failures replace them.
            let failures = std::mem::take(&mut stored.failures);
            let failed = std::mem::replace(&mut stored.failed, 0);
            let mut total = Summary {
                failures: Vec::new(),
                failed: 0,
                ..earlier
            };
            total.add(&stored);
            total.failed = failed;
            total.failures = failures;
            stored = total;
        }
        block.runs.retain(|s| s.as_of != Some(as_of));
        block.runs.push(stored.clone());
        let surplus = block.runs.len().saturating_sub(RUNS_KEPT);
        block.runs.drain(..surplus);
        Ok(Change::Write(block.encode(), stored))
    })
}

/// One loan's accrual in a partition's run.
struct Accrual<'a, B> {
    books: &'a B,
    id: &'a str,
    /// Its record: `None` before it is first read, and for a book that holds no loan.
    kept: Option<Kept>,
    summary: &'a mut Summary,
    as_of: NaiveDate,
}

impl<B: Books> Accrual<'_, B> {
    fn run(&mut self, counter: i64, now: i64) -> Result<(), Problem> {
        self.refresh(counter, now)?;
        let Some(kept) = self.kept.as_mut() else {
            return Ok(());
        };
        let end = self.as_of.checked_add_days(Days::new(1)).ok_or_else(|| {
            Problem::unprocessable("the calendar has no day after the one accrued")
        })?;
        if !kept.record.earning {
            kept.record.through = kept.record.through.max(end);
            return Ok(());
        }
        let mut accrued_days = false;
        for _ in 0..STEPS_MAX {
            let kept = self.kept.as_mut().expect("read above");
            match kept.record.accrue_through(self.as_of) {
                Ok(days) => {
                    accrued_days |= !days.is_empty();
                    self.book(&days);
                    self.summary.loans += u64::from(accrued_days);
                    return Ok(());
                }
                Err(Stopped::CalendarDate(date)) => {
                    let before = date.pred_opt().unwrap_or(date);
                    let days = kept.record.accrue_through(before).map_err(stopped)?;
                    accrued_days |= !days.is_empty();
                    self.book(&days);
                    let (loan, sequence) = self.books.advance(self.id, date)?;
                    self.summary.advanced += 1;
                    self.take_again(&loan, sequence, date)?;
                }
                Err(other) => {
                    self.summary.loans += u64::from(accrued_days);
                    return Err(stopped(other));
                }
            }
        }
        Err(Problem::unprocessable(format!(
            "more than {STEPS_MAX} calendar dates in one run"
        )))
    }

    /// Reads the book when the record may be out of date (first seen, moved, or not yet
    /// settled), taking the record again when the book changed.
    fn refresh(&mut self, counter: i64, now: i64) -> Result<(), Problem> {
        let stale = self.kept.as_ref().is_none_or(|k| {
            k.moved != counter || (!k.settled && now - k.moved_seen >= SETTLE_SECS)
        });
        if !stale {
            return Ok(());
        }
        let Some((loan, sequence)) = self.books.read(self.id)? else {
            self.kept = None;
            return Ok(());
        };
        let Some(kept) = self.kept.as_mut() else {
            let record = Accruing::of(&loan, sequence);
            let recognised = record.recognised_on(record.through).map_err(servicing)?;
            self.kept = Some(Kept {
                recent_from: record.through,
                record,
                recognised,
                moved: counter,
                moved_seen: now,
                settled: false,
                recent: Vec::new(),
            });
            return Ok(());
        };
        if kept.moved == counter {
            kept.settled = true;
        } else {
            kept.moved = counter;
            kept.moved_seen = now;
            kept.settled = false;
        }
        if kept.record.sequence != sequence {
            let day = kept.record.through.min(self.as_of);
            self.take_again(&loan, sequence, day)?;
        }
        Ok(())
    }

    /// Takes the record again from `loan` (its book at `sequence`), the days accrued kept:
    /// what the book recognises for them now, less what the day figures added up to, is
    /// day `day`'s adjustment.
    fn take_again(&mut self, loan: &Loan, sequence: u64, day: NaiveDate) -> Result<(), Problem> {
        let kept = self.kept.as_mut().expect("taken again only once read");
        let mut record = Accruing::of(loan, sequence);
        record.through = record.through.max(kept.record.through);
        let recognised = record.recognised_on(record.through).map_err(servicing)?;
        let adjustment = recognised - kept.recognised;
        if adjustment != 0 {
            kept.add_figure(day, adjustment);
            self.summary
                .accrue(kept.record.currency.code(), adjustment, true);
        }
        kept.recognised = recognised;
        kept.record = record;
        Ok(())
    }

    /// Books accrued days' figures on the record and in the summary.
    fn book(&mut self, days: &[Day]) {
        let kept = self.kept.as_mut().expect("booked only once read");
        for day in days {
            kept.add_figure(day.date, day.interest);
            kept.recognised += day.interest;
            self.summary.loan_days += 1;
            self.summary
                .accrue(kept.record.currency.code(), day.interest, false);
        }
    }
}

fn stopped(error: Stopped) -> Problem {
    match error {
        Stopped::Servicing(error) => servicing(error),
        other => Problem::unprocessable(other.to_string()),
    }
}

fn servicing(error: servicing::ServicingError) -> Problem {
    Problem::unprocessable(error.to_string())
}
