//! Loans' books on the ledger as the portfolio jobs reach them ([`portfolio::Books`]).

use chrono::NaiveDate;
use lendkit::Problem;
use servicing::Loan;

use crate::{Decision, Entry, change, read_snapshot};

/// The ledger's books, through `lending:ledger/book-state`.
pub struct LedgerBooks;

impl portfolio::Books for LedgerBooks {
    fn read(&self, id: &str) -> Result<Option<(Loan, u64)>, Problem> {
        match read_snapshot(id) {
            // Listed but not yet committed: a loan being booked, accrued once it is.
            Ok((None, 0, _)) => Err(Problem::unavailable("the book has no entry yet")),
            Ok((loan, sequence, _)) => Ok(loan.map(|loan| (loan, sequence))),
            // A book without a state (the cash book, a posted book) holds no loan.
            Err(problem) if problem.status == 404 => Ok(None),
            Err(problem) => Err(problem),
        }
    }

    fn advance(&self, id: &str, date: NaiveDate) -> Result<(Loan, u64), Problem> {
        let changed = change(id, |loan| {
            let mut loan = loan.ok_or_else(|| Problem::not_found("no such loan"))?;
            match loan
                .advance(date)
                .map_err(|e| Problem::internal(e.to_string()))?
            {
                None => Ok(Decision::Keep(())),
                Some(_) => Ok(Decision::WriteIfMoving(
                    Box::new(loan),
                    Entry {
                        id: format!("advance-{date}"),
                        date,
                        description: format!("close of business: {date}"),
                    },
                    (),
                )),
            }
        })?;
        Ok((changed.loan, changed.sequence))
    }
}
