//! From offer to loan through the built components on the host: every approved offer
//! carries its disclosure; the borrower reads it (JSON and HTML) and signs it; the loan is
//! booked with its schedule and disbursement entry; expired, withdrawn, double and
//! concurrent acceptances are refused or book one loan.

use std::sync::Arc;

use lendwork_e2e::origination::*;
use lendwork_e2e::servicing::*;
use lendwork_e2e::{Backend, Host, HostConfig, OPERATIONS_KEY, sha256_hex};
use serde_json::{Value, json};

const TODAY: &str = "2026-12-02";

fn host_on(date: &str) -> Host {
    Host::start(HostConfig::platform().env("SPIN_VARIABLE_BUSINESS_DATE", date))
}

/// An approved application; its id and its first offer. The simulated bureau's file
/// follows each applicant's identity, so fresh applicants are tried until the policy
/// approves one (a few at most).
fn approved(host: &Host) -> (String, Value) {
    assert_eq!(load_list(host, &sample_list()).status, 201);
    for _ in 0..20 {
        let body = created(&submit(host, APPLICANT_KEY, &personal("web"), None));
        if body["status"] == "approved" {
            let offer = body["decision"]["offers"][0].clone();
            return (body["id"].as_str().unwrap().to_string(), offer);
        }
    }
    panic!("no applicant of twenty was approved");
}

fn disclosure(host: &Host, key: &str, id: &str, offer: &str) -> lendwork_e2e::Reply {
    host.get_as(
        key,
        &format!("/v1/applications/{id}/offers/{offer}/disclosure"),
    )
}

fn accept(host: &Host, key: &str, id: &str, offer: &str, sha256: &str) -> lendwork_e2e::Reply {
    host.post_json_as(
        key,
        &format!("/v1/applications/{id}/offers/{offer}/accept"),
        &json!({ "typed_name": "Ada Lovelace", "consent": true, "disclosure_sha256": sha256 }),
    )
}

#[test]
fn an_accepted_offer_books_its_loan_with_the_schedule_and_the_disbursement_disclosed() {
    let host = host_on(TODAY);
    let (id, offer) = approved(&host);
    assert_eq!(offer["offer_id"], "o1");
    assert_eq!(offer["expires_on"], "2027-01-01");
    let summary = &offer["disclosure"];
    assert_eq!(summary["number_of_payments"], offer["term_months"]);
    assert_eq!(summary["first_payment_date"], "2027-01-02");

    let shown = disclosure(&host, APPLICANT_KEY, &id, "o1");
    assert_eq!(shown.status, 200, "{}", shown.text());
    let shown = shown.json();
    let doc = &shown["disclosure"];
    assert_eq!(shown["acceptable"], true);
    assert_eq!(
        doc["annual_percentage_rate"],
        summary["annual_percentage_rate"]
    );
    assert_eq!(doc["loan_amount"], offer["amount"]);
    assert_eq!(
        shown["document_sha256"],
        sha256_hex(shown["document"].as_str().unwrap().as_bytes()).as_str()
    );
    // The page a borrower reads, with the same digest.
    let page = host.request(
        "GET",
        &format!("/v1/applications/{id}/offers/o1/disclosure"),
        &[
            ("authorization", &format!("Bearer {APPLICANT_KEY}")),
            ("accept", "text/html"),
        ],
        None,
    );
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        page.header("x-disclosure-sha256"),
        shown["document_sha256"].as_str()
    );
    assert!(page.text().contains(&format!(
        "{}%",
        doc["annual_percentage_rate"].as_str().unwrap()
    )));
    // Another borrower's channel sees no such application; an underwriter cannot sign.
    assert_eq!(
        disclosure(&host, "applicant-other-key", &id, "o1").status,
        404
    );
    let sha = shown["document_sha256"].as_str().unwrap();
    assert_eq!(accept(&host, UNDERWRITER_KEY, &id, "o1", sha).status, 403);
    // A wrong digest, no consent, another name: refused, nothing changes.
    assert_eq!(
        accept(&host, APPLICANT_KEY, &id, "o1", &"0".repeat(64)).status,
        409
    );
    let unsigned = host.post_json_as(
        APPLICANT_KEY,
        &format!("/v1/applications/{id}/offers/o1/accept"),
        &json!({ "typed_name": "Someone Else", "consent": false, "disclosure_sha256": sha }),
    );
    assert_eq!(unsigned.status, 422, "{}", unsigned.text());
    assert_eq!(unsigned.json()["errors"].as_array().unwrap().len(), 2);

    let accepted = accept(&host, APPLICANT_KEY, &id, "o1", sha);
    assert_eq!(accepted.status, 201, "{}", accepted.text());
    let accepted = accepted.json();
    assert_eq!(accepted["application"]["status"], "booked");
    let loan = &accepted["loan"];
    let loan_id = loan["id"].as_str().unwrap();
    assert_eq!(accepted["application"]["loan_id"], loan_id);
    assert_eq!(
        accepted["application"]["acceptance"]["disclosure_sha256"],
        sha
    );
    assert_eq!(loan["terms"]["principal"], offer["amount"]);
    assert_eq!(loan["terms"]["disbursed"], doc["disbursed"]);
    assert_eq!(
        loan["terms"]["payment"],
        doc["payment_schedule"]["regular_payment"]
    );
    assert_eq!(loan["terms"]["installments"], offer["term_months"]);
    assert_eq!(loan["balances"]["principal"], offer["amount"]);
    assert_eq!(loan["next_due"]["date"], "2027-01-02");

    // The schedule is the disclosed one: the total of payments to the cent.
    let schedule = read_as(
        &host,
        APPLICANT_KEY,
        &format!("/v1/loans/{loan_id}/schedule"),
    );
    let cents: i64 = schedule["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| minor(i["scheduled_payment"].as_str().unwrap()))
        .sum();
    assert_eq!(cents, minor(doc["total_of_payments"].as_str().unwrap()));
    // The disbursement entry: principal against disbursement clearing and the deferred fee.
    let entries = read(&host, &format!("/v1/loans/{loan_id}/transactions"));
    let booking = &entries["transactions"][0];
    assert_eq!(booking["id"], "booking");
    assert_eq!(booking["effective_date"], TODAY);
    let lines = booking["lines"].as_array().unwrap();
    let line = |account: &str| {
        lines.iter().find(|l| l["account"] == account).map(|l| {
            (
                l["side"].as_str().unwrap().to_string(),
                l["amount"].as_str().unwrap().to_string(),
            )
        })
    };
    assert_eq!(
        line("loan-principal"),
        Some(("debit".into(), offer["amount"].as_str().unwrap().into()))
    );
    assert_eq!(
        line("disbursement-clearing"),
        Some(("credit".into(), doc["disbursed"].as_str().unwrap().into()))
    );
    let fee = doc["origination_fee"].as_str().unwrap();
    let deferred = (fee != "0.00").then(|| ("credit".to_string(), fee.to_string()));
    assert_eq!(line("deferred-origination-fees"), deferred);
    let trial = read(&host, "/v1/ledger/trial-balance");
    assert_eq!(trial["balanced"], true);

    // The borrower's channel reads its loan; another channel does not see it.
    assert_eq!(
        host.get_as(APPLICANT_KEY, &format!("/v1/loans/{loan_id}"))
            .status,
        200
    );
    assert_eq!(
        host.get_as("applicant-other-key", &format!("/v1/loans/{loan_id}"))
            .status,
        404
    );

    // Accepting again answers the same loan; another offer is no longer open.
    let again = accept(&host, APPLICANT_KEY, &id, "o1", sha);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["loan"]["id"], loan_id);
    if accepted["application"]["decision"]["offers"]
        .as_array()
        .unwrap()
        .len()
        > 1
    {
        let other = disclosure(&host, APPLICANT_KEY, &id, "o2").json();
        let sha2 = other["document_sha256"].as_str().unwrap();
        assert_eq!(accept(&host, APPLICANT_KEY, &id, "o2", sha2).status, 409);
    }
    assert_eq!(
        read(&host, &format!("/v1/loans/{loan_id}/transactions"))["transactions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn an_offer_can_be_taken_until_it_expires_and_not_after() {
    let sqlite = || HostConfig::platform().with_backend(Backend::Sqlite);
    let host = Host::start(sqlite().env("SPIN_VARIABLE_BUSINESS_DATE", TODAY));
    let (first, _) = approved(&host);
    let (second, _) = approved(&host);
    // Thirty days on (the last day), the disclosure is the day's and the offer is taken.
    let (_, state) = host.stop();
    let host = Host::start_on(
        sqlite().env("SPIN_VARIABLE_BUSINESS_DATE", "2027-01-01"),
        state,
    );
    let shown = disclosure(&host, APPLICANT_KEY, &first, "o1").json();
    assert_eq!(shown["acceptable"], true);
    assert_eq!(shown["disclosure"]["disbursement_date"], "2027-01-01");
    let sha = shown["document_sha256"].as_str().unwrap();
    let accepted = accept(&host, APPLICANT_KEY, &first, "o1", sha);
    assert_eq!(accepted.status, 201, "{}", accepted.text());
    assert_eq!(accepted.json()["loan"]["terms"]["start_date"], "2027-01-01");
    // Thirty-one days on, not.
    let (_, state) = host.stop();
    let host = Host::start_on(
        sqlite().env("SPIN_VARIABLE_BUSINESS_DATE", "2027-01-02"),
        state,
    );
    let shown = disclosure(&host, APPLICANT_KEY, &second, "o1").json();
    assert_eq!(shown["acceptable"], false);
    let refused = accept(
        &host,
        APPLICANT_KEY,
        &second,
        "o1",
        shown["document_sha256"].as_str().unwrap(),
    );
    assert_eq!(refused.status, 409);
    assert!(
        refused.json()["type"]
            .as_str()
            .unwrap()
            .ends_with("offer-expired")
    );
    let application = host
        .get_as(APPLICANT_KEY, &format!("/v1/applications/{second}"))
        .json();
    assert_eq!(application["status"], "approved");
    assert!(application["loan_id"].is_null());
}

#[test]
fn concurrent_acceptances_book_one_loan_and_a_withdrawn_offer_is_refused() {
    let host = Arc::new(host_on(TODAY));
    let (id, _) = approved(&host);
    let sha = disclosure(&host, APPLICANT_KEY, &id, "o1").json()["document_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let (host, id, sha) = (host.clone(), id.clone(), sha.clone());
            std::thread::spawn(move || accept(&host, APPLICANT_KEY, &id, "o1", &sha))
        })
        .collect();
    let replies: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    let loans: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| {
            assert!(r.status == 201 || r.status == 200, "{}", r.text());
            r.json()["loan"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(loans.len(), 1, "{loans:?}");
    let loan_id = loans.into_iter().next().unwrap();
    let entries = read(&host, &format!("/v1/loans/{loan_id}/transactions"));
    assert_eq!(entries["transactions"].as_array().unwrap().len(), 1);

    // A withdrawn offer is refused, and only an underwriter withdraws.
    let (other, _) = approved(&host);
    let path = format!("/v1/applications/{other}/offers/o1/withdrawal");
    assert_eq!(
        host.post_json_as(OPERATIONS_KEY, &path, &json!({})).status,
        403
    );
    let withdrawn = host.post_json_as(UNDERWRITER_KEY, &path, &json!({}));
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text());
    let sha = disclosure(&host, APPLICANT_KEY, &other, "o1").json()["document_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = accept(&host, APPLICANT_KEY, &other, "o1", &sha);
    assert_eq!(refused.status, 409);
    assert!(
        refused.json()["type"]
            .as_str()
            .unwrap()
            .ends_with("offer-withdrawn")
    );
}

/// `GET path` as `key`, asserting 200.
fn read_as(host: &Host, key: &str, path: &str) -> Value {
    let reply = host.get_as(key, path);
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    reply.json()
}

/// Decimal text to cents.
fn minor(text: &str) -> i64 {
    let (whole, cents) = text.split_once('.').unwrap_or((text, "0"));
    whole.parse::<i64>().unwrap() * 100 + format!("{cents:0<2}")[..2].parse::<i64>().unwrap()
}
