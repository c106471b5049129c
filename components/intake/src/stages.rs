//! Origination's later stages, reached through intake's public routes: decisioning and
//! scoring are private endpoints, so the decisions, the credit reports and the scorecard
//! administration they keep are read and changed here, with intake's authentication and
//! roles, and relayed by local service chaining.

use lendkit::{Ctx, Problem};
use spin_sdk::http::{Method, Request, Response};

use crate::decision;

/// The variable naming the scoring service's base URL.
pub const SCORING_URL_VARIABLE: &str = "scoring_url";
/// Where scoring is when the variable is not set.
pub const DEFAULT_SCORING_URL: &str = "http://scoring.spin.internal";

/// Sends `method` `url` with `body` (JSON) and relays the answer's status, content type and
/// body; a stage that cannot be reached is a 503.
pub fn forward(method: Method, url: String, body: Vec<u8>) -> Result<Response, Problem> {
    relay(method, url, body, "application/json", None)
        .map_err(|_| Problem::unavailable("an origination stage is unavailable"))
}

/// The host refused or could not reach the destination.
#[derive(Debug)]
pub struct Unreachable;

/// Sends `method` `url` with `body` of `content_type` (and who asked, as
/// `lendwork-actor`) and relays the answer's status, content type and body.
pub fn relay(
    method: Method,
    url: String,
    body: Vec<u8>,
    content_type: &str,
    actor: Option<&str>,
) -> Result<Response, Unreachable> {
    let mut request = Request::builder();
    request
        .method(method)
        .uri(url)
        .header("content-type", content_type);
    if let Some(actor) = actor {
        request.header("lendwork-actor", actor);
    }
    let sent: Result<Response, _> =
        spin_sdk::http::run(spin_sdk::http::send(request.body(body).build()));
    let answer = sent.map_err(|_| Unreachable)?;
    let mut builder = Response::builder();
    builder.status(*answer.status());
    if let Some(content_type) = answer.header("content-type").and_then(|v| v.as_str()) {
        builder.header("content-type", content_type);
    }
    Ok(builder.body(answer.body().to_vec()).build())
}

/// The URL of `path` on the decisioning stage.
pub fn decisioning(path: &str) -> String {
    let base = lendkit::vars::text(decision::URL_VARIABLE)
        .unwrap_or_else(|| decision::DEFAULT_URL.to_string());
    format!("{}{path}", base.trim_end_matches('/'))
}

fn scoring(path: &str) -> String {
    let base = lendkit::vars::text(SCORING_URL_VARIABLE)
        .unwrap_or_else(|| DEFAULT_SCORING_URL.to_string());
    format!("{}{path}", base.trim_end_matches('/'))
}

/// `GET /v1/decisions?after=&limit=`.
pub fn list_decisions(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let query = ctx
        .request
        .query()
        .is_empty()
        .then(String::new)
        .unwrap_or_else(|| format!("?{}", ctx.request.query()));
    forward(
        Method::Get,
        decisioning(&format!("/decisions{query}")),
        Vec::new(),
    )
}

/// `GET /v1/decisions/{id}`.
pub fn read_decision(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.param("id")?;
    forward(
        Method::Get,
        decisioning(&format!("/decisions/{id}")),
        Vec::new(),
    )
}

/// `POST /v1/decisions/{id}/replay`: through the policy serving, or — when another version
/// made the decision and the lendwork host keeps it — through the recorded version's bytes.
pub fn replay_decision(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.param("id")?;
    let serving = forward(
        Method::Post,
        decisioning(&format!("/decisions/{id}/replay")),
        Vec::new(),
    )?;
    let swapped_out = *serving.status() == 200
        && serde_json::from_slice::<serde_json::Value>(serving.body())
            .is_ok_and(|answer| answer["same_policy"] == false);
    if !swapped_out {
        return Ok(serving);
    }
    // On plain Spin (no control plane), or when the host no longer keeps that version, the
    // answer through the serving policy stands, saying `same_policy: false`.
    Ok(crate::policy_admin::replay_recorded(id)
        .filter(|recorded| *recorded.status() == 200)
        .unwrap_or(serving))
}

/// `GET /v1/applications/{id}/credit-reports`.
pub fn credit_reports(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.param("id")?;
    forward(Method::Get, scoring(&format!("/reports/{id}")), Vec::new())
}

/// `POST /v1/admin/scorecards`.
pub fn load_scorecard(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    forward(
        Method::Post,
        scoring("/scorecards"),
        ctx.request.body().to_vec(),
    )
}

/// `GET /v1/admin/scorecards`.
pub fn scorecards(_ctx: &Ctx<'_>) -> Result<Response, Problem> {
    forward(Method::Get, scoring("/scorecards"), Vec::new())
}
