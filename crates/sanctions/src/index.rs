//! The list as a blocked index: one screening reads the blocks of its name's tokens and the
//! candidate entries they name — a few keys, never the whole list.

use std::collections::{BTreeMap, BTreeSet};

use crate::list::Entry;
use crate::names::tokens;

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

/// Blocks: for every code, the entries with a name or alias holding a token of that code.
pub fn blocks(entries: &[Entry]) -> BTreeMap<String, Vec<u64>> {
    let mut blocks: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for entry in entries {
        for name in std::iter::once(&entry.name).chain(&entry.aliases) {
            for code in name_codes(name) {
                blocks.entry(code).or_default().insert(entry.ent_num);
            }
        }
    }
    blocks
        .into_iter()
        .map(|(code, set)| (code, set.into_iter().collect()))
        .collect()
}
