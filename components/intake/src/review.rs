//! Manual review of referred applications: the queue underwriters work from (oldest first,
//! with the reasons), and a person's outcome — approve with an offer (the policy's, or one
//! the underwriter adjusts) or decline with reasons — stored by decisioning like any other
//! decision, with the reviewer's identity, then applied to the application.
//!
//! One review per application: the review decision's id follows from the application
//! (`rev_{application}`) and decisioning creates it once, so of two concurrent reviews one
//! is recorded and the other gets a 409; the application then changes from `referred` by
//! one confirmed compare-and-swap, and a retry of the review that won finishes it.

use chrono::Utc;
use lendkit::{Ctx, Problem};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::{Method, Response};

use crate::record::{Event, Status, Submitter};
use crate::{STORE_LABEL, applications, documents, stages};

/// Longest notes a reviewer may leave, in characters.
pub const NOTES_MAX_CHARS: usize = 2_000;
/// Most reasons a decline gives (Regulation B's principal reasons).
pub const REASONS_MAX: usize = 4;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferIn {
    amount: Decimal,
    term_months: u32,
    annual_rate: Decimal,
    origination_fee: Decimal,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonIn {
    code: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewRequest {
    outcome: String,
    notes: Option<String>,
    offer: Option<OfferIn>,
    reasons: Option<Vec<ReasonIn>>,
}

/// `amount` with exactly `scale` decimals; `None` when it has more (nothing is rounded).
fn exact(amount: Decimal, scale: u32) -> Option<String> {
    let mut exact = amount;
    (amount.scale() <= scale).then(|| {
        exact.rescale(scale);
        exact.to_string()
    })
}

/// The offer of an approval — the one given, checked against the product, or the policy's
/// first — or every field at fault.
fn approved_offer(
    offer: Option<&OfferIn>,
    record: &crate::record::Record,
) -> Result<Value, Vec<(&'static str, String)>> {
    let Some(offer) = offer else {
        return record.decision["offers"]
            .get(0)
            .cloned()
            .ok_or_else(|| vec![("/offer", "is required: the policy made no offer".into())]);
    };
    let limits = record.application.product.limits();
    let (min, max) = (
        Decimal::new(limits.amount_min_minor, 2),
        Decimal::new(limits.amount_max_minor, 2),
    );
    let mut errors = Vec::new();
    let amount = exact(offer.amount, 2).filter(|_| (min..=max).contains(&offer.amount));
    if amount.is_none() {
        errors.push((
            "/offer/amount",
            format!("must be from {min} to {max}, in cents"),
        ));
    }
    if !(limits.term_min_months..=limits.term_max_months).contains(&offer.term_months) {
        errors.push((
            "/offer/term_months",
            format!(
                "must be from {} to {}",
                limits.term_min_months, limits.term_max_months
            ),
        ));
    }
    let rate = exact(offer.annual_rate, 4)
        .filter(|_| !offer.annual_rate.is_sign_negative() && offer.annual_rate < Decimal::ONE);
    if rate.is_none() {
        errors.push((
            "/offer/annual_rate",
            "must be a fraction from 0 to below 1, at most 4 decimals".into(),
        ));
    }
    let fee = exact(offer.origination_fee, 2).filter(|_| {
        !offer.origination_fee.is_sign_negative() && offer.origination_fee <= offer.amount
    });
    if fee.is_none() {
        errors.push((
            "/offer/origination_fee",
            "must be from 0 to the amount, in cents".into(),
        ));
    }
    match (amount, rate, fee) {
        (Some(amount), Some(rate), Some(fee)) if errors.is_empty() => Ok(json!({
            "amount": amount,
            "term_months": offer.term_months,
            "annual_rate": rate,
            "origination_fee": fee,
        })),
        _ => Err(errors),
    }
}

/// `POST /v1/applications/{id}/review`.
pub fn review(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let request: ReviewRequest = ctx.json()?;
    let store = lendkit::idempotency::open(STORE_LABEL)?;
    let id = ctx.param("id")?;
    let record =
        applications::get(&store, id)?.ok_or_else(|| Problem::not_found("no such application"))?;
    let not_awaiting = || {
        Problem::new(409, "not-awaiting-review", "Not awaiting review").with_detail(
            "the application is not referred to an underwriter (or is reviewed already)",
        )
    };
    if record.status != Status::Referred {
        return Err(not_awaiting());
    }
    let mut problem = Problem::validation(Vec::new());
    let notes = request
        .notes
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > NOTES_MAX_CHARS)
    {
        problem = problem.with_error(
            "/notes",
            format!("must be at most {NOTES_MAX_CHARS} characters"),
        );
    }
    let (status, offers, reasons) = match request.outcome.as_str() {
        "approve" => match approved_offer(request.offer.as_ref(), &record) {
            Ok(offer) => (Status::Approved, vec![offer], Vec::new()),
            Err(errors) => {
                for (pointer, message) in errors {
                    problem = problem.with_error(pointer, message);
                }
                (Status::Approved, Vec::new(), Vec::new())
            }
        },
        "decline" => {
            let reasons: Vec<Value> = match &request.reasons {
                Some(given) if !given.is_empty() => given
                    .iter()
                    .map(|r| json!({ "code": r.code.trim(), "text": r.text.trim() }))
                    .collect(),
                _ => vec![
                    json!({ "code": "underwriter-decline", "text": "An underwriter reviewed the application and declined it." }),
                ],
            };
            if reasons.len() > REASONS_MAX
                || reasons.iter().any(|r| r["code"] == "" || r["text"] == "")
            {
                problem = problem.with_error(
                    "/reasons",
                    format!("at most {REASONS_MAX}, each with a code and a text"),
                );
            }
            if request.offer.is_some() {
                problem = problem.with_error("/offer", "is only for an approval");
            }
            (Status::Declined, Vec::new(), reasons)
        }
        _ => {
            problem = problem.with_error("/outcome", "must be approve or decline");
            (Status::Referred, Vec::new(), Vec::new())
        }
    };
    if !problem.errors.is_empty() {
        return Err(problem);
    }
    let principal = ctx.principal()?;
    let reviewer = Submitter {
        role: principal.role.as_str().to_string(),
        key_id: principal.key_id.clone(),
    };
    let decision_id = origination::review_decision_id(id);
    let body = json!({
        "decision_id": decision_id,
        "application_id": id,
        "outcome": request.outcome,
        "reasons": reasons,
        "offers": offers,
        "notes": notes,
        "decided_by": reviewer,
    });
    let recorded = stages::forward(
        Method::Post,
        stages::decisioning("/reviews"),
        body.to_string().into_bytes(),
    )?;
    match *recorded.status() {
        200 | 201 => {}
        409 => return Err(not_awaiting()),
        _ => {
            return Err(Problem::unavailable(
                "the decisioning stage could not record the review",
            ));
        }
    }
    let now = Utc::now();
    let mut summary = json!({
        "decision_id": decision_id,
        "outcome": request.outcome,
        "reasons": reasons,
        "offers": offers,
        "counter_offer": null,
        "reviewed_by": reviewer,
        "automated": record.decision.get("decision_id").cloned().unwrap_or(Value::Null),
    });
    if status == Status::Approved {
        let decided_on = lendkit::vars::business_date()?;
        crate::offers::disclose_offers(&mut summary, &record.application, decided_on);
    }
    let reviewed = documents::change_record(&store, id, |record| {
        if record.status != Status::Referred {
            // Applied already by this review's first attempt, or another's.
            return match record.decision["decision_id"] == decision_id.as_str() {
                true => Ok(record.clone()),
                false => Err(not_awaiting()),
            };
        }
        record.status = status;
        record.decision = summary.clone();
        record.history.push(Event {
            at: now,
            by: reviewer.clone(),
            event: format!("review_{}", request.outcome),
        });
        Ok(record.clone())
    })?;
    lendkit::json::respond(200, &reviewed.masked_view())
}

/// `GET /v1/review-queue?after=&limit=`: referred applications, oldest first, with why.
pub fn queue(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let (after, limit) = ctx
        .query
        .page(crate::PAGE_LIMIT_DEFAULT, crate::PAGE_LIMIT_MAX)?;
    let store = lendkit::idempotency::open(STORE_LABEL)?;
    let page = applications::list(&store, Some(Status::Referred), after, limit)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "created_at": r.created_at,
                "product": r.application.product,
                "channel": r.application.channel,
                "requested_amount": r.application.requested_amount,
                "term_months": r.application.term_months,
                "decision_id": r.decision.get("decision_id").cloned().unwrap_or_else(|| json!(origination::automated_decision_id(&r.id))),
                "reasons": r.decision.get("reasons").cloned().unwrap_or(Value::Null),
                "screening_reasons": r.screening.get("reasons").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    lendkit::json::respond(
        200,
        &json!({ "applications": items, "next_after": page.next_after.map(|n| n.to_string()) }),
    )
}
