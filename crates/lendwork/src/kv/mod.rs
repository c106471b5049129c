//! Key-value storage: one trait and three backends (memory, SQLite, Redis).
//!
//! Every backend offers the same semantics, checked by one test suite run against each:
//! `get`/`set`/`delete`/`exists`, paged key listing, batches, an atomic `increment`, and
//! compare-and-swap on a *version* that changes on every write of a key and never repeats
//! (so deleting and re-creating a key cannot fool a CAS handle — no ABA).

pub mod memory;
pub mod redis;
pub mod spin;
pub mod sqlite;

use std::collections::HashMap;

use async_trait::async_trait;

/// Upper bound on a key's length in bytes; longer keys are refused rather than truncated.
pub const MAX_KEY_BYTES: usize = 1024;
/// Upper bound on a value's size; a ledger head or entry is a few KiB at most.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// Keys returned per `list-keys` page, so a listing never builds an unbounded response.
pub const LIST_PAGE_KEYS: usize = 1000;
/// Keys per batch call; more is refused so one call cannot monopolise the store.
pub const MAX_BATCH_KEYS: usize = 1000;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// The backend failed (I/O, connection, corruption).
    #[error("store backend error: {0}")]
    Backend(String),
    /// The request exceeds a limit.
    #[error("{0}")]
    Limit(String),
}

/// A value with the version it was read at. Versions are opaque, strictly increasing per
/// key across deletes, and meaningful only to the backend that produced them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The stored bytes.
    pub value: Vec<u8>,
    /// The version of this value.
    pub version: u64,
}

/// A page of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPage {
    /// Keys in ascending byte order.
    pub keys: Vec<String>,
    /// Resume listing after this key; none on the last page.
    pub cursor: Option<String>,
}

impl KeyPage {
    /// Builds a page from up to `LIST_PAGE_KEYS + 1` ordered keys: the extra key, when
    /// present, only says that another page follows.
    pub fn from_overfetched(mut keys: Vec<String>) -> KeyPage {
        let cursor = if keys.len() > LIST_PAGE_KEYS {
            keys.truncate(LIST_PAGE_KEYS);
            keys.last().cloned()
        } else {
            None
        };
        KeyPage { keys, cursor }
    }
}

/// A key-value store backend.
#[async_trait]
pub trait KvStore: Send + Sync + 'static {
    /// Reads a value and its version.
    async fn get(&self, key: &str) -> Result<Option<Versioned>, KvError>;
    /// Writes a value unconditionally.
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Deletes a key; deleting a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), KvError>;
    /// Lists keys in order, starting after `cursor`.
    async fn list_keys(&self, cursor: Option<&str>) -> Result<KeyPage, KvError>;
    /// Writes `value` only if the key is still at `expected` (`None`: still absent).
    /// Returns whether the write happened.
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &[u8],
    ) -> Result<bool, KvError>;
    /// Atomically adds `delta` to a decimal integer value (absent counts as 0).
    async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError>;
    /// Reads many keys at once.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.get(key).await?.map(|v| v.value));
        }
        Ok(out)
    }
    /// Writes many keys; all-or-nothing where the backend can do it.
    async fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        for (key, value) in entries {
            self.set(key, value).await?;
        }
        Ok(())
    }
    /// Deletes many keys.
    async fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        for key in keys {
            self.delete(key).await?;
        }
        Ok(())
    }
}

/// Checks a key and an optional value against the limits.
pub fn check_limits(key: &str, value: Option<&[u8]>) -> Result<(), KvError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::Limit(format!(
            "key of {} bytes exceeds the limit of {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    if let Some(value) = value
        && value.len() > MAX_VALUE_BYTES
    {
        return Err(KvError::Limit(format!(
            "value of {} bytes exceeds the limit of {MAX_VALUE_BYTES}",
            value.len()
        )));
    }
    Ok(())
}

/// Checks the number of keys in one batch call.
pub fn check_batch(keys: usize) -> Result<(), KvError> {
    if keys > MAX_BATCH_KEYS {
        return Err(KvError::Limit(format!(
            "batch of {keys} keys exceeds the limit of {MAX_BATCH_KEYS}"
        )));
    }
    Ok(())
}

/// Parses an integer counter value stored as decimal text.
pub fn parse_counter(value: Option<&[u8]>) -> Result<i64, KvError> {
    match value {
        None => Ok(0),
        Some(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| KvError::Backend("increment on a value that is not an integer".into())),
    }
}

/// The stores an application can open, by label, each with the semantics its guests see.
#[derive(Clone, Default)]
pub struct StoreSet {
    stores: HashMap<String, spin::SemanticStore>,
}

impl StoreSet {
    /// Adds or replaces the store behind `label`.
    pub fn insert(&mut self, label: impl Into<String>, store: spin::SemanticStore) {
        self.stores.insert(label.into(), store);
    }

    /// The store behind `label`.
    pub fn get(&self, label: &str) -> Option<&spin::SemanticStore> {
        self.stores.get(label)
    }

    /// The labels this set holds.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.stores.keys().map(String::as_str)
    }
}

#[cfg(test)]
pub(crate) mod suite {
    //! The semantics every backend must have; each backend's tests call these.
    use super::*;
    use std::sync::Arc;

    pub async fn basic_crud(store: &dyn KvStore) {
        assert_eq!(store.get("a").await.unwrap(), None);
        store.set("a", b"1").await.unwrap();
        assert_eq!(store.get("a").await.unwrap().unwrap().value, b"1");
        store.set("a", b"2").await.unwrap();
        assert_eq!(store.get("a").await.unwrap().unwrap().value, b"2");
        store.delete("a").await.unwrap();
        assert_eq!(store.get("a").await.unwrap(), None);
        store.delete("a").await.unwrap();
        store.set("empty", b"").await.unwrap();
        assert_eq!(store.get("empty").await.unwrap().unwrap().value, b"");
    }

    pub async fn versions_never_repeat(store: &dyn KvStore) {
        store.set("v", b"x").await.unwrap();
        let first = store.get("v").await.unwrap().unwrap().version;
        store.delete("v").await.unwrap();
        store.set("v", b"x").await.unwrap();
        let second = store.get("v").await.unwrap().unwrap().version;
        assert_ne!(first, second, "re-created key must get a new version (ABA)");
        assert!(
            !store
                .compare_and_swap("v", Some(first), b"y")
                .await
                .unwrap()
        );
        assert!(
            store
                .compare_and_swap("v", Some(second), b"y")
                .await
                .unwrap()
        );
        assert_eq!(store.get("v").await.unwrap().unwrap().value, b"y");
    }

    pub async fn cas_on_absent_key(store: &dyn KvStore) {
        assert!(store.compare_and_swap("new", None, b"1").await.unwrap());
        assert!(!store.compare_and_swap("new", None, b"2").await.unwrap());
        assert_eq!(store.get("new").await.unwrap().unwrap().value, b"1");
    }

    pub async fn listing_pages_in_order(store: &dyn KvStore) {
        let total = LIST_PAGE_KEYS + 5;
        let entries: Vec<(String, Vec<u8>)> =
            (0..total).map(|i| (format!("k{i:05}"), vec![1])).collect();
        for chunk in entries.chunks(MAX_BATCH_KEYS) {
            store.set_many(chunk).await.unwrap();
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = store.list_keys(cursor.as_deref()).await.unwrap();
            assert!(page.keys.len() <= LIST_PAGE_KEYS);
            seen.extend(page.keys);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let expected: Vec<String> = entries.into_iter().map(|(k, _)| k).collect();
        assert_eq!(seen, expected);
    }

    pub async fn batches(store: &dyn KvStore) {
        let entries = vec![
            ("b1".to_string(), b"x".to_vec()),
            ("b2".to_string(), b"y".to_vec()),
        ];
        store.set_many(&entries).await.unwrap();
        let keys = vec!["b1".to_string(), "missing".to_string(), "b2".to_string()];
        let got = store.get_many(&keys).await.unwrap();
        assert_eq!(got, vec![Some(b"x".to_vec()), None, Some(b"y".to_vec())]);
        store.delete_many(&keys).await.unwrap();
        assert_eq!(store.get_many(&keys).await.unwrap(), vec![None, None, None]);
    }

    pub async fn increments(store: &dyn KvStore) {
        assert_eq!(store.increment("n", 5).await.unwrap(), 5);
        assert_eq!(store.increment("n", -2).await.unwrap(), 3);
        store.set("text", b"abc").await.unwrap();
        assert!(store.increment("text", 1).await.is_err());
    }

    pub async fn concurrent_cas_loses_nothing(store: Arc<dyn KvStore>) {
        const WRITERS: usize = 8;
        const PER_WRITER: usize = 50;
        let mut tasks = Vec::new();
        for _ in 0..WRITERS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..PER_WRITER {
                    loop {
                        let current = store.get("counter").await.unwrap();
                        let (n, version) = match &current {
                            Some(v) => (
                                std::str::from_utf8(&v.value)
                                    .unwrap()
                                    .parse::<u64>()
                                    .unwrap(),
                                Some(v.version),
                            ),
                            None => (0, None),
                        };
                        let next = (n + 1).to_string();
                        if store
                            .compare_and_swap("counter", version, next.as_bytes())
                            .await
                            .unwrap()
                        {
                            break;
                        }
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let value = store.get("counter").await.unwrap().unwrap().value;
        assert_eq!(value, (WRITERS * PER_WRITER).to_string().as_bytes());
    }

    pub async fn limits(store: &dyn KvStore) {
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(matches!(
            store.set(&long_key, b"x").await,
            Err(KvError::Limit(_))
        ));
        let big = vec![0u8; MAX_VALUE_BYTES + 1];
        assert!(matches!(
            store.set("big", &big).await,
            Err(KvError::Limit(_))
        ));
        assert_eq!(store.get("big").await.unwrap(), None);
    }

    /// Runs the whole suite against a fresh, empty store (listing first, while it is empty).
    pub async fn run_all(store: Arc<dyn KvStore>) {
        listing_pages_in_order(&*store).await;
        basic_crud(&*store).await;
        versions_never_repeat(&*store).await;
        cas_on_absent_key(&*store).await;
        batches(&*store).await;
        increments(&*store).await;
        limits(&*store).await;
        concurrent_cas_loses_nothing(store.clone()).await;
    }
}
