//! Exact replay through the policy bytes that made a decision, after they were swapped out.
//!
//! A component replays a stored decision with the policy composed into it
//! (`POST /decisions/{id}/replay`), which is only the recorded policy while that version
//! serves. The host keeps every version that served (by digest, [`super::Registry`]), so
//! here it builds the component beside the serving version with the recorded version in
//! place of the serving one — once: compiled components are cached by their composed bytes
//! — and replays the decision there.

use serde::Deserialize;
use serde_json::Value;

use super::{Refusal, build_with, call, interface_of};
use crate::app::App;

/// What a replay asks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// The component that made the decision (default `decisioning`).
    #[serde(default = "default_component")]
    pub component: String,
    /// The decision.
    pub decision_id: String,
}

fn default_component() -> String {
    "decisioning".into()
}

/// Replays `request`'s decision through the policy bytes recorded with it; the component's
/// status and answer.
pub async fn replay(app: &App, request: &ReplayRequest) -> Result<(u16, Value), Refusal> {
    let id = &request.decision_id;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Refusal::new(
            400,
            "invalid-decision-id",
            "Invalid Decision Id",
            "`decision_id` must be a decision id",
        ));
    }
    let serving = app
        .component(&request.component)
        .map_err(|_| Refusal::not_found(format!("no component `{}`", request.component)))?;
    let path = format!("/decisions/{id}/replay");
    let (status, decision) = call(
        app,
        &serving,
        http::Method::GET,
        &format!("/decisions/{id}"),
        None,
    )
    .await?;
    if status != 200 {
        return Ok((status, decision));
    }
    // The policy interface (`consumer`, `business`) is the facts' kind.
    let (Some(kind), Some(recorded)) = (
        decision["facts"]["kind"].as_str(),
        decision["policy"]["wasm_sha256"].as_str(),
    ) else {
        // Not made by a policy: the component says so.
        return call(app, &serving, http::Method::POST, &path, None).await;
    };
    let Some(import) = serving
        .decl
        .dependencies
        .iter()
        .map(|d| d.import.clone())
        .find(|import| interface_of(import) == kind)
    else {
        return call(app, &serving, http::Method::POST, &path, None).await;
    };
    if serving.dependency_digest(&import) == recorded {
        return call(app, &serving, http::Method::POST, &path, None).await;
    }
    app.policies.kept(recorded).map_err(|_| {
        Refusal::new(
            409,
            "policy-not-kept",
            "Policy Not Kept",
            format!("this host does not keep the policy version {recorded} that made the decision"),
        )
    })?;
    let built = build_with(app, &serving, &[import], recorded).await?;
    call(app, &built, http::Method::POST, &path, None).await
}
