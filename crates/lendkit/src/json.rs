//! JSON request bodies and responses.
//!
//! [`parse_body`] checks the content type (415), the size ([`MAX_JSON_BODY_BYTES`], 413),
//! the syntax (400) and the shape (422 naming the field, e.g. `lines[1].amount`), in that
//! order. Error messages name fields and expected types but never echo submitted values:
//! serde's own messages (`invalid type: string "123-45-6789", expected u32`) are rewritten
//! to `invalid type, expected u32`.

use crate::Problem;
use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::http::Response;

/// Largest JSON request body accepted, in bytes. The largest legitimate body (a journal
/// entry with many lines, a schedule request with fees) is a few KiB; 64 KiB leaves room
/// without letting one request pin much guest memory.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// Media type of JSON bodies.
pub const JSON: &str = "application/json";

/// Longest field path reported in an error; longer paths are cut (they come from input).
const MAX_FIELD_PATH_CHARS: usize = 128;

/// Whether a `content-type` value is JSON: `application/json` or `application/*+json`,
/// any parameters (`; charset=utf-8`) ignored, case-insensitive.
pub fn is_json_content_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == JSON
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

/// Parse a JSON body of at most [`MAX_JSON_BODY_BYTES`] into `T`.
pub fn parse_body<T: DeserializeOwned>(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<T, Problem> {
    parse_body_with_limit(content_type, body, MAX_JSON_BODY_BYTES)
}

/// [`parse_body`] with another size limit (for routes that need a smaller or larger one).
pub fn parse_body_with_limit<T: DeserializeOwned>(
    content_type: Option<&str>,
    body: &[u8],
    limit_bytes: usize,
) -> Result<T, Problem> {
    if !content_type.is_some_and(is_json_content_type) {
        return Err(Problem::unsupported_media_type(JSON));
    }
    if body.len() > limit_bytes {
        return Err(Problem::payload_too_large(limit_bytes));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request(
            "request body is empty; expected a JSON document",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        serde_problem(&path, error.into_inner())
    })?;
    deserializer
        .end()
        .map_err(|error| serde_problem(".", error))?;
    Ok(value)
}

/// Serialize `value` as a JSON response with `status`.
pub fn respond<T: Serialize + ?Sized>(status: u16, value: &T) -> Result<Response, Problem> {
    let body = serde_json::to_vec(value)
        .map_err(|_| Problem::internal("the response could not be serialized"))?;
    Ok(Response::builder()
        .status(status)
        .header("content-type", JSON)
        .body(body)
        .build())
}

/// Turn a serde_json error at `path` into a problem that does not echo input.
fn serde_problem(path: &str, error: serde_json::Error) -> Problem {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let message = strip_position(&error);
            let (field, message) = field_message(path, &message);
            Problem::validation(vec![crate::FieldError { field, message }])
        }
        Category::Syntax | Category::Eof | Category::Io => Problem::bad_request(format!(
            "request body is not valid JSON (line {}, column {})",
            error.line(),
            error.column()
        )),
    }
}

/// serde_json's Display appends " at line L column C"; drop it.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// The field path and a safe message for one serde data error.
fn field_message(path: &str, message: &str) -> (String, String) {
    let join = |name: &str| {
        let name: String = name.chars().take(MAX_FIELD_PATH_CHARS).collect();
        if path == "." || path.is_empty() {
            name
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = |rest: &str| rest.split('`').next().unwrap_or_default().to_owned();
    let field = if path.is_empty() {
        ".".to_owned()
    } else {
        path.chars().take(MAX_FIELD_PATH_CHARS).collect()
    };
    if let Some(rest) = message.strip_prefix("missing field `") {
        return (join(&quoted(rest)), "is required".to_owned());
    }
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        return (join(&quoted(rest)), "appears more than once".to_owned());
    }
    if message.starts_with("unknown field `") {
        // serde_path_to_error already put the unknown key at the end of the path.
        return (field, "is not a known field".to_owned());
    }
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, expected)| expected.to_owned());
    let kind = if message.starts_with("invalid type") {
        "invalid type"
    } else if message.starts_with("unknown variant") {
        "unknown value"
    } else if message.starts_with("invalid length") {
        "invalid length"
    } else {
        "invalid value"
    };
    let message = match expected {
        Some(expected) => format!("{kind}, expected {expected}"),
        None => kind.to_owned(),
    };
    (field, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        id: String,
        lines: Vec<Line>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Line {
        amount: u64,
        side: Side,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Side {
        Debit,
        Credit,
    }

    fn parse(body: &str) -> Result<Entry, Problem> {
        parse_body(Some("application/json; charset=utf-8"), body.as_bytes())
    }

    #[test]
    fn content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=UTF-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/json"));
        assert!(!is_json_content_type("application/jsonx"));
        assert!(!is_json_content_type(""));
        let p = parse_body::<Entry>(Some("text/plain"), b"{}").unwrap_err();
        assert_eq!(p.status, 415);
        assert_eq!(parse_body::<Entry>(None, b"{}").unwrap_err().status, 415);
    }

    #[test]
    fn parses_valid_body() {
        let e = parse(r#"{"id":"e1","lines":[{"amount":5,"side":"debit"}]}"#).unwrap();
        assert_eq!(e.lines[0].side, Side::Debit);
    }

    #[test]
    fn size_limit() {
        let body = vec![b' '; 11];
        let p = parse_body_with_limit::<Entry>(Some(JSON), &body, 10).unwrap_err();
        assert_eq!(p.status, 413);
        let big = format!(
            r#"{{"id":"{}","lines":[]}}"#,
            "x".repeat(MAX_JSON_BODY_BYTES)
        );
        assert_eq!(parse(&big).unwrap_err().status, 413);
    }

    #[test]
    fn syntax_errors_are_400() {
        for body in [
            "",
            "   ",
            "{",
            r#"{"id": }"#,
            r#"{"id":"a","lines":[]} trailing"#,
        ] {
            assert_eq!(parse(body).unwrap_err().status, 400, "{body:?}");
        }
    }

    fn field_error(body: &str) -> (String, String) {
        let p = parse(body).unwrap_err();
        assert_eq!(p.status, 422, "{body}");
        assert_eq!(p.errors.len(), 1);
        (p.errors[0].field.clone(), p.errors[0].message.clone())
    }

    #[test]
    fn data_errors_name_the_field_without_echoing_values() {
        let (field, message) = field_error(r#"{"id":"e1"}"#);
        assert_eq!((field.as_str(), message.as_str()), ("lines", "is required"));

        let (field, message) =
            field_error(r#"{"id":"e1","lines":[{"amount":1,"side":"debit"},{"side":"debit"}]}"#);
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("lines[1].amount", "is required")
        );

        let (field, message) =
            field_error(r#"{"id":"e1","lines":[{"amount":"123-45-6789","side":"debit"}]}"#);
        assert_eq!(field, "lines[0].amount");
        assert!(message.starts_with("invalid type, expected"), "{message}");
        assert!(!message.contains("123-45-6789"));

        let (field, message) =
            field_error(r#"{"id":"e1","lines":[{"amount":1,"side":"sideways-secret"}]}"#);
        assert_eq!(field, "lines[0].side");
        assert!(
            message.starts_with("unknown value, expected `debit`"),
            "{message}"
        );
        assert!(!message.contains("sideways-secret"));

        let (field, message) = field_error(r#"{"id":"e1","lines":[],"ssn":"123"}"#);
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("ssn", "is not a known field")
        );

        let (field, message) = field_error(r#"{"id":"e1","lines":[{"amount":-5,"side":"debit"}]}"#);
        assert_eq!(field, "lines[0].amount");
        assert!(!message.contains("-5"), "{message}");

        let (field, _) = field_error(r#""just a string""#);
        assert_eq!(field, ".");
    }

    #[test]
    fn responds_with_json() {
        let r = respond(201, &serde_json::json!({"ok": true})).unwrap();
        assert_eq!(*r.status(), 201);
        assert_eq!(r.header("content-type").unwrap().as_str(), Some(JSON));
        assert_eq!(r.body(), br#"{"ok":true}"#);
    }
}

/// `value` printed as canonical JSON: every object's keys in sorted order, no whitespace,
/// whatever order the value was built in — what a digest of a document is taken over, so
/// anyone holding the document can recompute it.
pub fn canonical(value: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                serde_json::Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

#[cfg(test)]
mod canonical_tests {
    #[test]
    fn keys_are_sorted_at_every_depth_and_whitespace_dropped() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{ "b": [ {"z": 1, "a": 2} ], "a": "x" }"#).unwrap();
        assert_eq!(super::canonical(&value), r#"{"a":"x","b":[{"a":2,"z":1}]}"#);
    }
}
