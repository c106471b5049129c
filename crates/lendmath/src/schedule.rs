//! Amortization schedules: level payment (annuity), level principal, and interest-only
//! with a balloon; odd (short or long) first periods; fees financed or paid at closing.
//!
//! Rounding rules, each applied in exactly one place:
//! * interest of a period is rounded half-up to the minor unit ([`INTEREST_ROUNDING`]);
//! * the level payment is rounded half-up ([`PAYMENT_ROUNDING`]);
//! * the level principal portion is rounded down ([`LEVEL_PRINCIPAL_ROUNDING`]), so no
//!   installment before the last can overshoot the balance;
//! * the last installment takes whatever principal remains, so principal sums exactly to
//!   the note amount and the final balance is zero.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::MathematicalOps;

use crate::daycount::DayCount;
use crate::frequency::Frequency;
use crate::money::{Currency, Money, MoneyError};
use crate::rate::AnnualRate;
use crate::rounding::RoundingMode;
use crate::tila::{self, AprError, ScheduledPayment, TilaFigures, UnitPeriod};

/// Most installments in one schedule: 30 years of weekly installments (1560), the
/// longest term at the finest frequency we offer. Bounds memory and the APR solver.
pub const TERM_INSTALLMENTS_MAX: u32 = 1560;

/// Largest note amount in minor units (10^13: 100 billion dollars, 10 trillion yen).
/// Beyond any single loan, and small enough that balance times rate factors stays
/// far inside the 28 significant digits of decimal arithmetic.
pub const PRINCIPAL_MINOR_MAX: i64 = 10_000_000_000_000;

/// Most fees on one loan. A loan estimate lists a handful; 50 is generous and bounded.
pub const FEES_MAX: usize = 50;

/// Rounding of each period's interest.
pub const INTEREST_ROUNDING: RoundingMode = RoundingMode::HalfUp;
/// Rounding of the level payment.
pub const PAYMENT_ROUNDING: RoundingMode = RoundingMode::HalfUp;
/// Rounding of the level principal portion.
pub const LEVEL_PRINCIPAL_ROUNDING: RoundingMode = RoundingMode::Down;

/// How principal is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmortizationMethod {
    /// Equal installments of principal and interest (annuity, EMI).
    LevelPayment,
    /// Equal principal portions plus the interest of each period.
    LevelPrincipal,
    /// Interest only, with the whole principal due with the last installment (balloon).
    InterestOnly,
}

/// A fee charged at origination, treated as a prepaid finance charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fee {
    /// The fee.
    pub amount: Money,
    /// True when the fee is added to the note amount; false when paid at closing.
    pub financed: bool,
}

/// The terms a schedule is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanTerms {
    /// Amount disbursed to the borrower (before financed fees are added).
    pub principal: Money,
    /// Nominal annual interest rate.
    pub annual_rate: AnnualRate,
    /// Number of installments.
    pub term_installments: u32,
    /// Installment frequency.
    pub frequency: Frequency,
    /// Disbursement date; interest starts here.
    pub start_date: NaiveDate,
    /// First due date; `None` means one regular period after the start date.
    pub first_payment_date: Option<NaiveDate>,
    /// Day-count convention for interest.
    pub day_count: DayCount,
    /// Repayment method.
    pub method: AmortizationMethod,
    /// Origination fees.
    pub fees: Vec<Fee>,
}

/// One installment of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Installment {
    /// 1-based position.
    pub number: u32,
    /// Due date.
    pub due_date: NaiveDate,
    /// Amount due: principal plus interest.
    pub payment: Money,
    /// Principal portion.
    pub principal: Money,
    /// Interest portion.
    pub interest: Money,
    /// Principal balance after this installment.
    pub balance: Money,
}

/// A complete schedule with its totals and disclosure figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The note amount: principal plus financed fees.
    pub note_amount: Money,
    /// The regular installment (the first installment's payment).
    pub payment_regular: Money,
    /// Every installment, in due order.
    pub installments: Vec<Installment>,
    /// Sum of interest portions.
    pub total_interest: Money,
    /// Truth-in-lending figures.
    pub tila: TilaFigures,
}

/// Why a schedule could not be built; each variant names the term at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Principal is zero or negative.
    #[error("principal must be greater than zero")]
    PrincipalNotPositive,
    /// Note amount above [`PRINCIPAL_MINOR_MAX`].
    #[error("principal plus financed fees exceeds the maximum supported loan amount")]
    PrincipalTooLarge,
    /// Zero installments.
    #[error("term must be at least 1 installment")]
    TermZero,
    /// More than [`TERM_INSTALLMENTS_MAX`] installments.
    #[error("term must not exceed {TERM_INSTALLMENTS_MAX} installments")]
    TermTooLong,
    /// More than [`FEES_MAX`] fees.
    #[error("at most {FEES_MAX} fees are supported")]
    TooManyFees,
    /// A fee is negative, or in another currency.
    #[error("fee {index} must be zero or more, in the loan's currency")]
    FeeInvalid {
        /// Zero-based position of the fee.
        index: usize,
    },
    /// Fees paid at closing leave nothing financed.
    #[error("fees paid at closing must be less than the principal")]
    FeesExceedPrincipal,
    /// First payment not after the start.
    #[error("first payment date must be after the start date")]
    FirstPaymentNotAfterStart,
    /// First period longer than two regular periods.
    #[error("first payment date must be within two regular periods of the start date")]
    FirstPeriodTooLong,
    /// A due date beyond the calendar.
    #[error("the schedule runs past the last supported date")]
    DateOutOfRange,
    /// Money arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// The APR could not be computed.
    #[error("annual percentage rate: {0}")]
    Apr(#[from] AprError),
}

/// Builds the schedule and its disclosure figures.
pub fn build_schedule(terms: &LoanTerms) -> Result<Schedule, ScheduleError> {
    if let Some(first) = check_terms(terms).into_iter().next() {
        return Err(first);
    }
    let currency = terms.principal.currency();
    let (financed_fees, closing_fees) = sum_fees(&terms.fees, currency)?;
    let note_amount = terms.principal.checked_add(&financed_fees)?;
    if note_amount.to_minor() > PRINCIPAL_MINOR_MAX {
        return Err(ScheduleError::PrincipalTooLarge);
    }
    let due_dates = due_dates(terms)?;
    let period_rates = period_rates(terms, &due_dates);
    let installments = amortize(note_amount, terms.method, &due_dates, &period_rates)?;

    let mut total_interest = Money::zero(currency);
    let mut total_principal = Money::zero(currency);
    for installment in &installments {
        total_interest = total_interest.checked_add(&installment.interest)?;
        total_principal = total_principal.checked_add(&installment.principal)?;
    }
    // Pair assertion: principal repaid is exactly the note amount, nothing is left.
    assert_eq!(
        total_principal, note_amount,
        "principal must sum to the note amount"
    );
    assert!(installments.last().is_some_and(|i| i.balance.is_zero()));

    let payments: Vec<ScheduledPayment> = installments
        .iter()
        .map(|i| ScheduledPayment {
            date: i.due_date,
            amount: i.payment,
        })
        .collect();
    let prepaid_finance_charges = financed_fees.checked_add(&closing_fees)?;
    let tila = tila::tila_figures(
        note_amount,
        prepaid_finance_charges,
        terms.start_date,
        &payments,
        UnitPeriod::of_frequency(terms.frequency),
    )?;
    Ok(Schedule {
        note_amount,
        payment_regular: installments[0].payment,
        installments,
        total_interest,
        tila,
    })
}

fn sum_fees(fees: &[Fee], currency: Currency) -> Result<(Money, Money), ScheduleError> {
    if fees.len() > FEES_MAX {
        return Err(ScheduleError::TooManyFees);
    }
    let mut financed = Money::zero(currency);
    let mut closing = Money::zero(currency);
    for (index, fee) in fees.iter().enumerate() {
        if fee.amount.is_negative() || fee.amount.currency() != currency {
            return Err(ScheduleError::FeeInvalid { index });
        }
        let total = if fee.financed {
            &mut financed
        } else {
            &mut closing
        };
        *total = total.checked_add(&fee.amount)?;
    }
    Ok((financed, closing))
}

/// Every rule `terms` break, independent ones all reported (a negative principal does not
/// hide a zero term), in the order principal, fees, term, first payment date. Empty when
/// [`build_schedule`] can build them.
pub fn check_terms(terms: &LoanTerms) -> Vec<ScheduleError> {
    let mut errors = Vec::new();
    let principal_ok = if !terms.principal.is_positive() {
        errors.push(ScheduleError::PrincipalNotPositive);
        false
    } else if terms.principal.to_minor() > PRINCIPAL_MINOR_MAX {
        errors.push(ScheduleError::PrincipalTooLarge);
        false
    } else {
        true
    };
    let currency = terms.principal.currency();
    if terms.fees.len() > FEES_MAX {
        errors.push(ScheduleError::TooManyFees);
    } else {
        let invalid: Vec<usize> = terms
            .fees
            .iter()
            .enumerate()
            .filter(|(_, fee)| fee.amount.is_negative() || fee.amount.currency() != currency)
            .map(|(index, _)| index)
            .collect();
        errors.extend(
            invalid
                .iter()
                .map(|&index| ScheduleError::FeeInvalid { index }),
        );
        if invalid.is_empty()
            && principal_ok
            && let Ok((_, closing)) = sum_fees(&terms.fees, currency)
            && closing.to_minor() >= terms.principal.to_minor()
        {
            errors.push(ScheduleError::FeesExceedPrincipal);
        }
    }
    if terms.term_installments == 0 {
        errors.push(ScheduleError::TermZero);
    } else if terms.term_installments > TERM_INSTALLMENTS_MAX {
        errors.push(ScheduleError::TermTooLong);
    }
    if let Some(first) = terms.first_payment_date {
        match terms.frequency.due_date(terms.start_date, 2) {
            _ if first <= terms.start_date => errors.push(ScheduleError::FirstPaymentNotAfterStart),
            None => errors.push(ScheduleError::DateOutOfRange),
            Some(latest) if first > latest => errors.push(ScheduleError::FirstPeriodTooLong),
            Some(_) => {}
        }
    }
    errors
}

fn due_dates(terms: &LoanTerms) -> Result<Vec<NaiveDate>, ScheduleError> {
    let first = match terms.first_payment_date {
        Some(first) => first,
        None => terms
            .frequency
            .next_after(terms.start_date)
            .ok_or(ScheduleError::DateOutOfRange)?,
    };
    (0..terms.term_installments)
        .map(|index| {
            terms
                .frequency
                .due_date(first, index)
                .ok_or(ScheduleError::DateOutOfRange)
        })
        .collect()
}

/// The interest rate of each period as a fraction. Regular periods under a 30/360
/// convention with a month-based or semi-monthly frequency are exactly 1/periods of a
/// year (the point of 30/360); every other period, including an odd first period, is the
/// convention's year fraction between its dates.
fn period_rates(terms: &LoanTerms, due_dates: &[NaiveDate]) -> Vec<Decimal> {
    let annual = terms.annual_rate.fraction();
    let regular_first = terms.frequency.next_after(terms.start_date) == Some(due_dates[0]);
    let day_based = terms.frequency.days_per_period().is_some();
    let periodic = terms
        .annual_rate
        .periodic(terms.frequency.periods_per_year())
        .fraction();
    // Every convention but Actual/Actual depends on the days between the dates alone, and
    // periods have only a few distinct lengths: each is divided out once.
    let by_days = terms.day_count != DayCount::ActualActualIsda;
    let mut known: Vec<(i64, Decimal)> = Vec::new();
    let mut previous = terms.start_date;
    let mut rates = Vec::with_capacity(due_dates.len());
    for (index, &due) in due_dates.iter().enumerate() {
        let regular = index > 0 || regular_first;
        let rate = if regular && terms.day_count.is_thirty_360() && !day_based {
            periodic
        } else if by_days {
            let days = terms.day_count.days(previous, due);
            match known.iter().find(|(d, _)| *d == days) {
                Some(&(_, rate)) => rate,
                None => {
                    let rate = annual * terms.day_count.year_fraction(previous, due);
                    known.push((days, rate));
                    rate
                }
            }
        } else {
            annual * terms.day_count.year_fraction(previous, due)
        };
        rates.push(rate);
        previous = due;
    }
    rates
}

/// The level monthly installment quoted for `principal` over `months` at `annual_rate` (a
/// fraction), every month a twelfth of a year (30/360) and rounded like a schedule's
/// payment ([`PAYMENT_ROUNDING`]) to cents: what affordability checks and offers use before
/// a schedule with real dates exists. `None` for no months, a negative input or overflow.
pub fn quoted_monthly_payment(
    principal: Decimal,
    annual_rate: Decimal,
    months: u32,
) -> Option<Decimal> {
    if principal.is_sign_negative() {
        return None;
    }
    let exact = principal.checked_div(monthly_annuity_factor(annual_rate, months)?)?;
    Some(PAYMENT_ROUNDING.round_decimal(exact, 2))
}

/// `Σ_k (1 + r/12)^-k` over `months` months (just `months` at a zero rate): principal over
/// this factor is the level payment. `None` for no months or a negative rate.
fn monthly_annuity_factor(annual_rate: Decimal, months: u32) -> Option<Decimal> {
    if months == 0 || annual_rate.is_sign_negative() {
        return None;
    }
    let monthly = annual_rate / Decimal::from(12);
    let mut discount = Decimal::ONE;
    let mut factor = Decimal::ZERO;
    for _ in 0..months {
        discount /= Decimal::ONE + monthly;
        factor += discount;
    }
    Some(factor)
}

/// The largest principal, in whole cents, whose [`quoted_monthly_payment`] at `annual_rate`
/// over `months` is at most `payment`: how far a counter-offer may go for an affordable
/// payment. `None` for no months or a negative input.
pub fn principal_for_payment(
    payment: Decimal,
    annual_rate: Decimal,
    months: u32,
) -> Option<Decimal> {
    if payment.is_sign_negative() {
        return None;
    }
    // payment × annuity factor, then a cent at a time to the last principal whose quote
    // fits: rounding the quote to the cent moves it by at most half a cent, i.e. by at
    // most half a cent times the factor (a few dozen cents) of principal.
    let factor = monthly_annuity_factor(annual_rate, months)?;
    let mut principal = (payment.checked_mul(factor)?).trunc_with_scale(2);
    let cent = Decimal::new(1, 2);
    while quoted_monthly_payment(principal + cent, annual_rate, months)? <= payment {
        principal += cent;
    }
    while principal.is_sign_positive()
        && !principal.is_zero()
        && quoted_monthly_payment(principal, annual_rate, months)? > payment
    {
        principal -= cent;
    }
    Some(principal.max(Decimal::ZERO))
}

/// The exact level payment that brings the balance to zero when period `k` earns
/// `rates[k]`: `P / Σ_k Π_{j≤k} 1/(1+r_j)`. Discount factors only shrink, so long terms
/// at high rates cannot overflow.
///
/// Consecutive periods at one rate `r` add a geometric series in closed form,
/// `D · v · (1 − v^m) / (1 − v)` with `v = 1/(1+r)` and `D` the discount before them, so a
/// regular schedule costs a few operations, not one division per installment.
fn level_payment_exact(note_amount: Decimal, rates: &[Decimal]) -> Decimal {
    let mut discount = Decimal::ONE;
    let mut annuity_factor = Decimal::ZERO;
    let mut index = 0;
    while index < rates.len() {
        let rate = rates[index];
        let run = rates[index..].iter().take_while(|r| **r == rate).count();
        if rate.is_zero() {
            annuity_factor += discount * Decimal::from(run as u64);
        } else {
            let v = Decimal::ONE / (Decimal::ONE + rate);
            let v_run = v.powu(run as u64);
            annuity_factor += discount * v * (Decimal::ONE - v_run) / (Decimal::ONE - v);
            discount *= v_run;
        }
        index += run;
    }
    note_amount / annuity_factor
}

fn amortize(
    note_amount: Money,
    method: AmortizationMethod,
    due_dates: &[NaiveDate],
    rates: &[Decimal],
) -> Result<Vec<Installment>, ScheduleError> {
    let currency = note_amount.currency();
    let count = due_dates.len();
    let level_payment =
        PAYMENT_ROUNDING.round_money(level_payment_exact(note_amount.amount(), rates), currency)?;
    let level_principal = LEVEL_PRINCIPAL_ROUNDING
        .round_money(note_amount.amount() / Decimal::from(count as u64), currency)?;
    let zero = Money::zero(currency);
    let mut balance = note_amount;
    let mut installments = Vec::with_capacity(count);
    for (index, (&due_date, rate)) in due_dates.iter().zip(rates).enumerate() {
        let interest = INTEREST_ROUNDING.round_money(balance.amount() * rate, currency)?;
        let last = index + 1 == count;
        let principal_wanted = match method {
            _ if last => balance,
            AmortizationMethod::LevelPayment => level_payment.checked_sub(&interest)?,
            AmortizationMethod::LevelPrincipal => level_principal,
            AmortizationMethod::InterestOnly => zero,
        };
        // Never negative (rounding at tiny amounts), never more than is owed.
        let principal = if principal_wanted.is_negative() {
            zero
        } else {
            principal_wanted.checked_min(&balance)?
        };
        balance = balance.checked_sub(&principal)?;
        installments.push(Installment {
            number: index as u32 + 1,
            due_date,
            payment: principal.checked_add(&interest)?,
            principal,
            interest,
            balance,
        });
    }
    Ok(installments)
}

#[cfg(test)]
mod tests;
