//! Portfolio-wide servicing jobs: the work close of business does for every loan, in
//! partitions that many invocations (or hosts) share.
//!
//! * [`partition`] — a loan's partition key: its ledger registry shard and a block within
//!   it, from the book id alone (4,096 partitions);
//! * [`block`] — a partition's accrual records, one value, changed by confirmed
//!   compare-and-swap;
//! * [`accrual`] — accruing one partition through a day: exactly once per loan and day,
//!   advancing a loan's book at its calendar dates, taking a record again when its loan
//!   moved;
//! * [`run`] — a day's run over every partition: a resumable cursor (the partitions done),
//!   worked in bounded slices, and its summary.
//!
//! Loans' books are reached through [`Books`], so the jobs run natively under every store
//! semantics in tests, and in components over the ledger.
#![deny(missing_docs)]

pub mod accrual;
pub mod block;
pub mod partition;
pub mod run;

use chrono::NaiveDate;
use lendkit::Problem;
use servicing::Loan;

/// Loans' books, as the jobs need them.
pub trait Books {
    /// The loan kept in book `id` and the book's sequence; `None` when the book holds no
    /// loan (another kind of book).
    fn read(&self, id: &str) -> Result<Option<(Loan, u64)>, Problem>;
    /// Advances loan `id` to `date` (its calendar date: an installment billed, a grace
    /// period ended), committing the change with its entry; a loan already there is left
    /// as it is. The loan and the book's sequence after.
    fn advance(&self, id: &str, date: NaiveDate) -> Result<(Loan, u64), Problem>;
}

#[cfg(test)]
mod tests;
