//! What every credit policy component (`policies/*`) shares, so that a policy's own code is
//! its rules and nothing else: reading the decimal strings of `lending:policy` facts,
//! [`PricingGrid`]s, [`Reasons`] kept in priority order, and [`size_offer`], which sizes a
//! loan to what the applicant can afford.
//!
//! Everything is pure and deterministic: a policy must give the same decision for the same
//! facts, always.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use lendmath::schedule::{principal_for_payment, quoted_monthly_payment};
use rust_decimal::{Decimal, RoundingStrategy};

/// The records of `lending:policy` (`wit/policy.wit`), generated once for every policy:
/// policies generate their bindings `with` these types.
#[allow(missing_docs)]
pub mod wit {
    wit_bindgen::generate!({
        world: "lending:policy/records",
        path: "../../wit/policy.wit",
        additional_derives: [PartialEq, Eq, serde::Serialize, serde::Deserialize],
    });
    pub use self::lending::policy::types::*;
}

use wit::{Decision, Offer, Outcome};

/// A decimal string of the facts (`"12000.00"`, `"0.36"`); `None` when it is not one.
pub fn decimal(text: &str) -> Option<Decimal> {
    text.trim().parse().ok()
}

/// [`decimal`] for an optional field.
pub fn optional_decimal(text: Option<&String>) -> Option<Decimal> {
    text.and_then(|t| decimal(t))
}

/// Money as the contract writes it: two decimals, rounded half away from zero.
pub fn money_text(amount: Decimal) -> String {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded.to_string()
}

/// A rate as the contract writes it: a fraction with four decimals (`"0.1299"`).
pub fn rate_text(rate: Decimal) -> String {
    let mut rounded = rate.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(4);
    rounded.to_string()
}

/// One principal reason a rule gives for a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason {
    /// Stable identifier, e.g. `debt-to-income-too-high`.
    pub code: &'static str,
    /// What the applicant reads (an adverse-action reason under Regulation B).
    pub text: &'static str,
}

/// Most reasons a decision gives (Regulation B asks for the principal ones, at most four).
pub const REASONS_MAX: usize = 4;

/// Reasons in the order rules gave them, most important first, each once, at most
/// [`REASONS_MAX`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reasons(Vec<Reason>);

impl Reasons {
    /// Adds `reason` unless it is already there or four are.
    pub fn push(&mut self, reason: Reason) {
        if self.0.len() < REASONS_MAX && !self.0.contains(&reason) {
            self.0.push(reason);
        }
    }

    /// Whether none was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The reasons, most important first.
    pub fn list(&self) -> &[Reason] {
        &self.0
    }

    /// The reasons as the contract carries them.
    pub fn to_wit(&self) -> Vec<wit::Reason> {
        self.0
            .iter()
            .map(|r| wit::Reason {
                code: r.code.into(),
                text: r.text.into(),
            })
            .collect()
    }
}

/// The outcome as stored and answered: `approve`, `decline` or `refer`.
pub fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Approve => "approve",
        Outcome::Decline => "decline",
        Outcome::Refer => "refer",
    }
}

/// A rule over a policy's facts `F`: when the condition holds, the reason it gives.
pub type Rule<F> = (fn(&F) -> bool, Reason);

/// The reasons of the `rules` that hold for `facts`, in table order.
pub fn fired<F>(rules: &[Rule<F>], facts: &F) -> Vec<Reason> {
    rules
        .iter()
        .filter(|(holds, _)| holds(facts))
        .map(|(_, reason)| *reason)
        .collect()
}

/// A surcharge over a policy's facts `F`: when the condition holds, the rate added (a
/// fraction as text).
pub type Surcharge<F> = (fn(&F) -> bool, &'static str);

/// `grid`'s rate for `score` and `term_months`, every applying surcharge added, at most
/// `cap`; `None` where the grid does not price.
pub fn price<F>(
    grid: &PricingGrid,
    surcharges: &[Surcharge<F>],
    cap: &str,
    facts: &F,
    score: i32,
    term_months: u32,
) -> Option<Decimal> {
    let mut rate = grid.rate(score, term_months)?;
    for (applies, surcharge) in surcharges {
        if applies(facts) {
            rate += decimal(surcharge)?;
        }
    }
    Some(rate.min(decimal(cap)?))
}

/// The gates every policy applies before pricing, in order: knock-outs decline, referrals
/// refer, then the score's cut-offs.
pub struct Gates<'a, F> {
    /// Rules that decline whatever the score.
    pub knock_outs: &'a [Rule<F>],
    /// Rules that send the application to an underwriter.
    pub referrals: &'a [Rule<F>],
    /// Points below which the policy declines.
    pub decline_below: i32,
    /// Points below which (and from `decline_below`) an underwriter decides.
    pub refer_below: i32,
    /// The reason of a score below `decline_below`.
    pub score_reason: Reason,
    /// The reason of a score in the review band.
    pub review_reason: Reason,
    /// Reasons for the scorecard's attributes: a declined score gives those of its key
    /// factors after `score_reason`.
    pub factor_reasons: &'a [(&'a str, Reason)],
}

impl<F> Gates<'_, F> {
    /// The decline or referral the gates give `facts` scored `score`, or `None` when the
    /// application passes them.
    pub fn apply(&self, facts: &F, score: &wit::Score) -> Option<Decision> {
        let knocked = fired(self.knock_outs, facts);
        if !knocked.is_empty() {
            return Some(refuse(Outcome::Decline, &knocked));
        }
        let referred = fired(self.referrals, facts);
        if !referred.is_empty() {
            return Some(refuse(Outcome::Refer, &referred));
        }
        if score.points < self.decline_below {
            let mut why = vec![self.score_reason];
            why.extend(score.key_factors.iter().filter_map(|factor| {
                self.factor_reasons
                    .iter()
                    .find(|(attribute, _)| *attribute == factor.attribute)
                    .map(|(_, reason)| *reason)
            }));
            return Some(refuse(Outcome::Decline, &why));
        }
        (score.points < self.refer_below).then(|| refuse(Outcome::Refer, &[self.review_reason]))
    }
}

/// The fee share for `score` from a table of (lowest score, share as text), best first.
pub fn fee_share(fees: &[(i32, &str)], score: i32) -> Option<Decimal> {
    fees.iter()
        .find(|(floor, _)| score >= *floor)
        .and_then(|(_, share)| decimal(share))
}

/// An approval of `sized` over `term_months` at `annual_rate`, and over the `alternative`
/// (term, rate) for a lower payment when there is one; a reduced loan gives `payment_reason`
/// or `cap_reason` for what reduced it.
pub fn approve_sized(
    sized: Sized,
    term_months: u32,
    annual_rate: Decimal,
    alternative: Option<(u32, Decimal)>,
    fee_share: Decimal,
    payment_reason: Reason,
    cap_reason: Reason,
) -> Decision {
    let mut offers = vec![offer(sized.amount, term_months, annual_rate, fee_share)];
    if let Some((term, rate)) = alternative {
        offers.push(offer(sized.amount, term, rate, fee_share));
    }
    let mut why = Reasons::default();
    match sized.limit {
        Limit::Payment => why.push(payment_reason),
        Limit::Cap => why.push(cap_reason),
        Limit::None => {}
    }
    approve(offers, sized.reduced, &why)
}

/// A decline or a referral for `why` (the first [`REASONS_MAX`], each once), offering nothing.
pub fn refuse(outcome: Outcome, why: &[Reason]) -> Decision {
    let mut reasons = Reasons::default();
    for reason in why {
        reasons.push(*reason);
    }
    Decision {
        outcome,
        reasons: reasons.to_wit(),
        offers: Vec::new(),
        counter_offer: None,
    }
}

/// An approval with `offers` (the first shown first); `reduced` when the first offers
/// less than was asked, which makes it the counter-offer too.
pub fn approve(offers: Vec<Offer>, reduced: bool, why: &Reasons) -> Decision {
    Decision {
        outcome: Outcome::Approve,
        reasons: why.to_wit(),
        counter_offer: offers.first().filter(|_| reduced).cloned(),
        offers,
    }
}

/// An offer of `amount` over `term_months` at `annual_rate`, with an origination fee of
/// `fee_share` of the amount.
pub fn offer(amount: Decimal, term_months: u32, annual_rate: Decimal, fee_share: Decimal) -> Offer {
    Offer {
        amount: money_text(amount),
        term_months,
        annual_rate: rate_text(annual_rate),
        origination_fee: money_text(amount * fee_share),
    }
}

/// A risk-based pricing grid: annual rates by score band (rows, best first) and term band
/// (columns), as a risk analyst writes it.
#[derive(Debug, Clone, Copy)]
pub struct PricingGrid {
    /// The longest term of each column, months, ascending (`[36, 60, 84]`).
    pub terms: &'static [u32],
    /// Rows: the lowest score of the band, and one annual rate per column (fractions as
    /// text, `"0.0799"`), best band first.
    pub rows: &'static [(i32, &'static [&'static str])],
}

impl PricingGrid {
    /// The rate for `score` and `term_months`; `None` below the last band or beyond the
    /// last column (the grid does not price it).
    pub fn rate(&self, score: i32, term_months: u32) -> Option<Decimal> {
        let column = self.terms.iter().position(|&t| term_months <= t)?;
        let (_, rates) = self.rows.iter().find(|(floor, _)| score >= *floor)?;
        rates.get(column).and_then(|r| decimal(r))
    }
}

/// What held a sized loan below the amount asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Nothing: the loan is the amount asked.
    None,
    /// The cap (a product maximum, a share of income or revenue).
    Cap,
    /// The affordable payment.
    Payment,
}

/// A loan sized to what the applicant can afford.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sized {
    /// Principal offered, whole cents.
    pub amount: Decimal,
    /// Its quoted monthly payment.
    pub payment: Decimal,
    /// Whether it is less than was asked.
    pub reduced: bool,
    /// What reduced it.
    pub limit: Limit,
}

/// The largest loan up to `requested` and `cap` whose quoted payment at `annual_rate` over
/// `term_months` is at most `affordable_payment`, rounded down to `step` (e.g. 100); `None`
/// when even the product's `minimum` does not fit.
pub fn size_offer(
    requested: Decimal,
    cap: Decimal,
    minimum: Decimal,
    affordable_payment: Decimal,
    annual_rate: Decimal,
    term_months: u32,
    step: Decimal,
) -> Option<Sized> {
    let fits = principal_for_payment(
        affordable_payment.max(Decimal::ZERO),
        annual_rate,
        term_months,
    )?;
    let ceiling = requested.min(cap).min(fits);
    let amount = if ceiling == requested {
        requested
    } else {
        (ceiling / step).floor() * step
    };
    if amount < minimum || amount <= Decimal::ZERO {
        return None;
    }
    let limit = if amount == requested {
        Limit::None
    } else if fits < requested.min(cap) {
        Limit::Payment
    } else {
        Limit::Cap
    };
    Some(Sized {
        amount,
        payment: quoted_monthly_payment(amount, annual_rate, term_months)?,
        reduced: amount < requested,
        limit,
    })
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests;
