//! The decision facts a policy sees, built from the application, screening's findings and
//! scoring's answer — without a name, national id, date of birth, contact detail or street.

use chrono::{Datelike, NaiveDate};
use origination::{Application, Person as Applicant};
use policykit::wit::{
    BusinessAffordability, BusinessBureau, BusinessFacts, ConsumerAffordability, ConsumerBureau,
    ConsumerFacts, Contribution, Person, ProductLimits, Request, Score, Screening,
};
use policykit::{money_text, rate_text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use underwriting::affordability;
use underwriting::bureau::{BusinessReport, ConsumerAttributes};
use underwriting::scorecard;

/// Screening's findings, as intake summarises them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screened {
    /// A confident sanctions match.
    pub sanctions_hit: bool,
    /// A sanctions entry came near.
    pub sanctions_possible_match: bool,
    /// Every person's identity verified.
    pub identity_verified: bool,
    /// An identifier seen too often.
    pub velocity_exceeded: bool,
    /// An open application for the same product and national id.
    pub duplicate: bool,
}

/// How a bureau pull went, as scoring answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pulled {
    /// `ok`, `no_hit` or `unavailable`.
    pub status: String,
    /// The bureau's reference.
    pub report_id: Option<String>,
    /// Whether a stored report was reused.
    pub reused: bool,
}

/// The consumer part of scoring's answer.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsumerPart {
    /// The pull.
    pub pull: Pulled,
    /// The report's attributes (none without a file).
    pub attributes: Option<ConsumerAttributes>,
}

/// The business part of scoring's answer.
#[derive(Debug, Clone, Deserialize)]
pub struct BusinessPart {
    /// The pull.
    pub pull: Pulled,
    /// The report (none without a file).
    pub report: Option<BusinessReport>,
}

/// Scoring's score.
#[derive(Debug, Clone, Deserialize)]
pub struct ScorePart {
    /// The scorecard's identity.
    pub scorecard: String,
    /// Points.
    pub points: i32,
    /// Probability of default.
    pub probability_of_default: Decimal,
    /// The attributes that held it down most.
    pub key_factors: Vec<scorecard::Contribution>,
}

/// Scoring's answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Scored {
    /// The consumer report (the applicant's, or the principal owner's).
    pub bureau: ConsumerPart,
    /// The business report, for a business product.
    pub business_bureau: Option<BusinessPart>,
    /// Affordability, as `underwriting::affordability` computes it.
    pub affordability: serde_json::Value,
    /// The score.
    pub score: ScorePart,
}

impl Scored {
    /// Whether a bureau the decision needs did not answer.
    pub fn bureau_unavailable(&self) -> bool {
        self.bureau.pull.status == "unavailable"
            || self
                .business_bureau
                .as_ref()
                .is_some_and(|b| b.pull.status == "unavailable")
    }
}

/// The facts of either kind of policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "facts", rename_all = "snake_case")]
pub enum Facts {
    /// For a consumer policy.
    Consumer(ConsumerFacts),
    /// For a business policy.
    Business(BusinessFacts),
}

/// Whole years from `born` to `on`.
fn age(born: NaiveDate, on: NaiveDate) -> u32 {
    let before_birthday = (on.month(), on.day()) < (born.month(), born.day());
    (on.year() - born.year() - i32::from(before_birthday)).max(0) as u32
}

fn snake(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The person as a policy sees them.
fn person(who: &Applicant, on: NaiveDate, ownership: Option<String>) -> Person {
    Person {
        age_years: age(who.date_of_birth, on),
        state: who.address.state.clone(),
        employment_status: who.employment_status.map(snake).unwrap_or_default(),
        months_employed: who.months_employed,
        annual_income: who.annual_income.clone().unwrap_or_else(|| "0.00".into()),
        monthly_housing_cost: who
            .monthly_housing_cost
            .clone()
            .unwrap_or_else(|| "0.00".into()),
        ownership,
    }
}

fn request(application: &Application) -> Request {
    let limits = application.product.limits();
    Request {
        product: limits.name.into(),
        channel: snake(application.channel),
        amount: application.requested_amount.clone(),
        term_months: application.term_months,
        purpose: application.purpose.clone(),
        limits: ProductLimits {
            min_amount: money_text(Decimal::new(limits.amount_min_minor, 2)),
            max_amount: money_text(Decimal::new(limits.amount_max_minor, 2)),
            min_term_months: limits.term_min_months,
            max_term_months: limits.term_max_months,
            currency: limits.currency.into(),
        },
    }
}

fn screening(screened: &Screened) -> Screening {
    Screening {
        sanctions_hit: screened.sanctions_hit,
        sanctions_possible_match: screened.sanctions_possible_match,
        identity_verified: screened.identity_verified,
        velocity_exceeded: screened.velocity_exceeded,
        duplicate: screened.duplicate,
    }
}

fn consumer_bureau(attributes: Option<&ConsumerAttributes>) -> ConsumerBureau {
    match attributes {
        Some(a) => ConsumerBureau {
            hit: a.hit,
            thin_file: a.thin_file,
            score: a.score,
            open_tradelines: a.open_tradelines,
            revolving_utilisation: a.revolving_utilisation.map(rate_text),
            total_balance: money_text(a.total_balance),
            monthly_debt_payments: money_text(a.monthly_debt_payments),
            delinquencies_24_months: a.delinquencies_24_months,
            inquiries_6_months: a.inquiries_6_months,
            public_records: a.public_records,
            oldest_tradeline_months: a.oldest_tradeline_months,
        },
        None => ConsumerBureau {
            hit: false,
            thin_file: false,
            score: None,
            open_tradelines: 0,
            revolving_utilisation: None,
            total_balance: "0.00".into(),
            monthly_debt_payments: "0.00".into(),
            delinquencies_24_months: 0,
            inquiries_6_months: 0,
            public_records: 0,
            oldest_tradeline_months: None,
        },
    }
}

fn score(part: &ScorePart) -> Score {
    Score {
        scorecard: part.scorecard.clone(),
        points: part.points,
        probability_of_default: rate_text(part.probability_of_default),
        key_factors: part
            .key_factors
            .iter()
            .map(|c| Contribution {
                attribute: c.attribute.clone(),
                bin: c.bin.clone(),
                points: c.points,
                shortfall: c.shortfall,
            })
            .collect(),
    }
}

/// The owner whose consumer report a business application is scored on: the largest
/// stake, the applicant when no owner is listed.
pub fn principal_owner(application: &Application) -> (&Applicant, Option<Decimal>) {
    application
        .owners
        .iter()
        .filter_map(|o| {
            o.ownership_percent
                .parse::<Decimal>()
                .ok()
                .map(|p| (&o.person, p))
        })
        .max_by_key(|(_, share)| *share)
        .map_or((&application.applicant, None), |(p, share)| {
            (p, Some(share))
        })
}

/// Why facts cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable;

/// The facts of `application` on `on`.
pub fn build(
    application: &Application,
    screened: &Screened,
    scored: &Scored,
    on: NaiveDate,
) -> Result<Facts, Unreadable> {
    let owner_bureau = consumer_bureau(scored.bureau.attributes.as_ref());
    match &application.business {
        None => {
            let figures: affordability::Consumer =
                serde_json::from_value(scored.affordability.clone()).map_err(|_| Unreadable)?;
            Ok(Facts::Consumer(ConsumerFacts {
                request: request(application),
                applicant: person(&application.applicant, on, None),
                screening: screening(screened),
                bureau: owner_bureau,
                score: score(&scored.score),
                affordability: ConsumerAffordability {
                    monthly_income: money_text(figures.monthly_income),
                    new_payment: money_text(figures.new_payment),
                    debt_to_income: figures.debt_to_income.map(rate_text),
                    payment_to_income: figures.payment_to_income.map(rate_text),
                },
            }))
        }
        Some(_) => {
            let figures: affordability::Business =
                serde_json::from_value(scored.affordability.clone()).map_err(|_| Unreadable)?;
            let (owner, share) = principal_owner(application);
            let owned: Decimal = application
                .owners
                .iter()
                .filter_map(|o| o.ownership_percent.parse::<Decimal>().ok())
                .sum();
            let report = scored
                .business_bureau
                .as_ref()
                .and_then(|b| b.report.as_ref());
            Ok(Facts::Business(BusinessFacts {
                request: request(application),
                principal_owner: person(
                    owner,
                    on,
                    share.map(|s| rate_text(s / Decimal::ONE_HUNDRED)),
                ),
                owners: application.owners.len() as u32,
                owned_share: rate_text(owned / Decimal::ONE_HUNDRED),
                screening: screening(screened),
                owner_bureau,
                business_bureau: BusinessBureau {
                    hit: report.is_some_and(|r| r.hit),
                    score: report.and_then(|r| r.score),
                    years_in_business: report
                        .map(|r| r.years_in_business.to_string())
                        .unwrap_or_else(|| "0".into()),
                    trade_payment_index: report.and_then(|r| r.trade_payment_index),
                },
                score: score(&scored.score),
                affordability: BusinessAffordability {
                    annual_revenue: money_text(figures.annual_revenue),
                    annual_debt_service: money_text(figures.annual_debt_service),
                    new_annual_debt_service: money_text(figures.new_annual_debt_service),
                    debt_service_coverage: figures
                        .debt_service_coverage
                        .map(|d| d.round_dp(2).to_string()),
                    months_in_business: figures.months_in_business,
                },
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_count_whole_years_to_the_day() {
        let born: NaiveDate = "1990-02-28".parse().unwrap();
        assert_eq!(age(born, "2026-02-27".parse().unwrap()), 35);
        assert_eq!(age(born, "2026-02-28".parse().unwrap()), 36);
    }
}
