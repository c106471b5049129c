//! Cross-origin requests from borrower web apps: the origins allowed are the variable
//! `cors_allowed_origins` (exact origins such as `https://apply.lender.com`, separated by
//! commas or spaces; unset, no origin is allowed). A preflight (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) for an allowed origin and a route that takes the method
//! gets a 204 with the CORS headers; any other preflight a 403 problem. Answers to allowed
//! origins carry `Access-Control-Allow-Origin`.

use spin_sdk::http::{Request, Response};

use crate::Problem;
use crate::router::{self, Route};
use crate::service::request_path;

/// The variable listing the allowed origins.
pub const ORIGINS_VARIABLE: &str = "cors_allowed_origins";
/// Headers a browser may send cross-origin.
pub const ALLOWED_HEADERS: &str = "authorization, content-type, idempotency-key, x-request-id";
/// Headers a browser may read from an answer.
pub const EXPOSED_HEADERS: &str = "x-request-id, idempotent-replayed, retry-after";
/// How long a browser may cache a preflight, in seconds.
pub const MAX_AGE_SECONDS: u32 = 600;

/// Whether `origin` is one of the allowed origins (`allowed`, as the variable holds them).
pub fn origin_allowed(allowed: &str, origin: &str) -> bool {
    !origin.is_empty()
        && origin != "null"
        && allowed
            .split(|c: char| c == ',' || c.is_whitespace())
            .any(|o| !o.is_empty() && o == origin)
}

fn allowed_origins() -> String {
    spin_sdk::variables::get(ORIGINS_VARIABLE).unwrap_or_default()
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.header(name).and_then(|v| v.as_str())
}

/// The answer to a CORS preflight, when `request` is one.
pub fn preflight(routes: &[Route], request: &Request) -> Option<Response> {
    let origin = header(request, "origin")?;
    let wanted = header(request, "access-control-request-method")?;
    if !matches!(request.method(), spin_sdk::http::Method::Options) {
        return None;
    }
    let path = request_path(request);
    let takes = router::match_route(routes, &wanted.to_ascii_uppercase(), path).is_ok();
    if !takes || !origin_allowed(&allowed_origins(), origin) {
        return Some(
            Problem::forbidden("this origin or method is not allowed here").into_response(),
        );
    }
    Some(
        Response::builder()
            .status(204)
            .header("access-control-allow-origin", origin)
            .header("access-control-allow-methods", wanted.to_ascii_uppercase())
            .header("access-control-allow-headers", ALLOWED_HEADERS)
            .header("access-control-max-age", MAX_AGE_SECONDS.to_string())
            .header("vary", "origin")
            .build(),
    )
}

/// Adds the CORS headers to an answer for an allowed origin.
pub fn decorate(request: &Request, response: &mut Response) {
    let Some(origin) = header(request, "origin") else {
        return;
    };
    if origin_allowed(&allowed_origins(), origin) {
        response.set_header("access-control-allow-origin", origin);
        response.set_header("access-control-expose-headers", EXPOSED_HEADERS);
        response.set_header("vary", "origin");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_are_allowed() {
        let allowed = "https://apply.lender.test, https://m.lender.test";
        assert!(origin_allowed(allowed, "https://apply.lender.test"));
        assert!(origin_allowed(allowed, "https://m.lender.test"));
        for other in [
            "https://evil.test",
            "https://apply.lender.test.evil.test",
            "null",
            "",
            "*",
        ] {
            assert!(!origin_allowed(allowed, other), "{other}");
        }
        assert!(!origin_allowed("", "https://apply.lender.test"));
    }
}
