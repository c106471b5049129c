//! The daily accrual through the built components on the host: closing days accrues every
//! loan once per day to the cent (the money library's figures, the loan's own view, the
//! ledger's entries at each calendar date); a run again changes nothing; loans behind
//! catch up; two clients racing over one portfolio accrue no loan-day twice; the CLI
//! drives a run to its end; who may run and read it.

use chrono::{Days, NaiveDate};
use lendmath::money::{Currency, Money};
use lendwork_e2e::servicing::*;
use lendwork_e2e::{Backend, Host, HostConfig, OPERATIONS_KEY, RISK_KEY, unique};
use serde_json::{Value, json};

/// The day the imported loans' balances are as of, and the calendar starts.
const START: &str = CUT_OVER;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn next(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1)).unwrap()
}

/// Interest on `principal` cents at `rate` % from `from` to `to`, rounded to cents.
fn interest_cents(principal: i64, rate: &str, from: &str, to: &str) -> i64 {
    to_cents(interest_exact(principal, rate, from, to))
}

/// The interest recognised on `principal` from [`START`] to `to` when the period to `due`
/// was billed: the bill rounded to cents, and what has accrued since rounded with the
/// bill's rounding carried (the engine never loses a fraction of a cent).
fn billed_then_accrued(principal: i64, rate: &str, due: &str, to: &str) -> (i64, i64) {
    let billed = interest_cents(principal, rate, START, due);
    let since = interest_exact(principal, rate, START, to)
        - Money::from_minor(billed, Currency::USD).amount();
    (billed, to_cents(since))
}

fn host_on(start: &str) -> Host {
    Host::start(
        HostConfig::platform()
            .env("SPIN_VARIABLE_BUSINESS_DATE", start)
            .with_backend(Backend::Sqlite),
    )
}

fn close(host: &Host, day: NaiveDate) -> Value {
    let body = json!({ "business_date": day });
    for _ in 0..50 {
        let reply = host.post_json_as(OPERATIONS_KEY, "/v1/servicing/close-of-business", &body);
        match reply.status {
            200 => return reply.json(),
            202 => assert_eq!(reply.json()["stage"], "accruing", "{}", reply.text()),
            _ => panic!("closing {day}: {}", reply.text()),
        }
    }
    panic!("closing {day} did not finish");
}

fn accrue(host: &Host, as_of: &str) -> lendwork_e2e::Reply {
    host.post_json_as(
        OPERATIONS_KEY,
        "/v1/servicing/accruals",
        &json!({ "as_of": as_of }),
    )
}

/// Posts slices through `as_of` until the run is finished; the run.
fn accrued(host: &Host, as_of: &str) -> Value {
    for _ in 0..200 {
        let reply = accrue(host, as_of);
        match reply.status {
            200 => return reply.json(),
            202 => continue,
            _ => panic!("accruing through {as_of}: {}", reply.text()),
        }
    }
    panic!("the run through {as_of} did not finish");
}

fn trial_balanced(host: &Host) {
    let trial = read(host, "/v1/ledger/trial-balance");
    assert_eq!(trial["balanced"], true, "{trial}");
}

fn money(value: &Value) -> i64 {
    cents(
        value
            .as_str()
            .unwrap_or_else(|| panic!("{value} is an amount")),
    )
}

#[test]
fn closing_days_accrues_every_loan_once_a_day_to_the_cent() {
    let host = host_on(START);
    // Three loans, due on different days; none pays, so each is billed on its due date
    // and charged its late fee once the grace period (10 days) has passed.
    let loans: Vec<(String, i64, &str)> = [
        ("100000", "12", "88.85", "2026-03-15"),
        ("250000", "18", "229.19", "2026-03-20"),
        ("500000", "7", "432.64", "2026-04-10"),
    ]
    .iter()
    .map(|(principal, rate, payment, due)| {
        let row = import_row(
            &unique("acc"),
            &text(principal.parse::<i64>().unwrap()),
            rate,
            payment,
            12,
            due,
        );
        (
            import_one(&host, row),
            principal.parse::<i64>().unwrap(),
            *rate,
        )
    })
    .collect();
    trial_balanced(&host);

    let mut day = date(START);
    let mut interest = 0;
    while day <= date("2026-03-31") {
        let closed = close(&host, day);
        assert_eq!(closed["business_date"], next(day).to_string(), "{closed}");
        let run = read(&host, &format!("/v1/servicing/accruals/{day}"));
        assert_eq!(run["finished"], true, "{run}");
        assert_eq!(run["partitions_done"], 4_096, "{run}");
        assert_eq!(run["loan_days"], 3, "{day}: {run}");
        assert_eq!(run["loans"], 3, "{day}: {run}");
        assert_eq!(run["failed"], 0, "{day}: {run}");
        interest += money(&run["interest"]["USD"]);
        day = next(day);
        if day.to_string().ends_with('0') {
            trial_balanced(&host);
        }
    }
    trial_balanced(&host);

    let mut recognised = 0;
    for (loan, principal, rate) in &loans {
        let kept = read(&host, &format!("/v1/loans/{loan}/accruals"));
        assert_eq!(kept["accrued_through"], "2026-03-31", "{kept}");
        let days = kept["days"].as_array().unwrap();
        assert_eq!(days.len(), 31, "{kept}");
        let figures: Vec<i64> = days.iter().map(|d| money(&d["interest"])).collect();
        // What the accrual recognised is the loan's own figure for those days: its interest
        // billed and accrued (nothing was paid), as the loan's view shows it on April 1.
        let total = money(&kept["recognised"]);
        assert_eq!(figures.iter().sum::<i64>(), total, "{kept}");
        let view = read(&host, &format!("/v1/loans/{loan}?as_of=2026-04-01"));
        assert_eq!(money(&view["balances"]["interest"]), total, "{view}");
        // ... and the money library's: interest on the principal, rounded per period.
        let nets = ledger_nets(&host, loan);
        let income = -nets.get("interest-income").copied().unwrap_or(0);
        let fees = -nets.get("fee-income").copied().unwrap_or(0);
        match loan.as_str() {
            l if l == loans[0].0 => {
                // Billed on the 15th (14 days), accrued since (17 days); the ledger has the
                // period to the 15th and the days to the 26th, when the ten days' grace
                // had passed and the late fee was charged.
                let (billed, since) =
                    billed_then_accrued(*principal, rate, "2026-03-15", "2026-04-01");
                assert_eq!(total, billed + since);
                let (_, to_fee) = billed_then_accrued(*principal, rate, "2026-03-15", "2026-03-26");
                assert_eq!(income, billed + to_fee, "{nets:?}");
                assert_eq!(fees, 2_500, "{nets:?}");
            }
            l if l == loans[1].0 => {
                let (billed, since) =
                    billed_then_accrued(*principal, rate, "2026-03-20", "2026-04-01");
                assert_eq!(total, billed + since);
                // Due on the 20th, the fee charged on the 31st.
                let (_, to_fee) = billed_then_accrued(*principal, rate, "2026-03-20", "2026-03-31");
                assert_eq!(income, billed + to_fee, "{nets:?}");
                assert_eq!(fees, 2_500, "{nets:?}");
            }
            _ => {
                // No calendar date in March: the ledger has nothing yet; the accrual has
                // every day.
                assert_eq!(
                    total,
                    interest_cents(*principal, rate, "2026-03-01", "2026-04-01")
                );
                assert_eq!(income, 0, "{nets:?}");
                assert_eq!(fees, 0, "{nets:?}");
            }
        }
        recognised += total;
    }
    assert_eq!(interest, recognised);

    // A run again over a day done changes nothing and answers the same summary.
    let before = read(&host, "/v1/servicing/accruals/2026-03-31");
    let again = accrued(&host, "2026-03-31");
    assert_eq!(again, before);
    let kept = read(&host, &format!("/v1/loans/{}/accruals", loans[0].0));
    assert_eq!(kept["days"].as_array().unwrap().len(), 31, "{kept}");
}

#[test]
fn loans_behind_catch_up_and_two_clients_racing_accrue_no_loan_day_twice() {
    // The calendar stands at March 10: loans imported as of March 1 have ten days to
    // accrue, and two clients post slices of one run at once (slices of 100 ms, so the run
    // takes many of them).
    let host = Host::start(
        HostConfig::platform()
            .env("SPIN_VARIABLE_BUSINESS_DATE", "2026-03-10")
            .env("SPIN_VARIABLE_ACCRUAL_SLICE_MS", "100")
            .with_backend(Backend::Sqlite),
    );
    let rows: Vec<Value> = (0..60)
        .map(|n| {
            import_row(
                &unique("race"),
                &text(100_000 + 1_000 * n),
                "12",
                "90.00",
                12,
                "2026-04-01",
            )
        })
        .collect();
    let reply = import(&host, &rows);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let loans: Vec<(String, i64)> = reply.json()["loans"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(n, l)| {
            (
                l["loan_id"].as_str().unwrap().to_string(),
                100_000 + 1_000 * n as i64,
            )
        })
        .collect();

    // Accruing ahead of the business date is refused, and starts nothing.
    let reply = accrue(&host, "2026-03-11");
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(
        host.get_as(OPERATIONS_KEY, "/v1/servicing/accruals/2026-03-11")
            .status,
        404
    );

    let runs: Vec<Value> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| accrued(&host, "2026-03-09")))
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let run = read(&host, "/v1/servicing/accruals/2026-03-09");
    for seen in &runs {
        assert_eq!(seen["loan_days"], run["loan_days"]);
    }
    // Nine days each (March 1 to 9), each once.
    assert_eq!(run["loan_days"], 9 * 60, "{run}");
    assert_eq!(run["loans"], 60, "{run}");
    let mut total = 0;
    for (loan, principal) in &loans {
        let kept = read(&host, &format!("/v1/loans/{loan}/accruals"));
        assert_eq!(kept["accrued_through"], "2026-03-09", "{kept}");
        let expected = interest_cents(*principal, "12", "2026-03-01", "2026-03-10");
        assert_eq!(money(&kept["recognised"]), expected, "{kept}");
        total += expected;
    }
    assert_eq!(money(&run["interest"]["USD"]), total, "{run}");

    // The next day through the CLI: one day per loan, with its summary printed.
    let out = host.cli(&["accrue", "--as-of", "2026-03-10"], OPERATIONS_KEY);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("accrued through 2026-03-10: 60 loans, 60 loan-days"),
        "{stdout}"
    );
    let run = read(&host, "/v1/servicing/accruals/2026-03-10");
    assert_eq!(run["loan_days"], 60, "{run}");
    trial_balanced(&host);
}

#[test]
fn only_operations_run_an_accrual_and_bad_requests_change_nothing() {
    let host = host_on(START);
    let reply = host.post_json_as(
        RISK_KEY,
        "/v1/servicing/accruals",
        &json!({ "as_of": START }),
    );
    assert_eq!(reply.status, 403, "{}", reply.text());
    let reply = host.get(&format!("/v1/servicing/accruals/{START}"));
    assert_eq!(reply.status, 401, "{}", reply.text());
    for body in [
        json!({}),
        json!({ "as_of": "the first of March" }),
        json!({ "as_of": START, "also": 1 }),
    ] {
        let reply = host.post_json_as(OPERATIONS_KEY, "/v1/servicing/accruals", &body);
        assert!(
            matches!(reply.status, 400 | 422),
            "{body}: {}",
            reply.text()
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
    }
    assert_eq!(
        host.get_as(RISK_KEY, &format!("/v1/servicing/accruals/{START}"))
            .status,
        404
    );
    let run = accrued(&host, START);
    assert_eq!(run["loan_days"], 0, "{run}");
    let reply = host.get_as(RISK_KEY, &format!("/v1/servicing/accruals/{START}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), run);
}

#[test]
fn the_schedule_closes_every_day_that_has_ended_in_order() {
    let today = chrono::Utc::now().date_naive();
    let behind = today.checked_sub_days(Days::new(4)).unwrap();
    // A calendar left four days behind today: a day closed while replaying it, then the
    // host stopped; from then on a production configuration, whose schedule catches up.
    let replay = HostConfig::platform()
        .env("SPIN_VARIABLE_BUSINESS_DATE", &behind.to_string())
        .with_backend(Backend::Sqlite);
    let host = Host::start(replay);
    let loan = import_one(
        &host,
        import_row(&unique("cron"), "1000.00", "12", "88.85", 12, "2026-04-01"),
    );
    close(&host, behind);
    let before = read(&host, &format!("/v1/loans/{loan}/accruals"));
    assert_eq!(before["accrued_through"], behind.to_string(), "{before}");
    let (_, state) = host.stop();

    let production = HostConfig::platform().with_backend(Backend::Sqlite);
    let ran = production.cron_once(state.path(), "close-of-business");
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    // With the days closed, the accrual's schedule finds its run finished.
    let ran = production.cron_once(state.path(), "accrual");
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );

    let host = Host::start_on(production, state);
    let calendar = read(&host, "/v1/servicing/business-date");
    assert_eq!(calendar["business_date"], today.to_string(), "{calendar}");
    let yesterday = today.pred_opt().unwrap();
    assert_eq!(
        calendar["last_closed"]["date"],
        yesterday.to_string(),
        "{calendar}"
    );
    assert_eq!(calendar["last_closed"]["by"], "schedule", "{calendar}");
    let mut day = next(behind);
    while day < today {
        let run = read(&host, &format!("/v1/servicing/accruals/{day}"));
        assert_eq!(run["finished"], true, "{run}");
        assert_eq!(run["loan_days"], 1, "{day}: {run}");
        day = next(day);
    }
    let after = read(&host, &format!("/v1/loans/{loan}/accruals"));
    assert_eq!(after["accrued_through"], yesterday.to_string(), "{after}");
    let days = after["days"].as_array().unwrap();
    assert_eq!(
        days.last().unwrap()["date"],
        yesterday.to_string(),
        "{after}"
    );
    trial_balanced(&host);
}
