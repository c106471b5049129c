//! Platform endpoints: the OpenAPI document, health, and the problem-details 404 for
//! every path no other component claims (`spin.toml` routes `/...` here, so unknown
//! routes get problem details on any Spin runtime, not the runtime's own 404 page).
#![deny(missing_docs)]

use lendkit::{Access, Ctx, Method, Problem, Route};
use spin_sdk::http::{Request, Response};

/// The component's name in `spin.toml`.
pub const COMPONENT: &str = "platform";

/// The OpenAPI 3.1 document for the whole API, from the repository's `api/` directory.
pub const OPENAPI_JSON: &str = include_str!("../../../api/openapi.json");

/// The application version reported by `/v1/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every route this component serves; anything else it receives is a 404 problem.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/v1/openapi.json",
        access: Access::Public,
        summary: "This OpenAPI document",
        handler: openapi,
    },
    Route {
        method: Method::Get,
        path: "/v1/health",
        access: Access::Public,
        summary: "Liveness and version",
        handler: health,
    },
];

fn openapi(_: &Ctx<'_>) -> Result<Response, Problem> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", lendkit::json::JSON)
        .header("cache-control", "public, max-age=300")
        .body(OPENAPI_JSON)
        .build())
}

fn health(_: &Ctx<'_>) -> Result<Response, Problem> {
    lendkit::json::respond(
        200,
        &serde_json::json!({ "status": "ok", "version": VERSION }),
    )
}

/// Serve one request (the pipeline is lendkit's; the route table is above).
pub fn handle(request: &Request) -> Response {
    lendkit::serve(COMPONENT, ROUTES, request)
}

// Only in the guest: natively the crate is an rlib for tests, and a native cdylib cannot
// link the `wasi:http/incoming-handler@0.2.0#handle` export name.
#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle_platform(request: Request) -> Response {
    handle(&request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_sdk::http::Method as SpinMethod;

    fn get(method: SpinMethod, path: &str) -> Response {
        let request = Request::builder().method(method).uri(path).build();
        // Every platform route is public: no keys are ever loaded.
        lendkit::serve_with(COMPONENT, ROUTES, &request, || {
            panic!("platform routes are public")
        })
    }

    #[test]
    fn health_reports_ok_and_version() {
        let response = get(SpinMethod::Get, "/v1/health");
        assert_eq!(*response.status(), 200);
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["version"], VERSION);
    }

    #[test]
    fn serves_the_document() {
        let response = get(SpinMethod::Get, "/v1/openapi.json");
        assert_eq!(*response.status(), 200);
        let doc: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
        assert_eq!(doc["info"]["version"], VERSION);
    }

    #[test]
    fn unknown_paths_are_problem_404s() {
        for path in ["/", "/v2/anything", "/v1/health/extra", "/v1/ledger"] {
            let response = get(SpinMethod::Get, path);
            assert_eq!(*response.status(), 404, "{path}");
            assert_eq!(
                response.header("content-type").unwrap().as_str(),
                Some(lendkit::PROBLEM_JSON)
            );
            let problem: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
            assert_eq!(problem["status"], 404);
        }
        let response = get(SpinMethod::Post, "/v1/health");
        assert_eq!(*response.status(), 405);
    }
}
