//! RFC 9457 problem-details responses the host itself sends (no route, a component that
//! failed or ran out of time, an overloaded host). Components send their own.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// Media type of a problem-details body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Prefix of every problem type URI, shared with the components' problems.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:lendwork:problem:";

/// A problem-details body: `slug` names the problem type (`not-found`, `deadline-exceeded`).
pub fn body(status: u16, slug: &str, title: &str, detail: &str) -> String {
    serde_json::json!({
        "type": format!("{PROBLEM_TYPE_PREFIX}{slug}"),
        "title": title,
        "status": status,
        "detail": detail,
    })
    .to_string()
}

/// A complete problem-details response.
pub fn response(
    status: u16,
    slug: &str,
    title: &str,
    detail: &str,
) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from(body(status, slug, title, detail)))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(PROBLEM_JSON),
    );
    if status == 503 {
        response.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("1"),
        );
    }
    response
}
