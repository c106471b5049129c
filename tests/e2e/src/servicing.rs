//! Helpers for the servicing suites: imported loans, payments, reads.

use serde_json::{Value, json};

use crate::{Host, OPERATIONS_KEY, Reply};

/// The collections test key.
pub const COLLECTIONS_KEY: &str = "collections-test-key";

/// An import row: `principal` left at `rate` percent, `installments` of `payment` monthly
/// from `next_due`, current (nothing past due).
pub fn import_row(
    external_id: &str,
    principal: &str,
    rate: &str,
    payment: &str,
    installments: u32,
    next_due: &str,
) -> Value {
    json!({
        "external_id": external_id,
        "product": "personal_installment",
        "annual_rate": rate,
        "original_principal": principal,
        "current_principal": principal,
        "payment_amount": payment,
        "remaining_installments": installments,
        "next_due_date": next_due,
        "paid_to_date": "2026-02-01",
        "days_past_due": 0,
        "borrower": { "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com" },
    })
}

/// `POST /v1/loans/import` with `rows`.
pub fn import(host: &Host, rows: &[Value]) -> Reply {
    host.post_json_as(
        OPERATIONS_KEY,
        "/v1/loans/import",
        &json!({ "loans": rows }),
    )
}

/// Imports one row; the new loan's id.
pub fn import_one(host: &Host, row: Value) -> String {
    let reply = import(host, &[row]);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["loans"][0]["status"], "booked", "{body}");
    body["loans"][0]["loan_id"].as_str().unwrap().to_string()
}

/// `POST /v1/loans/{loan}/payments` with idempotency key `key`.
pub fn pay(host: &Host, loan: &str, key: &str, amount: &str, date: &str, channel: &str) -> Reply {
    let body = json!({ "amount": amount, "effective_date": date, "channel": channel });
    host.request(
        "POST",
        &format!("/v1/loans/{loan}/payments"),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {OPERATIONS_KEY}")),
            ("idempotency-key", key),
        ],
        Some(body.to_string().as_bytes()),
    )
}

/// `GET path` as operations, asserting 200.
pub fn read(host: &Host, path: &str) -> Value {
    let reply = host.get_as(OPERATIONS_KEY, path);
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    reply.json()
}
