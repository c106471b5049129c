//! Sanctions screening rules, pure and tested natively, linked into the `screening`
//! component:
//!
//! * [`list`] reads the OFAC SDN list in its public CSV layout (`sdn.csv`, with the
//!   optional `alt.csv` aliases and `add.csv` addresses; `-0-` is null) into [`Entry`]s,
//!   with dates of birth and nationalities taken from `Remarks`;
//! * [`index`] splits a list into *blocks*: for every [block code](index::block_codes), the
//!   [`Record`]s (names already normalised) of the entries whose names hold a token with that
//!   code, so that one screening reads and decodes a few block keys, never the whole list;
//! * [`matching`] scores a person against an entry as OFAC's Sanctions List Search does:
//!   names normalised (case, punctuation, accents, word order), Jaro-Winkler on the full
//!   name and on its parts, aliases included, date of birth and country raising or lowering
//!   the score, then a configurable threshold; [`similarity`] computes Jaro-Winkler as
//!   `strsim` does, without allocating for short ASCII names.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod index;
pub mod list;
pub mod matching;
pub mod names;
pub mod similarity;

pub use index::Record;
pub use list::{Entry, EntryKind, ListError, parse_list};
pub use matching::{Best, Outcome, Person, Score, Thresholds, best_match};

#[cfg(test)]
mod tests;
