//! A simulator of a credit bureau, shipped for development and tests and reached by
//! service chaining (`http://bureau-simulator.spin.internal`, a private endpoint).
//! Production sets `bureau_url` to the real bureau's adapter endpoint and lists its host in
//! the scoring component's `allowed_outbound_hosts`.
//!
//! * `POST /consumer-reports` with `{"first_name", "last_name", "date_of_birth",
//!   "national_id", "postal_code", "as_of"}` answers an [`underwriting::bureau::ConsumerReport`];
//! * `POST /business-reports` with `{"legal_name", "ein", "formation_date", "as_of"}`
//!   answers an [`underwriting::bureau::BusinessReport`].
//!
//! Reports are deterministic: the same identity on the same day always gets the same
//! report ([`report`]), realistic in shape (a score, accounts with balances, limits and
//! payment history, inquiries, public records). Some names play the cases tests need:
//!
//! | last name (or a business name containing it) | answer |
//! |---|---|
//! | `Nohit` | no file |
//! | `Thinfile` | one young account, unscored |
//! | `Delinquent` | repeated late payments, a low score |
//! | `Bankrupt` | a bankruptcy on file |
//! | `Slowpoke` | answers after [`SLOW_ANSWER_MS`] (past any sensible timeout) |
//! | `Broken` | a 500 |

pub mod report;

use chrono::NaiveDate;
use lendkit::{Access, Ctx, Method, Problem, Route};
use serde::Deserialize;
use spin_sdk::http::Response;

/// How long the `Slowpoke` case waits before answering, in milliseconds.
pub const SLOW_ANSWER_MS: u64 = 3_000;

/// The routes (public: the trigger is private, see the module docs).
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/consumer-reports",
        access: Access::Public,
        summary: "A consumer credit report (simulated bureau)",
        handler: consumer,
    },
    Route {
        method: Method::Post,
        path: "/business-reports",
        access: Access::Public,
        summary: "A business credit report (simulated bureau)",
        handler: business,
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Person {
    first_name: String,
    last_name: String,
    date_of_birth: String,
    national_id: String,
    postal_code: String,
    as_of: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Business {
    legal_name: String,
    ein: String,
    formation_date: NaiveDate,
    as_of: NaiveDate,
}

/// Plays the `Slowpoke` and `Broken` cases.
fn misbehave(name: &str) -> Result<(), Problem> {
    if name.contains("Broken") {
        return Err(Problem::internal("the simulated bureau failed"));
    }
    if name.contains("Slowpoke") {
        std::thread::sleep(std::time::Duration::from_millis(SLOW_ANSWER_MS));
    }
    Ok(())
}

fn consumer(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let person: Person = ctx.json()?;
    misbehave(&person.last_name)?;
    let identity = [
        person.first_name.as_str(),
        &person.last_name,
        &person.date_of_birth,
        &person.national_id,
        &person.postal_code,
    ];
    let case = report::Case::of(&person.last_name);
    lendkit::json::respond(200, &report::consumer(&identity, case, person.as_of))
}

fn business(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let business: Business = ctx.json()?;
    misbehave(&business.legal_name)?;
    let case = report::Case::of(&business.legal_name);
    let identity = [business.legal_name.as_str(), &business.ein];
    lendkit::json::respond(
        200,
        &report::business(&identity, case, business.formation_date, business.as_of),
    )
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> Response {
    lendkit::serve("bureau-simulator", ROUTES, &request)
}
