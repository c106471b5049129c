//! The `accrual` component: the daily accrual of every loan, run in bounded slices.
//!
//! * `POST /v1/servicing/accruals` (role `operations`) — `{"as_of": "YYYY-MM-DD"}` (not
//!   after the business date): works on the run through that day for one slice (the
//!   `accrual_slice_ms` variable, default 4 s) and answers it as it stands: `200` once
//!   every partition is done, `202` while some are left (post again, from as many clients
//!   as you like, to go on). Every loan accrues each day up to `as_of` exactly once, so
//!   missed days are caught up and a run again changes nothing.
//! * `GET /v1/servicing/accruals/{as_of}` (roles `operations`, `risk`) — the run through
//!   that day: progress, loans, loan-days, interest by currency to the cent, books advanced
//!   to a calendar date, failures with loan ids and reasons.
//! * Cron (`[[trigger.cron]]`): works on the run through the last day closed, finishing
//!   what close of business left (a day too large for its requests).
#![deny(missing_docs)]

use std::time::Duration;

use chrono::NaiveDate;
use lendkit::{Access, Ctx, Method, Problem, Role, Route};
use loanbook::{accrual, calendar};
use serde::Deserialize;
use spin_sdk::http::Response;

/// The component's name in logs.
pub const COMPONENT: &str = "accrual";
/// A scheduled run's budget (inside the cron trigger's five minutes on `lendwork`).
pub const CRON_BUDGET: Duration = Duration::from_secs(240);

/// Every route this component serves.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/v1/servicing/accruals",
        access: Access::Roles(&[Role::Operations]),
        summary: "Accrue every loan through a day (one slice of the run)",
        handler: post_accrual,
    },
    Route {
        method: Method::Get,
        path: "/v1/servicing/accruals/{as_of}",
        access: Access::Roles(&[Role::Operations, Role::Risk]),
        summary: "A day's accrual run: progress and summary",
        handler: get_accrual,
    },
];

/// An accrual as asked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccrualRequest {
    as_of: NaiveDate,
}

fn post_accrual(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let request: AccrualRequest = ctx.json()?;
    let as_of = accrual::accruable(request.as_of, "/as_of")?;
    let run = accrual::work(as_of, accrual::slice_budget()?)?;
    let status = if run.is_finished() { 200 } else { 202 };
    lendkit::json::respond(status, &accrual::view(&run))
}

fn get_accrual(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let as_of: NaiveDate = ctx
        .param("as_of")?
        .parse()
        .map_err(|_| Problem::not_found("no accrual run for that day (a date is YYYY-MM-DD)"))?;
    let run = accrual::read(as_of)?
        .ok_or_else(|| Problem::not_found("no accrual run through that day"))?;
    lendkit::json::respond(200, &accrual::view(&run))
}

/// The scheduled run: the last day closed, for [`CRON_BUDGET`].
pub fn scheduled() -> Result<(), Problem> {
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    let calendar = calendar::read(&kv, lendkit::vars::business_date()?)?;
    let Some(closed) = calendar.last_closed else {
        return Ok(());
    };
    accrual::work(closed.date, CRON_BUDGET).map(|_| ())
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> spin_sdk::http::Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}

lendcron::cron_job!(crate::scheduled);
