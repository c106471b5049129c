//! The sanctions list in the key-value store labelled `screening`.
//!
//! | key | value |
//! |---|---|
//! | `sanctions/current` | the [`ListInfo`] of the list in force (one CAS swaps lists) |
//! | `sanctions/{version}/entry/{ent_num}` | one [`sanctions::Entry`] |
//! | `sanctions/{version}/block/{code}` | the entry numbers whose names hold a token of that code |
//!
//! A load writes the new version's keys first, then swaps `sanctions/current` to it: a
//! screening reads one list or the other, never a mix, and a failed load changes nothing.
//! The version is the digest's first 16 hex digits, so loading the same files again writes
//! the same keys.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use lendkit::Problem;
use lendkit::idempotency::store_problem;
use lendstore::{Change, Kv, get_many};
use sanctions::{Entry, Person, Thresholds};
use serde::{Deserialize, Serialize};

/// The key of the list in force.
pub const CURRENT_KEY: &str = "sanctions/current";
/// Pairs written per `set-many` while loading (a host refuses batches over 1,000 keys).
const WRITE_BATCH_PAIRS: usize = 500;
/// Keys read per `get-many` while screening.
const READ_BATCH_KEYS: usize = 200;
/// Most candidate entries one screening reads: a name made of very common tokens is
/// screened against the first this many of them, and the result says it was capped.
pub const CANDIDATES_MAX: usize = 2_000;
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
    let version = digest[..16].to_string();
    let blocks = sanctions::index::blocks(entries);
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::with_capacity(entries.len() + blocks.len());
    for entry in entries {
        let bytes = serde_json::to_vec(entry).map_err(|_| unreadable())?;
        pairs.push((entry_key(&version, entry.ent_num), bytes));
    }
    for (code, ids) in &blocks {
        let bytes = serde_json::to_vec(ids).map_err(|_| unreadable())?;
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

/// The entries of `list` that share a block code with any of `people`'s names, at most
/// [`CANDIDATES_MAX`]; and whether that cap cut the candidates short.
pub fn candidates<K: Kv>(
    kv: &K,
    list: &ListInfo,
    people: &[Person],
) -> Result<(Vec<Entry>, bool), Problem> {
    let codes: BTreeSet<String> = people
        .iter()
        .flat_map(|p| sanctions::index::name_codes(&p.name))
        .collect();
    let block_keys: Vec<String> = codes.iter().map(|c| block_key(&list.version, c)).collect();
    let mut ids: BTreeSet<u64> = BTreeSet::new();
    for chunk in block_keys.chunks(READ_BATCH_KEYS) {
        for value in get_many(kv, chunk)
            .map_err(store_problem)?
            .into_iter()
            .flatten()
        {
            let block: Vec<u64> = serde_json::from_slice(&value).map_err(|_| unreadable())?;
            ids.extend(block);
        }
    }
    let capped = ids.len() > CANDIDATES_MAX;
    let entry_keys: Vec<String> = ids
        .into_iter()
        .take(CANDIDATES_MAX)
        .map(|id| entry_key(&list.version, id))
        .collect();
    let mut entries = Vec::with_capacity(entry_keys.len());
    for chunk in entry_keys.chunks(READ_BATCH_KEYS) {
        for value in get_many(kv, chunk).map_err(store_problem)? {
            let value = value.ok_or_else(unreadable)?;
            entries.push(serde_json::from_slice(&value).map_err(|_| unreadable())?);
        }
    }
    Ok((entries, capped))
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
