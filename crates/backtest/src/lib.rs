//! Champion against challenger: what two credit policies answered for the same recorded
//! facts, tallied so that a risk analyst can read them side by side.
//!
//! A [`Pair`] is one decision: what the champion (the policy that decided, as recorded)
//! answered and what the challenger (a candidate in a backtest, or a shadow policy on live
//! traffic) answers. A [`Comparison`] adds pairs one at a time and merges with another, so a
//! backtest can be run a page at a time and a report built from any number of pages;
//! [`Comparison::report`] gives the figures:
//!
//! * per policy: decisions by outcome, approval rate, and the average first offer's annual
//!   rate and amount (the first offer is the one a policy puts forward);
//! * the outcome swap matrix (`approve → decline`, …, the unchanged cells included);
//! * the reasons whose count changed most;
//! * the applications that moved (outcome changed), the first [`MOVED_LISTED`] listed.
//!
//! Every figure is exact: sums are decimals, rates are rounded only when reported.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Applications that moved listed in a report (the count covers all of them).
pub const MOVED_LISTED: usize = 100;
/// Reasons listed among those that changed most.
pub const REASONS_LISTED: usize = 10;
/// The outcomes, in the order reports list them.
pub const OUTCOMES: [&str; 3] = ["approve", "refer", "decline"];

/// A principal reason, as `lending:policy` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Its stable code.
    pub code: String,
    /// What the applicant reads.
    pub text: String,
}

/// An offer, as `lending:policy` gives it (decimal strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Amount offered.
    pub amount: String,
    /// Term in months.
    pub term_months: u32,
    /// Annual rate, a fraction (`"0.1299"`).
    pub annual_rate: String,
    /// Origination fee.
    pub origination_fee: String,
}

/// Which policy answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    /// Its name.
    pub name: String,
    /// Its own version.
    pub version: String,
    /// SHA-256 of its `.wasm`.
    pub wasm_sha256: String,
}

/// One policy's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The policy, when known.
    #[serde(default)]
    pub policy: Option<PolicyRef>,
    /// `approve`, `refer` or `decline`.
    pub outcome: String,
    /// Principal reasons, most important first.
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// Offers, for an approval.
    #[serde(default)]
    pub offers: Vec<Offer>,
    /// The counter-offer, when less was offered than asked.
    #[serde(default)]
    pub counter_offer: Option<Offer>,
}

impl Answer {
    /// Whether `other` is the same answer (the policy aside).
    pub fn same_as(&self, other: &Answer) -> bool {
        (
            &self.outcome,
            &self.reasons,
            &self.offers,
            &self.counter_offer,
        ) == (
            &other.outcome,
            &other.reasons,
            &other.offers,
            &other.counter_offer,
        )
    }
}

/// One decision answered by both policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// The recorded decision.
    pub decision_id: String,
    /// Its application.
    pub application_id: String,
    /// When the champion decided (RFC 3339).
    pub decided_at: String,
    /// The champion's answer (as recorded).
    pub champion: Answer,
    /// The challenger's answer.
    pub challenger: Answer,
}

/// What one policy answered, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Answers by outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Approvals that carried an offer.
    pub offered: u64,
    /// Sum of the first offers' annual rates.
    pub rate_sum: Decimal,
    /// Sum of the first offers' amounts.
    pub amount_sum: Decimal,
    /// Answers giving each reason code.
    pub reasons: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, answer: &Answer) {
        *self.outcomes.entry(answer.outcome.clone()).or_default() += 1;
        if answer.outcome == "approve"
            && let Some(offer) = answer.offers.first()
            && let (Ok(rate), Ok(amount)) = (
                offer.annual_rate.parse::<Decimal>(),
                offer.amount.parse::<Decimal>(),
            )
        {
            self.offered += 1;
            self.rate_sum += rate;
            self.amount_sum += amount;
        }
        for reason in &answer.reasons {
            *self.reasons.entry(reason.code.clone()).or_default() += 1;
        }
    }

    fn merge(&mut self, other: Tally) {
        for (outcome, count) in other.outcomes {
            *self.outcomes.entry(outcome).or_default() += count;
        }
        self.offered += other.offered;
        self.rate_sum += other.rate_sum;
        self.amount_sum += other.amount_sum;
        for (code, count) in other.reasons {
            *self.reasons.entry(code).or_default() += count;
        }
    }

    fn count(&self, outcome: &str) -> u64 {
        self.outcomes.get(outcome).copied().unwrap_or(0)
    }

    fn side(&self, decisions: u64) -> Side {
        let average = |sum: Decimal, places: u32| {
            (self.offered > 0).then(|| {
                let mut mean = (sum / Decimal::from(self.offered))
                    .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
                mean.rescale(places);
                mean.to_string()
            })
        };
        Side {
            approve: self.count("approve"),
            refer: self.count("refer"),
            decline: self.count("decline"),
            approval_rate: fraction(self.count("approve"), decisions),
            average_rate: average(self.rate_sum, 4),
            average_amount: average(self.amount_sum, 2),
        }
    }
}

/// `part / whole` as a fraction with four decimals (`"0.6250"`); `"0.0000"` of nothing.
fn fraction(part: u64, whole: u64) -> String {
    let mut value = if whole == 0 {
        Decimal::ZERO
    } else {
        (Decimal::from(part) / Decimal::from(whole))
            .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
    };
    value.rescale(4);
    value.to_string()
}

/// An application whose outcome changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    /// The recorded decision.
    pub decision_id: String,
    /// Its application.
    pub application_id: String,
    /// The champion's outcome.
    pub from: String,
    /// The challenger's outcome.
    pub to: String,
    /// The challenger's first reason, if any.
    pub reason: Option<String>,
}

/// Two policies' answers over many decisions, mergeable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// Decisions compared.
    pub decisions: u64,
    /// Decisions both answered identically.
    pub identical: u64,
    /// The champion's answers.
    pub champion: Tally,
    /// The challenger's answers.
    pub challenger: Tally,
    /// Decisions by (champion outcome, challenger outcome), keyed `from→to`.
    pub swaps: BTreeMap<String, u64>,
    /// Applications whose outcome changed (the first [`MOVED_LISTED`]).
    pub moved: Vec<Moved>,
    /// How many moved in all.
    pub moved_total: u64,
    /// Each reason code's text, as last seen.
    pub reason_texts: BTreeMap<String, String>,
}

fn swap_key(from: &str, to: &str) -> String {
    format!("{from}→{to}")
}

impl Comparison {
    /// Adds one decision.
    pub fn add(&mut self, pair: &Pair) {
        let (champion, challenger) = (&pair.champion, &pair.challenger);
        self.decisions += 1;
        if champion.same_as(challenger) {
            self.identical += 1;
        }
        self.champion.add(champion);
        self.challenger.add(challenger);
        *self
            .swaps
            .entry(swap_key(&champion.outcome, &challenger.outcome))
            .or_default() += 1;
        if champion.outcome != challenger.outcome {
            self.moved_total += 1;
            if self.moved.len() < MOVED_LISTED {
                self.moved.push(Moved {
                    decision_id: pair.decision_id.clone(),
                    application_id: pair.application_id.clone(),
                    from: champion.outcome.clone(),
                    to: challenger.outcome.clone(),
                    reason: challenger.reasons.first().map(|r| r.code.clone()),
                });
            }
        }
        for reason in champion.reasons.iter().chain(&challenger.reasons) {
            self.reason_texts
                .insert(reason.code.clone(), reason.text.clone());
        }
    }

    /// Adds every decision of `other` (a later page).
    pub fn merge(&mut self, other: Comparison) {
        self.decisions += other.decisions;
        self.identical += other.identical;
        self.champion.merge(other.champion);
        self.challenger.merge(other.challenger);
        for (key, count) in other.swaps {
            *self.swaps.entry(key).or_default() += count;
        }
        let room = MOVED_LISTED.saturating_sub(self.moved.len());
        self.moved.extend(other.moved.into_iter().take(room));
        self.moved_total += other.moved_total;
        self.reason_texts.extend(other.reason_texts);
    }

    /// The figures, side by side.
    pub fn report(&self) -> Report {
        let mut swap_matrix = Vec::new();
        for from in OUTCOMES {
            for to in OUTCOMES {
                swap_matrix.push(Swap {
                    from: from.into(),
                    to: to.into(),
                    count: self.swaps.get(&swap_key(from, to)).copied().unwrap_or(0),
                });
            }
        }
        let mut reasons_changed: Vec<ReasonChange> = self
            .champion
            .reasons
            .keys()
            .chain(self.challenger.reasons.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|code| {
                let champion = self.champion.reasons.get(code).copied().unwrap_or(0);
                let challenger = self.challenger.reasons.get(code).copied().unwrap_or(0);
                ReasonChange {
                    code: code.clone(),
                    text: self.reason_texts.get(code).cloned().unwrap_or_default(),
                    champion,
                    challenger,
                    change: challenger as i64 - champion as i64,
                }
            })
            .filter(|r| r.change != 0)
            .collect();
        // Largest change first; ties by code, so the report is deterministic.
        reasons_changed.sort_by(|a, b| {
            b.change
                .unsigned_abs()
                .cmp(&a.change.unsigned_abs())
                .then_with(|| a.code.cmp(&b.code))
        });
        reasons_changed.truncate(REASONS_LISTED);
        Report {
            decisions: self.decisions,
            identical: self.identical,
            champion: self.champion.side(self.decisions),
            challenger: self.challenger.side(self.decisions),
            swap_matrix,
            reasons_changed,
            moved_total: self.moved_total,
            moved: self.moved.clone(),
        }
    }
}

/// One policy's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// Approvals.
    pub approve: u64,
    /// Referrals.
    pub refer: u64,
    /// Declines.
    pub decline: u64,
    /// Approvals over decisions, four decimals.
    pub approval_rate: String,
    /// Average first offer's annual rate, four decimals (none without approvals).
    pub average_rate: Option<String>,
    /// Average first offer's amount, to the cent (none without approvals).
    pub average_amount: Option<String>,
}

/// One cell of the swap matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swap {
    /// The champion's outcome.
    pub from: String,
    /// The challenger's outcome.
    pub to: String,
    /// Decisions in the cell.
    pub count: u64,
}

/// A reason given more or less often by the challenger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonChange {
    /// Its code.
    pub code: String,
    /// Its text.
    pub text: String,
    /// Champion answers giving it.
    pub champion: u64,
    /// Challenger answers giving it.
    pub challenger: u64,
    /// `challenger - champion`.
    pub change: i64,
}

/// A comparison's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Decisions compared.
    pub decisions: u64,
    /// Decisions answered identically.
    pub identical: u64,
    /// The champion's figures.
    pub champion: Side,
    /// The challenger's figures.
    pub challenger: Side,
    /// Every (from, to) pair of outcomes, in [`OUTCOMES`] order.
    pub swap_matrix: Vec<Swap>,
    /// Reasons whose count changed most, largest change first.
    pub reasons_changed: Vec<ReasonChange>,
    /// Applications whose outcome changed.
    pub moved_total: u64,
    /// The first of them.
    pub moved: Vec<Moved>,
}

#[cfg(test)]
mod tests;
