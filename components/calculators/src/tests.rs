use super::*;
use spin_sdk::http::Method as SpinMethod;

const SCHEDULE: &str = r#"{
    "principal": "1000.00", "annual_rate": "12", "term": 3, "frequency": "monthly",
    "start_date": "2024-01-15", "day_count": "30/360", "method": "level_payment"
}"#;

/// 12 CFR 1026 App. J (c)(1)(i): published APR 9.69%.
const APR: &str = r#"{
    "amount_financed": "5000.00", "advance_date": "1978-01-10",
    "payment_amount": "230.00", "payment_count": 24, "frequency": "monthly",
    "first_payment_date": "1978-02-10"
}"#;

fn send(method: SpinMethod, path: &str, content_type: Option<&str>, body: &[u8]) -> Response {
    let mut builder = Request::builder();
    builder.method(method).uri(path);
    if let Some(content_type) = content_type {
        builder.header("content-type", content_type);
    }
    let request = builder.body(body.to_vec()).build();
    // Every calculator route is public: no keys are ever loaded.
    lendkit::serve_with(COMPONENT, ROUTES, &request, || {
        panic!("calculator routes are public")
    })
}

fn post(path: &str, body: &str) -> Response {
    send(
        SpinMethod::Post,
        path,
        Some("application/json"),
        body.as_bytes(),
    )
}

fn json(response: &Response) -> serde_json::Value {
    serde_json::from_slice(response.body()).expect("a JSON body")
}

fn content_type(response: &Response) -> Option<String> {
    response
        .header("content-type")
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// Status, and the fields a problem names.
fn problem(response: &Response) -> (u16, Vec<String>) {
    assert_eq!(
        content_type(response).as_deref(),
        Some(lendkit::PROBLEM_JSON)
    );
    let body = json(response);
    let fields = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(body["status"], *response.status());
    (*response.status(), fields)
}

#[test]
fn schedule_is_lendmath_to_the_byte() {
    let response = post("/v1/calculators/schedule", SCHEDULE);
    assert_eq!(*response.status(), 200);
    assert_eq!(content_type(&response).as_deref(), Some("application/json"));
    let expected =
        calc::schedule(&calc::parse_schedule_request(SCHEDULE.as_bytes()).unwrap()).unwrap();
    assert_eq!(response.body(), serde_json::to_vec(&expected).unwrap());
    let body = json(&response);
    assert_eq!(body["payment"], "340.02");
    assert_eq!(body["installments"][2]["payment"], "340.03");
    assert_eq!(body["installments"][2]["balance"], "0.00");
    assert_eq!(body["total_of_payments"], "1020.07");
    assert_eq!(body["apr"], "12.00");
}

#[test]
fn apr_appendix_j() {
    let response = post("/v1/calculators/apr", APR);
    assert_eq!(*response.status(), 200);
    let body = json(&response);
    assert_eq!(body["apr"], "9.69");
    assert_eq!(body["unit_period"], "month");
    assert_eq!(body["full_unit_periods"], 1);
    assert_eq!(body["odd_days"], 0);
}

#[test]
fn bad_fields_are_422_naming_each_field() {
    let body = SCHEDULE
        .replace("\"1000.00\"", "\"-5.00\"")
        .replace("monthly", "fortnightly")
        .replace("2024-01-15", "2025-02-30");
    let response = post("/v1/calculators/schedule", &body);
    let (status, mut fields) = problem(&response);
    fields.sort();
    assert_eq!(status, 422);
    // Parsing names the frequency and the date; the principal's sign is checked once the
    // request parses, so it is not reported alongside them.
    assert_eq!(fields, ["frequency", "start_date"]);
    let problem_body = json(&response);
    assert_eq!(problem_body["type"], "urn:lendwork:problem:validation");
    assert_eq!(problem_body["detail"], "the request has 2 invalid fields");
    assert!(
        problem_body["instance"]
            .as_str()
            .unwrap()
            .starts_with("urn:lendwork:request:")
    );

    let negative = SCHEDULE.replace("\"1000.00\"", "\"-5.00\"");
    let (status, fields) = problem(&post("/v1/calculators/schedule", &negative));
    assert_eq!(
        (status, fields.as_slice()),
        (422, ["principal".to_owned()].as_slice())
    );

    let missing = r#"{"amount_financed": "5000.00"}"#;
    let (status, fields) = problem(&post("/v1/calculators/apr", missing));
    assert_eq!(
        (status, fields.as_slice()),
        (422, ["advance_date".to_owned()].as_slice())
    );

    // Valid JSON that is not an object is a request-level validation error.
    let (status, fields) = problem(&post("/v1/calculators/apr", "[1, 2]"));
    assert_eq!(
        (status, fields.as_slice()),
        (422, ["".to_owned()].as_slice())
    );
}

#[test]
fn malformed_bodies_are_400() {
    for body in ["", "  ", "{", r#"{"principal": }"#, "{} {}"] {
        let (status, fields) = problem(&post("/v1/calculators/schedule", body));
        assert_eq!(status, 400, "{body:?}");
        assert!(fields.is_empty());
    }
}

#[test]
fn other_content_types_are_415() {
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let response = send(
            SpinMethod::Post,
            "/v1/calculators/apr",
            content_type,
            APR.as_bytes(),
        );
        assert_eq!(problem(&response).0, 415, "{content_type:?}");
    }
    let response = send(
        SpinMethod::Post,
        "/v1/calculators/apr",
        Some("application/json; charset=utf-8"),
        APR.as_bytes(),
    );
    assert_eq!(*response.status(), 200);
}

#[test]
fn bodies_over_the_limit_are_413() {
    let padding = " ".repeat(REQUEST_BYTES_MAX);
    let body = format!("{APR}{padding}");
    assert_eq!(problem(&post("/v1/calculators/apr", &body)).0, 413);
    // Exactly at the limit is accepted.
    let body = format!("{APR}{}", " ".repeat(REQUEST_BYTES_MAX - APR.len()));
    assert_eq!(*post("/v1/calculators/apr", &body).status(), 200);
}

#[test]
fn a_long_apr_stream_above_64_kib_is_accepted() {
    // 2000 weekly payments: ~90 KB, above lendkit's default JSON limit.
    let payments = weekly_payments(2000);
    let body = format!(
        r#"{{"amount_financed": "80000.00", "advance_date": "2024-01-01", "payments": [{payments}]}}"#
    );
    assert!(body.len() > lendkit::json::MAX_JSON_BODY_BYTES);
    let response = post("/v1/calculators/apr", &body);
    assert_eq!(*response.status(), 200, "{}", json(&response));
    assert_eq!(json(&response)["unit_period"], "week");
}

/// `count` weekly payments of 50.00 from 2024-01-08, as JSON list items.
fn weekly_payments(count: u64) -> String {
    let first = chrono::NaiveDate::from_ymd_opt(2024, 1, 8).unwrap();
    (0..count)
        .map(|week| {
            let date = first + chrono::Days::new(7 * week);
            format!(r#"{{"date": "{date}", "amount": "50.00"}}"#)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn routing_problems() {
    let response = send(SpinMethod::Get, "/v1/calculators/schedule", None, b"");
    assert_eq!(problem(&response).0, 405);
    assert_eq!(
        response.header("allow").and_then(|v| v.as_str()),
        Some("POST")
    );
    assert_eq!(problem(&post("/v1/calculators/payoff", "{}")).0, 404);
}
