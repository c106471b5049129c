//! The control plane's HTTP interface, at `http://control.lendwork.internal`
//! ([`crate::outbound::CONTROL_HOST`]): reachable only by components whose
//! `allowed_outbound_hosts` name it. Intake relays its public, authenticated
//! `/v1/admin/policies…` routes here (roles `risk`, `admin`) and passes who asked in the
//! `lendwork-actor` header.
//!
//! | route | does |
//! |---|---|
//! | `GET /policies` | what serves, what a rollback brings back, the history |
//! | `POST /policies/candidates` | stages a `.wasm` (the body): checked, kept by digest |
//! | `POST /policies/swap` | `{component, candidate, dependency?, dry_run?, sample?}`: 202 and the job |
//! | `POST /policies/rollback` | `{component, dependency?}`: 202 and the job |
//! | `GET /policies/changes/{id}` | the swap or rollback job: its stage, outcome or problem |
//! | `POST /policies/backtests` | `{component?, candidate, from?, to?}`: 202 and the job |
//! | `GET /policies/backtests/{id}` | the job, its progress and report |
//! | `POST /policies/replays` | `{component?, decision_id}`: the decision replayed through the policy bytes that made it |

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasmtime_wasi_http::WasiBody;

use super::{CANDIDATE_BYTES_MAX, ChangeRequest, Refusal, backtests, replays};
use crate::app::App;

/// The header carrying who asked, as the relaying component authenticated them.
pub const ACTOR_HEADER: &str = "lendwork-actor";

fn respond(status: u16, body: &Value) -> http::Response<WasiBody> {
    let mut response = http::Response::new(crate::app::full_body(body.to_string()));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn refuse(refusal: Refusal) -> http::Response<WasiBody> {
    crate::problem::response(refusal.status, refusal.slug, refusal.title, &refusal.detail)
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body)
        .map_err(|e| Refusal::new(400, "invalid-json", "Invalid JSON", e.to_string()))
}

/// Answers one control-plane request.
pub async fn handle(app: &Arc<App>, request: http::Request<WasiBody>) -> http::Response<WasiBody> {
    let (parts, body) = request.into_parts();
    let actor = parts
        .headers
        .get(ACTOR_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match Limited::new(body, CANDIDATE_BYTES_MAX + 1).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return refuse(Refusal::rejected(format!(
                "a request may carry at most {CANDIDATE_BYTES_MAX} bytes"
            )));
        }
    };
    let path = parts.uri.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let answer = match (parts.method.as_str(), segments.as_slice()) {
        ("GET", ["policies"]) => Ok((200, super::list(app).await)),
        ("POST", ["policies", "candidates"]) => app.policies.stage(body.to_vec()).map(|v| (201, v)),
        ("POST", ["policies", action @ ("swap" | "rollback")]) => parse::<ChangeRequest>(&body)
            .and_then(|request| {
                super::start_change(app, request, *action == "rollback", actor)
                    .map(|job| (202, serde_json::to_value(job).unwrap_or_default()))
            }),
        ("GET", ["policies", "changes", id]) => app
            .policies
            .changes_jobs
            .get(id)
            .map(|job| (200, serde_json::to_value(job).unwrap_or_default()))
            .ok_or_else(|| Refusal::not_found("no swap or rollback with that id on this host")),
        ("POST", ["policies", "backtests"]) => match parse::<backtests::BacktestRequest>(&body) {
            Ok(request) => backtests::start(app, request)
                .await
                .map(|job| (202, serde_json::to_value(job).unwrap_or_default())),
            Err(refusal) => Err(refusal),
        },
        ("GET", ["policies", "backtests", id]) => app
            .policies
            .backtests
            .get(id)
            .map(|job| (200, serde_json::to_value(job).unwrap_or_default()))
            .ok_or_else(|| Refusal::not_found("no backtest with that id on this host")),
        ("POST", ["policies", "replays"]) => match parse::<replays::ReplayRequest>(&body) {
            Ok(request) => replays::replay(app, &request).await,
            Err(refusal) => Err(refusal),
        },
        _ => Err(Refusal::not_found("no such control-plane route")),
    };
    match answer {
        Ok((status, body)) => respond(status, &body),
        Err(refusal) => refuse(refusal),
    }
}
