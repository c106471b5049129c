//! From offer to loan: every approved offer's id, expiry and truth-in-lending disclosure;
//! the disclosure as a borrower reads it (JSON, or an HTML page); the borrower's
//! acceptance with an e-signature, which books the loan through onboarding; an
//! underwriter withdrawing an offer.
//!
//! Offers are numbered `o1`, `o2`, … in the decision's order, the counter-offer is `oc`.
//! An offer expires the product's `offer_expiry_days` after the decision. A disclosure is
//! computed for the day it is read (the day the loan would be disbursed), so a borrower
//! signs the SHA-256 of the document they read; if the day changed since, the acceptance is
//! refused and the borrower reads the new one.
//!
//! Acceptance is two steps on the application, each one confirmed compare-and-swap:
//! `approved` → `accepted` (the e-signature: typed name, consent, time, client address,
//! user agent, the document's digest), then the booking, then `accepted` → `booked` with
//! the loan's id. A crash between them leaves an accepted application whose acceptance,
//! sent again, books the loan (onboarding books each application once): never two loans,
//! never a signature without its loan once retried.

use chrono::{Days, NaiveDate, Utc};
use lendkit::{Ctx, Problem, Role};
use origination::Application;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use servicing::disclosure::{self, Disclosure, Offer};
use servicing::products::ServicingProduct;
use spin_sdk::http::{Method, Response};

use crate::documents::change_record;
use crate::record::{Event, Record, Status};
use crate::stages::relay;
use crate::{STORE_LABEL, submitter, visible_record};

/// The variable naming onboarding's base URL.
pub const ONBOARDING_URL_VARIABLE: &str = "onboarding_url";
/// Where onboarding is when the variable is not set.
pub const DEFAULT_ONBOARDING_URL: &str = "http://onboarding.spin.internal";
/// Longest typed name accepted as a signature.
pub const TYPED_NAME_MAX_CHARS: usize = 200;

/// The id of the counter-offer.
const COUNTER_OFFER_ID: &str = "oc";

/// A borrower's e-signature of an offer's disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// The offer accepted.
    pub offer_id: String,
    /// The name the borrower typed.
    pub typed_name: String,
    /// The borrower's explicit consent to sign electronically.
    pub consent: bool,
    /// When.
    pub accepted_at: chrono::DateTime<Utc>,
    /// The client's address, as the host saw it.
    pub client_ip: String,
    /// The client's user agent.
    pub user_agent: String,
    /// SHA-256 of the disclosure document signed.
    pub disclosure_sha256: String,
    /// The day the disclosure was computed for: the disbursement date.
    pub disbursement_date: NaiveDate,
}

fn servicing_product(application: &Application) -> Result<&'static ServicingProduct, Problem> {
    ServicingProduct::named(application.product.limits().name)
        .ok_or_else(|| Problem::internal("the product has no servicing settings"))
}

/// The offer's money terms as servicing reads them.
fn offer_terms(application: &Application, offer: &Value) -> Option<Offer> {
    Offer::parse(
        &application.currency,
        offer["amount"].as_str()?,
        u32::try_from(offer["term_months"].as_u64()?).ok()?,
        offer["annual_rate"].as_str()?,
        offer["origination_fee"].as_str()?,
    )
    .ok()
}

/// The disclosure of `offer` if the loan were disbursed on `day`.
fn disclose(
    application: &Application,
    offer: &Value,
    day: NaiveDate,
) -> Result<Disclosure, Problem> {
    let terms = offer_terms(application, offer)
        .ok_or_else(|| Problem::internal("a stored offer is unreadable"))?;
    disclosure::disclose(servicing_product(application)?, &terms, day)
        .map(|(disclosure, _)| disclosure)
        .map_err(|e| Problem::internal(format!("the offer cannot be disclosed: {e}")))
}

/// Gives every offer of `decision` (and its counter-offer) its `offer_id`, its
/// `expires_on` and a summary of its disclosure as of `decided_on`. An offer the money
/// library cannot disclose keeps its terms without a summary.
pub fn disclose_offers(decision: &mut Value, application: &Application, decided_on: NaiveDate) {
    let Ok(product) = servicing_product(application) else {
        return;
    };
    let expires_on = decided_on.checked_add_days(Days::new(u64::from(product.offer_expiry_days)));
    let each = |offer: &mut Value, id: String| {
        let summary = disclose(application, offer, decided_on).ok().map(|d| {
            json!({
                "annual_percentage_rate": d.annual_percentage_rate,
                "finance_charge": d.finance_charge,
                "amount_financed": d.amount_financed,
                "total_of_payments": d.total_of_payments,
                "regular_payment": d.payment_schedule.regular_payment,
                "number_of_payments": d.payment_schedule.number_of_payments,
                "first_payment_date": d.payment_schedule.first_payment_date,
            })
        });
        offer["offer_id"] = json!(id);
        offer["expires_on"] = json!(expires_on);
        offer["disclosure"] = json!(summary);
    };
    if let Some(offers) = decision["offers"].as_array_mut() {
        for (index, offer) in offers.iter_mut().enumerate() {
            each(offer, format!("o{}", index + 1));
        }
    }
    if decision["counter_offer"].is_object() {
        each(&mut decision["counter_offer"], COUNTER_OFFER_ID.to_string());
    }
}

/// The offer `id` of the record's decision.
fn find<'a>(record: &'a Record, id: &str) -> Option<&'a Value> {
    if id == COUNTER_OFFER_ID {
        return record.decision["counter_offer"]
            .as_object()
            .map(|_| &record.decision["counter_offer"]);
    }
    record.decision["offers"]
        .as_array()?
        .iter()
        .find(|o| o["offer_id"] == id)
}

fn offer_of<'a>(record: &'a Record, id: &str) -> Result<&'a Value, Problem> {
    find(record, id).ok_or_else(|| Problem::not_found("no such offer"))
}

fn expires_on(offer: &Value) -> Option<NaiveDate> {
    offer["expires_on"].as_str()?.parse().ok()
}

/// Why `offer` of `record` cannot be accepted on `today`, if it cannot.
fn unavailable(record: &Record, offer: &Value, today: NaiveDate) -> Option<Problem> {
    if record.status != Status::Approved {
        return Some(
            Problem::conflict("the application has no offer open to acceptance")
                .with_type("offer-unavailable"),
        );
    }
    if !offer["withdrawn_at"].is_null() {
        return Some(Problem::conflict("the offer was withdrawn").with_type("offer-withdrawn"));
    }
    if expires_on(offer).is_none_or(|last| today > last) {
        return Some(Problem::conflict("the offer has expired").with_type("offer-expired"));
    }
    None
}

const HTML_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#111}table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.6rem;vertical-align:top}th{background:#f3f3f3;text-align:left}.big{font-size:1.4rem;font-weight:600}";

/// The disclosure as an HTML page a borrower can read (every value is ours: numbers,
/// dates and fixed text, nothing a caller wrote).
fn html(disclosure: &Disclosure, sha256: &str) -> String {
    let d = disclosure;
    let s = &d.payment_schedule;
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Truth in Lending disclosure</title><style>{HTML_STYLE}</style></head><body>\
<h1>Truth in Lending disclosure</h1>\
<table><tr><th>Annual percentage rate</th><th>Finance charge</th><th>Amount financed</th><th>Total of payments</th></tr>\
<tr><td><div class=\"big\">{apr}%</div>The cost of your credit as a yearly rate.</td>\
<td><div class=\"big\">{cur} {fc}</div>The dollar amount the credit will cost you.</td>\
<td><div class=\"big\">{cur} {af}</div>The amount of credit provided to you or on your behalf.</td>\
<td><div class=\"big\">{cur} {tp}</div>The amount you will have paid after you have made all payments as scheduled.</td></tr></table>\
<h2>Your payment schedule</h2><p>{n} {freq} payments: {n_regular} of {cur} {regular} beginning {first}, and a final payment of {cur} {last} on {last_date}.</p>\
<h2>Itemization</h2><p>Loan amount {cur} {amount}; origination fee {cur} {fee}, withheld; paid to you {cur} {paid}. Interest rate {rate}% a year, {method}. Disbursement date {start}.</p>\
<h2>Late charge</h2><p>If a payment is more than {grace} days late, you will be charged {cur} {late}. A returned payment costs {cur} {nsf}.</p>\
<h2>Prepayment</h2><p>{prepay}</p>\
<p><small>Document SHA-256: <code>{sha256}</code>. Sign this exact document by sending its digest with your acceptance.</small></p>\
</body></html>",
        apr = d.annual_percentage_rate,
        cur = d.currency,
        fc = d.finance_charge,
        af = d.amount_financed,
        tp = d.total_of_payments,
        n = s.number_of_payments,
        freq = s.frequency,
        n_regular = s.number_of_payments.saturating_sub(1),
        regular = s.regular_payment,
        first = s.first_payment_date,
        last = s.final_payment,
        last_date = s.final_payment_date,
        amount = d.loan_amount,
        fee = d.origination_fee,
        paid = d.disbursed,
        rate = d.interest_rate,
        method = d.interest_method,
        start = d.disbursement_date,
        grace = d.late_charge.after_days,
        late = d.late_charge.amount,
        nsf = d.returned_payment_fee,
        prepay = d.prepayment.terms,
    )
}

/// `GET /v1/applications/{id}/offers/{offer}/disclosure`: the disclosure for today (or,
/// once accepted, the one signed), as JSON or — `Accept: text/html` — an HTML page.
pub fn read_disclosure(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = lendkit::idempotency::open(STORE_LABEL)?;
    let record = visible_record(ctx, &store)?;
    let offer_id = ctx.param("offer")?;
    let offer = offer_of(&record, offer_id)?;
    let signed = record
        .acceptance
        .as_ref()
        .filter(|a| a.offer_id == offer_id);
    let day = match signed {
        Some(acceptance) => acceptance.disbursement_date,
        None => lendkit::vars::business_date()?,
    };
    let disclosure = disclose(&record.application, offer, day)?;
    let sha256 = disclosure.sha256();
    let wants_html = ctx
        .header("accept")
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        let mut response = Response::builder();
        response
            .status(200)
            .header("content-type", "text/html; charset=utf-8")
            .header("x-disclosure-sha256", sha256.as_str());
        return Ok(response.body(html(&disclosure, &sha256)).build());
    }
    let today = lendkit::vars::business_date()?;
    lendkit::json::respond(
        200,
        &json!({
            "application_id": record.id,
            "offer_id": offer_id,
            "expires_on": offer["expires_on"],
            "acceptable": signed.is_none() && unavailable(&record, offer, today).is_none(),
            "signed": signed.is_some(),
            "disclosure": disclosure,
            "document": disclosure.to_document(),
            "document_sha256": sha256,
        }),
    )
}

/// What a borrower sends to accept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptRequest {
    typed_name: String,
    consent: bool,
    disclosure_sha256: String,
}

fn onboarding_url() -> String {
    let base = lendkit::vars::text(ONBOARDING_URL_VARIABLE)
        .unwrap_or_else(|| DEFAULT_ONBOARDING_URL.to_string());
    format!("{}/loans", base.trim_end_matches('/'))
}

/// The loan id of application `id` (`app_<token>` → `loan-<token>`).
pub fn loan_id(id: &str) -> String {
    format!(
        "loan-{}",
        id.trim_start_matches("app_").to_ascii_lowercase()
    )
}

/// Books the accepted offer through onboarding; the loan's summary.
fn book(record: &Record, acceptance: &Acceptance, offer: &Value) -> Result<Value, Problem> {
    let applicant = &record.application.applicant;
    let body = json!({
        "loan_id": loan_id(&record.id),
        "application_id": record.id,
        "offer_id": acceptance.offer_id,
        "product": record.application.product.limits().name,
        "owner": record.submitted_by.key_id,
        "currency": record.application.currency,
        "amount": offer["amount"],
        "term_months": offer["term_months"],
        "annual_rate": offer["annual_rate"],
        "origination_fee": offer["origination_fee"],
        "disbursement_date": acceptance.disbursement_date,
        "disclosure_sha256": acceptance.disclosure_sha256,
        "borrower": {
            "first_name": applicant.first_name,
            "last_name": applicant.last_name,
            "email": applicant.email,
            "phone": applicant.phone,
            "address": applicant.address,
        },
    });
    let answer = relay(
        Method::Post,
        onboarding_url(),
        body.to_string().into_bytes(),
        "application/json",
        None,
    )
    .map_err(|_| booking_pending())?;
    match *answer.status() {
        200 | 201 => serde_json::from_slice::<Value>(answer.body())
            .map(|b| b["loan"].clone())
            .map_err(|_| Problem::internal("onboarding answered nonsense")),
        status if status >= 500 => Err(booking_pending()),
        _ => Err(Problem::internal(format!(
            "onboarding refused the booking: {}",
            String::from_utf8_lossy(answer.body())
        ))),
    }
}

fn booking_pending() -> Problem {
    Problem::unavailable(
        "the offer is accepted but the loan could not be booked yet: send the acceptance again",
    )
    .retryable(true)
}

/// `POST /v1/applications/{id}/offers/{offer}/accept` (the applicant's channel).
pub fn accept(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = lendkit::idempotency::open(STORE_LABEL)?;
    let record = visible_record(ctx, &store)?;
    let principal = ctx.principal()?;
    // Only the channel that applied signs for the borrower: not a reviewer, not an admin.
    if principal.key_id != record.submitted_by.key_id {
        return Err(Problem::forbidden(
            "only the applicant's channel accepts an offer",
        ));
    }
    let request: AcceptRequest = ctx.json()?;
    let mut problem = Problem::validation(Vec::new());
    let typed_name = request.typed_name.trim().to_string();
    let applicant = &record.application.applicant;
    if typed_name.is_empty() || typed_name.chars().count() > TYPED_NAME_MAX_CHARS {
        problem = problem.with_error("/typed_name", "is required, at most 200 characters");
    } else if !typed_name
        .to_lowercase()
        .contains(&applicant.last_name.to_lowercase())
    {
        problem = problem.with_error("/typed_name", "must be the applicant's name as signed");
    }
    if !request.consent {
        problem = problem.with_error("/consent", "must be true to sign electronically");
    }
    if !problem.errors.is_empty() {
        return Err(problem);
    }
    let offer_id = ctx.param("offer")?.to_string();
    let offer = offer_of(&record, &offer_id)?.clone();
    let same_acceptance = |record: &Record| {
        record.acceptance.as_ref().is_some_and(|a| {
            a.offer_id == offer_id && a.disclosure_sha256 == request.disclosure_sha256
        })
    };
    // Accepted before (a retry, or a booking that did not finish): finish it.
    if same_acceptance(&record) {
        return finish(&store, &record, &offer, 200);
    }
    let today = lendkit::vars::business_date()?;
    if let Some(problem) = unavailable(&record, &offer, today) {
        return Err(problem);
    }
    let disclosure = disclose(&record.application, &offer, today)?;
    if disclosure.sha256() != request.disclosure_sha256 {
        return Err(Problem::conflict(
            "the disclosure signed is not today's: read the disclosure again and sign it",
        )
        .with_type("disclosure-changed"));
    }
    let acceptance = Acceptance {
        offer_id: offer_id.clone(),
        typed_name,
        consent: true,
        accepted_at: Utc::now(),
        client_ip: ctx
            .header("spin-client-addr")
            .map(|a| a.rsplit_once(':').map_or(a, |(host, _)| host).to_string())
            .unwrap_or_default(),
        user_agent: ctx
            .header("user-agent")
            .unwrap_or("")
            .chars()
            .take(256)
            .collect(),
        disclosure_sha256: request.disclosure_sha256.clone(),
        disbursement_date: today,
    };
    let by = submitter(principal);
    let accepted = change_record(&store, &record.id, |current| {
        if same_acceptance(current) {
            return Ok(current.clone());
        }
        if current.status != Status::Approved {
            return Err(
                Problem::conflict("another offer of this application was accepted")
                    .with_type("offer-unavailable"),
            );
        }
        current.status = Status::Accepted;
        current.acceptance = Some(acceptance.clone());
        current.history.push(Event {
            at: acceptance.accepted_at,
            by: by.clone(),
            event: format!("offer_accepted:{offer_id}"),
        });
        Ok(current.clone())
    })?;
    finish(&store, &accepted, &offer, 201)
}

/// Books the accepted record's loan and marks it booked; the application and the loan.
fn finish<K: lendstore::Kv>(
    store: &K,
    record: &Record,
    offer: &Value,
    status: u16,
) -> Result<Response, Problem> {
    let acceptance = record
        .acceptance
        .clone()
        .ok_or_else(|| Problem::internal("an accepted application without its acceptance"))?;
    let loan = book(record, &acceptance, offer)?;
    let loan_id = loan["id"].as_str().unwrap_or_default().to_string();
    let system = crate::record::Submitter {
        role: "system".into(),
        key_id: "onboarding".into(),
    };
    let booked = change_record(store, &record.id, |current| {
        if current.status == Status::Accepted {
            current.status = Status::Booked;
            current.loan_id = Some(loan_id.clone());
            current.history.push(Event {
                at: Utc::now(),
                by: system.clone(),
                event: format!("loan_booked:{loan_id}"),
            });
        }
        Ok(current.clone())
    })?;
    lendkit::json::respond(
        status,
        &json!({ "application": booked.masked_view(), "loan": loan }),
    )
}

/// `POST /v1/applications/{id}/offers/{offer}/withdrawal` (role `underwriter`): the offer
/// can no longer be accepted.
pub fn withdraw(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = lendkit::idempotency::open(STORE_LABEL)?;
    let record = visible_record(ctx, &store)?;
    let offer_id = ctx.param("offer")?.to_string();
    offer_of(&record, &offer_id)?;
    let principal = ctx.principal()?;
    if !matches!(principal.role, Role::Underwriter | Role::Admin) {
        return Err(Problem::forbidden("only an underwriter withdraws an offer"));
    }
    let by = submitter(principal);
    let now = Utc::now();
    let withdrawn = change_record(&store, &record.id, |current| {
        if current.status != Status::Approved {
            return Err(
                Problem::conflict("the application's offers are no longer open")
                    .with_type("offer-unavailable"),
            );
        }
        let offer = if offer_id == COUNTER_OFFER_ID {
            Some(&mut current.decision["counter_offer"])
        } else {
            current.decision["offers"]
                .as_array_mut()
                .and_then(|offers| {
                    offers
                        .iter_mut()
                        .find(|o| o["offer_id"] == offer_id.as_str())
                })
        };
        if let Some(offer) = offer
            && offer["withdrawn_at"].is_null()
        {
            offer["withdrawn_at"] = json!(now);
            current.history.push(Event {
                at: now,
                by: by.clone(),
                event: format!("offer_withdrawn:{offer_id}"),
            });
        }
        Ok(current.clone())
    })?;
    lendkit::json::respond(200, &withdrawn.masked_view())
}
