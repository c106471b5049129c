//! Backtests: a staged candidate policy re-decides the recorded decisions of a period, a
//! page at a time, in the background; its figures side by side with what was decided
//! ([`backtest::Report`]).
//!
//! A backtest is a job ([`super::jobs`]): `start` checks the request and answers at once;
//! the job composes the candidate into the component beside the serving version (a build at
//! low priority, which under load takes longer than any one request may), then pages through
//! the decision log (each page an ordinary, bounded invocation). Its progress — stage, log
//! position, decisions compared, the report so far — can be read at any time.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::jobs::{self, Job, Status};
use super::{Refusal, build_with, kind_of, replaced_by};
use crate::app::{App, LoadedComponent};

/// Decisions re-decided per page.
pub const PAGE: u64 = 200;

/// What a backtest asks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestRequest {
    /// The component whose decisions are re-decided (default `decisioning`).
    #[serde(default = "default_component")]
    pub component: String,
    /// The staged candidate's SHA-256.
    pub candidate: String,
    /// First day (UTC) of decisions included.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day (UTC) of decisions included.
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

fn default_component() -> String {
    "decisioning".into()
}

/// A backtest and its progress.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestJob {
    /// Its id (`bt_…`).
    pub id: String,
    /// The component.
    pub component: String,
    /// The candidate's SHA-256.
    pub candidate: String,
    /// The dependency it stands in for.
    pub dependencies: Vec<String>,
    /// The period.
    pub from: Option<NaiveDate>,
    /// The period.
    pub to: Option<NaiveDate>,
    /// Where it is.
    pub status: Status,
    /// What it is doing: `building` the candidate, `comparing` decisions, `finished`.
    pub stage: &'static str,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Log positions read.
    pub position: u64,
    /// The log's length when last read.
    pub log_length: u64,
    /// The figures so far.
    pub report: backtest::Report,
    /// Why it failed.
    pub error: Option<String>,
}

impl Job for BacktestJob {
    fn id(&self) -> &str {
        &self.id
    }
}

/// Starts a backtest of `request`; the job as it begins.
pub async fn start(app: &Arc<App>, request: BacktestRequest) -> Result<BacktestJob, Refusal> {
    let candidate = request.candidate.to_ascii_lowercase();
    let bytes = app.policies.kept(&candidate)?;
    let serving = app
        .component(&request.component)
        .map_err(|_| Refusal::not_found(format!("no component `{}`", request.component)))?;
    let (_, exports) = crate::compose::interfaces("candidate", bytes)
        .map_err(|e| Refusal::rejected(format!("{e:#}")))?;
    let replaced = replaced_by(&serving, &exports, None)?;
    let job = BacktestJob {
        id: jobs::new_id("bt"),
        component: request.component.clone(),
        candidate: candidate.clone(),
        dependencies: replaced.clone(),
        from: request.from,
        to: request.to,
        status: Status::Running,
        stage: "building",
        started_at: Utc::now(),
        finished_at: None,
        position: 0,
        log_length: 0,
        report: backtest::Comparison::default().report(),
        error: None,
    };
    let shared = app.policies.backtests.add(job.clone());
    let app = app.clone();
    tokio::spawn(async move {
        let outcome = match build_with(&app, &serving, &replaced, &candidate).await {
            Ok(built) => {
                jobs::update(&shared, |job| job.stage = "comparing");
                compare(&app, &built, &request, &replaced, &shared).await
            }
            Err(refusal) => Err(refusal.detail),
        };
        let finished = {
            let mut job = shared.lock().unwrap_or_else(|e| e.into_inner());
            job.finished_at = Some(Utc::now());
            job.stage = "finished";
            match outcome {
                Ok(()) => job.status = Status::Done,
                Err(error) => {
                    job.status = Status::Failed;
                    job.error = Some(error);
                }
            }
            job.clone()
        };
        tracing::info!(id = %finished.id, status = ?finished.status, decisions = finished.report.decisions, moved = finished.report.moved_total, "backtest finished");
        app.policies.backtests.save(&finished);
    });
    Ok(job)
}

/// Pages `built` through the decision log `request` selects, updating `shared` after each
/// page; why it stopped, if it did not finish.
async fn compare(
    app: &App,
    built: &LoadedComponent,
    request: &BacktestRequest,
    replaced: &[String],
    shared: &Mutex<BacktestJob>,
) -> Result<(), String> {
    let mut comparison = backtest::Comparison::default();
    let mut after = 0;
    loop {
        let query = json!({
            "kind": kind_of(replaced), "from": request.from, "to": request.to,
            "after": after, "limit": PAGE,
        });
        let (pairs, next, length) = super::backtest_page(app, built, query)
            .await
            .map_err(|refusal| refusal.detail)?;
        for pair in &pairs {
            comparison.add(pair);
        }
        jobs::update(shared, |job| {
            job.position = next.unwrap_or(length);
            job.log_length = length;
            job.report = comparison.report();
        });
        match next {
            Some(next) => after = next,
            None => return Ok(()),
        }
    }
}
