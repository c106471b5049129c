//! The policy on a table of cases: outcome, reasons in order, and the offers to the cent.
//! Expected prices and amounts are worked by hand from the tables in `rules.rs` (payments
//! with the annuity formula to 40 digits).

use policykit::wit::{
    ConsumerAffordability, ConsumerBureau, ConsumerFacts, Contribution, Outcome, Person,
    ProductLimits, Request, Score, Screening,
};

use crate::rules::decide;

/// A good applicant: 10,000 over 36 months, 85,000 a year, 1,800 housing and 400 of bureau
/// debt payments a month, 700 points.
fn baseline() -> ConsumerFacts {
    ConsumerFacts {
        request: Request {
            product: "personal_installment".into(),
            channel: "web".into(),
            amount: "10000.00".into(),
            term_months: 36,
            purpose: "debt consolidation".into(),
            limits: ProductLimits {
                min_amount: "1000.00".into(),
                max_amount: "50000.00".into(),
                min_term_months: 6,
                max_term_months: 84,
                currency: "USD".into(),
            },
        },
        applicant: Person {
            age_years: 36,
            state: "CA".into(),
            employment_status: "employed".into(),
            months_employed: Some(48),
            annual_income: "85000.00".into(),
            monthly_housing_cost: "1800.00".into(),
            ownership: None,
        },
        screening: Screening {
            sanctions_hit: false,
            sanctions_possible_match: false,
            identity_verified: true,
            velocity_exceeded: false,
            duplicate: false,
        },
        bureau: ConsumerBureau {
            hit: true,
            thin_file: false,
            score: Some(712),
            open_tradelines: 6,
            revolving_utilisation: Some("0.30".into()),
            total_balance: "14000.00".into(),
            monthly_debt_payments: "400.00".into(),
            delinquencies_24_months: 0,
            inquiries_6_months: 1,
            public_records: 0,
            oldest_tradeline_months: Some(120),
        },
        score: Score {
            scorecard: "consumer-v1@test".into(),
            points: 700,
            probability_of_default: "0.0300".into(),
            key_factors: Vec::new(),
        },
        affordability: ConsumerAffordability {
            monthly_income: "7083.33".into(),
            new_payment: "327.34".into(),
            debt_to_income: Some("0.3567".into()),
            payment_to_income: Some("0.0462".into()),
        },
    }
}

fn factor(attribute: &str) -> Contribution {
    Contribution {
        attribute: attribute.into(),
        bin: "worst".into(),
        points: 0,
        shortfall: 40,
    }
}

type Case = policykit::testing::Case<ConsumerFacts>;

const CASES: &[Case] = &[
    (
        "good applicant, 680-719 band",
        |_| {},
        Outcome::Approve,
        &[],
        Some(("10000.00", 36, "0.1099", "0.00")),
        false,
        2,
    ),
    (
        "720+ band",
        |f| f.score.points = 730,
        Outcome::Approve,
        &[],
        Some(("10000.00", 36, "0.0799", "0.00")),
        false,
        2,
    ),
    (
        "640-679 band pays a 1 % fee",
        |f| f.score.points = 660,
        Outcome::Approve,
        &[],
        Some(("10000.00", 36, "0.1499", "100.00")),
        false,
        2,
    ),
    (
        "600-639 band pays 3 %",
        |f| f.score.points = 610,
        Outcome::Approve,
        &[],
        Some(("10000.00", 36, "0.1999", "300.00")),
        false,
        2,
    ),
    (
        "a recent delinquency adds 2 points",
        |f| f.bureau.delinquencies_24_months = 1,
        Outcome::Approve,
        &[],
        Some(("10000.00", 36, "0.1299", "0.00")),
        false,
        2,
    ),
    (
        "and high utilisation one more",
        |f| {
            f.bureau.delinquencies_24_months = 1;
            f.bureau.revolving_utilisation = Some("0.80".into());
        },
        Outcome::Approve,
        &[],
        Some(("10000.00", 36, "0.1399", "0.00")),
        false,
        2,
    ),
    (
        "60 months has no longer alternative",
        |f| f.request.term_months = 60,
        Outcome::Approve,
        &[],
        Some(("10000.00", 60, "0.1199", "0.00")),
        false,
        1,
    ),
    (
        "review band",
        |f| f.score.points = 590,
        Outcome::Refer,
        &["score-in-review-band"],
        None,
        false,
        0,
    ),
    (
        "below the cut-off, with the scorecard's factors",
        |f| {
            f.score.points = 540;
            f.score.key_factors = vec![
                factor("revolving-utilisation"),
                factor("inquiries-6-months"),
            ];
        },
        Outcome::Decline,
        &[
            "score-below-cutoff",
            "revolving-utilisation",
            "recent-inquiries",
        ],
        None,
        false,
        0,
    ),
    (
        "public record",
        |f| f.bureau.public_records = 1,
        Outcome::Decline,
        &["public-record"],
        None,
        false,
        0,
    ),
    (
        "three delinquencies",
        |f| f.bureau.delinquencies_24_months = 3,
        Outcome::Decline,
        &["serious-delinquency"],
        None,
        false,
        0,
    ),
    (
        "income below 12,000",
        |f| f.applicant.annual_income = "10000.00".into(),
        Outcome::Decline,
        &["insufficient-income"],
        None,
        false,
        0,
    ),
    (
        "bureau score below 560",
        |f| f.bureau.score = Some(540),
        Outcome::Decline,
        &["bureau-score-below-minimum"],
        None,
        false,
        0,
    ),
    (
        "knock-outs before referrals, in table order",
        |f| {
            f.screening.sanctions_hit = true;
            f.bureau.public_records = 2;
            f.screening.identity_verified = false;
        },
        Outcome::Decline,
        &["sanctions-match", "public-record"],
        None,
        false,
        0,
    ),
    (
        "identity not verified",
        |f| f.screening.identity_verified = false,
        Outcome::Refer,
        &["identity-not-verified"],
        None,
        false,
        0,
    ),
    (
        "possible match and duplicate",
        |f| {
            f.screening.sanctions_possible_match = true;
            f.screening.duplicate = true;
        },
        Outcome::Refer,
        &["sanctions-review", "duplicate-application"],
        None,
        false,
        0,
    ),
    (
        "velocity",
        |f| f.screening.velocity_exceeded = true,
        Outcome::Refer,
        &["application-velocity"],
        None,
        false,
        0,
    ),
    (
        "thin file",
        |f| f.bureau.thin_file = true,
        Outcome::Refer,
        &["insufficient-credit-history"],
        None,
        false,
        0,
    ),
    (
        "no hit",
        |f| {
            f.bureau.hit = false;
            f.bureau.score = None;
        },
        Outcome::Refer,
        &["insufficient-credit-history"],
        None,
        false,
        0,
    ),
    (
        "six inquiries",
        |f| f.bureau.inquiries_6_months = 6,
        Outcome::Refer,
        &["recent-inquiries"],
        None,
        false,
        0,
    ),
    // 45 % of 7,083.33 is 3,187.50; 2,800 + 400 leaves nothing for a payment.
    (
        "debt leaves no room",
        |f| f.applicant.monthly_housing_cost = "2800.00".into(),
        Outcome::Decline,
        &["debt-to-income-too-high"],
        None,
        false,
        0,
    ),
    // 3,187.50 - 3,000 = 187.50 a month affords 5,727.99 at 10.99 % over 36: 5,700.
    (
        "reduced to what the payment affords",
        |f| {
            f.applicant.monthly_housing_cost = "2700.00".into();
            f.bureau.monthly_debt_payments = "300.00".into();
        },
        Outcome::Approve,
        &["debt-to-income-too-high"],
        Some(("5700.00", 36, "0.1099", "0.00")),
        true,
        2,
    ),
    // Half of 85,000 caps 45,000 at 42,500 (payment 772.93 over 84 months fits).
    (
        "capped at half the income",
        |f| {
            f.request.amount = "45000.00".into();
            f.request.term_months = 84;
        },
        Outcome::Approve,
        &["amount-exceeds-income-limit"],
        Some(("42500.00", 84, "0.1299", "0.00")),
        true,
        1,
    ),
    (
        "terms the grid does not price",
        |f| f.request.term_months = 96,
        Outcome::Decline,
        &["terms-not-offered"],
        None,
        false,
        0,
    ),
    (
        "unreadable figures",
        |f| f.affordability.monthly_income = "n/a".into(),
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
fn the_lower_payment_alternative_runs_60_months_at_its_own_rate() {
    let decision = decide(&baseline());
    let alternative = &decision.offers[1];
    assert_eq!(
        (
            alternative.amount.as_str(),
            alternative.term_months,
            alternative.annual_rate.as_str()
        ),
        ("10000.00", 60, "0.1199")
    );
}

#[test]
fn the_same_facts_always_give_the_same_decision() {
    let facts = baseline();
    assert_eq!(decide(&facts), decide(&facts.clone()));
}
