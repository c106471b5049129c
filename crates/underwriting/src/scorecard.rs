//! Points-based scorecards as data.
//!
//! A scorecard file (`data/scorecards/*.json`) names its attributes; each attribute has
//! bins — ranges `[min, max)` of its value, and one for a missing value — worth points.
//! An applicant's score is the base points plus the points of the bin each attribute falls
//! into. The probability of default follows from the score by the scorecard's scaling:
//! `scaling.points` points stand for good:bad odds of `scaling.odds`, and every
//! `scaling.pdo` points more double the odds, so
//!
//! ```text
//! ln(odds) = ln(scaling.odds) + (score − scaling.points) × ln 2 / scaling.pdo
//! PD       = 1 / (1 + odds)
//! ```
//!
//! A scorecard is identified by its name and the first 12 hex digits of its file's SHA-256
//! (`consumer-v1@3f2a9c01b7de`), so a decision records exactly which one scored it.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, MathematicalOps};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How score maps to odds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    /// A score of this many points…
    pub points: i32,
    /// …stands for these good:bad odds.
    pub odds: Decimal,
    /// Points that double the odds.
    pub pdo: Decimal,
}

/// One bin of an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bin {
    /// How the bin reads, e.g. `30%–50%`.
    pub label: String,
    /// Lowest value of the bin, inclusive (none: no lower bound).
    #[serde(default)]
    pub min: Option<Decimal>,
    /// Value the bin stops below (none: no upper bound).
    #[serde(default)]
    pub max: Option<Decimal>,
    /// The bin of a missing value (then `min` and `max` are unset).
    #[serde(default)]
    pub missing: bool,
    /// Points it is worth.
    pub points: i32,
}

/// One attribute of a scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// Identifier, e.g. `revolving-utilisation`.
    pub name: String,
    /// What it measures.
    pub description: String,
    /// Its bins: one `missing`, the others covering every value, in ascending order.
    pub bins: Vec<Bin>,
}

/// A scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    /// Name, e.g. `consumer-v1`.
    pub name: String,
    /// The product it scores (`personal_installment`, `sme_term`).
    pub product: String,
    /// What it is for.
    pub description: String,
    /// Points every applicant starts with.
    pub base_points: i32,
    /// How points map to odds.
    pub scaling: Scaling,
    /// The attributes.
    pub attributes: Vec<Attribute>,
}

/// Why a scorecard file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScorecardError {
    /// Not the JSON layout.
    #[error("the scorecard is not readable: {0}")]
    Unreadable(String),
    /// An attribute's bins leave values without a bin (or overlap).
    #[error(
        "attribute `{0}`: its bins must cover every value once, in ascending order, with one bin for a missing value"
    )]
    Bins(String),
    /// The scaling cannot map points to odds.
    #[error("scaling needs positive odds and points to double the odds")]
    Scaling,
}

/// A scorecard read from its file, with its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The scorecard.
    pub scorecard: Scorecard,
    /// SHA-256 of the file, lower-case hex.
    pub digest: String,
}

impl Loaded {
    /// Reads and checks a scorecard file.
    pub fn parse(bytes: &[u8]) -> Result<Loaded, ScorecardError> {
        let scorecard: Scorecard =
            serde_json::from_slice(bytes).map_err(|e| ScorecardError::Unreadable(e.to_string()))?;
        if scorecard.scaling.odds <= Decimal::ZERO || scorecard.scaling.pdo <= Decimal::ZERO {
            return Err(ScorecardError::Scaling);
        }
        for attribute in &scorecard.attributes {
            check_bins(attribute)?;
        }
        Ok(Loaded {
            scorecard,
            digest: hex::encode(Sha256::digest(bytes)),
        })
    }

    /// `name@` and the digest's first 12 hex digits.
    pub fn id(&self) -> String {
        format!("{}@{}", self.scorecard.name, &self.digest[..12])
    }
}

/// Exactly one missing bin; the others contiguous from no lower bound to no upper bound.
fn check_bins(attribute: &Attribute) -> Result<(), ScorecardError> {
    let bad = || ScorecardError::Bins(attribute.name.clone());
    let (missing, ranges): (Vec<&Bin>, Vec<&Bin>) = attribute.bins.iter().partition(|b| b.missing);
    if missing.len() != 1
        || missing[0].min.is_some()
        || missing[0].max.is_some()
        || ranges.is_empty()
    {
        return Err(bad());
    }
    if ranges[0].min.is_some() || ranges[ranges.len() - 1].max.is_some() {
        return Err(bad());
    }
    for pair in ranges.windows(2) {
        match (pair[0].max, pair[1].min) {
            (Some(max), Some(min)) if max == min && pair[0].min.is_none_or(|low| low < max) => {}
            _ => return Err(bad()),
        }
    }
    Ok(())
}

/// One attribute's part in a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// The attribute.
    pub attribute: String,
    /// The bin's label.
    pub bin: String,
    /// Points earned.
    pub points: i32,
    /// Points below the attribute's best bin.
    pub shortfall: i32,
}

/// A score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// The scorecard's identity ([`Loaded::id`]).
    pub scorecard: String,
    /// Total points.
    pub points: i32,
    /// Probability of default, 4 decimals.
    pub probability_of_default: Decimal,
    /// Every attribute's contribution, in the scorecard's order.
    pub contributions: Vec<Contribution>,
}

/// Most key factors a score reports.
pub const KEY_FACTORS_MAX: usize = 4;

impl Score {
    /// The attributes that held the score down most (largest shortfall first, then in the
    /// scorecard's order), at most [`KEY_FACTORS_MAX`], none without a shortfall.
    pub fn key_factors(&self) -> Vec<&Contribution> {
        let mut factors: Vec<&Contribution> = self
            .contributions
            .iter()
            .filter(|c| c.shortfall > 0)
            .collect();
        factors.sort_by_key(|c| std::cmp::Reverse(c.shortfall));
        factors.truncate(KEY_FACTORS_MAX);
        factors
    }
}

impl Loaded {
    /// Scores `values` (attribute name to value; absent or `None` is missing).
    pub fn score(&self, values: &BTreeMap<&str, Option<Decimal>>) -> Result<Score, ScorecardError> {
        let card = &self.scorecard;
        let contributions = card
            .attributes
            .iter()
            .map(|attribute| {
                let value = values.get(attribute.name.as_str()).copied().flatten();
                let bin = attribute
                    .bins
                    .iter()
                    .find(|b| match value {
                        None => b.missing,
                        Some(v) => {
                            !b.missing
                                && b.min.is_none_or(|min| v >= min)
                                && b.max.is_none_or(|max| v < max)
                        }
                    })
                    .ok_or_else(|| ScorecardError::Bins(attribute.name.clone()))?;
                let best = attribute.bins.iter().map(|b| b.points).max().unwrap_or(0);
                Ok(Contribution {
                    attribute: attribute.name.clone(),
                    bin: bin.label.clone(),
                    points: bin.points,
                    shortfall: best - bin.points,
                })
            })
            .collect::<Result<Vec<Contribution>, ScorecardError>>()?;
        let points = card.base_points + contributions.iter().map(|c| c.points).sum::<i32>();
        Ok(Score {
            scorecard: self.id(),
            points,
            probability_of_default: probability_of_default(&card.scaling, points),
            contributions,
        })
    }
}

/// The probability of default of `points` under `scaling`, 4 decimals (see the module).
pub fn probability_of_default(scaling: &Scaling, points: i32) -> Decimal {
    let ln_odds = scaling.odds.ln()
        + Decimal::from(points - scaling.points) * Decimal::TWO.ln() / scaling.pdo;
    // Beyond ±40 the odds are past what the figure's 4 decimals can show.
    let clamped = ln_odds.clamp(Decimal::from(-40), Decimal::from(40));
    (Decimal::ONE / (Decimal::ONE + clamped.exp())).round_dp(4)
}
