//! The calculators through the real host and the real CLI: published reference figures
//! to the cent over `POST /v1/calculators/...`, the same requests through `lendwork calc`
//! answering byte for byte the same, and bad requests refused the same way on both.

use std::io::Write;
use std::process::{Command, Stdio};

use lendwork_e2e::{Host, HostConfig, Reply, host_binary};
use serde_json::{Value, json};

const SCHEDULE: &str = "/v1/calculators/schedule";
const APR: &str = "/v1/calculators/apr";

/// What `lendwork calc` did with one request.
struct CliRun {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `lendwork calc <calculator> <args>` with `body` on stdin.
fn cli(calculator: &str, args: &[&str], body: &[u8]) -> CliRun {
    let mut child = Command::new(host_binary())
        .arg("calc")
        .arg(calculator)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lendwork calc");
    // A refused oversized body may close stdin early; the exit code tells what happened.
    let _ = child.stdin.take().expect("stdin").write_all(body);
    let output = child.wait_with_output().expect("lendwork calc output");
    CliRun {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

fn post(host: &Host, path: &str, body: &[u8]) -> Reply {
    host.request(
        "POST",
        path,
        &[("content-type", "application/json")],
        Some(body),
    )
}

/// Posts `request` and runs it through the CLI; asserts both computed the same bytes and
/// returns the response JSON.
fn calculate_both(host: &Host, path: &str, request: &Value) -> Value {
    let body = request.to_string();
    let reply = post(host, path, body.as_bytes());
    assert_eq!(reply.status, 200, "{path} {body}: {}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));

    let calculator = path.rsplit('/').next().expect("calculator name");
    let compact = cli(calculator, &["--compact"], body.as_bytes());
    assert_eq!(compact.code, 0, "{body}: {}", compact.stderr);
    assert_eq!(
        compact.stdout.strip_suffix('\n').expect("a final newline"),
        reply.text(),
        "CLI and HTTP differ for {body}"
    );
    let pretty = cli(calculator, &[], body.as_bytes());
    assert_eq!(pretty.code, 0, "{body}: {}", pretty.stderr);
    let pretty: Value = serde_json::from_str(&pretty.stdout).expect("pretty JSON");
    assert_eq!(pretty, reply.json());
    reply.json()
}

/// Posts `body` and runs it through the CLI; both must refuse it with `status` and the
/// same problem (the HTTP one also carries its request's `instance`). Returns the problem.
fn refused_by_both(host: &Host, path: &str, body: &[u8], status: u16) -> Value {
    let reply = post(host, path, body);
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let mut problem = reply.json();
    assert_eq!(problem["status"], status);
    let instance = problem
        .as_object_mut()
        .expect("problem object")
        .remove("instance")
        .expect("an instance");
    assert!(
        instance
            .as_str()
            .unwrap()
            .starts_with("urn:lendwork:request:")
    );

    let calculator = path.rsplit('/').next().expect("calculator name");
    let run = cli(calculator, &[], body);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let cli_problem: Value = serde_json::from_str(&run.stderr).expect("problem JSON on stderr");
    assert_eq!(cli_problem, problem);
    problem
}

fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().expect("field"))
                .collect()
        })
        .unwrap_or_default()
}

/// A decimal string in cents ("1264.14" → 126414), so sums are checked exactly.
fn cents(amount: &Value) -> i64 {
    let text = amount.as_str().expect("a decimal string");
    let (units, fraction) = text.split_once('.').expect("two decimals");
    assert_eq!(fraction.len(), 2, "{text}");
    units.parse::<i64>().unwrap() * 100 + fraction.parse::<i64>().unwrap()
}

fn level_payment(principal: &str, rate: &str, term: u32, frequency: &str) -> Value {
    json!({
        "principal": principal, "annual_rate": rate, "term": term, "frequency": frequency,
        "start_date": "2024-01-15", "day_count": "30/360", "method": "level_payment"
    })
}

/// `count` dates `months` apart from `year-month-day` (a day that exists in every month).
fn monthly_dates(year: i32, month: u32, day: u32, months: u32, count: u32) -> Vec<String> {
    assert!(day <= 28);
    (0..count)
        .map(|k| {
            let index = (month - 1) + k * months;
            format!(
                "{}-{:02}-{day:02}",
                year + (index / 12) as i32,
                index % 12 + 1
            )
        })
        .collect()
}

#[test]
fn reference_figures_to_the_cent_on_http_and_cli_alike() {
    let host = Host::start(HostConfig::platform());

    // A full small schedule: every installment, total and disclosure figure.
    let small = calculate_both(
        &host,
        SCHEDULE,
        &level_payment("1000.00", "12", 3, "monthly"),
    );
    assert_eq!(
        small,
        json!({
            "currency": "USD",
            "payment": "340.02",
            "note_amount": "1000.00",
            "installments": [
                {"number": 1, "due_date": "2024-02-15", "payment": "340.02",
                 "principal": "330.02", "interest": "10.00", "balance": "669.98"},
                {"number": 2, "due_date": "2024-03-15", "payment": "340.02",
                 "principal": "333.32", "interest": "6.70", "balance": "336.66"},
                {"number": 3, "due_date": "2024-04-15", "payment": "340.03",
                 "principal": "336.66", "interest": "3.37", "balance": "0.00"}
            ],
            "total_interest": "20.07",
            "total_of_payments": "1020.07",
            "amount_financed": "1000.00",
            "finance_charge": "20.07",
            "apr": "12.00"
        })
    );

    // numpy-financial 1.0 `pmt`, rounded half-up to the cent (as in lendmath's tests):
    // the regular payment, and the whole schedule amortizing to the cent.
    let numpy_pmt = [
        ("200000.00", "6.5", 360, "monthly", "1264.14"), // pmt(0.065/12, 360, -200000) = 1264.1360469859308
        ("25000.00", "8.5", 60, "monthly", "512.91"), // pmt(0.085/12, 60, -25000) = 512.9132831762814
        ("10000.00", "12", 12, "monthly", "888.49"), // pmt(0.12/12, 12, -10000) = 888.4878867834168
        ("50000.00", "7", 20, "quarterly", "2984.56"), // pmt(0.07/4, 20, -50000) = 2984.5612280332007
        ("100000.00", "6", 360, "monthly", "599.55"), // pmt(0.06/12, 360, -100000) = 599.5505251527569
    ];
    for (principal, rate, term, frequency, payment) in numpy_pmt {
        let schedule = calculate_both(
            &host,
            SCHEDULE,
            &level_payment(principal, rate, term, frequency),
        );
        assert_eq!(schedule["payment"], payment, "{principal} at {rate}%");
        let installments = schedule["installments"].as_array().unwrap();
        assert_eq!(installments.len(), term as usize);
        assert_eq!(installments[term as usize - 1]["balance"], "0.00");
        let principal_sum: i64 = installments.iter().map(|i| cents(&i["principal"])).sum();
        let interest_sum: i64 = installments.iter().map(|i| cents(&i["interest"])).sum();
        let payment_sum: i64 = installments.iter().map(|i| cents(&i["payment"])).sum();
        assert_eq!(principal_sum, cents(&json!(principal)));
        assert_eq!(interest_sum, cents(&schedule["total_interest"]));
        assert_eq!(payment_sum, cents(&schedule["total_of_payments"]));
        assert_eq!(payment_sum, principal_sum + interest_sum);
        for installment in &installments[..term as usize - 1] {
            assert_eq!(installment["payment"], payment);
        }
    }

    // 12 CFR 1026 Appendix J (c), published APRs; regular streams.
    let regular = [
        // (paragraph, financed, advance, payment, count, frequency, first, APR, full, odd)
        (
            "(c)(1)(i)",
            "5000.00",
            "1978-01-10",
            "230.00",
            24,
            "monthly",
            "1978-02-10",
            "9.69",
            1,
            0,
        ),
        (
            "(c)(1)(ii)",
            "6000.00",
            "1978-02-10",
            "200.00",
            36,
            "monthly",
            "1978-04-01",
            "11.82",
            1,
            19,
        ),
        (
            "(c)(1)(iii)",
            "5000.00",
            "1978-02-23",
            "219.17",
            24,
            "semi_monthly",
            "1978-03-01",
            "10.34",
            0,
            6,
        ),
        (
            "(c)(1)(iv)",
            "10000.00",
            "1978-05-23",
            "385.00",
            40,
            "quarterly",
            "1978-10-01",
            "8.97",
            1,
            39,
        ),
        (
            "(c)(1)(v)",
            "500.00",
            "1978-03-20",
            "17.60",
            30,
            "weekly",
            "1978-04-21",
            "14.96",
            4,
            4,
        ),
    ];
    for (paragraph, financed, advance, payment, count, frequency, first, apr, full, odd) in regular
    {
        let response = calculate_both(
            &host,
            APR,
            &json!({
                "amount_financed": financed, "advance_date": advance,
                "payment_amount": payment, "payment_count": count,
                "frequency": frequency, "first_payment_date": first
            }),
        );
        assert_eq!(response["apr"], apr, "App. J {paragraph}");
        assert_eq!(response["full_unit_periods"], full, "App. J {paragraph}");
        assert_eq!(response["odd_days"], odd, "App. J {paragraph}");
    }

    // App. J (c)(2)(i): irregular first payment, as an explicit stream.
    let mut payments = vec![json!({"date": "1978-02-10", "amount": "250.00"})];
    for date in monthly_dates(1978, 3, 10, 1, 23) {
        payments.push(json!({"date": date, "amount": "230.00"}));
    }
    let response = calculate_both(
        &host,
        APR,
        &json!({"amount_financed": "5000.00", "advance_date": "1978-01-10", "payments": payments}),
    );
    assert_eq!(response["apr"], "10.08");
    assert_eq!(response["unit_period"], "month");

    // App. J (c)(4)(ii): irregular first and final payments every two months.
    let mut payments = vec![json!({"date": "1978-03-01", "amount": "449.36"})];
    for date in monthly_dates(1978, 5, 1, 2, 18) {
        payments.push(json!({"date": date, "amount": "465.00"}));
    }
    payments.push(json!({"date": "1981-05-01", "amount": "200.00"}));
    let response = calculate_both(
        &host,
        APR,
        &json!({"amount_financed": "8000.00", "advance_date": "1978-01-10", "payments": payments}),
    );
    assert_eq!(response["apr"], "7.30");
    assert_eq!(
        (&response["full_unit_periods"], &response["odd_days"]),
        (&json!(0), &json!(52))
    );

    // App. J (c)(5)(i): single advance, single payment; the term is the unit period.
    let response = calculate_both(
        &host,
        APR,
        &json!({
            "amount_financed": "1000.00", "advance_date": "1978-01-03",
            "payments": [{"date": "1978-09-15", "amount": "1080.00"}]
        }),
    );
    assert_eq!(response["apr"], "11.45");
    assert_eq!(response["unit_period"], "255 days");

    // The readable table carries the same figures.
    let table = cli(
        "schedule",
        &["--table"],
        level_payment("1000.00", "12", 3, "monthly")
            .to_string()
            .as_bytes(),
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    for figure in ["340.03", "1020.07", "12.00 %", "Total"] {
        assert!(table.stdout.contains(figure), "{figure}:\n{}", table.stdout);
    }
}

#[test]
fn bad_requests_are_refused_alike_on_http_and_cli() {
    let host = Host::start(HostConfig::platform());
    let good = level_payment("1000.00", "12", 3, "monthly");
    let with = |field: &str, value: Value| {
        let mut request = good.clone();
        request[field] = value;
        request.to_string()
    };
    let without_principal = {
        let mut request = good.clone();
        request.as_object_mut().unwrap().remove("principal");
        request.to_string()
    };

    let cases = [
        (without_principal, "principal", "is required"),
        (with("principal", json!("-5.00")), "principal", ""),
        (
            with("frequency", json!("fortnightly")),
            "frequency",
            "must be one of",
        ),
        (
            with("start_date", json!("2025-02-30")),
            "start_date",
            "is not a date that exists",
        ),
    ];
    for (body, field, message) in cases {
        let problem = refused_by_both(&host, SCHEDULE, body.as_bytes(), 422);
        assert_eq!(problem["type"], "urn:lendwork:problem:validation");
        assert_eq!(fields(&problem), [field], "{body}");
        let said = problem["errors"][0]["message"].as_str().unwrap();
        assert!(said.starts_with(message), "{field}: {said}");
        // Messages name the field's rule, never the submitted value.
        assert!(
            !said.contains("fortnightly") && !said.contains("-5.00"),
            "{said}"
        );
    }

    // Every broken rule at once, on HTTP and CLI alike: a negative principal does not hide a
    // zero term or a first payment before the start.
    let mut several: Value = serde_json::from_str(&with("principal", json!("-5.00"))).unwrap();
    several["term"] = json!(0);
    several["first_payment_date"] = json!("2024-01-01");
    let problem = refused_by_both(&host, SCHEDULE, several.to_string().as_bytes(), 422);
    assert_eq!(
        fields(&problem),
        ["principal", "term", "first_payment_date"]
    );

    let problem = refused_by_both(
        &host,
        APR,
        br#"{"amount_financed": "5000.00", "advance_date": "1978-01-10"}"#,
        422,
    );
    assert_eq!(fields(&problem), ["payments"]);

    // Not JSON: 400 with no field list, on both.
    for body in [&b"{"[..], b"", b"{\"principal\": }", b"{} {}"] {
        let problem = refused_by_both(&host, SCHEDULE, body, 400);
        assert_eq!(problem["type"], "urn:lendwork:problem:bad-request");
        assert!(fields(&problem).is_empty());
    }
}

#[test]
fn http_body_rules() {
    let host = Host::start(HostConfig::platform());
    let body = level_payment("1000.00", "12", 3, "monthly").to_string();

    let reply = host.request(
        "POST",
        SCHEDULE,
        &[("content-type", "text/plain")],
        Some(body.as_bytes()),
    );
    assert_eq!(reply.status, 415, "{}", reply.text());

    // The limit is 256 KiB, above lendkit's 64 KiB default, so the longest APR streams
    // fit: 2000 monthly payments are about 90 KB.
    let payments: Vec<Value> = monthly_dates(2024, 2, 1, 1, 2000)
        .into_iter()
        .map(|date| json!({"date": date, "amount": "50.00"}))
        .collect();
    let long =
        json!({"amount_financed": "80000.00", "advance_date": "2024-01-01", "payments": payments})
            .to_string();
    assert!(long.len() > 64 * 1024);
    let reply = post(&host, APR, long.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["unit_period"], "month");

    let huge = format!("{body}{}", " ".repeat(256 * 1024));
    let problem = refused_by_both(&host, SCHEDULE, huge.as_bytes(), 413);
    assert_eq!(problem["type"], "urn:lendwork:problem:payload-too-large");

    let reply = host.get(SCHEDULE);
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));

    // The calculators are public: no key needed, and a key is not required either.
    let reply = host.post_json_as("", SCHEDULE, &serde_json::from_str(&body).unwrap());
    assert_eq!(reply.status, 200);
}
