//! The rules of the consumer installment policy, in the order they are applied:
//!
//! 1. **Knock-outs** ([`KNOCK_OUTS`]) decline whatever the score.
//! 2. **Referrals** ([`REFERRALS`]) send the application to an underwriter.
//! 3. **Score cut-offs**: below [`DECLINE_BELOW`] points declines (with the scorecard's key
//!    factors as reasons), below [`REFER_BELOW`] refers.
//! 4. **Pricing**: the annual rate from [`PRICING`] by score and term, plus
//!    [`SURCHARGES`], at most [`RATE_CAP`]; the origination fee from [`FEES`].
//! 5. **Affordability and limits**: the new payment may take at most [`PTI_MAX`] of monthly
//!    income, and all debt after the loan at most [`DTI_MAX`]; the amount at most
//!    [`INCOME_MULTIPLE`] of annual income and the product's maximum. A loan that does not
//!    fit is reduced (a counter-offer, in steps of [`AMOUNT_STEP`]); one that cannot reach
//!    the product's minimum is declined.
//! 6. **Offers**: the loan at the requested term, and the same amount over [`LONGER_TERM`]
//!    months as a lower-payment alternative when the product and the grid allow it.

use policykit::wit::{ConsumerFacts, Decision, Outcome};
use policykit::{
    Gates, PricingGrid, Surcharge, approve_sized, decimal, fee_share, optional_decimal, price,
    refuse, size_offer,
};
use rust_decimal::Decimal;

/// The policy's name.
pub const NAME: &str = "consumer-installment";
/// The policy's version (the platform records the wasm digest beside it).
pub const VERSION: &str = "2026.12.1";

/// The reasons this policy gives, with the text an adverse-action notice carries.
pub mod reasons {
    use policykit::Reason;

    /// A confident sanctions match.
    pub const SANCTIONS: Reason = Reason {
        code: "sanctions-match",
        text: "The applicant matches an entry on a government sanctions list.",
    };
    /// Bankruptcy, judgment or lien.
    pub const PUBLIC_RECORD: Reason = Reason {
        code: "public-record",
        text: "Bankruptcy, judgment or lien on your credit report.",
    };
    /// Repeated recent delinquency.
    pub const DELINQUENCY: Reason = Reason {
        code: "serious-delinquency",
        text: "Serious or repeated late payments in the last 24 months.",
    };
    /// Income too low or missing.
    pub const INCOME: Reason = Reason {
        code: "insufficient-income",
        text: "Income insufficient for the amount of credit requested.",
    };
    /// The bureau's own score too low.
    pub const BUREAU_SCORE: Reason = Reason {
        code: "bureau-score-below-minimum",
        text: "Your credit score is below our minimum.",
    };
    /// A possible sanctions match awaits review.
    pub const SANCTIONS_REVIEW: Reason = Reason {
        code: "sanctions-review",
        text: "A possible match on a government sanctions list must be reviewed.",
    };
    /// Identity not verified.
    pub const IDENTITY: Reason = Reason {
        code: "identity-not-verified",
        text: "We could not verify your identity.",
    };
    /// Many recent applications with the same details.
    pub const VELOCITY: Reason = Reason {
        code: "application-velocity",
        text: "Several recent applications with the same personal details.",
    };
    /// Another open application for the product.
    pub const DUPLICATE: Reason = Reason {
        code: "duplicate-application",
        text: "An application for this product is already open.",
    };
    /// No or thin credit file.
    pub const HISTORY: Reason = Reason {
        code: "insufficient-credit-history",
        text: "Insufficient credit history.",
    };
    /// Many recent inquiries.
    pub const INQUIRIES: Reason = Reason {
        code: "recent-inquiries",
        text: "Number of recent inquiries on your credit report.",
    };
    /// Score below the cut-off.
    pub const SCORE: Reason = Reason {
        code: "score-below-cutoff",
        text: "Your credit score does not meet our requirements.",
    };
    /// Score in the band a person reviews.
    pub const SCORE_REVIEW: Reason = Reason {
        code: "score-in-review-band",
        text: "Your application needs a closer look by an underwriter.",
    };
    /// Debt too high for the income.
    pub const DEBT_TO_INCOME: Reason = Reason {
        code: "debt-to-income-too-high",
        text: "Your debt obligations are too high compared with your income.",
    };
    /// More than the income supports.
    pub const INCOME_LIMIT: Reason = Reason {
        code: "amount-exceeds-income-limit",
        text: "The amount requested exceeds what we lend for your income.",
    };
    /// The facts could not be read.
    pub const FACTS: Reason = Reason {
        code: "information-incomplete",
        text: "Information needed to decide is missing.",
    };
    /// The grid does not price the loan.
    pub const NOT_PRICED: Reason = Reason {
        code: "terms-not-offered",
        text: "We do not offer credit on the terms requested.",
    };
    /// The scorecard's attributes, as reasons (the largest shortfalls of a declined score).
    pub const SCORECARD: &[(&str, Reason)] = &[
        (
            "bureau-score",
            Reason {
                code: "credit-score",
                text: "Your credit score.",
            },
        ),
        (
            "revolving-utilisation",
            Reason {
                code: "revolving-utilisation",
                text: "Proportion of balances to credit limits on revolving accounts is too high.",
            },
        ),
        (
            "delinquencies-24-months",
            Reason {
                code: "delinquency",
                text: "Delinquency on accounts.",
            },
        ),
        (
            "inquiries-6-months",
            Reason {
                code: "recent-inquiries",
                text: "Number of recent inquiries on your credit report.",
            },
        ),
        (
            "oldest-tradeline-months",
            Reason {
                code: "length-of-credit-history",
                text: "Length of credit history.",
            },
        ),
        (
            "open-tradelines",
            Reason {
                code: "number-of-accounts",
                text: "Number of accounts with balances.",
            },
        ),
        (
            "debt-to-income",
            Reason {
                code: "debt-to-income-too-high",
                text: "Your debt obligations are too high compared with your income.",
            },
        ),
        (
            "months-employed",
            Reason {
                code: "length-of-employment",
                text: "Length of employment.",
            },
        ),
    ];
}

/// A knock-out or referral rule: when it holds, the reason.
type Rule = policykit::Rule<ConsumerFacts>;

/// Decline, whatever the score.
pub const KNOCK_OUTS: &[Rule] = &[
    (|f| f.screening.sanctions_hit, reasons::SANCTIONS),
    (|f| f.bureau.public_records >= 1, reasons::PUBLIC_RECORD),
    (
        |f| f.bureau.delinquencies_24_months >= 3,
        reasons::DELINQUENCY,
    ),
    (
        |f| decimal(&f.applicant.annual_income).is_none_or(|i| i < Decimal::from(12_000)),
        reasons::INCOME,
    ),
    (
        |f| f.bureau.score.is_some_and(|s| s < 560),
        reasons::BUREAU_SCORE,
    ),
];

/// Refer to an underwriter.
pub const REFERRALS: &[Rule] = &[
    (
        |f| f.screening.sanctions_possible_match,
        reasons::SANCTIONS_REVIEW,
    ),
    (|f| !f.screening.identity_verified, reasons::IDENTITY),
    (|f| f.screening.duplicate, reasons::DUPLICATE),
    (|f| f.screening.velocity_exceeded, reasons::VELOCITY),
    (|f| !f.bureau.hit || f.bureau.thin_file, reasons::HISTORY),
    (|f| f.bureau.inquiries_6_months >= 6, reasons::INQUIRIES),
];

/// Knock-outs, referrals and the score's cut-offs.
pub const GATES: Gates<'static, ConsumerFacts> = Gates {
    knock_outs: KNOCK_OUTS,
    referrals: REFERRALS,
    decline_below: DECLINE_BELOW,
    refer_below: REFER_BELOW,
    score_reason: reasons::SCORE,
    review_reason: reasons::SCORE_REVIEW,
    factor_reasons: reasons::SCORECARD,
};

/// Scorecard points below which the policy declines.
pub const DECLINE_BELOW: i32 = 560;
/// Scorecard points below which (and from [`DECLINE_BELOW`]) an underwriter decides.
pub const REFER_BELOW: i32 = 600;

/// Annual rates by scorecard points (rows) and term (columns: up to 36, 60, 84 months).
pub const PRICING: PricingGrid = PricingGrid {
    terms: &[36, 60, 84],
    rows: &[
        (720, &["0.0799", "0.0899", "0.0999"]),
        (680, &["0.1099", "0.1199", "0.1299"]),
        (640, &["0.1499", "0.1599", "0.1699"]),
        (600, &["0.1999", "0.2199", "0.2399"]),
    ],
};

/// Added to the grid's rate: one or more delinquencies in 24 months, revolving
/// utilisation above 75 %.
pub const SURCHARGES: &[Surcharge<ConsumerFacts>] = &[
    (|f| f.bureau.delinquencies_24_months >= 1, "0.0200"),
    (
        |f| {
            optional_decimal(f.bureau.revolving_utilisation.as_ref())
                .is_some_and(|u| u > Decimal::new(75, 2))
        },
        "0.0100",
    ),
];

/// No annual rate above this (36 %).
pub const RATE_CAP: &str = "0.3599";

/// Origination fee as a share of the amount, by scorecard points.
pub const FEES: &[(i32, &str)] = &[(700, "0.00"), (650, "0.01"), (600, "0.03")];

/// Most of gross monthly income the new payment may take.
pub const PTI_MAX: &str = "0.15";
/// Most of gross monthly income all debt payments, housing included, may take after the loan.
pub const DTI_MAX: &str = "0.45";
/// Most a loan may be, as a multiple of annual income.
pub const INCOME_MULTIPLE: &str = "0.5";
/// Reduced amounts are multiples of this.
pub const AMOUNT_STEP: &str = "100";
/// The lower-payment alternative's term, months.
pub const LONGER_TERM: u32 = 60;

/// What the rules decide for `facts`.
pub fn decide(facts: &ConsumerFacts) -> Decision {
    decide_or_refer(facts).unwrap_or_else(|| refuse(Outcome::Refer, &[reasons::FACTS]))
}

/// The decision, or `None` when a figure of the facts cannot be read.
fn decide_or_refer(facts: &ConsumerFacts) -> Option<Decision> {
    if let Some(refused) = GATES.apply(facts, &facts.score) {
        return Some(refused);
    }
    let points = facts.score.points;
    let request = &facts.request;
    let term = request.term_months;
    let Some(rate) = annual_rate(facts, points, term) else {
        return Some(refuse(Outcome::Decline, &[reasons::NOT_PRICED]));
    };
    let monthly_income = decimal(&facts.affordability.monthly_income)?;
    let existing = decimal(&facts.bureau.monthly_debt_payments)?
        + decimal(&facts.applicant.monthly_housing_cost)?;
    let affordable =
        (monthly_income * decimal(PTI_MAX)?).min(monthly_income * decimal(DTI_MAX)? - existing);
    let cap = (decimal(&facts.applicant.annual_income)? * decimal(INCOME_MULTIPLE)?)
        .min(decimal(&request.limits.max_amount)?);
    let Some(sized) = size_offer(
        decimal(&request.amount)?,
        cap,
        decimal(&request.limits.min_amount)?,
        affordable,
        rate,
        term,
        decimal(AMOUNT_STEP)?,
    ) else {
        return Some(refuse(Outcome::Decline, &[reasons::DEBT_TO_INCOME]));
    };
    let alternative = (term < LONGER_TERM && LONGER_TERM <= request.limits.max_term_months)
        .then(|| annual_rate(facts, points, LONGER_TERM).map(|rate| (LONGER_TERM, rate)))
        .flatten();
    Some(approve_sized(
        sized,
        term,
        rate,
        alternative,
        fee_share(FEES, points)?,
        reasons::DEBT_TO_INCOME,
        reasons::INCOME_LIMIT,
    ))
}

/// The annual rate for `points` and `term`, surcharges added, capped.
fn annual_rate(facts: &ConsumerFacts, points: i32, term: u32) -> Option<Decimal> {
    price(&PRICING, SURCHARGES, RATE_CAP, facts, points, term)
}
