//! RFC 9457 problem details: the one error shape every Lendwork endpoint returns.
//!
//! A [`Problem`] is built with a constructor named after its status
//! ([`Problem::not_found`], [`Problem::validation`], ...), refined with builder
//! methods, and rendered with [`Problem::into_response`] as
//! `application/problem+json`.
//!
//! **Personal data.** `detail` and field messages are shown to the caller and may end up in
//! client logs: write them from constants and field *names*, never from the raw input value
//! (`"must be 9 digits"`, not `"123-45-678 is not 9 digits"`).

use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use std::fmt;

/// Media type of a problem-details body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Prefix of every problem `type` URI minted by Lendwork.
///
/// A URN rather than a URL: RFC 9457 allows non-resolvable type URIs, and a URL on a
/// domain we do not serve would mislead. The slug after the prefix is stable API.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:lendwork:problem:";

/// Longest `detail` kept, in characters. Details are human hints, never payloads.
pub const MAX_DETAIL_CHARS: usize = 512;

/// Most per-field errors reported in one problem; the rest are summarised by a count.
pub const MAX_FIELD_ERRORS: usize = 50;

/// One invalid field in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Location of the field: a JSON path such as `lines[2].amount`, a query parameter
    /// name, or a header name.
    pub field: String,
    /// What is wrong, without echoing the submitted value.
    pub message: String,
}

/// An RFC 9457 problem-details document plus the response headers that go with it.
///
/// The document is boxed so that `Result<T, Problem>` stays one pointer wide on the error
/// side (clippy's `result_large_err`); its fields are reached through `Deref`
/// (`problem.status`, `problem.errors`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Problem(Box<ProblemDetails>);

/// The fields of a [`Problem`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemDetails {
    /// URI identifying the problem type, e.g. `urn:lendwork:problem:validation`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type; the same for every occurrence of the type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence (no personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// URI reference identifying this occurrence (Lendwork uses the request id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Per-field validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Whether repeating the same request later may succeed (conflicts, unavailability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    /// Extra response headers (`allow`, `www-authenticate`, `retry-after`); not serialized.
    #[serde(skip)]
    pub headers: Vec<(String, String)>,
}

impl Problem {
    /// A problem of the given status, type slug (appended to [`PROBLEM_TYPE_PREFIX`]) and title.
    pub fn new(status: u16, slug: &str, title: impl Into<String>) -> Self {
        Self(Box::new(ProblemDetails {
            type_uri: format!("{PROBLEM_TYPE_PREFIX}{slug}"),
            title: title.into(),
            status,
            detail: None,
            instance: None,
            errors: Vec::new(),
            retryable: None,
            headers: Vec::new(),
        }))
    }

    /// 400: the request is malformed (bad JSON syntax, bad query parameter).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "bad-request", "Bad request").with_detail(detail)
    }

    /// 401: no credential, or one that matches no configured key. Sets
    /// `www-authenticate: Bearer`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", "Authentication required")
            .with_detail(detail)
            .with_header("www-authenticate", "Bearer")
    }

    /// 403: the caller is authenticated but its role may not use this route.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", "Forbidden").with_detail(detail)
    }

    /// 404: no such resource or route.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, "not-found", "Not found").with_detail(detail)
    }

    /// 405: the path exists but not with this method. `allow` lists the methods that do
    /// exist (e.g. `["GET", "POST"]`) and becomes the `allow` header.
    pub fn method_not_allowed(allow: &[&str]) -> Self {
        let allow = allow.join(", ");
        Self::new(405, "method-not-allowed", "Method not allowed")
            .with_detail(format!("this resource supports: {allow}"))
            .with_header("allow", allow)
    }

    /// 409: the request conflicts with the current state. Use [`Problem::retryable`] to say
    /// whether retrying may help (a lost compare-and-swap race: yes; a duplicate id: no).
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(409, "conflict", "Conflict").with_detail(detail)
    }

    /// 413: the body is larger than `limit_bytes`.
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(413, "payload-too-large", "Payload too large").with_detail(format!(
            "request body exceeds the limit of {limit_bytes} bytes"
        ))
    }

    /// 415: the body's content type is not the one expected (e.g. `application/json`).
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(415, "unsupported-media-type", "Unsupported media type")
            .with_detail(format!("expected content-type {expected}"))
    }

    /// 422: the body is well-formed but semantically invalid (e.g. an unbalanced entry).
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(422, "unprocessable", "Unprocessable content").with_detail(detail)
    }

    /// 422 with per-field errors: the request failed validation.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut problem = Self::new(422, "validation", "Validation failed")
            .with_detail("one or more fields are invalid; see errors");
        for error in errors {
            problem = problem.with_error(error.field, error.message);
        }
        problem
    }

    /// 500: an internal failure. The detail must not contain internals worth hiding
    /// (stack traces, configuration values).
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(500, "internal", "Internal error").with_detail(detail)
    }

    /// 503: a dependency (key-value store, ledger) is unavailable; retryable.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(503, "unavailable", "Service unavailable")
            .with_detail(detail)
            .retryable(true)
    }

    /// Replace the type slug (the part after [`PROBLEM_TYPE_PREFIX`]), for problem types
    /// specific to one component, e.g. `unbalanced-entry`.
    pub fn with_type(mut self, slug: &str) -> Self {
        self.type_uri = format!("{PROBLEM_TYPE_PREFIX}{slug}");
        self
    }

    /// Replace the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Set the detail, truncated to [`MAX_DETAIL_CHARS`].
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        let mut detail: String = detail.into();
        truncate_chars(&mut detail, MAX_DETAIL_CHARS);
        self.detail = Some(detail);
        self
    }

    /// Set the instance URI reference.
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// Add a per-field error (at most [`MAX_FIELD_ERRORS`] are kept).
    pub fn with_error(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        if self.errors.len() < MAX_FIELD_ERRORS {
            let mut message: String = message.into();
            truncate_chars(&mut message, MAX_DETAIL_CHARS);
            let mut field: String = field.into();
            truncate_chars(&mut field, MAX_DETAIL_CHARS);
            self.errors.push(FieldError { field, message });
        }
        self
    }

    /// Set the retry hint.
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = Some(retryable);
        self
    }

    /// Add a response header (lower-case name).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The value of one of the problem's extra headers.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Render as a response with `content-type: application/problem+json` and the extra
    /// headers.
    pub fn into_response(self) -> Response {
        let body = self.to_json();
        let mut builder = Response::builder();
        builder
            .status(self.status)
            .header("content-type", PROBLEM_JSON)
            .header("cache-control", "no-store");
        for (name, value) in &self.0.headers {
            builder.header(name.as_str(), value.as_str());
        }
        builder.body(body).build()
    }
}

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;
    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl From<Problem> for Response {
    fn from(problem: Problem) -> Self {
        problem.into_response()
    }
}

impl spin_sdk::http::IntoResponse for Problem {
    fn into_response(self) -> Response {
        Problem::into_response(self)
    }
}

fn truncate_chars(s: &mut String, max_chars: usize) {
    if let Some((index, _)) = s.char_indices().nth(max_chars) {
        s.truncate(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(response: &Response, name: &str) -> Option<String> {
        response
            .header(name)
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    #[test]
    fn renders_problem_json() {
        let response = Problem::not_found("no such book")
            .with_instance("urn:x")
            .into_response();
        assert_eq!(*response.status(), 404);
        assert_eq!(
            header(&response, "content-type").as_deref(),
            Some(PROBLEM_JSON)
        );
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["type"], "urn:lendwork:problem:not-found");
        assert_eq!(body["title"], "Not found");
        assert_eq!(body["status"], 404);
        assert_eq!(body["detail"], "no such book");
        assert_eq!(body["instance"], "urn:x");
        assert!(body.get("errors").is_none(), "empty errors are omitted");
        assert!(body.get("retryable").is_none());
        assert!(
            body.get("headers").is_none(),
            "headers are not part of the body"
        );
    }

    #[test]
    fn constructors_have_the_right_status() {
        let cases = [
            (Problem::bad_request("x"), 400),
            (Problem::unauthorized("x"), 401),
            (Problem::forbidden("x"), 403),
            (Problem::not_found("x"), 404),
            (Problem::method_not_allowed(&["GET"]), 405),
            (Problem::conflict("x"), 409),
            (Problem::payload_too_large(10), 413),
            (Problem::unsupported_media_type("application/json"), 415),
            (Problem::unprocessable("x"), 422),
            (Problem::validation(vec![]), 422),
            (Problem::internal("x"), 500),
            (Problem::unavailable("x"), 503),
        ];
        for (problem, status) in cases {
            assert_eq!(problem.status, status);
            assert!(problem.type_uri.starts_with(PROBLEM_TYPE_PREFIX));
            assert_eq!(*problem.into_response().status(), status);
        }
    }

    #[test]
    fn special_headers() {
        let r = Problem::method_not_allowed(&["GET", "POST"]).into_response();
        assert_eq!(header(&r, "allow").as_deref(), Some("GET, POST"));
        let r = Problem::unauthorized("missing").into_response();
        assert_eq!(header(&r, "www-authenticate").as_deref(), Some("Bearer"));
    }

    #[test]
    fn validation_errors_and_retryable_serialize() {
        let p = Problem::validation(vec![FieldError {
            field: "lines[0].amount".into(),
            message: "must be positive".into(),
        }]);
        let body: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
        assert_eq!(body["errors"][0]["field"], "lines[0].amount");
        assert_eq!(body["errors"][0]["message"], "must be positive");
        let body: serde_json::Value =
            serde_json::from_slice(&Problem::conflict("busy").retryable(true).to_json()).unwrap();
        assert_eq!(body["retryable"], true);
    }

    #[test]
    fn limits_are_enforced() {
        let long = "é".repeat(MAX_DETAIL_CHARS * 2);
        let p = Problem::bad_request(long);
        assert_eq!(
            p.detail.as_deref().unwrap().chars().count(),
            MAX_DETAIL_CHARS
        );
        let mut p = Problem::validation(vec![]);
        for i in 0..(MAX_FIELD_ERRORS + 10) {
            p = p.with_error(format!("f{i}"), "bad");
        }
        assert_eq!(p.errors.len(), MAX_FIELD_ERRORS);
    }

    #[test]
    fn round_trips_through_serde() {
        let p = Problem::conflict("x").retryable(true).with_error("a", "b");
        let back: Problem = serde_json::from_slice(&p.to_json()).unwrap();
        assert_eq!(back.status, 409);
        assert_eq!(back.errors, p.errors);
        assert_eq!(back.retryable, Some(true));
    }
}
