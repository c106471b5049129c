use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::identifiers::{self, TaxpayerNumber};
use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn person() -> Value {
    json!({
        "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-02-28",
        "national_id": "123-45-6789", "email": "Ada@Example.com", "phone": "+14155550123",
        "address": { "line1": "1 Main St", "city": "Springfield", "state": "CA",
                     "postal_code": "94105", "country": "US" },
        "annual_income": "85000.00", "monthly_housing_cost": "1800",
        "employment_status": "employed", "employer_name": "Analytical Engines",
        "months_employed": 36
    })
}

fn personal() -> Value {
    json!({
        "product": "personal_installment", "channel": "web", "requested_amount": "12000",
        "term_months": 36, "purpose": "debt consolidation", "applicant": person(),
        "consents": { "credit_pull": true, "esign": true, "terms_version": "2026-10",
                      "accepted_at": "2026-12-01T11:59:00Z" },
        "device_id": "dev-1"
    })
}

fn sme() -> Value {
    let mut owner = person();
    owner["ownership_percent"] = json!("60");
    let mut minor = person();
    minor["national_id"] = json!("987-70-1234");
    minor["ownership_percent"] = json!("40");
    let mut doc = personal();
    doc["product"] = json!("sme_term");
    doc["requested_amount"] = json!("250000.00");
    doc["term_months"] = json!(60);
    doc["business"] = json!({
        "legal_name": "Engines LLC", "ein": "12-3456789", "formation_date": "2015-06-01",
        "annual_revenue": "1200000", "annual_debt_service": "40000.50",
        "address": { "line1": "2 Market St", "city": "San Francisco", "state": "CA",
                     "postal_code": "94105-1234", "country": "US" }
    });
    doc["owners"] = json!([owner, minor]);
    doc
}

/// The pointers of the errors of `doc`.
fn failing(doc: &Value) -> Vec<String> {
    match validate(doc, now()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.pointer).collect(),
    }
}

/// `doc` with the value at `pointer` replaced (or removed for `None`).
fn with(doc: &Value, pointer: &str, value: Option<Value>) -> Value {
    let mut doc = doc.clone();
    let (parent, name) = pointer.rsplit_once('/').unwrap();
    let target = doc.pointer_mut(parent).unwrap();
    match value {
        Some(v) => {
            if let Some(list) = target.as_array_mut() {
                list[name.parse::<usize>().unwrap()] = v;
            } else {
                target[name] = v;
            }
        }
        None => {
            target.as_object_mut().unwrap().remove(name);
        }
    }
    doc
}

#[test]
fn valid_applications_are_normalised() {
    let app = validate(&personal(), now()).unwrap();
    assert_eq!(app.requested_amount, "12000.00");
    assert_eq!(app.currency, "USD");
    assert_eq!(app.applicant.national_id, "123456789");
    assert_eq!(app.applicant.email, "ada@example.com");
    assert_eq!(
        app.applicant.monthly_housing_cost.as_deref(),
        Some("1800.00")
    );
    assert!(app.business.is_none() && app.owners.is_empty());
    let app = validate(&sme(), now()).unwrap();
    assert_eq!(app.business.as_ref().unwrap().ein, "123456789");
    assert_eq!(app.owners.len(), 2);
    assert_eq!(
        app.owners[1].person.national_id_kind,
        TaxpayerNumberKind::Itin
    );
    assert_eq!(app.owners[0].ownership_percent, "60.00");
    assert_eq!(app.people().count(), 3);
}

#[test]
fn national_ids_follow_ssa_and_irs_rules() {
    let good = [
        ("123-45-6789", TaxpayerNumber::Ssn),
        ("123456789", TaxpayerNumber::Ssn),
        ("899-99-9999", TaxpayerNumber::Ssn),
        ("001-01-0001", TaxpayerNumber::Ssn),
        ("900-70-0001", TaxpayerNumber::Itin),
        ("912-50-1234", TaxpayerNumber::Itin),
        ("999-99-1234", TaxpayerNumber::Itin),
        ("950-88-1234", TaxpayerNumber::Itin),
        ("950-94-1234", TaxpayerNumber::Itin),
    ];
    for (id, kind) in good {
        assert_eq!(
            identifiers::national_id(id).map(|(_, k)| k),
            Ok(kind),
            "{id}"
        );
    }
    let bad = [
        "000-12-3456",
        "666-12-3456",
        "123-00-4567",
        "123-45-0000",
        "900-49-1234",
        "900-66-1234",
        "900-89-1234",
        "900-93-1234",
        "912-70-0000",
        "12-345-6789",
        "1234567890",
        "12345678",
        "123-45-678a",
        "",
        "123 45 6789",
        "-123456789",
    ];
    for id in bad {
        assert!(identifiers::national_id(id).is_err(), "{id}");
    }
}

#[test]
fn eins_need_an_assigned_prefix() {
    for ok in ["12-3456789", "013456789", "99-1234567", "98-0000001"] {
        assert!(identifiers::ein(ok).is_ok(), "{ok}");
    }
    for bad in [
        "07-1234567",
        "00-1234567",
        "89-1234567",
        "96-1234567",
        "123-456789",
        "1234567",
    ] {
        assert!(identifiers::ein(bad).is_err(), "{bad}");
    }
}

#[test]
fn contact_details() {
    for ok in ["12345", "12345-6789"] {
        assert!(identifiers::zip(ok).is_ok(), "{ok}");
    }
    for bad in ["1234", "123456", "12345-678", "12345 6789", "abcde"] {
        assert!(identifiers::zip(bad).is_err(), "{bad}");
    }
    for ok in [
        "a@b.co",
        "first.last+tag@mail.example.org",
        "o'neil@x-y.com",
    ] {
        assert!(identifiers::email(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "a",
        "a@b",
        "a@@b.co",
        ".a@b.co",
        "a.@b.co",
        "a..b@c.co",
        "a@-b.co",
        "a@b.c0",
        "a b@c.co",
    ] {
        assert!(identifiers::email(bad).is_err(), "{bad}");
    }
    for ok in ["+14155550123", "+442071838750", "+3312345"] {
        assert!(identifiers::e164(ok).is_ok(), "{ok}");
    }
    for bad in [
        "14155550123",
        "+0123456789",
        "+1415555012345678",
        "+1 415 555",
        "+123456",
    ] {
        assert!(identifiers::e164(bad).is_err(), "{bad}");
    }
    assert_eq!(
        identifiers::jurisdiction("AL").unwrap().majority_age_years,
        19
    );
    assert_eq!(
        identifiers::jurisdiction("MS").unwrap().majority_age_years,
        21
    );
    assert!(identifiers::jurisdiction("XX").is_none());
    assert_eq!(identifiers::JURISDICTIONS.len(), 56);
}

#[test]
fn each_rule_names_its_field() {
    let cases: Vec<(&str, Option<Value>)> = vec![
        ("/product", Some(json!("mortgage"))),
        ("/product", None),
        ("/channel", Some(json!("fax"))),
        ("/requested_amount", Some(json!("999.99"))),
        ("/requested_amount", Some(json!("50000.01"))),
        ("/requested_amount", Some(json!("12000.001"))),
        ("/requested_amount", Some(json!(12000))),
        ("/requested_amount", Some(json!("-5"))),
        ("/currency", Some(json!("EUR"))),
        ("/currency", Some(json!("usd"))),
        ("/term_months", Some(json!(5))),
        ("/term_months", Some(json!(85))),
        ("/term_months", Some(json!("36"))),
        ("/purpose", Some(json!(""))),
        ("/purpose", None),
        ("/applicant/first_name", None),
        ("/applicant/date_of_birth", Some(json!("1990-02-30"))),
        ("/applicant/date_of_birth", Some(json!("2010-01-01"))),
        ("/applicant/date_of_birth", Some(json!("1890-01-01"))),
        ("/applicant/date_of_birth", Some(json!("2027-01-01"))),
        ("/applicant/national_id", Some(json!("666-12-3456"))),
        ("/applicant/email", Some(json!("nobody"))),
        ("/applicant/phone", Some(json!("4155550123"))),
        ("/applicant/address/state", Some(json!("ZZ"))),
        ("/applicant/address/postal_code", Some(json!("9410"))),
        ("/applicant/address/country", Some(json!("CA"))),
        ("/applicant/address/line1", None),
        ("/applicant/annual_income", None),
        ("/applicant/employment_status", Some(json!("pirate"))),
        ("/applicant/months_employed", Some(json!(-1))),
        ("/consents/credit_pull", Some(json!(false))),
        ("/consents/esign", None),
        ("/consents/accepted_at", Some(json!("yesterday"))),
        ("/consents/accepted_at", Some(json!("2026-12-02T12:00:00Z"))),
        ("/consents/terms_version", None),
        ("/unexpected", Some(json!(1))),
        ("/applicant/nickname", Some(json!("Ada"))),
        ("/business", Some(json!({}))),
        ("/owners", Some(json!([]))),
    ];
    for (pointer, value) in cases {
        let doc = with(&personal(), pointer, value.clone());
        let errors = failing(&doc);
        assert_eq!(errors, [pointer], "{pointer} = {value:?}");
    }
}

#[test]
fn business_rules_name_their_fields() {
    let cases: Vec<(&str, Option<Value>)> = vec![
        ("/business", None),
        ("/business/ein", Some(json!("07-1234567"))),
        ("/business/formation_date", Some(json!("2027-01-01"))),
        ("/business/annual_revenue", Some(json!("lots"))),
        ("/business/address/postal_code", Some(json!("x"))),
        ("/owners", None),
        ("/owners/1/ownership_percent", Some(json!("101"))),
        ("/owners/1/national_id", Some(json!("000-00-0000"))),
        ("/requested_amount", Some(json!("9999.99"))),
        ("/term_months", Some(json!(121))),
    ];
    for (pointer, value) in cases {
        let doc = with(&sme(), pointer, value.clone());
        let errors = failing(&doc);
        assert_eq!(errors, [pointer], "{pointer} = {value:?}");
    }
    // Shares summing past 100, and none reaching 20 %.
    let doc = with(&sme(), "/owners/1/ownership_percent", Some(json!("41")));
    assert_eq!(failing(&doc), ["/owners"]);
    let mut doc = with(&sme(), "/owners/0/ownership_percent", Some(json!("19.99")));
    doc = with(&doc, "/owners/1/ownership_percent", Some(json!("19.99")));
    assert_eq!(failing(&doc), ["/owners"]);
    // Owners do not need finances of their own.
    let doc = with(&sme(), "/owners/0/annual_income", None);
    assert!(failing(&doc).is_empty());
}

#[test]
fn age_of_majority_depends_on_the_state() {
    // 19 years and a day old on 2026-12-01.
    let nineteen = json!("2007-11-30");
    for (state, ok) in [
        ("CA", true),
        ("AL", true),
        ("NE", true),
        ("MS", false),
        ("PR", false),
    ] {
        let mut doc = with(
            &personal(),
            "/applicant/date_of_birth",
            Some(nineteen.clone()),
        );
        doc = with(&doc, "/applicant/address/state", Some(json!(state)));
        assert_eq!(failing(&doc).is_empty(), ok, "{state}");
    }
    // 18 today is of age in California, not in Alabama.
    let eighteen = json!("2008-12-01");
    let doc = with(
        &personal(),
        "/applicant/date_of_birth",
        Some(eighteen.clone()),
    );
    assert!(failing(&doc).is_empty());
    let doc = with(&doc, "/applicant/address/state", Some(json!("AL")));
    assert_eq!(failing(&doc), ["/applicant/date_of_birth"]);
}

#[test]
fn every_failing_field_is_listed_at_once_without_its_value() {
    let mut doc = personal();
    doc["requested_amount"] = json!("-1");
    doc["term_months"] = json!(0);
    doc["applicant"]["national_id"] = json!("666-12-3456");
    doc["applicant"]["email"] = json!("not-an-email");
    doc["applicant"]["address"]["state"] = json!("QQ");
    doc["consents"]["esign"] = json!(false);
    let errors = validate(&doc, now()).unwrap_err();
    let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/requested_amount",
            "/term_months",
            "/applicant/national_id",
            "/applicant/email",
            "/applicant/address/state",
            "/consents/esign",
        ]
    );
    for error in &errors {
        for secret in ["666", "not-an-email", "QQ"] {
            assert!(!error.message.contains(secret), "{error:?}");
        }
    }
    assert_eq!(failing(&json!([1, 2])), [""]);
}

#[test]
fn product_limits_are_one_table() {
    assert_eq!(PRODUCTS.len(), 2);
    for limits in PRODUCTS {
        assert_eq!(Product::from_name(limits.name), Some(limits.product));
        assert!(limits.amount_min_minor < limits.amount_max_minor);
        assert!(limits.term_min_months < limits.term_max_months);
    }
    assert_eq!(Product::from_name("mortgage"), None);
}
