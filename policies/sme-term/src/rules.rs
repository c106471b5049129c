//! The rules of the SME term loan policy, in the order they are applied:
//!
//! 1. **Knock-outs** ([`KNOCK_OUTS`]) decline whatever the score.
//! 2. **Referrals** ([`REFERRALS`]) send the application to an underwriter.
//! 3. **Score cut-offs**: below [`DECLINE_BELOW`] points declines (with the scorecard's key
//!    factors as reasons), below [`REFER_BELOW`] refers.
//! 4. **Pricing**: the annual rate from [`PRICING`] by score and term, plus
//!    [`SURCHARGES`], at most [`RATE_CAP`]; the origination fee from [`FEES`].
//! 5. **Cash flow and limits**: net operating income (what the coverage ratio in the facts
//!    implies) must cover all debt service after the loan [`DSCR_MIN`] times; the amount is
//!    at most [`REVENUE_SHARE`] of annual revenue and the product's maximum. A loan that does
//!    not fit is reduced (a counter-offer, in steps of [`AMOUNT_STEP`]); one that cannot
//!    reach the product's minimum is declined.
//! 6. **Offers**: the loan at the requested term, and the same amount over [`LONGER_TERM`]
//!    months as a lower-payment alternative when the product and the grid allow it.

use policykit::wit::{BusinessFacts, Decision, Outcome};
use policykit::{
    Gates, PricingGrid, Surcharge, approve_sized, decimal, fee_share, optional_decimal, price,
    refuse, size_offer,
};
use rust_decimal::Decimal;

/// The policy's name.
pub const NAME: &str = "sme-term";
/// The policy's version (the platform records the wasm digest beside it).
pub const VERSION: &str = "2026.12.1";

/// The reasons this policy gives, with the text an adverse-action notice carries.
pub mod reasons {
    use policykit::Reason;

    /// A confident sanctions match.
    pub const SANCTIONS: Reason = Reason {
        code: "sanctions-match",
        text: "The business or an owner matches an entry on a government sanctions list.",
    };
    /// An owner's bankruptcy, judgment or lien.
    pub const PUBLIC_RECORD: Reason = Reason {
        code: "public-record",
        text: "Bankruptcy, judgment or lien on the principal owner's credit report.",
    };
    /// An owner's repeated recent delinquency.
    pub const DELINQUENCY: Reason = Reason {
        code: "serious-delinquency",
        text: "Serious or repeated late payments by the principal owner in the last 24 months.",
    };
    /// Too young a business.
    pub const TIME_IN_BUSINESS: Reason = Reason {
        code: "time-in-business-too-short",
        text: "The business has not operated long enough.",
    };
    /// The business pays its suppliers late.
    pub const PAYS_LATE: Reason = Reason {
        code: "trade-payments-late",
        text: "The business's payments to its trade creditors are late.",
    };
    /// Cash flow does not cover the debt.
    pub const CASH_FLOW: Reason = Reason {
        code: "debt-service-coverage-too-low",
        text: "The business's cash flow does not cover its debt payments with the loan.",
    };
    /// A possible sanctions match awaits review.
    pub const SANCTIONS_REVIEW: Reason = Reason {
        code: "sanctions-review",
        text: "A possible match on a government sanctions list must be reviewed.",
    };
    /// Identity not verified.
    pub const IDENTITY: Reason = Reason {
        code: "identity-not-verified",
        text: "We could not verify the identity of every owner.",
    };
    /// Another open application for the product.
    pub const DUPLICATE: Reason = Reason {
        code: "duplicate-application",
        text: "An application for this product is already open.",
    };
    /// Many recent applications with the same details.
    pub const VELOCITY: Reason = Reason {
        code: "application-velocity",
        text: "Several recent applications with the same details.",
    };
    /// No business credit file.
    pub const NO_BUSINESS_FILE: Reason = Reason {
        code: "no-business-credit-file",
        text: "No credit file was found for the business.",
    };
    /// The owner's file is missing or thin.
    pub const OWNER_HISTORY: Reason = Reason {
        code: "insufficient-credit-history",
        text: "Insufficient credit history of the principal owner.",
    };
    /// A business between one and two years old.
    pub const YOUNG_BUSINESS: Reason = Reason {
        code: "time-in-business-review",
        text: "A business under two years old needs a closer look by an underwriter.",
    };
    /// Too little of the business guarantees the loan.
    pub const OWNERSHIP: Reason = Reason {
        code: "ownership-incomplete",
        text: "Owners of at least 51 % of the business must apply.",
    };
    /// Score below the cut-off.
    pub const SCORE: Reason = Reason {
        code: "score-below-cutoff",
        text: "The credit score does not meet our requirements.",
    };
    /// Score in the band a person reviews.
    pub const SCORE_REVIEW: Reason = Reason {
        code: "score-in-review-band",
        text: "The application needs a closer look by an underwriter.",
    };
    /// More than the revenue supports.
    pub const REVENUE_LIMIT: Reason = Reason {
        code: "amount-exceeds-revenue-limit",
        text: "The amount requested exceeds what we lend for the business's revenue.",
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
            "business-score",
            Reason {
                code: "business-credit-score",
                text: "The business's credit score.",
            },
        ),
        (
            "trade-payment-index",
            Reason {
                code: "trade-payments-late",
                text: "The business's payments to its trade creditors are late.",
            },
        ),
        (
            "months-in-business",
            Reason {
                code: "time-in-business",
                text: "Time the business has operated.",
            },
        ),
        (
            "debt-service-coverage",
            Reason {
                code: "debt-service-coverage-too-low",
                text: "The business's cash flow does not cover its debt payments with the loan.",
            },
        ),
        (
            "owner-bureau-score",
            Reason {
                code: "owner-credit-score",
                text: "The principal owner's credit score.",
            },
        ),
        (
            "owner-delinquencies-24-months",
            Reason {
                code: "owner-delinquency",
                text: "Delinquency on the principal owner's accounts.",
            },
        ),
    ];
}

/// A knock-out or referral rule: when it holds, the reason.
type Rule = policykit::Rule<BusinessFacts>;

/// The coverage ratio of the facts, when given.
fn coverage(f: &BusinessFacts) -> Option<Decimal> {
    optional_decimal(f.affordability.debt_service_coverage.as_ref())
}

/// Decline, whatever the score.
pub const KNOCK_OUTS: &[Rule] = &[
    (|f| f.screening.sanctions_hit, reasons::SANCTIONS),
    (
        |f| f.owner_bureau.public_records >= 1,
        reasons::PUBLIC_RECORD,
    ),
    (
        |f| f.owner_bureau.delinquencies_24_months >= 3,
        reasons::DELINQUENCY,
    ),
    (
        |f| f.affordability.months_in_business < 12,
        reasons::TIME_IN_BUSINESS,
    ),
    (
        |f| {
            f.business_bureau
                .trade_payment_index
                .is_some_and(|t| t < 50)
        },
        reasons::PAYS_LATE,
    ),
    (
        |f| coverage(f).is_some_and(|c| c < Decimal::ONE),
        reasons::CASH_FLOW,
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
    (|f| !f.business_bureau.hit, reasons::NO_BUSINESS_FILE),
    (
        |f| !f.owner_bureau.hit || f.owner_bureau.thin_file,
        reasons::OWNER_HISTORY,
    ),
    (
        |f| f.affordability.months_in_business < 24,
        reasons::YOUNG_BUSINESS,
    ),
    (
        |f| decimal(&f.owned_share).is_none_or(|s| s < Decimal::new(51, 2)),
        reasons::OWNERSHIP,
    ),
];

/// Knock-outs, referrals and the score's cut-offs.
pub const GATES: Gates<'static, BusinessFacts> = Gates {
    knock_outs: KNOCK_OUTS,
    referrals: REFERRALS,
    decline_below: DECLINE_BELOW,
    refer_below: REFER_BELOW,
    score_reason: reasons::SCORE,
    review_reason: reasons::SCORE_REVIEW,
    factor_reasons: reasons::SCORECARD,
};

/// Scorecard points below which the policy declines.
pub const DECLINE_BELOW: i32 = 540;
/// Scorecard points below which (and from [`DECLINE_BELOW`]) an underwriter decides.
pub const REFER_BELOW: i32 = 580;

/// Annual rates by scorecard points (rows) and term (columns: up to 36, 84, 120 months).
pub const PRICING: PricingGrid = PricingGrid {
    terms: &[36, 84, 120],
    rows: &[
        (720, &["0.0850", "0.0925", "0.0999"]),
        (660, &["0.1050", "0.1125", "0.1199"]),
        (620, &["0.1350", "0.1425", "0.1499"]),
        (580, &["0.1650", "0.1725", "0.1799"]),
    ],
};

/// Added to the grid's rate: a business score under 40, a trade payment index under 70.
pub const SURCHARGES: &[Surcharge<BusinessFacts>] = &[
    (
        |f| f.business_bureau.score.is_some_and(|s| s < 40),
        "0.0150",
    ),
    (
        |f| {
            f.business_bureau
                .trade_payment_index
                .is_some_and(|t| t < 70)
        },
        "0.0100",
    ),
];

/// No annual rate above this.
pub const RATE_CAP: &str = "0.2499";

/// Origination fee as a share of the amount, by scorecard points.
pub const FEES: &[(i32, &str)] = &[(660, "0.015"), (580, "0.025")];

/// Net operating income must cover all annual debt service this many times after the loan.
pub const DSCR_MIN: &str = "1.25";
/// Most a loan may be, as a share of annual revenue.
pub const REVENUE_SHARE: &str = "0.25";
/// Reduced amounts are multiples of this.
pub const AMOUNT_STEP: &str = "1000";
/// The lower-payment alternative's term, months.
pub const LONGER_TERM: u32 = 84;

/// What the rules decide for `facts`.
pub fn decide(facts: &BusinessFacts) -> Decision {
    decide_or_refer(facts).unwrap_or_else(|| refuse(Outcome::Refer, &[reasons::FACTS]))
}

/// The decision, or `None` when a figure of the facts cannot be read.
fn decide_or_refer(facts: &BusinessFacts) -> Option<Decision> {
    if let Some(refused) = GATES.apply(facts, &facts.score) {
        return Some(refused);
    }
    let points = facts.score.points;
    let request = &facts.request;
    let term = request.term_months;
    let Some(rate) = annual_rate(facts, points, term) else {
        return Some(refuse(Outcome::Decline, &[reasons::NOT_PRICED]));
    };
    let existing = decimal(&facts.affordability.annual_debt_service)?;
    let with_loan = existing + decimal(&facts.affordability.new_annual_debt_service)?;
    // Without any debt service the facts give no coverage ratio: nothing to hold back.
    let affordable_monthly = match coverage(facts) {
        Some(ratio) => ((ratio * with_loan) / decimal(DSCR_MIN)? - existing) / Decimal::from(12),
        None => decimal(&request.amount)?,
    };
    let cap = (decimal(&facts.affordability.annual_revenue)? * decimal(REVENUE_SHARE)?)
        .min(decimal(&request.limits.max_amount)?);
    let Some(sized) = size_offer(
        decimal(&request.amount)?,
        cap,
        decimal(&request.limits.min_amount)?,
        affordable_monthly,
        rate,
        term,
        decimal(AMOUNT_STEP)?,
    ) else {
        return Some(refuse(Outcome::Decline, &[reasons::CASH_FLOW]));
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
        reasons::CASH_FLOW,
        reasons::REVENUE_LIMIT,
    ))
}

/// The annual rate for `points` and `term`, surcharges added, capped.
fn annual_rate(facts: &BusinessFacts, points: i32, term: u32) -> Option<Decimal> {
    price(&PRICING, SURCHARGES, RATE_CAP, facts, points, term)
}
