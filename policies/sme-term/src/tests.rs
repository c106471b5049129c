//! The policy on a table of cases: outcome, reasons in order, and the offers to the cent.
//! Expected prices and amounts are worked by hand from the tables in `rules.rs` (payments
//! with the annuity formula to 40 digits).

use policykit::wit::{
    BusinessAffordability, BusinessBureau, BusinessFacts, ConsumerBureau, Contribution, Outcome,
    Person, ProductLimits, Request, Score, Screening,
};

use crate::rules::decide;

/// A sound business: 250,000 over 60 months, 2,000,000 of revenue, 120,000 of yearly debt
/// service, a coverage of 1.60 with the loan (so net operating income is 288,000), six
/// years old, 700 points.
fn baseline() -> BusinessFacts {
    BusinessFacts {
        request: Request {
            product: "sme_term".into(),
            channel: "broker".into(),
            amount: "250000.00".into(),
            term_months: 60,
            purpose: "equipment".into(),
            limits: ProductLimits {
                min_amount: "10000.00".into(),
                max_amount: "2000000.00".into(),
                min_term_months: 12,
                max_term_months: 120,
                currency: "USD".into(),
            },
        },
        principal_owner: Person {
            age_years: 48,
            state: "TX".into(),
            employment_status: "self_employed".into(),
            months_employed: None,
            annual_income: "180000.00".into(),
            monthly_housing_cost: "2500.00".into(),
            ownership: Some("0.70".into()),
        },
        owners: 2,
        owned_share: "1.00".into(),
        screening: Screening {
            sanctions_hit: false,
            sanctions_possible_match: false,
            identity_verified: true,
            velocity_exceeded: false,
            duplicate: false,
        },
        owner_bureau: ConsumerBureau {
            hit: true,
            thin_file: false,
            score: Some(735),
            open_tradelines: 9,
            revolving_utilisation: Some("0.22".into()),
            total_balance: "310000.00".into(),
            monthly_debt_payments: "2900.00".into(),
            delinquencies_24_months: 0,
            inquiries_6_months: 1,
            public_records: 0,
            oldest_tradeline_months: Some(240),
        },
        business_bureau: BusinessBureau {
            hit: true,
            score: Some(68),
            years_in_business: "6.2".into(),
            trade_payment_index: Some(80),
        },
        score: Score {
            scorecard: "sme-v1@test".into(),
            points: 700,
            probability_of_default: "0.0250".into(),
            key_factors: Vec::new(),
        },
        affordability: BusinessAffordability {
            annual_revenue: "2000000.00".into(),
            annual_debt_service: "120000.00".into(),
            new_annual_debt_service: "60000.00".into(),
            debt_service_coverage: Some("1.60".into()),
            months_in_business: 74,
        },
    }
}

fn factor(attribute: &str) -> Contribution {
    Contribution {
        attribute: attribute.into(),
        bin: "worst".into(),
        points: 0,
        shortfall: 30,
    }
}

type Case = policykit::testing::Case<BusinessFacts>;

const CASES: &[Case] = &[
    (
        "sound business, 660-719 band",
        |_| {},
        Outcome::Approve,
        &[],
        Some(("250000.00", 60, "0.1125", "3750.00")),
        false,
        2,
    ),
    (
        "720+ band",
        |f| f.score.points = 730,
        Outcome::Approve,
        &[],
        Some(("250000.00", 60, "0.0925", "3750.00")),
        false,
        2,
    ),
    (
        "580-619 band pays 2.5 %",
        |f| f.score.points = 600,
        Outcome::Approve,
        &[],
        Some(("250000.00", 60, "0.1725", "6250.00")),
        false,
        2,
    ),
    (
        "a slow payer pays one point more",
        |f| f.business_bureau.trade_payment_index = Some(65),
        Outcome::Approve,
        &[],
        Some(("250000.00", 60, "0.1225", "3750.00")),
        false,
        2,
    ),
    (
        "and a weak business score 1.5 more",
        |f| {
            f.business_bureau.trade_payment_index = Some(65);
            f.business_bureau.score = Some(35);
        },
        Outcome::Approve,
        &[],
        Some(("250000.00", 60, "0.1375", "3750.00")),
        false,
        2,
    ),
    (
        "120 months has no longer alternative",
        |f| f.request.term_months = 120,
        Outcome::Approve,
        &[],
        Some(("250000.00", 120, "0.1199", "3750.00")),
        false,
        1,
    ),
    (
        "review band",
        |f| f.score.points = 570,
        Outcome::Refer,
        &["score-in-review-band"],
        None,
        false,
        0,
    ),
    (
        "below the cut-off, with the scorecard's factors",
        |f| {
            f.score.points = 520;
            f.score.key_factors = vec![factor("months-in-business"), factor("trade-payment-index")];
        },
        Outcome::Decline,
        &[
            "score-below-cutoff",
            "time-in-business",
            "trade-payments-late",
        ],
        None,
        false,
        0,
    ),
    (
        "under a year old",
        |f| f.affordability.months_in_business = 10,
        Outcome::Decline,
        &["time-in-business-too-short"],
        None,
        false,
        0,
    ),
    (
        "under two years old",
        |f| f.affordability.months_in_business = 18,
        Outcome::Refer,
        &["time-in-business-review"],
        None,
        false,
        0,
    ),
    (
        "pays its suppliers late",
        |f| f.business_bureau.trade_payment_index = Some(45),
        Outcome::Decline,
        &["trade-payments-late"],
        None,
        false,
        0,
    ),
    (
        "cash flow below the debt",
        |f| f.affordability.debt_service_coverage = Some("0.95".into()),
        Outcome::Decline,
        &["debt-service-coverage-too-low"],
        None,
        false,
        0,
    ),
    // 1.10 × 180,000 = 198,000 of income covers 158,400 at 1.25: 38,400 a year, 3,200 a
    // month, affords 146,337.17 at 11.25 % over 60 months: 146,000.
    (
        "reduced to what the cash flow covers",
        |f| f.affordability.debt_service_coverage = Some("1.10".into()),
        Outcome::Approve,
        &["debt-service-coverage-too-low"],
        Some(("146000.00", 60, "0.1125", "2190.00")),
        true,
        2,
    ),
    // A quarter of 800,000 caps the loan at 200,000.
    (
        "capped at a quarter of revenue",
        |f| f.affordability.annual_revenue = "800000.00".into(),
        Outcome::Approve,
        &["amount-exceeds-revenue-limit"],
        Some(("200000.00", 60, "0.1125", "3000.00")),
        true,
        2,
    ),
    (
        "no debt service at all",
        |f| {
            f.affordability.annual_debt_service = "0.00".into();
            f.affordability.new_annual_debt_service = "0.00".into();
            f.affordability.debt_service_coverage = None;
        },
        Outcome::Approve,
        &[],
        Some(("250000.00", 60, "0.1125", "3750.00")),
        false,
        2,
    ),
    (
        "owners of less than half",
        |f| f.owned_share = "0.40".into(),
        Outcome::Refer,
        &["ownership-incomplete"],
        None,
        false,
        0,
    ),
    (
        "no business file",
        |f| f.business_bureau.hit = false,
        Outcome::Refer,
        &["no-business-credit-file"],
        None,
        false,
        0,
    ),
    (
        "owner's thin file",
        |f| f.owner_bureau.thin_file = true,
        Outcome::Refer,
        &["insufficient-credit-history"],
        None,
        false,
        0,
    ),
    (
        "owner's public record",
        |f| f.owner_bureau.public_records = 1,
        Outcome::Decline,
        &["public-record"],
        None,
        false,
        0,
    ),
    (
        "sanctions hit first",
        |f| {
            f.screening.sanctions_hit = true;
            f.affordability.months_in_business = 6;
        },
        Outcome::Decline,
        &["sanctions-match", "time-in-business-too-short"],
        None,
        false,
        0,
    ),
    (
        "possible match and identity",
        |f| {
            f.screening.sanctions_possible_match = true;
            f.screening.identity_verified = false;
        },
        Outcome::Refer,
        &["sanctions-review", "identity-not-verified"],
        None,
        false,
        0,
    ),
    (
        "terms the grid does not price",
        |f| f.request.term_months = 144,
        Outcome::Decline,
        &["terms-not-offered"],
        None,
        false,
        0,
    ),
    (
        "unreadable figures",
        |f| f.affordability.annual_debt_service = "?".into(),
        Outcome::Refer,
        &["information-incomplete"],
        None,
        false,
        0,
    ),
];

#[test]
fn every_case_decides_as_the_tables_say() {
    policykit::testing::run_cases(CASES, baseline, decide);
}

#[test]
fn the_same_facts_always_give_the_same_decision() {
    let facts = baseline();
    assert_eq!(decide(&facts), decide(&facts.clone()));
}
