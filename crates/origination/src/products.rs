//! The products an application can be for, and their limits. Limits are data: a lender
//! changes them here (one table), and every check and message follows.

use serde::{Deserialize, Serialize};

/// A credit product offered through origination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// A consumer installment loan to one person.
    PersonalInstallment,
    /// A term loan to a small or medium business, with its owners.
    SmeTerm,
}

/// What a product accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductLimits {
    /// The product.
    pub product: Product,
    /// Its name in requests.
    pub name: &'static str,
    /// The only currency it is offered in (ISO 4217).
    pub currency: &'static str,
    /// Smallest amount that may be requested, in minor units.
    pub amount_min_minor: i64,
    /// Largest amount that may be requested, in minor units.
    pub amount_max_minor: i64,
    /// Shortest term, in months.
    pub term_min_months: u32,
    /// Longest term, in months.
    pub term_max_months: u32,
    /// The annual rate, in basis points, that affordability figures quote the requested
    /// loan's payment at before a policy prices it (a policy's own rate may differ).
    pub quote_rate_bp: u32,
    /// For business products, the share of annual revenue, in percent, taken as net
    /// operating income for the debt-service coverage ratio when the application gives no
    /// better figure; 0 for consumer products.
    pub cash_flow_margin_percent: u32,
}

/// Minor units in one US dollar.
const CENTS: i64 = 100;

/// Every product and its limits.
///
/// | product | amount (USD) | term (months) | quoted at | cash-flow margin |
/// |---|---|---|---|---|
/// | `personal_installment` | 1,000.00 – 50,000.00 | 6 – 84 | 15.00 % | — |
/// | `sme_term` | 10,000.00 – 2,000,000.00 | 12 – 120 | 12.00 % | 20 % of revenue |
pub const PRODUCTS: &[ProductLimits] = &[
    ProductLimits {
        product: Product::PersonalInstallment,
        name: "personal_installment",
        currency: "USD",
        amount_min_minor: 1_000 * CENTS,
        amount_max_minor: 50_000 * CENTS,
        term_min_months: 6,
        term_max_months: 84,
        quote_rate_bp: 1_500,
        cash_flow_margin_percent: 0,
    },
    ProductLimits {
        product: Product::SmeTerm,
        name: "sme_term",
        currency: "USD",
        amount_min_minor: 10_000 * CENTS,
        amount_max_minor: 2_000_000 * CENTS,
        term_min_months: 12,
        term_max_months: 120,
        quote_rate_bp: 1_200,
        cash_flow_margin_percent: 20,
    },
];

impl Product {
    /// The product named `name` in requests.
    pub fn from_name(name: &str) -> Option<Product> {
        PRODUCTS.iter().find(|p| p.name == name).map(|p| p.product)
    }

    /// This product's limits.
    pub fn limits(self) -> &'static ProductLimits {
        PRODUCTS
            .iter()
            .find(|p| p.product == self)
            .expect("every product has limits")
    }
}
