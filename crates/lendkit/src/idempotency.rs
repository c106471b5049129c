//! `Idempotency-Key` for POSTs that create or move money.
//!
//! A client sends `Idempotency-Key: <1–128 chars of A-Za-z0-9._:->`. The first request
//! with a key runs; its response (status, content type, body) is stored. A later request
//! with the same key, method and path:
//!
//! * and the same body (SHA-256) gets the stored response again, with the header
//!   `idempotent-replayed: true`, and the handler does not run;
//! * and a different body gets a 422 problem (`idempotency-key-reused`);
//! * while the first is still running gets a retryable 409 with `retry-after: 1`.
//!
//! Records live in the key-value store the caller passes, under
//! `idem/<component>/<sha256(method, path, key) in hex>` (bounded length whatever the key).
//! Successful (2xx) and deterministic client-error (4xx except 408, 409, 423, 425, 429)
//! responses are stored; for server errors and retryable conflicts the pending marker is
//! deleted so that the client can retry with the same key.
//!
//! # Concurrency
//!
//! The pending marker is claimed with [`KeyValue::compare_and_swap`] ("write only if the
//! key still holds what I read"), so of two concurrent first requests exactly one runs and
//! the other gets the retryable 409 — **when the store is a [`WasiKv`]**, which uses
//! `wasi:keyvalue/atomics` CAS. Spin's own key-value API (`spin_sdk::key_value::Store`)
//! has no compare-and-swap: its implementation is get-then-set, and two requests with the
//! same new key arriving within the microseconds between the two calls can both run.
//! Either way, handlers that move money should also be idempotent underneath (the ledger
//! replays an entry id posted with the same content and rejects it with other content),
//! so this layer is never the only guard.
//!
//! A pending marker older than [`PENDING_EXPIRY_MS`] (its request must have died: the host
//! stops invocations long before) is taken over by the next request with the key.
//! Completed records do not expire.

use crate::{Ctx, Problem};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spin_sdk::http::Response;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Request header carrying the key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// Response header set on replays.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Longest key accepted, in characters (enough for a UUID or a ULID with a prefix).
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;

/// Age after which a pending marker is considered abandoned, in milliseconds. Far longer
/// than any invocation may run, so a live request is never overtaken.
pub const PENDING_EXPIRY_MS: u64 = 60_000;

/// Times [`begin`] re-reads a key after losing the claim race before answering 409.
/// Losing means another request just claimed the key, so a second read settles it; the
/// spare attempt covers a marker deleted in between.
pub const MAX_CLAIM_ATTEMPTS: usize = 3;

/// Largest response body stored for replay, in bytes; larger responses are not stored
/// (the marker is removed) rather than bloating the store.
pub const MAX_STORED_BODY_BYTES: usize = 256 * 1024;

/// Validate an `Idempotency-Key` value: 1 to [`MAX_IDEMPOTENCY_KEY_CHARS`] characters of
/// `A-Za-z0-9._:-`. A 400 problem naming the header (not echoing it) otherwise.
pub fn validate_key(raw: &str) -> Result<&str, Problem> {
    let valid = !raw.is_empty()
        && raw.len() <= MAX_IDEMPOTENCY_KEY_CHARS
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if valid {
        Ok(raw)
    } else {
        Err(
            Problem::bad_request("invalid Idempotency-Key header").with_error(
                "Idempotency-Key",
                format!(
                    "must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters of A-Z a-z 0-9 . _ : -"
                ),
            ),
        )
    }
}

/// SHA-256 of a request body, the fingerprint compared on replay.
pub fn body_sha256(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

/// The store key of one idempotency record.
pub fn storage_key(component: &str, method: &str, path: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [method, path, key] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    format!("idem/{component}/{}", hex::encode(hasher.finalize()))
}

/// The few key-value operations idempotency needs; implemented for [`WasiKv`]
/// (atomic), Spin's `key_value::Store` (not atomic) and [`MemoryKv`] (tests).
pub trait KeyValue {
    /// The value at `key`.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Problem>;
    /// Store `value` at `key`.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), Problem>;
    /// Remove `key` (absent is fine).
    fn delete(&self, key: &str) -> Result<(), Problem>;
    /// Store `new` at `key` only if the key still holds `expected` (`None`: absent);
    /// `Ok(false)` if it does not. The default implementation is get-then-set and
    /// **not atomic**; stores that can do better override it.
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, Problem> {
        if self.get(key)?.as_deref() != expected {
            return Ok(false);
        }
        self.set(key, new)?;
        Ok(true)
    }
}

fn store_unavailable(_: spin_sdk::key_value::Error) -> Problem {
    Problem::unavailable("the key-value store is unavailable")
}

impl KeyValue for spin_sdk::key_value::Store {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Problem> {
        spin_sdk::key_value::Store::get(self, key).map_err(store_unavailable)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), Problem> {
        spin_sdk::key_value::Store::set(self, key, value).map_err(store_unavailable)
    }
    fn delete(&self, key: &str) -> Result<(), Problem> {
        spin_sdk::key_value::Store::delete(self, key).map_err(store_unavailable)
    }
}

/// A `wasi:keyvalue` bucket: [`KeyValue::compare_and_swap`] is atomic (it uses
/// `wasi:keyvalue/atomics` CAS), which closes the idempotency race. Open it with the same
/// label as the component's `key_value_stores` entry.
pub struct WasiKv {
    bucket: wasi_kv::store::Bucket,
}

// spin-sdk 5.2 (pinned) generates the `wasi:keyvalue@0.2.0-draft2` bindings it ships.
use spin_sdk::wit::wasi::keyvalue as wasi_kv;

fn wasi_unavailable(_: wasi_kv::store::Error) -> Problem {
    Problem::unavailable("the key-value store is unavailable")
}

impl WasiKv {
    /// Open the bucket with `label`; a retryable 503 problem on failure.
    pub fn open(label: &str) -> Result<Self, Problem> {
        let bucket = wasi_kv::store::open(label).map_err(wasi_unavailable)?;
        Ok(Self { bucket })
    }
}

impl std::fmt::Debug for WasiKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WasiKv")
    }
}

impl KeyValue for WasiKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Problem> {
        self.bucket.get(key).map_err(wasi_unavailable)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), Problem> {
        self.bucket.set(key, value).map_err(wasi_unavailable)
    }
    fn delete(&self, key: &str) -> Result<(), Problem> {
        self.bucket.delete(key).map_err(wasi_unavailable)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, Problem> {
        let cas = wasi_kv::atomics::Cas::new(&self.bucket, key).map_err(wasi_unavailable)?;
        if cas.current().map_err(wasi_unavailable)?.as_deref() != expected {
            return Ok(false);
        }
        match wasi_kv::atomics::swap(cas, new) {
            Ok(()) => Ok(true),
            Err(wasi_kv::atomics::CasError::CasFailed(_)) => Ok(false),
            Err(wasi_kv::atomics::CasError::StoreError(error)) => Err(wasi_unavailable(error)),
        }
    }
}

/// Open the Spin key-value store with `label` (declared in the component's
/// `key_value_stores`); a retryable 503 problem if it cannot be opened. Its
/// compare-and-swap is not atomic: for idempotency prefer [`WasiKv::open`].
pub fn open_store(label: &str) -> Result<spin_sdk::key_value::Store, Problem> {
    spin_sdk::key_value::Store::open(label).map_err(store_unavailable)
}

/// An in-memory [`KeyValue`] for native tests.
#[derive(Debug, Default)]
pub struct MemoryKv(RefCell<BTreeMap<String, Vec<u8>>>);

impl MemoryKv {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys stored.
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }
}

impl KeyValue for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Problem> {
        Ok(self.0.borrow().get(key).cloned())
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), Problem> {
        self.0.borrow_mut().insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), Problem> {
        self.0.borrow_mut().remove(key);
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Record {
    Pending {
        request_sha256: String,
        started_ms: u64,
    },
    Done {
        request_sha256: String,
        status: u16,
        content_type: Option<String>,
        body_base64: String,
    },
}

/// What to do with a request that carries an idempotency key.
#[derive(Debug)]
pub enum Begin {
    /// First time (or an abandoned attempt): run the handler, then [`Pending::complete`].
    Proceed(Pending),
    /// Seen before with the same body: send this stored response.
    Replay(Response),
}

/// A claimed key whose response is not stored yet.
#[derive(Debug)]
#[must_use = "complete or abandon the pending idempotency record"]
pub struct Pending {
    storage_key: String,
    request_sha256: String,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

fn reused() -> Problem {
    Problem::unprocessable("this Idempotency-Key was already used with a different request body")
        .with_type("idempotency-key-reused")
}

/// Look up `key` for this request and claim it if new. See the [module docs](self) for
/// the outcomes and the race window.
pub fn begin<S: KeyValue + ?Sized>(
    store: &S,
    component: &str,
    method: &str,
    path: &str,
    key: &str,
    request_sha256: &[u8; 32],
) -> Result<Begin, Problem> {
    begin_at(
        store,
        component,
        method,
        path,
        key,
        request_sha256,
        now_ms(),
    )
}

fn begin_at<S: KeyValue + ?Sized>(
    store: &S,
    component: &str,
    method: &str,
    path: &str,
    key: &str,
    request_sha256: &[u8; 32],
    now_ms: u64,
) -> Result<Begin, Problem> {
    let key = validate_key(key)?;
    let storage_key = storage_key(component, method, path, key);
    let request_sha256 = hex::encode(request_sha256);
    for _ in 0..MAX_CLAIM_ATTEMPTS {
        let raw = store.get(&storage_key)?;
        let existing = match &raw {
            None => None,
            Some(bytes) => Some(
                serde_json::from_slice::<Record>(bytes)
                    .map_err(|_| Problem::internal("a stored idempotency record is unreadable"))?,
            ),
        };
        match existing {
            Some(Record::Done {
                request_sha256: stored,
                status,
                content_type,
                body_base64,
            }) => {
                if stored != request_sha256 {
                    return Err(reused());
                }
                let body = base64::engine::general_purpose::STANDARD
                    .decode(body_base64)
                    .map_err(|_| Problem::internal("a stored idempotency record is unreadable"))?;
                let mut builder = Response::builder();
                builder.status(status).header(REPLAYED_HEADER, "true");
                if let Some(content_type) = content_type {
                    builder.header("content-type", content_type);
                }
                return Ok(Begin::Replay(builder.body(body).build()));
            }
            Some(Record::Pending {
                request_sha256: stored,
                started_ms,
            }) if now_ms.saturating_sub(started_ms) < PENDING_EXPIRY_MS => {
                if stored != request_sha256 {
                    return Err(reused());
                }
                return Err(in_flight());
            }
            // New key, or an abandoned attempt: claim it, unless someone else just did.
            _ => {
                let marker = encode(&Record::Pending {
                    request_sha256: request_sha256.clone(),
                    started_ms: now_ms,
                });
                if store.compare_and_swap(&storage_key, raw.as_deref(), &marker)? {
                    return Ok(Begin::Proceed(Pending {
                        storage_key,
                        request_sha256,
                    }));
                }
                // Lost the race: look again (normally finds the winner's marker).
            }
        }
    }
    Err(in_flight())
}

fn in_flight() -> Problem {
    Problem::conflict("a request with this Idempotency-Key is still being processed")
        .with_type("idempotency-key-in-flight")
        .retryable(true)
        .with_header("retry-after", "1")
}

fn encode(record: &Record) -> Vec<u8> {
    // A record is strings and numbers: serialization cannot fail.
    serde_json::to_vec(record).unwrap_or_default()
}

/// Whether a response with this status is the final answer for its request.
fn is_final(status: u16) -> bool {
    (200..300).contains(&status)
        || ((400..500).contains(&status) && !matches!(status, 408 | 409 | 423 | 425 | 429))
}

impl Pending {
    /// Store the handler's response for replays (or release the key when the response
    /// is not final; see the [module docs](self)).
    pub fn complete<S: KeyValue + ?Sized>(
        self,
        store: &S,
        response: &Response,
    ) -> Result<(), Problem> {
        let status = *response.status();
        if !is_final(status) || response.body().len() > MAX_STORED_BODY_BYTES {
            return self.abandon(store);
        }
        let record = Record::Done {
            request_sha256: self.request_sha256,
            status,
            content_type: response
                .header("content-type")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            body_base64: base64::engine::general_purpose::STANDARD.encode(response.body()),
        };
        store.set(&self.storage_key, &encode(&record))
    }

    /// Release the key without storing a response, so that a retry runs again.
    pub fn abandon<S: KeyValue + ?Sized>(self, store: &S) -> Result<(), Problem> {
        store.delete(&self.storage_key)
    }
}

/// Run `handler` at most once per idempotency key: the whole protocol for a handler.
///
/// `key` is the validated header value (from [`Ctx::idempotency_key`]); `None` runs the
/// handler without idempotency. Errors from the handler are rendered and stored like any
/// other response, then returned unchanged.
///
/// ```no_run
/// # use lendkit::{Ctx, Problem};
/// # use spin_sdk::http::Response;
/// fn post_entry(ctx: &Ctx<'_>) -> Result<Response, Problem> {
///     let store = lendkit::idempotency::WasiKv::open("default")?;
///     lendkit::idempotency::run(&store, ctx, ctx.idempotency_key()?, || {
///         // ... validate, post, build the 201 ...
///         lendkit::json::respond(201, &serde_json::json!({"posted": true}))
///     })
/// }
/// ```
pub fn run<S: KeyValue + ?Sized>(
    store: &S,
    ctx: &Ctx<'_>,
    key: Option<&str>,
    handler: impl FnOnce() -> Result<Response, Problem>,
) -> Result<Response, Problem> {
    let Some(key) = key else {
        return handler();
    };
    let method = ctx.route.method.as_str();
    let pending = match begin(
        store,
        ctx.component,
        method,
        ctx.path(),
        key,
        &ctx.body_sha256(),
    )? {
        Begin::Replay(response) => return Ok(response),
        Begin::Proceed(pending) => pending,
    };
    match handler() {
        Ok(response) => {
            pending.complete(store, &response)?;
            Ok(response)
        }
        Err(problem) => {
            pending.complete(store, &problem.clone().into_response())?;
            Err(problem)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_A: [u8; 32] = [1; 32];
    const HASH_B: [u8; 32] = [2; 32];

    fn start(store: &MemoryKv, key: &str, hash: &[u8; 32], now: u64) -> Result<Begin, Problem> {
        begin_at(
            store,
            "ledger-api",
            "POST",
            "/v1/ledger/books/main/entries",
            key,
            hash,
            now,
        )
    }

    fn created() -> Response {
        Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .body(r#"{"sequence":1}"#)
            .build()
    }

    #[test]
    fn validates_keys() {
        for ok in ["a", "order-1", "A.b_c:d-9", &"k".repeat(128)] {
            assert_eq!(validate_key(ok).unwrap(), ok);
        }
        for bad in ["", "has space", "slash/", "ü", &"k".repeat(129), "a\nb"] {
            let p = validate_key(bad).unwrap_err();
            assert_eq!(p.status, 400);
            assert_eq!(p.errors[0].field, "Idempotency-Key");
        }
    }

    #[test]
    fn storage_key_is_bounded_and_scoped() {
        let a = storage_key("c", "POST", "/p", &"k".repeat(128));
        assert!(a.len() < 100);
        assert!(a.starts_with("idem/c/"));
        assert_ne!(
            storage_key("c", "POST", "/p", "k"),
            storage_key("c", "POST", "/q", "k")
        );
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        assert_ne!(
            storage_key("c", "POST", "/ab", "c"),
            storage_key("c", "POST", "/a", "bc")
        );
    }

    #[test]
    fn first_request_proceeds_then_replays() {
        let store = MemoryKv::new();
        let Begin::Proceed(pending) = start(&store, "k1", &HASH_A, 0).unwrap() else {
            panic!("expected proceed");
        };
        pending.complete(&store, &created()).unwrap();
        let Begin::Replay(replay) = start(&store, "k1", &HASH_A, 10).unwrap() else {
            panic!("expected replay");
        };
        assert_eq!(*replay.status(), 201);
        assert_eq!(replay.body(), br#"{"sequence":1}"#);
        assert_eq!(
            replay.header(REPLAYED_HEADER).unwrap().as_str(),
            Some("true")
        );
        assert_eq!(
            replay.header("content-type").unwrap().as_str(),
            Some("application/json")
        );
    }

    #[test]
    fn different_body_is_422() {
        let store = MemoryKv::new();
        let Begin::Proceed(pending) = start(&store, "k1", &HASH_A, 0).unwrap() else {
            panic!()
        };
        // While pending.
        let p = start(&store, "k1", &HASH_B, 1).unwrap_err();
        assert_eq!(p.status, 422);
        assert!(p.type_uri.ends_with("idempotency-key-reused"));
        pending.complete(&store, &created()).unwrap();
        // After completion.
        assert_eq!(start(&store, "k1", &HASH_B, 2).unwrap_err().status, 422);
    }

    #[test]
    fn in_flight_is_retryable_409_until_expiry() {
        let store = MemoryKv::new();
        let Begin::Proceed(_abandoned) = start(&store, "k1", &HASH_A, 0).unwrap() else {
            panic!()
        };
        let p = start(&store, "k1", &HASH_A, PENDING_EXPIRY_MS - 1).unwrap_err();
        assert_eq!(p.status, 409);
        assert_eq!(p.retryable, Some(true));
        assert_eq!(p.header("retry-after"), Some("1"));
        assert!(matches!(
            start(&store, "k1", &HASH_A, PENDING_EXPIRY_MS).unwrap(),
            Begin::Proceed(_)
        ));
    }

    #[test]
    fn non_final_responses_release_the_key() {
        for status in [500, 503, 409, 429] {
            let store = MemoryKv::new();
            let Begin::Proceed(pending) = start(&store, "k", &HASH_A, 0).unwrap() else {
                panic!()
            };
            pending
                .complete(&store, &Response::new(status, ()))
                .unwrap();
            assert!(store.is_empty(), "{status}");
        }
        let store = MemoryKv::new();
        let Begin::Proceed(pending) = start(&store, "k", &HASH_A, 0).unwrap() else {
            panic!()
        };
        pending
            .complete(&store, &Problem::validation(vec![]).into_response())
            .unwrap();
        let Begin::Replay(r) = start(&store, "k", &HASH_A, 1).unwrap() else {
            panic!()
        };
        assert_eq!(*r.status(), 422, "deterministic client errors replay");
    }

    #[test]
    fn invalid_key_is_rejected_before_touching_the_store() {
        let store = MemoryKv::new();
        assert_eq!(
            start(&store, "bad key", &HASH_A, 0).unwrap_err().status,
            400
        );
        assert!(store.is_empty());
    }

    /// A store where another request claims every key just before our CAS.
    struct Racing {
        inner: MemoryKv,
    }

    impl KeyValue for Racing {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Problem> {
            self.inner.get(key)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), Problem> {
            self.inner.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<(), Problem> {
            self.inner.delete(key)
        }
        fn compare_and_swap(
            &self,
            key: &str,
            expected: Option<&[u8]>,
            new: &[u8],
        ) -> Result<bool, Problem> {
            let rival = encode(&Record::Pending {
                request_sha256: hex::encode(HASH_A),
                started_ms: 0,
            });
            self.inner.set(key, &rival)?;
            self.inner.compare_and_swap(key, expected, new)
        }
    }

    #[test]
    fn losing_the_claim_race_is_409_or_422() {
        let store = Racing {
            inner: MemoryKv::new(),
        };
        let p = begin_at(&store, "c", "POST", "/p", "k", &HASH_A, 1).unwrap_err();
        assert_eq!(p.status, 409, "same body: the winner is in flight");
        let store = Racing {
            inner: MemoryKv::new(),
        };
        let p = begin_at(&store, "c", "POST", "/p", "k", &HASH_B, 1).unwrap_err();
        assert_eq!(p.status, 422, "different body: key reused");
    }

    #[test]
    fn default_compare_and_swap() {
        let store = MemoryKv::new();
        assert!(store.compare_and_swap("k", None, b"1").unwrap());
        assert!(!store.compare_and_swap("k", None, b"2").unwrap());
        assert!(!store.compare_and_swap("k", Some(b"0"), b"2").unwrap());
        assert!(store.compare_and_swap("k", Some(b"1"), b"2").unwrap());
        assert_eq!(store.get("k").unwrap().as_deref(), Some(&b"2"[..]));
    }

    #[test]
    fn corrupt_record_is_500() {
        let store = MemoryKv::new();
        let key = storage_key("ledger-api", "POST", "/v1/ledger/books/main/entries", "k");
        store.set(&key, b"garbage").unwrap();
        assert_eq!(start(&store, "k", &HASH_A, 0).unwrap_err().status, 500);
    }
}
