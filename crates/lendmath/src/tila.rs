//! Truth-in-lending figures and the annual percentage rate by the actuarial method of
//! US Regulation Z, Appendix J (12 CFR 1026, Appendix J).
//!
//! The general equation of Appendix J (b)(8), for a single advance `A` on the advance date
//! and payments `P_k`:
//!
//! ```text
//! A = Σ P_k / ((1 + f_k·i) · (1 + i)^t_k)
//! ```
//!
//! where `t_k` is the number of full unit periods and `f_k` the remaining fraction of a
//! unit period from the advance to payment `k`, both measured back from the payment date
//! (Appendix J (b)(5)), and `i` is the rate per unit period. The APR is `i` times the
//! number of unit periods in a year. The equation is solved with Newton's method inside a
//! bisection bracket, entirely in decimal arithmetic.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::MathematicalOps;

use crate::frequency::{Frequency, add_months, is_last_day_of_month};
use crate::money::{Money, MoneyError};
use crate::rounding::RoundingMode;

/// Most payments one APR computation accepts. 40 years of weekly payments is 2080; no
/// closed-end loan we service has more, and the solver's cost grows linearly with it.
pub const APR_PAYMENTS_MAX: usize = 2100;

/// Most solver iterations. Newton's method converges in well under 20 steps for loan
/// streams; the bisection fallback halves a bracket of width 10 to below 1e-20 in about
/// 70 steps. Beyond this the stream is pathological and we say so instead of spinning.
pub const APR_SOLVER_ITERATIONS_MAX: u32 = 200;

/// Highest rate per unit period the solver searches (1000 percent per unit period).
/// A stream needing more is rejected: no lawful closed-end credit comes near it.
const UNIT_RATE_MAX: Decimal = Decimal::TEN;

/// The solver stops when a step moves the unit-period rate by less than this. 1e-20 of
/// a unit-period rate is far below the 0.01 percentage point disclosure precision.
const UNIT_RATE_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 20);

/// Longest span of unit periods counted between an advance and a payment (a safety cap on
/// the counting loop: 100 years of semimonths).
const UNIT_PERIODS_COUNTED_MAX: u32 = 2400;

/// Decimals of the APR as disclosed (Regulation Z discloses to two decimals).
pub const APR_DISCLOSED_DECIMALS: u32 = 2;

/// Decimals of `apr_exact`.
pub const APR_EXACT_DECIMALS: u32 = 8;

/// The unit period of Appendix J (b)(4): the common interval that occurs most often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitPeriod {
    /// A whole number of months (1 monthly, 3 quarterly, 12 yearly).
    Months(u32),
    /// A half month.
    SemiMonth,
    /// A whole number of days (7 weekly, 14 biweekly, or a single-payment term in days).
    Days(u32),
}

impl UnitPeriod {
    /// The unit period of a regular payment frequency.
    pub fn of_frequency(frequency: Frequency) -> UnitPeriod {
        match frequency {
            Frequency::Weekly => UnitPeriod::Days(7),
            Frequency::Biweekly => UnitPeriod::Days(14),
            Frequency::SemiMonthly => UnitPeriod::SemiMonth,
            Frequency::Monthly => UnitPeriod::Months(1),
            Frequency::Quarterly => UnitPeriod::Months(3),
            Frequency::Annually => UnitPeriod::Months(12),
        }
    }

    /// Unit periods in a year (Appendix J (b)(4)): 12/k for months, 24 for semimonths,
    /// 52/w for w weeks, 365/d for other day counts.
    pub fn per_year(self) -> Decimal {
        match self {
            UnitPeriod::Months(months) => Decimal::from(12) / Decimal::from(months.max(1)),
            UnitPeriod::SemiMonth => Decimal::from(24),
            UnitPeriod::Days(days) if days % 7 == 0 => {
                Decimal::from(52) / Decimal::from(days.max(7) / 7)
            }
            UnitPeriod::Days(days) => Decimal::from(365) / Decimal::from(days.max(1)),
        }
    }

    /// Days that make a whole unit period when dividing odd days (Appendix J (b)(5)(iv)):
    /// 30 per month, 365 for a year, 15 for a semimonth, the days for day-based periods.
    pub fn fraction_divisor_days(self) -> u32 {
        match self {
            UnitPeriod::Months(12) => 365,
            UnitPeriod::Months(months) => 30 * months,
            UnitPeriod::SemiMonth => 15,
            UnitPeriod::Days(days) => days,
        }
    }

    /// A short name for responses: "month", "3 months", "semimonth", "week", "2 weeks",
    /// "255 days".
    pub fn name(self) -> String {
        match self {
            UnitPeriod::Months(1) => "month".to_string(),
            UnitPeriod::Months(12) => "year".to_string(),
            UnitPeriod::Months(months) => format!("{months} months"),
            UnitPeriod::SemiMonth => "semimonth".to_string(),
            UnitPeriod::Days(7) => "week".to_string(),
            UnitPeriod::Days(days) if days % 7 == 0 => format!("{} weeks", days / 7),
            UnitPeriod::Days(1) => "day".to_string(),
            UnitPeriod::Days(days) => format!("{days} days"),
        }
    }

    /// Full unit periods and remaining odd days from `advance` to `payment`, measured
    /// back from the payment date (Appendix J (b)(5)). `end_of_month` applies the rule
    /// for series scheduled on the last day of each month (Appendix J (b)(3)(iv)).
    pub fn count_back(
        self,
        advance: NaiveDate,
        payment: NaiveDate,
        end_of_month: bool,
    ) -> Option<(u32, u32)> {
        if payment < advance {
            return None;
        }
        let mut full_periods: u32 = 0;
        let mut cursor = payment;
        match self {
            UnitPeriod::Days(days) => {
                let span = u32::try_from((payment - advance).num_days()).ok()?;
                return Some((span / days, span % days));
            }
            UnitPeriod::Months(months) => {
                // Estimate from the calendar, then correct by at most a step either way.
                let span_months = (payment.year() - advance.year()) * 12 + payment.month() as i32
                    - advance.month() as i32;
                let estimate = u32::try_from(span_months.max(0)).ok()? / months;
                full_periods = estimate.saturating_sub(1);
                while full_periods < UNIT_PERIODS_COUNTED_MAX {
                    let back = sub_months(payment, (full_periods + 1) * months, end_of_month)?;
                    if back < advance {
                        break;
                    }
                    full_periods += 1;
                }
                if full_periods > 0 {
                    cursor = sub_months(payment, full_periods * months, end_of_month)?;
                }
                // Inside a multi-month unit period, the remainder is whole months counted
                // back at 30 days each, then the days left (App. J (c)(4)(ii): 1978-01-10
                // to 1978-03-01 is 1 month and 22 days, 52 odd days). A year unit counts
                // the remainder in actual days over 365.
                if (2..12).contains(&months) {
                    let mut whole_months = 0;
                    while whole_months + 1 < months {
                        let back = sub_months(cursor, 1, end_of_month)?;
                        if back < advance {
                            break;
                        }
                        cursor = back;
                        whole_months += 1;
                    }
                    let days = u32::try_from((cursor - advance).num_days()).ok()?;
                    return Some((full_periods, 30 * whole_months + days));
                }
            }
            UnitPeriod::SemiMonth => {
                while full_periods < UNIT_PERIODS_COUNTED_MAX {
                    let back = semimonth_back(cursor)?;
                    if back < advance {
                        break;
                    }
                    cursor = back;
                    full_periods += 1;
                }
            }
        }
        let odd_days = u32::try_from((cursor - advance).num_days()).ok()?;
        Some((full_periods, odd_days))
    }
}

fn sub_months(date: NaiveDate, months: u32, end_of_month: bool) -> Option<NaiveDate> {
    let moved = date.checked_sub_months(chrono::Months::new(months))?;
    if end_of_month {
        add_months(moved, 0, true)
    } else {
        Some(moved)
    }
}

/// One semimonth back: the 16th-30th go back 15 days in the same month; the 1st-15th go
/// to the same day + 15 of the previous month (clamped to its last day).
fn semimonth_back(date: NaiveDate) -> Option<NaiveDate> {
    if date.day() > 15 {
        return date.with_day(date.day() - 15);
    }
    let previous = date
        .with_day(1)?
        .checked_sub_months(chrono::Months::new(1))?;
    let last = crate::frequency::last_day_of_month(previous).day();
    previous.with_day((date.day() + 15).min(last))
}

/// One payment of a stream: its due date and amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledPayment {
    /// When the payment is due.
    pub date: NaiveDate,
    /// How much is due.
    pub amount: Money,
}

/// Why an APR could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AprError {
    /// No payments.
    #[error("the payment stream is empty")]
    NoPayments,
    /// More than [`APR_PAYMENTS_MAX`] payments.
    #[error("the payment stream has more than {APR_PAYMENTS_MAX} payments")]
    TooManyPayments,
    /// The amount financed is not positive.
    #[error("the amount financed must be greater than zero")]
    AmountFinancedNotPositive,
    /// A payment amount is negative.
    #[error("payment {index} must not be negative")]
    PaymentNegative {
        /// Zero-based position in the stream.
        index: usize,
    },
    /// A payment is due before the advance.
    #[error("payment {index} is due before the advance date")]
    PaymentBeforeAdvance {
        /// Zero-based position in the stream.
        index: usize,
    },
    /// Payments must be in date order.
    #[error("payment {index} is due before the payment preceding it")]
    PaymentsOutOfOrder {
        /// Zero-based position in the stream.
        index: usize,
    },
    /// The payments repay less than the amount financed: the APR would be negative.
    #[error("the payments total less than the amount financed")]
    PaymentsBelowAmountFinanced,
    /// The rate needed is beyond the solver's search range.
    #[error("the annual percentage rate is beyond the supported range")]
    RateOutOfRange,
    /// The solver did not converge within [`APR_SOLVER_ITERATIONS_MAX`] iterations.
    #[error("the annual percentage rate did not converge")]
    NoConvergence,
    /// Amounts in different currencies, or out of range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// The APR of a payment stream and how it was measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apr {
    /// The APR in percent rounded half-up to [`APR_DISCLOSED_DECIMALS`], as disclosed.
    pub apr_percent_disclosed: Decimal,
    /// The APR in percent with [`APR_EXACT_DECIMALS`] decimals.
    pub apr_percent_exact: Decimal,
    /// The unit period used.
    pub unit_period: UnitPeriod,
    /// Odd days of the first period (the fraction's numerator for the first payment).
    pub odd_days: u32,
    /// Full unit periods from the advance to the first payment.
    pub full_unit_periods_first: u32,
}

/// The unit period of an explicit payment stream (Appendix J (b)(4)): the interval that
/// occurs most often between consecutive payments, classified as months, semimonths or
/// days. A single payment uses its whole term when under a year, else a year.
pub fn infer_unit_period(advance: NaiveDate, payments: &[ScheduledPayment]) -> UnitPeriod {
    if payments.len() == 1 {
        let days = (payments[0].date - advance).num_days();
        return match u32::try_from(days) {
            Ok(days @ 1..365) => UnitPeriod::Days(days),
            _ => UnitPeriod::Months(12),
        };
    }
    // Candidate intervals, counted; ties go to the first seen (the earliest in the stream).
    let mut counts: Vec<(UnitPeriod, u32)> = Vec::new();
    for pair in payments.windows(2) {
        let interval = classify_interval(pair[0].date, pair[1].date);
        match counts.iter_mut().find(|(unit, _)| *unit == interval) {
            Some((_, count)) => *count += 1,
            None => counts.push((interval, 1)),
        }
    }
    let mut best = counts[0];
    for candidate in &counts[1..] {
        if candidate.1 > best.1 {
            best = *candidate;
        }
    }
    best.0
}

fn classify_interval(from: NaiveDate, to: NaiveDate) -> UnitPeriod {
    let end_of_month = is_last_day_of_month(from) && is_last_day_of_month(to);
    for months in 1..=12 {
        if add_months(from, months, end_of_month) == Some(to) {
            return UnitPeriod::Months(months);
        }
    }
    let days = u32::try_from((to - from).num_days()).unwrap_or(1).max(1);
    if (13..=16).contains(&days) && days != 14 {
        return UnitPeriod::SemiMonth;
    }
    UnitPeriod::Days(days)
}

/// Every rule the inputs of [`annual_percentage_rate`] break, independent ones all
/// reported: the payment count, the amount financed, each payment's amount and date, then
/// (when all of those hold) payments that do not cover the amount financed.
pub fn check_apr_inputs(
    amount_financed: Money,
    advance_date: NaiveDate,
    payments: &[ScheduledPayment],
) -> Vec<AprError> {
    let mut errors = Vec::new();
    if payments.is_empty() {
        errors.push(AprError::NoPayments);
    } else if payments.len() > APR_PAYMENTS_MAX {
        errors.push(AprError::TooManyPayments);
    }
    if !amount_financed.is_positive() {
        errors.push(AprError::AmountFinancedNotPositive);
    }
    let mut total = Some(Money::zero(amount_financed.currency()));
    let mut previous = advance_date;
    for (index, payment) in payments.iter().enumerate().take(APR_PAYMENTS_MAX) {
        if payment.amount.is_negative() {
            errors.push(AprError::PaymentNegative { index });
        } else if payment.date < advance_date {
            errors.push(AprError::PaymentBeforeAdvance { index });
        } else if payment.date < previous {
            errors.push(AprError::PaymentsOutOfOrder { index });
        }
        previous = previous.max(payment.date);
        total = total.and_then(|t| t.checked_add(&payment.amount).ok());
    }
    if errors.is_empty() && total.is_some_and(|total| total.to_minor() < amount_financed.to_minor())
    {
        errors.push(AprError::PaymentsBelowAmountFinanced);
    }
    errors
}

/// The APR of a single advance of `amount_financed` on `advance_date` repaid by
/// `payments` (in date order), measured in `unit_period`.
pub fn annual_percentage_rate(
    amount_financed: Money,
    advance_date: NaiveDate,
    payments: &[ScheduledPayment],
    unit_period: UnitPeriod,
) -> Result<Apr, AprError> {
    if let Some(first) = check_apr_inputs(amount_financed, advance_date, payments)
        .into_iter()
        .next()
    {
        return Err(first);
    }
    let end_of_month = payments.iter().all(|p| is_last_day_of_month(p.date));
    let divisor = Decimal::from(unit_period.fraction_divisor_days());
    let mut flows = Vec::with_capacity(payments.len());
    // A zero payment (an interest-only installment at zero rate) adds nothing.
    for payment in payments.iter().filter(|p| p.amount.is_positive()) {
        let (full, odd) = unit_period
            .count_back(advance_date, payment.date, end_of_month)
            .ok_or(AprError::RateOutOfRange)?;
        flows.push(Flow {
            amount: payment.amount.amount(),
            full_periods: u64::from(full),
            fraction: Decimal::from(odd) / divisor,
        });
    }
    let (full_unit_periods_first, odd_days) = unit_period
        .count_back(advance_date, payments[0].date, end_of_month)
        .ok_or(AprError::RateOutOfRange)?;
    let unit_rate = solve_unit_rate(amount_financed.amount(), &flows)?;
    let apr_percent = unit_rate * unit_period.per_year() * Decimal::ONE_HUNDRED;
    Ok(Apr {
        apr_percent_disclosed: RoundingMode::HalfUp
            .round_decimal(apr_percent, APR_DISCLOSED_DECIMALS),
        apr_percent_exact: RoundingMode::HalfUp.round_decimal(apr_percent, APR_EXACT_DECIMALS),
        unit_period,
        odd_days,
        full_unit_periods_first,
    })
}

struct Flow {
    amount: Decimal,
    full_periods: u64,
    fraction: Decimal,
}

/// Consecutive flows of one amount and one odd fraction, one unit period apart: a level
/// stream is one run (and its final payment another), so its present value is a
/// geometric series in closed form rather than a sum over every payment.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    amount: Decimal,
    fraction: Decimal,
    /// Full unit periods of the first flow.
    first: u64,
    /// How many flows.
    count: u64,
}

/// The flows grouped into runs, in order.
fn runs(flows: &[Flow]) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for flow in flows {
        match runs.last_mut() {
            Some(run)
                if run.amount == flow.amount
                    && run.fraction == flow.fraction
                    && run.first + run.count == flow.full_periods =>
            {
                run.count += 1;
            }
            _ => runs.push(Run {
                amount: flow.amount,
                fraction: flow.fraction,
                first: flow.full_periods,
                count: 1,
            }),
        }
    }
    runs
}

/// Present value of the runs at unit rate `i`, minus `amount_financed`, exactly: each run
/// is `amount / (1 + fraction·i) · v^first · (1 − v^count) / (1 − v)` with `v = 1/(1+i)`.
fn residual(amount_financed: Decimal, runs: &[Run], i: Decimal) -> Decimal {
    let discount = Decimal::ONE / (Decimal::ONE + i);
    let mut present_value = Decimal::ZERO;
    for run in runs {
        let series = if i.is_zero() {
            Decimal::from(run.count)
        } else {
            discount.powu(run.first) * (Decimal::ONE - discount.powu(run.count))
                / (Decimal::ONE - discount)
        };
        present_value += run.amount * series / (Decimal::ONE + run.fraction * i);
    }
    present_value - amount_financed
}

/// The runs in floating point: amount, first full periods, count, fraction.
struct Approximate(Vec<(f64, f64, f64, f64)>);

impl Approximate {
    fn of(runs: &[Run]) -> Option<Approximate> {
        use rust_decimal::prelude::ToPrimitive;
        runs.iter()
            .map(|r| {
                Some((
                    r.amount.to_f64()?,
                    r.first as f64,
                    r.count as f64,
                    r.fraction.to_f64()?,
                ))
            })
            .collect::<Option<_>>()
            .map(Approximate)
    }

    /// The residual (present value less `financed`) and its derivative at `rate` (> 0),
    /// in floating point.
    fn residual(&self, financed: f64, rate: f64) -> (f64, f64) {
        let v = 1.0 / (1.0 + rate);
        let (mut value, mut slope) = (-financed, 0.0);
        for &(amount, first, count, fraction) in &self.0 {
            // S = v^first (1 − v^count) / (1 − v); dS/dv by the product rule; dv/di = −v².
            let (head, tail) = (v.powf(first), v.powf(count));
            let series = head * (1.0 - tail) / (1.0 - v);
            let d_series = (first * head / v * (1.0 - tail) - head * count * tail / v) / (1.0 - v)
                + series / (1.0 - v);
            let simple = 1.0 + fraction * rate;
            value += amount * series / simple;
            slope += amount * (d_series * -v * v / simple - series * fraction / (simple * simple));
        }
        (value, slope)
    }

    /// The unit rate by Newton's method in floating point, when it converges inside the
    /// solver's range: within a few units in the last place of the exact answer.
    fn solve(&self, financed: f64) -> Option<f64> {
        let mut rate = 0.01_f64;
        for _ in 0..50 {
            let (value, slope) = self.residual(financed, rate);
            let next = rate - value / slope;
            if !(next.is_finite() && next > 0.0 && next < 10.0) {
                return None;
            }
            if (next - rate).abs() < 1e-15 {
                return Some(next);
            }
            rate = next;
        }
        None
    }
}

/// The unit-period rate whose present value of `flows` is `amount_financed`, to
/// [`UNIT_RATE_TOLERANCE`].
///
/// Newton's method on the exact (decimal) residual. Floating point only says where to
/// start and how steep the residual is there: a start within a few units in the last
/// place and a slope to 1e-16 make each exact step square the error, so the solver
/// stops after one or two exact evaluations, and the rate it returns is the exact
/// residual's root whatever the floating point was. A bracket kept from the exact signs
/// falls back to bisection whenever a step would leave it.
fn solve_unit_rate(amount_financed: Decimal, flows: &[Flow]) -> Result<Decimal, AprError> {
    use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
    // The present value falls as the rate rises: at rate 0 it is the sum of the payments.
    let total: Decimal = flows.iter().map(|f| f.amount).sum();
    if total == amount_financed {
        return Ok(Decimal::ZERO);
    }
    let flows = runs(flows);
    let flows = flows.as_slice();
    let approximate = Approximate::of(flows);
    let financed = amount_financed.to_f64().unwrap_or(0.0);
    let start = approximate
        .as_ref()
        .and_then(|a| a.solve(financed))
        .and_then(Decimal::from_f64);
    // Without a floating-point root the range is checked before searching it.
    let mut range_checked = false;
    let check_range = || {
        if residual(amount_financed, flows, UNIT_RATE_MAX) > Decimal::ZERO {
            Err(AprError::RateOutOfRange)
        } else {
            Ok(())
        }
    };
    if start.is_none() {
        check_range()?;
        range_checked = true;
    }
    let mut low = Decimal::ZERO;
    let mut high = UNIT_RATE_MAX;
    let mut rate = start
        .filter(|r| *r > low && *r < high)
        .unwrap_or(Decimal::new(1, 2));
    for _ in 0..APR_SOLVER_ITERATIONS_MAX {
        let value = residual(amount_financed, flows, rate);
        if value.is_zero() {
            return Ok(rate);
        }
        if value > Decimal::ZERO {
            low = rate;
        } else {
            high = rate;
        }
        let slope = approximate
            .as_ref()
            .map(|a| a.residual(financed, rate.to_f64().unwrap_or(0.0)).1)
            .and_then(Decimal::from_f64)
            .filter(|s| !s.is_zero());
        let newton = slope.and_then(|slope| value.checked_div(slope).map(|step| rate - step));
        // A step below the tolerance has converged, even one too small to move the rate
        // off the bracket's end it just became.
        if let Some(candidate) = newton
            && (candidate - rate).abs() < UNIT_RATE_TOLERANCE
        {
            return Ok(candidate);
        }
        let next = match newton {
            Some(candidate) if candidate > low && candidate < high => candidate,
            _ => {
                if !range_checked {
                    check_range()?;
                    range_checked = true;
                }
                (low + high) / Decimal::TWO
            }
        };
        if (next - rate).abs() < UNIT_RATE_TOLERANCE || high - low < UNIT_RATE_TOLERANCE {
            return Ok(next);
        }
        rate = next;
    }
    Err(AprError::NoConvergence)
}

/// The Regulation Z disclosure figures of a closed-end loan (12 CFR 1026.18).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TilaFigures {
    /// Credit provided to or on behalf of the borrower: the note amount less prepaid
    /// finance charges (12 CFR 1026.18(b)).
    pub amount_financed: Money,
    /// Cost of credit as a dollar amount: total of payments less amount financed
    /// (12 CFR 1026.18(d)).
    pub finance_charge: Money,
    /// Sum of all scheduled payments (12 CFR 1026.18(h)).
    pub total_of_payments: Money,
    /// The annual percentage rate (12 CFR 1026.18(e), 1026.22).
    pub apr: Apr,
}

/// Computes the disclosure figures from the note amount, the prepaid finance charges
/// (fees financed or paid at closing), and the payment schedule.
pub fn tila_figures(
    note_amount: Money,
    prepaid_finance_charges: Money,
    advance_date: NaiveDate,
    payments: &[ScheduledPayment],
    unit_period: UnitPeriod,
) -> Result<TilaFigures, AprError> {
    let amount_financed = note_amount.checked_sub(&prepaid_finance_charges)?;
    let mut total_of_payments = Money::zero(note_amount.currency());
    for payment in payments {
        total_of_payments = total_of_payments.checked_add(&payment.amount)?;
    }
    let finance_charge = total_of_payments.checked_sub(&amount_financed)?;
    let apr = annual_percentage_rate(amount_financed, advance_date, payments, unit_period)?;
    Ok(TilaFigures {
        amount_financed,
        finance_charge,
        total_of_payments,
        apr,
    })
}

#[cfg(test)]
mod tests;
