//! Helpers for the servicing suites: imported loans, payments, reads.

use chrono::NaiveDate;
use lendmath::accrual;
use lendmath::daycount::DayCount;
use lendmath::money::{Currency, Money};
use lendmath::rate::AnnualRate;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::{Host, OPERATIONS_KEY, Reply};

/// The collections test key.
pub const COLLECTIONS_KEY: &str = "collections-test-key";

/// The date the import rows' balances are as of.
pub const CUT_OVER: &str = "2026-03-01";

/// An import row: `principal` left at `rate` percent on [`CUT_OVER`], `installments` of
/// `payment` monthly from `next_due`, current (nothing past due).
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
        "balances_as_of": CUT_OVER,
        "product": "personal_installment",
        "annual_rate": rate,
        "original_principal": principal,
        "current_principal": principal,
        "payment_amount": payment,
        "remaining_installments": installments,
        "next_due_date": next_due,
        "paid_to_date": CUT_OVER,
        "days_past_due": 0,
        "borrower": { "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com" },
    })
}

/// `POST /v1/loans/import` with `rows`.
pub fn import(host: &Host, rows: &[Value]) -> Reply {
    try_import(host, rows).unwrap_or_else(|e| panic!("import: {e}\nhost logs:\n{}", host.logs()))
}

/// [`import`], or the transport's error.
pub fn try_import(host: &Host, rows: &[Value]) -> Result<Reply, String> {
    let body = json!({ "loans": rows }).to_string();
    host.try_request(
        "POST",
        "/v1/loans/import",
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {OPERATIONS_KEY}")),
        ],
        Some(body.as_bytes()),
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
    try_pay(host, loan, key, amount, date, channel)
        .unwrap_or_else(|e| panic!("payment {key}: {e}\nhost logs:\n{}", host.logs()))
}

/// [`pay`], or the transport's error.
pub fn try_pay(
    host: &Host,
    loan: &str,
    key: &str,
    amount: &str,
    date: &str,
    channel: &str,
) -> Result<Reply, String> {
    let body = json!({ "amount": amount, "effective_date": date, "channel": channel });
    host.try_request(
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

/// The net (debits minus credits) of each account of `book` that is not zero, in cents,
/// from the ledger.
pub fn ledger_nets(host: &Host, book: &str) -> std::collections::BTreeMap<String, i64> {
    let body = read(host, &format!("/v1/ledger/books/{book}/balances"));
    body["balances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| cents(b["net"].as_str().unwrap()) != 0)
        .map(|b| {
            (
                b["account"].as_str().unwrap().to_string(),
                cents(b["net"].as_str().unwrap()),
            )
        })
        .collect()
}

/// Decimal text (`"-12.5"`, `"340.00"`) to cents.
pub fn cents(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let text = text.trim_start_matches('-');
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = format!("{fraction:0<2}");
    let value = whole.parse::<i64>().unwrap() * 100 + fraction[..2].parse::<i64>().unwrap();
    if negative { -value } else { value }
}

/// Cents as decimal text.
pub fn text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// Interest on `principal` cents at `rate` % actual/365 (the consumer product's day count)
/// from `from` to `to` (dates `YYYY-MM-DD`), exact (not rounded), from the money library.
pub fn interest_exact(principal: i64, rate: &str, from: &str, to: &str) -> Decimal {
    let date = |text: &str| text.parse::<NaiveDate>().unwrap();
    accrual::accrue(
        Money::from_minor(principal, Currency::USD),
        AnnualRate::parse_percent(rate).unwrap(),
        DayCount::Actual365Fixed,
        date(from),
        date(to),
        &[],
    )
    .unwrap()
    .interest_exact
}

/// An exact amount rounded half-up to cents, as bills and accruals round interest.
pub fn to_cents(exact: Decimal) -> i64 {
    accrual::ACCRUAL_ROUNDING
        .round_money(exact, Currency::USD)
        .unwrap()
        .to_minor()
}
