//! Affordability of the loan requested: what the payment and the debt after it take of the
//! income (consumers), what the cash flow covers (businesses).

use chrono::NaiveDate;
use lendmath::schedule::quoted_monthly_payment;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bureau::months_between;

/// A consumer's affordability figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumer {
    /// Gross monthly income (annual over 12, to the cent).
    pub monthly_income: Decimal,
    /// The quoted monthly payment of the loan requested.
    pub new_payment: Decimal,
    /// (Debt payments + housing + new payment) over monthly income, 4 decimals.
    pub debt_to_income: Option<Decimal>,
    /// New payment over monthly income, 4 decimals.
    pub payment_to_income: Option<Decimal>,
}

/// The loan requested, as affordability quotes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Principal, money.
    pub amount: Decimal,
    /// Months.
    pub term_months: u32,
    /// The annual rate the product quotes affordability at, a fraction.
    pub annual_rate: Decimal,
}

impl Quote {
    /// The quoted monthly payment (zero for a quote that cannot be made).
    fn payment(&self) -> Decimal {
        quoted_monthly_payment(self.amount, self.annual_rate, self.term_months).unwrap_or_default()
    }
}

/// A consumer's figures from the annual income and monthly housing cost stated and the
/// monthly debt payments the bureau reports.
pub fn consumer(
    annual_income: Decimal,
    monthly_housing_cost: Decimal,
    monthly_debt_payments: Decimal,
    quote: Quote,
) -> Consumer {
    let monthly_income = (annual_income / Decimal::from(12)).round_dp(2);
    let new_payment = quote.payment();
    let share = |part: Decimal| {
        (monthly_income > Decimal::ZERO).then(|| (part / monthly_income).round_dp(4))
    };
    Consumer {
        monthly_income,
        new_payment,
        debt_to_income: share(monthly_debt_payments + monthly_housing_cost + new_payment),
        payment_to_income: share(new_payment),
    }
}

/// A business's affordability figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    /// Annual revenue stated.
    pub annual_revenue: Decimal,
    /// Annual debt service stated.
    pub annual_debt_service: Decimal,
    /// Twelve quoted payments of the loan requested.
    pub new_annual_debt_service: Decimal,
    /// Net operating income (the cash-flow margin of revenue) over all debt service after
    /// the loan, 2 decimals; `None` without any debt service.
    pub debt_service_coverage: Option<Decimal>,
    /// Whole months from the formation date to the application.
    pub months_in_business: u32,
}

/// A business's figures; `cash_flow_margin` is the share of revenue taken as net operating
/// income (a fraction, from the product).
pub fn business(
    annual_revenue: Decimal,
    annual_debt_service: Decimal,
    cash_flow_margin: Decimal,
    quote: Quote,
    formation_date: NaiveDate,
    as_of: NaiveDate,
) -> Business {
    let new_annual_debt_service = quote.payment() * Decimal::from(12);
    let all = annual_debt_service + new_annual_debt_service;
    Business {
        annual_revenue,
        annual_debt_service,
        new_annual_debt_service,
        debt_service_coverage: (all > Decimal::ZERO)
            .then(|| (annual_revenue * cash_flow_margin / all).round_dp(2)),
        months_in_business: months_between(formation_date, as_of),
    }
}
