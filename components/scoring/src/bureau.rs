//! The credit bureau behind an outbound HTTP adapter: `bureau_url` (by default the
//! simulator, `http://bureau-simulator.spin.internal`), its host in the component's
//! `allowed_outbound_hosts`. A report pulled for an identifier is stored under its hash and
//! reused for `bureau_reuse_days` (default 30) instead of pulled again — one hard inquiry
//! per window, as lenders do. A bureau that times out (`bureau_timeout_ms`, default 2,500)
//! or fails gives `unavailable`, which refers the application, never fails it.
//!
//! | key | value |
//! |---|---|
//! | `report/{kind}/{hmac}` | the last report pulled for the identifier, and when |

use std::time::Duration;

use chrono::{DateTime, Utc};
use lendstore::{Change, Kv};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use underwriting::bureau::{BusinessReport, ConsumerReport};

/// Where the bureau is when `bureau_url` is not set.
pub const DEFAULT_URL: &str = "http://bureau-simulator.spin.internal";
/// How long to wait for the bureau when `bureau_timeout_ms` is not set.
pub const DEFAULT_TIMEOUT_MS: u64 = 2_500;
/// How long a report is reused when `bureau_reuse_days` is not set.
pub const DEFAULT_REUSE_DAYS: u64 = 30;
/// Compare-and-swap attempts when storing a report.
const STORE_ATTEMPTS: u32 = 4;

/// What every report the adapter reads tells it.
pub trait Report: Serialize + DeserializeOwned + Clone {
    /// The bureau's reference.
    fn id(&self) -> &str;
    /// Whether the bureau holds a file.
    fn hit(&self) -> bool;
}

impl Report for ConsumerReport {
    fn id(&self) -> &str {
        &self.report_id
    }
    fn hit(&self) -> bool {
        self.hit
    }
}

impl Report for BusinessReport {
    fn id(&self) -> &str {
        &self.report_id
    }
    fn hit(&self) -> bool {
        self.hit
    }
}

/// How a pull went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A file was returned.
    Ok,
    /// The bureau holds no file.
    NoHit,
    /// The bureau did not answer in time, or answered nonsense.
    Unavailable,
}

/// A report as stored for reuse.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored<R> {
    /// When it was pulled.
    pub pulled_at: DateTime<Utc>,
    /// The report.
    pub report: R,
}

/// The outcome of asking for a report.
#[derive(Debug, Clone)]
pub struct Pull<R> {
    /// How it went.
    pub status: Status,
    /// The report, when the bureau answered.
    pub report: Option<Stored<R>>,
    /// Whether a stored report was reused instead of pulled.
    pub reused: bool,
}

impl<R: Report> Pull<R> {
    /// The pull as scoring answers it (without the report itself).
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "status": self.status,
            "report_id": self.report.as_ref().map(|s| s.report.id().to_string()),
            "pulled_at": self.report.as_ref().map(|s| s.pulled_at),
            "reused": self.reused,
        })
    }
}

/// The adapter's settings, from the component's variables.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The bureau's base URL.
    pub url: String,
    /// How long one call may take.
    pub timeout: Duration,
    /// How long a stored report is reused.
    pub reuse: chrono::Duration,
}

impl Settings {
    /// `bureau_url`, `bureau_timeout_ms` and `bureau_reuse_days`.
    pub fn from_variables() -> Result<Settings, lendkit::Problem> {
        Ok(Settings {
            url: lendkit::vars::text("bureau_url").unwrap_or_else(|| DEFAULT_URL.into()),
            timeout: Duration::from_millis(lendkit::vars::number(
                "bureau_timeout_ms",
                DEFAULT_TIMEOUT_MS,
                1..=30_000,
            )?),
            reuse: chrono::Duration::days(lendkit::vars::number(
                "bureau_reuse_days",
                DEFAULT_REUSE_DAYS,
                0..=365,
            )? as i64),
        })
    }
}

/// Where the last report of `kind` for the identifier hashed `hash` is kept.
pub fn report_key(kind: &str, hash: &str) -> String {
    format!("report/{kind}/{hash}")
}

/// The report of `kind` for the identifier hashed `hash`: the stored one when younger than
/// the reuse window, else one pulled by POSTing `body` to the bureau's `path` (and stored).
pub fn pull<R: Report, K: Kv>(
    kv: &K,
    settings: &Settings,
    kind: &str,
    hash: &str,
    path: &str,
    body: &serde_json::Value,
    now: DateTime<Utc>,
) -> Pull<R> {
    let key = report_key(kind, hash);
    let stored: Option<Stored<R>> = kv
        .get(&key)
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if let Some(stored) = stored.filter(|s| now - s.pulled_at < settings.reuse) {
        let status = if stored.report.hit() {
            Status::Ok
        } else {
            Status::NoHit
        };
        return Pull {
            status,
            report: Some(stored),
            reused: true,
        };
    }
    let url = format!("{}{path}", settings.url.trim_end_matches('/'));
    let answered =
        lendkit::outbound::post_json(&url, body.to_string().as_bytes(), settings.timeout)
            .ok()
            .filter(|answer| answer.status == 200)
            .and_then(|answer| serde_json::from_slice::<R>(&answer.body).ok());
    let Some(report) = answered else {
        return Pull {
            status: Status::Unavailable,
            report: None,
            reused: false,
        };
    };
    let stored = Stored {
        pulled_at: now,
        report,
    };
    // Keeping the report for reuse is a saving, not a duty: a store that refuses it only
    // means the next application pulls again.
    if let Ok(bytes) = serde_json::to_vec(&stored) {
        let _ = lendstore::update(kv, &key, STORE_ATTEMPTS, |_| {
            Ok::<_, lendstore::StoreError>(Change::Write(bytes.clone(), ()))
        });
    }
    let status = if stored.report.hit() {
        Status::Ok
    } else {
        Status::NoHit
    };
    Pull {
        status,
        report: Some(stored),
        reused: false,
    }
}
