//! The protocols' store over `wasi:keyvalue@0.2.0-draft2` (store, batch, atomics), as
//! the bindings spin-sdk 5.2 ships generate it: what every guest component opens.

use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};

use crate::{Answer, Kv, Report, StoreError};

/// One opened `wasi:keyvalue` bucket.
pub struct WasiKv {
    bucket: store::Bucket,
}

impl WasiKv {
    /// Opens the store `label` (one of the component's `key_value_stores`).
    pub fn open(label: &str) -> Result<WasiKv, StoreError> {
        let bucket = store::open(label).map_err(|error| match error {
            store::Error::NoSuchStore => {
                StoreError::Backend(format!("no key-value store labelled {label}"))
            }
            store::Error::AccessDenied => {
                StoreError::Backend(format!("access to key-value store {label} denied"))
            }
            store::Error::Other(text) => StoreError::Backend(text),
        })?;
        Ok(WasiKv { bucket })
    }
}

impl std::fmt::Debug for WasiKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WasiKv")
    }
}

fn backend(error: store::Error) -> StoreError {
    StoreError::Backend(match error {
        store::Error::NoSuchStore => "no such store".into(),
        store::Error::AccessDenied => "access denied".into(),
        store::Error::Other(text) => text,
    })
}

impl Kv for WasiKv {
    type Cas = atomics::Cas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.bucket.get(key).map_err(backend)
    }

    fn get_many_answer(&self, keys: &[String]) -> Result<Answer, StoreError> {
        batch::get_many(&self.bucket, keys).map_err(backend)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.bucket.set(key, value).map_err(backend)
    }

    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        batch::set_many(&self.bucket, pairs).map_err(backend)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        atomics::increment(&self.bucket, key, delta).map_err(backend)
    }

    fn cas(&self, key: &str) -> Result<atomics::Cas, StoreError> {
        atomics::Cas::new(&self.bucket, key).map_err(backend)
    }

    fn current(&self, cas: &atomics::Cas) -> Result<Option<Vec<u8>>, StoreError> {
        cas.current().map_err(backend)
    }

    fn swap(&self, cas: atomics::Cas, value: &[u8]) -> Result<Report<atomics::Cas>, StoreError> {
        match atomics::swap(cas, value) {
            Ok(()) => Ok(Report::Done),
            Err(atomics::CasError::CasFailed(fresh)) => Ok(Report::Failed(fresh)),
            Err(atomics::CasError::StoreError(error)) => Err(backend(error)),
        }
    }
}
