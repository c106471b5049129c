//! A loan as the daily accrual keeps it: the few figures that one day's interest needs,
//! taken from the loan's checkpoint, so that accruing a portfolio reads and writes these
//! compact records, not every loan's book.
//!
//! Between two calendar dates of a loan (a due date or a grace end) and with no event, its
//! interest-bearing principal and rate do not change, and the interest accrued and not yet
//! billed on day `t` is the checkpoint's plus the money library's accrual from the
//! checkpoint's date to `t` — the very expression the engine evaluates when an event
//! advances the position ([`crate::Position::advance_to`]), so a record and the book never
//! disagree by a digit. A day's figure in cents is the difference of the running total
//! rounded on either side of it: the figures of any run of days add up, to the cent, to the
//! rounded total, and so to what the book recognises when the next event reaches it.
//!
//! A record accrues only up to its loan's next calendar date: beyond it the loan's book is
//! advanced first (billing, late fee) and the record taken again from the new checkpoint.
//! A record remembers the book's sequence it was taken at, so a record of a loan that
//! moved since (a payment, a backdated one, a reversal) is recognised and taken again.

use chrono::{Days, NaiveDate};
use lendmath::accrual::{self, ACCRUAL_ROUNDING};
use lendmath::daycount::DayCount;
use lendmath::money::{Currency, Money};
use lendmath::rate::AnnualRate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Loan, ServicingError};

/// Days one record is accrued in one go at most (a catch-up of a missed year and a bit).
pub const CATCH_UP_DAYS_MAX: u64 = 400;

/// One loan's accrual record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accruing {
    /// The loan (its book).
    pub loan: String,
    /// The book's sequence the record was taken at.
    pub sequence: u64,
    /// The loan's currency.
    pub currency: Currency,
    /// Principal outstanding, minor units.
    pub principal: i64,
    /// The annual rate, percent.
    pub rate_percent: Decimal,
    /// The day count.
    pub day_count: DayCount,
    /// The checkpoint's date: interest had accrued for every day before it.
    pub base_date: NaiveDate,
    /// Interest accrued and not billed at the checkpoint, unrounded.
    pub base_accrued: Decimal,
    /// Interest has accrued for every day before this one.
    pub through: NaiveDate,
    /// The loan's next calendar date (none once paid off, or with nothing left to bill):
    /// the record accrues no day on or after it.
    pub stops_on: Option<NaiveDate>,
    /// Whether the loan earns interest at all (not paid off, principal left).
    pub earning: bool,
    /// Interest billed over the loan's life at the checkpoint, less an import's opening
    /// interest (bought, not earned here), minor units.
    #[serde(default)]
    pub billed_interest: i64,
}

/// One day's interest of one loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// The day.
    pub date: NaiveDate,
    /// Its interest, minor units (the rounded running total's step).
    pub interest: i64,
}

/// Why a record could not accrue as far as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    /// A calendar date of the loan lies before the day asked: its book must be advanced
    /// through it first.
    #[error("the loan's book must be advanced through {0} first")]
    CalendarDate(NaiveDate),
    /// More days were asked than one catch-up accrues.
    #[error("at most {CATCH_UP_DAYS_MAX} days are accrued in one go")]
    TooManyDays,
    /// The arithmetic failed.
    #[error(transparent)]
    Servicing(#[from] ServicingError),
}

impl Accruing {
    /// The record of `loan` as its checkpoint stands, its book at `sequence`.
    pub fn of(loan: &Loan, sequence: u64) -> Accruing {
        let position = &loan.position;
        Accruing {
            loan: loan.id.clone(),
            sequence,
            currency: loan.terms.currency,
            principal: position.principal,
            rate_percent: loan.terms.annual_rate_percent,
            day_count: loan.terms.day_count,
            base_date: position.date,
            base_accrued: position.accrued,
            through: position.date,
            stops_on: position.next_calendar_date(&loan.terms),
            earning: !position.is_paid_off() && position.principal > 0,
            billed_interest: position.totals.interest_billed - loan.terms.opening.interest,
        }
    }

    /// The interest income the loan's book recognises for the days before `date`, over its
    /// life, minor units: billed at the checkpoint and accrued since (rounded), less an
    /// import's opening interest — the net of its interest income account, as
    /// [`crate::accounts`] posts it.
    pub fn recognised_on(&self, date: NaiveDate) -> Result<i64, ServicingError> {
        Ok(self.billed_interest + self.accrued_rounded_on(date)?)
    }

    /// Interest accrued and not billed on `date` (for the days before it), unrounded.
    pub fn accrued_on(&self, date: NaiveDate) -> Result<Decimal, ServicingError> {
        if !self.earning || date <= self.base_date {
            return Ok(self.base_accrued);
        }
        let rate = AnnualRate::from_percent(self.rate_percent)
            .map_err(|_| ServicingError::Terms("the annual rate is not a valid percent"))?;
        let accrued = accrual::accrue(
            Money::from_minor(self.principal, self.currency),
            rate,
            self.day_count,
            self.base_date,
            date,
            &[],
        )?;
        Ok(self.base_accrued + accrued.interest_exact)
    }

    /// What [`Accruing::accrued_on`] gives, rounded to the cent.
    pub fn accrued_rounded_on(&self, date: NaiveDate) -> Result<i64, ServicingError> {
        let accrued = self.accrued_on(date)?;
        Ok(ACCRUAL_ROUNDING
            .round_money(accrued, self.currency)?
            .to_minor())
    }

    /// Accrues every day from [`Accruing::through`] up to and including `as_of`; each
    /// day's figure. A day already accrued is not accrued again: asking for it again gives
    /// no figure and changes nothing.
    pub fn accrue_through(&mut self, as_of: NaiveDate) -> Result<Vec<Day>, Stopped> {
        let end = as_of
            .checked_add_days(Days::new(1))
            .ok_or(Stopped::TooManyDays)?;
        if end <= self.through {
            return Ok(Vec::new());
        }
        if let Some(stop) = self.stops_on.filter(|stop| *stop < end) {
            return Err(Stopped::CalendarDate(stop));
        }
        let days = (end - self.through).num_days();
        if u64::try_from(days).map_or(true, |d| d > CATCH_UP_DAYS_MAX) {
            return Err(Stopped::TooManyDays);
        }
        let mut figures = Vec::with_capacity(days as usize);
        let mut before = self.accrued_rounded_on(self.through)?;
        let mut date = self.through;
        while date < end {
            let next = date.succ_opt().ok_or(Stopped::TooManyDays)?;
            let after = self.accrued_rounded_on(next)?;
            figures.push(Day {
                date,
                interest: after - before,
            });
            before = after;
            date = next;
        }
        self.through = end;
        Ok(figures)
    }
}
