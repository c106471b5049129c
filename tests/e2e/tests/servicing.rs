//! The servicing core through the built components on the host: imported loans; payments
//! on time, partial, over and backdated, checked to the cent against the money library;
//! an NSF reversal with its fee; payoff to zero; concurrent payments to one loan;
//! statements that add up; the trial balance zero after every step; and a crash of the
//! host in the middle of booking and posting with nothing half-done after restart.

// Amounts in cents are written dollars_cents (340_00 is $340.00), as in lendmath's tests.
#![allow(clippy::inconsistent_digit_grouping)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lendmath::money::{Currency, Money};
use lendwork_e2e::servicing::*;
use lendwork_e2e::{Backend, Host, HostConfig, OPERATIONS_KEY};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The business date of these tests: every payment is dated on or before it.
const TODAY: &str = "2026-06-30";

fn host_on(date: &str) -> Host {
    Host::start(HostConfig::platform().env("SPIN_VARIABLE_BUSINESS_DATE", date))
}

/// Interest on `principal` cents at 12 % from `from` to `to`, exact.
fn interest(principal: i64, from: &str, to: &str) -> Decimal {
    interest_exact(principal, "12", from, to)
}

/// `cents` as an exact amount.
fn exact(cents: i64) -> Decimal {
    Money::from_minor(cents, Currency::USD).amount()
}

fn trial_balanced(host: &Host) {
    let trial = read(host, "/v1/ledger/trial-balance");
    assert_eq!(trial["balanced"], true, "{trial}");
}

fn paid(reply: lendwork_e2e::Reply) -> Value {
    assert!(
        reply.status == 201 || reply.status == 200,
        "{}",
        reply.text()
    );
    reply.json()
}

/// What the borrower owes on the loan's book, net of credit held: the four borrower
/// accounts of the ledger.
fn owed_on_ledger(host: &Host, loan: &str) -> i64 {
    let nets = ledger_nets(host, loan);
    let net = |account: &str| nets.get(account).copied().unwrap_or(0);
    net("loan-principal")
        + net("interest-receivable")
        + net("fees-receivable")
        + net("borrower-credit")
}

/// Checks that a statement adds up: opening + every transaction = closing.
fn adds_up(statement: &Value) {
    let owed = |v: &Value| cents(v["owed"].as_str().unwrap());
    let moved: i64 = statement["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| owed(&t["allocation"]))
        .sum();
    assert_eq!(
        owed(&statement["opening_balance"]) + moved,
        owed(&statement["closing_balance"]),
        "{statement}"
    );
}

#[test]
fn on_time_partial_over_payments_and_payoff_are_exact_to_the_cent() {
    let host = host_on(TODAY);
    // 1,000.00 at 12 % actual/365 from the cut-over (2026-03-01), 3 × 340.00 from 04-01.
    let loan = import_one(
        &host,
        import_row("exact-1", "1000.00", "12", "340.00", 3, "2026-04-01"),
    );
    trial_balanced(&host);

    // On time: March's 31 days of interest, 1000 × 0.12 × 31/365 = 10.19; the rest principal.
    let march = interest(100_000, "2026-03-01", "2026-04-01");
    assert_eq!(to_cents(march), 10_19);
    let first = paid(pay(&host, &loan, "on-time", "340.00", "2026-04-01", "ach"));
    assert_eq!(first["allocation"]["interest"], "10.19");
    assert_eq!(first["allocation"]["principal"], "329.81");
    assert_eq!(first["balances"]["principal"], "670.19");
    trial_balanced(&host);

    // Partial, on the next due date: April's interest on 670.19 plus March's unbilled
    // fraction of a cent, then principal with the rest of the 100.00.
    let april = march - exact(10_19) + interest(67_019, "2026-04-01", "2026-05-01");
    let april_interest = to_cents(april);
    let partial = paid(pay(
        &host,
        &loan,
        "partial",
        "100.00",
        "2026-05-01",
        "check",
    ));
    assert_eq!(
        partial["allocation"]["interest"],
        text(april_interest).as_str()
    );
    assert_eq!(
        partial["allocation"]["principal"],
        text(100_00 - april_interest).as_str()
    );
    let installment_principal = 340_00 - april_interest;
    let principal_left = 67_019 - (100_00 - april_interest);
    assert_eq!(
        partial["balances"]["principal"],
        text(principal_left).as_str()
    );

    // Grace (10 days) ends on 05-11: on the 12th the late fee of 25.00 is owed.
    let late = read(&host, &format!("/v1/loans/{loan}?as_of=2026-05-12"));
    assert_eq!(late["balances"]["fees"], "25.00", "{late}");
    assert_eq!(late["days_past_due"], 11);

    // Over: the fee, the installment's principal left, and the excess prepays principal.
    let still_due = installment_principal - (100_00 - april_interest);
    let over = paid(pay(
        &host,
        &loan,
        "over",
        "600.00",
        "2026-05-20",
        "debit_card",
    ));
    assert_eq!(over["allocation"]["fees"], "25.00");
    assert_eq!(over["allocation"]["principal"], text(still_due).as_str());
    let prepaid = 600_00 - 25_00 - still_due;
    assert_eq!(
        over["allocation"]["principal_prepaid"],
        text(prepaid).as_str()
    );
    let principal_left = principal_left - still_due - prepaid;
    assert_eq!(over["balances"]["principal"], text(principal_left).as_str());
    // Shown as of the business date (06-30): June's installment, due 06-01, is unpaid.
    assert_eq!(over["days_past_due"], 29);
    trial_balanced(&host);

    // Payoff on 06-10: principal plus interest since the last bill (May's, on a principal
    // that changed on 05-01 and 05-20), carried fractions included.
    let may = april - exact(april_interest)
        + interest(
            principal_left + still_due + prepaid,
            "2026-05-01",
            "2026-05-20",
        )
        + interest(principal_left, "2026-05-20", "2026-06-01");
    let may_interest = to_cents(may);
    let quote = read(&host, &format!("/v1/loans/{loan}/payoff?as_of=2026-06-10"));
    // The June bill (06-01) is the last: all principal left and May's interest; June's
    // own interest to the day before the payoff, with May's fraction of a cent.
    let june = may - exact(may_interest) + interest(principal_left, "2026-06-01", "2026-06-10");
    let expected = principal_left + may_interest + to_cents(june);
    assert_eq!(quote["payoff_amount"], text(expected).as_str(), "{quote}");
    assert_eq!(quote["good_through"], "2026-06-10");
    let closing = paid(pay(
        &host,
        &loan,
        "payoff",
        quote["payoff_amount"].as_str().unwrap(),
        "2026-06-10",
        "ach",
    ));
    assert_eq!(closing["status"], "paid_off", "{closing}");
    assert_eq!(closing["balances"]["principal"], "0.00");
    assert_eq!(closing["balances"]["interest"], "0.00");
    assert_eq!(closing["balances"]["unapplied"], "0.00");

    // The book nets to zero on every receivable account; income is what was paid beyond
    // principal; the statement adds up and equals the ledger.
    let nets = ledger_nets(&host, &loan);
    for account in [
        "loan-principal",
        "interest-receivable",
        "fees-receivable",
        "borrower-credit",
    ] {
        assert_eq!(
            nets.get(account).copied().unwrap_or(0),
            0,
            "{account}: {nets:?}"
        );
    }
    assert_eq!(nets["fee-income"], -25_00);
    let received: i64 = [340_00, 100_00, 600_00, expected].iter().sum();
    assert_eq!(nets["payments-clearing"], received);
    assert_eq!(-nets["interest-income"], received - 25_00 - 1000_00);
    let statement = read(
        &host,
        &format!("/v1/loans/{loan}/statement?from=2026-03-01&to={TODAY}"),
    );
    adds_up(&statement);
    assert_eq!(statement["transactions"].as_array().unwrap().len(), 5);
    assert_eq!(statement["closing_balance"]["owed"], "0.00");
    let may_on = read(
        &host,
        &format!("/v1/loans/{loan}/statement?from=2026-05-01&to=2026-05-31"),
    );
    adds_up(&may_on);
    assert_eq!(may_on["transactions"].as_array().unwrap().len(), 2);
    trial_balanced(&host);
    // Nothing more is taken after the payoff.
    let refused = pay(&host, &loan, "late", "10.00", TODAY, "ach");
    assert_eq!(refused.status, 409, "{}", refused.text());
}

#[test]
fn a_backdated_payment_re_applies_later_activity_as_if_it_had_come_on_time() {
    let host = host_on(TODAY);
    let row = |id: &str| import_row(id, "1000.00", "12", "340.00", 3, "2026-04-01");
    let on_time = import_one(&host, row("order-a"));
    let backdated = import_one(&host, row("order-b"));
    for (key, day) in [
        ("p1", "2026-04-01"),
        ("p2", "2026-05-01"),
        ("p3", "2026-06-01"),
    ] {
        paid(pay(&host, &on_time, key, "340.00", day, "ach"));
    }
    paid(pay(&host, &backdated, "p1", "340.00", "2026-04-01", "ach"));
    paid(pay(&host, &backdated, "p3", "340.00", "2026-06-01", "ach"));
    // Before the May payment arrives, May's installment was late: a late fee was charged.
    let late_fees = -ledger_nets(&host, &backdated)["fee-income"];
    assert_eq!(late_fees, 25_00);
    let may = paid(pay(&host, &backdated, "p2", "340.00", "2026-05-01", "ach"));
    assert_eq!(may["backdated"], true);
    // Now both loans are the same, to the cent, in every view.
    let view = |loan: &str, path: &str| {
        let mut body = read(&host, &format!("/v1/loans/{loan}{path}"));
        for key in ["id", "loan_id", "external_id"] {
            if let Some(object) = body.as_object_mut() {
                object.remove(key);
            }
        }
        body
    };
    assert_eq!(view(&on_time, ""), view(&backdated, ""));
    assert_eq!(view(&on_time, "/schedule"), view(&backdated, "/schedule"));
    assert_eq!(ledger_nets(&host, &on_time), ledger_nets(&host, &backdated));
    // The backdated payment's entry carries the late fee's undoing with it.
    let transactions = read(&host, &format!("/v1/loans/{backdated}/transactions"));
    let last = transactions["transactions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["effective_date"], "2026-05-01");
    assert!(
        last["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["account"] == "fee-income"
                && l["side"] == "debit"
                && l["amount"] == "25.00"),
        "{last}"
    );
    let statement = read(
        &host,
        &format!("/v1/loans/{backdated}/statement?from=2026-04-15&to={TODAY}"),
    );
    adds_up(&statement);
    trial_balanced(&host);
}

#[test]
fn an_nsf_reversal_undoes_the_payment_charges_the_fee_and_re_applies_what_came_later() {
    let host = host_on(TODAY);
    let loan = import_one(
        &host,
        import_row("nsf-1", "1000.00", "12", "340.00", 3, "2026-04-01"),
    );
    paid(pay(
        &host,
        &loan,
        "bounces",
        "340.00",
        "2026-04-01",
        "check",
    ));
    paid(pay(&host, &loan, "may", "340.00", "2026-05-01", "ach"));
    let path = format!("/v1/loans/{loan}/payments/{}/reversal", {
        // The payment id as the first post answered it.
        let again = paid(pay(
            &host,
            &loan,
            "bounces",
            "340.00",
            "2026-04-01",
            "check",
        ));
        again["payment_id"].as_str().unwrap().to_string()
    });
    let reversal = host.post_json_as(
        OPERATIONS_KEY,
        &path,
        &json!({ "reason": "nsf", "effective_date": "2026-04-05" }),
    );
    assert_eq!(reversal.status, 201, "{}", reversal.text());
    assert_eq!(reversal.json()["fee_charged"], "25.00");
    // Again: the same reversal, answered once.
    let again = host.post_json_as(
        OPERATIONS_KEY,
        &path,
        &json!({ "reason": "nsf", "effective_date": "2026-04-05" }),
    );
    assert_eq!(again.status, 200);
    // As if the check never came: the NSF fee (04-05) and a late fee (04-12, installment 1
    // unpaid) are owed; on 05-01 installment 1 is past due and May's payment pays the
    // past-due fees (50.00), then its interest (10.19), then principal (279.81).
    let may = paid(pay(&host, &loan, "may", "340.00", "2026-05-01", "ach"));
    assert_eq!(may["allocation"]["fees"], "50.00", "{may}");
    assert_eq!(may["allocation"]["interest"], "10.19");
    assert_eq!(may["allocation"]["principal"], "279.81");
    let nets = ledger_nets(&host, &loan);
    assert_eq!(nets["payments-clearing"], 340_00);
    assert_eq!(nets["fee-income"], -50_00);
    assert_eq!(owed_on_ledger(&host, &loan), cents(read(&host, &format!("/v1/loans/{loan}/statement?to={TODAY}"))["closing_balance"]["owed"].as_str().unwrap()));
    // A payment cannot be reversed twice or before it came; an unknown one is not found.
    let unknown = host.post_json_as(
        OPERATIONS_KEY,
        &format!("/v1/loans/{loan}/payments/pmt-000000000000000000000000/reversal"),
        &json!({ "reason": "error" }),
    );
    assert_eq!(unknown.status, 404);
    trial_balanced(&host);
}

#[test]
fn an_import_reports_every_bad_row_books_the_rest_and_books_nothing_twice() {
    let host = host_on(TODAY);
    let good = import_row("batch-1", "5000.00", "9.5", "450.00", 12, "2026-04-01");
    let mut bad = import_row("batch-2", "-5.00", "9.5", "450.00", 0, "2026-02-30");
    bad["product"] = json!("mortgage");
    let other = import_row("batch-3", "2500.00", "14", "250.00", 11, "2026-03-15");
    let batch = [good.clone(), bad, other];
    let first = import(&host, &batch);
    assert_eq!(first.status, 200, "{}", first.text());
    let first = first.json();
    assert_eq!(
        (first["booked"].as_u64(), first["refused"].as_u64()),
        (Some(2), Some(1))
    );
    let refused = &first["loans"][1];
    assert_eq!(refused["status"], "refused");
    let pointers: BTreeSet<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for pointer in [
        "/loans/1/product",
        "/loans/1/current_principal",
        "/loans/1/remaining_installments",
        "/loans/1/next_due_date",
    ] {
        assert!(pointers.contains(pointer), "{pointer}: {refused}");
    }
    // Never the value submitted in a message.
    assert!(!refused.to_string().contains("-5.00"));
    let entries = read(&host, "/v1/ledger/trial-balance")["entries"].clone();
    // The same batch again books nothing.
    let second = import(&host, &batch).json();
    assert_eq!(
        (second["booked"].as_u64(), second["already_booked"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(read(&host, "/v1/ledger/trial-balance")["entries"], entries);
    assert_eq!(second["loans"][0]["loan_id"], first["loans"][0]["loan_id"]);
    // The same external id with other terms is refused.
    let mut changed = good;
    changed["current_principal"] = json!("4000.00");
    let third = import(&host, &[changed]).json();
    assert_eq!(third["loans"][0]["status"], "refused", "{third}");
    // The opening entry holds what the loan owed at cut-over.
    let loan = first["loans"][2]["loan_id"].as_str().unwrap();
    let summary = read(&host, &format!("/v1/loans/{loan}"));
    assert_eq!(summary["origin"], "imported");
    assert_eq!(summary["external_id"], "batch-3");
    assert_eq!(ledger_nets(&host, loan)["loan-purchase-clearing"], -2500_00);
    // Only operations imports.
    let forbidden = host.post_json_as(
        "collections-test-key",
        "/v1/loans/import",
        &json!({ "loans": [] }),
    );
    assert_eq!(forbidden.status, 403);
    trial_balanced(&host);
}

#[test]
fn concurrent_payments_to_one_loan_are_all_applied_exactly() {
    let host = Arc::new(host_on(TODAY));
    let row = |id: &str| import_row(id, "20000.00", "10", "1760.00", 12, "2026-04-01");
    let contended = import_one(&host, row("race-a"));
    let sequential = import_one(&host, row("race-b"));
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let (host, loan) = (host.clone(), contended.clone());
            std::thread::spawn(move || {
                for n in 0..5 {
                    let reply = pay(
                        &host,
                        &loan,
                        &format!("t{t}-{n}"),
                        "10.00",
                        "2026-03-10",
                        "ach",
                    );
                    assert_eq!(reply.status, 201, "{}", reply.text());
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    for n in 0..30 {
        paid(pay(
            &host,
            &sequential,
            &format!("s{n}"),
            "10.00",
            "2026-03-10",
            "ach",
        ));
    }
    let a = read(&host, &format!("/v1/loans/{contended}"));
    let b = read(&host, &format!("/v1/loans/{sequential}"));
    assert_eq!(a["balances"], b["balances"]);
    assert_eq!(a["balances"]["principal"], "19700.00");
    assert_eq!(ledger_nets(&host, &contended)["payments-clearing"], 300_00);
    let verified = read(&host, &format!("/v1/ledger/books/{contended}/verify"));
    assert_eq!(verified["intact"], true);
    assert_eq!(verified["entries_checked"], 31);
    trial_balanced(&host);
}

#[test]
fn a_crash_in_the_middle_of_booking_and_posting_leaves_nothing_half_done() {
    let config = || {
        HostConfig::platform()
            .with_backend(Backend::Sqlite)
            .env("SPIN_VARIABLE_BUSINESS_DATE", TODAY)
    };
    let host = Arc::new(Host::start(config()));
    let seed = import_one(
        &host,
        import_row("crash-seed", "9000.00", "11", "800.00", 12, "2026-04-01"),
    );
    let stop = Arc::new(AtomicBool::new(false));
    // One client books loans, one pays into the seed loan; both record what was answered.
    let booker = {
        let (host, stop) = (host.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut answered = Vec::new();
            for n in 0..2_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let row = import_row(
                    &format!("crash-{n}"),
                    "3000.00",
                    "13",
                    "280.00",
                    12,
                    "2026-04-01",
                );
                let ok = try_import(&host, &[row]).is_ok_and(|r| r.status == 200);
                answered.push((n, ok));
            }
            answered
        })
    };
    let payer = {
        let (host, stop, seed) = (host.clone(), stop.clone(), seed.clone());
        std::thread::spawn(move || {
            let mut answered = Vec::new();
            for n in 0..2_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let ok = try_pay(&host, &seed, &format!("c{n}"), "1.00", "2026-03-20", "ach")
                    .is_ok_and(|r| r.status == 201);
                answered.push((n, ok));
            }
            answered
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    // A power cut in the middle of both.
    host.kill();
    stop.store(true, Ordering::Relaxed);
    let booked = booker.join().unwrap();
    let paid_ = payer.join().unwrap();
    assert!(booked.iter().any(|(_, ok)| *ok) && paid_.iter().any(|(_, ok)| *ok));
    let state = Arc::into_inner(host).expect("the clients are done").crash();
    let host = Host::start_on(config(), state);
    trial_balanced(&host);
    // Every payment acknowledged is there; every other either is there whole or not at
    // all — posting it again answers it (200) or posts it (201), never anything else.
    let mut present = 0;
    for (n, acknowledged) in &paid_ {
        let again = pay(&host, &seed, &format!("c{n}"), "1.00", "2026-03-20", "ach");
        match (acknowledged, again.status) {
            (true, 200) => present += 1,
            (false, 200 | 201) => {}
            (ack, status) => panic!(
                "payment {n} (acknowledged: {ack}) answered {status}: {}",
                again.text()
            ),
        }
    }
    assert_eq!(present, paid_.iter().filter(|(_, a)| *a).count());
    let mut loans = Vec::new();
    // Every loan booked is whole: its book verifies, and its servicing state and its
    // entries agree.
    for (n, acknowledged) in &booked {
        let row = import_row(
            &format!("crash-{n}"),
            "3000.00",
            "13",
            "280.00",
            12,
            "2026-04-01",
        );
        let again = import(&host, &[row]).json();
        let status = again["loans"][0]["status"].as_str().unwrap().to_string();
        loans.push(again["loans"][0]["loan_id"].as_str().unwrap().to_string());
        if *acknowledged {
            assert_eq!(status, "already_booked", "{again}");
        } else {
            assert!(status == "already_booked" || status == "booked", "{again}");
        }
    }
    // Every payment is now there exactly once, and every loan's state agrees with its book.
    assert_eq!(
        ledger_nets(&host, &seed)["payments-clearing"],
        paid_.len() as i64 * 100
    );
    for loan in std::iter::once(seed.clone()).chain(loans.into_iter().take(20)) {
        let verified = read(&host, &format!("/v1/ledger/books/{loan}/verify"));
        assert_eq!(verified["intact"], true, "{verified}");
        let summary = read(&host, &format!("/v1/loans/{loan}"));
        let nets = ledger_nets(&host, &loan);
        assert_eq!(
            cents(summary["balances"]["principal"].as_str().unwrap()),
            nets["loan-principal"]
        );
    }
    trial_balanced(&host);
}

#[test]
fn lendwork_loans_import_streams_a_csv_file_in_chunks_and_reports_refused_rows() {
    let host = host_on(TODAY);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portfolio.csv");
    let mut csv = String::from(
        "external_id,product,annual_rate,original_principal,current_principal,accrued_interest,payment_amount,remaining_installments,next_due_date,paid_to_date,days_past_due,balances_as_of,borrower.first_name,borrower.last_name\n",
    );
    for n in 0..1_200 {
        let principal = if n == 6 || n == 777 {
            "-1.00"
        } else {
            "4200.00"
        };
        csv.push_str(&format!(
            "cli-{n},personal_installment,11.5,5000.00,{principal},3.10,390.00,12,2026-04-01,2026-03-01,0,{CUT_OVER},Ada,Lovelace\n"
        ));
    }
    std::fs::write(&path, csv).unwrap();
    let file = path.to_str().unwrap();
    let run = |args: &[&str]| {
        let output = host.cli(args, OPERATIONS_KEY);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&[
        "loans",
        "import",
        file,
        "--chunk",
        "200",
        "--concurrency",
        "4",
    ]);
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(
        out.contains("1198 booked, 0 already booked, 2 refused"),
        "{out}\n{err}"
    );
    let all = format!("{out}{err}");
    assert!(all.contains("row 7: refused — current_principal"), "{all}");
    assert!(all.contains("row 778: refused"), "{all}");
    // Again: nothing is booked twice.
    let (code, out, _) = run(&["loans", "import", file]);
    assert_eq!(code, Some(2));
    assert!(
        out.contains("0 booked, 1198 already booked, 2 refused"),
        "{out}"
    );
    assert_eq!(read(&host, "/v1/ledger/trial-balance")["books"], 1_198);
    // The CSV's nested and whole-number cells arrived as the route takes them.
    let entries = read(&host, "/v1/ledger/trial-balance");
    assert_eq!(entries["balanced"], true);
}

#[test]
fn under_spin_semantics_bookings_and_concurrent_payments_stay_exact() {
    // Spin 4's SQLite semantics: swaps compare values, a swap from absence is refused;
    // the ledger's protocol and the loan's commits must hold all the same.
    let host = Arc::new(Host::start(
        HostConfig::platform()
            .with_backend(Backend::Sqlite)
            .spin_semantics()
            .env("SPIN_VARIABLE_BUSINESS_DATE", TODAY),
    ));
    let rows: Vec<Value> = (0..20)
        .map(|n| {
            import_row(
                &format!("spin-{n}"),
                "2000.00",
                "10",
                "180.00",
                12,
                "2026-04-01",
            )
        })
        .collect();
    let booked = import(&host, &rows).json();
    assert_eq!(booked["booked"], 20, "{booked}");
    let loan = booked["loans"][0]["loan_id"].as_str().unwrap().to_string();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (host, loan) = (host.clone(), loan.clone());
            std::thread::spawn(move || {
                for n in 0..5 {
                    let reply = pay(
                        &host,
                        &loan,
                        &format!("s{t}-{n}"),
                        "10.00",
                        "2026-03-10",
                        "ach",
                    );
                    assert_eq!(reply.status, 201, "{}", reply.text());
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let summary = read(&host, &format!("/v1/loans/{loan}"));
    assert_eq!(summary["balances"]["principal"], "1800.00", "{summary}");
    assert_eq!(ledger_nets(&host, &loan)["payments-clearing"], 200_00);
    assert_eq!(
        read(&host, &format!("/v1/ledger/books/{loan}/verify"))["entries_checked"],
        21
    );
    trial_balanced(&host);
}
