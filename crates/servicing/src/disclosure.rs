//! The truth-in-lending disclosure of an offer (12 CFR 1026.18), and the terms a loan is
//! booked with when the offer is accepted: both from one schedule of the money library, so
//! the loan asks exactly what was disclosed.
//!
//! The schedule is monthly from the disbursement date, its level payment computed under
//! the product's day count, the last installment adjusted to finish the loan. The
//! origination fee is withheld from the disbursement (a prepaid finance charge), so the
//! amount financed is the loan amount less the fee and the APR is above the note rate.

use chrono::NaiveDate;
use lendmath::frequency::Frequency;
use lendmath::money::{Currency, Money};
use lendmath::rate::AnnualRate;
use lendmath::schedule::{self, AmortizationMethod, Fee, LoanTerms};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::ServicingError;
use crate::products::ServicingProduct;
use crate::terms::{Opening, Origin, Scheduled, Terms};

/// An offer's money terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// The currency.
    pub currency: Currency,
    /// The loan amount (what the borrower owes), minor units.
    pub amount: i64,
    /// Installments, one a month.
    pub term_months: u32,
    /// The note rate, percent.
    pub annual_rate_percent: Decimal,
    /// The origination fee, minor units, withheld from the disbursement.
    pub origination_fee: i64,
}

/// The payment schedule, summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentSchedule {
    /// How many payments.
    pub number_of_payments: u32,
    /// How often.
    pub frequency: &'static str,
    /// Each payment but the last.
    pub regular_payment: String,
    /// When the first is due.
    pub first_payment_date: NaiveDate,
    /// The last payment.
    pub final_payment: String,
    /// When the last is due.
    pub final_payment_date: NaiveDate,
}

/// The late charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LateCharge {
    /// Charged once per installment.
    pub amount: String,
    /// When a payment is more than this many days late.
    pub after_days: u32,
}

/// Prepayment terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prepayment {
    /// Whether paying early costs a penalty.
    pub penalty: bool,
    /// What paying early does.
    pub terms: &'static str,
}

/// The disclosure, as a borrower reads it; amounts are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disclosure {
    /// The product.
    pub product: &'static str,
    /// ISO 4217 code.
    pub currency: &'static str,
    /// When the loan is disbursed (interest starts).
    pub disbursement_date: NaiveDate,
    /// What the borrower owes.
    pub loan_amount: String,
    /// The origination fee, withheld from the disbursement.
    pub origination_fee: String,
    /// Paid to the borrower.
    pub disbursed: String,
    /// 12 CFR 1026.18(b).
    pub amount_financed: String,
    /// 12 CFR 1026.18(d).
    pub finance_charge: String,
    /// 12 CFR 1026.18(e), percent, two decimals.
    pub annual_percentage_rate: String,
    /// 12 CFR 1026.18(h).
    pub total_of_payments: String,
    /// The note rate, percent.
    pub interest_rate: String,
    /// How interest is charged.
    pub interest_method: String,
    /// 12 CFR 1026.18(g).
    pub payment_schedule: PaymentSchedule,
    /// 12 CFR 1026.18(l).
    pub late_charge: LateCharge,
    /// Charged when a payment is returned unpaid.
    pub returned_payment_fee: String,
    /// 12 CFR 1026.18(k).
    pub prepayment: Prepayment,
}

impl Disclosure {
    /// The document as signed: compact JSON, fields in a fixed order.
    pub fn to_document(&self) -> String {
        serde_json::to_string(self).expect("a disclosure always serialises")
    }

    /// SHA-256 (hex) of [`Disclosure::to_document`]: what an e-signature records.
    pub fn sha256(&self) -> String {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(self.to_document().as_bytes()))
    }
}

impl Offer {
    /// An offer from its decimal-string form, as decisions keep it: amounts in the
    /// currency (`"12000.00"`), the annual rate as a fraction (`"0.0999"`).
    pub fn parse(
        currency: &str,
        amount: &str,
        term_months: u32,
        annual_rate: &str,
        origination_fee: &str,
    ) -> Result<Offer, ServicingError> {
        let currency =
            Currency::from_code(currency).map_err(|_| ServicingError::Terms("unknown currency"))?;
        let money = |text: &str| {
            Money::parse(text, currency)
                .map(|m| m.to_minor())
                .map_err(|_| ServicingError::Terms("an amount is not a decimal in the currency"))
        };
        Ok(Offer {
            currency,
            amount: money(amount)?,
            term_months,
            annual_rate_percent: annual_rate
                .parse::<Decimal>()
                .ok()
                .and_then(|fraction| fraction.checked_mul(Decimal::ONE_HUNDRED))
                .ok_or(ServicingError::Terms("the annual rate is not a decimal"))?
                .normalize(),
            origination_fee: money(origination_fee)?,
        })
    }
}

fn text(money: Money) -> String {
    money.to_decimal_string()
}

/// The disclosure of `offer` for `product`, disbursed on `disbursement`, and the terms
/// the loan is booked with if it is accepted that day.
pub fn disclose(
    product: &ServicingProduct,
    offer: &Offer,
    disbursement: NaiveDate,
) -> Result<(Disclosure, Terms), ServicingError> {
    let money = |minor| Money::from_minor(minor, offer.currency);
    let rate = AnnualRate::from_percent(offer.annual_rate_percent)
        .map_err(|_| ServicingError::Terms("the annual rate is not a valid percent"))?;
    if offer.origination_fee < 0 || offer.origination_fee >= offer.amount {
        return Err(ServicingError::Terms(
            "the origination fee must be less than the loan amount",
        ));
    }
    let built = schedule::build_schedule(&LoanTerms {
        principal: money(offer.amount),
        annual_rate: rate,
        term_installments: offer.term_months,
        frequency: Frequency::Monthly,
        start_date: disbursement,
        first_payment_date: None,
        day_count: product.day_count,
        method: AmortizationMethod::LevelPayment,
        fees: vec![Fee {
            amount: money(offer.origination_fee),
            financed: false,
        }],
    })
    .map_err(|e| ServicingError::Arithmetic(e.to_string()))?;
    let first = built
        .installments
        .first()
        .expect("a schedule has installments");
    let last = built
        .installments
        .last()
        .expect("a schedule has installments");
    let rules = product.rules();
    let disclosure = Disclosure {
        product: product.name,
        currency: offer.currency.code(),
        disbursement_date: disbursement,
        loan_amount: text(money(offer.amount)),
        origination_fee: text(money(offer.origination_fee)),
        disbursed: text(money(offer.amount - offer.origination_fee)),
        amount_financed: text(built.tila.amount_financed),
        finance_charge: text(built.tila.finance_charge),
        annual_percentage_rate: built.tila.apr.apr_percent_disclosed.to_string(),
        total_of_payments: text(built.tila.total_of_payments),
        interest_rate: rate.percent().to_string(),
        interest_method: format!(
            "simple interest accrued daily ({}) on the principal outstanding",
            product.day_count.code()
        ),
        payment_schedule: PaymentSchedule {
            number_of_payments: offer.term_months,
            frequency: "monthly",
            regular_payment: text(first.payment),
            first_payment_date: first.due_date,
            final_payment: text(last.payment),
            final_payment_date: last.due_date,
        },
        late_charge: LateCharge {
            amount: text(money(rules.late_fee)),
            after_days: rules.grace_days,
        },
        returned_payment_fee: text(money(rules.nsf_fee)),
        prepayment: Prepayment {
            penalty: false,
            terms: "you may pay early in whole or in part without penalty; interest accrues daily, so paying early lowers the finance charge",
        },
    };
    let terms = Terms {
        origin: Origin::Originated,
        opening: Opening::default(),
        currency: offer.currency,
        principal: offer.amount,
        disbursed: offer.amount - offer.origination_fee,
        origination_fee: offer.origination_fee,
        annual_rate_percent: offer.annual_rate_percent,
        day_count: product.day_count,
        start_date: disbursement,
        schedule: built
            .installments
            .iter()
            .map(|i| Scheduled {
                due_date: i.due_date,
                payment: i.payment.to_minor(),
            })
            .collect(),
        rules,
    };
    terms.check()?;
    Ok((disclosure, terms))
}
