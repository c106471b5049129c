//! Scoring a person or business against list entries.

use serde::{Deserialize, Serialize};

use crate::index::{Record, RecordName};
use crate::list::EntryKind;
use crate::names::{sorted_form, tokens};
use crate::similarity::jaro_winkler;

/// Who is screened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Full name as given (first and last, or a business's legal name).
    pub name: String,
    /// Whether a person (screened against individuals) or a business (against entities).
    pub individual: bool,
    /// Year of birth, when known.
    pub birth_year: Option<i32>,
    /// Country (of address or nationality), lower case, when known.
    pub country: Option<String>,
}

/// How close a name must be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// From this score on, a possible match: a person reviews it (default 0.85, the
    /// middle of the range OFAC's search tool offers).
    pub possible: f64,
    /// From this score on, with no date of birth against it, a confident hit.
    pub hit: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            possible: 0.85,
            hit: 0.97,
        }
    }
}

/// A matching date of birth raises the score by this much; one more than a year away
/// lowers it by [`DOB_MISMATCH_PENALTY`].
pub const DOB_MATCH_BONUS: f64 = 0.05;
/// See [`DOB_MATCH_BONUS`].
pub const DOB_MISMATCH_PENALTY: f64 = 0.15;
/// A matching country raises the score by this much (a different one lowers nothing:
/// listed parties move).
pub const COUNTRY_MATCH_BONUS: f64 = 0.03;

/// The score of one entry for one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// From 0 to 1.
    pub value: f64,
    /// The entry's name or alias that scored best.
    pub matched_name: String,
    /// Whether a date of birth contradicts the match.
    pub birth_year_differs: bool,
}

/// What a record can score at most, known before the costly full-name comparison.
struct Bound<'r> {
    record: &'r Record<'r>,
    /// Per name: the parts term of the similarity (see [`Scorer::parts`]).
    parts: Vec<f64>,
    /// The date-of-birth adjustment, if the entry lists years and the person gave one.
    birth: Option<f64>,
    /// Whether the country matches.
    country: bool,
    /// The highest score the record can reach.
    upper: f64,
}

/// Scores one person, normalised once, against records.
struct Scorer<'p> {
    person: &'p Person,
    /// The person's name tokens.
    tokens: Vec<String>,
    /// Those tokens sorted and joined.
    sorted: String,
}

impl<'p> Scorer<'p> {
    fn new(person: &'p Person) -> Scorer<'p> {
        let tokens = tokens(&person.name);
        let sorted = sorted_form(&tokens);
        Scorer {
            person,
            tokens,
            sorted,
        }
    }

    /// The parts term of the name similarity: each token of the shorter name against its
    /// best partner in the other, averaged, weighed by coverage (a name of one token must
    /// not match every name holding it), halved.
    fn parts(&self, name: &RecordName<'_>) -> f64 {
        let query = &self.tokens;
        let listed: Vec<&str> = name.tokens().collect();
        if query.is_empty() || listed.is_empty() {
            return 0.0;
        }
        let sum: f64 = if query.len() <= listed.len() {
            (0..query.len())
                .map(|i| {
                    listed
                        .iter()
                        .map(|u| jaro_winkler(&query[i], u))
                        .fold(0.0, f64::max)
                })
                .sum()
        } else {
            listed
                .iter()
                .map(|t| {
                    (0..query.len())
                        .map(|i| jaro_winkler(t, &query[i]))
                        .fold(0.0, f64::max)
                })
                .sum()
        };
        let (short, long) = (
            query.len().min(listed.len()) as f64,
            query.len().max(listed.len()) as f64,
        );
        let coverage = short / long;
        0.5 * (sum / short) * (0.5 + 0.5 * coverage)
    }

    /// The bound of `record`, or `None` when it is of another kind than the person.
    fn bound<'r>(&self, record: &'r Record<'r>) -> Option<Bound<'r>> {
        let person = self.person;
        let comparable = match record.kind {
            EntryKind::Individual => person.individual,
            EntryKind::Entity => !person.individual,
            EntryKind::Vessel | EntryKind::Aircraft => false,
        };
        if !comparable {
            return None;
        }
        let parts: Vec<f64> = record.names.iter().map(|n| self.parts(n)).collect();
        let birth = match (person.birth_year, record.birth_years.is_empty()) {
            (Some(year), false) => Some(
                if record.birth_years.iter().any(|l| (l - year).abs() <= 1) {
                    DOB_MATCH_BONUS
                } else {
                    -DOB_MISMATCH_PENALTY
                },
            ),
            _ => None,
        };
        let country = person
            .country
            .as_ref()
            .is_some_and(|c| record.countries.iter().any(|l| l == c));
        let best_parts = parts.iter().copied().fold(0.0, f64::max);
        let best_name = if self.tokens.is_empty() {
            0.0
        } else {
            0.5 + best_parts
        };
        let upper = adjusted(best_name, birth, country);
        Some(Bound {
            record,
            parts,
            birth,
            country,
            upper,
        })
    }

    /// The exact score of a bounded record: the best of its names (the first on a tie).
    fn exact(&self, bound: &Bound<'_>) -> Score {
        let mut best = (0.0, 0);
        for (i, (name, parts)) in bound.record.names.iter().zip(&bound.parts).enumerate() {
            if self.tokens.is_empty() || name.sorted.is_empty() || 0.5 + parts <= best.0 {
                continue;
            }
            let similarity = 0.5 * jaro_winkler(&self.sorted, &name.sorted) + parts;
            if similarity > best.0 {
                best = (similarity, i);
            }
        }
        Score {
            value: adjusted(best.0, bound.birth, bound.country),
            matched_name: bound
                .record
                .names
                .get(best.1)
                .map(|n| n.listed.to_string())
                .unwrap_or_default(),
            birth_year_differs: bound.birth.is_some_and(|b| b < 0.0),
        }
    }
}

/// A name similarity moved by the date of birth and the country, within 0 to 1.
fn adjusted(similarity: f64, birth: Option<f64>, country: bool) -> f64 {
    let mut value = similarity;
    if let Some(birth) = birth {
        value += birth;
    }
    if country {
        value += COUNTRY_MATCH_BONUS;
    }
    value.clamp(0.0, 1.0)
}

/// The score of `record` for `person`, or `None` when the entry is of another kind. The
/// name similarity is the mean of Jaro-Winkler on the word-order-free full names and on
/// their parts; aliases count as names; then date of birth and country move it.
pub fn score(person: &Person, record: &Record<'_>) -> Option<Score> {
    let scorer = Scorer::new(person);
    scorer.bound(record).map(|bound| scorer.exact(&bound))
}

/// What screening one person concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No entry came near.
    Clear,
    /// An entry came near: a person must review it.
    PossibleMatch,
    /// An entry matched with confidence.
    Hit,
}

/// The best-scoring record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Best {
    /// The entry's number.
    pub ent_num: u64,
    /// The score.
    pub score: Score,
}

/// The best of `records` for `person` (the highest score, the lowest entry number on a
/// tie) and what it means under `thresholds`. Exactly [`score`]'s maximum, found without
/// comparing full names of records whose bound cannot beat the best so far.
pub fn best_match<'r>(
    person: &Person,
    records: &'r [Record<'r>],
    thresholds: Thresholds,
) -> (Outcome, Option<Best>) {
    let scorer = Scorer::new(person);
    let mut bounds: Vec<Bound<'r>> = records.iter().filter_map(|r| scorer.bound(r)).collect();
    bounds.sort_by(|a, b| {
        b.upper
            .total_cmp(&a.upper)
            .then(a.record.ent_num.cmp(&b.record.ent_num))
    });
    let mut best: Option<Best> = None;
    for bound in &bounds {
        if best.as_ref().is_some_and(|b| bound.upper < b.score.value) {
            break;
        }
        let score = scorer.exact(bound);
        let ent_num = bound.record.ent_num;
        let better = best.as_ref().is_none_or(|b| {
            score.value > b.score.value || (score.value == b.score.value && ent_num < b.ent_num)
        });
        if better {
            best = Some(Best { ent_num, score });
        }
    }
    let Some(best) = best else {
        return (Outcome::Clear, None);
    };
    let outcome = if best.score.value >= thresholds.hit && !best.score.birth_year_differs {
        Outcome::Hit
    } else if best.score.value >= thresholds.possible {
        Outcome::PossibleMatch
    } else {
        Outcome::Clear
    };
    (outcome, Some(best))
}
