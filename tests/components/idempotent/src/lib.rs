//! A test component for lendkit's idempotency keys on the real host: `POST /idem/runs`
//! with an `Idempotency-Key` runs a handler that counts its runs per key (and takes a
//! while, so that concurrent requests overlap); `GET /idem/runs/{key}` reads the count.
//! End-to-end tests send the same key from many clients at once and check that the
//! handler ran once and every client got the first response.

use lendkit::idempotency;
use lendkit::{Access, Ctx, Method, Problem, Route};
use lendstore::Kv;
use spin_sdk::http::Response;

/// The store the records and counters live in.
const STORE_LABEL: &str = "default";

/// How long the counted handler works, in milliseconds: long enough that clients sending
/// the same key at once arrive while the first is still running.
const HANDLER_MS: u64 = 20;

/// The routes (public: this component exists only in the host's test application).
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/idem/runs",
        access: Access::Public,
        summary: "Run the counted handler once per idempotency key",
        handler: post_run,
    },
    Route {
        method: Method::Get,
        path: "/idem/runs/{key}",
        access: Access::Public,
        summary: "How often the handler ran for a key",
        handler: get_runs,
    },
];

fn counter_key(key: &str) -> String {
    format!("runs/{key}")
}

fn post_run(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let key = ctx
        .idempotency_key()?
        .ok_or_else(|| Problem::bad_request("send an Idempotency-Key"))?;
    idempotency::run(&store, ctx, Some(key), || {
        let run = store
            .increment(&counter_key(key), 1)
            .map_err(idempotency::store_problem)?;
        std::thread::sleep(std::time::Duration::from_millis(HANDLER_MS));
        lendkit::json::respond(201, &serde_json::json!({ "run": run }))
    })
}

fn get_runs(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let key = ctx.param("key")?;
    // Counters are read through `increment(key, 0)`: Spin's SQLite store keeps them as
    // 8 little-endian bytes, its Redis store as text.
    let runs = store
        .increment(&counter_key(key), 0)
        .map_err(idempotency::store_problem)?;
    lendkit::json::respond(200, &serde_json::json!({ "runs": runs }))
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> Response {
    lendkit::serve("idempotent", ROUTES, &request)
}
