//! `Idempotency-Key` for POSTs that create or move money.
//!
//! A client sends `Idempotency-Key: <1–128 chars of A-Za-z0-9._:->`. The first request
//! with a key runs; its response (status, content type, body) is stored. A later request
//! with the same key, method and path:
//!
//! * and the same body (SHA-256) gets the stored response again — its original status,
//!   with the header `idempotent-replayed: true` — and the handler does not run;
//! * and a different body gets a 422 problem (`idempotency-key-reused`);
//! * while the first is still running gets a retryable 409 with `retry-after: 1`.
//!
//! Records live in the key-value store the caller passes, under
//! `idem/<component>/<sha256(method, path, key) in hex>` (bounded length whatever the key).
//! Successful (2xx) and deterministic client-error (4xx except 408, 409, 423, 425, 429)
//! responses are stored; for server errors and retryable conflicts the record is
//! *released*, so that the client can retry with the same key.
//!
//! # Concurrency, on every runtime
//!
//! A record is an aggregate of the `lendstore` kind: created once through an atomic
//! `increment` claim (never by a compare-and-swap from absence, which Spin's SQLite store
//! turns into an upsert that two requests can both win), then changed only by
//! compare-and-swap confirmed by reading back (Spin's Redis store reports every swap as
//! failed). Every marker carries the request's random token, so a request recognises its
//! own claim whatever the store reported. Of two concurrent first requests exactly one
//! runs; the other gets the retryable 409. Records are never deleted (a deleted record's
//! claim is spent): a released record is taken over by the next request.
//!
//! A pending marker older than [`PENDING_EXPIRY_MS`] (its request must have died: the host
//! stops invocations long before) is taken over by the next request with the key.
//! Completed records do not expire. Handlers that move money should still be idempotent
//! underneath (the ledger replays an entry id), so this layer is never the only guard.

use crate::{Ctx, Problem};
use base64::Engine as _;
use lendstore::{Change, Kv, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spin_sdk::http::Response;
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

/// Compare-and-swap attempts on one record before answering 409. Losing means another
/// request with the same key just wrote the record, so a second read settles it; the
/// spare attempts cover a release or a completion in between.
pub const MAX_CLAIM_ATTEMPTS: u32 = 4;

/// Largest response body stored for replay, in bytes; larger responses are not stored
/// (the record is released) rather than bloating the store.
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

/// Opens the `wasi:keyvalue` store `label` (one of the component's `key_value_stores`), in
/// which idempotency records and every aggregate are kept; a retryable 503 problem on
/// failure.
pub fn open(label: &str) -> Result<lendstore::wasi::WasiKv, Problem> {
    lendstore::wasi::WasiKv::open(label).map_err(store_problem)
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        store_problem(error)
    }
}

/// The problem a failed store operation answers: a retryable 503 (or 409 while another
/// request holds the record), never the store's own words.
pub fn store_problem(error: StoreError) -> Problem {
    match error {
        StoreError::Backend(_) => Problem::unavailable("the key-value store is unavailable"),
        StoreError::CreationPending | StoreError::Contended(_) => in_flight(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Record {
    Pending {
        request_sha256: String,
        started_ms: u64,
        #[serde(default)]
        token: String,
    },
    Done {
        request_sha256: String,
        status: u16,
        content_type: Option<String>,
        body_base64: String,
        #[serde(default)]
        token: String,
    },
    /// The request that claimed the key ended without a final answer: the next takes over.
    Released {
        #[serde(default)]
        token: String,
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
    token: String,
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

fn unreadable() -> Problem {
    Problem::internal("a stored idempotency record is unreadable")
}

/// Why a `lendstore::update` of a record failed: a problem to answer (the change was
/// refused, or a record is unreadable), or the store. Turns into the [`Problem`] to send.
#[derive(Debug)]
pub enum Failure {
    /// A problem to answer.
    Answer(Problem),
    /// The store failed (a retryable 503, or 409 while another request holds the record).
    Store(StoreError),
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Failure {
        Failure::Answer(problem)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        Failure::Store(error)
    }
}

impl From<Failure> for Problem {
    fn from(failure: Failure) -> Problem {
        match failure {
            Failure::Answer(problem) => problem,
            Failure::Store(error) => store_problem(error),
        }
    }
}

fn decode(bytes: &[u8]) -> Result<Record, Failure> {
    serde_json::from_slice(bytes).map_err(|_| Failure::Answer(unreadable()))
}

/// Look up `key` for this request and claim it if new. See the [module docs](self) for
/// the outcomes.
pub fn begin<S: Kv>(
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
        &crate::service::random_token(),
    )
}

#[allow(clippy::too_many_arguments)]
fn begin_at<S: Kv>(
    store: &S,
    component: &str,
    method: &str,
    path: &str,
    key: &str,
    request_sha256: &[u8; 32],
    now_ms: u64,
    token: &str,
) -> Result<Begin, Problem> {
    let key = validate_key(key)?;
    let storage_key = storage_key(component, method, path, key);
    let request_sha256 = hex::encode(request_sha256);
    let marker = encode(&Record::Pending {
        request_sha256: request_sha256.clone(),
        started_ms: now_ms,
        token: token.to_string(),
    });
    let proceed = || {
        Begin::Proceed(Pending {
            storage_key: storage_key.clone(),
            request_sha256: request_sha256.clone(),
            token: token.to_string(),
        })
    };
    let begun = lendstore::update(store, &storage_key, MAX_CLAIM_ATTEMPTS, |current| {
        let Some(bytes) = current else {
            return Ok(Change::Write(marker.clone(), proceed()));
        };
        match decode(bytes)? {
            Record::Done {
                request_sha256: stored,
                status,
                content_type,
                body_base64,
                ..
            } => {
                if stored != request_sha256 {
                    return Err(Failure::Answer(reused()));
                }
                let body = base64::engine::general_purpose::STANDARD
                    .decode(body_base64)
                    .map_err(|_| Failure::Answer(unreadable()))?;
                let mut builder = Response::builder();
                builder.status(status).header(REPLAYED_HEADER, "true");
                if let Some(content_type) = content_type {
                    builder.header("content-type", content_type);
                }
                Ok(Change::Keep(Begin::Replay(builder.body(body).build())))
            }
            // Our own marker, read back after a swap whose outcome the store left unsaid.
            Record::Pending { token: theirs, .. } if theirs == token => Ok(Change::Keep(proceed())),
            Record::Pending {
                request_sha256: stored,
                started_ms,
                ..
            } if now_ms.saturating_sub(started_ms) < PENDING_EXPIRY_MS => {
                if stored != request_sha256 {
                    return Err(Failure::Answer(reused()));
                }
                Err(Failure::Answer(in_flight()))
            }
            // Released, or an abandoned attempt: take it over.
            Record::Pending { .. } | Record::Released { .. } => {
                Ok(Change::Write(marker.clone(), proceed()))
            }
        }
    });
    begun.map_err(Problem::from)
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
    pub fn complete<S: Kv>(self, store: &S, response: &Response) -> Result<(), Problem> {
        let status = *response.status();
        if !is_final(status) || response.body().len() > MAX_STORED_BODY_BYTES {
            return self.abandon(store);
        }
        let record = Record::Done {
            request_sha256: self.request_sha256.clone(),
            status,
            content_type: response
                .header("content-type")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            body_base64: base64::engine::general_purpose::STANDARD.encode(response.body()),
            token: self.token.clone(),
        };
        self.replace_marker(store, encode(&record))
    }

    /// Release the key without storing a response, so that a retry runs again.
    pub fn abandon<S: Kv>(self, store: &S) -> Result<(), Problem> {
        let released = encode(&Record::Released {
            token: self.token.clone(),
        });
        self.replace_marker(store, released)
    }

    /// Swaps our pending marker for `next`, unless another request took the key over
    /// (ours had expired): its record is then left alone.
    fn replace_marker<S: Kv>(&self, store: &S, next: Vec<u8>) -> Result<(), Problem> {
        let replaced = lendstore::update(store, &self.storage_key, MAX_CLAIM_ATTEMPTS, |current| {
            let ours = match current {
                Some(bytes) => matches!(
                    decode(bytes)?,
                    Record::Pending { token, .. } if token == self.token
                ),
                None => false,
            };
            Ok::<_, Failure>(if ours {
                Change::Write(next.clone(), ())
            } else {
                Change::Keep(())
            })
        });
        replaced.map_err(Problem::from)
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
///     let store = lendkit::idempotency::open("default")?;
///     lendkit::idempotency::run(&store, ctx, ctx.idempotency_key()?, || {
///         // ... validate, post, build the 201 ...
///         lendkit::json::respond(201, &serde_json::json!({"posted": true}))
///     })
/// }
/// ```
pub fn run<S: Kv>(
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
    use lendstore::sim::{Semantics, SimKv, Step};

    const HASH_A: [u8; 32] = [1; 32];
    const HASH_B: [u8; 32] = [2; 32];
    const RUNTIMES: [Semantics; 3] = [
        Semantics::Strict,
        Semantics::SpinSqlite,
        Semantics::SpinRedis,
    ];

    fn start(store: &SimKv, key: &str, hash: &[u8; 32], now: u64) -> Result<Begin, Problem> {
        start_as(store, key, hash, now, &format!("token-{now}-{}", hash[0]))
    }

    fn start_as(
        store: &SimKv,
        key: &str,
        hash: &[u8; 32],
        now: u64,
        token: &str,
    ) -> Result<Begin, Problem> {
        begin_at(
            store,
            "ledger-api",
            "POST",
            "/v1/ledger/books/main/entries",
            key,
            hash,
            now,
            token,
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
    fn first_request_proceeds_then_replays_with_its_original_status() {
        for semantics in RUNTIMES {
            let store = SimKv::new(semantics);
            let Begin::Proceed(pending) = start(&store, "k1", &HASH_A, 0).unwrap() else {
                panic!("{semantics:?}: expected proceed");
            };
            pending.complete(&store, &created()).unwrap();
            let Begin::Replay(replay) = start(&store, "k1", &HASH_A, 10).unwrap() else {
                panic!("{semantics:?}: expected replay");
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
    }

    #[test]
    fn different_body_is_422() {
        let store = SimKv::new(Semantics::Strict);
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
        for semantics in RUNTIMES {
            let store = SimKv::new(semantics);
            let Begin::Proceed(abandoned) = start(&store, "k1", &HASH_A, 0).unwrap() else {
                panic!()
            };
            let p = start(&store, "k1", &HASH_A, PENDING_EXPIRY_MS - 1).unwrap_err();
            assert_eq!(p.status, 409);
            assert_eq!(p.retryable, Some(true));
            assert_eq!(p.header("retry-after"), Some("1"));
            let Begin::Proceed(taker) = start(&store, "k1", &HASH_A, PENDING_EXPIRY_MS).unwrap()
            else {
                panic!("{semantics:?}: an expired marker is taken over")
            };
            // The late original finishing does not overwrite the taker's claim.
            abandoned.complete(&store, &created()).unwrap();
            assert!(matches!(
                start(&store, "k1", &HASH_A, PENDING_EXPIRY_MS + 1),
                Err(p) if p.status == 409
            ));
            taker.complete(&store, &created()).unwrap();
            assert!(matches!(
                start(&store, "k1", &HASH_A, PENDING_EXPIRY_MS + 2).unwrap(),
                Begin::Replay(_)
            ));
        }
    }

    #[test]
    fn non_final_responses_release_the_key_for_a_retry() {
        for status in [500, 503, 409, 429] {
            for semantics in RUNTIMES {
                let store = SimKv::new(semantics);
                let Begin::Proceed(pending) = start(&store, "k", &HASH_A, 0).unwrap() else {
                    panic!()
                };
                pending
                    .complete(&store, &Response::new(status, ()))
                    .unwrap();
                assert!(
                    matches!(start(&store, "k", &HASH_A, 1).unwrap(), Begin::Proceed(_)),
                    "{status} {semantics:?}: the retry runs"
                );
            }
        }
        let store = SimKv::new(Semantics::Strict);
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
        let store = SimKv::new(Semantics::Strict);
        assert_eq!(
            start(&store, "bad key", &HASH_A, 0).unwrap_err().status,
            400
        );
        assert!(store.is_empty());
    }

    #[test]
    fn of_two_concurrent_first_requests_exactly_one_runs_on_every_runtime() {
        // The rival arrives at each step of our claim: before our claim's increment, between
        // the claim and the marker's write, and (once a record exists) before our swap.
        for semantics in RUNTIMES {
            for step in [Step::Increment, Step::Set, Step::Swap] {
                let store = SimKv::new(semantics);
                if step == Step::Swap {
                    // A released record, so that both requests swap rather than create.
                    let Begin::Proceed(first) = start(&store, "k", &HASH_A, 0).unwrap() else {
                        panic!()
                    };
                    first.abandon(&store).unwrap();
                }
                let rival_ran = std::rc::Rc::new(std::cell::Cell::new(false));
                let seen = rival_ran.clone();
                store.before(step, move |kv| {
                    let rival = start_as(kv, "k", &HASH_A, 5, "rival");
                    seen.set(matches!(rival, Ok(Begin::Proceed(_))));
                    if let Err(p) = rival {
                        assert_eq!(p.status, 409);
                    }
                });
                let mine = start_as(&store, "k", &HASH_A, 5, "mine");
                let mine_ran = matches!(mine, Ok(Begin::Proceed(_)));
                if let Err(p) = &mine {
                    assert_eq!(p.status, 409);
                }
                assert!(
                    mine_ran ^ rival_ran.get(),
                    "{semantics:?} {step:?}: exactly one runs (mine {mine_ran}, rival {})",
                    rival_ran.get()
                );
            }
        }
    }

    #[test]
    fn a_claim_whose_marker_never_appeared_is_409() {
        let store = SimKv::new(Semantics::SpinSqlite);
        let key = storage_key("ledger-api", "POST", "/v1/ledger/books/main/entries", "k");
        store.increment(&lendstore::claim_key(&key), 1).unwrap();
        let p = start(&store, "k", &HASH_A, 0).unwrap_err();
        assert_eq!((p.status, p.retryable), (409, Some(true)));
    }

    #[test]
    fn corrupt_record_is_500() {
        let store = SimKv::new(Semantics::Strict);
        let key = storage_key("ledger-api", "POST", "/v1/ledger/books/main/entries", "k");
        store.put(&key, b"garbage".to_vec());
        assert_eq!(start(&store, "k", &HASH_A, 0).unwrap_err().status, 500);
    }
}
