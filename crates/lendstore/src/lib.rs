//! Storage protocols over `wasi:keyvalue` that stay correct on every runtime Lendwork
//! claims: the `lendwork` host (strict: versioned compare-and-swap, exact batches) and real
//! Spin 4, whose stores are weaker (see `ARCHITECTURE.md`, "Consistency on every runtime"):
//!
//! * on Spin's SQLite store a compare-and-swap whose handle read *no value* is an
//!   unconditional upsert, so two writers that both saw a key absent both "win";
//! * on Spin's Redis store a swap reports `cas-failed` whether or not it wrote;
//! * `get-many` answers only the keys that exist, in the store's order (SQLite), or fails
//!   outright (Redis);
//! * counters are 8 little-endian bytes (SQLite) or decimal text (Redis).
//!
//! The rules this crate follows, so that every aggregate built on it (a ledger book, an
//! application, a loan, an idempotency record) is created exactly once and changed only by
//! compare-and-swap:
//!
//! 1. **Never swap from absence.** A key is created by [`create`]: an atomic
//!    `increment` of its claim key elects exactly one creator, which alone writes the key
//!    from absence; everyone else waits for the value to appear and then uses CAS on it.
//! 2. **Confirm a failed swap by what can be re-read.** A swap reported as failed may have
//!    written (Spin's Redis store reports every swap so): [`update`] reads the key again
//!    and counts the swap as committed when the value read back is the one written, or
//!    when the caller's `decide`, shown that value, finds its change already made. Values
//!    written must therefore differ between writers (the ledger and the idempotency
//!    records carry a random commit token). A swap reported as done is trusted: every
//!    runtime reports it only after the write (the host's versioned CAS; Spin's SQLite
//!    store when exactly one row changed; Spin's Redis store never reports it).
//! 3. **Read batches tolerantly.** [`get_many`] maps answers to keys by name, treats a key
//!    missing from the answer as absent, and falls back to one `get` per key when the batch
//!    call fails or answers keys it was not asked.
//! 4. **Never delete an aggregate.** A deleted key could never be created again (its claim
//!    is spent); aggregates move to a terminal or released state instead.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod log;
pub mod sim;
#[cfg(feature = "wasi")]
pub mod wasi;

use std::collections::HashMap;
use std::time::Duration;

/// Polls [`create`] makes for a value another writer claimed before giving up with
/// [`StoreError::CreationPending`]. With the back-off of [`backoff`] that is about one
/// second: a claimant writes right after its claim, one host call later, so a longer
/// wait means it died in between (see the limits in `ARCHITECTURE.md`).
pub const CREATE_WAIT_POLLS: u32 = 20;

/// Longest pause between two polls of a value being created, in milliseconds.
pub const MAX_POLL_PAUSE_MS: u64 = 64;

/// Times the sole creator retries its write when the store fails, before giving up. Its
/// claim is spent, so every retry here saves the key from staying uncreatable.
pub const CREATE_WRITE_ATTEMPTS: u32 = 3;

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The store failed or refused; the text never holds stored values.
    Backend(String),
    /// Another writer claimed the creation of the key and has not written it yet.
    CreationPending,
    /// Concurrent writers won every one of this many attempts.
    Contended(u32),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Backend(text) => write!(f, "key-value store: {text}"),
            StoreError::CreationPending => f.write_str("another writer is creating this record"),
            StoreError::Contended(attempts) => {
                write!(f, "concurrent writers won {attempts} attempts in a row")
            }
        }
    }
}

impl std::error::Error for StoreError {}

/// A `get-many` answer: key and value pairs, as the host sent them.
pub type Answer = Vec<(String, Option<Vec<u8>>)>;

/// What the host said of a swap. A reported failure is not to be trusted alone: see
/// [`update`].
pub enum Report<C> {
    /// The host says the value was written.
    Done,
    /// The host says the key changed since it was read, with a fresh handle.
    Failed(C),
}

/// The `wasi:keyvalue` operations the protocols use (store, batch, atomics), over one
/// bucket. Guests implement it over their generated bindings; [`sim::SimKv`] natively.
pub trait Kv {
    /// A compare-and-swap handle.
    type Cas;
    /// `store.get`.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// `batch.get-many`, exactly as the host answers it.
    fn get_many_answer(&self, keys: &[String]) -> Result<Answer, StoreError>;
    /// `store.set`.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// `batch.set-many`.
    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), StoreError>;
    /// `atomics.increment`: the new value.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;
    /// `atomics.cas.new`.
    fn cas(&self, key: &str) -> Result<Self::Cas, StoreError>;
    /// `atomics.cas.current`: reads the key (the handle remembers what it read).
    fn current(&self, cas: &Self::Cas) -> Result<Option<Vec<u8>>, StoreError>;
    /// `atomics.swap`.
    fn swap(&self, cas: Self::Cas, value: &[u8]) -> Result<Report<Self::Cas>, StoreError>;
    /// Waits before poll number `attempt` of a value being created.
    fn pause(&self, attempt: u32) {
        std::thread::sleep(backoff(attempt));
    }
}

/// The pause before poll `attempt`: 1, 2, 4 … milliseconds, at most [`MAX_POLL_PAUSE_MS`].
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((1u64 << attempt.min(6)).min(MAX_POLL_PAUSE_MS))
}

/// The values of `keys`, in order, `None` for absent ones, on every host: answers are
/// matched by key, a key missing from the answer is absent, and a failed or inconsistent
/// batch is read again one key at a time (Spin's Redis store cannot do `get-many`).
pub fn get_many<K: Kv>(kv: &K, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
    if keys.len() > GET_MANY_KEYS_MAX {
        let mut values = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(GET_MANY_KEYS_MAX) {
            values.extend(get_many(kv, chunk)?);
        }
        return Ok(values);
    }
    match keys {
        [] => return Ok(Vec::new()),
        // One key is one `get`: Spin's Redis store answers key names to a one-key batch.
        [key] => return Ok(vec![kv.get(key)?]),
        _ => {}
    }
    if let Ok(answer) = kv.get_many_answer(keys)
        && let Some(values) = match_answer(keys, answer)
    {
        return Ok(values);
    }
    keys.iter().map(|key| kv.get(key)).collect()
}

/// Keys one `get-many` asks for at most (hosts cap a batch; `lendwork` at 1,000).
pub const GET_MANY_KEYS_MAX: usize = 500;

/// Matches a batch answer to the keys asked, or `None` when it names a key not asked, names
/// one twice, or answers an existing key without its value.
fn match_answer(keys: &[String], answer: Answer) -> Option<Vec<Option<Vec<u8>>>> {
    if answer.len() > keys.len() {
        return None;
    }
    let mut by_key: HashMap<String, Vec<u8>> = HashMap::with_capacity(answer.len());
    for (key, value) in answer {
        match value {
            Some(value) => {
                if by_key.insert(key, value).is_some() {
                    return None;
                }
            }
            // The WIT's way to say "absent"; hosts that omit absent keys never send it.
            None => continue,
        }
    }
    let mut values = Vec::with_capacity(keys.len());
    let mut matched = 0;
    for key in keys {
        let value = by_key.get(key).cloned();
        matched += usize::from(value.is_some());
        values.push(value);
    }
    // Every answered key must be one that was asked (and asked once).
    (matched == by_key.len()).then_some(values)
}

/// A counter's value as `get` reads it on any runtime: 8 little-endian bytes (Spin's SQLite
/// store, the host) or decimal text (Spin's Redis store). Eight ASCII digits read as both;
/// such bytes decode as text only when, read as an integer, they would exceed 2^40 — far
/// beyond what a counter of this project reaches.
pub fn counter_value(bytes: &[u8]) -> Option<i64> {
    if let Ok(raw) = <[u8; 8]>::try_from(bytes) {
        let value = i64::from_le_bytes(raw);
        if (0..1 << 40).contains(&value) || !bytes.iter().all(u8::is_ascii_digit) {
            return Some(value);
        }
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// The key whose atomic increment elects the creator of `key`.
pub fn claim_key(key: &str) -> String {
    format!("{key}/claim")
}

/// What [`create`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    /// This call created the key with the value given.
    Created,
    /// The key exists (created by another writer): its value.
    Exists(Vec<u8>),
}

/// Creates `key` with `value` exactly once, on every host: the first `increment` of the
/// claim key elects the only writer that may write the key from absence; any other caller
/// waits (bounded) for the value to appear and gets it. Call it only after reading the key
/// absent.
pub fn create<K: Kv>(kv: &K, key: &str, value: &[u8]) -> Result<Created, StoreError> {
    if kv.increment(&claim_key(key), 1)? == 1 {
        // The sole creator: nobody else writes this key from absence, and nobody swaps a
        // key that is absent, so this write cannot overwrite anything.
        let mut last = None;
        for _ in 0..CREATE_WRITE_ATTEMPTS {
            match kv.set(key, value) {
                Ok(()) => return Ok(Created::Created),
                Err(error) => last = Some(error),
            }
        }
        return Err(last.unwrap_or(StoreError::CreationPending));
    }
    for attempt in 0..CREATE_WAIT_POLLS {
        if let Some(existing) = kv.get(key)? {
            return Ok(Created::Exists(existing));
        }
        kv.pause(attempt);
    }
    match kv.get(key)? {
        Some(existing) => Ok(Created::Exists(existing)),
        None => Err(StoreError::CreationPending),
    }
}

/// What `decide` wants done with the value it was shown.
pub enum Change<T> {
    /// Write these bytes; `T` is the result once they are committed.
    Write(Vec<u8>, T),
    /// Nothing to write (the change is already there, or is refused): return `T`.
    Keep(T),
}

/// Changes the value at `key` by compare-and-swap, creating it through [`create`] when it
/// is absent: `decide` sees the current value and says what to write. A swap reported as
/// failed is confirmed by reading the key again: the write counts when the value read back
/// is the one written, otherwise `decide` sees the value read back (it may find its change
/// already made, by this writer or by an identical concurrent request). Gives up with
/// [`StoreError::Contended`] after `max_attempts` lost races.
///
/// The bytes `decide` writes must be unique to this writer (carry a commit token), so that
/// reading them back proves this writer wrote them.
pub fn update<K, T, E>(
    kv: &K,
    key: &str,
    max_attempts: u32,
    mut decide: impl FnMut(Option<&[u8]>) -> Result<Change<T>, E>,
) -> Result<T, E>
where
    K: Kv,
    E: From<StoreError>,
{
    let mut cas = kv.cas(key)?;
    let mut current = kv.current(&cas)?;
    for _ in 0..max_attempts {
        let (bytes, result) = match decide(current.as_deref())? {
            Change::Keep(result) => return Ok(result),
            Change::Write(bytes, result) => (bytes, result),
        };
        if current.is_none() {
            match create(kv, key, &bytes)? {
                Created::Created => return Ok(result),
                Created::Exists(_) => {
                    // Someone else created it: go on from their value, with a handle on it.
                    cas = kv.cas(key)?;
                    current = kv.current(&cas)?;
                    continue;
                }
            }
        }
        let read_back = match kv.swap(cas, &bytes)? {
            Report::Done => return Ok(result),
            Report::Failed(fresh) => {
                cas = fresh;
                kv.current(&cas)?
            }
        };
        if read_back.as_deref() == Some(bytes.as_slice()) {
            return Ok(result);
        }
        current = read_back;
    }
    Err(StoreError::Contended(max_attempts).into())
}

#[cfg(test)]
mod tests;
