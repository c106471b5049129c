//! The in-memory backend: fast, process-local, gone at exit. For tests and benchmarks.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{KeyPage, KvError, KvStore, LIST_PAGE_KEYS, Versioned, check_limits, parse_counter};

/// A store held in a `BTreeMap` behind a mutex.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: BTreeMap<String, Versioned>,
    /// One counter for the whole store keeps versions unique across deletes.
    last_version: u64,
}

impl Inner {
    fn write(&mut self, key: &str, value: Vec<u8>) {
        self.last_version += 1;
        let version = self.last_version;
        self.entries
            .insert(key.to_string(), Versioned { value, version });
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written entry (every write is
        // one insert), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl KvStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError> {
        check_limits(key, None)?;
        Ok(self.lock().entries.get(key).cloned())
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        check_limits(key, Some(value))?;
        self.lock().write(key, value.to_vec());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        check_limits(key, None)?;
        self.lock().entries.remove(key);
        Ok(())
    }

    async fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        let inner = self.lock();
        let start = match cursor {
            Some(c) => Bound::Excluded(c.to_string()),
            None => Bound::Unbounded,
        };
        let keys: Vec<String> = inner
            .entries
            .range((start, Bound::Unbounded))
            .take(LIST_PAGE_KEYS + 1)
            .map(|(k, _)| k.clone())
            .collect();
        Ok(KeyPage::from_overfetched(keys))
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
    ) -> Result<bool, KvError> {
        check_limits(key, Some(value))?;
        let mut inner = self.lock();
        let current = inner.entries.get(key).map(|v| v.version);
        if current != expected {
            return Ok(false);
        }
        inner.write(key, value.to_vec());
        Ok(true)
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        check_limits(key, None)?;
        let mut inner = self.lock();
        let current = parse_counter(inner.entries.get(key).map(|v| v.value.as_slice()))?;
        let next = current
            .checked_add(delta)
            .ok_or_else(|| KvError::Limit("increment overflows a 64-bit counter".into()))?;
        inner.write(key, next.to_string().into_bytes());
        Ok(next)
    }

    async fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        super::check_batch(entries.len())?;
        for (key, value) in entries {
            check_limits(key, Some(value))?;
        }
        let mut inner = self.lock();
        for (key, value) in entries {
            inner.write(key, value.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn memory_store_passes_the_suite() {
        super::super::suite::run_all(Arc::new(MemoryStore::new())).await;
    }
}
