//! Key-value semantics as guests observe them: the `lendwork` host's own (exact), or real
//! Spin 4.0.2's, reproduced over any backend so that a component proven here is proven
//! portable (`lendwork up --kv-semantics spin`).
//!
//! What Spin 4.0.2 does (its `key-value-spin`, `key-value-redis` and `factor-key-value`
//! crates), per backend kind:
//!
//! | operation | SQLite store (`type = "spin"`) | Redis store (`type = "redis"`) |
//! |---|---|---|
//! | `batch.get-many` | only the keys that exist, in key order (`IN rarray(…)`) | `KEYS k1 k2 …`: refused for several keys; for one key the names that match, without values |
//! | `cas.new` | reads nothing | reads nothing |
//! | `cas.current` | reads the value and remembers it | `WATCH`, then reads |
//! | `swap` after a value was read | `UPDATE … WHERE value = <old>`: compares values (so A→B→A is not seen) | `MULTI`/`SET`/`EXEC` (atomic), then `UNWATCH <key>`, which Redis refuses, so **every swap reports `cas-failed`**, written or not |
//! | `swap` when no value was read | an unconditional upsert: **two writers that both saw the key absent both succeed** | atomic as above, same report |
//! | after a failed swap | a fresh handle that has already read the key | the same |
//! | `increment` | a counter of 8 little-endian bytes (Spin panics on another value; here it is an error) | `INCRBY`: decimal text |
//!
//! The memory backend takes the SQLite column: Spin's `type = "spin"` store without a
//! path is SQLite in memory.

use std::sync::Arc;

use super::{KvError, KvStore};

/// Whose key-value semantics a store shows its guests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Semantics {
    /// The `lendwork` host's: versioned compare-and-swap (absence included), `get-many`
    /// answering every key asked in order, decimal counters.
    #[default]
    Lendwork,
    /// Spin 4.0.2's SQLite store.
    SpinSqlite,
    /// Spin 4.0.2's Redis store.
    SpinRedis,
}

/// Rounds of [`swap`]'s value comparison on the SQLite semantics before it reports the key
/// changed: each round lost means another writer changed the key in between.
const VALUE_SWAP_ROUNDS: usize = 16;

/// Rounds of a SQLite-semantics increment (a CAS loop here, one locked transaction in
/// Spin) before it gives up: far more than any contention seen, yet bounded.
const INCREMENT_ROUNDS: usize = 10_000;

/// What a compare-and-swap handle has seen: the key and, once read, its version and value.
#[derive(Debug, Clone)]
pub struct CasState {
    /// The key the handle is on.
    pub key: String,
    read: Option<Read>,
}

#[derive(Debug, Clone)]
struct Read {
    version: Option<u64>,
    value: Option<Vec<u8>>,
}

impl CasState {
    /// A new handle on `key`: the `lendwork` host reads the key now, Spin only at
    /// [`CasState::current`].
    pub async fn open(
        store: &dyn KvStore,
        semantics: Semantics,
        key: String,
    ) -> Result<CasState, KvError> {
        let mut state = CasState { key, read: None };
        if semantics == Semantics::Lendwork {
            state.read(store).await?;
        }
        Ok(state)
    }

    /// A handle that has read the key already (Spin hands one back after a failed swap).
    async fn fresh(store: &dyn KvStore, key: String) -> Result<CasState, KvError> {
        let mut state = CasState { key, read: None };
        state.read(store).await?;
        Ok(state)
    }

    async fn read(&mut self, store: &dyn KvStore) -> Result<Option<Vec<u8>>, KvError> {
        let current = store.get(&self.key).await?;
        let read = Read {
            version: current.as_ref().map(|v| v.version),
            value: current.map(|v| v.value),
        };
        let value = read.value.clone();
        self.read = Some(read);
        Ok(value)
    }

    /// `cas.current`: the value the handle read (the `lendwork` host), or the value read now
    /// and remembered (Spin).
    pub async fn current(
        &mut self,
        store: &dyn KvStore,
        semantics: Semantics,
    ) -> Result<Option<Vec<u8>>, KvError> {
        match (&self.read, semantics) {
            (Some(read), Semantics::Lendwork) => Ok(read.value.clone()),
            _ => self.read(store).await,
        }
    }
}

/// What a swap reported, and the truth behind it (which only the tests look at).
#[derive(Debug)]
pub struct Swapped {
    /// What the guest is told: written, or a fresh handle to retry with.
    pub report: Result<(), CasState>,
    /// Whether the value was written.
    pub written: bool,
}

/// `atomics.swap` of `value` through the handle `cas`.
pub async fn swap(
    store: &dyn KvStore,
    semantics: Semantics,
    cas: CasState,
    value: &[u8],
) -> Result<Swapped, KvError> {
    let read = cas.read.clone();
    let written = match (semantics, read) {
        (Semantics::Lendwork, read) => {
            let expected = read.and_then(|r| r.version);
            store.compare_and_swap(&cas.key, expected, value).await?
        }
        (
            Semantics::SpinSqlite,
            Some(Read {
                value: Some(old), ..
            }),
        ) => swap_if_value(store, &cas.key, &old, value).await?,
        // Nothing was read, or nothing was there: `INSERT … ON CONFLICT DO UPDATE`.
        (Semantics::SpinSqlite, _) => {
            store.set(&cas.key, value).await?;
            true
        }
        // WATCH made at `current`; without it, MULTI/EXEC writes unconditionally.
        (Semantics::SpinRedis, Some(read)) => {
            store
                .compare_and_swap(&cas.key, read.version, value)
                .await?
        }
        (Semantics::SpinRedis, None) => {
            store.set(&cas.key, value).await?;
            true
        }
    };
    let report = match (semantics, written) {
        (Semantics::SpinRedis, _) | (_, false) => Err(CasState::fresh(store, cas.key).await?),
        (_, true) => Ok(()),
    };
    Ok(Swapped { report, written })
}

/// `UPDATE … SET value = new WHERE value = old`, atomic over a versioned backend.
async fn swap_if_value(
    store: &dyn KvStore,
    key: &str,
    old: &[u8],
    new: &[u8],
) -> Result<bool, KvError> {
    for _ in 0..VALUE_SWAP_ROUNDS {
        match store.get(key).await? {
            Some(current) if current.value == old => {
                if store
                    .compare_and_swap(key, Some(current.version), new)
                    .await?
                {
                    return Ok(true);
                }
            }
            _ => return Ok(false),
        }
    }
    Ok(false)
}

/// `batch.get-many` as the semantics answer it.
pub async fn get_many(
    store: &dyn KvStore,
    semantics: Semantics,
    keys: Vec<String>,
) -> Result<Vec<(String, Option<Vec<u8>>)>, KvError> {
    match semantics {
        Semantics::Lendwork => {
            let values = store.get_many(&keys).await?;
            Ok(keys.into_iter().zip(values).collect())
        }
        Semantics::SpinSqlite => {
            let values = store.get_many(&keys).await?;
            let mut found: Vec<(String, Option<Vec<u8>>)> = keys
                .into_iter()
                .zip(values)
                .filter_map(|(key, value)| value.map(|v| (key, Some(v))))
                .collect();
            found.sort();
            found.dedup();
            Ok(found)
        }
        Semantics::SpinRedis if keys.len() > 1 => Err(KvError::Backend(
            "An error was signalled by the server - ResponseError: wrong number of arguments for 'keys' command".into(),
        )),
        Semantics::SpinRedis => {
            let mut names = Vec::new();
            for key in keys {
                if store.get(&key).await?.is_some() {
                    names.push((key, None));
                }
            }
            Ok(names)
        }
    }
}

/// `atomics.increment` as the semantics store counters.
pub async fn increment(
    store: &dyn KvStore,
    semantics: Semantics,
    key: &str,
    delta: i64,
) -> Result<i64, KvError> {
    if semantics != Semantics::SpinSqlite {
        return store.increment(key, delta).await;
    }
    for _ in 0..INCREMENT_ROUNDS {
        let current = store.get(key).await?;
        let now = match &current {
            None => 0,
            Some(v) => i64::from_le_bytes(v.value.as_slice().try_into().map_err(|_| {
                // Spin's host panics here (`expect("incorrect length")`).
                KvError::Backend("increment on a value that is not an 8-byte counter".into())
            })?),
        };
        let next = now
            .checked_add(delta)
            .ok_or_else(|| KvError::Limit("increment overflows a 64-bit counter".into()))?;
        let version = current.map(|v| v.version);
        if store
            .compare_and_swap(key, version, &next.to_le_bytes())
            .await?
        {
            return Ok(next);
        }
    }
    Err(KvError::Backend(
        "increment kept losing to other writers".into(),
    ))
}

/// Most keys a Spin-semantics `list-keys` answers at once (Spin bounds the answer by
/// bytes); a larger store answers an error rather than an unbounded list.
pub const SPIN_LIST_KEYS_MAX: usize = 100_000;

/// One `store.list-keys` page as the semantics answer it: the host's pages of
/// [`super::LIST_PAGE_KEYS`] with a cursor, or Spin's single answer that refuses a cursor.
pub async fn list_keys(
    store: &dyn KvStore,
    semantics: Semantics,
    cursor: Option<String>,
) -> Result<super::KeyPage, KvError> {
    if semantics == Semantics::Lendwork {
        return store.list_keys(cursor.as_deref()).await;
    }
    if cursor.is_some() {
        return Err(KvError::Backend("list_keys: cursor not supported".into()));
    }
    let mut keys = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = store.list_keys(next.as_deref()).await?;
        keys.extend(page.keys);
        if keys.len() > SPIN_LIST_KEYS_MAX {
            return Err(KvError::Limit(format!(
                "list_keys answers at most {SPIN_LIST_KEYS_MAX} keys at once"
            )));
        }
        match page.cursor {
            Some(cursor) => next = Some(cursor),
            None => return Ok(super::KeyPage { keys, cursor: None }),
        }
    }
}

/// A store together with the semantics its guests see.
#[derive(Clone)]
pub struct SemanticStore {
    /// The backend.
    pub store: Arc<dyn KvStore>,
    /// The semantics.
    pub semantics: Semantics,
}

#[cfg(test)]
mod tests;
