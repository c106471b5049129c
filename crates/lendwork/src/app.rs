//! A loaded application: every component compiled (and composed with its dependencies)
//! once at start, pre-instantiated, and invoked per request or per schedule in a fresh,
//! limited store from the pooling allocator.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Body;
use sha2::Digest;
use tokio::sync::Semaphore;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiBody, WasiHttpCtx, WasiHttpView};

use crate::capabilities::{self, KvCtx};
use crate::compile_cache::CompileCache;
use crate::kv::StoreSet;
use crate::manifest::{ComponentDecl, Manifest};
use crate::outbound::{BoxFuture, InternalDispatch, OutboundHooks, OutboundPolicy};
use crate::policies::Registry;
use crate::problem;
use crate::routes::{RouteMatch, RoutePattern, Router};
use crate::runtime_config::{KvMode, RuntimeConfig, open_stores};
use crate::state::{InstanceState, InvocationLimits};
use crate::variables::{self, ComponentVariables};

mod cron_bindings {
    #![allow(missing_docs)]
    wasmtime::component::bindgen!({
        path: "../../wit/deps/spin-cron",
        world: "spin-cron",
        exports: { default: async },
    });
}
use cron_bindings::{SpinCronPre, fermyon::spin_cron::cron_types::Metadata};

/// Bytes of each pooled memory kept resident between instances (a Rust guest's shadow
/// stack and early heap live in the first MiB or two).
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// How often the epoch advances; the granularity of every deadline.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits applied to every invocation.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Largest size of any one linear memory of an instance, in bytes.
    pub memory_bytes_max: usize,
    /// Wall-clock budget of one HTTP invocation.
    pub http_deadline: Duration,
    /// Wall-clock budget of one scheduled invocation (accrual runs are longer).
    pub cron_deadline: Duration,
    /// Instances that may run at once; further requests wait for a slot.
    pub max_concurrent_instances: u32,
    /// How long a request waits for a free slot before a 503.
    pub queue_timeout: Duration,
    /// Whether instances come from the pooling allocator (off only to measure its gain).
    pub pooling: bool,
    /// Whether components' stdout and stderr reach the host's (their log lines); the
    /// in-process benchmarks turn it off.
    pub component_output: bool,
    /// The key-value semantics guests see.
    pub kv_mode: KvMode,
    /// Where compiled components are kept between runs ([`CompileCache`]); none: every
    /// start compiles everything.
    pub compile_cache: Option<PathBuf>,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            // A component serving one request needs a few MiB; 64 MiB leaves room for
            // report pages while stopping a memory bomb long before it hurts the host.
            memory_bytes_max: 64 << 20,
            http_deadline: Duration::from_secs(10),
            cron_deadline: Duration::from_secs(300),
            max_concurrent_instances: 256,
            queue_timeout: Duration::from_secs(5),
            pooling: true,
            component_output: true,
            kv_mode: KvMode::Lendwork,
            compile_cache: None,
        }
    }
}

/// One component, ready to instantiate.
pub struct LoadedComponent {
    proxy: Option<ProxyPre<InstanceState>>,
    cron: Option<SpinCronPre<InstanceState>>,
    kv: KvCtx,
    outbound: OutboundPolicy,
    /// The declaration it was built from, dependency paths as composed (a hot swap changes
    /// them).
    pub decl: ComponentDecl,
    /// SHA-256 (hex) of each dependency's bytes, by import key.
    pub dependency_digests: BTreeMap<String, String>,
}

impl LoadedComponent {
    /// SHA-256 of the dependency satisfying `import` (empty if there is none).
    pub fn dependency_digest(&self, import: &str) -> String {
        self.dependency_digests
            .get(import)
            .cloned()
            .unwrap_or_default()
    }
}

/// A composition's compiled code, once compiled.
type CompiledSlot = Arc<Mutex<Option<Component>>>;

/// Builds [`LoadedComponent`]s: composes, compiles (once per distinct composition) and
/// pre-instantiates. Cheap to clone, so a hot swap can build beside the serving version
/// on a blocking thread.
#[derive(Clone)]
pub struct Builder {
    engine: Engine,
    linker: Linker<InstanceState>,
    stores: StoreSet,
    /// Compiled compositions by the SHA-256 of their bytes: two components with the same
    /// composition (a challenger composed like its champion) and a rollback compile nothing.
    compiled: Arc<Mutex<HashMap<[u8; 32], CompiledSlot>>>,
    /// Compiled code kept on disk, if the host keeps it.
    cache: Option<CompileCache>,
}

impl Builder {
    /// Composes `decl`'s dependencies into it, compiles and pre-instantiates it, with
    /// `variables` (each `<interface>_<package>_sha256` variable the component declares set
    /// to its dependency's digest).
    pub fn build(
        &self,
        decl: &ComponentDecl,
        variables: &ComponentVariables,
    ) -> Result<LoadedComponent> {
        let started = Instant::now();
        let bytes = std::fs::read(&decl.source).with_context(|| {
            format!(
                "cannot read `source` {} (build the components first: `cargo xtask build`)",
                decl.source.display()
            )
        })?;
        let mut dependency_digests = BTreeMap::new();
        let mut variables = variables.clone();
        for dependency in &decl.dependencies {
            let digest = crate::policies::file_sha256(&dependency.path)?;
            if let Some(name) = digest_variable(&dependency.import) {
                variables = variables.with(&name, &digest);
            }
            dependency_digests.insert(dependency.import.clone(), digest);
        }
        let bytes = crate::compose::compose(decl, bytes)?;
        let key: [u8; 32] = sha2::Sha256::digest(&bytes).into();
        // One compilation per distinct composition, even when two builds ask at once: the
        // second waits on the first's slot.
        let slot = self
            .compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone();
        let mut compiled = slot.lock().unwrap_or_else(|e| e.into_inner());
        let component = match &*compiled {
            Some(component) => component.clone(),
            None => {
                let component = match &self.cache {
                    Some(cache) => cache.component(&self.engine, &key, &bytes),
                    None => {
                        Component::new(&self.engine, &bytes).map_err(|e| anyhow::anyhow!("{e:#}"))
                    }
                }?;
                *compiled = Some(component.clone());
                component
            }
        };
        drop(compiled);
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| anyhow::anyhow!("{e:#}"))
            .context("an import cannot be satisfied by this host")?;
        let proxy = ProxyPre::new(pre.clone()).ok();
        let cron = SpinCronPre::new(pre).ok();
        tracing::info!(component = %decl.id, ms = started.elapsed().as_millis() as u64, http = proxy.is_some(), cron = cron.is_some(), "component ready");
        Ok(LoadedComponent {
            proxy,
            cron,
            kv: KvCtx::new(self.stores.clone(), &decl.key_value_stores, variables),
            outbound: OutboundPolicy::new(&decl.allowed_outbound_hosts)?,
            decl: decl.clone(),
            dependency_digests,
        })
    }
}

impl Builder {
    /// [`Builder::build`] on a thread of its own at a low scheduling priority, so that
    /// requests being served keep the cores they need while a replacement compiles.
    pub async fn build_in_background(
        &self,
        decl: ComponentDecl,
        variables: ComponentVariables,
    ) -> Result<LoadedComponent> {
        let (done, result) = tokio::sync::oneshot::channel();
        let builder = self.clone();
        std::thread::Builder::new()
            .name("component-build".into())
            .spawn(move || {
                lower_priority();
                let _ = done.send(builder.build(&decl, &variables));
            })
            .context("cannot start a build thread")?;
        result.await.context("the build thread stopped")?
    }
}

/// The scheduling priority (nice value) of a background build: under load it gets about a
/// tenth of the CPU the request threads get, so requests keep their pace and the build
/// takes longer; on an idle host it runs at full speed.
pub const BUILD_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`BUILD_NICE`], where the system
/// allows it.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on the calling thread's own id (gettid), with constant arguments.
    unsafe {
        let thread = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, thread, BUILD_NICE);
    }
}

/// The variable holding the digest of the dependency that satisfies `import`:
/// `lending:policy/consumer` → `consumer_policy_sha256`.
pub fn digest_variable(import: &str) -> Option<String> {
    let (package, interface) = import.split('@').next()?.split_once('/')?;
    let (_, package) = package.split_once(':')?;
    Some(format!("{interface}_{package}_sha256").replace('-', "_"))
}

/// A running application.
pub struct App {
    /// The application's name from the manifest.
    pub name: String,
    engine: Engine,
    /// Every component, each swappable as a whole (a policy hot swap replaces one).
    components: BTreeMap<String, RwLock<Arc<LoadedComponent>>>,
    /// Builds replacements beside the serving versions.
    pub builder: Builder,
    /// Each component's resolved variables, as the manifest gives them.
    variables: BTreeMap<String, ComponentVariables>,
    /// Policy versions and their history (hot swaps, rollbacks, backtests).
    pub policies: Registry,
    router: Router<String>,
    /// Components with an HTTP trigger, public or private: the ones service chaining may
    /// call (Spin refuses to chain to a component without one).
    chainable: BTreeSet<String>,
    /// Cron schedules (expression, component id).
    pub cron_triggers: Vec<(crate::cron::Schedule, String)>,
    options: HostOptions,
    slots: Semaphore,
    /// Service chaining back into this application, shared by every instance.
    dispatch: Arc<dyn InternalDispatch>,
}

/// Why an invocation failed, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The component ran past its deadline and was stopped.
    #[error("component `{0}` exceeded its deadline of {1:?} and was stopped")]
    Deadline(String, Duration),
    /// The component tried to use more memory than allowed.
    #[error("component `{0}` exceeded its memory limit and was stopped")]
    Memory(String),
    /// The component trapped (panicked or executed an invalid operation).
    #[error("component `{0}` failed: {1}")]
    Trapped(String, String),
    /// All instance slots stayed busy.
    #[error("the host is at capacity")]
    Overloaded,
    /// No component of that id exists or it lacks the needed export.
    #[error("{0}")]
    NotFound(String),
}

fn engine(options: &HostOptions) -> Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(options.max_concurrent_instances)
        // A composed component (HTTP handler + ledger) holds a dozen core instances.
        .max_core_instances_per_component(64)
        .total_core_instances(options.max_concurrent_instances * 16)
        .max_memories_per_component(8)
        .total_memories(options.max_concurrent_instances * 4)
        .max_tables_per_component(16)
        .total_tables(options.max_concurrent_instances * 8)
        .total_stacks(options.max_concurrent_instances)
        .max_memory_size(options.memory_bytes_max)
        // Keep freed slots warm so the next request reuses their pages, and reset the
        // first pages of memories, tables and stacks in place (memset) instead of
        // returning them to the kernel: a request then takes no page faults on the heap
        // and stack a typical handler touches.
        .max_unused_warm_slots(options.max_concurrent_instances / 2)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES / 16)
        .async_stack_keep_resident(KEEP_RESIDENT_BYTES / 4)
        .pagemap_scan(wasmtime::Enabled::Auto);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        // Each component compiles on one thread: start-up compiles the components side by
        // side instead, and a hot swap's build stays on its one low-priority thread rather
        // than taking every core from the requests being served.
        .parallel_compilation(false)
        .allocation_strategy(if options.pooling {
            InstanceAllocationStrategy::Pooling(pool)
        } else {
            InstanceAllocationStrategy::OnDemand
        });
    Engine::new(&config).map_err(|e| anyhow::anyhow!("{e}"))
}

fn linker(engine: &Engine) -> Result<Linker<InstanceState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    capabilities::add_to_linker(&mut linker, InstanceState::kv_view)?;
    Ok(linker)
}

impl App {
    /// Compiles, composes and pre-instantiates every component of `manifest`, opens its
    /// stores and resolves its variables. `env` looks up environment variables.
    pub async fn load(
        manifest: &Manifest,
        runtime_config: &RuntimeConfig,
        state_dir: &Path,
        options: HostOptions,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Arc<App>> {
        let engine = engine(&options)?;
        let linker = linker(&engine)?;
        let variables = variables::resolve(manifest, env)?;
        let uses = manifest.components.values().flat_map(|c| {
            c.key_value_stores
                .iter()
                .map(move |label| (c.id.as_str(), label.as_str()))
        });
        let stores = open_stores(runtime_config, state_dir, options.kv_mode, uses).await?;
        let policies = Registry::open(state_dir)?;
        let builder = Builder {
            engine: engine.clone(),
            linker,
            stores,
            compiled: Arc::default(),
            cache: options
                .compile_cache
                .as_deref()
                .map(CompileCache::open)
                .transpose()?,
        };

        let mut serving = Vec::new();
        for (id, decl) in &manifest.components {
            serving.push((id, policies.serving(decl)?));
        }
        // Components compile side by side, one thread each (see `engine`).
        let built: Vec<Result<LoadedComponent>> = std::thread::scope(|scope| {
            let builds: Vec<_> = serving
                .iter()
                .map(|(id, decl)| {
                    let (builder, variables) = (&builder, &variables);
                    scope.spawn(move || {
                        builder
                            .build(decl, &variables.get(*id).cloned().unwrap_or_default())
                            .with_context(|| format!("component `{id}`"))
                    })
                })
                .collect();
            builds
                .into_iter()
                .map(|b| {
                    b.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a build panicked")))
                })
                .collect()
        });
        let mut components = BTreeMap::new();
        for ((id, _), component) in serving.iter().zip(built) {
            components.insert((*id).clone(), component?);
        }
        for trigger in &manifest.http_triggers {
            if components[&trigger.component].proxy.is_none() {
                bail!(
                    "route `{}`: component `{}` does not export wasi:http/incoming-handler",
                    trigger.route,
                    trigger.component
                );
            }
        }
        for component in &manifest.private_http_components {
            if components[component].proxy.is_none() {
                bail!(
                    "private route: component `{component}` does not export wasi:http/incoming-handler"
                );
            }
        }
        let chainable: BTreeSet<String> = manifest
            .http_triggers
            .iter()
            .map(|t| t.component.clone())
            .chain(manifest.private_http_components.iter().cloned())
            .collect();
        let mut cron_triggers = Vec::new();
        for trigger in &manifest.cron_triggers {
            if components[&trigger.component].cron.is_none() {
                bail!(
                    "cron `{}`: component `{}` does not export fermyon:spin-cron's handle-cron-event",
                    trigger.cron_expression,
                    trigger.component
                );
            }
            cron_triggers.push((
                crate::cron::Schedule::parse(&trigger.cron_expression)?,
                trigger.component.clone(),
            ));
        }
        let router = Router::new(
            manifest
                .http_triggers
                .iter()
                .map(|t| (t.route.clone(), t.component.clone()))
                .collect(),
        );
        start_epoch_ticker(&engine);
        let components = components
            .into_iter()
            .map(|(id, component)| (id, RwLock::new(Arc::new(component))))
            .collect();
        Ok(Arc::new_cyclic(|this| App {
            name: manifest.name.clone(),
            engine,
            components,
            builder,
            variables,
            policies,
            router,
            chainable,
            cron_triggers,
            slots: Semaphore::new(options.max_concurrent_instances as usize),
            options,
            dispatch: Arc::new(Chain(this.clone())),
        }))
    }

    /// Handles one request from the listener.
    pub async fn handle_http<B>(
        &self,
        request: hyper::Request<B>,
        client: SocketAddr,
    ) -> hyper::Response<HyperOutgoingBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let path = request.uri().path().to_string();
        let Some((pattern, component, matched)) = self.router.route(&path) else {
            return problem::response(404, "not-found", "Not Found", "no route matches this path");
        };
        let component = component.clone();
        let request = with_spin_headers(request, pattern, &matched, client);
        match self.invoke_http(&component, request, 0).await {
            Ok(response) => response,
            Err(e) => {
                tracing::warn!(component = %component, error = %e, "invocation failed");
                invocation_problem(&e)
            }
        }
    }

    /// Runs `component`'s HTTP handler on `request` in a fresh instance.
    pub async fn invoke_http<B>(
        &self,
        component_id: &str,
        request: hyper::Request<B>,
        depth: u32,
    ) -> Result<hyper::Response<HyperOutgoingBody>, InvocationError>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let component = self.component(component_id)?;
        self.invoke_loaded(&component, request, depth).await
    }

    /// Runs `component`'s HTTP handler on `request` in a fresh instance, whether or not it
    /// is the version serving (a hot swap's candidate is tried this way first).
    pub async fn invoke_loaded<B>(
        &self,
        component: &LoadedComponent,
        request: hyper::Request<B>,
        depth: u32,
    ) -> Result<hyper::Response<HyperOutgoingBody>, InvocationError>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let component_id = component.decl.id.as_str();
        let proxy = component.proxy.clone().ok_or_else(|| {
            InvocationError::NotFound(format!("component `{component_id}` has no HTTP handler"))
        })?;
        let _slot = self.slot().await?;
        let mut store = self.store(component, depth, self.options.http_deadline);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(|e| trapped(component_id, e))?;
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(|e| trapped(component_id, e))?;
        let id = component_id.to_string();
        let deadline = self.options.http_deadline;
        let task = tokio::spawn(async move {
            let result = async {
                let proxy = proxy.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await
            }
            .await;
            result.map_err(|e| classify(&id, e, store.data().limits.exceeded, deadline))
        });
        // Wall-clock guard for time spent in host calls, where epochs cannot interrupt.
        let wait = deadline + EPOCH_TICK * 10;
        match tokio::time::timeout(wait, receiver).await {
            Ok(Ok(Ok(response))) => Ok(response),
            Ok(Ok(Err(code))) => Err(InvocationError::Trapped(
                component_id.to_string(),
                format!("response error: {code:?}"),
            )),
            Ok(Err(_)) => match task.await {
                Ok(Ok(())) => Err(InvocationError::Trapped(
                    component_id.to_string(),
                    "handler returned without sending a response".into(),
                )),
                Ok(Err(e)) => Err(e),
                Err(join) => Err(InvocationError::Trapped(
                    component_id.to_string(),
                    join.to_string(),
                )),
            },
            Err(_) => {
                task.abort();
                Err(InvocationError::Deadline(
                    component_id.to_string(),
                    deadline,
                ))
            }
        }
    }

    /// Runs `component`'s scheduled handler once, as its cron trigger would.
    pub async fn run_cron(&self, component_id: &str) -> Result<(), InvocationError> {
        let component = self.component(component_id)?;
        let cron = component.cron.clone().ok_or_else(|| {
            InvocationError::NotFound(format!(
                "component `{component_id}` does not export handle-cron-event"
            ))
        })?;
        let _slot = self.slot().await?;
        let deadline = self.options.cron_deadline;
        let mut store = self.store(&component, 0, deadline);
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let id = component_id.to_string();
        let run = async {
            let instance = cron.instantiate_async(&mut store).await?;
            instance
                .call_handle_cron_event(&mut store, Metadata { timestamp })
                .await
        };
        let outcome = tokio::time::timeout(deadline + EPOCH_TICK * 10, run).await;
        match outcome {
            Err(_) => Err(InvocationError::Deadline(id, deadline)),
            Ok(Err(e)) => Err(classify(&id, e, store.data().limits.exceeded, deadline)),
            Ok(Ok(Err(cron_bindings::fermyon::spin_cron::cron_types::Error::Other(reason)))) => {
                Err(InvocationError::Trapped(
                    id,
                    format!("handler reported: {reason}"),
                ))
            }
            Ok(Ok(Ok(()))) => Ok(()),
        }
    }

    /// Times `iterations` instantiations of `component_id`'s HTTP handler, each in a fresh
    /// store as a request gets it (the benchmark of per-request start-up).
    pub async fn time_instantiation(
        &self,
        component_id: &str,
        iterations: usize,
    ) -> Result<Vec<Duration>, InvocationError> {
        let component = self.component(component_id)?;
        let proxy = component.proxy.clone().ok_or_else(|| {
            InvocationError::NotFound(format!("component `{component_id}` has no HTTP handler"))
        })?;
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let started = Instant::now();
            let mut store = self.store(&component, 0, self.options.http_deadline);
            proxy
                .instantiate_async(&mut store)
                .await
                .map_err(|e| trapped(component_id, e))?;
            samples.push(started.elapsed());
        }
        Ok(samples)
    }

    /// The version of component `id` serving now.
    pub fn component(&self, id: &str) -> Result<Arc<LoadedComponent>, InvocationError> {
        let slot = self
            .components
            .get(id)
            .ok_or_else(|| InvocationError::NotFound(format!("no component `{id}`")))?;
        Ok(slot.read().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// Ids of every component.
    pub fn component_ids(&self) -> impl Iterator<Item = &str> {
        self.components.keys().map(String::as_str)
    }

    /// The manifest's variables of component `id`.
    pub fn variables_of(&self, id: &str) -> ComponentVariables {
        self.variables.get(id).cloned().unwrap_or_default()
    }

    /// Makes `replacement` the serving version of its component, atomically: requests that
    /// started keep the version they began with, every later one gets the new one. The
    /// version replaced.
    pub fn replace(
        &self,
        replacement: LoadedComponent,
    ) -> Result<Arc<LoadedComponent>, InvocationError> {
        let id = replacement.decl.id.clone();
        let slot = self
            .components
            .get(&id)
            .ok_or_else(|| InvocationError::NotFound(format!("no component `{id}`")))?;
        let mut serving = slot.write().unwrap_or_else(|e| e.into_inner());
        Ok(std::mem::replace(&mut *serving, Arc::new(replacement)))
    }

    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, InvocationError> {
        match tokio::time::timeout(self.options.queue_timeout, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(InvocationError::Overloaded),
        }
    }

    fn store(
        &self,
        component: &LoadedComponent,
        depth: u32,
        deadline: Duration,
    ) -> Store<InstanceState> {
        let mut wasi = WasiCtx::builder();
        if self.options.component_output {
            wasi.inherit_stdout().inherit_stderr();
        }
        let state = InstanceState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            kv: component.kv.clone(),
            hooks: OutboundHooks {
                policy: component.outbound.clone(),
                dispatch: self.dispatch.clone(),
                depth,
            },
            limits: InvocationLimits {
                memory_bytes_max: self.options.memory_bytes_max,
                exceeded: false,
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let ticks = (deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }
}

fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}

fn trapped(component: &str, e: impl std::fmt::Display) -> InvocationError {
    InvocationError::Trapped(component.to_string(), e.to_string())
}

fn classify(
    component: &str,
    error: wasmtime::Error,
    memory_exceeded: bool,
    deadline: Duration,
) -> InvocationError {
    if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return InvocationError::Deadline(component.to_string(), deadline);
    }
    if memory_exceeded {
        return InvocationError::Memory(component.to_string());
    }
    InvocationError::Trapped(component.to_string(), format!("{error:#}"))
}

fn invocation_problem(error: &InvocationError) -> hyper::Response<HyperOutgoingBody> {
    match error {
        InvocationError::Deadline(..) => problem::response(
            503,
            "deadline-exceeded",
            "Deadline Exceeded",
            "the request took longer than its time limit and was stopped; it may be retried",
        ),
        InvocationError::Overloaded => problem::response(
            503,
            "overloaded",
            "Service Unavailable",
            "the host is at capacity; retry shortly",
        ),
        InvocationError::Memory(_) => problem::response(
            500,
            "memory-limit-exceeded",
            "Memory Limit Exceeded",
            "the request needed more memory than allowed and was stopped",
        ),
        InvocationError::Trapped(..) => problem::response(
            500,
            "component-failed",
            "Internal Server Error",
            "the component failed while handling the request",
        ),
        InvocationError::NotFound(_) => problem::response(
            404,
            "not-found",
            "Not Found",
            "no component handles this path",
        ),
    }
}

/// Sets the headers Spin gives a component about how its request was routed.
fn with_spin_headers<B>(
    mut request: hyper::Request<B>,
    pattern: &RoutePattern,
    matched: &RouteMatch,
    client: SocketAddr,
) -> hyper::Request<B> {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let full_url = format!("http://{host}{path_and_query}");
    // A request may carry only an origin-form URI; give the guest an absolute one.
    if let Ok(uri) = full_url.parse::<http::Uri>() {
        *request.uri_mut() = uri;
    }
    let route = pattern.to_string();
    let headers = request.headers_mut();
    let mut set = |name: &str, value: &str| {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    };
    set("spin-full-url", &full_url);
    set("spin-path-info", &matched.path_info);
    set("spin-matched-route", &route);
    set("spin-raw-component-route", &route);
    set("spin-component-route", &pattern.prefix());
    set("spin-base-path", "/");
    set("spin-client-addr", &client.to_string());
    for (name, value) in &matched.params {
        set(&format!("spin-path-match-{name}"), value);
    }
    request
}

/// Service chaining back into the same application.
struct Chain(Weak<App>);

impl InternalDispatch for Chain {
    fn dispatch(
        &self,
        component_id: String,
        request: http::Request<WasiBody>,
        depth: u32,
    ) -> BoxFuture<Result<http::Response<WasiBody>, wasmtime_wasi_http::Error>> {
        let app = self.app();
        Box::pin(async move {
            let app = app?;
            if !app.chainable.contains(&component_id) {
                return Err(wasmtime_wasi_http::Error::DestinationNotFound);
            }
            match app.invoke_http(&component_id, request, depth).await {
                Ok(response) => Ok(response),
                Err(e) => {
                    tracing::warn!(component = %component_id, error = %e, "chained invocation failed");
                    let response = invocation_problem(&e);
                    Ok(response)
                }
            }
        })
    }

    fn control(
        &self,
        request: http::Request<WasiBody>,
    ) -> BoxFuture<Result<http::Response<WasiBody>, wasmtime_wasi_http::Error>> {
        let app = self.app();
        Box::pin(async move { Ok(crate::policies::routes::handle(&app?, request).await) })
    }
}

impl Chain {
    fn app(&self) -> Result<Arc<App>, wasmtime_wasi_http::Error> {
        self.0
            .upgrade()
            .ok_or(wasmtime_wasi_http::Error::DestinationUnavailable)
    }
}

/// Turns a guest response body into bytes (the in-process benchmarks use it).
pub async fn collect_body(body: HyperOutgoingBody) -> Result<Bytes> {
    Ok(body
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_bytes())
}

/// A request body from bytes, for in-process invocations.
pub fn full_body(bytes: impl Into<Bytes>) -> WasiBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}
