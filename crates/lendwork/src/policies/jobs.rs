//! Long policy operations — swaps, rollbacks, backtests — run as jobs: the request that
//! starts one answers at once (202) with the job, which carries on in the background and
//! can be read at any time by its id. A swap's build runs at low priority so that the
//! requests being served keep the cores, and may then take longer than any one request is
//! allowed to; a backtest pages through the whole decision log.
//!
//! The host keeps the last [`JOBS_KEPT`] jobs of each kind in memory and writes each
//! finished one to `policies/<kind>/{id}.json` in its state directory.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use chrono::Utc;
use serde::Serialize;

/// Jobs of one kind kept in memory, finished or not.
pub const JOBS_KEPT: usize = 32;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Still going.
    Running,
    /// Finished as asked.
    Done,
    /// Stopped by an error or refused (the job says why).
    Failed,
}

/// A job the host keeps.
pub trait Job: Clone + Serialize + Send + 'static {
    /// Its id.
    fn id(&self) -> &str;
}

/// The jobs of one kind.
pub struct Jobs<J> {
    dir: PathBuf,
    jobs: Mutex<VecDeque<Arc<Mutex<J>>>>,
}

impl<J: Job> Jobs<J> {
    /// Jobs whose finished records are written under `dir`.
    pub fn new(dir: PathBuf) -> Result<Jobs<J>> {
        std::fs::create_dir_all(&dir)?;
        Ok(Jobs {
            dir,
            jobs: Mutex::new(VecDeque::new()),
        })
    }

    /// The job `id`, as it stands.
    pub fn get(&self, id: &str) -> Option<J> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.iter()
            .map(|j| j.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .find(|j| j.id() == id)
    }

    /// Keeps `job` (forgetting the oldest beyond [`JOBS_KEPT`]); the handle its task updates.
    pub fn add(&self, job: J) -> Arc<Mutex<J>> {
        let job = Arc::new(Mutex::new(job));
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if jobs.len() == JOBS_KEPT {
            jobs.pop_front();
        }
        jobs.push_back(job.clone());
        job
    }

    /// Writes a finished job's record.
    pub fn save(&self, job: &J) {
        let path = self.dir.join(format!("{}.json", job.id()));
        if let Err(e) = serde_json::to_vec_pretty(job).map(|bytes| std::fs::write(&path, bytes)) {
            tracing::warn!(error = %e, "job record not written");
        }
    }
}

/// Updates the shared `job` with `change`.
pub fn update<J>(job: &Mutex<J>, change: impl FnOnce(&mut J)) {
    change(&mut job.lock().unwrap_or_else(|e| e.into_inner()));
}

/// A new job id: `prefix` and the time in nanoseconds, in hex.
pub fn new_id(prefix: &str) -> String {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("{prefix}_{nanos:x}")
}
