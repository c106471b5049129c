//! The servicing core through the built components on the host: imported loans, payments
//! posted, backdated and reversed, payoff, statements, and the ledger agreeing throughout.

use lendwork_e2e::servicing::*;
use lendwork_e2e::{Host, HostConfig, OPERATIONS_KEY};
use serde_json::json;

fn host_on(date: &str) -> Host {
    Host::start(HostConfig::platform().env("SPIN_VARIABLE_BUSINESS_DATE", date))
}

#[test]
fn an_imported_loan_takes_payments_and_reads_back() {
    let host = host_on("2026-03-01");
    let loan = import_one(
        &host,
        import_row("ext-1", "1000.00", "12", "340.00", 3, "2026-04-01"),
    );
    let summary = read(&host, &format!("/v1/loans/{loan}"));
    assert_eq!(summary["status"], "active", "{summary}");
    assert_eq!(summary["balances"]["principal"], "1000.00");
    let paid = pay(&host, &loan, "k1", "100.00", "2026-03-01", "ach");
    assert_eq!(paid.status, 201, "{}", paid.text());
    let body = paid.json();
    assert_eq!(body["allocation"]["principal_prepaid"], "100.00", "{body}");
    assert_eq!(body["balances"]["principal"], "900.00");
    let again = pay(&host, &loan, "k1", "100.00", "2026-03-01", "ach");
    assert_eq!(again.status, 200, "{}", again.text());
    let trial = host
        .get_as(OPERATIONS_KEY, "/v1/ledger/trial-balance")
        .json();
    assert_eq!(trial["balanced"], true, "{trial}");
    let _ = json!({});
}
