//! The sanctions list in the key-value store labelled `screening`.
//!
//! | key | value |
//! |---|---|
//! | `sanctions/current` | the [`ListInfo`] of the list in force (one CAS swaps lists) |
//! | `sanctions/{version}/entry/{ent_num}` | one [`sanctions::Entry`] (JSON) |
//! | `sanctions/{version}/block/{code}` | the [`sanctions::Record`]s of the entries whose names hold a token of that code ([`sanctions::index::encode_block`]) |
//!
//! A screening reads the pointer and its names' blocks, and one entry only for a result
//! that is not clear (to name it and its programs). A load writes the new version's keys
//! first, then swaps `sanctions/current` to it: a screening reads one list or the other,
//! never a mix, and a failed load changes nothing. The version is the block format and the
//! digest's first 16 hex digits, so loading the same files again writes the same keys, and
//! a list stored by a release with another block format is reported as such, never misread.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use lendkit::Problem;
use lendkit::idempotency::store_problem;
use lendstore::{Change, Kv, get_many};
use sanctions::{Entry, Person, Record, Thresholds};
use serde::{Deserialize, Serialize};

/// The key of the list in force.
pub const CURRENT_KEY: &str = "sanctions/current";
/// Pairs written per `set-many` while loading (a host refuses batches over 1,000 keys).
const WRITE_BATCH_PAIRS: usize = 500;
/// Keys read per `get-many` while screening.
const READ_BATCH_KEYS: usize = 200;
/// Most candidate entries one screening scores: a name made of very common tokens is
/// screened against the first this many of them (by entry number), and the result says it
/// was capped.
pub const CANDIDATES_MAX: usize = 2_000;
/// The layout of blocks this release writes and reads (part of every list's version).
pub const BLOCK_FORMAT: &str = "b2";
/// Compare-and-swap attempts when swapping lists.
const SWAP_ATTEMPTS: u32 = 8;

/// The list in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListInfo {
    /// SHA-256 of the files loaded.
    pub digest: String,
    /// The key prefix of its entries and blocks.
    pub version: String,
    /// When it was loaded.
    pub loaded_at: DateTime<Utc>,
    /// Entries it holds.
    pub entries: u64,
    /// Blocks it holds.
    pub blocks: u64,
}

fn entry_key(version: &str, ent_num: u64) -> String {
    format!("sanctions/{version}/entry/{ent_num}")
}

fn block_key(version: &str, code: &str) -> String {
    format!("sanctions/{version}/block/{code}")
}

fn unreadable() -> Problem {
    Problem::internal("the stored sanctions list is unreadable")
}

/// Loads a list replacing the one in force.
pub fn load<K: Kv>(
    kv: &K,
    entries: &[Entry],
    digest: String,
    now: DateTime<Utc>,
) -> Result<ListInfo, Problem> {
    let version = format!("{BLOCK_FORMAT}-{}", &digest[..16]);
    let blocks = sanctions::index::blocks(entries);
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::with_capacity(entries.len() + blocks.len());
    for entry in entries {
        let bytes = serde_json::to_vec(entry).map_err(|_| unreadable())?;
        pairs.push((entry_key(&version, entry.ent_num), bytes));
    }
    for (code, records) in &blocks {
        let bytes = sanctions::index::encode_block(records).ok_or_else(unreadable)?;
        pairs.push((block_key(&version, code), bytes));
    }
    for chunk in pairs.chunks(WRITE_BATCH_PAIRS) {
        kv.set_many(chunk).map_err(store_problem)?;
    }
    let info = ListInfo {
        digest,
        version,
        loaded_at: now,
        entries: entries.len() as u64,
        blocks: blocks.len() as u64,
    };
    let bytes = serde_json::to_vec(&info).map_err(|_| unreadable())?;
    lendstore::update(kv, CURRENT_KEY, SWAP_ATTEMPTS, |_| {
        Ok::<_, lendstore::StoreError>(Change::Write(bytes.clone(), ()))
    })
    .map_err(store_problem)?;
    Ok(info)
}

/// The list in force, if any.
pub fn current<K: Kv>(kv: &K) -> Result<Option<ListInfo>, Problem> {
    match kv.get(CURRENT_KEY).map_err(store_problem)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| unreadable()),
        None => Ok(None),
    }
}

/// [`current`], refusing a list whose blocks this release cannot read.
pub fn readable<K: Kv>(kv: &K) -> Result<Option<ListInfo>, Problem> {
    let list = current(kv)?;
    if let Some(info) = &list
        && !info.version.starts_with(&format!("{BLOCK_FORMAT}-"))
    {
        return Err(Problem::internal(
            "the sanctions list in force was stored by another release: load it again",
        ));
    }
    Ok(list)
}

/// The stored blocks of every code of `people`'s names (decode them with
/// [`candidates`]).
pub fn blocks<K: Kv>(kv: &K, list: &ListInfo, people: &[Person]) -> Result<Vec<Vec<u8>>, Problem> {
    let codes: BTreeSet<String> = people
        .iter()
        .flat_map(|p| sanctions::index::name_codes(&p.name))
        .collect();
    let keys: Vec<String> = codes.iter().map(|c| block_key(&list.version, c)).collect();
    let mut blocks = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(READ_BATCH_KEYS) {
        blocks.extend(
            get_many(kv, chunk)
                .map_err(store_problem)?
                .into_iter()
                .flatten(),
        );
    }
    Ok(blocks)
}

/// The distinct records of `blocks`, at most [`CANDIDATES_MAX`] (the lowest entry
/// numbers), and whether that cap cut the candidates short.
pub fn candidates(blocks: &[Vec<u8>]) -> Result<(Vec<Record<'_>>, bool), Problem> {
    let mut records = Vec::new();
    for block in blocks {
        records.extend(sanctions::index::decode_block(block).ok_or_else(unreadable)?);
    }
    records.sort_by_key(|r| r.ent_num);
    records.dedup_by_key(|r| r.ent_num);
    let capped = records.len() > CANDIDATES_MAX;
    records.truncate(CANDIDATES_MAX);
    Ok((records, capped))
}

/// The entry `ent_num` of `list`.
pub fn entry<K: Kv>(kv: &K, list: &ListInfo, ent_num: u64) -> Result<Entry, Problem> {
    let bytes = kv
        .get(&entry_key(&list.version, ent_num))
        .map_err(store_problem)?
        .ok_or_else(unreadable)?;
    serde_json::from_slice(&bytes).map_err(|_| unreadable())
}

/// The thresholds screening applies (the `sanctions_threshold` variable overrides the
/// possible-match threshold; the default is OFAC's middle 0.85).
pub fn thresholds() -> Result<Thresholds, Problem> {
    let mut thresholds = Thresholds::default();
    if let Ok(text) = spin_sdk::variables::get("sanctions_threshold")
        && !text.trim().is_empty()
    {
        let value: f64 = text
            .trim()
            .parse()
            .ok()
            .filter(|v| (0.5..=1.0).contains(v))
            .ok_or_else(|| {
                Problem::internal("sanctions_threshold must be a number from 0.5 to 1")
            })?;
        thresholds.possible = value;
        thresholds.hit = thresholds.hit.max(value);
    }
    Ok(thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lendstore::sim::{Semantics, SimKv};

    const SDN: &str = include_str!("../../../data/sanctions/sample/sdn.csv");
    const ALT: &str = include_str!("../../../data/sanctions/sample/alt.csv");

    fn person(name: &str) -> Person {
        Person {
            name: name.into(),
            individual: true,
            birth_year: None,
            country: None,
        }
    }

    #[test]
    fn a_loaded_list_screens_through_its_blocks_on_every_runtime() {
        for semantics in [
            Semantics::Strict,
            Semantics::SpinSqlite,
            Semantics::SpinRedis,
        ] {
            let kv = SimKv::new(semantics);
            let entries = sanctions::parse_list(SDN, Some(ALT), None).unwrap();
            let digest = sanctions::list::digest(SDN, Some(ALT), None);
            let info = load(&kv, &entries, digest.clone(), Utc::now()).unwrap();
            assert_eq!(readable(&kv).unwrap(), Some(info.clone()));
            assert!(info.version.starts_with(BLOCK_FORMAT) && info.digest == digest);

            let who = [person("Muhammad Al-Rashidi")];
            let blocks = blocks(&kv, &info, &who).unwrap();
            let (records, capped) = candidates(&blocks).unwrap();
            assert!(!capped && records.windows(2).all(|w| w[0].ent_num < w[1].ent_num));
            let (outcome, best) = sanctions::best_match(&who[0], &records, Thresholds::default());
            let best = best.unwrap();
            assert_eq!((outcome, best.ent_num), (sanctions::Outcome::Hit, 1002));
            assert_eq!(entry(&kv, &info, best.ent_num).unwrap().ent_num, 1002);
        }
    }

    #[test]
    fn a_list_stored_in_another_block_format_is_refused_not_misread() {
        let kv = SimKv::new(Semantics::Strict);
        let old = ListInfo {
            digest: "ab".repeat(32),
            version: "abababababababab".into(),
            loaded_at: Utc::now(),
            entries: 8,
            blocks: 20,
        };
        kv.set(CURRENT_KEY, &serde_json::to_vec(&old).unwrap())
            .unwrap();
        assert_eq!(current(&kv).unwrap(), Some(old));
        let refused = readable(&kv).unwrap_err();
        assert!(
            refused
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains("load it again")
        );
    }
}
