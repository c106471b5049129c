//! The runtime configuration file (`--runtime-config-file`), in the format Spin reads for
//! `[key_value_store.<label>]`:
//!
//! ```toml
//! [key_value_store.default]
//! type = "spin"                     # SQLite; `path` relative to this file
//! path = ".spin/sqlite_key_value.db"
//!
//! [key_value_store.ledger]
//! type = "redis"
//! url = "redis://127.0.0.1:6379/0"
//!
//! [key_value_store.scratch]
//! type = "memory"                   # Lendwork extension: in-process, gone at exit
//! ```
//!
//! Without a file, the label `default` is a SQLite file in the state directory, as in Spin.
//! Any other label a component uses must be configured, or start-up fails naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::kv::spin::{SemanticStore, Semantics};
use crate::kv::{KvStore, StoreSet, memory::MemoryStore, redis::RedisStore, sqlite::SqliteStore};

/// File name of the default store in the state directory (Spin's name for it).
pub const DEFAULT_STORE_FILE: &str = "sqlite_key_value.db";

/// Where one store label's data lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoreBackend {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// Process memory.
    Memory,
    /// A Redis database.
    Redis(String),
}

/// The parsed runtime configuration.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Store backends by label.
    pub key_value_stores: BTreeMap<String, StoreBackend>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    key_value_store: BTreeMap<String, RawStore>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum RawStore {
    Spin { path: Option<PathBuf> },
    Memory {},
    Redis { url: String },
}

impl RuntimeConfig {
    /// Reads a runtime config file; relative paths resolve against its directory.
    pub fn load(path: &Path) -> Result<RuntimeConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read runtime config {}", path.display()))?;
        let absolute = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let base = absolute.parent().unwrap_or(Path::new("."));
        RuntimeConfig::parse(&text, base)
            .with_context(|| format!("invalid runtime config {}", path.display()))
    }

    /// Parses runtime config text.
    pub fn parse(text: &str, base_dir: &Path) -> Result<RuntimeConfig> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let key_value_stores = raw
            .key_value_store
            .into_iter()
            .map(|(label, store)| {
                let backend = match store {
                    // Spin keeps a `spin` store without a path in memory.
                    RawStore::Spin { path: None } | RawStore::Memory {} => StoreBackend::Memory,
                    RawStore::Spin { path: Some(p) } => StoreBackend::Sqlite(base_dir.join(p)),
                    RawStore::Redis { url } => StoreBackend::Redis(url),
                };
                (label, backend)
            })
            .collect();
        Ok(RuntimeConfig { key_value_stores })
    }

    /// The backend for `label`: configured, or Spin's default SQLite file for `default`.
    pub fn backend_for(&self, label: &str, state_dir: &Path) -> Option<StoreBackend> {
        match self.key_value_stores.get(label) {
            Some(backend) => Some(backend.clone()),
            None if label == "default" => {
                Some(StoreBackend::Sqlite(state_dir.join(DEFAULT_STORE_FILE)))
            }
            None => None,
        }
    }
}

/// Which key-value semantics guests see (`lendwork up --kv-semantics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvMode {
    /// The host's own, exact semantics.
    #[default]
    Lendwork,
    /// Spin 4.0.2's, per backend: SQLite's for `spin` and `memory` stores, Redis's for
    /// `redis` stores (see `kv::spin`). It exists to prove components portable.
    Spin,
}

impl KvMode {
    /// The semantics a store on `backend` shows in this mode.
    pub fn semantics_for(self, backend: &StoreBackend) -> Semantics {
        match (self, backend) {
            (KvMode::Lendwork, _) => Semantics::Lendwork,
            (KvMode::Spin, StoreBackend::Redis(_)) => Semantics::SpinRedis,
            (KvMode::Spin, StoreBackend::Sqlite(_) | StoreBackend::Memory) => Semantics::SpinSqlite,
        }
    }
}

/// Opens every store the manifest's components use; fails naming the first unknown label.
pub async fn open_stores<'a>(
    config: &RuntimeConfig,
    state_dir: &Path,
    mode: KvMode,
    uses: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<StoreSet> {
    let mut set = StoreSet::default();
    let mut opened: BTreeMap<StoreBackend, Arc<dyn KvStore>> = BTreeMap::new();
    for (component, label) in uses {
        if set.get(label).is_some() {
            continue;
        }
        let Some(backend) = config.backend_for(label, state_dir) else {
            bail!(
                "component `{component}` uses key-value store `{label}`, which is not configured: add [key_value_store.{label}] to the runtime config file"
            );
        };
        // Two labels pointing at the same file share one store (one writer thread).
        let store = match opened.get(&backend) {
            Some(store) => store.clone(),
            None => {
                let store: Arc<dyn KvStore> = match &backend {
                    StoreBackend::Sqlite(path) => Arc::new(
                        SqliteStore::open(path)
                            .with_context(|| format!("store `{label}` at {}", path.display()))?,
                    ),
                    StoreBackend::Memory => Arc::new(MemoryStore::new()),
                    StoreBackend::Redis(url) => Arc::new(
                        RedisStore::connect(url)
                            .await
                            .with_context(|| format!("store `{label}`: cannot reach Redis"))?,
                    ),
                };
                if backend != StoreBackend::Memory {
                    opened.insert(backend.clone(), store.clone());
                }
                store
            }
        };
        let semantics = mode.semantics_for(&backend);
        tracing::info!(label, backend = backend.describe(), semantics = ?semantics, "key-value store ready");
        set.insert(label, SemanticStore { store, semantics });
    }
    Ok(set)
}

impl StoreBackend {
    fn describe(&self) -> String {
        match self {
            StoreBackend::Sqlite(path) => format!("sqlite {}", path.display()),
            StoreBackend::Memory => "memory".into(),
            // The URL may carry a password: show the scheme only.
            StoreBackend::Redis(url) => format!("redis {}", url.split("://").next().unwrap_or("")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spin_format_and_extensions() {
        let text = r#"
[key_value_store.default]
type = "spin"
path = "data/kv.db"
[key_value_store.ledger]
type = "redis"
url = "redis://127.0.0.1:6379/1"
[key_value_store.scratch]
type = "memory"
[key_value_store.volatile]
type = "spin"
"#;
        let c = RuntimeConfig::parse(text, Path::new("/etc/lw")).unwrap();
        assert_eq!(
            c.key_value_stores["default"],
            StoreBackend::Sqlite("/etc/lw/data/kv.db".into())
        );
        assert_eq!(
            c.key_value_stores["ledger"],
            StoreBackend::Redis("redis://127.0.0.1:6379/1".into())
        );
        assert_eq!(c.key_value_stores["scratch"], StoreBackend::Memory);
        assert_eq!(c.key_value_stores["volatile"], StoreBackend::Memory);
    }

    #[test]
    fn default_label_falls_back_to_the_state_dir() {
        let c = RuntimeConfig::default();
        assert_eq!(
            c.backend_for("default", Path::new("/s")),
            Some(StoreBackend::Sqlite("/s/sqlite_key_value.db".into()))
        );
        assert_eq!(c.backend_for("ledger", Path::new("/s")), None);
    }

    #[test]
    fn unknown_types_and_keys_are_refused() {
        assert!(
            RuntimeConfig::parse("[key_value_store.x]\ntype = \"dynamo\"\n", Path::new("/"))
                .is_err()
        );
        assert!(
            RuntimeConfig::parse(
                "[key_value_store.x]\ntype = \"redis\"\nurl = \"r\"\npth = 1\n",
                Path::new("/")
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn unknown_label_is_named_in_the_error() {
        let err = open_stores(
            &RuntimeConfig::default(),
            Path::new("/tmp"),
            KvMode::Lendwork,
            [("ledger-api", "ledger")].into_iter(),
        )
        .await
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("`ledger-api`") && err.contains("`ledger`"),
            "{err}"
        );
    }
}
