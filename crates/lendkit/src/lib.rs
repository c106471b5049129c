//! Shared HTTP plumbing for Lendwork components: problem details, routing, JSON bodies,
//! API-key authentication, idempotency keys and logs that cannot leak personal data.
//!
//! A component is a route table plus handlers; [`serve`] does the rest:
//!
//! ```no_run
//! use lendkit::{Access, Ctx, Method, Problem, Role, Route};
//! use spin_sdk::http::{Request, Response};
//!
//! #[derive(serde::Deserialize)]
//! struct Transfer { id: String, amount: String }
//!
//! fn post_transfer(ctx: &Ctx<'_>) -> Result<Response, Problem> {
//!     let store = lendkit::idempotency::open("default")?;
//!     lendkit::idempotency::run(&store, ctx, ctx.idempotency_key()?, || {
//!         let transfer: Transfer = ctx.json()?;                      // 415/413/400/422
//!         if transfer.amount.starts_with('-') {
//!             return Err(Problem::validation(vec![]).with_error("amount", "must be positive"));
//!         }
//!         lendkit::json::respond(201, &serde_json::json!({ "id": transfer.id }))
//!     })
//! }
//!
//! /// Routes of this component (checked against `api/openapi.json` by tests).
//! pub const ROUTES: &[Route] = &[Route {
//!     method: Method::Post,
//!     path: "/v1/books/{book}/transfers",
//!     access: Access::Roles(&[Role::Operations]),
//!     summary: "Move money between accounts",
//!     handler: post_transfer,
//! }];
//!
//! // Guest only: a native cdylib cannot link the `wasi:http/...#handle` export name, and
//! // natively the crate is built as an rlib for tests.
//! #[cfg(target_arch = "wasm32")]
//! #[spin_sdk::http_component]
//! fn handle(req: Request) -> Response {
//!     lendkit::serve("payments", ROUTES, &req)
//! }
//! # fn main() {}
//! ```
#![deny(missing_docs)]

pub mod auth;
pub mod cors;
pub mod idempotency;
pub mod json;
pub mod log;
pub mod mask;
pub mod outbound;
pub mod problem;
pub mod rate;
pub mod router;
pub mod service;
pub mod token;
pub mod vars;
pub mod webhook;

pub use auth::{KeyRing, Principal};
pub use mask::{Masked, Redacted, mask_account_number, mask_date_of_birth, mask_national_id};
pub use problem::{FieldError, PROBLEM_JSON, Problem, ProblemDetails};
pub use router::{Access, Handler, Method, Role, Route};
pub use service::{Ctx, random_token, serve, serve_with};
