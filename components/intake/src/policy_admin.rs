//! Policy administration, behind intake's authentication: hot swaps, rollbacks and
//! backtests are the lendwork host's (its control plane at `http://control.lendwork.internal`,
//! the only component allowed to reach it being this one), the shadow challenger's report
//! is decisioning's. Who asked (`role:key id`) travels in the `lendwork-actor` header so the
//! host's policy history names them.
//!
//! On plain Spin there is no control plane: these routes answer 503 and say how the same
//! change is made there (point the dependency at the new file and redeploy).

use lendkit::{Ctx, Problem};
use spin_sdk::http::{Method, Response};

use crate::stages::{decisioning, relay};

/// The variable naming the control plane's base URL.
pub const CONTROL_URL_VARIABLE: &str = "control_url";
/// Where the lendwork host's control plane is when the variable is not set.
pub const DEFAULT_CONTROL_URL: &str = "http://control.lendwork.internal";

fn control_url(path: &str) -> String {
    let base = lendkit::vars::text(CONTROL_URL_VARIABLE)
        .unwrap_or_else(|| DEFAULT_CONTROL_URL.to_string());
    format!("{}{path}", base.trim_end_matches('/'))
}

/// Decision `id` replayed by the host through the policy bytes recorded with it, when
/// the host's control plane answers.
pub fn replay_recorded(id: &str) -> Option<Response> {
    let body = serde_json::json!({ "decision_id": id }).to_string();
    relay(
        Method::Post,
        control_url("/policies/replays"),
        body.into_bytes(),
        "application/json",
        None,
    )
    .ok()
}

fn control(
    ctx: &Ctx<'_>,
    method: Method,
    path: &str,
    content_type: &str,
) -> Result<Response, Problem> {
    let principal = ctx.principal()?;
    let actor = format!("{}:{}", principal.role.as_str(), principal.key_id);
    relay(
        method,
        control_url(path),
        ctx.request.body().to_vec(),
        content_type,
        Some(&actor),
    )
    .map_err(|_| {
        Problem::unavailable("policy administration is unavailable").with_detail(
            "hot swaps and backtests run on the lendwork host; on Spin, point the policy dependency in spin.toml at the new file and redeploy",
        )
    })
}

/// `GET /v1/admin/policies`.
pub fn list(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    control(ctx, Method::Get, "/policies", "application/json")
}

/// `POST /v1/admin/policies/candidates` (body: the `.wasm`).
pub fn stage(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    control(
        ctx,
        Method::Post,
        "/policies/candidates",
        "application/wasm",
    )
}

/// `POST /v1/admin/policies/swap`.
pub fn swap(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    control(ctx, Method::Post, "/policies/swap", "application/json")
}

/// `POST /v1/admin/policies/rollback`.
pub fn rollback(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    control(ctx, Method::Post, "/policies/rollback", "application/json")
}

/// `GET /v1/admin/policies/changes/{id}`.
pub fn change(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.param("id")?.to_string();
    control(
        ctx,
        Method::Get,
        &format!("/policies/changes/{id}"),
        "application/json",
    )
}

/// `POST /v1/admin/policies/backtests`.
pub fn start_backtest(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    control(ctx, Method::Post, "/policies/backtests", "application/json")
}

/// `GET /v1/admin/policies/backtests/{id}`.
pub fn backtest(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.param("id")?.to_string();
    control(
        ctx,
        Method::Get,
        &format!("/policies/backtests/{id}"),
        "application/json",
    )
}

/// `GET /v1/admin/policies/challenger-report?from=&to=&after=`.
pub fn challenger_report(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let query = ctx.request.query();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    relay(
        Method::Get,
        decisioning(&format!("/challenger-report{query}")),
        Vec::new(),
        "application/json",
        None,
    )
    .map_err(|_| Problem::unavailable("an origination stage is unavailable"))
}
