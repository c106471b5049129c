use super::*;

fn fields_of(error: &CalcError) -> Vec<&str> {
    error.errors.iter().map(|e| e.field.as_str()).collect()
}

const GOOD_SCHEDULE: &str = r#"{
    "principal": "1000.00", "annual_rate": "12", "term": 3, "frequency": "monthly",
    "start_date": "2024-01-15", "day_count": "30/360", "method": "level_payment"
}"#;

#[test]
fn schedule_round_trip_through_json() {
    let request = parse_schedule_request(GOOD_SCHEDULE.as_bytes()).unwrap();
    let response = schedule(&request).unwrap();
    assert_eq!(response.payment, "340.02");
    assert_eq!(response.installments.len(), 3);
    assert_eq!(response.installments[2].payment, "340.03");
    assert_eq!(response.installments[2].balance, "0.00");
    assert_eq!(response.total_interest, "20.07");
    assert_eq!(response.total_of_payments, "1020.07");
    assert_eq!(response.amount_financed, "1000.00");
    assert_eq!(response.finance_charge, "20.07");
    assert_eq!(response.apr, "12.00");
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json["installments"][0]["due_date"], "2024-02-15");
    assert_eq!(json["currency"], "USD");
    // The typed request deserializes from the same JSON too.
    let typed: ScheduleRequest = serde_json::from_str(GOOD_SCHEDULE).unwrap();
    assert_eq!(typed, request);
}

#[test]
fn schedule_with_fees_and_currency() {
    let body = r#"{
        "principal": "500000", "annual_rate": "3", "term": 12, "frequency": "monthly",
        "start_date": "2024-01-31", "day_count": "actual/365", "method": "level_principal",
        "fees": [{"amount": "10000", "financed": true}, {"amount": "5000", "financed": false}],
        "currency": "JPY"
    }"#;
    let response = schedule(&parse_schedule_request(body.as_bytes()).unwrap()).unwrap();
    assert_eq!(response.note_amount, "510000");
    assert_eq!(response.amount_financed, "495000");
    assert_eq!(response.installments[1].due_date.to_string(), "2024-03-31");
}

#[test]
fn every_bad_field_is_named() {
    let body = r#"{
        "principal": 1000, "annual_rate": "12%", "term": -1, "frequency": "fortnightly",
        "start_date": "2025-02-30", "first_payment_date": "25/03/2025",
        "day_count": "act/365", "method": "balloon", "fees": [{"amount": "1"}],
        "currency": "usd", "colour": "blue"
    }"#;
    let error = parse_schedule_request(body.as_bytes()).unwrap_err();
    let mut fields = fields_of(&error);
    fields.sort();
    assert_eq!(
        fields,
        [
            "colour",
            "currency",
            "day_count",
            "fees[0].financed",
            "first_payment_date",
            "frequency",
            "method",
            "principal",
            "start_date",
            "term"
        ]
    );
    let start = error
        .errors
        .iter()
        .find(|e| e.field == "start_date")
        .unwrap();
    assert_eq!(start.message, "is not a date that exists");
    assert_eq!(error.summary, "the request has 10 invalid fields");
}

#[test]
fn missing_fields_are_named() {
    let error = parse_schedule_request(b"{}").unwrap_err();
    let mut fields = fields_of(&error);
    fields.sort();
    assert_eq!(
        fields,
        [
            "annual_rate",
            "day_count",
            "frequency",
            "method",
            "principal",
            "start_date",
            "term"
        ]
    );
    for body in [&b"[]"[..], b"not json", b"\"x\""] {
        let error = parse_schedule_request(body).unwrap_err();
        assert_eq!(fields_of(&error), [""]);
    }
    let huge = vec![b' '; REQUEST_BYTES_MAX + 1];
    assert_eq!(fields_of(&parse_schedule_request(&huge).unwrap_err()), [""]);
}

#[test]
fn semantic_limits_name_their_field() {
    let with = |field: &str, value: &str| {
        let mut json: serde_json::Value = serde_json::from_str(GOOD_SCHEDULE).unwrap();
        json[field] = serde_json::from_str(value).unwrap();
        let request = parse_schedule_request(json.to_string().as_bytes()).unwrap();
        schedule(&request).unwrap_err()
    };
    assert_eq!(fields_of(&with("principal", "\"-5.00\"")), ["principal"]);
    assert_eq!(fields_of(&with("principal", "\"0\"")), ["principal"]);
    assert_eq!(fields_of(&with("principal", "\"1.005\"")), ["principal"]);
    assert_eq!(
        fields_of(&with("principal", "\"99999999999999999\"")),
        ["principal"]
    );
    assert_eq!(fields_of(&with("annual_rate", "\"-1\"")), ["annual_rate"]);
    assert_eq!(fields_of(&with("annual_rate", "\"5000\"")), ["annual_rate"]);
    assert_eq!(fields_of(&with("term", "0")), ["term"]);
    assert_eq!(fields_of(&with("term", "100000")), ["term"]);
    assert_eq!(
        fields_of(&with("first_payment_date", "\"2024-01-01\"")),
        ["first_payment_date"]
    );
    let term_message = &with("term", "100000").errors[0].message;
    assert_eq!(term_message, "term must not exceed 1560 installments");
}

#[test]
fn every_broken_rule_is_listed_at_once() {
    let with = |changes: &[(&str, &str)]| {
        let mut json: serde_json::Value = serde_json::from_str(GOOD_SCHEDULE).unwrap();
        for (field, value) in changes {
            json[*field] = serde_json::from_str(value).unwrap();
        }
        let request = parse_schedule_request(json.to_string().as_bytes()).unwrap();
        schedule(&request).unwrap_err()
    };
    // A negative principal no longer hides a zero term, nor a first payment before the start.
    let error = with(&[
        ("principal", "\"-5.00\""),
        ("term", "0"),
        ("first_payment_date", "\"2024-01-01\""),
    ]);
    assert_eq!(
        fields_of(&error),
        ["principal", "term", "first_payment_date"]
    );
    // A principal or rate that does not parse still lets the terms' rules speak.
    let error = with(&[
        ("principal", "\"1.005\""),
        ("annual_rate", "\"-1\""),
        ("term", "100000"),
    ]);
    assert_eq!(fields_of(&error), ["principal", "annual_rate", "term"]);
    // Fees: each invalid one, and closing fees that swallow the principal.
    let error = with(&[
        (
            "fees",
            r#"[{"amount": "-1", "financed": true}, {"amount": "-2", "financed": false}]"#,
        ),
        ("term", "0"),
    ]);
    assert_eq!(
        fields_of(&error),
        ["fees[0].amount", "fees[1].amount", "term"]
    );
    let error = with(&[("fees", r#"[{"amount": "1000.00", "financed": false}]"#)]);
    assert_eq!(fields_of(&error), ["fees"]);
}

#[test]
fn apr_regular_stream_appendix_j_c1_i() {
    // 12 CFR 1026 App. J (c)(1)(i): published APR 9.69%.
    let body = r#"{
        "amount_financed": "5000.00", "advance_date": "1978-01-10",
        "payment_amount": "230.00", "payment_count": 24, "frequency": "monthly",
        "first_payment_date": "1978-02-10"
    }"#;
    let response = apr(&parse_apr_request(body.as_bytes()).unwrap()).unwrap();
    assert_eq!(response.apr, "9.69");
    assert!(response.apr_exact.starts_with("9.6857"));
    assert_eq!(response.unit_period, "month");
    assert_eq!((response.full_unit_periods, response.odd_days), (1, 0));
}

#[test]
fn apr_explicit_stream_appendix_j_c5_i() {
    // 12 CFR 1026 App. J (c)(5)(i): single advance, single payment; published 11.45%.
    let body = r#"{
        "amount_financed": "1000.00", "advance_date": "1978-01-03",
        "payments": [{"date": "1978-09-15", "amount": "1080.00"}]
    }"#;
    let response = apr(&parse_apr_request(body.as_bytes()).unwrap()).unwrap();
    assert_eq!(response.apr, "11.45");
    assert_eq!(response.unit_period, "255 days");
}

#[test]
fn apr_lists_every_broken_rule_at_once() {
    let body = r#"{
        "amount_financed": "-5.00", "advance_date": "2024-01-01",
        "payments": [{"date": "2024-02-01", "amount": "-1"}, {"date": "2023-12-01", "amount": "50"},
                     {"date": "2024-03-01", "amount": "50"}]
    }"#;
    let error = apr(&parse_apr_request(body.as_bytes()).unwrap()).unwrap_err();
    assert_eq!(
        fields_of(&error),
        ["amount_financed", "payments[0].amount", "payments[1].date"]
    );
    // A good stream that does not cover the amount financed is named once the rest holds.
    let short = r#"{"amount_financed": "100.00", "advance_date": "2024-01-01",
        "payments": [{"date": "2024-02-01", "amount": "99.99"}]}"#;
    let error = apr(&parse_apr_request(short.as_bytes()).unwrap()).unwrap_err();
    assert_eq!(fields_of(&error), ["amount_financed"]);
}

#[test]
fn apr_bad_requests_name_the_field() {
    let error =
        parse_apr_request(br#"{"advance_date": "1978-02-29", "payments": [{"date": "x"}]}"#)
            .unwrap_err();
    let mut fields = fields_of(&error);
    fields.sort();
    assert_eq!(
        fields,
        [
            "advance_date",
            "amount_financed",
            "payments[0].amount",
            "payments[0].date"
        ]
    );

    let both = r#"{"amount_financed": "100", "advance_date": "2024-01-01",
        "payments": [{"date": "2024-02-01", "amount": "101"}], "payment_count": 3}"#;
    assert_eq!(
        fields_of(&apr(&parse_apr_request(both.as_bytes()).unwrap()).unwrap_err()),
        ["payments"]
    );

    let partial = r#"{"amount_financed": "100", "advance_date": "2024-01-01", "payment_count": 3}"#;
    let mut fields_partial: Vec<String> = apr(&parse_apr_request(partial.as_bytes()).unwrap())
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect();
    fields_partial.sort();
    assert_eq!(
        fields_partial,
        ["first_payment_date", "frequency", "payment_amount"]
    );

    let early = r#"{"amount_financed": "100", "advance_date": "2024-01-01",
        "payments": [{"date": "2024-02-01", "amount": "60"}, {"date": "2024-01-15", "amount": "60"}]}"#;
    assert_eq!(
        fields_of(&apr(&parse_apr_request(early.as_bytes()).unwrap()).unwrap_err()),
        ["payments[1].date"]
    );
    let short = r#"{"amount_financed": "100", "advance_date": "2024-01-01",
        "payments": [{"date": "2024-02-01", "amount": "60"}]}"#;
    assert_eq!(
        fields_of(&apr(&parse_apr_request(short.as_bytes()).unwrap()).unwrap_err()),
        ["amount_financed"]
    );
    let count = r#"{"amount_financed": "100", "advance_date": "2024-01-01", "payment_amount": "10",
        "payment_count": 999999, "frequency": "weekly", "first_payment_date": "2024-01-08"}"#;
    assert_eq!(
        fields_of(&apr(&parse_apr_request(count.as_bytes()).unwrap()).unwrap_err()),
        ["payment_count"]
    );
}
