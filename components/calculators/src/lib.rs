//! Public loan calculators: an amortization schedule with its truth-in-lending figures, and
//! the APR of a payment stream. Pure calculation: no key-value store, no authentication,
//! nothing stored.
//!
//! A request's path: `spin.toml` routes `/v1/calculators/...` here → [`ROUTES`] → a handler
//! that checks the body is JSON → `lendmath::calc` parses the request (naming every bad
//! field) and computes → the response JSON. `lendwork calc` runs the same `lendmath::calc`
//! functions on the command line.
#![deny(missing_docs)]

use lendkit::{Access, Ctx, FieldError, Method, Problem, Route};
use lendmath::calc::{self, CalcError};
use serde::de::IgnoredAny;
use spin_sdk::http::{Request, Response};

/// The component's name in `spin.toml`.
pub const COMPONENT: &str = "calculators";

/// Largest request body accepted, in bytes: lendmath's own limit, which fits the largest
/// valid APR stream (`lendkit`'s default 64 KiB JSON limit would refuse long streams).
pub const REQUEST_BYTES_MAX: usize = calc::REQUEST_BYTES_MAX;

/// Every route this component serves.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/v1/calculators/schedule",
        access: Access::Public,
        summary: "Amortization schedule with truth-in-lending figures",
        handler: post_schedule,
    },
    Route {
        method: Method::Post,
        path: "/v1/calculators/apr",
        access: Access::Public,
        summary: "Annual percentage rate of a payment stream",
        handler: post_apr,
    },
];

fn post_schedule(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let body = json_body(ctx)?;
    let request = calc::parse_schedule_request(body).map_err(validation_problem)?;
    let response = calc::schedule(&request).map_err(validation_problem)?;
    lendkit::json::respond(200, &response)
}

fn post_apr(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let body = json_body(ctx)?;
    let request = calc::parse_apr_request(body).map_err(validation_problem)?;
    let response = calc::apr(&request).map_err(validation_problem)?;
    lendkit::json::respond(200, &response)
}

/// The raw body once it is known to be one JSON document: 415 for another content type,
/// 413 over [`REQUEST_BYTES_MAX`], 400 when empty or not JSON. lendmath then reads the
/// fields itself, so that every bad field is named at once (422).
fn json_body<'a>(ctx: &Ctx<'a>) -> Result<&'a [u8], Problem> {
    let body = ctx.request.body();
    lendkit::json::parse_body_with_limit::<IgnoredAny>(
        ctx.header("content-type"),
        body,
        REQUEST_BYTES_MAX,
    )?;
    Ok(body)
}

/// A rejected calculator request as a 422 problem: lendmath's summary as the detail and
/// one entry per field at fault (an empty field means the request as a whole).
pub fn validation_problem(error: CalcError) -> Problem {
    let errors = error
        .errors
        .into_iter()
        .map(|e| FieldError {
            field: e.field,
            message: e.message,
        })
        .collect();
    Problem::validation(errors).with_detail(error.summary)
}

/// Serve one request (the pipeline is lendkit's; the route table is above).
pub fn handle(request: &Request) -> Response {
    lendkit::serve(COMPONENT, ROUTES, request)
}

// Only in the guest: natively the crate is an rlib for tests, and a native cdylib cannot
// link the `wasi:http/incoming-handler@0.2.0#handle` export name.
#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle_calculators(request: Request) -> Response {
    handle(&request)
}

#[cfg(test)]
mod tests;
