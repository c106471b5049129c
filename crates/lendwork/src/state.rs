//! What one component instance owns while it runs: WASI and HTTP contexts, its resource
//! table, its capabilities and its limits. A fresh state is built per invocation.

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capabilities::{KvCtx, KvView};
use crate::outbound::OutboundHooks;

/// Per-invocation memory accounting: linear memories may grow up to a cap, and the host
/// remembers whether a guest hit it so the caller can be told why it failed.
pub struct InvocationLimits {
    /// Largest size any one linear memory may reach, in bytes.
    pub memory_bytes_max: usize,
    /// Set when a memory or table tried to grow past its cap.
    pub exceeded: bool,
}

impl ResourceLimiter for InvocationLimits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes_max {
            self.exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million entries is far beyond any real guest.
        const MAX_TABLE_ELEMENTS: usize = 1_000_000;
        if desired > MAX_TABLE_ELEMENTS {
            self.exceeded = true;
            return Ok(false);
        }
        Ok(true)
    }
}

/// The `T` of every `Store<T>` the host creates.
pub struct InstanceState {
    /// WASI context (no preopened directories, no network sockets).
    pub wasi: WasiCtx,
    /// `wasi:http` context.
    pub http: WasiHttpCtx,
    /// Resources handed to the guest.
    pub table: ResourceTable,
    /// Key-value stores and variables granted to the component.
    pub kv: KvCtx,
    /// Outbound HTTP policy and service chaining.
    pub hooks: OutboundHooks,
    /// Memory limits of this invocation.
    pub limits: InvocationLimits,
}

impl InstanceState {
    /// The view the key-value and variables bindings use.
    pub fn kv_view(&mut self) -> KvView<'_> {
        KvView {
            table: &mut self.table,
            ctx: &self.kv,
        }
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
