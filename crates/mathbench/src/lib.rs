//! Benchmark workloads over [`lendmath`], run the same way natively and inside a
//! WebAssembly component (`tests/components/mathbench`), so a runner can compare the two
//! and report their ratio.
//!
//! Each [`Workload`] is one unit of work the platform does for real, on fixed, realistic
//! inputs:
//! * [`Workload::Schedule360`]: the amortization schedule and truth-in-lending figures of a
//!   30-year mortgage ([`lendmath::schedule::build_schedule`]);
//! * [`Workload::DailyAccrual`]: one night's interest on one loan
//!   ([`lendmath::accrual::accrue`] over one day);
//! * [`Workload::Allocation`]: one payment split over a loan's dues through the standard
//!   waterfall ([`lendmath::allocation::allocate`]);
//! * [`Workload::Disclosure60`]: the truth-in-lending disclosure of a 60-month offer,
//!   schedule and APR included, as every approved offer gets
//!   ([`servicing::disclosure::disclose`]).
//!
//! [`run`] builds the inputs once, as production would (terms and dues are loaded, not
//! rebuilt per call), calls the real lendmath function `iterations` times, and returns a
//! checksum of the results so the optimizer cannot drop the work:
//!
//! ```
//! use mathbench::{Workload, run};
//!
//! let workload: Workload = "daily-accrual".parse().unwrap();
//! // One day of 6.875% on $187,654.32 is $35.35.
//! assert_eq!(run(workload, 1), 35_35);
//! assert_eq!(run(workload, 10), 10 * 35_35);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// Amounts in minor units are written dollars_cents (1_642_32 is $1,642.32) on purpose,
// as in lendmath's tests: the inputs read as the dollar figures they stand for.
#![allow(clippy::inconsistent_digit_grouping, clippy::mistyped_literal_suffixes)]

use std::fmt;
use std::hint::black_box;
use std::str::FromStr;

use chrono::NaiveDate;
use lendmath::accrual::{self, Accrued};
use lendmath::allocation::{self, Allocation, Bucket, Dues, OverpaymentPolicy, Waterfall};
use lendmath::daycount::DayCount;
use lendmath::frequency::Frequency;
use lendmath::money::{Currency, Money};
use lendmath::rate::AnnualRate;
use lendmath::schedule::{self, AmortizationMethod, LoanTerms, Schedule};

/// Most iterations of one run a caller should ask for: the component refuses more. Enough
/// for the cheap workloads (a fraction of a microsecond each) to run far above clock
/// resolution. The schedule costs milliseconds per iteration (its APR solve dominates), so
/// callers timing it should ask for hundreds to a few thousand, not the maximum.
pub const ITERATIONS_MAX: u32 = 100_000;

/// A benchmark workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Schedule of $250,000.00 at 6.875% over 360 monthly level payments, 30/360.
    Schedule360,
    /// One day of Actual/365 simple interest on $187,654.32 at 6.875%.
    DailyAccrual,
    /// A $3,500.00 payment over a loan one installment behind, with a late fee.
    Allocation,
    /// The disclosure of a $12,000.00 personal installment offer at 9.99% over 60 months
    /// with a $300.00 fee, disbursed 2 December 2026.
    Disclosure60,
}

impl Workload {
    /// Every workload, in the order a report lists them.
    pub const ALL: [Workload; 4] = [
        Workload::Schedule360,
        Workload::DailyAccrual,
        Workload::Allocation,
        Workload::Disclosure60,
    ];

    /// The workload's name in URLs and reports (`schedule-360`, `daily-accrual`,
    /// `allocation`, `disclosure-60`); [`FromStr`] reads it back.
    pub const fn name(self) -> &'static str {
        match self {
            Workload::Schedule360 => "schedule-360",
            Workload::DailyAccrual => "daily-accrual",
            Workload::Allocation => "allocation",
            Workload::Disclosure60 => "disclosure-60",
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a workload's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWorkload {
    /// The name given.
    pub name: String,
}

impl fmt::Display for UnknownWorkload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown workload {:?}; expected one of ", self.name)?;
        for (index, workload) in Workload::ALL.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{workload}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownWorkload {}

impl FromStr for Workload {
    type Err = UnknownWorkload;

    fn from_str(name: &str) -> Result<Workload, UnknownWorkload> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name() == name)
            .ok_or_else(|| UnknownWorkload {
                name: name.to_string(),
            })
    }
}

/// Runs `workload` `iterations` times on its fixed inputs and returns the sum of each
/// iteration's checksum (wrapping, which only matters far beyond [`ITERATIONS_MAX`]), so
/// the result is `iterations` times the checksum of one run.
///
/// Inputs pass through [`black_box`] on every iteration, so the compiler can neither hoist
/// the call out of the loop nor fold it to a constant: each iteration does the full work.
///
/// # Panics
///
/// Never on these inputs: lendmath's errors are for invalid terms, and the fixed inputs are
/// valid (the unit tests run each workload).
pub fn run(workload: Workload, iterations: u32) -> i64 {
    match workload {
        Workload::Schedule360 => {
            let terms = mortgage_terms();
            repeat(iterations, || {
                let schedule = schedule::build_schedule(black_box(&terms))
                    .expect("the benchmark mortgage terms are valid");
                schedule_checksum(&schedule)
            })
        }
        Workload::DailyAccrual => {
            let loan = AccrualInput::nightly();
            repeat(iterations, || {
                let loan = black_box(&loan);
                let accrued = accrual::accrue(
                    loan.principal,
                    loan.rate,
                    loan.day_count,
                    loan.day,
                    loan.day_after,
                    &[],
                )
                .expect("the benchmark accrual inputs are valid");
                accrual_checksum(&accrued)
            })
        }
        Workload::Allocation => {
            let input = AllocationInput::one_behind();
            repeat(iterations, || {
                let input = black_box(&input);
                let allocation = allocation::allocate(
                    input.payment,
                    &input.dues,
                    &input.waterfall,
                    OverpaymentPolicy::HoldUnapplied,
                )
                .expect("the benchmark allocation inputs are valid");
                allocation_checksum(&allocation)
            })
        }
        Workload::Disclosure60 => {
            let product = servicing::products::ServicingProduct::named("personal_installment")
                .expect("the product is in the table");
            let offer = servicing::disclosure::Offer {
                currency: Currency::USD,
                amount: 12_000_00,
                term_months: 60,
                annual_rate_percent: rust_decimal::Decimal::new(999, 2),
                origination_fee: 300_00,
            };
            let day = date(2026, 12, 2);
            repeat(iterations, || {
                let (disclosure, terms) =
                    servicing::disclosure::disclose(product, black_box(&offer), black_box(day))
                        .expect("the benchmark offer is valid");
                disclosure_checksum(&disclosure, &terms)
            })
        }
    }
}

/// Σ of the payments, the final payment and the finance charge, in minor units.
fn disclosure_checksum(
    disclosure: &servicing::disclosure::Disclosure,
    terms: &servicing::Terms,
) -> i64 {
    let payments: i64 = terms.schedule.iter().map(|s| s.payment).sum();
    let finance_charge = Money::parse(&disclosure.finance_charge, Currency::USD)
        .expect("a disclosed amount parses")
        .to_minor();
    payments + terms.schedule.last().map_or(0, |s| s.payment) + finance_charge
}

/// The loop every workload shares; the checksum of each iteration goes through
/// [`black_box`] so the result is consumed even if the caller ignored the total.
fn repeat(iterations: u32, mut once: impl FnMut() -> i64) -> i64 {
    let mut total: i64 = 0;
    for _ in 0..iterations {
        total = total.wrapping_add(black_box(once()));
    }
    total
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("benchmark dates are valid")
}

fn rate(percent: &str) -> AnnualRate {
    AnnualRate::parse_percent(percent).expect("benchmark rates are valid")
}

/// A conforming 30-year fixed mortgage: $250,000.00 at 6.875%, 360 monthly level payments,
/// 30/360, first payment one regular month after disbursement, no fees.
fn mortgage_terms() -> LoanTerms {
    LoanTerms {
        principal: usd(250_000_00),
        annual_rate: rate("6.875"),
        term_installments: 360,
        frequency: Frequency::Monthly,
        start_date: date(2024, 1, 15),
        first_payment_date: None,
        day_count: DayCount::Thirty360Us,
        method: AmortizationMethod::LevelPayment,
        fees: Vec::new(),
    }
}

/// Σ over installments of (payment + balance after it), plus the finance charge. Balances
/// make it depend on every installment's split, not only on totals. The APR is computed
/// (it is part of the work) but left out: with no fees it sits on the 6.875% rounding
/// edge (the solver's 6.87499999), too fragile for an exact checksum.
fn schedule_checksum(schedule: &Schedule) -> i64 {
    let installments: i64 = schedule
        .installments
        .iter()
        .map(|i| i.payment.to_minor() + i.balance.to_minor())
        .sum();
    installments + schedule.tila.finance_charge.to_minor()
}

/// One loan as the nightly accrual sees it: its principal and rate, accruing the day
/// `[day, day_after)`.
struct AccrualInput {
    principal: Money,
    rate: AnnualRate,
    day_count: DayCount,
    day: NaiveDate,
    day_after: NaiveDate,
}

impl AccrualInput {
    /// A mortgage a few years in: $187,654.32 outstanding at 6.875%, Actual/365, accruing
    /// 15 July 2024.
    fn nightly() -> AccrualInput {
        let day = date(2024, 7, 15);
        AccrualInput {
            principal: usd(187_654_32),
            rate: rate("6.875"),
            day_count: DayCount::Actual365Fixed,
            day,
            day_after: day.succ_opt().expect("the day after is a valid date"),
        }
    }
}

/// The day's interest, rounded, in minor units.
fn accrual_checksum(accrued: &Accrued) -> i64 {
    accrued.interest.to_minor()
}

/// A payment and the dues it meets.
struct AllocationInput {
    payment: Money,
    dues: Dues,
    waterfall: Waterfall,
}

impl AllocationInput {
    /// The mortgage of [`mortgage_terms`] with installment 1 missed and installment 2 now
    /// due: a 5% late fee ($82.12) and installment 1 ($1,432.29 interest, $210.03
    /// principal) past due, installment 2 ($1,431.09 interest, $211.23 principal) current.
    /// The borrower pays $3,500.00: everything owed ($3,366.76) and $133.24 more, held
    /// unapplied.
    fn one_behind() -> AllocationInput {
        let mut dues = Dues::zero(Currency::USD);
        for (bucket, minor) in [
            (Bucket::FeesPastDue, 82_12),
            (Bucket::InterestPastDue, 1_432_29),
            (Bucket::PrincipalPastDue, 210_03),
            (Bucket::InterestCurrent, 1_431_09),
            (Bucket::PrincipalCurrent, 211_23),
        ] {
            dues.add(bucket, usd(minor))
                .expect("benchmark dues are in one currency");
        }
        AllocationInput {
            payment: usd(3_500_00),
            dues,
            waterfall: Waterfall::standard(),
        }
    }
}

/// Σ of each applied amount weighted by its bucket's position in [`Bucket::ALL`] (1 to 6),
/// plus 7 × the excess: a plain sum would always equal the payment, whatever the split.
fn allocation_checksum(allocation: &Allocation) -> i64 {
    let applied: i64 = allocation
        .applied
        .iter()
        .map(|(bucket, amount)| {
            let position = Bucket::ALL
                .iter()
                .position(|b| b == bucket)
                .expect("every bucket is in Bucket::ALL") as i64;
            (position + 1) * amount.to_minor()
        })
        .sum();
    applied + 7 * allocation.excess.to_minor()
}

#[cfg(test)]
mod tests;
