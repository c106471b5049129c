//! A loan's position, and how time and events move it.
//!
//! **Daily simple interest.** Interest accrues every day on the principal outstanding that
//! day (billed or not), at the loan's rate under its day count, exactly (unrounded) through
//! [`lendmath::accrual::accrue`]; a change of principal dated `d` takes effect for day `d`
//! itself, so a payment's own day earns no interest on what it paid.
//!
//! **On a due date** what was current and is still unpaid becomes past due, and the
//! installment is billed: its interest is the interest accrued and not yet billed, rounded
//! half-up to the cent (at most the scheduled payment), its principal the rest of the
//! scheduled payment (at most the principal not yet billed); the last installment bills
//! everything left. **When a grace period ends** (the day after due date + grace days) an
//! installment still unpaid is charged the late fee.
//!
//! **A payment** is split over what is owed by the product's waterfall (the money
//! library's [`lendmath::allocation::allocate`]), each bucket paying its oldest items
//! first; what is left is treated by the overpayment policy (prepay principal not yet due,
//! hold as credit for the next charges, or hold unapplied). A payment that covers the
//! payoff amount of its day settles the loan: everything left is billed that day, and any
//! excess is held unapplied, to be refunded.
//!
//! Calendar events on a date come before the payments of that date; payments of one date
//! apply in the order they were entered.

use chrono::{Days, NaiveDate};
use lendmath::accrual;
use lendmath::allocation::{self, Bucket, Dues, OverpaymentPolicy};
use lendmath::rounding::RoundingMode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ServicingError;
use crate::terms::Terms;

/// Rounding of accrued interest when it is billed, paid off or shown.
pub const INTEREST_ROUNDING: RoundingMode = accrual::ACCRUAL_ROUNDING;

/// What an item is owed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Interest of an installment (or of a payoff).
    Interest,
    /// Principal of an installment (or of a payoff).
    Principal,
    /// A late fee.
    LateFee,
    /// A returned-payment fee.
    NsfFee,
}

impl Kind {
    /// The waterfall bucket of an item of this kind.
    pub fn bucket(self, past_due: bool) -> Bucket {
        let current = match self {
            Kind::Interest => Bucket::InterestCurrent,
            Kind::Principal => Bucket::PrincipalCurrent,
            Kind::LateFee | Kind::NsfFee => Bucket::FeesCurrent,
        };
        if past_due { current.aged() } else { current }
    }

    /// Whether the item is a fee.
    pub fn is_fee(self) -> bool {
        matches!(self, Kind::LateFee | Kind::NsfFee)
    }
}

/// Something owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// What for.
    pub kind: Kind,
    /// The installment (1-based) it belongs to; none for a returned-payment fee.
    pub installment: Option<u32>,
    /// When it was charged.
    pub charged_on: NaiveDate,
    /// How much was charged, minor units.
    pub amount: i64,
    /// How much of it is paid, minor units.
    pub paid: i64,
    /// Whether a later due date passed with it unpaid.
    pub past_due: bool,
}

impl Item {
    /// What is still owed on it.
    pub fn unpaid(&self) -> i64 {
        self.amount - self.paid
    }
}

/// How one payment was applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// To fees, minor units.
    pub fees: i64,
    /// To interest.
    pub interest: i64,
    /// To principal billed.
    pub principal: i64,
    /// To principal not yet due (prepaid).
    pub principal_prepaid: i64,
    /// Held as credit for the next charges.
    pub pay_ahead: i64,
    /// Held unapplied (after a payoff: the excess to refund).
    pub unapplied: i64,
    /// Credit held before (pay-ahead and unapplied) that a payoff used.
    pub from_credit: i64,
}

/// Running totals over the loan's life, minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Received in payments standing (reversed payments excluded).
    pub received: i64,
    /// Interest billed (earned and made payable).
    pub interest_billed: i64,
    /// Fees charged.
    pub fees_charged: i64,
    /// Principal repaid (billed and prepaid).
    pub principal_paid: i64,
    /// Interest paid.
    pub interest_paid: i64,
    /// Fees paid.
    pub fees_paid: i64,
}

/// A loan's position at the start of a date, the events of that date included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Interest has accrued for every day before this one.
    pub date: NaiveDate,
    /// Principal outstanding, billed or not, minor units.
    pub principal: i64,
    /// Principal not yet billed.
    pub principal_unbilled: i64,
    /// Interest accrued and not yet billed, unrounded, in the currency's major unit.
    pub accrued: Decimal,
    /// Installments billed so far.
    pub billed: u32,
    /// Installments whose grace period has ended.
    pub grace_ended: u32,
    /// Items not fully paid, in the order they were charged.
    pub open: Vec<Item>,
    /// Credit that pays the next charges.
    pub pay_ahead: i64,
    /// Held unapplied (an overpayment held, or a refund owed after payoff).
    pub unapplied: i64,
    /// The loan's totals.
    pub totals: Totals,
    /// When the loan was paid off.
    pub paid_off_on: Option<NaiveDate>,
}

/// What [`Position`] keeps besides itself when asked for its history: every item, paid
/// ones included, and each payment's application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Items fully paid, in the order they were closed.
    pub closed: Vec<Item>,
    /// Each payment's id, date and application, in the order they applied.
    pub payments: Vec<(String, NaiveDate, Applied)>,
}

/// A payoff quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payoff {
    /// Paying this on `good_through` closes the loan, minor units.
    pub amount: i64,
    /// Of it, principal.
    pub principal: i64,
    /// Of it, interest (billed and unpaid, and accrued to the day before).
    pub interest: i64,
    /// Of it, fees.
    pub fees: i64,
    /// Credit held and deducted.
    pub credit: i64,
    /// Interest of one more day, unrounded.
    pub per_diem: Decimal,
    /// The day the amount is good for.
    pub good_through: NaiveDate,
}

impl Position {
    /// The position on the day of disbursement.
    ///
    /// An imported loan starts with what it owed: interest accrued (past due, when the
    /// loan was, otherwise accrued and billed with the next installment), fees, and the
    /// principal past due.
    pub fn booked(terms: &Terms) -> Position {
        let opening = terms.opening;
        let mut position = Position {
            date: terms.start_date,
            principal: terms.principal,
            principal_unbilled: terms.principal - opening.past_due_principal,
            accrued: Decimal::ZERO,
            billed: 0,
            grace_ended: 0,
            open: Vec::new(),
            pay_ahead: 0,
            unapplied: 0,
            totals: Totals::default(),
            paid_off_on: None,
        };
        let owed_since = opening.past_due_since.unwrap_or(terms.start_date);
        let past_due = opening.past_due_since.is_some();
        if past_due {
            position.charge(Kind::Interest, None, owed_since, opening.interest);
            position.totals.interest_billed += opening.interest;
        } else {
            position.accrued = terms.money(opening.interest).amount();
        }
        position.charge(
            Kind::Principal,
            None,
            owed_since,
            opening.past_due_principal,
        );
        position.charge(Kind::LateFee, None, owed_since, opening.fees);
        for item in &mut position.open {
            item.past_due = past_due;
        }
        position
    }

    /// Whether the loan is paid off.
    pub fn is_paid_off(&self) -> bool {
        self.paid_off_on.is_some()
    }

    /// Interest accrued and not yet billed, rounded to the cent.
    pub fn accrued_rounded(&self, terms: &Terms) -> Result<i64, ServicingError> {
        Ok(INTEREST_ROUNDING
            .round_money(self.accrued, terms.currency)?
            .to_minor())
    }

    /// What is owed and unpaid of items of `kind`.
    pub fn unpaid(&self, kind: impl Fn(Kind) -> bool) -> i64 {
        self.open
            .iter()
            .filter(|i| kind(i.kind))
            .map(Item::unpaid)
            .sum()
    }

    /// Unpaid per bucket.
    fn dues(&self, terms: &Terms) -> Result<Dues, ServicingError> {
        let mut dues = Dues::zero(terms.currency);
        for item in &self.open {
            dues.add(item.kind.bucket(item.past_due), terms.money(item.unpaid()))?;
        }
        Ok(dues)
    }

    /// The date the next calendar event falls on, if any: a due date or a grace end.
    pub fn next_calendar_date(&self, terms: &Terms) -> Option<NaiveDate> {
        if self.is_paid_off() {
            return None;
        }
        let due = terms.schedule.get(self.billed as usize).map(|s| s.due_date);
        let grace = (self.grace_ended < self.billed)
            .then(|| grace_end(terms, self.grace_ended))
            .flatten();
        match (due, grace) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Accrues interest up to `date` (not including it) and processes every due date and
    /// grace end on or before it.
    pub fn advance_to(
        &mut self,
        terms: &Terms,
        date: NaiveDate,
        history: &mut Option<History>,
    ) -> Result<(), ServicingError> {
        if date < self.date {
            return Err(ServicingError::BeforePosition);
        }
        while let Some(next) = self.next_calendar_date(terms).filter(|d| *d <= date) {
            self.accrue_to(terms, next)?;
            let due_now = terms
                .schedule
                .get(self.billed as usize)
                .is_some_and(|s| s.due_date == next);
            if due_now {
                self.bill(terms, next, history)?;
            } else {
                self.end_grace(terms, next, history)?;
            }
        }
        self.accrue_to(terms, date)
    }

    fn accrue_to(&mut self, terms: &Terms, date: NaiveDate) -> Result<(), ServicingError> {
        if date > self.date && self.principal > 0 {
            let accrued = accrual::accrue(
                terms.money(self.principal),
                terms.rate()?,
                terms.day_count,
                self.date,
                date,
                &[],
            )?;
            self.accrued += accrued.interest_exact;
        }
        self.date = self.date.max(date);
        Ok(())
    }

    /// Bills the next installment on its due date.
    fn bill(
        &mut self,
        terms: &Terms,
        date: NaiveDate,
        history: &mut Option<History>,
    ) -> Result<(), ServicingError> {
        for item in &mut self.open {
            item.past_due = true;
        }
        let index = self.billed as usize;
        let number = self.billed + 1;
        let last = index + 1 == terms.schedule.len();
        let interest_due = self.accrued_rounded(terms)?;
        let (interest, principal) = if last {
            (interest_due, self.principal_unbilled)
        } else {
            let payment = terms.schedule[index].payment;
            let interest = interest_due.min(payment);
            (interest, (payment - interest).min(self.principal_unbilled))
        };
        self.accrued -= terms.money(interest).amount();
        if last {
            // Less than half a cent may be left: nothing more is owed after the last bill.
            self.accrued = Decimal::ZERO;
        }
        self.principal_unbilled -= principal;
        self.totals.interest_billed += interest;
        self.billed += 1;
        self.charge(Kind::Interest, Some(number), date, interest);
        self.charge(Kind::Principal, Some(number), date, principal);
        self.use_credit(terms, history)?;
        self.settle_if_done(date);
        Ok(())
    }

    /// The grace period of the oldest installment still in grace ends on `date`.
    fn end_grace(
        &mut self,
        terms: &Terms,
        date: NaiveDate,
        history: &mut Option<History>,
    ) -> Result<(), ServicingError> {
        self.grace_ended += 1;
        let number = self.grace_ended;
        let unpaid = self
            .open
            .iter()
            .any(|i| i.installment == Some(number) && !i.kind.is_fee() && i.unpaid() > 0);
        if unpaid && terms.rules.late_fee > 0 {
            self.charge(Kind::LateFee, Some(number), date, terms.rules.late_fee);
            self.totals.fees_charged += terms.rules.late_fee;
            self.use_credit(terms, history)?;
        }
        Ok(())
    }

    fn charge(&mut self, kind: Kind, installment: Option<u32>, date: NaiveDate, amount: i64) {
        if amount > 0 {
            self.open.push(Item {
                kind,
                installment,
                charged_on: date,
                amount,
                paid: 0,
                past_due: false,
            });
        }
    }

    /// A returned-payment fee, charged on `date`.
    pub fn charge_nsf(
        &mut self,
        terms: &Terms,
        date: NaiveDate,
        history: &mut Option<History>,
    ) -> Result<(), ServicingError> {
        let fee = terms.rules.nsf_fee;
        if fee > 0 {
            self.paid_off_on = None;
            self.charge(Kind::NsfFee, None, date, fee);
            self.totals.fees_charged += fee;
            self.use_credit(terms, history)?;
        }
        Ok(())
    }

    /// Pay-ahead credit pays what was just charged.
    fn use_credit(
        &mut self,
        terms: &Terms,
        history: &mut Option<History>,
    ) -> Result<(), ServicingError> {
        if self.pay_ahead > 0 {
            let credit = self.pay_ahead;
            let (applied, left) = self.pay(terms, credit, history)?;
            self.pay_ahead = left;
            debug_assert_eq!(
                applied.fees + applied.interest + applied.principal + left,
                credit
            );
        }
        Ok(())
    }

    /// Splits `amount` over what is owed by the waterfall; the application and what is left.
    fn pay(
        &mut self,
        terms: &Terms,
        amount: i64,
        history: &mut Option<History>,
    ) -> Result<(Applied, i64), ServicingError> {
        let allocation = allocation::allocate(
            terms.money(amount),
            &self.dues(terms)?,
            &terms.rules.waterfall()?,
            terms.rules.overpayment,
        )?;
        let mut applied = Applied::default();
        for (bucket, paid) in allocation.applied {
            let mut left = paid.to_minor();
            for item in self
                .open
                .iter_mut()
                .filter(|i| i.kind.bucket(i.past_due) == bucket)
            {
                let part = left.min(item.unpaid());
                item.paid += part;
                left -= part;
                match item.kind {
                    Kind::Interest => applied.interest += part,
                    Kind::Principal => applied.principal += part,
                    Kind::LateFee | Kind::NsfFee => applied.fees += part,
                }
            }
            debug_assert_eq!(left, 0, "a bucket pays no more than its items owe");
        }
        self.totals.interest_paid += applied.interest;
        self.totals.fees_paid += applied.fees;
        self.totals.principal_paid += applied.principal;
        self.principal -= applied.principal;
        let (closed, open): (Vec<Item>, Vec<Item>) =
            self.open.drain(..).partition(|i| i.unpaid() == 0);
        self.open = open;
        if let Some(history) = history {
            history.closed.extend(closed);
        }
        Ok((applied, allocation.excess.to_minor()))
    }

    /// What paying the loan off takes on this position's date.
    pub fn payoff(&self, terms: &Terms) -> Result<Payoff, ServicingError> {
        let accrued = self.accrued_rounded(terms)?;
        let interest = self.unpaid(|k| k == Kind::Interest) + accrued;
        let fees = self.unpaid(Kind::is_fee);
        let credit = self.pay_ahead + self.unapplied;
        let amount = (self.principal + interest + fees - credit).max(0);
        let per_diem = if self.principal > 0 {
            accrual::per_diem(
                terms.money(self.principal),
                terms.rate()?,
                terms.day_count,
                self.date,
            )
        } else {
            Decimal::ZERO
        };
        Ok(Payoff {
            amount,
            principal: self.principal,
            interest,
            fees,
            credit,
            per_diem,
            good_through: self.date,
        })
    }

    /// Applies a payment of `amount` received on this position's date.
    pub fn apply_payment(
        &mut self,
        terms: &Terms,
        id: &str,
        amount: i64,
        history: &mut Option<History>,
    ) -> Result<Applied, ServicingError> {
        self.totals.received += amount;
        let applied = if self.is_paid_off() {
            // Paid off already (a payment entered earlier but dated later than a payoff
            // that a backdated payment brought forward): held, to be refunded.
            self.unapplied += amount;
            Applied {
                unapplied: amount,
                ..Applied::default()
            }
        } else if amount >= self.payoff(terms)?.amount {
            // Settlement: everything left is billed today and paid with the credit held.
            let interest = self.accrued_rounded(terms)?;
            self.accrued = Decimal::ZERO;
            self.totals.interest_billed += interest;
            let number =
                (self.billed as usize).min(terms.schedule.len().saturating_sub(1)) as u32 + 1;
            let principal = self.principal_unbilled;
            self.principal_unbilled = 0;
            self.charge(Kind::Interest, Some(number), self.date, interest);
            self.charge(Kind::Principal, Some(number), self.date, principal);
            self.billed = terms.schedule.len() as u32;
            self.grace_ended = self.billed;
            let credit = self.pay_ahead + self.unapplied;
            self.pay_ahead = 0;
            self.unapplied = 0;
            let (mut applied, left) = self.pay(terms, amount + credit, history)?;
            debug_assert!(self.open.is_empty() && self.principal == 0);
            self.unapplied = left;
            applied.unapplied = left;
            applied.from_credit = credit;
            applied
        } else {
            let (mut applied, left) = self.pay(terms, amount, history)?;
            match terms.rules.overpayment {
                OverpaymentPolicy::ReducePrincipal => {
                    let prepaid = left.min(self.principal_unbilled);
                    self.principal_unbilled -= prepaid;
                    self.principal -= prepaid;
                    self.totals.principal_paid += prepaid;
                    applied.principal_prepaid = prepaid;
                    applied.unapplied = left - prepaid;
                    self.unapplied += left - prepaid;
                }
                OverpaymentPolicy::PayAhead => {
                    applied.pay_ahead = left;
                    self.pay_ahead += left;
                }
                OverpaymentPolicy::HoldUnapplied => {
                    applied.unapplied = left;
                    self.unapplied += left;
                }
            }
            applied
        };
        self.settle_if_done(self.date);
        if let Some(history) = history {
            history
                .payments
                .push((id.to_string(), self.date, applied.clone()));
        }
        Ok(applied)
    }

    /// Marks the loan paid off when nothing is owed any more.
    fn settle_if_done(&mut self, date: NaiveDate) {
        let nothing_owed = self.principal == 0 && self.open.is_empty();
        if nothing_owed && self.accrued.round_dp(2).is_zero() && self.paid_off_on.is_none() {
            self.accrued = Decimal::ZERO;
            self.paid_off_on = Some(date);
        }
    }

    /// Days past due on this position's date: the age of the oldest interest or principal
    /// billed and unpaid (billed on its due date).
    pub fn days_past_due(&self) -> i64 {
        self.open
            .iter()
            .filter(|i| !i.kind.is_fee())
            .map(|i| i.charged_on)
            .min()
            .map_or(0, |since| (self.date - since).num_days().max(0))
    }
}

/// The day installment `index` (0-based) is charged a late fee if still unpaid.
fn grace_end(terms: &Terms, index: u32) -> Option<NaiveDate> {
    terms
        .schedule
        .get(index as usize)?
        .due_date
        .checked_add_days(Days::new(u64::from(terms.rules.grace_days) + 1))
}

/// The money library's errors, as servicing reports them.
impl From<lendmath::money::MoneyError> for ServicingError {
    fn from(error: lendmath::money::MoneyError) -> Self {
        ServicingError::Arithmetic(error.to_string())
    }
}

impl From<accrual::AccrualError> for ServicingError {
    fn from(error: accrual::AccrualError) -> Self {
        ServicingError::Arithmetic(error.to_string())
    }
}

impl From<allocation::AllocationError> for ServicingError {
    fn from(error: allocation::AllocationError) -> Self {
        ServicingError::Arithmetic(error.to_string())
    }
}
