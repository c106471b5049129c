//! Policy versions on the running host: hot swaps, rollbacks and backtests.
//!
//! A credit policy is a dependency of the component that imports it (`decisioning`'s
//! `lending:policy/consumer`, composed at load, [`crate::compose`]). Here a candidate policy
//! is *staged* (checked and kept by its SHA-256), composed and compiled into a new version of
//! that component *beside* the serving one ([`crate::app::Builder`], on a blocking thread),
//! tried on a sample of recorded decisions (its answers against the recorded ones: a
//! dry run), and only then made the serving version in one atomic switch
//! ([`crate::app::App::replace`]); requests already running finish on the version they
//! started with. Every change is appended to `policies/history.jsonl` in the host's state
//! directory with the old and new digests; the bytes of every version served are kept under
//! `policies/blobs/`, so a rollback (and a restart) can serve them again.
//!
//! **Across restarts**: a component's dependency keeps the version last swapped in as long
//! as the manifest still names the file that version replaced; once the manifest's file
//! changes (a deliberate redeploy) the manifest wins and the host says so in its log.
//!
//! The digest a decision records comes from a component variable (`consumer_policy_sha256`
//! for `lending:policy/consumer`, [`crate::app::digest_variable`]), which the host sets to the
//! digest of the bytes actually composed, at load and on every swap.

pub mod backtests;
pub mod jobs;
pub mod replays;
pub mod routes;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::app::{App, LoadedComponent};
use crate::manifest::ComponentDecl;

/// Largest candidate accepted, in bytes.
pub const CANDIDATE_BYTES_MAX: usize = 16 << 20;
/// Recorded decisions a dry run re-decides when the request does not say.
pub const DRY_RUN_SAMPLE: u64 = 200;
/// History entries a listing shows, latest first.
pub const LISTED_CHANGES: usize = 100;

/// SHA-256 (hex) of the file at `path`.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Why a policy operation was refused, as a problem-details answer.
#[derive(Debug)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Problem type slug.
    pub slug: &'static str,
    /// Problem title.
    pub title: &'static str,
    /// What went wrong, for the operator.
    pub detail: String,
}

impl Refusal {
    /// A refusal with these parts.
    pub fn new(
        status: u16,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Refusal {
            status,
            slug,
            title,
            detail: detail.into(),
        }
    }

    /// A candidate that cannot be used.
    pub fn rejected(detail: impl Into<String>) -> Self {
        Refusal::new(422, "candidate-rejected", "Candidate Rejected", detail)
    }

    /// Something named that does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Refusal::new(404, "not-found", "Not Found", detail)
    }

    fn conflict(detail: impl Into<String>) -> Self {
        Refusal::new(409, "nothing-to-roll-back", "Nothing To Roll Back", detail)
    }

    /// The refusal as a problem-details object.
    pub fn problem(&self) -> Value {
        serde_json::from_str(&crate::problem::body(
            self.status,
            self.slug,
            self.title,
            &self.detail,
        ))
        .unwrap_or_default()
    }

    fn internal(error: anyhow::Error) -> Self {
        tracing::error!(error = %format!("{error:#}"), "policy operation failed");
        Refusal::new(
            500,
            "internal",
            "Internal Server Error",
            "the host could not complete the operation; see its log",
        )
    }
}

/// One policy version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// SHA-256 of its `.wasm`.
    pub sha256: String,
    /// Its name, as it reports it (when known).
    pub name: Option<String>,
    /// Its own version, as it reports it (when known).
    pub version: Option<String>,
}

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A candidate replaced the serving version.
    Swap,
    /// The previous version came back.
    Rollback,
}

/// A dry run's outcome, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunSummary {
    /// Recorded decisions re-decided.
    pub decisions: u64,
    /// Of them, answered identically.
    pub identical: u64,
    /// Of them, with another outcome.
    pub moved: u64,
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Its position in the history, from 1.
    pub seq: u64,
    /// When it took effect.
    pub at: DateTime<Utc>,
    /// The component changed.
    pub component: String,
    /// The dependency replaced (its import key).
    pub dependency: String,
    /// Swap or rollback.
    pub action: Action,
    /// The version that served before.
    pub from: Version,
    /// The version serving after.
    pub to: Version,
    /// Who asked (`role:key id`, as the relaying component authenticated them).
    pub actor: Option<String>,
    /// The dry run it passed.
    pub dry_run: Option<DryRunSummary>,
}

/// Policy versions and their history, kept in the host's state directory.
pub struct Registry {
    dir: PathBuf,
    history: Mutex<Vec<Change>>,
    /// One swap or rollback at a time (each composes and compiles a whole component).
    changing: tokio::sync::Mutex<()>,
    /// Backtests, running and finished.
    pub backtests: jobs::Jobs<backtests::BacktestJob>,
    /// Swaps and rollbacks, running and finished.
    pub changes_jobs: jobs::Jobs<ChangeJob>,
}

impl Registry {
    /// Opens (creating) `policies/` under `state_dir` and reads its history.
    pub fn open(state_dir: &Path) -> Result<Registry> {
        let dir = state_dir.join("policies");
        std::fs::create_dir_all(dir.join("blobs"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let history = match std::fs::read_to_string(dir.join("history.jsonl")) {
            Ok(text) => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str)
                .collect::<Result<Vec<Change>, _>>()
                .context("the policy history is unreadable")?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).context("cannot read the policy history"),
        };
        Ok(Registry {
            backtests: jobs::Jobs::new(dir.join("backtests"))?,
            changes_jobs: jobs::Jobs::new(dir.join("changes"))?,
            dir,
            history: Mutex::new(history),
            changing: tokio::sync::Mutex::new(()),
        })
    }

    fn blob(&self, sha256: &str) -> PathBuf {
        self.dir.join("blobs").join(format!("{sha256}.wasm"))
    }

    /// Keeps `bytes` by their digest; the digest.
    fn keep(&self, bytes: &[u8]) -> Result<String> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let path = self.blob(&sha256);
        if !path.exists() {
            let partial = path.with_extension("partial");
            std::fs::write(&partial, bytes)?;
            std::fs::rename(&partial, &path)?;
        }
        Ok(sha256)
    }

    /// The bytes of a kept version.
    pub fn kept(&self, sha256: &str) -> Result<Vec<u8>, Refusal> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refusal::rejected("`candidate` must be a SHA-256 in hex"));
        }
        std::fs::read(self.blob(&sha256.to_ascii_lowercase()))
            .map_err(|_| Refusal::not_found("no candidate with that digest has been uploaded"))
    }

    /// Checks and keeps a candidate: a component that exports at least one interface and
    /// imports no host capability. Its digest, imports and exports.
    pub fn stage(&self, bytes: Vec<u8>) -> Result<Value, Refusal> {
        if bytes.len() > CANDIDATE_BYTES_MAX {
            return Err(Refusal::rejected(format!(
                "a candidate may be at most {CANDIDATE_BYTES_MAX} bytes"
            )));
        }
        let (imports, exports) = crate::compose::interfaces("candidate", bytes.clone())
            .map_err(|e| Refusal::rejected(format!("{e:#}")))?;
        if exports.is_empty() {
            return Err(Refusal::rejected("the candidate exports nothing"));
        }
        crate::compose::check_no_capabilities(&imports).map_err(|_| {
            Refusal::rejected(
                "a policy may not import host capabilities (stores, variables, outbound HTTP): it must be pure",
            )
        })?;
        let sha256 = self.keep(&bytes).map_err(Refusal::internal)?;
        Ok(
            json!({ "sha256": sha256, "bytes": bytes.len(), "imports": imports, "exports": exports }),
        )
    }

    /// The versions `dependency` of `component` has served, oldest first, ending with the
    /// one serving (`serving`): what a rollback steps back through.
    fn stack(&self, component: &str, dependency: &str, serving: &str) -> Vec<Version> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        let mut stack: Vec<Version> = Vec::new();
        for change in history
            .iter()
            .filter(|c| c.component == component && c.dependency == dependency)
        {
            if stack.last().map(|v| &v.sha256) != Some(&change.from.sha256) {
                stack = vec![change.from.clone()];
            }
            match change.action {
                Action::Swap => stack.push(change.to.clone()),
                Action::Rollback => {
                    stack.pop();
                    if stack.last().map(|v| &v.sha256) != Some(&change.to.sha256) {
                        stack = vec![change.to.clone()];
                    }
                }
            }
        }
        if stack.last().map(|v| v.sha256.as_str()) != Some(serving) {
            stack = vec![Version {
                sha256: serving.to_string(),
                name: None,
                version: None,
            }];
        }
        stack
    }

    /// `decl` as it should serve: each dependency with the version last swapped in, as long
    /// as the manifest still names the file that version replaced.
    ///
    /// Every version the manifest names is kept, so that its decisions can be replayed
    /// through it after it is swapped out or the manifest changes.
    pub fn serving(&self, decl: &ComponentDecl) -> Result<ComponentDecl> {
        let mut serving = decl.clone();
        for dependency in &mut serving.dependencies {
            let bytes = std::fs::read(&dependency.path)
                .with_context(|| format!("cannot read {}", dependency.path.display()))?;
            let digest = self.keep(&bytes)?;
            let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
            let Some(last) = history
                .iter()
                .rev()
                .find(|c| c.component == decl.id && c.dependency == dependency.import)
                .cloned()
            else {
                continue;
            };
            drop(history);
            let base = self.stack(&decl.id, &dependency.import, &last.to.sha256);
            if base.first().map(|v| &v.sha256) == Some(&digest) && last.to.sha256 != digest {
                let path = self.blob(&last.to.sha256);
                if path.exists() {
                    tracing::info!(component = %decl.id, dependency = %dependency.import, sha256 = %last.to.sha256, "serving the policy version last swapped in");
                    dependency.path = path;
                }
            } else if last.to.sha256 != digest {
                tracing::warn!(component = %decl.id, dependency = %dependency.import, manifest = %digest, swapped = %last.to.sha256, "the manifest's policy changed since the last swap; serving the manifest's");
            }
        }
        Ok(serving)
    }

    fn append(&self, mut change: Change) -> Result<Change> {
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        change.seq = history.len() as u64 + 1;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("history.jsonl"))?;
        writeln!(file, "{}", serde_json::to_string(&change)?)?;
        file.sync_data()?;
        history.push(change.clone());
        Ok(change)
    }

    /// The history, latest first.
    pub fn changes(&self) -> Vec<Change> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.iter().rev().take(LISTED_CHANGES).cloned().collect()
    }
}

/// What a swap or rollback asks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    /// The component whose policy changes.
    pub component: String,
    /// For a swap: the staged candidate's SHA-256.
    #[serde(default)]
    pub candidate: Option<String>,
    /// The dependency to change, when the candidate (or the rollback) could mean several.
    #[serde(default)]
    pub dependency: Option<String>,
    /// Only try the candidate on recorded decisions; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Recorded decisions (the latest) to try it on first.
    #[serde(default)]
    pub sample: Option<u64>,
}

/// The interface name of an import key (`lending:policy/consumer@0.1.0` → `consumer`).
fn interface_of(import: &str) -> &str {
    let body = import.split('@').next().unwrap_or(import);
    body.split_once('/').map_or(body, |(_, i)| i)
}

/// Calls `component`'s `method path` with a JSON `body`; the status and JSON answer.
async fn call(
    app: &App,
    component: &LoadedComponent,
    method: http::Method,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Value), Refusal> {
    let request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{}.spin.internal{path}", component.decl.id))
        .header("content-type", "application/json")
        .body(crate::app::full_body(
            body.map(|b| b.to_string()).unwrap_or_default(),
        ))
        .map_err(|e| Refusal::internal(e.into()))?;
    let response = app
        .invoke_loaded(component, request, 1)
        .await
        .map_err(|e| Refusal::rejected(format!("the candidate failed: {e}")))?;
    let status = response.status().as_u16();
    let bytes = crate::app::collect_body(response.into_body())
        .await
        .map_err(Refusal::internal)?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// The names and versions the component's policies report (`GET /policies`), by interface.
async fn about(app: &App, component: &LoadedComponent) -> BTreeMap<String, (String, String)> {
    let Ok((200, body)) = call(app, component, http::Method::GET, "/policies", None).await else {
        return BTreeMap::new();
    };
    body.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(interface, info)| {
            Some((
                interface.clone(),
                (
                    info["name"].as_str()?.to_string(),
                    info["version"].as_str()?.to_string(),
                ),
            ))
        })
        .collect()
}

fn version(sha256: &str, about: &BTreeMap<String, (String, String)>, import: &str) -> Version {
    let known = about.get(interface_of(import));
    Version {
        sha256: sha256.to_string(),
        name: known.map(|(n, _)| n.clone()),
        version: known.map(|(_, v)| v.clone()),
    }
}

/// Re-decides `query` (a `POST /backtests` body) with `component`; its page's pairs, the
/// position to continue after, and the log's length.
pub async fn backtest_page(
    app: &App,
    component: &LoadedComponent,
    query: Value,
) -> Result<(Vec<backtest::Pair>, Option<u64>, u64), Refusal> {
    let (status, body) = call(
        app,
        component,
        http::Method::POST,
        "/backtests",
        Some(query),
    )
    .await?;
    if status != 200 {
        return Err(Refusal::rejected(format!(
            "re-deciding recorded decisions failed ({status}): {}",
            body["detail"].as_str().unwrap_or("no detail")
        )));
    }
    let pairs =
        serde_json::from_value(body["pairs"].clone()).map_err(|e| Refusal::internal(e.into()))?;
    Ok((
        pairs,
        body["next_after"].as_u64(),
        body["log_length"].as_u64().unwrap_or(0),
    ))
}

/// Builds `component` with `dependencies` served by the kept version `target`, beside the
/// serving version.
async fn build_with(
    app: &App,
    serving: &LoadedComponent,
    dependencies: &[String],
    target: &str,
) -> Result<LoadedComponent, Refusal> {
    let mut decl = serving.decl.clone();
    for dependency in &mut decl.dependencies {
        if dependencies.contains(&dependency.import) {
            dependency.path = app.policies.blob(target);
        }
    }
    let variables = app.variables_of(&decl.id);
    app.builder
        .build_in_background(decl, variables)
        .await
        .map_err(|e| Refusal::rejected(format!("{e:#}")))
}

/// The dependencies of `serving` that a candidate exporting `exports` would replace.
pub fn replaced_by(
    serving: &LoadedComponent,
    exports: &[String],
    only: Option<&str>,
) -> Result<Vec<String>, Refusal> {
    let replaced: Vec<String> = serving
        .decl
        .dependencies
        .iter()
        .filter(|d| only.is_none_or(|o| o == d.import))
        .filter(|d| {
            exports
                .iter()
                .any(|e| crate::compose::import_matches(&d.import, e))
        })
        .map(|d| d.import.clone())
        .collect();
    if replaced.is_empty() {
        return Err(Refusal::rejected(format!(
            "the candidate exports none of the interfaces component `{}` imports from a dependency ({})",
            serving.decl.id,
            serving
                .decl
                .dependencies
                .iter()
                .map(|d| d.import.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(replaced)
}

/// The backtest filter for `replaced` dependencies: their interface when only one is.
pub fn kind_of(replaced: &[String]) -> Option<&str> {
    match replaced {
        [one] => Some(interface_of(one)),
        _ => None,
    }
}

/// What a change will do: the serving version it starts from, the dependencies it
/// replaces, the kept version that replaces them.
struct Resolved {
    serving: std::sync::Arc<LoadedComponent>,
    replaced: Vec<String>,
    target: String,
    action: Action,
}

/// Checks `request` against what serves now (cheap: no build): the refusal a caller gets at
/// once, before any job starts.
fn resolve(app: &App, request: &ChangeRequest, rollback: bool) -> Result<Resolved, Refusal> {
    let serving = app
        .component(&request.component)
        .map_err(|_| Refusal::not_found(format!("no component `{}`", request.component)))?;
    let (replaced, target, action) = if rollback {
        let candidates: Vec<(String, Vec<Version>)> = serving
            .decl
            .dependencies
            .iter()
            .filter(|d| request.dependency.as_deref().is_none_or(|o| o == d.import))
            .map(|d| {
                let digest = serving.dependency_digest(&d.import);
                (
                    d.import.clone(),
                    app.policies.stack(&serving.decl.id, &d.import, &digest),
                )
            })
            .filter(|(_, stack)| stack.len() > 1)
            .collect();
        match candidates.as_slice() {
            [(import, stack)] => (
                vec![import.clone()],
                stack[stack.len() - 2].sha256.clone(),
                Action::Rollback,
            ),
            [] => {
                return Err(Refusal::conflict(format!(
                    "component `{}` serves the first version it knows of{}",
                    request.component,
                    request
                        .dependency
                        .as_deref()
                        .map(|d| format!(" for `{d}`"))
                        .unwrap_or_default()
                )));
            }
            _ => {
                return Err(Refusal::rejected(
                    "several dependencies have been swapped: say which with `dependency`",
                ));
            }
        }
    } else {
        let candidate = request
            .candidate
            .as_deref()
            .ok_or_else(|| Refusal::rejected("`candidate` (a staged SHA-256) is required"))?
            .to_ascii_lowercase();
        let bytes = app.policies.kept(&candidate)?;
        let (_, exports) = crate::compose::interfaces("candidate", bytes)
            .map_err(|e| Refusal::rejected(format!("{e:#}")))?;
        let replaced = replaced_by(&serving, &exports, request.dependency.as_deref())?;
        (replaced, candidate, Action::Swap)
    };
    Ok(Resolved {
        serving,
        replaced,
        target,
        action,
    })
}

/// A swap or rollback in progress, or done.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeJob {
    /// Its id (`chg_…`).
    pub id: String,
    /// Swap or rollback.
    pub action: Action,
    /// The component.
    pub component: String,
    /// Where it is.
    pub status: jobs::Status,
    /// What it is doing: `waiting`, `building`, `dry run`, `switching`, `finished`.
    pub stage: &'static str,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// What it did: `changed`, the `changes` (history entries) and the `dry_run` report.
    pub outcome: Option<Value>,
    /// Why it was refused or failed (a problem-details object).
    pub problem: Option<Value>,
}

impl jobs::Job for ChangeJob {
    fn id(&self) -> &str {
        &self.id
    }
}

/// Starts a swap of a staged candidate (or, with `rollback`, a return to the previous
/// version): checked now, then built at low priority beside the serving version, tried on
/// the latest recorded decisions, and — unless `dry_run` — switched in, as a job.
pub fn start_change(
    app: &std::sync::Arc<App>,
    request: ChangeRequest,
    rollback: bool,
    actor: Option<String>,
) -> Result<ChangeJob, Refusal> {
    let resolved = resolve(app, &request, rollback)?;
    let job = ChangeJob {
        id: jobs::new_id("chg"),
        action: resolved.action,
        component: request.component.clone(),
        status: jobs::Status::Running,
        stage: "waiting",
        started_at: Utc::now(),
        finished_at: None,
        outcome: None,
        problem: None,
    };
    let shared = app.policies.changes_jobs.add(job.clone());
    let app = app.clone();
    tokio::spawn(async move {
        let outcome = {
            // One change at a time, each from the version serving when its turn comes.
            let _one_at_a_time = app.policies.changing.lock().await;
            match resolve(&app, &request, rollback) {
                Ok(resolved) => {
                    carry_out(&app, resolved, &request, actor.as_deref(), &|stage| {
                        jobs::update(&shared, |job| job.stage = stage)
                    })
                    .await
                }
                Err(refusal) => Err(refusal),
            }
        };
        jobs::update(&shared, |job| {
            job.finished_at = Some(Utc::now());
            job.stage = "finished";
            match outcome {
                Ok(outcome) => {
                    job.status = jobs::Status::Done;
                    job.outcome = Some(outcome);
                }
                Err(refusal) => {
                    job.status = jobs::Status::Failed;
                    job.problem = Some(refusal.problem());
                }
            }
        });
        let finished = shared.lock().unwrap_or_else(|e| e.into_inner()).clone();
        app.policies.changes_jobs.save(&finished);
    });
    Ok(job)
}

async fn carry_out(
    app: &App,
    resolved: Resolved,
    request: &ChangeRequest,
    actor: Option<&str>,
    stage: &(dyn Fn(&'static str) + Sync),
) -> Result<Value, Refusal> {
    let Resolved {
        serving,
        replaced,
        target,
        action,
    } = resolved;
    // The bytes serving now were kept when they began to serve ([`Registry::serving`] or
    // a swap's staging), so a rollback can bring them back whatever happens to the
    // manifest's file.
    stage("building");
    let built = build_with(app, &serving, &replaced, &target).await?;
    stage("dry run");
    let sample = request
        .sample
        .unwrap_or(DRY_RUN_SAMPLE)
        .clamp(1, DRY_RUN_SAMPLE);
    let (pairs, _, _) = backtest_page(
        app,
        &built,
        json!({ "kind": kind_of(&replaced), "latest": sample, "limit": sample }),
    )
    .await?;
    let mut comparison = backtest::Comparison::default();
    for pair in &pairs {
        comparison.add(pair);
    }
    let report = comparison.report();
    let (before, after) = (about(app, &serving).await, about(app, &built).await);
    let mut changes = Vec::new();
    for import in &replaced {
        let from = serving.dependency_digest(import);
        changes.push(Change {
            seq: 0,
            at: Utc::now(),
            component: serving.decl.id.clone(),
            dependency: import.clone(),
            action,
            from: version(&from, &before, import),
            to: version(&target, &after, import),
            actor: actor.map(str::to_string),
            dry_run: Some(DryRunSummary {
                decisions: report.decisions,
                identical: report.identical,
                moved: report.moved_total,
            }),
        });
    }
    if request.dry_run {
        return Ok(json!({ "changed": false, "changes": changes, "dry_run": report }));
    }
    stage("switching");
    app.replace(built)
        .map_err(|e| Refusal::internal(anyhow::anyhow!("{e}")))?;
    let mut recorded = Vec::new();
    for change in changes {
        tracing::info!(component = %change.component, dependency = %change.dependency, action = ?change.action, from = %change.from.sha256, to = %change.to.sha256, actor = change.actor.as_deref().unwrap_or("-"), "policy changed");
        recorded.push(app.policies.append(change).map_err(Refusal::internal)?);
    }
    Ok(json!({ "changed": true, "changes": recorded, "dry_run": report }))
}

/// Every component with dependencies: what serves and what a rollback would bring back,
/// and the history, latest first.
pub async fn list(app: &App) -> Value {
    let mut components = Vec::new();
    for id in app.component_ids() {
        let Ok(serving) = app.component(id) else {
            continue;
        };
        if serving.decl.dependencies.is_empty() {
            continue;
        }
        let reported = about(app, &serving).await;
        let dependencies: Vec<Value> = serving
            .decl
            .dependencies
            .iter()
            .map(|d| {
                let digest = serving.dependency_digest(&d.import);
                let stack = app.policies.stack(id, &d.import, &digest);
                json!({
                    "import": d.import,
                    "serving": version(&digest, &reported, &d.import),
                    "rollback_to": stack.len().checked_sub(2).map(|i| &stack[i]),
                })
            })
            .collect();
        components.push(json!({ "component": id, "dependencies": dependencies }));
    }
    json!({ "components": components, "history": app.policies.changes() })
}
