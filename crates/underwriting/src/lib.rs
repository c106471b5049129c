//! Underwriting's rules as pure functions, tested natively and linked into the `scoring`
//! and `decisioning` components and the bureau simulator:
//!
//! * [`bureau`] — a credit bureau's consumer and business reports (the layout the bureau
//!   adapter reads) and the attributes scoring and policies use;
//! * [`scorecard`] — points-based scorecards whose attributes, bins and points are data
//!   (`data/scorecards/*.json`, versioned by digest), with a logistic probability of
//!   default and the key factors that held a score down;
//! * [`affordability`] — debt-to-income and payment-to-income for consumers, debt-service
//!   coverage and time in business for businesses.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod affordability;
pub mod bureau;
pub mod scorecard;

#[cfg(test)]
mod tests;
