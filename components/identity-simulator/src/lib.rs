//! A simulator of an identity-verification provider, shipped for development and tests and
//! reached by service chaining (`http://identity-simulator.spin.internal`, a private
//! endpoint). Production sets `identity_url` to the real provider and lists its host in the
//! screening component's `allowed_outbound_hosts`.
//!
//! `POST /verify` with `{"first_name", "last_name", "date_of_birth", "national_id",
//! "postal_code"}` answers `{"result": "verified" | "review" | "failed", "reference",
//! "reason"?}`. Its behaviour is chosen by the last name, so tests can play every case:
//!
//! | last name | answer |
//! |---|---|
//! | `Unverifiable` | `failed`: no such identity |
//! | `Mismatch` | `review`: the date of birth does not match the records |
//! | `Slowpoke` | answers after [`SLOW_ANSWER_MS`] (past any sensible timeout) |
//! | `Broken` | a 500 |
//! | anything else | `verified` |

use lendkit::{Access, Ctx, Method, Problem, Route};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use spin_sdk::http::Response;

/// How long the `Slowpoke` case waits before answering, in milliseconds.
pub const SLOW_ANSWER_MS: u64 = 3_000;

/// The routes (public: the trigger is private, see the module docs).
pub const ROUTES: &[Route] = &[Route {
    method: Method::Post,
    path: "/verify",
    access: Access::Public,
    summary: "Verify an identity (simulated provider)",
    handler: verify,
}];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Subject {
    first_name: String,
    last_name: String,
    date_of_birth: String,
    national_id: String,
    postal_code: String,
}

fn verify(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let subject: Subject = ctx.json()?;
    // A stable reference, as a provider's transaction id would be, without the inputs.
    let mut hasher = Sha256::new();
    for part in [
        &subject.first_name,
        &subject.last_name,
        &subject.date_of_birth,
        &subject.national_id,
        &subject.postal_code,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let reference = format!("idv_{}", &hex::encode(hasher.finalize())[..16]);
    let answer = match subject.last_name.as_str() {
        "Unverifiable" => {
            json!({ "result": "failed", "reference": reference, "reason": "no identity matches these details" })
        }
        "Mismatch" => {
            json!({ "result": "review", "reference": reference, "reason": "the date of birth does not match the records" })
        }
        "Broken" => return Err(Problem::internal("the simulated provider failed")),
        "Slowpoke" => {
            std::thread::sleep(std::time::Duration::from_millis(SLOW_ANSWER_MS));
            json!({ "result": "verified", "reference": reference })
        }
        _ => json!({ "result": "verified", "reference": reference }),
    };
    lendkit::json::respond(200, &answer)
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> Response {
    lendkit::serve("identity-simulator", ROUTES, &request)
}
