//! Outbound calls with a time limit: a JSON POST to another service (a provider's URL, or a
//! component of this application through `http://<component>.spin.internal`) that gives up
//! after a deadline, so that a slow provider costs a bounded wait and never the caller's
//! whole invocation.
//!
//! The limit is `wasi:http`'s first-byte timeout, which Spin and the `lendwork` host both
//! honour; the call is synchronous (it blocks the instance on the response's pollable).

use std::time::Duration;

use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{
    Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};

/// Largest response body read, in bytes: providers answer a few KiB.
pub const RESPONSE_BYTES_MAX: usize = 1 << 20;
/// Bytes written to or read from a stream at once (`blocking-write-and-flush` takes at
/// most 4096).
const CHUNK_BYTES: usize = 4096;

/// Why a call did not produce a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The URL is not `http(s)://host[:port]/path`.
    BadUrl,
    /// The host refused or failed the request (not allowed, unreachable, …).
    Failed(String),
    /// No response within the time limit.
    TimedOut,
    /// The response body was larger than [`RESPONSE_BYTES_MAX`].
    TooLarge,
}

/// A response: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

fn split_url(url: &str) -> Option<(Scheme, String, String)> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else {
        return None;
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    (!authority.is_empty()).then(|| (scheme, authority.to_string(), path.to_string()))
}

/// POSTs `body` (JSON) to `url`, waiting at most `limit` for the response to begin.
pub fn post_json(url: &str, body: &[u8], limit: Duration) -> Result<Answer, CallError> {
    let (scheme, authority, path) = split_url(url).ok_or(CallError::BadUrl)?;
    let headers = Fields::new();
    headers
        .append("content-type", b"application/json")
        .map_err(|_| CallError::BadUrl)?;
    let request = OutgoingRequest::new(headers);
    let invalid = |_| CallError::BadUrl;
    request.set_method(&Method::Post).map_err(invalid)?;
    request.set_scheme(Some(&scheme)).map_err(invalid)?;
    request.set_authority(Some(&authority)).map_err(invalid)?;
    request.set_path_with_query(Some(&path)).map_err(invalid)?;
    let outgoing = request
        .body()
        .map_err(|_| CallError::Failed("no request body".into()))?;
    let options = RequestOptions::new();
    let nanos = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
    // A host that cannot set a timeout still answers; the deadline of the invocation is
    // then the only bound.
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_connect_timeout(Some(nanos));
    let pending = outgoing_handler::handle(request, Some(options))
        .map_err(|e| CallError::Failed(format!("{e:?}")))?;
    {
        let stream = outgoing
            .write()
            .map_err(|_| CallError::Failed("request body".into()))?;
        for chunk in body.chunks(CHUNK_BYTES) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| CallError::Failed(format!("writing the request: {e:?}")))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(|e| CallError::Failed(format!("{e:?}")))?;
    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => {
            let text = format!("{code:?}");
            return Err(if text.contains("Timeout") {
                CallError::TimedOut
            } else {
                CallError::Failed(text)
            });
        }
        _ => return Err(CallError::Failed("no response".into())),
    };
    let status = response.status();
    let incoming = response
        .consume()
        .map_err(|_| CallError::Failed("response body".into()))?;
    let stream = incoming
        .stream()
        .map_err(|_| CallError::Failed("response body".into()))?;
    let mut bytes = Vec::new();
    // The stream reports its end (or a failure) as an error.
    while let Ok(chunk) = stream.blocking_read(CHUNK_BYTES as u64) {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > RESPONSE_BYTES_MAX {
            return Err(CallError::TooLarge);
        }
    }
    Ok(Answer {
        status,
        body: bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_authority_and_path() {
        let (scheme, authority, path) = split_url("http://screening.spin.internal/screen").unwrap();
        assert!(matches!(scheme, Scheme::Http));
        assert_eq!(
            (authority.as_str(), path.as_str()),
            ("screening.spin.internal", "/screen")
        );
        let (_, authority, path) = split_url("https://idv.example.com:8443").unwrap();
        assert_eq!(
            (authority.as_str(), path.as_str()),
            ("idv.example.com:8443", "/")
        );
        for bad in ["ftp://x/", "http:///path", "screening.spin.internal/screen"] {
            assert!(split_url(bad).is_none(), "{bad}");
        }
    }
}
