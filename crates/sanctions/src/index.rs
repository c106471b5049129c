//! The list as a blocked index: one screening reads the blocks of its name's tokens, each
//! holding the [`Record`]s scoring needs — a few keys, never the whole list.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::list::{Entry, EntryKind};
use crate::names::{sorted_form, tokens};

/// Tokens shorter than this are initials and make no block (every name has one).
pub const TOKEN_MIN_CHARS: usize = 2;

/// Letters a consonant skeleton drops after the first: vowels and the letters that are
/// silent or vowel-like in transliterations (`Mohammed` and `Muhamad` both give `md`).
const SKELETON_DROPS: &[u8] = b"aeiouyhw";

/// The block codes of one token: `p` and its first three characters, and `s` and its
/// consonant skeleton (first letter, then the next two consonants, doubles collapsed).
/// Two spellings of a name share at least one code unless both their starts and their
/// consonants differ.
///
/// ```
/// assert_eq!(sanctions::index::block_codes("mohammed"), ["pmoh", "smd"]);
/// assert_eq!(sanctions::index::block_codes("muhamad"), ["pmuh", "smd"]);
/// ```
pub fn block_codes(token: &str) -> Vec<String> {
    if token.chars().count() < TOKEN_MIN_CHARS {
        return Vec::new();
    }
    let prefix: String = token.chars().take(3).collect();
    let bytes = token.as_bytes();
    let mut skeleton = vec![bytes[0]];
    for &b in &bytes[1..] {
        if skeleton.len() == 3 {
            break;
        }
        if !SKELETON_DROPS.contains(&b) && skeleton.last() != Some(&b) {
            skeleton.push(b);
        }
    }
    vec![
        format!("p{prefix}"),
        format!("s{}", String::from_utf8_lossy(&skeleton)),
    ]
}

/// The block codes of a whole name, deduplicated.
pub fn name_codes(name: &str) -> BTreeSet<String> {
    tokens(name).iter().flat_map(|t| block_codes(t)).collect()
}

/// One listed name or alias as scoring reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordName<'a> {
    /// As listed (what a result names).
    #[serde(borrow)]
    pub listed: Cow<'a, str>,
    /// Its [tokens](crate::names::tokens), sorted and joined by one space.
    #[serde(borrow)]
    pub sorted: Cow<'a, str>,
}

impl RecordName<'_> {
    /// The tokens of the name (ASCII, lower case), in sorted order.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.sorted.split(' ').filter(|t| !t.is_empty())
    }
}

/// The matchable form of an entry, as blocks store it: its names already normalised, so a
/// screening scores candidates without re-reading or re-normalising the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record<'a> {
    /// The entry's number.
    pub ent_num: u64,
    /// What kind of party.
    pub kind: EntryKind,
    /// Its name, then its aliases.
    #[serde(borrow)]
    pub names: Vec<RecordName<'a>>,
    /// Years of birth.
    pub birth_years: Vec<i32>,
    /// Countries, lower case.
    #[serde(borrow)]
    pub countries: Vec<Cow<'a, str>>,
}

impl Record<'static> {
    /// The record of `entry`.
    pub fn of(entry: &Entry) -> Record<'static> {
        let names = std::iter::once(&entry.name)
            .chain(&entry.aliases)
            .map(|name| RecordName {
                listed: Cow::Owned(name.clone()),
                sorted: Cow::Owned(sorted_form(&tokens(name))),
            })
            .collect();
        Record {
            ent_num: entry.ent_num,
            kind: entry.kind,
            names,
            birth_years: entry.birth_years.clone(),
            countries: entry.countries.iter().cloned().map(Cow::Owned).collect(),
        }
    }
}

/// Blocks: for every code, the records of the entries with a name or alias holding a token
/// of that code, in entry-number order.
pub fn blocks(entries: &[Entry]) -> BTreeMap<String, Vec<Record<'static>>> {
    let mut members: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        for name in std::iter::once(&entry.name).chain(&entry.aliases) {
            for code in name_codes(name) {
                members.entry(code).or_default().insert(index);
            }
        }
    }
    let records: Vec<Record<'static>> = entries.iter().map(Record::of).collect();
    members
        .into_iter()
        .map(|(code, indexes)| {
            let mut block: Vec<Record<'static>> =
                indexes.into_iter().map(|i| records[i].clone()).collect();
            block.sort_by_key(|r| r.ent_num);
            (code, block)
        })
        .collect()
}

/// A block's stored bytes (compact binary: a screening decodes several per request).
pub fn encode_block(records: &[Record<'_>]) -> Option<Vec<u8>> {
    postcard::to_allocvec(records).ok()
}

/// The records of a block's stored bytes, borrowing their text from `bytes`; `None` when
/// the bytes are not a block.
pub fn decode_block(bytes: &[u8]) -> Option<Vec<Record<'_>>> {
    postcard::from_bytes(bytes).ok()
}
