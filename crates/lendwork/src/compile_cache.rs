//! Compiled code kept on disk between runs, as Spin keeps wasmtime's compilation cache: a
//! host that starts again, or a second host on the same machine, loads what an earlier one
//! compiled instead of compiling every component anew.
//!
//! An entry is named by the SHA-256 of the composed bytes and a hash of everything in the
//! engine's configuration that compiled code depends on
//! ([`Engine::precompile_compatibility_hash`]), so a changed component, a changed engine
//! setting or another wasmtime version simply misses. Entries are written to a temporary
//! file and renamed into place, so a reader never sees half of one; one that fails to load
//! is compiled again and replaced. Each start forgets entries no start has used for
//! [`UNUSED_DAYS_KEPT`] days (a load marks its entry used).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Days an entry no start has used is kept.
pub const UNUSED_DAYS_KEPT: u64 = 14;

/// A directory of compiled components.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    /// The cache in `dir`, created (readable by its owner only) if it is missing.
    pub fn open(dir: &Path) -> Result<CompileCache> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the compile cache {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot restrict the compile cache {}", dir.display()))?;
        }
        let cache = CompileCache {
            dir: dir.to_path_buf(),
        };
        cache.forget_unused(SystemTime::now() - Duration::from_secs(UNUSED_DAYS_KEPT * 86_400));
        Ok(cache)
    }

    /// Removes the entries last used before `cutoff`.
    fn forget_unused(&self, cutoff: SystemTime) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let unused = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|used| used < cutoff);
            if unused && path.extension().is_some_and(|e| e == "cwasm") {
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    /// The component compiled from `bytes` (whose SHA-256 is `digest`): loaded from the
    /// cache, or compiled and stored there.
    pub fn component(&self, engine: &Engine, digest: &[u8; 32], bytes: &[u8]) -> Result<Component> {
        let path = self.entry(engine, digest);
        if path.exists() {
            // SAFETY: entries are written only by `store` below, from wasmtime's own
            // serialisation, into a directory only this user may write; wasmtime checks the
            // header and the engine's compatibility before using an entry.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => {
                    mark_used(&path);
                    return Ok(component);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a compile cache entry did not load; compiling again")
                }
            }
        }
        let compiled = engine.precompile_component(bytes)?;
        if let Err(e) = self.store(&path, &compiled) {
            tracing::warn!(error = %e, "compiled code not cached");
        }
        // SAFETY: `compiled` was serialised by this engine a moment ago.
        Ok(unsafe { Component::deserialize(engine, &compiled) }?)
    }

    /// Where the code of `digest`, compiled by `engine`, is kept.
    fn entry(&self, engine: &Engine, digest: &[u8; 32]) -> PathBuf {
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let name = format!("{}-{:016x}.cwasm", hex::encode(digest), hasher.finish());
        self.dir.join(name)
    }

    /// Writes `compiled` to `path` through a temporary file renamed into place.
    fn store(&self, path: &Path, compiled: &[u8]) -> Result<()> {
        let temporary = tempfile::NamedTempFile::new_in(&self.dir)?;
        std::fs::write(temporary.path(), compiled)?;
        temporary.persist(path)?;
        Ok(())
    }
}

/// Marks the entry at `path` used now, so that [`CompileCache::forget_unused`] keeps it.
fn mark_used(path: &Path) {
    let _ = std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|file| file.set_modified(SystemTime::now()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component: the preamble of the component binary format, nothing else.
    const EMPTY_COMPONENT: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    fn engine_at(opt_level: wasmtime::OptLevel) -> Engine {
        let mut config = wasmtime::Config::new();
        config.cranelift_opt_level(opt_level);
        Engine::new(&config).unwrap()
    }

    fn entries(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn a_component_compiles_once_and_loads_from_the_cache_after() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::open(dir.path()).unwrap();
        let engine = engine_at(wasmtime::OptLevel::Speed);
        let bytes = EMPTY_COMPONENT;
        let digest = [7; 32];
        cache.component(&engine, &digest, &bytes).unwrap();
        assert_eq!(entries(dir.path()), 1);
        // A second load is answered from the entry: these bytes would not even compile.
        let kept = std::fs::read(cache.entry(&engine, &digest)).unwrap();
        cache.component(&engine, &digest, b"not even wasm").unwrap();
        assert_eq!(std::fs::read(cache.entry(&engine, &digest)).unwrap(), kept);
        // Another engine configuration is another entry.
        cache
            .component(&engine_at(wasmtime::OptLevel::None), &digest, &bytes)
            .unwrap();
        assert_eq!(entries(dir.path()), 2);
    }

    #[test]
    fn entries_unused_for_a_fortnight_are_forgotten_and_used_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::open(dir.path()).unwrap();
        let engine = engine_at(wasmtime::OptLevel::Speed);
        let (old, used) = ([1; 32], [2; 32]);
        for digest in [old, used] {
            cache.component(&engine, &digest, &EMPTY_COMPONENT).unwrap();
            let long_ago = SystemTime::now() - Duration::from_secs((UNUSED_DAYS_KEPT + 1) * 86_400);
            std::fs::File::options()
                .write(true)
                .open(cache.entry(&engine, &digest))
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        cache.component(&engine, &used, &EMPTY_COMPONENT).unwrap();
        let reopened = CompileCache::open(dir.path()).unwrap();
        assert!(!reopened.entry(&engine, &old).exists());
        assert!(reopened.entry(&engine, &used).exists());
    }

    #[test]
    fn a_damaged_entry_is_compiled_again_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::open(dir.path()).unwrap();
        let engine = engine_at(wasmtime::OptLevel::Speed);
        let digest = [9; 32];
        std::fs::write(cache.entry(&engine, &digest), b"not compiled code").unwrap();
        cache.component(&engine, &digest, &EMPTY_COMPONENT).unwrap();
        let kept = std::fs::read(cache.entry(&engine, &digest)).unwrap();
        assert_ne!(kept, b"not compiled code");
        // SAFETY: written by `component` just above.
        assert!(unsafe { Component::deserialize(&engine, &kept) }.is_ok());
    }
}
