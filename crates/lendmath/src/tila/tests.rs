//! Reference tests: the worked examples of 12 CFR 1026, Appendix J, paragraph (c)
//! ("Examples for the actuarial method"). Each test states the published inputs and the
//! published annual percentage rate; the published figures are given to two decimals.

// Amounts in minor units are written dollars_cents (5_000_00 is $5,000.00) on purpose.
#![allow(clippy::inconsistent_digit_grouping, clippy::mistyped_literal_suffixes)]

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use super::*;
use crate::money::Currency;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

fn pct(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// `count` payments of `amount_minor`, the k-th due `step(k)`.
fn stream(count: u32, amount_minor: i64, step: impl Fn(u32) -> NaiveDate) -> Vec<ScheduledPayment> {
    (0..count)
        .map(|k| ScheduledPayment {
            date: step(k),
            amount: usd(amount_minor),
        })
        .collect()
}

fn monthly(first: NaiveDate, months: u32) -> impl Fn(u32) -> NaiveDate {
    move |k| add_months(first, k * months, false).unwrap()
}

fn every_days(first: NaiveDate, days: u64) -> impl Fn(u32) -> NaiveDate {
    move |k| {
        first
            .checked_add_days(Days::new(days * u64::from(k)))
            .unwrap()
    }
}

fn apr_of(amount_minor: i64, advance: NaiveDate, payments: &[ScheduledPayment]) -> Apr {
    let unit = infer_unit_period(advance, payments);
    annual_percentage_rate(usd(amount_minor), advance, payments, unit).unwrap()
}

#[test]
fn appendix_j_c1_i_monthly_regular_first_period() {
    // 12 CFR 1026 App. J (c)(1)(i): $5,000 advanced 1978-01-10, 24 monthly payments of
    // $230 from 1978-02-10. Published APR 9.69%.
    let payments = stream(24, 230_00, monthly(date(1978, 2, 10), 1));
    let apr = apr_of(5_000_00, date(1978, 1, 10), &payments);
    assert_eq!(apr.unit_period, UnitPeriod::Months(1));
    assert_eq!((apr.full_unit_periods_first, apr.odd_days), (1, 0));
    assert_eq!(apr.apr_percent_disclosed, pct("9.69"));
}

#[test]
fn appendix_j_c1_ii_monthly_long_first_period() {
    // App. J (c)(1)(ii): $6,000 advanced 1978-02-10, 36 monthly payments of $200 from
    // 1978-04-01; 1 full month and 19 odd days. Published APR 11.82%.
    let payments = stream(36, 200_00, monthly(date(1978, 4, 1), 1));
    let apr = apr_of(6_000_00, date(1978, 2, 10), &payments);
    assert_eq!((apr.full_unit_periods_first, apr.odd_days), (1, 19));
    assert_eq!(apr.apr_percent_disclosed, pct("11.82"));
}

#[test]
fn appendix_j_c1_iii_semimonthly_short_first_period() {
    // App. J (c)(1)(iii): $5,000 advanced 1978-02-23, 24 semimonthly payments of $219.17
    // on the 1st and 16th from 1978-03-01; 6 odd days. Published APR 10.34%.
    let first = date(1978, 3, 1);
    let payments = stream(24, 219_17, |k| {
        Frequency::SemiMonthly.due_date(first, k).unwrap()
    });
    let apr = apr_of(5_000_00, date(1978, 2, 23), &payments);
    assert_eq!(apr.unit_period, UnitPeriod::SemiMonth);
    assert_eq!((apr.full_unit_periods_first, apr.odd_days), (0, 6));
    assert_eq!(apr.apr_percent_disclosed, pct("10.34"));
}

#[test]
fn appendix_j_c1_iv_quarterly_long_first_period() {
    // App. J (c)(1)(iv): $10,000 advanced 1978-05-23, 40 quarterly payments of $385 from
    // 1978-10-01; 1 full quarter and 39 odd days. Published APR 8.97%.
    let payments = stream(40, 385_00, monthly(date(1978, 10, 1), 3));
    let apr = apr_of(10_000_00, date(1978, 5, 23), &payments);
    assert_eq!(apr.unit_period, UnitPeriod::Months(3));
    assert_eq!((apr.full_unit_periods_first, apr.odd_days), (1, 39));
    assert_eq!(apr.apr_percent_disclosed, pct("8.97"));
}

#[test]
fn appendix_j_c1_v_weekly_long_first_period() {
    // App. J (c)(1)(v): $500 advanced 1978-03-20, 30 weekly payments of $17.60 from
    // 1978-04-21; 4 full weeks and 4 odd days. Published APR 14.96%.
    let payments = stream(30, 17_60, every_days(date(1978, 4, 21), 7));
    let apr = apr_of(500_00, date(1978, 3, 20), &payments);
    assert_eq!(apr.unit_period, UnitPeriod::Days(7));
    assert_eq!((apr.full_unit_periods_first, apr.odd_days), (4, 4));
    assert_eq!(apr.apr_percent_disclosed, pct("14.96"));
}

#[test]
fn appendix_j_c2_i_monthly_irregular_first_payment() {
    // App. J (c)(2)(i): $5,000 advanced 1978-01-10; first payment $250 on 1978-02-10,
    // then 23 monthly payments of $230 from 1978-03-10. Published APR 10.08%.
    let mut payments = stream(1, 250_00, |_| date(1978, 2, 10));
    payments.extend(stream(23, 230_00, monthly(date(1978, 3, 10), 1)));
    let apr = apr_of(5_000_00, date(1978, 1, 10), &payments);
    assert_eq!(apr.apr_percent_disclosed, pct("10.08"));
}

#[test]
fn appendix_j_c2_ii_four_weekly_irregular_first_payment() {
    // App. J (c)(2)(ii): $400 advanced 1978-03-18; first payment $39.50 on 1978-04-20,
    // then 11 payments of $38.31 every 4 weeks from 1978-05-18. Published APR 28.50%.
    let mut payments = stream(1, 39_50, |_| date(1978, 4, 20));
    payments.extend(stream(11, 38_31, every_days(date(1978, 5, 18), 28)));
    let apr = apr_of(400_00, date(1978, 3, 18), &payments);
    assert_eq!(apr.unit_period, UnitPeriod::Days(28));
    assert_eq!(apr.apr_percent_disclosed, pct("28.50"));
}

#[test]
fn appendix_j_c3_i_monthly_irregular_final_payment() {
    // App. J (c)(3)(i): $5,000 advanced 1978-01-10; 23 monthly payments of $230 from
    // 1978-02-10, final payment $280 on 1980-01-10. Published APR 10.50%.
    let mut payments = stream(23, 230_00, monthly(date(1978, 2, 10), 1));
    payments.extend(stream(1, 280_00, |_| date(1980, 1, 10)));
    let apr = apr_of(5_000_00, date(1978, 1, 10), &payments);
    assert_eq!(apr.apr_percent_disclosed, pct("10.50"));
}

#[test]
fn appendix_j_c3_ii_biweekly_irregular_final_payment() {
    // App. J (c)(3)(ii): $200 advanced 1978-04-03; 19 payments of $9.50 every 2 weeks from
    // 1978-04-11, final payment $30 two weeks after the 19th. Published APR 12.22%.
    let mut payments = stream(19, 9_50, every_days(date(1978, 4, 11), 14));
    payments.extend(stream(1, 30_00, |_| every_days(date(1978, 4, 11), 14)(19)));
    let apr = apr_of(200_00, date(1978, 4, 3), &payments);
    assert_eq!((apr.full_unit_periods_first, apr.odd_days), (0, 8));
    assert_eq!(apr.apr_percent_disclosed, pct("12.22"));
}

#[test]
fn appendix_j_c4_i_monthly_irregular_first_and_final_payments() {
    // App. J (c)(4)(i): $5,000 advanced 1978-01-10; $250 on 1978-02-10, 22 monthly
    // payments of $230 from 1978-03-10, $280 on 1980-01-10. Published APR 10.90%.
    let mut payments = stream(1, 250_00, |_| date(1978, 2, 10));
    payments.extend(stream(22, 230_00, monthly(date(1978, 3, 10), 1)));
    payments.extend(stream(1, 280_00, |_| date(1980, 1, 10)));
    let apr = apr_of(5_000_00, date(1978, 1, 10), &payments);
    assert_eq!(apr.apr_percent_disclosed, pct("10.90"));
}

#[test]
fn appendix_j_c4_ii_bimonthly_irregular_first_and_final_payments() {
    // App. J (c)(4)(ii): $8,000 advanced 1978-01-10; $449.36 on 1978-03-01, 18 payments
    // of $465 every 2 months from 1978-05-01, $200 on 1981-05-01; 0 unit periods and
    // 52 odd days (1 month counted as 30 days plus 22 days). Published APR 7.30%.
    let mut payments = stream(1, 449_36, |_| date(1978, 3, 1));
    payments.extend(stream(18, 465_00, monthly(date(1978, 5, 1), 2)));
    payments.extend(stream(1, 200_00, |_| date(1981, 5, 1)));
    let apr = apr_of(8_000_00, date(1978, 1, 10), &payments);
    assert_eq!(apr.unit_period, UnitPeriod::Months(2));
    assert_eq!((apr.full_unit_periods_first, apr.odd_days), (0, 52));
    assert_eq!(apr.apr_percent_disclosed, pct("7.30"));
}

#[test]
fn appendix_j_c5_i_single_advance_single_payment() {
    // App. J (c)(5)(i): $1,000 advanced 1978-01-03, one payment of $1,080 on 1978-09-15
    // (255 days, the unit period). Published APR 11.45%.
    let payments = stream(1, 1_080_00, |_| date(1978, 9, 15));
    let apr = apr_of(1_000_00, date(1978, 1, 3), &payments);
    assert_eq!(apr.unit_period, UnitPeriod::Days(255));
    assert_eq!(apr.apr_percent_disclosed, pct("11.45"));
}

#[test]
fn zero_finance_charge_is_zero_apr() {
    let payments = stream(10, 100_00, monthly(date(2024, 2, 1), 1));
    let apr = apr_of(1_000_00, date(2024, 1, 1), &payments);
    assert_eq!(apr.apr_percent_exact, Decimal::ZERO);
}

#[test]
fn rejects_streams_that_cannot_have_an_apr() {
    let advance = date(2024, 1, 1);
    let unit = UnitPeriod::Months(1);
    let good = stream(3, 100_00, monthly(date(2024, 2, 1), 1));
    assert_eq!(
        annual_percentage_rate(usd(1_000_00), advance, &good, unit),
        Err(AprError::PaymentsBelowAmountFinanced)
    );
    assert_eq!(
        annual_percentage_rate(usd(0), advance, &good, unit),
        Err(AprError::AmountFinancedNotPositive)
    );
    assert_eq!(
        annual_percentage_rate(usd(100_00), advance, &[], unit),
        Err(AprError::NoPayments)
    );
    let early = stream(1, 200_00, |_| date(2023, 12, 1));
    assert_eq!(
        annual_percentage_rate(usd(100_00), advance, &early, unit),
        Err(AprError::PaymentBeforeAdvance { index: 0 })
    );
    let mut backwards = good.clone();
    backwards.swap(0, 2);
    assert_eq!(
        annual_percentage_rate(usd(100_00), advance, &backwards, unit),
        Err(AprError::PaymentsOutOfOrder { index: 1 })
    );
    let negative = stream(1, -1, |_| date(2024, 2, 1));
    assert_eq!(
        annual_percentage_rate(usd(100_00), advance, &negative, unit),
        Err(AprError::PaymentNegative { index: 0 })
    );
    // $1 advanced, $1,000,000 repaid a month later: far beyond any lawful rate.
    let usury = stream(1, 1_000_000_00, |_| date(2024, 2, 1));
    assert_eq!(
        annual_percentage_rate(usd(1_00), advance, &usury, unit),
        Err(AprError::RateOutOfRange)
    );
    let too_many = stream(
        APR_PAYMENTS_MAX as u32 + 1,
        1_00,
        every_days(date(2024, 1, 8), 7),
    );
    assert_eq!(
        annual_percentage_rate(usd(1_00), advance, &too_many, UnitPeriod::Days(7)),
        Err(AprError::TooManyPayments)
    );
}
