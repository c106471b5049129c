//! An arrival log: the order in which aggregates of one kind were created, so that they
//! can be listed oldest first a page at a time without a scan of the whole store.
//!
//! | key | value |
//! |---|---|
//! | `{prefix}/log-seq` | the counter (read with `increment(key, 0)` on every host) |
//! | `{prefix}/log/{seq:012}` | the id of the aggregate that took number `seq` |
//!
//! An entry is appended *before* the aggregate it names is created, so a listing never
//! misses an aggregate that exists; an entry whose aggregate never came to be (its request
//! failed in between) is skipped.

use crate::{Kv, StoreError, get_many};

/// Log entries (and aggregates) read per batch.
const READ_CHUNK: u64 = 100;

/// The arrival log of the aggregates under `prefix` (`application`, `decision`).
#[derive(Debug, Clone, Copy)]
pub struct Log {
    /// The key prefix of the log's counter and entries.
    pub prefix: &'static str,
    /// Most entries one page reads, whatever it finds: a page is bounded work.
    pub scan_max: u64,
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page<T> {
    /// What was kept, oldest first.
    pub items: Vec<T>,
    /// The position to continue after, when the log holds more.
    pub next_after: Option<u64>,
}

impl Log {
    fn counter(&self) -> String {
        format!("{}/log-seq", self.prefix)
    }

    fn entry(&self, sequence: u64) -> String {
        format!("{}/log/{sequence:012}", self.prefix)
    }

    /// How many entries the log holds (the position of the last one).
    pub fn len<K: Kv>(&self, kv: &K) -> Result<u64, StoreError> {
        Ok(u64::try_from(kv.increment(&self.counter(), 0)?).unwrap_or(0))
    }

    /// Appends `id`; its position.
    pub fn append<K: Kv>(&self, kv: &K, id: &str) -> Result<u64, StoreError> {
        let sequence = kv.increment(&self.counter(), 1)?;
        let sequence = u64::try_from(sequence)
            .map_err(|_| StoreError::Backend("a log counter is negative".into()))?;
        kv.set(&self.entry(sequence), id.as_bytes())?;
        Ok(sequence)
    }

    /// Up to `limit` aggregates after position `after`, oldest first: each logged id's
    /// aggregate (at `key_of(id)`) that exists and that `keep` keeps, reading at most
    /// [`Log::scan_max`] entries.
    pub fn page<K: Kv, T, E: From<StoreError>>(
        &self,
        kv: &K,
        after: u64,
        limit: usize,
        key_of: impl Fn(&str) -> String,
        mut keep: impl FnMut(&[u8]) -> Result<Option<T>, E>,
    ) -> Result<Page<T>, E> {
        let last = self.len(kv)?;
        let scan_end = last.min(after.saturating_add(self.scan_max));
        let mut items = Vec::new();
        let mut scanned = after;
        while scanned < scan_end && items.len() < limit {
            let chunk_end = scan_end.min(scanned + READ_CHUNK);
            let sequences: Vec<u64> = (scanned + 1..=chunk_end).collect();
            let entries: Vec<String> = sequences.iter().map(|s| self.entry(*s)).collect();
            let mut positions = Vec::new();
            let mut keys = Vec::new();
            for (sequence, id) in sequences.iter().zip(get_many(kv, &entries)?) {
                if let Some(id) = id.and_then(|bytes| String::from_utf8(bytes).ok()) {
                    positions.push(*sequence);
                    keys.push(key_of(&id));
                }
            }
            let mut stopped_at = chunk_end;
            for (sequence, value) in positions.into_iter().zip(get_many(kv, &keys)?) {
                let Some(bytes) = value else { continue };
                if let Some(item) = keep(&bytes)? {
                    items.push(item);
                    if items.len() == limit {
                        stopped_at = sequence;
                        break;
                    }
                }
            }
            scanned = stopped_at;
        }
        Ok(Page {
            items,
            next_after: (scanned < last).then_some(scanned),
        })
    }
}
