//! Guest-facing key-value and variables interfaces: `wasi:keyvalue@0.2.0-draft2`
//! (store, atomics, batch) and Spin's `fermyon:spin/key-value@2.0.0` and
//! `fermyon:spin/variables@2.0.0`, all over the same [`KvStore`] backends.
//!
//! A component may open only the labels its manifest lists in `key_value_stores`;
//! any other label is `access-denied`, as in Spin.

use std::collections::HashSet;
use std::sync::Arc;

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

use crate::kv::spin::{self as semantics, CasState, SemanticStore, Semantics};
use crate::kv::{KvError, KvStore, StoreSet};
use crate::variables::ComponentVariables;

mod generated {
    #![allow(missing_docs)]
    wasmtime::component::bindgen!({
    path: ["../../wit/deps/keyvalue", "../../wit/deps/spin"],
    inline: "
        package lendwork:host;
        world capabilities {
            import wasi:keyvalue/store@0.2.0-draft2;
            import wasi:keyvalue/atomics@0.2.0-draft2;
            import wasi:keyvalue/batch@0.2.0-draft2;
            import fermyon:spin/key-value@2.0.0;
            import fermyon:spin/variables@2.0.0;
        }
    ",
    imports: { default: async | trappable },
    with: {
        "wasi:keyvalue/store.bucket": crate::capabilities::OpenStore,
        "wasi:keyvalue/atomics.cas": crate::capabilities::CasHandle,
        "fermyon:spin/key-value.store": crate::capabilities::OpenStore,
    },
    });
}

use generated::fermyon::spin::key_value as spin_kv;
use generated::fermyon::spin::variables as spin_vars;
use generated::wasi::keyvalue::{atomics, batch, store};

/// Most keys `fermyon:spin/key-value.get-keys` returns in one call; its signature has no
/// paging, so a larger store answers with an error instead of an unbounded list.
pub const MAX_GET_KEYS: usize = 100_000;

/// An opened store, as held in a guest's resource table.
pub struct OpenStore {
    store: SemanticStore,
}

/// A compare-and-swap handle: its store and what it has read (see `kv::spin`).
pub struct CasHandle {
    store: SemanticStore,
    state: CasState,
}

/// Per-component key-value and variables configuration, shared by its instances.
#[derive(Clone)]
pub struct KvCtx {
    stores: StoreSet,
    allowed_labels: Arc<HashSet<String>>,
    variables: ComponentVariables,
}

impl KvCtx {
    /// A context granting `allowed_labels` out of `stores`.
    pub fn new(
        stores: StoreSet,
        allowed_labels: &[String],
        variables: ComponentVariables,
    ) -> KvCtx {
        KvCtx {
            stores,
            allowed_labels: Arc::new(allowed_labels.iter().cloned().collect()),
            variables,
        }
    }

    fn open(&self, label: &str) -> Result<SemanticStore, OpenError> {
        if !self.allowed_labels.contains(label) {
            return Err(OpenError::AccessDenied);
        }
        self.stores
            .get(label)
            .cloned()
            .ok_or(OpenError::NoSuchStore)
    }
}

enum OpenError {
    AccessDenied,
    NoSuchStore,
}

/// What the generated bindings borrow from the store's data.
pub struct KvView<'a> {
    /// The instance's resource table (shared with WASI).
    pub table: &'a mut ResourceTable,
    /// The component's configuration.
    pub ctx: &'a KvCtx,
}

/// Marker tying [`KvView`] to the linker.
pub struct KvHost;

impl HasData for KvHost {
    type Data<'a> = KvView<'a>;
}

/// Adds every interface of this module to `linker`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KvView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, KvHost>(linker, view)?;
    atomics::add_to_linker::<T, KvHost>(linker, view)?;
    batch::add_to_linker::<T, KvHost>(linker, view)?;
    spin_kv::add_to_linker::<T, KvHost>(linker, view)?;
    spin_vars::add_to_linker::<T, KvHost>(linker, view)?;
    Ok(())
}

fn wasi_error(e: KvError) -> store::Error {
    store::Error::Other(e.to_string())
}

fn spin_error(e: KvError) -> spin_kv::Error {
    spin_kv::Error::Other(e.to_string())
}

impl KvView<'_> {
    fn store_of(&self, handle: &Resource<OpenStore>) -> wasmtime::Result<Arc<dyn KvStore>> {
        Ok(self.table.get(handle)?.store.store.clone())
    }

    fn semantic_store_of(&self, handle: &Resource<OpenStore>) -> wasmtime::Result<SemanticStore> {
        Ok(self.table.get(handle)?.store.clone())
    }
}

impl store::Host for KvView<'_> {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, store::Error>> {
        match self.ctx.open(&identifier) {
            Ok(store) => Ok(Ok(self.table.push(OpenStore { store })?)),
            Err(OpenError::AccessDenied) => Ok(Err(store::Error::AccessDenied)),
            Err(OpenError::NoSuchStore) => Ok(Err(store::Error::NoSuchStore)),
        }
    }
}

impl store::HostBucket for KvView<'_> {
    async fn get(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let store = self.store_of(&bucket)?;
        Ok(store
            .get(&key)
            .await
            .map(|v| v.map(|v| v.value))
            .map_err(wasi_error))
    }

    async fn set(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let store = self.store_of(&bucket)?;
        Ok(store.set(&key, &value).await.map_err(wasi_error))
    }

    async fn delete(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let store = self.store_of(&bucket)?;
        Ok(store.delete(&key).await.map_err(wasi_error))
    }

    async fn exists(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        let store = self.store_of(&bucket)?;
        Ok(store
            .get(&key)
            .await
            .map(|v| v.is_some())
            .map_err(wasi_error))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<OpenStore>,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        let open = self.semantic_store_of(&bucket)?;
        Ok(semantics::list_keys(&*open.store, open.semantics, cursor)
            .await
            .map(|page| store::KeyResponse {
                keys: page.keys,
                cursor: page.cursor,
            })
            .map_err(wasi_error))
    }

    async fn drop(&mut self, bucket: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for KvView<'_> {
    async fn increment(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        let open = self.semantic_store_of(&bucket)?;
        Ok(
            semantics::increment(&*open.store, open.semantics, &key, delta)
                .await
                .map_err(wasi_error),
        )
    }

    async fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let handle = self.table.delete(cas)?;
        let open = handle.store;
        match semantics::swap(&*open.store, open.semantics, handle.state, &value).await {
            Ok(swapped) => match swapped.report {
                Ok(()) => Ok(Ok(())),
                // A fresh handle on the current value, so the guest can retry without
                // another round trip.
                Err(state) => {
                    let fresh = CasHandle { store: open, state };
                    Ok(Err(atomics::CasError::CasFailed(self.table.push(fresh)?)))
                }
            },
            Err(e) => Ok(Err(atomics::CasError::StoreError(wasi_error(e)))),
        }
    }
}

impl atomics::HostCas for KvView<'_> {
    async fn new(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<CasHandle>, store::Error>> {
        let open = self.semantic_store_of(&bucket)?;
        match CasState::open(&*open.store, open.semantics, key).await {
            Ok(state) => Ok(Ok(self.table.push(CasHandle { store: open, state })?)),
            Err(e) => Ok(Err(wasi_error(e))),
        }
    }

    async fn current(
        &mut self,
        cas: Resource<CasHandle>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let handle = self.table.get_mut(&cas)?;
        let semantics: Semantics = handle.store.semantics;
        let store = handle.store.store.clone();
        Ok(handle
            .state
            .current(&*store, semantics)
            .await
            .map_err(wasi_error))
    }

    async fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl batch::Host for KvView<'_> {
    async fn get_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        let open = self.semantic_store_of(&bucket)?;
        Ok(semantics::get_many(&*open.store, open.semantics, keys)
            .await
            .map_err(wasi_error))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<OpenStore>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let store = self.store_of(&bucket)?;
        Ok(store.set_many(&key_values).await.map_err(wasi_error))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let store = self.store_of(&bucket)?;
        Ok(store.delete_many(&keys).await.map_err(wasi_error))
    }
}

impl spin_kv::Host for KvView<'_> {}

impl spin_kv::HostStore for KvView<'_> {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, spin_kv::Error>> {
        match self.ctx.open(&label) {
            Ok(store) => Ok(Ok(self.table.push(OpenStore { store })?)),
            Err(OpenError::AccessDenied) => Ok(Err(spin_kv::Error::AccessDenied)),
            Err(OpenError::NoSuchStore) => Ok(Err(spin_kv::Error::NoSuchStore)),
        }
    }

    async fn get(
        &mut self,
        handle: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, spin_kv::Error>> {
        let store = self.store_of(&handle)?;
        Ok(store
            .get(&key)
            .await
            .map(|v| v.map(|v| v.value))
            .map_err(spin_error))
    }

    async fn set(
        &mut self,
        handle: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), spin_kv::Error>> {
        let store = self.store_of(&handle)?;
        Ok(store.set(&key, &value).await.map_err(spin_error))
    }

    async fn delete(
        &mut self,
        handle: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), spin_kv::Error>> {
        let store = self.store_of(&handle)?;
        Ok(store.delete(&key).await.map_err(spin_error))
    }

    async fn exists(
        &mut self,
        handle: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, spin_kv::Error>> {
        let store = self.store_of(&handle)?;
        Ok(store
            .get(&key)
            .await
            .map(|v| v.is_some())
            .map_err(spin_error))
    }

    async fn get_keys(
        &mut self,
        handle: Resource<OpenStore>,
    ) -> wasmtime::Result<Result<Vec<String>, spin_kv::Error>> {
        let store = self.store_of(&handle)?;
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = match store.list_keys(cursor.as_deref()).await {
                Ok(page) => page,
                Err(e) => return Ok(Err(spin_error(e))),
            };
            keys.extend(page.keys);
            if keys.len() > MAX_GET_KEYS {
                return Ok(Err(spin_kv::Error::Other(format!(
                    "store holds more than {MAX_GET_KEYS} keys; use wasi:keyvalue list-keys to page"
                ))));
            }
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(Ok(keys)),
            }
        }
    }

    async fn drop(&mut self, handle: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

impl spin_vars::Host for KvView<'_> {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, spin_vars::Error>> {
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Ok(Err(spin_vars::Error::InvalidName(name)));
        }
        Ok(match self.ctx.variables.get(&name) {
            Some(value) => Ok(value.to_string()),
            None => Err(spin_vars::Error::Undefined(name)),
        })
    }
}
