//! HTTP API over the ledger for operations staff.
//!
//! Every route is route → handler → `lending:ledger` import: the handlers parse the
//! request, call the ledger component (composed in through `spin.toml` dependencies), and
//! render the answer as JSON or RFC 9457 problem details. The ledger decides everything
//! about entries; this component decides only HTTP matters (status codes, query limits,
//! the `Idempotency-Key` header).
#![deny(missing_docs)]

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "lending:ledger/ledger-client",
        path: ["../../wit/deps/keyvalue", "../../wit/deps/random", "../../wit/ledger.wit"],
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

use bindings::lending::ledger::ledger;
use bindings::lending::ledger::types as wit;
use ledger_core::{JournalEntry, LedgerError, PAGE_LIMIT_MAX, PostingLine, Side, StoredEntry};
use lendkit::{Access, Ctx, FieldError, Method, Problem, Role, Route};
use serde_json::{Value, json};
use spin_sdk::http::{Request, Response};

/// The component's name in `spin.toml`.
pub const COMPONENT: &str = "ledger-api";

/// Page size of `GET …/entries` when the caller gives no `limit`.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;

/// Who may use the ledger API: operations staff (admin is always accepted).
const OPERATIONS: Access = Access::Roles(&[Role::Operations]);

/// Response header set on a replayed post, as lendkit's idempotency layer does.
const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Every route this component serves (checked against `api/openapi.json` by the platform's
/// OpenAPI coverage test).
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/v1/ledger/books/{book}/entries",
        access: OPERATIONS,
        summary: "Post a journal entry",
        handler: post_entry,
    },
    Route {
        method: Method::Get,
        path: "/v1/ledger/books/{book}/entries",
        access: OPERATIONS,
        summary: "List a book's entries",
        handler: list_entries,
    },
    Route {
        method: Method::Get,
        path: "/v1/ledger/books/{book}/entries/{id}",
        access: OPERATIONS,
        summary: "Read one entry",
        handler: get_entry,
    },
    Route {
        method: Method::Get,
        path: "/v1/ledger/books/{book}/balances",
        access: OPERATIONS,
        summary: "Account balances of a book",
        handler: get_balances,
    },
    Route {
        method: Method::Get,
        path: "/v1/ledger/books/{book}/verify",
        access: OPERATIONS,
        summary: "Re-verify a book's hash chain and balances",
        handler: verify_book,
    },
    Route {
        method: Method::Get,
        path: "/v1/ledger/trial-balance",
        access: OPERATIONS,
        summary: "Debits against credits over every book",
        handler: trial_balance,
    },
];

/// Serve one request (the pipeline is lendkit's; the route table is above).
pub fn handle(request: &Request) -> Response {
    lendkit::serve(COMPONENT, ROUTES, request)
}

// Only in the guest: natively the crate is an rlib for tests, and a native cdylib cannot
// link the `wasi:http/incoming-handler@0.2.0#handle` export name.
#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle_request(request: Request) -> Response {
    handle(&request)
}

// ------------------------------------------------------------------ handlers

fn post_entry(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let book = ctx.param("book")?;
    let entry: JournalEntry = ctx.json()?;
    check_idempotency_key(ctx.idempotency_key()?, &entry.id)?;
    let receipt = ledger::post(book, &entry_to_wit(entry))
        .map_err(|error| problem_for(&error_from_wit(error), Operation::Post))?;
    let status = if receipt.replayed { 200 } else { 201 };
    let mut response = lendkit::json::respond(
        status,
        &json!({
            "book": receipt.book,
            "id": receipt.id,
            "sequence": receipt.sequence,
            "hash": receipt.hash,
            "replayed": receipt.replayed,
        }),
    )?;
    if receipt.replayed {
        response.set_header(REPLAYED_HEADER, "true");
    }
    Ok(response)
}

fn list_entries(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let book = ctx.param("book")?;
    let after: Option<u64> = ctx.query.parse_as("after")?;
    let limit = page_limit(ctx.query.parse_as("limit")?)?;
    let page = ledger::entries(book, after, limit)
        .map_err(|error| problem_for(&error_from_wit(error), Operation::Read))?;
    let entries: Vec<StoredEntry> = page.entries.into_iter().map(stored_from_wit).collect();
    lendkit::json::respond(
        200,
        &json!({ "entries": entries, "next_after": page.next_after }),
    )
}

fn get_entry(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let book = ctx.param("book")?;
    let id = ctx.param("id")?;
    let stored = ledger::get_entry(book, id)
        .map_err(|error| problem_for(&error_from_wit(error), Operation::Read))?;
    lendkit::json::respond(200, &stored_from_wit(stored))
}

fn get_balances(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let book = ctx.param("book")?;
    let as_of = ctx.query.get("as_of");
    let balances = ledger::balances(book, as_of)
        .map_err(|error| problem_for(&error_from_wit(error), Operation::Read))?;
    let balances: Vec<Value> = balances.iter().map(balance_json).collect();
    lendkit::json::respond(
        200,
        &json!({ "book": book, "as_of": as_of, "balances": balances }),
    )
}

fn verify_book(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let book = ctx.param("book")?;
    let v = ledger::verify(book)
        .map_err(|error| problem_for(&error_from_wit(error), Operation::Read))?;
    lendkit::json::respond(
        200,
        &json!({
            "book": v.book,
            "entries_checked": v.entries_checked,
            "head_hash": v.head_hash,
            "intact": v.intact,
            "first_broken_sequence": v.first_broken_sequence,
            "problem": v.problem,
        }),
    )
}

fn trial_balance(_: &Ctx<'_>) -> Result<Response, Problem> {
    let t = ledger::trial_balance()
        .map_err(|error| problem_for(&error_from_wit(error), Operation::Read))?;
    let currencies: Vec<Value> = t
        .currencies
        .iter()
        .map(|c| json!({ "currency": c.currency, "debits": c.debits, "credits": c.credits }))
        .collect();
    let accounts: Vec<Value> = t.accounts.iter().map(balance_json).collect();
    lendkit::json::respond(
        200,
        &json!({
            "books": t.books,
            "entries": t.entries,
            "currencies": currencies,
            "accounts": accounts,
            "balanced": t.balanced,
        }),
    )
}

// ------------------------------------------------------------------ HTTP rules

/// What kind of call failed: refusals of a post are 422 (the body is wrong), refusals of a
/// read are 400 (a path or query parameter is wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST …/entries`.
    Post,
    /// Any `GET`.
    Read,
}

/// The `Idempotency-Key` header, when sent, must name the entry: the entry id *is* the
/// ledger's idempotency key, so a different header value is a client mistake (422).
pub fn check_idempotency_key(header: Option<&str>, entry_id: &str) -> Result<(), Problem> {
    match header {
        Some(key) if key != entry_id => Err(Problem::validation(vec![FieldError {
            field: "Idempotency-Key".into(),
            message: "must equal the entry's id when given".into(),
        }])),
        _ => Ok(()),
    }
}

/// The page size: [`DEFAULT_PAGE_LIMIT`] when absent, 1–[`PAGE_LIMIT_MAX`] otherwise (400).
pub fn page_limit(requested: Option<u32>) -> Result<u32, Problem> {
    match requested {
        None => Ok(DEFAULT_PAGE_LIMIT),
        Some(limit) if (1..=PAGE_LIMIT_MAX).contains(&limit) => Ok(limit),
        Some(_) => Err(Problem::bad_request("invalid query parameter")
            .with_error("limit", format!("must be between 1 and {PAGE_LIMIT_MAX}"))),
    }
}

/// The problem details for a ledger refusal.
///
/// * `invalid` → 422 (post) or 400 (read) with one field error per problem,
/// * `unbalanced` → 422 `unbalanced-entry`, one error per currency on `lines`,
/// * `duplicate-id` → 409 `duplicate-id`, not retryable,
/// * `conflict` → 409 `conflict`, retryable, `retry-after: 0`,
/// * `not-found` → 404, `storage` → 503 (retryable; the store's own text is not shown).
pub fn problem_for(error: &LedgerError, operation: Operation) -> Problem {
    match error {
        LedgerError::Invalid(text) => {
            let errors: Vec<FieldError> = ledger_core::split_field_errors(text)
                .into_iter()
                .map(|e| FieldError {
                    field: e.field,
                    message: e.message,
                })
                .collect();
            match operation {
                Operation::Post => Problem::validation(errors),
                Operation::Read => {
                    let mut problem = Problem::bad_request("invalid path or query parameter");
                    for e in errors {
                        problem = problem.with_error(e.field, e.message);
                    }
                    problem
                }
            }
        }
        LedgerError::Unbalanced(text) => {
            let mut problem = Problem::unprocessable("debits differ from credits")
                .with_type("unbalanced-entry")
                .with_title("Unbalanced entry");
            for line in text.lines() {
                problem = problem.with_error("lines", line);
            }
            problem
        }
        LedgerError::DuplicateId(text) => Problem::conflict(text.as_str())
            .with_type("duplicate-id")
            .with_title("Entry id already used")
            .retryable(false),
        LedgerError::Conflict(attempts) => Problem::conflict(format!(
            "other writers kept winning on this book; gave up after {attempts} attempts"
        ))
        .retryable(true)
        .with_header("retry-after", "0"),
        LedgerError::NotFound(text) => Problem::not_found(text.as_str()),
        LedgerError::Storage(_) => {
            Problem::unavailable("the ledger's key-value store failed or holds unreadable data")
        }
    }
}

// ------------------------------------------------------------------ conversions

fn error_from_wit(error: wit::LedgerError) -> LedgerError {
    match error {
        wit::LedgerError::Invalid(text) => LedgerError::Invalid(text),
        wit::LedgerError::Unbalanced(text) => LedgerError::Unbalanced(text),
        wit::LedgerError::DuplicateId(text) => LedgerError::DuplicateId(text),
        wit::LedgerError::Conflict(attempts) => LedgerError::Conflict(attempts),
        wit::LedgerError::NotFound(text) => LedgerError::NotFound(text),
        wit::LedgerError::Storage(text) => LedgerError::Storage(text),
    }
}

fn side_to_wit(side: Side) -> wit::Side {
    match side {
        Side::Debit => wit::Side::Debit,
        Side::Credit => wit::Side::Credit,
    }
}

fn side_from_wit(side: wit::Side) -> Side {
    match side {
        wit::Side::Debit => Side::Debit,
        wit::Side::Credit => Side::Credit,
    }
}

fn entry_to_wit(entry: JournalEntry) -> wit::JournalEntry {
    wit::JournalEntry {
        id: entry.id,
        effective_date: entry.effective_date,
        description: entry.description,
        lines: entry
            .lines
            .into_iter()
            .map(|line| wit::PostingLine {
                account: line.account,
                side: side_to_wit(line.side),
                amount: line.amount,
                currency: line.currency,
            })
            .collect(),
    }
}

fn entry_from_wit(entry: wit::JournalEntry) -> JournalEntry {
    JournalEntry {
        id: entry.id,
        effective_date: entry.effective_date,
        description: entry.description,
        lines: entry
            .lines
            .into_iter()
            .map(|line| PostingLine {
                account: line.account,
                side: side_from_wit(line.side),
                amount: line.amount,
                currency: line.currency,
            })
            .collect(),
    }
}

fn stored_from_wit(stored: wit::StoredEntry) -> StoredEntry {
    StoredEntry {
        sequence: stored.sequence,
        entry: entry_from_wit(stored.entry),
        previous_hash: stored.previous_hash,
        hash: stored.hash,
        // The commit token stays inside the ledger component.
        commit: None,
    }
}

fn balance_json(balance: &wit::Balance) -> Value {
    json!({
        "account": balance.account,
        "currency": balance.currency,
        "debits": balance.debits,
        "credits": balance.credits,
        "net": balance.net,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lendkit::KeyRing;
    use spin_sdk::http::Method as SpinMethod;

    fn serve(request: Request) -> Response {
        lendkit::serve_with(COMPONENT, ROUTES, &request, || {
            Ok(KeyRing::parse("operations:ops-key;risk:risk-key").unwrap())
        })
    }

    fn body(response: &Response) -> Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    const ENTRY: &str = r#"{"id":"e-1","effective_date":"2026-03-01","description":"d",
        "lines":[{"account":"cash","side":"debit","amount":"1","currency":"USD"},
                 {"account":"equity","side":"credit","amount":"1","currency":"USD"}]}"#;

    fn post(key: &str, idempotency_key: Option<&str>, entry: &str) -> Response {
        let mut builder = Request::builder();
        builder
            .method(SpinMethod::Post)
            .uri("/v1/ledger/books/loan-1/entries")
            .header("x-api-key", key)
            .header("content-type", "application/json");
        if let Some(value) = idempotency_key {
            builder.header("idempotency-key", value);
        }
        serve(builder.body(entry.as_bytes().to_vec()).build())
    }

    #[test]
    fn routes_are_operations_only() {
        for route in ROUTES {
            assert!(route.path.starts_with("/v1/ledger/"));
            assert_eq!(
                route.access.effective_roles(),
                [Role::Operations, Role::Admin]
            );
        }
        assert_eq!(*post("risk-key", None, ENTRY).status(), 403);
        assert_eq!(*post("nope", None, ENTRY).status(), 401);
    }

    #[test]
    fn idempotency_key_must_equal_the_entry_id() {
        let response = post("ops-key", Some("other"), ENTRY);
        assert_eq!(*response.status(), 422);
        assert_eq!(body(&response)["errors"][0]["field"], "Idempotency-Key");
        assert!(check_idempotency_key(Some("e-1"), "e-1").is_ok());
        assert!(check_idempotency_key(None, "e-1").is_ok());
    }

    #[test]
    fn body_shape_is_checked_before_the_ledger_is_called() {
        let unknown = ENTRY.replace("\"d\",", "\"d\", \"extra\": 1,");
        assert_eq!(*post("ops-key", None, &unknown).status(), 422);
        let bad_side = ENTRY.replace("\"debit\"", "\"Debit\"");
        let response = post("ops-key", None, &bad_side);
        assert_eq!(*response.status(), 422);
        assert_eq!(body(&response)["errors"][0]["field"], "lines[0].side");
        assert_eq!(*post("ops-key", None, "{").status(), 400);
    }

    #[test]
    fn page_limits() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_PAGE_LIMIT);
        assert_eq!(page_limit(Some(500)).unwrap(), 500);
        for bad in [0, 501] {
            let problem = page_limit(Some(bad)).unwrap_err();
            assert_eq!(problem.status, 400);
            assert_eq!(problem.errors[0].field, "limit");
        }
        let request = Request::builder()
            .method(SpinMethod::Get)
            .uri("/v1/ledger/books/loan-1/entries?limit=9999")
            .header("x-api-key", "ops-key")
            .build();
        assert_eq!(*serve(request).status(), 400);
    }

    #[test]
    fn ledger_errors_map_to_problems() {
        let invalid = LedgerError::Invalid("id: must not be empty\nlines[1].amount: bad".into());
        let problem = problem_for(&invalid, Operation::Post);
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors.len(), 2);
        assert_eq!(problem.errors[1].field, "lines[1].amount");
        assert_eq!(problem_for(&invalid, Operation::Read).status, 400);

        let unbalanced = LedgerError::Unbalanced("USD: debits 1.00, credits 2.00".into());
        let problem = problem_for(&unbalanced, Operation::Post);
        assert_eq!(problem.status, 422);
        assert_eq!(problem.type_uri, "urn:lendwork:problem:unbalanced-entry");
        assert_eq!(problem.errors[0].message, "USD: debits 1.00, credits 2.00");

        let duplicate = problem_for(&LedgerError::DuplicateId("x".into()), Operation::Post);
        assert_eq!((duplicate.status, duplicate.retryable), (409, Some(false)));

        let conflict = problem_for(&LedgerError::Conflict(64), Operation::Post);
        assert_eq!((conflict.status, conflict.retryable), (409, Some(true)));
        assert_eq!(conflict.header("retry-after"), Some("0"));

        assert_eq!(
            problem_for(&LedgerError::NotFound("x".into()), Operation::Read).status,
            404
        );
        let storage = problem_for(&LedgerError::Storage("secret path".into()), Operation::Read);
        assert_eq!(storage.status, 503);
        assert!(!storage.to_json().windows(6).any(|w| w == b"secret"));
    }
}
