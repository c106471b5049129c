//! How each product is serviced. Like origination's limits, these are data: a lender
//! changes them here (one table), and disclosures, booking and payments follow.
//!
//! | product | interest | grace | late fee | returned payment | waterfall | overpayment | offers expire |
//! |---|---|---|---|---|---|---|---|
//! | `personal_installment` | daily, actual/365 | 10 days | 25.00 | 25.00 | fees, interest, principal (past due first) | reduce principal | 30 days |
//! | `sme_term` | daily, actual/360 | 15 days | 100.00 | 50.00 | interest, principal, fees (past due first) | pay ahead | 30 days |
//!
//! The origination fee is withheld from the disbursement: the borrower owes the loan
//! amount and receives it less the fee (a prepaid finance charge in the disclosure).

use lendmath::allocation::{Bucket, OverpaymentPolicy};
use lendmath::daycount::DayCount;

use crate::terms::Rules;

/// One product's servicing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServicingProduct {
    /// Its name in requests (as origination names it).
    pub name: &'static str,
    /// How interest days are counted.
    pub day_count: DayCount,
    /// Days after a due date before a late fee.
    pub grace_days: u32,
    /// The late fee, minor units.
    pub late_fee: i64,
    /// The returned-payment fee, minor units.
    pub nsf_fee: i64,
    /// The order a payment pays what is owed.
    pub waterfall: [Bucket; 6],
    /// What a payment beyond everything owed does.
    pub overpayment: OverpaymentPolicy,
    /// Days an offer can be accepted after the decision.
    pub offer_expiry_days: u32,
}

impl ServicingProduct {
    /// The rules a loan of this product is booked with.
    pub fn rules(&self) -> Rules {
        Rules {
            grace_days: self.grace_days,
            late_fee: self.late_fee,
            nsf_fee: self.nsf_fee,
            waterfall: self.waterfall.to_vec(),
            overpayment: self.overpayment,
        }
    }

    /// The product named `name`.
    pub fn named(name: &str) -> Option<&'static ServicingProduct> {
        PRODUCTS.iter().find(|p| p.name == name)
    }
}

/// Every product's servicing settings.
pub const PRODUCTS: &[ServicingProduct] = &[
    ServicingProduct {
        name: "personal_installment",
        day_count: DayCount::Actual365Fixed,
        grace_days: 10,
        late_fee: 2_500,
        nsf_fee: 2_500,
        waterfall: Bucket::ALL,
        overpayment: OverpaymentPolicy::ReducePrincipal,
        offer_expiry_days: 30,
    },
    ServicingProduct {
        name: "sme_term",
        day_count: DayCount::Actual360,
        grace_days: 15,
        late_fee: 10_000,
        nsf_fee: 5_000,
        waterfall: [
            Bucket::InterestPastDue,
            Bucket::PrincipalPastDue,
            Bucket::FeesPastDue,
            Bucket::InterestCurrent,
            Bucket::PrincipalCurrent,
            Bucket::FeesCurrent,
        ],
        overpayment: OverpaymentPolicy::PayAhead,
        offer_expiry_days: 30,
    },
];
