//! Daily simple-interest accrual on a principal that changes over time.
//!
//! Interest accrues from `from` (inclusive) to `to` (exclusive) on the principal of each
//! day, at the rate of that day, under a day-count convention. A principal change or rate
//! change dated `d` takes effect for day `d` itself. Interest is summed unrounded and
//! rounded once, half-up ([`ACCRUAL_ROUNDING`]), so splitting a period never loses cents
//! to intermediate rounding.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::daycount::DayCount;
use crate::money::{Money, MoneyError};
use crate::rate::AnnualRate;
use crate::rounding::RoundingMode;

/// Most events in one accrual. A daily-accrual run over a loan's life sees a few per
/// installment; 10,000 covers 30 years of weekly activity with room to spare.
pub const ACCRUAL_EVENTS_MAX: usize = 10_000;

/// Rounding of accrued interest to the minor unit.
pub const ACCRUAL_ROUNDING: RoundingMode = RoundingMode::HalfUp;

/// Something that changes how interest accrues from its date on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccrualEvent {
    /// Principal goes up (disbursement, capitalized fee) or down (principal paid).
    PrincipalChange {
        /// Effective date.
        date: NaiveDate,
        /// Signed change of principal.
        delta: Money,
    },
    /// A new annual rate (variable-rate reset, modification).
    RateChange {
        /// Effective date.
        date: NaiveDate,
        /// The new rate.
        rate: AnnualRate,
    },
}

impl AccrualEvent {
    fn date(&self) -> NaiveDate {
        match self {
            AccrualEvent::PrincipalChange { date, .. } | AccrualEvent::RateChange { date, .. } => {
                *date
            }
        }
    }
}

/// Why interest could not be accrued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccrualError {
    /// `to` is before `from`.
    #[error("the accrual end date is before its start date")]
    EndBeforeStart,
    /// An event lies outside `[from, to)`.
    #[error("event {index} is outside the accrual period")]
    EventOutsidePeriod {
        /// Zero-based position of the event.
        index: usize,
    },
    /// More than [`ACCRUAL_EVENTS_MAX`] events.
    #[error("more than {ACCRUAL_EVENTS_MAX} events")]
    TooManyEvents,
    /// Principal would go below zero.
    #[error("principal would become negative on {date}")]
    NegativePrincipal {
        /// The date it would happen.
        date: NaiveDate,
    },
    /// Money arithmetic failed (currency mismatch, overflow).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Interest accrued over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accrued {
    /// Unrounded interest.
    pub interest_exact: Decimal,
    /// Interest rounded to the minor unit with [`ACCRUAL_ROUNDING`].
    pub interest: Money,
    /// Principal at the end of the period.
    pub principal_end: Money,
    /// Rate at the end of the period.
    pub rate_end: AnnualRate,
}

/// Accrues simple interest from `from` to `to` on `principal_start` at `rate_start`,
/// applying `events` (any order; applied in date order, stable within a date).
pub fn accrue(
    principal_start: Money,
    rate_start: AnnualRate,
    day_count: DayCount,
    from: NaiveDate,
    to: NaiveDate,
    events: &[AccrualEvent],
) -> Result<Accrued, AccrualError> {
    if to < from {
        return Err(AccrualError::EndBeforeStart);
    }
    if events.len() > ACCRUAL_EVENTS_MAX {
        return Err(AccrualError::TooManyEvents);
    }
    if let Some(index) = events
        .iter()
        .position(|e| e.date() < from || e.date() >= to)
    {
        return Err(AccrualError::EventOutsidePeriod { index });
    }
    let mut ordered: Vec<&AccrualEvent> = events.iter().collect();
    ordered.sort_by_key(|e| e.date());

    let mut interest = Decimal::ZERO;
    let mut principal = principal_start;
    let mut rate = rate_start;
    let mut segment_start = from;
    for event in ordered {
        let date = event.date();
        interest +=
            principal.amount() * rate.fraction() * day_count.year_fraction(segment_start, date);
        segment_start = date;
        match *event {
            AccrualEvent::PrincipalChange { delta, .. } => {
                principal = principal.checked_add(&delta)?;
                if principal.is_negative() {
                    return Err(AccrualError::NegativePrincipal { date });
                }
            }
            AccrualEvent::RateChange { rate: new_rate, .. } => rate = new_rate,
        }
    }
    interest += principal.amount() * rate.fraction() * day_count.year_fraction(segment_start, to);
    Ok(Accrued {
        interest_exact: interest,
        interest: ACCRUAL_ROUNDING.round_money(interest, principal_start.currency())?,
        principal_end: principal,
        rate_end: rate,
    })
}

/// Interest of one day on `principal` at `rate`, on `date` (unrounded). Under
/// Actual/Actual the divisor is the days of `date`'s year.
pub fn per_diem(
    principal: Money,
    rate: AnnualRate,
    day_count: DayCount,
    date: NaiveDate,
) -> Decimal {
    principal.amount() * rate.daily(day_count.days_in_year(date.year())).fraction()
}

/// The amount that pays a loan off on `payoff_date`: principal, unpaid interest and fees,
/// plus interest accrued for each day from `interest_paid_through` up to, not including,
/// `payoff_date` (the day the payoff funds arrive earns no interest).
pub fn payoff_amount(
    principal: Money,
    rate: AnnualRate,
    day_count: DayCount,
    interest_paid_through: NaiveDate,
    payoff_date: NaiveDate,
    interest_unpaid: Money,
    fees_unpaid: Money,
) -> Result<Money, AccrualError> {
    let accrued = accrue(
        principal,
        rate,
        day_count,
        interest_paid_through,
        payoff_date,
        &[],
    )?;
    Ok(principal
        .checked_add(&accrued.interest)?
        .checked_add(&interest_unpaid)?
        .checked_add(&fees_unpaid)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn usd(minor: i64) -> Money {
        Money::from_minor(minor, Currency::USD)
    }

    fn rate(percent: &str) -> AnnualRate {
        AnnualRate::parse_percent(percent).unwrap()
    }

    #[test]
    fn constant_principal() {
        // 10,000.00 at 5% Actual/365 for 30 days: 10000 * 0.05 * 30 / 365 = 41.0958... -> 41.10.
        let accrued = accrue(
            usd(1_000_000),
            rate("5"),
            DayCount::Actual365Fixed,
            date(2024, 3, 1),
            date(2024, 3, 31),
            &[],
        )
        .unwrap();
        assert_eq!(accrued.interest, usd(4110));
        // Actual/360 over the same days: 10000 * 0.05 * 30 / 360 = 41.6666... -> 41.67.
        let accrued = accrue(
            usd(1_000_000),
            rate("5"),
            DayCount::Actual360,
            date(2024, 3, 1),
            date(2024, 3, 31),
            &[],
        )
        .unwrap();
        assert_eq!(accrued.interest, usd(4167));
    }

    #[test]
    fn principal_and_rate_changes_apply_from_their_date() {
        // 10 days on 10,000 then 20 days on 5,000 at 5%/365: 13.6986... + 13.6986... = 27.40.
        let events = [AccrualEvent::PrincipalChange {
            date: date(2024, 3, 11),
            delta: usd(-500_000),
        }];
        let accrued = accrue(
            usd(1_000_000),
            rate("5"),
            DayCount::Actual365Fixed,
            date(2024, 3, 1),
            date(2024, 3, 31),
            &events,
        )
        .unwrap();
        assert_eq!(accrued.interest, usd(2740));
        assert_eq!(accrued.principal_end, usd(500_000));
        // Rate change to 7.3% after 15 days on 10,000 Actual/365:
        // 10000*0.05*15/365 + 10000*0.073*15/365 = 20.5479... + 30.00 = 50.55.
        let events = [AccrualEvent::RateChange {
            date: date(2024, 3, 16),
            rate: rate("7.3"),
        }];
        let accrued = accrue(
            usd(1_000_000),
            rate("5"),
            DayCount::Actual365Fixed,
            date(2024, 3, 1),
            date(2024, 3, 31),
            &events,
        )
        .unwrap();
        assert_eq!(accrued.interest, usd(5055));
        assert_eq!(accrued.rate_end, rate("7.3"));
    }

    #[test]
    fn splitting_a_period_does_not_change_exact_interest() {
        let whole = accrue(
            usd(12_345_678),
            rate("9.99"),
            DayCount::Actual365Fixed,
            date(2024, 1, 1),
            date(2024, 12, 31),
            &[],
        )
        .unwrap();
        let first = accrue(
            usd(12_345_678),
            rate("9.99"),
            DayCount::Actual365Fixed,
            date(2024, 1, 1),
            date(2024, 6, 1),
            &[],
        )
        .unwrap();
        let second = accrue(
            usd(12_345_678),
            rate("9.99"),
            DayCount::Actual365Fixed,
            date(2024, 6, 1),
            date(2024, 12, 31),
            &[],
        )
        .unwrap();
        assert_eq!(
            whole.interest_exact,
            first.interest_exact + second.interest_exact
        );
    }

    #[test]
    fn per_diem_and_payoff() {
        // 200,000.00 at 6.5% Actual/365: per diem 35.6164...
        let daily = per_diem(
            usd(20_000_000),
            rate("6.5"),
            DayCount::Actual365Fixed,
            date(2024, 5, 1),
        );
        assert_eq!(daily.round_dp(4), "35.6164".parse::<Decimal>().unwrap());
        // Payoff 12 days after the last paid-through date: 200,000 + 12 * 35.6164 = 427.40,
        // plus 10.00 of unpaid fees.
        let payoff = payoff_amount(
            usd(20_000_000),
            rate("6.5"),
            DayCount::Actual365Fixed,
            date(2024, 5, 1),
            date(2024, 5, 13),
            usd(0),
            usd(1000),
        )
        .unwrap();
        assert_eq!(payoff, usd(20_000_000 + 42740 + 1000));
    }

    #[test]
    fn rejects_bad_periods_and_events() {
        let p = usd(10_000);
        assert_eq!(
            accrue(
                p,
                rate("5"),
                DayCount::Actual360,
                date(2024, 2, 1),
                date(2024, 1, 1),
                &[]
            ),
            Err(AccrualError::EndBeforeStart)
        );
        let outside = [AccrualEvent::RateChange {
            date: date(2024, 2, 1),
            rate: rate("1"),
        }];
        assert_eq!(
            accrue(
                p,
                rate("5"),
                DayCount::Actual360,
                date(2024, 1, 1),
                date(2024, 2, 1),
                &outside
            ),
            Err(AccrualError::EventOutsidePeriod { index: 0 })
        );
        let overdraw = [AccrualEvent::PrincipalChange {
            date: date(2024, 1, 5),
            delta: usd(-10_001),
        }];
        assert_eq!(
            accrue(
                p,
                rate("5"),
                DayCount::Actual360,
                date(2024, 1, 1),
                date(2024, 2, 1),
                &overdraw
            ),
            Err(AccrualError::NegativePrincipal {
                date: date(2024, 1, 5)
            })
        );
    }
}
