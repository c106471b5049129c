//! Loan servicing, pure: a loan's terms and events, replayed in date order into its
//! position, and the ledger lines that keep the loan's book equal to that position.
//!
//! * [`terms`]: what a loan is booked with (money, schedule, the product's rules);
//! * [`position`]: daily simple interest, billing on due dates, late and returned-payment
//!   fees, the waterfall, overpayments, payoff;
//! * [`loan`]: the state kept with the loan's book — terms, events, a checkpoint — and
//!   how a new, backdated or reversed event changes it;
//! * [`accounts`]: the book's accounts as functions of the position, and the entry that
//!   moves the book to a new position;
//! * [`accruing`]: a loan as the daily accrual keeps it, and its day-by-day figures;
//! * [`products`], [`disclosure`]: each product's servicing settings, and an offer's
//!   truth-in-lending disclosure with the terms its loan is booked with.
//!
//! No I/O and no clock: the components pass today's date in.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod accounts;
pub mod accruing;
pub mod disclosure;
pub mod loan;
pub mod position;
pub mod products;
pub mod terms;

pub use loan::{Channel, Event, EventKind, Loan, Profile, Reason, Recorded};
pub use position::{Applied, Item, Kind, Payoff, Position};
pub use terms::{Opening, Origin, Rules, Scheduled, Terms};

/// Why servicing refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServicingError {
    /// The terms cannot be booked.
    #[error("invalid terms: {0}")]
    Terms(&'static str),
    /// The request cannot be carried out on this loan.
    #[error("{0}")]
    Refused(&'static str),
    /// The loan is paid off.
    #[error("the loan is paid off")]
    PaidOff,
    /// No payment with that id.
    #[error("no such payment")]
    UnknownPayment,
    /// A position was asked to go back in time.
    #[error("a position cannot go back in time")]
    BeforePosition,
    /// The money library refused an operation (overflow, currency mismatch).
    #[error("arithmetic: {0}")]
    Arithmetic(String),
    /// A stored state cannot be read.
    #[error("{0}")]
    Corrupt(String),
}

#[cfg(test)]
mod tests;
