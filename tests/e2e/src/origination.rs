//! Origination fixtures shared by the end-to-end suites: applications as channels submit
//! them (fresh identifiers each, so duplicate and velocity checks see strangers), the
//! sample sanctions list, and the test keys of the roles that submit and review.

use serde_json::{Value, json};

use crate::{Host, Reply};

/// A borrower channel's test key.
pub const APPLICANT_KEY: &str = "applicant-test-key";

/// A broker's test key.
pub const BROKER_KEY: &str = "broker-test-key";

/// An underwriter's test key.
pub const UNDERWRITER_KEY: &str = "underwriter-test-key";

/// An administrator's test key.
pub const ADMIN_KEY: &str = "admin-test-key";

/// Identifiers no other application of any test run has used: duplicate and velocity
/// checks see every application, and a Redis database outlives a run.
pub fn fresh_identifiers() -> (String, String, String) {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let n = seed / 1000 + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) * 7919;
    let national_id = format!(
        "{:03}-{:02}-{:04}",
        100 + n % 500,
        1 + (n / 500) % 99,
        1 + (n / 49_500) % 9_999
    );
    (
        national_id,
        format!("ada.{n}@example.com"),
        format!("+1415{:07}", n % 10_000_000),
    )
}

/// A person with fresh identifiers, 85,000 a year, employed three years.
pub fn person(_role: &str) -> Value {
    let (national_id, email, phone) = fresh_identifiers();
    json!({
        "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-02-28",
        "national_id": national_id, "email": email, "phone": phone,
        "address": { "line1": "1 Main St", "city": "Springfield", "state": "CA",
                     "postal_code": "94105", "country": "US" },
        "annual_income": "85000.00", "monthly_housing_cost": "1800.00",
        "employment_status": "employed", "employer_name": "Analytical Engines",
        "months_employed": 36
    })
}

/// A personal installment application (12,000 over 36 months) through `channel`.
pub fn personal(channel: &str) -> Value {
    json!({
        "product": "personal_installment", "channel": channel, "requested_amount": "12000",
        "term_months": 36, "purpose": "debt consolidation", "applicant": person("applicant"),
        "consents": { "credit_pull": true, "esign": true, "terms_version": "2026-10",
                      "accepted_at": "2026-11-01T10:00:00Z" }
    })
}

/// An SME term application (250,000 over 60 months) through a broker, one owner.
pub fn sme() -> Value {
    let mut owner = person("owner");
    owner["ownership_percent"] = json!("75");
    let mut doc = personal("broker");
    doc["product"] = json!("sme_term");
    doc["requested_amount"] = json!("250000.00");
    doc["term_months"] = json!(60);
    doc["business"] = json!({
        "legal_name": "Engines LLC", "ein": "12-3456789", "formation_date": "2015-06-01",
        "annual_revenue": "1200000", "annual_debt_service": "40000.50",
        "address": { "line1": "2 Market St", "city": "San Francisco", "state": "CA",
                     "postal_code": "94105-1234", "country": "US" }
    });
    doc["owners"] = json!([owner]);
    doc
}

/// Submits `body` as `key`, with an `Idempotency-Key` when given.
pub fn submit(host: &Host, key: &str, body: &Value, idempotency_key: Option<&str>) -> Reply {
    let auth = format!("Bearer {key}");
    let mut headers = vec![
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    if let Some(idem) = idempotency_key {
        headers.push(("idempotency-key", idem));
    }
    host.request(
        "POST",
        "/v1/applications",
        &headers,
        Some(body.to_string().as_bytes()),
    )
}

/// The body of a 201, or a failed test naming what came instead.
pub fn created(reply: &Reply) -> Value {
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

/// The sample sanctions list shipped in the repository, as the admin route takes it.
pub fn sample_list() -> Value {
    let read = |name: &str| {
        std::fs::read_to_string(
            crate::workspace_root().join(format!("data/sanctions/sample/{name}")),
        )
        .unwrap()
    };
    json!({ "sdn_csv": read("sdn.csv"), "alt_csv": read("alt.csv"), "add_csv": read("add.csv") })
}

/// Loads a sanctions list as an administrator.
pub fn load_list(host: &Host, list: &Value) -> Reply {
    host.post_json_as(ADMIN_KEY, "/v1/admin/sanctions", list)
}

/// A personal application by someone of this name and date of birth.
pub fn named(first: &str, last: &str, born: &str) -> Value {
    let mut doc = personal("web");
    doc["applicant"]["first_name"] = json!(first);
    doc["applicant"]["last_name"] = json!(last);
    doc["applicant"]["date_of_birth"] = json!(born);
    doc
}
