//! The request pipeline: route, authenticate, run the handler, render problems, log.

use crate::auth::{self, KeyRing, Principal};
use crate::idempotency::{self, IDEMPOTENCY_KEY_HEADER};
use crate::log::{Level, Line};
use crate::router::{self, Access, Params, Query, Role, Route};
use crate::{Problem, json, webhook};
use serde::de::DeserializeOwned;
use spin_sdk::http::{Method as SpinMethod, Request, Response};
use std::hash::{BuildHasher, Hasher};
use std::time::Instant;

/// Request header a caller (or a gateway) may set to correlate logs; echoed in the
/// response. Accepted when it is 1–64 characters of `A-Za-z0-9._:-`, replaced otherwise.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Prefix of problem `instance` values: the request id makes an occurrence findable in
/// the logs without putting anything from the request in the problem.
pub const INSTANCE_PREFIX: &str = "urn:lendwork:request:";

/// Everything a handler gets about its request.
pub struct Ctx<'a> {
    /// The component's name (as in `spin.toml`), for logs and key prefixes.
    pub component: &'static str,
    /// The matched route.
    pub route: &'a Route,
    /// Path parameters.
    pub params: Params,
    /// Query parameters.
    pub query: Query,
    /// The authenticated caller; `None` on public routes.
    pub principal: Option<Principal>,
    /// The request id (also in the log line and the `x-request-id` response header).
    pub request_id: String,
    /// The request (use the helpers below rather than reading the body directly).
    pub request: &'a Request,
}

impl std::fmt::Debug for Ctx<'_> {
    // No headers or body: they may hold credentials and personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("component", &self.component)
            .field("route", &self.route.path)
            .field("principal", &self.principal)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl Ctx<'_> {
    /// A path parameter. A 500 problem if the route template has no such parameter
    /// (a programming error, caught by the first test that calls the route).
    pub fn param(&self, name: &str) -> Result<&str, Problem> {
        self.params
            .get(name)
            .ok_or_else(|| Problem::internal("route parameter missing"))
    }

    /// A request header as UTF-8 (lower- or mixed-case name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.header(name).and_then(|v| v.as_str())
    }

    /// The request path (without query).
    pub fn path(&self) -> &str {
        request_path(self.request)
    }

    /// The authenticated caller, or a 401 problem (for handlers of protected routes).
    pub fn principal(&self) -> Result<&Principal, Problem> {
        self.principal
            .as_ref()
            .ok_or_else(|| Problem::unauthorized("this route requires an API key"))
    }

    /// The body parsed as JSON into `T` (415/413/400/422 problems; see [`json::parse_body`]).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        json::parse_body(self.header("content-type"), self.request.body())
    }

    /// SHA-256 of the raw body (the idempotency fingerprint).
    pub fn body_sha256(&self) -> [u8; 32] {
        idempotency::body_sha256(self.request.body())
    }

    /// The validated `Idempotency-Key` header, if sent (400 problem if malformed).
    pub fn idempotency_key(&self) -> Result<Option<&str>, Problem> {
        match self.request.header(IDEMPOTENCY_KEY_HEADER) {
            None => Ok(None),
            Some(value) => {
                let value = value.as_str().unwrap_or("\u{0}");
                idempotency::validate_key(value).map(Some)
            }
        }
    }
}

/// The request's full path, without query string.
///
/// Spin passes the original URL to the component, so this is the path the client sent,
/// base path included; when the URI cannot be parsed, the `spin-full-url` header is used.
pub fn request_path(request: &Request) -> &str {
    let path = request.path();
    if !path.is_empty() {
        return path;
    }
    let url = request
        .header("spin-full-url")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_query = after_scheme
        .find('/')
        .map_or("", |start| &after_scheme[start..]);
    path_and_query.split(['?', '#']).next().unwrap_or_default()
}

fn method_name(method: &SpinMethod) -> &'static str {
    match method {
        SpinMethod::Get => "GET",
        SpinMethod::Post => "POST",
        SpinMethod::Put => "PUT",
        SpinMethod::Delete => "DELETE",
        SpinMethod::Patch => "PATCH",
        SpinMethod::Head => "HEAD",
        SpinMethod::Options => "OPTIONS",
        SpinMethod::Connect => "CONNECT",
        SpinMethod::Trace => "TRACE",
        SpinMethod::Other(_) => "OTHER",
    }
}

fn request_id(request: &Request) -> String {
    let given = request.header(REQUEST_ID_HEADER).and_then(|v| v.as_str());
    match given {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-')
                }) =>
        {
            id.to_owned()
        }
        _ => random_token(),
    }
}

/// 64 random bits as 16 hex digits: request ids, and the tokens by which a request
/// recognises its own writes. `RandomState` is seeded from the host's random source
/// (`wasi:random` in guests) and re-keyed for every call.
pub fn random_token() -> String {
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:016x}", hasher.finish())
}

/// The partner that signed a webhook request: the `{partner}` path parameter, once its
/// signature over the body checks out against the `partner_secrets` variable (401
/// otherwise).
fn partner_of_webhook(params: &Params, request: &Request) -> Result<Principal, Problem> {
    let partner = params
        .get("partner")
        .ok_or_else(|| Problem::internal("a webhook route needs a {partner} parameter"))?;
    let header = |name: &str| request.header(name).and_then(|v| v.as_str());
    let now_seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    webhook::Secrets::from_spin_variable()?.verify(
        partner,
        webhook::Signed {
            id: header(webhook::ID_HEADER),
            timestamp: header(webhook::TIMESTAMP_HEADER),
            signature: header(webhook::SIGNATURE_HEADER),
        },
        request.body(),
        now_seconds,
    )?;
    Ok(Principal {
        role: Role::Partner,
        key_id: format!("webhook:{partner}"),
    })
}

/// Serve one request from a route table: the whole pipeline for a component.
///
/// Matches the route (404/405), authenticates against the `api_keys` Spin variable
/// (401/403, 500 if misconfigured), runs the handler, renders any [`Problem`] with the
/// request id as `instance`, sets `x-request-id`, and logs one line.
pub fn serve(component: &'static str, routes: &[Route], request: &Request) -> Response {
    serve_with(component, routes, request, KeyRing::from_spin_variable)
}

/// [`serve`] with the key source supplied by the caller (tests use a fixed [`KeyRing`]).
pub fn serve_with(
    component: &'static str,
    routes: &[Route],
    request: &Request,
    load_keys: impl FnOnce() -> Result<KeyRing, Problem>,
) -> Response {
    let started = Instant::now();
    let request_id = request_id(request);
    let method = method_name(request.method());
    let mut route_template: Option<&Route> = None;
    let mut principal_key: Option<(&'static str, String)> = None;

    let outcome = (|| {
        if let Some(answer) = crate::cors::preflight(routes, request) {
            return Ok(answer);
        }
        let found = router::match_route(routes, method, request_path(request))?;
        route_template = Some(found.route);
        let header = |name: &str| request.header(name).and_then(|v| v.as_str());
        let principal = match found.route.access {
            Access::PartnerWebhook => Some(partner_of_webhook(&found.params, request)?),
            access => auth::authenticate(
                &access,
                header("authorization"),
                header("x-api-key"),
                load_keys,
            )?,
        };
        principal_key = principal
            .as_ref()
            .map(|p| (p.role.as_str(), p.key_id.clone()));
        let ctx = Ctx {
            component,
            route: found.route,
            params: found.params,
            query: Query::parse(request.query())?,
            principal,
            request_id: request_id.clone(),
            request,
        };
        (found.route.handler)(&ctx)
    })();

    let mut response = match outcome {
        Ok(response) => response,
        Err(problem) => {
            let problem = if problem.instance.is_none() {
                problem.with_instance(format!("{INSTANCE_PREFIX}{request_id}"))
            } else {
                problem
            };
            problem.into_response()
        }
    };
    response.set_header(REQUEST_ID_HEADER, request_id.as_str());
    crate::cors::decorate(request, &mut response);

    let status = *response.status();
    let mut line = Line::new(Level::for_status(status), component, "request")
        .id("request_id", &request_id)
        .field("method", method)
        .field(
            "route",
            route_template.map_or("unmatched", |route| route.path),
        )
        .field("status", status)
        .field("duration_us", started.elapsed().as_micros() as u64);
    if let Some((role, key_id)) = &principal_key {
        line = line.field("role", *role).id("key_id", key_id);
    }
    line.emit();
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Access, Method, Role};

    fn echo(ctx: &Ctx<'_>) -> Result<Response, Problem> {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct Body {
            amount: u64,
        }
        let body: Body = ctx.json()?;
        json::respond(
            200,
            &serde_json::json!({
                "book": ctx.param("book")?,
                "limit": ctx.query.parse_as::<u32>("limit")?,
                "role": ctx.principal()?.role.as_str(),
                "amount": body.amount,
            }),
        )
    }

    fn health(_: &Ctx<'_>) -> Result<Response, Problem> {
        json::respond(200, &serde_json::json!({"status": "ok"}))
    }

    const ROUTES: &[Route] = &[
        Route {
            method: Method::Post,
            path: "/v1/books/{book}/echo",
            access: Access::Roles(&[Role::Operations]),
            summary: "echo",
            handler: echo,
        },
        Route {
            method: Method::Get,
            path: "/v1/health",
            access: Access::Public,
            summary: "health",
            handler: health,
        },
    ];

    fn keys() -> Result<KeyRing, Problem> {
        Ok(KeyRing::parse("operations:ops; applicant:app").unwrap())
    }

    fn request(method: SpinMethod, uri: &str, headers: &[(&str, &str)], body: &str) -> Request {
        let mut builder = Request::builder();
        builder.method(method).uri(uri).body(body.to_owned());
        for (name, value) in headers {
            builder.header(*name, *value);
        }
        builder.build()
    }

    fn problem_of(response: &Response) -> serde_json::Value {
        assert_eq!(
            response.header("content-type").unwrap().as_str(),
            Some(crate::PROBLEM_JSON)
        );
        serde_json::from_slice(response.body()).unwrap()
    }

    #[test]
    fn full_pipeline_success() {
        let req = request(
            SpinMethod::Post,
            "http://localhost:3000/v1/books/main/echo?limit=7",
            &[
                ("authorization", "Bearer ops"),
                ("content-type", "application/json"),
                ("x-request-id", "req-1"),
            ],
            r#"{"amount": 5}"#,
        );
        let response = serve_with("test", ROUTES, &req, keys);
        assert_eq!(*response.status(), 200);
        assert_eq!(
            response.header("x-request-id").unwrap().as_str(),
            Some("req-1")
        );
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"book": "main", "limit": 7, "role": "operations", "amount": 5})
        );
    }

    #[test]
    fn pipeline_errors() {
        let post = |headers: &[(&str, &str)], body: &str| {
            let req = request(SpinMethod::Post, "/v1/books/main/echo", headers, body);
            serve_with("test", ROUTES, &req, keys)
        };
        let json = ("content-type", "application/json");
        assert_eq!(*post(&[json], "{}").status(), 401);
        assert_eq!(*post(&[json, ("x-api-key", "app")], "{}").status(), 403);
        let r = post(&[("x-api-key", "ops")], "{}");
        assert_eq!(*r.status(), 415);
        let r = post(&[json, ("x-api-key", "ops")], r#"{"amount":"x"}"#);
        assert_eq!(*r.status(), 422);
        let p = problem_of(&r);
        assert_eq!(p["errors"][0]["field"], "amount");
        assert!(p["instance"].as_str().unwrap().starts_with(INSTANCE_PREFIX));
        // The generated request id is the instance's suffix.
        let id = r
            .header("x-request-id")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(p["instance"], format!("{INSTANCE_PREFIX}{id}"));
    }

    #[test]
    fn unknown_and_wrong_method() {
        let req = request(SpinMethod::Get, "/v1/nothing", &[], "");
        let r = serve_with("test", ROUTES, &req, keys);
        assert_eq!(*r.status(), 404);
        assert_eq!(problem_of(&r)["status"], 404);
        let req = request(SpinMethod::Delete, "/v1/health", &[], "");
        let r = serve_with("test", ROUTES, &req, keys);
        assert_eq!(*r.status(), 405);
        assert_eq!(r.header("allow").unwrap().as_str(), Some("GET"));
    }

    #[test]
    fn public_route_needs_no_keys() {
        let req = request(
            SpinMethod::Get,
            "/v1/health",
            &[("x-request-id", "bad id!")],
            "",
        );
        let r = serve_with("test", ROUTES, &req, || panic!("keys loaded"));
        assert_eq!(*r.status(), 200);
        let id = r.header("x-request-id").unwrap().as_str().unwrap();
        assert_eq!(id.len(), 16, "invalid request ids are replaced");
    }

    #[test]
    fn path_from_full_url_header() {
        let req = request(
            SpinMethod::Get,
            "",
            &[("spin-full-url", "http://h:3000/v1/health?x=1")],
            "",
        );
        assert_eq!(request_path(&req), "/v1/health");
    }

    #[test]
    fn idempotency_key_header() {
        let route = &ROUTES[0];
        let check = |value: Option<&str>| {
            let headers: Vec<(&str, &str)> = value
                .map(|v| vec![("idempotency-key", v)])
                .unwrap_or_default();
            let req = request(SpinMethod::Post, "/v1/books/b/echo", &headers, "");
            let ctx = Ctx {
                component: "test",
                route,
                params: Params::default(),
                query: Query::default(),
                principal: None,
                request_id: "r".into(),
                request: &req,
            };
            ctx.idempotency_key().map(|k| k.map(str::to_owned))
        };
        assert_eq!(check(None).unwrap(), None);
        assert_eq!(check(Some("k-1")).unwrap().as_deref(), Some("k-1"));
        assert_eq!(check(Some("k 1")).unwrap_err().status, 400);
    }

    #[test]
    fn idempotent_run_replays() {
        let store = lendstore::sim::SimKv::new(lendstore::sim::Semantics::SpinSqlite);
        let route = &ROUTES[0];
        let req = request(
            SpinMethod::Post,
            "/v1/books/b/echo",
            &[("idempotency-key", "k-1")],
            r#"{"amount":1}"#,
        );
        let ctx = Ctx {
            component: "test",
            route,
            params: Params::default(),
            query: Query::default(),
            principal: None,
            request_id: "r".into(),
            request: &req,
        };
        let mut runs = 0;
        for _ in 0..3 {
            let r = idempotency::run(&store, &ctx, ctx.idempotency_key().unwrap(), || {
                runs += 1;
                json::respond(201, &serde_json::json!({"n": 1}))
            })
            .unwrap();
            assert_eq!(*r.status(), 201);
        }
        assert_eq!(runs, 1);
    }
}
