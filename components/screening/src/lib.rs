//! The `screening` component: a Spin private endpoint (`route = { private = true }`),
//! reachable only by local service chaining (`http://screening.spin.internal`), which intake
//! calls for every application. It keeps the sanctions list as a blocked index in the store
//! labelled `screening` ([`list_store`]) and screens people and businesses against it with
//! the `sanctions` crate's matching.
//!
//! Routes (private: nothing outside the application can reach them):
//! * `POST /sanctions` — load a list (`{"sdn_csv", "alt_csv"?, "add_csv"?}`), replacing the
//!   one in force atomically; intake's admin route forwards here.
//! * `GET /sanctions` — the list in force: digest, load time, size.
//! * `POST /screen` — `{"parties": [{"name", "individual", "birth_year"?, "country"?}],
//!   "identity"?: [subject…], "application"?: {"id", "product", "at", "identifiers"}}`:
//!   per party the sanctions outcome (best score, matched entry) and the list's digest; per
//!   identity subject the provider's verification ([`identity`]); for the application,
//!   duplicates and velocity per identifier ([`velocity`]).

pub mod identity;
pub mod list_store;
pub mod velocity;

use chrono::Utc;
use lendkit::{Access, Ctx, Method, Problem, Route, idempotency};
use sanctions::{Outcome, Person};
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::Response;

/// The component's name in logs.
pub const COMPONENT: &str = "screening";
/// The store holding the list.
pub const STORE_LABEL: &str = "screening";
/// Largest list upload, in bytes: the full SDN files are about 5 MB together.
pub const LIST_BODY_MAX_BYTES: usize = 16 << 20;
/// Most parties one screening request may name (an applicant and ten owners, a business).
pub const PARTIES_MAX: usize = 16;
/// Longest name screened, in characters.
pub const NAME_MAX_CHARS: usize = 200;

/// The routes. `Access::Public` because the trigger is private: only components of this
/// application reach them, through service chaining (see the module docs).
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/sanctions",
        access: Access::Public,
        summary: "Load a sanctions list (private)",
        handler: load_list,
    },
    Route {
        method: Method::Get,
        path: "/sanctions",
        access: Access::Public,
        summary: "The sanctions list in force (private)",
        handler: list_status,
    },
    Route {
        method: Method::Post,
        path: "/screen",
        access: Access::Public,
        summary: "Screen parties against the sanctions list (private)",
        handler: screen,
    },
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListUpload {
    sdn_csv: String,
    alt_csv: Option<String>,
    add_csv: Option<String>,
}

fn load_list(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let upload: ListUpload = lendkit::json::parse_body_with_limit(
        ctx.header("content-type"),
        ctx.request.body(),
        LIST_BODY_MAX_BYTES,
    )?;
    let entries = sanctions::parse_list(
        &upload.sdn_csv,
        upload.alt_csv.as_deref(),
        upload.add_csv.as_deref(),
    )
    .map_err(|error| {
        let field = match error.file {
            "alt.csv" => "alt_csv",
            "add.csv" => "add_csv",
            _ => "sdn_csv",
        };
        Problem::validation(Vec::new()).with_error(field, error.to_string())
    })?;
    if entries.is_empty() {
        return Err(Problem::validation(Vec::new()).with_error("sdn_csv", "holds no entries"));
    }
    let digest = sanctions::list::digest(
        &upload.sdn_csv,
        upload.alt_csv.as_deref(),
        upload.add_csv.as_deref(),
    );
    let store = idempotency::open(STORE_LABEL)?;
    let info = list_store::load(&store, &entries, digest, Utc::now())?;
    lendkit::json::respond(201, &info)
}

fn list_status(_ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let info = list_store::current(&store)?
        .ok_or_else(|| Problem::not_found("no sanctions list is loaded"))?;
    lendkit::json::respond(200, &info)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Party {
    name: String,
    individual: bool,
    birth_year: Option<i32>,
    country: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScreenRequest {
    parties: Vec<Party>,
    #[serde(default)]
    identity: Vec<identity::Subject>,
    application: Option<velocity::Submission>,
}

/// Total time identity verification may take for one application, in milliseconds:
/// whatever the number of people, the screening answers well within an invocation.
pub const IDENTITY_BUDGET_MS: u64 = 4_000;

fn screen(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let request: ScreenRequest = ctx.json()?;
    if request.parties.is_empty() || request.parties.len() > PARTIES_MAX {
        return Err(Problem::validation(Vec::new())
            .with_error("parties", format!("must list 1 to {PARTIES_MAX} parties")));
    }
    if request
        .parties
        .iter()
        .any(|p| p.name.trim().is_empty() || p.name.chars().count() > NAME_MAX_CHARS)
    {
        return Err(Problem::validation(Vec::new()).with_error(
            "parties",
            format!("every name must be 1 to {NAME_MAX_CHARS} characters"),
        ));
    }
    if request.identity.len() > PARTIES_MAX {
        return Err(Problem::validation(Vec::new()).with_error(
            "identity",
            format!("must list at most {PARTIES_MAX} people"),
        ));
    }
    let people: Vec<Person> = request
        .parties
        .into_iter()
        .map(|p| Person {
            name: p.name,
            individual: p.individual,
            birth_year: p.birth_year,
            country: p.country.map(|c| c.to_ascii_lowercase()),
        })
        .collect();
    let store = idempotency::open(STORE_LABEL)?;
    let (list, parties) = sanctions_results(&store, &people)?;
    let declined = parties.iter().any(|p| p["outcome"] == "hit");
    let identity = identity::verify_all(
        &request.identity,
        std::time::Duration::from_millis(IDENTITY_BUDGET_MS),
    );
    let velocity = match &request.application {
        Some(submission) => velocity::check(
            &store,
            submission,
            declined,
            velocity::Rule::from_variables()?,
        )?,
        None => Value::Null,
    };
    lendkit::json::respond(
        200,
        &json!({
            "list": list.as_ref().map(|(info, _, _)| json!({ "digest": info.digest, "loaded_at": info.loaded_at, "entries": info.entries })),
            "threshold": list.as_ref().map(|(_, thresholds, _)| thresholds.possible),
            "candidates_capped": list.as_ref().is_some_and(|(_, _, capped)| *capped),
            "parties": parties,
            "identity": identity,
            "velocity": velocity,
        }),
    )
}

/// Per party the sanctions outcome against the list in force (`not_screened` for every
/// party when none is loaded), with the list, thresholds and whether candidates were capped.
#[allow(clippy::type_complexity)]
fn sanctions_results<K: lendstore::Kv>(
    store: &K,
    people: &[Person],
) -> Result<
    (
        Option<(list_store::ListInfo, sanctions::Thresholds, bool)>,
        Vec<Value>,
    ),
    Problem,
> {
    let Some(list) = list_store::readable(store)? else {
        // Nothing is cleared without a list: every party waits for a person.
        let results = (0..people.len())
            .map(|index| json!({ "index": index, "outcome": "not_screened" }))
            .collect();
        return Ok((None, results));
    };
    let thresholds = list_store::thresholds()?;
    let blocks = list_store::blocks(store, &list, people)?;
    let (candidates, capped) = list_store::candidates(&blocks)?;
    let mut results = Vec::with_capacity(people.len());
    for (index, person) in people.iter().enumerate() {
        let (outcome, best) = sanctions::best_match(person, &candidates, thresholds);
        let matched_entry = match &best {
            Some(best) if outcome != Outcome::Clear => {
                let entry = list_store::entry(store, &list, best.ent_num)?;
                json!({
                    "ent_num": best.ent_num,
                    "name": entry.name,
                    "programs": entry.programs,
                    "matched_name": best.score.matched_name,
                })
            }
            _ => Value::Null,
        };
        results.push(json!({
            "index": index,
            "outcome": match outcome {
                Outcome::Clear => "clear",
                Outcome::PossibleMatch => "possible_match",
                Outcome::Hit => "hit",
            },
            "best_score": best.as_ref().map(|b| (b.score.value * 1000.0).round() / 1000.0),
            "matched_entry": matched_entry,
        }));
    }
    Ok((Some((list, thresholds, capped)), results))
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}
