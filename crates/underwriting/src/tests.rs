//! Scorecards on a table of attribute vectors with points worked by hand from
//! `data/scorecards/*.json`; report attributes; affordability to the cent.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::affordability::{self, Quote};
use crate::bureau::*;
use crate::scorecard::*;

const CONSUMER: &[u8] = include_bytes!("../../../data/scorecards/consumer-v1.json");
const SME: &[u8] = include_bytes!("../../../data/scorecards/sme-v1.json");

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// bureau score, utilisation, delinquencies, inquiries, oldest account, open accounts,
/// debt-to-income, months employed — and the points expected.
type ConsumerCase = (&'static str, [Option<&'static str>; 8], i32);

const CONSUMER_CASES: &[ConsumerCase] = &[
    // 85 + 45 + 75 + 50 + 70 + 55 + 35 + 45 = 460, + 240.
    (
        "typical",
        [
            Some("712"),
            Some("0.30"),
            Some("0"),
            Some("1"),
            Some("120"),
            Some("6"),
            Some("0.3567"),
            Some("48"),
        ],
        700,
    ),
    // Every missing bin: 20 + 45 + 40 + 40 + 15 + 20 + 20 + 30 = 230, + 240.
    ("no file, nothing known", [None; 8], 470),
    // 110 + 70 + 75 + 60 + 70 + 55 + 70 + 55 = 565, + 240.
    (
        "excellent",
        [
            Some("800"),
            Some("0.05"),
            Some("0"),
            Some("0"),
            Some("200"),
            Some("7"),
            Some("0.15"),
            Some("100"),
        ],
        805,
    ),
    // 10 + 5 + 5 + 10 + 20 + 25 + 10 + 20 = 105, + 240.
    (
        "poor",
        [
            Some("560"),
            Some("0.9"),
            Some("3"),
            Some("7"),
            Some("10"),
            Some("1"),
            Some("0.6"),
            Some("2"),
        ],
        345,
    ),
    // Lower bounds are inclusive: 35 + 5 + 35 + 30 + 40 + 45 + 10 + 35 = 235, + 240.
    (
        "on the edges",
        [
            Some("580"),
            Some("0.75"),
            Some("1"),
            Some("3"),
            Some("24"),
            Some("2"),
            Some("0.45"),
            Some("6"),
        ],
        475,
    ),
];

const CONSUMER_ATTRIBUTES: [&str; 8] = [
    "bureau-score",
    "revolving-utilisation",
    "delinquencies-24-months",
    "inquiries-6-months",
    "oldest-tradeline-months",
    "open-tradelines",
    "debt-to-income",
    "months-employed",
];

#[test]
fn the_consumer_scorecard_adds_the_points_of_each_bin() {
    let card = Loaded::parse(CONSUMER).unwrap();
    for (case, values, points) in CONSUMER_CASES {
        let vector: BTreeMap<&str, Option<Decimal>> = CONSUMER_ATTRIBUTES
            .iter()
            .zip(values)
            .map(|(name, value)| (*name, value.map(d)))
            .collect();
        assert_eq!(card.score(&vector).unwrap().points, *points, "{case}");
    }
}

#[test]
fn the_sme_scorecard_adds_the_points_of_each_bin() {
    let card = Loaded::parse(SME).unwrap();
    let vector: BTreeMap<&str, Option<Decimal>> = [
        ("business-score", Some(d("68"))),
        ("trade-payment-index", Some(d("80"))),
        ("months-in-business", Some(d("74"))),
        ("debt-service-coverage", Some(d("1.60"))),
        ("owner-bureau-score", Some(d("735"))),
        ("owner-delinquencies-24-months", Some(d("0"))),
    ]
    .into_iter()
    .collect();
    // 70 + 75 + 60 + 70 + 60 + 60 = 395, + 250.
    let score = card.score(&vector).unwrap();
    assert_eq!(score.points, 645);
    assert!(score.scorecard.starts_with("sme-v1@") && score.scorecard.len() == 19);
}

#[test]
fn key_factors_are_the_largest_shortfalls_in_scorecard_order_on_ties() {
    let card = Loaded::parse(CONSUMER).unwrap();
    let vector: BTreeMap<&str, Option<Decimal>> = CONSUMER_ATTRIBUTES
        .iter()
        .zip(CONSUMER_CASES[0].1)
        .map(|(name, value)| (*name, value.map(d)))
        .collect();
    let score = card.score(&vector).unwrap();
    // Shortfalls: debt-to-income 35, bureau-score 25, utilisation 25, inquiries 10,
    // months employed 10 (cut: four at most).
    let factors: Vec<(&str, i32)> = score
        .key_factors()
        .iter()
        .map(|c| (c.attribute.as_str(), c.shortfall))
        .collect();
    assert_eq!(
        factors,
        [
            ("debt-to-income", 35),
            ("bureau-score", 25),
            ("revolving-utilisation", 25),
            ("inquiries-6-months", 10)
        ]
    );
}

#[test]
fn probability_of_default_follows_the_scaling() {
    let scaling = Scaling {
        points: 600,
        odds: d("10"),
        pdo: d("40"),
    };
    // 600 points: odds 10, PD 1/11; 40 more double the odds, 40 fewer halve them.
    for (points, pd) in [
        (600, "0.0909"),
        (640, "0.0476"),
        (560, "0.1667"),
        (700, "0.0174"),
    ] {
        assert_eq!(probability_of_default(&scaling, points), d(pd), "{points}");
    }
    assert_eq!(probability_of_default(&scaling, 100_000), d("0"));
    assert_eq!(probability_of_default(&scaling, -100_000), d("1"));
}

#[test]
fn scorecards_with_holes_or_without_a_missing_bin_are_refused() {
    let mut card: serde_json::Value = serde_json::from_slice(CONSUMER).unwrap();
    card["attributes"][0]["bins"][2]["min"] = "590".into();
    let gap = Loaded::parse(card.to_string().as_bytes()).unwrap_err();
    assert_eq!(gap, ScorecardError::Bins("bureau-score".into()));
    let mut card: serde_json::Value = serde_json::from_slice(CONSUMER).unwrap();
    card["attributes"][1]["bins"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    assert!(matches!(
        Loaded::parse(card.to_string().as_bytes()),
        Err(ScorecardError::Bins(_))
    ));
    let mut card: serde_json::Value = serde_json::from_slice(CONSUMER).unwrap();
    card["scaling"]["pdo"] = "0".into();
    assert_eq!(
        Loaded::parse(card.to_string().as_bytes()),
        Err(ScorecardError::Scaling)
    );
    assert!(matches!(
        Loaded::parse(b"{}"),
        Err(ScorecardError::Unreadable(_))
    ));
}

fn tradeline(
    kind: TradelineKind,
    opened: &str,
    balance: &str,
    limit: Option<&str>,
    payment: &str,
    late: u32,
) -> Tradeline {
    Tradeline {
        kind,
        creditor: "Example Bank".into(),
        account_number: "4111000012345678".into(),
        opened: date(opened),
        balance: d(balance),
        credit_limit: limit.map(d),
        monthly_payment: d(payment),
        status: AccountStatus::Current,
        late_payments_24_months: late,
    }
}

#[test]
fn report_attributes_are_read_as_of_the_application() {
    let mut closed = tradeline(TradelineKind::Installment, "2010-01-15", "0", None, "0", 0);
    closed.status = AccountStatus::Closed;
    let report = ConsumerReport {
        report_id: "r-1".into(),
        hit: true,
        score: Some(712),
        tradelines: vec![
            tradeline(
                TradelineKind::Revolving,
                "2016-03-01",
                "1500.00",
                Some("5000.00"),
                "45.00",
                1,
            ),
            tradeline(
                TradelineKind::Revolving,
                "2019-07-01",
                "900.00",
                Some("3000.00"),
                "30.00",
                0,
            ),
            tradeline(
                TradelineKind::Installment,
                "2023-05-01",
                "12000.00",
                None,
                "325.00",
                0,
            ),
            closed,
        ],
        inquiries: vec![
            Inquiry {
                date: date("2026-10-01"),
                hard: true,
            },
            Inquiry {
                date: date("2026-09-01"),
                hard: false,
            },
            Inquiry {
                date: date("2026-04-30"),
                hard: true,
            },
        ],
        public_records: Vec::new(),
    };
    let attributes = ConsumerAttributes::of(&report, date("2026-11-20"));
    assert_eq!(attributes.open_tradelines, 3);
    // 2,400 of 8,000 revolving.
    assert_eq!(attributes.revolving_utilisation, Some(d("0.3")));
    assert_eq!(attributes.total_balance, d("14400.00"));
    assert_eq!(attributes.monthly_debt_payments, d("400.00"));
    assert_eq!(attributes.delinquencies_24_months, 1);
    assert_eq!(
        attributes.inquiries_6_months, 1,
        "soft and older inquiries do not count"
    );
    // The closed account opened 2010-01-15 is the oldest: 16 years 10 months.
    assert_eq!(attributes.oldest_tradeline_months, Some(202));
    assert!(!attributes.thin_file);
    let masked = report.masked();
    assert!(
        masked
            .tradelines
            .iter()
            .all(|t| t.account_number == "****5678")
    );

    let thin = ConsumerReport {
        tradelines: report.tradelines[..2].to_vec(),
        ..report.clone()
    };
    assert!(ConsumerAttributes::of(&thin, date("2026-11-20")).thin_file);
    let none = ConsumerReport {
        hit: false,
        score: None,
        tradelines: Vec::new(),
        inquiries: Vec::new(),
        ..report
    };
    let attributes = ConsumerAttributes::of(&none, date("2026-11-20"));
    assert!(!attributes.hit && !attributes.thin_file);
    assert_eq!(
        (
            attributes.revolving_utilisation,
            attributes.oldest_tradeline_months
        ),
        (None, None)
    );
}

#[test]
fn affordability_to_the_cent() {
    // 10,000 over 36 months quoted at 15 %: 346.65 a month.
    let consumer = affordability::consumer(
        d("85000"),
        d("1800"),
        d("400"),
        Quote {
            amount: d("10000"),
            term_months: 36,
            annual_rate: d("0.15"),
        },
    );
    assert_eq!(consumer.monthly_income, d("7083.33"));
    assert_eq!(consumer.new_payment, d("346.65"));
    assert_eq!(consumer.debt_to_income, Some(d("0.3595")));
    assert_eq!(consumer.payment_to_income, Some(d("0.0489")));
    let no_income = affordability::consumer(
        d("0"),
        d("0"),
        d("0"),
        Quote {
            amount: d("1000"),
            term_months: 12,
            annual_rate: d("0.15"),
        },
    );
    assert_eq!(
        (no_income.debt_to_income, no_income.payment_to_income),
        (None, None)
    );

    // 250,000 over 60 months at 12 %: 5,561.11 a month, 66,733.32 a year; 20 % of
    // 2,000,000 over 186,733.32 of debt service is 2.14.
    let business = affordability::business(
        d("2000000"),
        d("120000"),
        d("0.20"),
        Quote {
            amount: d("250000"),
            term_months: 60,
            annual_rate: d("0.12"),
        },
        date("2020-09-15"),
        date("2026-11-20"),
    );
    assert_eq!(business.new_annual_debt_service, d("66733.32"));
    assert_eq!(business.debt_service_coverage, Some(d("2.14")));
    assert_eq!(business.months_in_business, 74);
}
