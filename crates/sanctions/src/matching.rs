//! Scoring a person or business against list entries.

use serde::{Deserialize, Serialize};
use strsim::jaro_winkler;

use crate::list::{Entry, EntryKind};
use crate::names::{sorted_form, tokens};

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

/// Name similarity: the mean of Jaro-Winkler on the word-order-free full names and on
/// their parts (each token of the shorter name against its best partner in the other).
pub fn name_similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let full = jaro_winkler(&sorted_form(a), &sorted_form(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let parts: f64 = short
        .iter()
        .map(|t| long.iter().map(|u| jaro_winkler(t, u)).fold(0.0, f64::max))
        .sum::<f64>()
        / short.len() as f64;
    // A name of one token must not match every name holding it: weigh parts by coverage.
    let coverage = short.len() as f64 / long.len() as f64;
    0.5 * full + 0.5 * parts * (0.5 + 0.5 * coverage)
}

/// The score of `entry` for `person`, or `None` when the entry is of another kind.
pub fn score(person: &Person, entry: &Entry) -> Option<Score> {
    let comparable = match entry.kind {
        EntryKind::Individual => person.individual,
        EntryKind::Entity => !person.individual,
        EntryKind::Vessel | EntryKind::Aircraft => false,
    };
    if !comparable {
        return None;
    }
    let query = tokens(&person.name);
    let (mut value, matched_name) = std::iter::once(&entry.name)
        .chain(&entry.aliases)
        .map(|name| (name_similarity(&query, &tokens(name)), name))
        .fold((0.0, &entry.name), |best, next| {
            if next.0 > best.0 { next } else { best }
        });
    let mut birth_year_differs = false;
    if let (Some(year), false) = (person.birth_year, entry.birth_years.is_empty()) {
        if entry
            .birth_years
            .iter()
            .any(|listed| (listed - year).abs() <= 1)
        {
            value += DOB_MATCH_BONUS;
        } else {
            value -= DOB_MISMATCH_PENALTY;
            birth_year_differs = true;
        }
    }
    if let Some(country) = &person.country
        && entry.countries.iter().any(|c| c == country)
    {
        value += COUNTRY_MATCH_BONUS;
    }
    Some(Score {
        value: value.clamp(0.0, 1.0),
        matched_name: matched_name.clone(),
        birth_year_differs,
    })
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

/// The best-scoring candidate entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The entry's number.
    pub ent_num: u64,
    /// Its listed name.
    pub name: String,
    /// Its programs.
    pub programs: Vec<String>,
    /// The score.
    pub score: Score,
}

/// The best of `candidates` for `person` and what it means under `thresholds`.
pub fn best_match<'a>(
    person: &Person,
    candidates: impl IntoIterator<Item = &'a Entry>,
    thresholds: Thresholds,
) -> (Outcome, Option<Candidate>) {
    let best = candidates
        .into_iter()
        .filter_map(|entry| score(person, entry).map(|score| (entry, score)))
        .fold(None::<(&Entry, Score)>, |best, (entry, score)| match best {
            Some((_, ref b)) if b.value >= score.value => best,
            _ => Some((entry, score)),
        });
    let Some((entry, score)) = best else {
        return (Outcome::Clear, None);
    };
    let outcome = if score.value >= thresholds.hit && !score.birth_year_differs {
        Outcome::Hit
    } else if score.value >= thresholds.possible {
        Outcome::PossibleMatch
    } else {
        Outcome::Clear
    };
    let candidate = Candidate {
        ent_num: entry.ent_num,
        name: entry.name.clone(),
        programs: entry.programs.clone(),
        score,
    };
    (outcome, Some(candidate))
}
