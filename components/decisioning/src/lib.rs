//! The `decisioning` component: a Spin private endpoint (`http://decisioning.spin.internal`)
//! that intake calls for every application screening did not decline. It asks the private
//! `scoring` component for the bureau's attributes, the score and affordability, builds the
//! decision facts ([`facts`]), asks the credit policy — a `lending:policy` component
//! composed in through `spin.toml` dependencies, one for consumer products and one for
//! business products — and stores every decision with its exact inputs ([`record`]).
//!
//! Routes (private: intake's public routes forward here):
//! * `POST /decide` — `{"application_id", "application", "screening", "as_of"}`: the
//!   decision (`decision_id`, `outcome`, `reasons`, `offers`, `counter_offer`, `policy`);
//! * `POST /reviews` — an underwriter's decision for a referred application, recorded once
//!   per application (a second, different one is a 409);
//! * `GET /decisions?after=&limit=` — decisions by arrival, summarised (oldest first);
//! * `GET /decisions/{id}` — a stored decision, inputs and all;
//! * `POST /decisions/{id}/replay` — the stored facts through the policy in force: whether
//!   its answer is identical, and whether that policy is the one that decided;
//! * `GET /policies` — the composed policies' names, versions and digests;
//! * `POST /backtests`, `POST /shadow`, `GET /challenger-report` — the champion against a
//!   candidate or a shadow challenger ([`compare`]).

pub mod compare;
pub mod facts;
pub mod record;

/// Bindings of `wit/policy.wit`'s `decisioning` world (the two policy imports).
#[allow(missing_docs)]
pub mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "lending:policy/decisioning",
        path: "../../wit/policy.wit",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
        with: { "lending:policy/types@0.1.0": policykit::wit },
    });
}

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use lendkit::idempotency;
use lendkit::{Access, Ctx, Method, Problem, Route};
use origination::Application;
use policykit::outcome_name;
use policykit::wit::{Outcome, PolicyInfo};
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::Response;

use facts::{Facts, Scored, Screened};
use record::{Decision, Kind, PolicyRef, Timings};

/// The component's name in logs.
pub const COMPONENT: &str = "decisioning";
/// The store decisions are kept in.
pub const STORE_LABEL: &str = "decisions";
/// Where scoring is when `scoring_url` is not set.
pub const DEFAULT_SCORING_URL: &str = "http://scoring.spin.internal";
/// How long decisioning waits for scoring (which bounds each bureau call by
/// `bureau_timeout_ms`, 2.5 s by default, and pulls at most two reports).
pub const SCORING_TIMEOUT_MS: u64 = 6_000;

/// The variable holding the consumer policy's wasm SHA-256 (the lendwork host sets it to
/// the digest of the bytes it composed in, and again on every hot swap; on Spin, set it).
pub const CONSUMER_DIGEST_VARIABLE: &str = "consumer_policy_sha256";
/// The variable holding the business policy's wasm SHA-256.
pub const BUSINESS_DIGEST_VARIABLE: &str = "business_policy_sha256";

/// The routes (`Access::Public`: the trigger is private, see the module docs).
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/decide",
        access: Access::Public,
        summary: "Decide an application (private)",
        handler: decide,
    },
    Route {
        method: Method::Post,
        path: "/reviews",
        access: Access::Public,
        summary: "Record an underwriter's decision (private)",
        handler: record_review,
    },
    Route {
        method: Method::Get,
        path: "/decisions",
        access: Access::Public,
        summary: "Decisions by arrival (private)",
        handler: list,
    },
    Route {
        method: Method::Get,
        path: "/decisions/{id}",
        access: Access::Public,
        summary: "A stored decision (private)",
        handler: read,
    },
    Route {
        method: Method::Post,
        path: "/decisions/{id}/replay",
        access: Access::Public,
        summary: "Replay a decision through the policy in force (private)",
        handler: replay,
    },
    Route {
        method: Method::Get,
        path: "/policies",
        access: Access::Public,
        summary: "The policies composed in (private)",
        handler: policies,
    },
    Route {
        method: Method::Post,
        path: "/backtests",
        access: Access::Public,
        summary: "Re-decide a page of recorded decisions with this policy (private)",
        handler: compare::backtest_page,
    },
    Route {
        method: Method::Post,
        path: "/shadow",
        access: Access::Public,
        summary: "This policy's answer to a champion's facts (private)",
        handler: compare::shadow,
    },
    Route {
        method: Method::Get,
        path: "/challenger-report",
        access: Access::Public,
        summary: "Champion against shadow challenger (private)",
        handler: compare::challenger_report,
    },
];

/// What intake asks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideRequest {
    application_id: String,
    application: Application,
    screening: Screened,
    as_of: NaiveDate,
    /// How long screening took, as intake measured it.
    #[serde(default)]
    screening_ms: u64,
}

fn policy_of(facts: &Facts) -> (PolicyInfo, &'static str) {
    match facts {
        Facts::Consumer(_) => (
            bindings::lending::policy::consumer::about(),
            CONSUMER_DIGEST_VARIABLE,
        ),
        Facts::Business(_) => (
            bindings::lending::policy::business::about(),
            BUSINESS_DIGEST_VARIABLE,
        ),
    }
}

/// `GET /policies`: the policies composed in, by interface, as decisions record them.
fn policies(_ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let info = |about: PolicyInfo, digest_variable: &str| {
        json!({
            "name": about.name,
            "version": about.version,
            "wasm_sha256": lendkit::vars::text(digest_variable),
        })
    };
    lendkit::json::respond(
        200,
        &json!({
            "consumer": info(bindings::lending::policy::consumer::about(), CONSUMER_DIGEST_VARIABLE),
            "business": info(bindings::lending::policy::business::about(), BUSINESS_DIGEST_VARIABLE),
        }),
    )
}

/// The policy's answer for `facts`, and how long it took.
pub(crate) fn evaluate(facts: &Facts) -> (policykit::wit::Decision, Duration) {
    let started = Instant::now();
    let decision = match facts {
        Facts::Consumer(f) => bindings::lending::policy::consumer::decide(f),
        Facts::Business(f) => bindings::lending::policy::business::decide(f),
    };
    (decision, started.elapsed())
}

pub(crate) fn policy_ref(facts: &Facts) -> PolicyRef {
    let (info, digest_variable) = policy_of(facts);
    PolicyRef {
        name: info.name,
        version: info.version,
        wasm_sha256: lendkit::vars::text(digest_variable).unwrap_or_else(|| "unrecorded".into()),
    }
}

/// The answer intake receives.
fn answer(decision: &Decision) -> Value {
    json!({
        "decision_id": decision.id,
        "outcome": decision.outcome,
        "reasons": decision.reasons,
        "offers": decision.offers,
        "counter_offer": decision.counter_offer,
        "policy": decision.policy,
        "pending": decision.pending,
    })
}

/// A decision made without the policy (a stage it needs did not answer).
fn referred(id: &str, application: &str, code: &str, text: &str, scoring: Value) -> Decision {
    Decision {
        id: id.into(),
        application_id: application.into(),
        kind: Kind::Automated,
        pending: false,
        policy: None,
        facts: None,
        facts_sha256: None,
        scoring,
        outcome: Some(outcome_name(Outcome::Refer).into()),
        reasons: vec![policykit::wit::Reason {
            code: code.into(),
            text: text.into(),
        }],
        offers: Vec::new(),
        counter_offer: None,
        timings: Timings::default(),
        decided_at: Utc::now(),
        decided_by: None,
        notes: None,
    }
}

/// Scoring's answer for the application, or why there is none.
fn score(request: &DecideRequest) -> Result<Scored, &'static str> {
    let application = &request.application;
    // The applicant for a consumer product (which has no owners), the largest owner else.
    let (person, _) = facts::principal_owner(application);
    let body = json!({
        "application_id": request.application_id,
        "product": application.product.limits().name,
        "as_of": request.as_of,
        "amount": application.requested_amount,
        "term_months": application.term_months,
        "person": {
            "first_name": person.first_name, "last_name": person.last_name,
            "date_of_birth": person.date_of_birth, "national_id": person.national_id,
            "postal_code": person.address.postal_code,
        },
        "annual_income": person.annual_income.clone().unwrap_or_else(|| "0".into()),
        "monthly_housing_cost": person.monthly_housing_cost.clone().unwrap_or_else(|| "0".into()),
        "months_employed": person.months_employed,
        "business": application.business.as_ref().map(|b| json!({
            "legal_name": b.legal_name, "ein": b.ein, "formation_date": b.formation_date,
            "annual_revenue": b.annual_revenue, "annual_debt_service": b.annual_debt_service,
        })),
    });
    let url = lendkit::vars::text("scoring_url").unwrap_or_else(|| DEFAULT_SCORING_URL.into());
    let answer = lendkit::outbound::post_json(
        &format!("{}/score", url.trim_end_matches('/')),
        body.to_string().as_bytes(),
        Duration::from_millis(SCORING_TIMEOUT_MS),
    )
    .map_err(|_| "credit scoring unavailable")?;
    if answer.status != 200 {
        return Err("credit scoring unavailable");
    }
    serde_json::from_slice(&answer.body).map_err(|_| "credit scoring answered unreadably")
}

fn decide(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let request: DecideRequest = ctx.json()?;
    let store = idempotency::open(STORE_LABEL)?;
    let id = origination::automated_decision_id(&request.application_id);
    if let Some(existing) = record::get(&store, &id)? {
        return lendkit::json::respond(200, &answer(&existing));
    }
    let started = Instant::now();
    let scored = match score(&request) {
        Ok(scored) => scored,
        Err(why) => {
            let decision = referred(
                &id,
                &request.application_id,
                "scoring-unavailable",
                why,
                Value::Null,
            );
            let stored = record::create(&store, &decision)?.unwrap_or(decision);
            return lendkit::json::respond(200, &answer(&stored));
        }
    };
    let scoring_ms = started.elapsed().as_millis() as u64;
    let summary = json!({
        "bureau": scored.bureau.pull,
        "business_bureau": scored.business_bureau.as_ref().map(|b| &b.pull),
        "scorecard": scored.score.scorecard,
        "points": scored.score.points,
        "probability_of_default": scored.score.probability_of_default,
    });
    if scored.bureau_unavailable() {
        let decision = referred(
            &id,
            &request.application_id,
            "bureau-unavailable",
            "The credit bureau did not answer; an underwriter will decide.",
            summary,
        );
        let stored = record::create(&store, &decision)?.unwrap_or(decision);
        return lendkit::json::respond(200, &answer(&stored));
    }
    let facts = facts::build(
        &request.application,
        &request.screening,
        &scored,
        request.as_of,
    )
    .map_err(|_| Problem::internal("scoring's affordability figures are unreadable"))?;
    let policy = policy_ref(&facts);
    let pending = Decision {
        id: id.clone(),
        application_id: request.application_id.clone(),
        kind: Kind::Automated,
        pending: true,
        policy: Some(policy),
        facts_sha256: Some(record::digest(&facts)),
        facts: Some(facts.clone()),
        scoring: summary,
        outcome: None,
        reasons: Vec::new(),
        offers: Vec::new(),
        counter_offer: None,
        timings: Timings {
            screening_ms: request.screening_ms,
            scoring_ms,
            policy_us: 0,
        },
        decided_at: Utc::now(),
        decided_by: None,
        notes: None,
    };
    if let Some(existing) = record::create(&store, &pending)?
        && !existing.pending
    {
        return lendkit::json::respond(200, &answer(&existing));
    }
    let (made, took) = evaluate(&facts);
    let decision = record::complete(&store, &id, |d| {
        d.outcome = Some(outcome_name(made.outcome).into());
        d.reasons = made.reasons.clone();
        d.offers = made.offers.clone();
        d.counter_offer = made.counter_offer.clone();
        d.timings.policy_us = took.as_micros() as u64;
        d.decided_at = Utc::now();
    })?;
    compare::shadow_decision(&decision);
    lendkit::json::respond(201, &answer(&decision))
}

/// What intake records for a review.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewRequest {
    decision_id: String,
    application_id: String,
    outcome: String,
    reasons: Vec<policykit::wit::Reason>,
    offers: Vec<policykit::wit::Offer>,
    notes: Option<String>,
    decided_by: Value,
}

fn record_review(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let review: ReviewRequest = ctx.json()?;
    if !matches!(review.outcome.as_str(), "approve" | "decline") {
        return Err(
            Problem::validation(Vec::new()).with_error("outcome", "must be approve or decline")
        );
    }
    let store = idempotency::open(STORE_LABEL)?;
    let decision = Decision {
        id: review.decision_id,
        application_id: review.application_id,
        kind: Kind::Review,
        pending: false,
        policy: None,
        facts: None,
        facts_sha256: None,
        scoring: Value::Null,
        outcome: Some(review.outcome),
        reasons: review.reasons,
        offers: review.offers,
        counter_offer: None,
        timings: Timings::default(),
        decided_at: Utc::now(),
        decided_by: Some(review.decided_by),
        notes: review.notes,
    };
    match record::create(&store, &decision)? {
        None => lendkit::json::respond(201, &answer(&decision)),
        // The same review again (a retry): answered as recorded.
        Some(existing)
            if (
                &existing.decided_by,
                &existing.outcome,
                &existing.reasons,
                &existing.offers,
                &existing.notes,
            ) == (
                &decision.decided_by,
                &decision.outcome,
                &decision.reasons,
                &decision.offers,
                &decision.notes,
            ) =>
        {
            lendkit::json::respond(200, &answer(&existing))
        }
        Some(_) => Err(Problem::new(409, "already-reviewed", "Already reviewed")
            .with_detail("another review of this application is recorded")),
    }
}

/// Largest page of a listing, and the page size when `limit` is not given.
pub const PAGE_LIMIT_MAX: usize = 100;

fn list(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let after = ctx.query.parse_as::<u64>("after")?.unwrap_or(0);
    let limit = ctx
        .query
        .parse_as::<usize>("limit")?
        .unwrap_or(PAGE_LIMIT_MAX);
    if !(1..=PAGE_LIMIT_MAX).contains(&limit) {
        return Err(Problem::bad_request("invalid query")
            .with_error("limit", format!("must be from 1 to {PAGE_LIMIT_MAX}")));
    }
    let store = idempotency::open(STORE_LABEL)?;
    let mut seen = std::collections::BTreeSet::new();
    let page = record::page(&store, after, limit, |decision| {
        // Racing creators may both have logged one decision: list it once.
        seen.insert(decision.id.clone()).then(|| {
            json!({
                "id": decision.id,
                "application_id": decision.application_id,
                "kind": decision.kind,
                "pending": decision.pending,
                "outcome": decision.outcome,
                "policy": decision.policy,
                "decided_at": decision.decided_at,
            })
        })
    })?;
    lendkit::json::respond(
        200,
        &json!({ "decisions": page.items, "next_after": page.next_after.map(|n| n.to_string()) }),
    )
}

fn read(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let id = ctx.param("id")?;
    let decision =
        record::get(&store, id)?.ok_or_else(|| Problem::not_found("no such decision"))?;
    let mut body = serde_json::to_value(&decision)
        .map_err(|_| Problem::internal("a stored decision is unreadable"))?;
    // A shadow challenger's answer, beside the decision it never changed.
    body["shadow"] = compare::shadow_of(&store, id)?
        .map(|pair| json!(pair.challenger))
        .unwrap_or(Value::Null);
    lendkit::json::respond(200, &body)
}

fn replay(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let decision = record::get(&store, ctx.param("id")?)?
        .ok_or_else(|| Problem::not_found("no such decision"))?;
    let (Some(facts), Some(recorded)) = (&decision.facts, &decision.policy) else {
        return Err(
            Problem::new(409, "not-replayable", "Decision not replayable")
                .with_detail("only a decision made by a policy can be replayed"),
        );
    };
    let (made, took) = evaluate(facts);
    let in_force = policy_ref(facts);
    let digest = record::digest(facts);
    let identical = Some(outcome_name(made.outcome)) == decision.outcome.as_deref()
        && made.reasons == decision.reasons
        && made.offers == decision.offers
        && made.counter_offer == decision.counter_offer;
    lendkit::json::respond(
        200,
        &json!({
            "decision_id": decision.id,
            "identical": identical,
            "same_policy": &in_force == recorded,
            "facts_unchanged": decision.facts_sha256.as_deref() == Some(digest.as_str()),
            "facts_sha256": digest,
            "recorded": { "policy": recorded, "outcome": decision.outcome, "reasons": decision.reasons, "offers": decision.offers },
            "replayed": { "policy": in_force, "outcome": outcome_name(made.outcome), "reasons": made.reasons, "offers": made.offers, "policy_us": took.as_micros() as u64 },
        }),
    )
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}
