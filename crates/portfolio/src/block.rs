//! A partition's accrual records: one value per partition, changed by confirmed
//! compare-and-swap, holding every loan of the partition as the daily accrual keeps it and
//! the summaries of the last runs that accrued it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lendkit::Problem;
use serde::{Deserialize, Serialize};
use servicing::accruing::Accruing;

/// Day figures kept per loan (about a month and a bit).
pub const RECENT_DAYS_KEPT: usize = 40;
/// Run summaries kept per partition.
pub const RUNS_KEPT: usize = 8;
/// Failures kept in a summary (the count is always exact).
pub const FAILURES_KEPT: usize = 100;
/// The first byte of a stored block: its format's version.
const FORMAT: u8 = 1;

/// A partition's records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Its loans, by id.
    pub loans: Vec<Kept>,
    /// Books of the partition that hold no loan (never read again).
    pub others: Vec<String>,
    /// The last runs over the partition, newest last.
    pub runs: Vec<Summary>,
}

/// One loan as the accrual keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The record accrued from.
    pub record: Accruing,
    /// Interest income its book recognises for the days accrued (see
    /// [`Accruing::recognised_on`]): what the day figures add up to since it was first kept.
    pub recognised: i64,
    /// The loan's change counter when the record was last checked against its book.
    pub moved: i64,
    /// When the counter was first seen at that value (Unix seconds).
    pub moved_seen: i64,
    /// Whether the book was read again once no change begun before `moved_seen` could
    /// still be committing (see [`crate::accrual::SETTLE_SECS`]).
    pub settled: bool,
    /// The first day of `recent`.
    pub recent_from: NaiveDate,
    /// The interest of each day from `recent_from`, minor units, with any adjustment from a
    /// record taken again (a payment, a backdated one, a billing's rounding) on its day.
    pub recent: Vec<i64>,
}

impl Kept {
    /// Adds `interest` to day `date`'s figure, keeping the last [`RECENT_DAYS_KEPT`] days.
    pub fn add_figure(&mut self, date: NaiveDate, interest: i64) {
        let offset = (date - self.recent_from).num_days();
        if offset < 0 {
            // An adjustment is dated on a day the run reaches, never before kept days.
            if let Some(first) = self.recent.first_mut() {
                *first += interest;
            }
            return;
        }
        let offset = offset as usize;
        if offset >= self.recent.len() {
            self.recent.resize(offset + 1, 0);
        }
        self.recent[offset] += interest;
        let surplus = self.recent.len().saturating_sub(RECENT_DAYS_KEPT);
        if surplus > 0 {
            self.recent.drain(..surplus);
            self.recent_from = self
                .recent_from
                .checked_add_days(chrono::Days::new(surplus as u64))
                .unwrap_or(self.recent_from);
        }
    }

    /// The kept day figures, oldest first.
    pub fn figures(&self) -> impl Iterator<Item = (NaiveDate, i64)> + '_ {
        self.recent_from
            .iter_days()
            .zip(self.recent.iter().copied())
    }
}

/// What one run did to a partition (or, added up, to the portfolio).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The day accrued through.
    pub as_of: Option<NaiveDate>,
    /// Loans that accrued at least one day.
    pub loans: u64,
    /// Loan-days accrued.
    pub loan_days: u64,
    /// Interest accrued by currency code, minor units (day figures and adjustments).
    pub interest: BTreeMap<String, i64>,
    /// Of which adjustments of records taken again, by currency code, minor units.
    pub adjustments: BTreeMap<String, i64>,
    /// Loans' books advanced to a calendar date.
    pub advanced: u64,
    /// Loans that could not be accrued.
    pub failed: u64,
    /// The first [`FAILURES_KEPT`] of them.
    pub failures: Vec<Failure>,
}

/// A loan that could not be accrued, and why (never personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The loan.
    pub loan: String,
    /// Why.
    pub reason: String,
}

impl Summary {
    /// Adds `other`'s figures to these.
    pub fn add(&mut self, other: &Summary) {
        self.loans += other.loans;
        self.loan_days += other.loan_days;
        for (currency, amount) in &other.interest {
            add_to(&mut self.interest, currency, *amount);
        }
        for (currency, amount) in &other.adjustments {
            add_to(&mut self.adjustments, currency, *amount);
        }
        self.advanced += other.advanced;
        self.failed += other.failed;
        for failure in &other.failures {
            self.fail_kept(failure.clone());
        }
    }

    /// Adds a day figure (or, when `adjustment`, an adjustment) of `amount` minor units in
    /// `currency`.
    pub fn accrue(&mut self, currency: &str, amount: i64, adjustment: bool) {
        add_to(&mut self.interest, currency, amount);
        if adjustment {
            add_to(&mut self.adjustments, currency, amount);
        }
    }

    /// Counts a failure, keeping its details while fewer than [`FAILURES_KEPT`] are.
    pub fn fail(&mut self, failure: Failure) {
        self.failed += 1;
        self.fail_kept(failure);
    }

    fn fail_kept(&mut self, failure: Failure) {
        if self.failures.len() < FAILURES_KEPT {
            self.failures.push(failure);
        }
    }
}

fn add_to(sums: &mut BTreeMap<String, i64>, currency: &str, amount: i64) {
    match sums.get_mut(currency) {
        Some(sum) => *sum += amount,
        None => {
            sums.insert(currency.to_string(), amount);
        }
    }
}

impl Block {
    /// The block stored as `bytes`: a format byte, then the block in postcard (compact
    /// binary: a million loans' records are read and written every night).
    pub fn decode(bytes: &[u8]) -> Result<Block, Problem> {
        let unreadable = || Problem::internal("a partition's accrual records are unreadable");
        match bytes.split_first() {
            Some((&FORMAT, rest)) => postcard::from_bytes(rest).map_err(|_| unreadable()),
            _ => Err(unreadable()),
        }
    }

    /// The block as stored.
    pub fn encode(&self) -> Vec<u8> {
        let bytes = vec![FORMAT];
        postcard::to_extend(self, bytes).expect("a block always serialises")
    }

    /// The summary of the run through `as_of`, if one accrued the partition.
    pub fn run(&self, as_of: NaiveDate) -> Option<&Summary> {
        self.runs.iter().rev().find(|s| s.as_of == Some(as_of))
    }

    /// The loan `id`'s record.
    pub fn loan(&self, id: &str) -> Option<&Kept> {
        self.loans.iter().find(|k| k.record.loan == id)
    }
}
