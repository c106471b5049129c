//! An in-memory [`Kv`] that behaves like a chosen runtime's store, for deterministic
//! native tests of protocols built on this crate: [`Semantics::Strict`] as the `lendwork`
//! host, [`Semantics::SpinSqlite`] and [`Semantics::SpinRedis`] as Spin 4.0.2's stores
//! (the facts are listed on [`Semantics`]). A hook runs a rival writer at a chosen step, so
//! a test can place a concurrent request between any two calls of another.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use crate::{Answer, Kv, Report, StoreError};

/// Whose key-value semantics a [`SimKv`] reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semantics {
    /// The `lendwork` host: CAS on versions (absence included), exact `get-many`, decimal
    /// counters.
    Strict,
    /// Spin 4.0.2's SQLite store: a handle remembers the value `current` read; `swap`
    /// writes if the stored value still equals it, and **upserts unconditionally when it
    /// read none**; `get-many` answers only existing keys, in key order; counters are 8
    /// little-endian bytes.
    SpinSqlite,
    /// Spin 4.0.2's Redis store: `swap` is atomic (WATCH/MULTI/EXEC) but **always reports
    /// `cas-failed`**, written or not; `get-many` fails for several keys; decimal counters.
    SpinRedis,
}

/// Which call a [`SimKv`] rival hook runs before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Before the next `swap`.
    Swap,
    /// Before the next `set`.
    Set,
    /// Before the next `increment`.
    Increment,
    /// In place of the next pause between two polls of a value being created.
    Poll,
}

type Hook = Box<dyn FnOnce(&SimKv)>;

/// A compare-and-swap handle of a [`SimKv`]: remembers what `current` read, as hosts do.
pub struct SimCas {
    key: String,
    seen: RefCell<Option<Seen>>,
}

#[derive(Clone)]
struct Seen {
    /// The version read (strict CAS and Redis WATCH compare versions).
    version: Option<u64>,
    /// The value read (Spin's SQLite CAS compares values).
    value: Option<Vec<u8>>,
}

/// An in-memory store with a runtime's semantics, faults and rival writers on demand.
pub struct SimKv {
    semantics: Semantics,
    data: RefCell<BTreeMap<String, (u64, Vec<u8>)>>,
    version: Cell<u64>,
    hooks: RefCell<Vec<(Step, Hook)>>,
    /// Every `set-many` fails while set.
    pub fail_set_many: Cell<bool>,
    /// Every `set-many` writes its first pair, then fails, while set.
    pub partial_set_many: Cell<bool>,
    /// Every `set` fails while set.
    pub fail_set: Cell<bool>,
    /// Every swap loses (writes nothing, reports failure) while set.
    pub lose_every_swap: Cell<bool>,
    /// Swaps that wrote.
    pub swaps_written: Cell<u64>,
    /// Sizes of the `set-many` calls that wrote.
    pub batches: RefCell<Vec<usize>>,
}

impl SimKv {
    /// An empty store with `semantics`.
    pub fn new(semantics: Semantics) -> SimKv {
        SimKv {
            semantics,
            data: RefCell::default(),
            version: Cell::new(0),
            hooks: RefCell::default(),
            fail_set_many: Cell::new(false),
            partial_set_many: Cell::new(false),
            fail_set: Cell::new(false),
            lose_every_swap: Cell::new(false),
            swaps_written: Cell::new(0),
            batches: RefCell::default(),
        }
    }

    /// The semantics this store reproduces.
    pub fn semantics(&self) -> Semantics {
        self.semantics
    }

    /// Runs `rival` once, just before the next call of kind `step`.
    pub fn before(&self, step: Step, rival: impl FnOnce(&SimKv) + 'static) {
        self.hooks.borrow_mut().push((step, Box::new(rival)));
    }

    /// Drops every rival that has not run yet.
    pub fn clear_hooks(&self) {
        self.hooks.borrow_mut().clear();
    }

    /// Writes `value` directly (no hooks), as corruption or old data would be.
    pub fn put(&self, key: &str, value: Vec<u8>) {
        self.version.set(self.version.get() + 1);
        self.data
            .borrow_mut()
            .insert(key.to_string(), (self.version.get(), value));
    }

    /// The stored value, read directly.
    pub fn raw(&self, key: &str) -> Option<Vec<u8>> {
        self.data.borrow().get(key).map(|(_, v)| v.clone())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.data.borrow().len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.data.borrow().is_empty()
    }

    fn run_hook(&self, step: Step) {
        let hook = {
            let mut hooks = self.hooks.borrow_mut();
            let at = hooks.iter().position(|(s, _)| *s == step);
            at.map(|at| hooks.remove(at).1)
        };
        if let Some(hook) = hook {
            hook(self);
        }
    }

    fn version_of(&self, key: &str) -> Option<u64> {
        self.data.borrow().get(key).map(|(v, _)| *v)
    }

    fn decode_counter(&self, bytes: &[u8]) -> Result<i64, StoreError> {
        let parsed = match self.semantics {
            Semantics::SpinSqlite => <[u8; 8]>::try_from(bytes).ok().map(i64::from_le_bytes),
            Semantics::Strict | Semantics::SpinRedis => {
                std::str::from_utf8(bytes).ok().and_then(|s| s.parse().ok())
            }
        };
        parsed
            .ok_or_else(|| StoreError::Backend("increment on a value that is not a counter".into()))
    }

    fn encode_counter(&self, value: i64) -> Vec<u8> {
        match self.semantics {
            Semantics::SpinSqlite => value.to_le_bytes().to_vec(),
            Semantics::Strict | Semantics::SpinRedis => value.to_string().into_bytes(),
        }
    }

    /// A handle that has already read the key, as Spin hands back after a failed swap.
    fn fresh(&self, key: &str) -> SimCas {
        let cas = SimCas {
            key: key.to_string(),
            seen: RefCell::new(None),
        };
        self.remember(&cas);
        cas
    }

    fn remember(&self, cas: &SimCas) -> Option<Vec<u8>> {
        let seen = Seen {
            version: self.version_of(&cas.key),
            value: self.raw(&cas.key),
        };
        let value = seen.value.clone();
        *cas.seen.borrow_mut() = Some(seen);
        value
    }
}

impl Kv for SimKv {
    type Cas = SimCas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.raw(key))
    }

    fn get_many_answer(&self, keys: &[String]) -> Result<Answer, StoreError> {
        match self.semantics {
            Semantics::Strict => Ok(keys.iter().map(|k| (k.clone(), self.raw(k))).collect()),
            Semantics::SpinSqlite => {
                let mut found: Vec<(String, Option<Vec<u8>>)> = keys
                    .iter()
                    .filter_map(|k| self.raw(k).map(|v| (k.clone(), Some(v))))
                    .collect();
                found.sort();
                found.dedup();
                Ok(found)
            }
            Semantics::SpinRedis if keys.len() > 1 => Err(StoreError::Backend(
                "wrong number of arguments for 'keys' command".into(),
            )),
            // One key: `KEYS <key>` answers the names that match, not values.
            Semantics::SpinRedis => Ok(keys
                .iter()
                .filter(|k| self.raw(k).is_some())
                .map(|k| (k.clone(), None))
                .collect()),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.run_hook(Step::Set);
        if self.fail_set.get() {
            return Err(StoreError::Backend("injected set failure".into()));
        }
        self.put(key, value.to_vec());
        Ok(())
    }

    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if self.fail_set_many.get() {
            return Err(StoreError::Backend("injected set-many failure".into()));
        }
        if self.partial_set_many.get() {
            if let Some((key, value)) = pairs.first() {
                self.put(key, value.clone());
            }
            return Err(StoreError::Backend("injected partial set-many".into()));
        }
        self.batches.borrow_mut().push(pairs.len());
        for (key, value) in pairs {
            self.put(key, value.clone());
        }
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.run_hook(Step::Increment);
        let now = match self.raw(key) {
            Some(bytes) => self.decode_counter(&bytes)?,
            None => 0,
        };
        let next = now + delta;
        self.put(key, self.encode_counter(next));
        Ok(next)
    }

    fn cas(&self, key: &str) -> Result<SimCas, StoreError> {
        // Spin's handles read nothing until `current`.
        Ok(SimCas {
            key: key.to_string(),
            seen: RefCell::new(None),
        })
    }

    fn current(&self, cas: &SimCas) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.remember(cas))
    }

    fn pause(&self, _attempt: u32) {
        // Simulated time: a poll runs the next rival scheduled for it, if any.
        self.run_hook(Step::Poll);
    }

    fn swap(&self, cas: SimCas, value: &[u8]) -> Result<Report<SimCas>, StoreError> {
        self.run_hook(Step::Swap);
        let seen = cas.seen.borrow().clone().unwrap_or(Seen {
            version: None,
            value: None,
        });
        let writes = !self.lose_every_swap.get()
            && match self.semantics {
                Semantics::Strict | Semantics::SpinRedis => {
                    self.version_of(&cas.key) == seen.version
                }
                // `UPDATE … WHERE value = old`, or an upsert when the handle read nothing.
                Semantics::SpinSqlite => match &seen.value {
                    Some(old) => self.raw(&cas.key).as_ref() == Some(old),
                    None => true,
                },
            };
        if writes {
            self.put(&cas.key, value.to_vec());
            self.swaps_written.set(self.swaps_written.get() + 1);
        }
        match (self.semantics, writes) {
            (Semantics::SpinRedis, _) | (_, false) => Ok(Report::Failed(self.fresh(&cas.key))),
            (_, true) => Ok(Report::Done),
        }
    }
}
