//! The business date through the built components on the host: its starting value, closing
//! a day (and retrying it), days that cannot be closed, who may close, and servicing
//! following the stored date rather than the system clock.

use lendwork_e2e::servicing::*;
use lendwork_e2e::{Backend, Host, HostConfig, OPERATIONS_KEY, RISK_KEY};
use serde_json::{Value, json};

/// The starting business date these tests replay.
const START: &str = "2026-04-01";

fn replaying() -> Host {
    Host::start(replayed())
}

fn replayed() -> HostConfig {
    HostConfig::platform().env("SPIN_VARIABLE_BUSINESS_DATE", START)
}

fn close(host: &Host, body: Value) -> lendwork_e2e::Reply {
    host.post_json_as(OPERATIONS_KEY, "/v1/servicing/close-of-business", &body)
}

fn closed(host: &Host, body: Value) -> Value {
    let reply = close(host, body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

#[test]
fn closing_a_day_moves_the_business_date_and_a_retry_changes_nothing() {
    let host = Host::start(replayed().with_backend(Backend::Sqlite));
    let calendar = read(&host, "/v1/servicing/business-date");
    assert_eq!(calendar["business_date"], START, "{calendar}");
    assert_eq!(calendar["starting"], true, "{calendar}");
    assert_eq!(calendar["last_closed"], Value::Null, "{calendar}");

    let first = closed(&host, json!({ "business_date": START }));
    assert_eq!(first["closed"], true, "{first}");
    assert_eq!(first["business_date"], "2026-04-02", "{first}");
    assert_eq!(first["last_closed"]["date"], START, "{first}");
    // Who closed it is the key's id, never the key.
    let by = first["last_closed"]["by"].as_str().unwrap();
    assert!(!by.is_empty() && by != OPERATIONS_KEY, "{first}");
    assert_eq!(first["starting"], false, "{first}");

    // The same day again is a retry: answered as closed, the date not moved.
    let retry = closed(&host, json!({ "business_date": START }));
    assert_eq!(retry["closed"], false, "{retry}");
    assert_eq!(retry["business_date"], "2026-04-02", "{retry}");

    // Without a day named, the business date is closed.
    let second = closed(&host, json!({}));
    assert_eq!(second["closed"], true, "{second}");
    assert_eq!(second["business_date"], "2026-04-03", "{second}");

    // Any other day is a conflict, and changes nothing.
    for day in ["2026-04-01", "2026-04-05"] {
        let reply = close(&host, json!({ "business_date": day }));
        assert_eq!(reply.status, 409, "{day}: {}", reply.text());
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
    }
    let calendar = read(&host, "/v1/servicing/business-date");
    assert_eq!(calendar["business_date"], "2026-04-03", "{calendar}");
    assert_eq!(calendar["last_closed"]["date"], "2026-04-02", "{calendar}");

    // The date is kept: a restarted host starts from it, not from the variable.
    let host = host.restart();
    let calendar = read(&host, "/v1/servicing/business-date");
    assert_eq!(calendar["business_date"], "2026-04-03", "{calendar}");
}

#[test]
fn only_operations_close_a_day_and_bad_requests_change_nothing() {
    let host = replaying();
    let reply = host.get_as(RISK_KEY, "/v1/servicing/business-date");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = host.post_json_as(RISK_KEY, "/v1/servicing/close-of-business", &json!({}));
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = host.get("/v1/servicing/business-date");
    assert_eq!(reply.status, 401, "{}", reply.text());
    for body in [
        json!({ "business_date": "April the first" }),
        json!({ "business_date": START, "also": 1 }),
    ] {
        let reply = close(&host, body.clone());
        assert!(
            matches!(reply.status, 400 | 422),
            "{body}: {}",
            reply.text()
        );
    }
    let calendar = read(&host, "/v1/servicing/business-date");
    assert_eq!(calendar["business_date"], START, "{calendar}");
    assert_eq!(calendar["starting"], true, "{calendar}");
}

#[test]
fn without_a_replayed_calendar_a_day_is_closed_only_once_it_has_begun() {
    let host = Host::start(HostConfig::platform());
    let today = chrono::Utc::now().date_naive();
    let calendar = read(&host, "/v1/servicing/business-date");
    assert_eq!(calendar["business_date"], today.to_string(), "{calendar}");
    let first = closed(&host, json!({}));
    assert_eq!(first["closed"], true, "{first}");
    let tomorrow = today.succ_opt().unwrap().to_string();
    assert_eq!(first["business_date"], tomorrow, "{first}");
    let reply = close(&host, json!({}));
    assert_eq!(reply.status, 409, "{}", reply.text());
    let calendar = read(&host, "/v1/servicing/business-date");
    assert_eq!(calendar["business_date"], tomorrow, "{calendar}");
}

#[test]
fn payments_follow_the_business_date_not_the_system_clock() {
    let host = replaying();
    let loan = import_one(
        &host,
        import_row(
            &lendwork_e2e::unique("bd"),
            "1000.00",
            "12",
            "88.85",
            12,
            "2026-04-15",
        ),
    );
    // A payment dated after the business date is refused (and nothing is posted).
    let reply = pay(&host, &loan, "early-1", "10.00", "2026-04-02", "ach");
    assert_eq!(reply.status, 422, "{}", reply.text());
    let loan_view = read(&host, &format!("/v1/loans/{loan}"));
    let entries_before = read(&host, &format!("/v1/ledger/books/{loan}/entries"));
    closed(&host, json!({ "business_date": START }));
    // Once the day before has closed, it is accepted; undated, a payment takes the
    // business date.
    let reply = pay(&host, &loan, "early-1", "10.00", "2026-04-02", "ach");
    assert_eq!(reply.status, 201, "{}", reply.text());
    let body = json!({ "amount": "5.00", "channel": "ach" });
    let reply = host.request(
        "POST",
        &format!("/v1/loans/{loan}/payments"),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {OPERATIONS_KEY}")),
            ("idempotency-key", "undated-1"),
        ],
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(
        reply.json()["effective_date"],
        "2026-04-02",
        "{}",
        reply.text()
    );
    let entries_after = read(&host, &format!("/v1/ledger/books/{loan}/entries"));
    assert_eq!(
        entries_after["entries"].as_array().unwrap().len(),
        entries_before["entries"].as_array().unwrap().len() + 2,
        "{loan_view}"
    );
}
