//! The `intake` component: the front door of origination. Borrower apps (at the edge),
//! a lender's servers, partners and brokers submit loan applications; each is checked
//! field by field (`origination::validate`, every failing field in one 422), stored once
//! (`lendstore`, correct on Spin's key-value semantics too) with its history, and read
//! back with personal data masked.
//!
//! Route → handler → `origination` (rules) / [`applications`] (storage) → key-value store
//! `applications`.

pub mod applications;
pub mod decision;
pub mod documents;
pub mod offers;
pub mod policy_admin;
pub mod record;
pub mod review;
pub mod screening;
pub mod stages;

use chrono::Utc;
use lendkit::{Access, Ctx, Method, Principal, Problem, Role, Route, idempotency};
use origination::Channel;
use serde_json::{Value, json};
use spin_sdk::http::Response;

use record::{Status, Submitter};

/// The component's name in logs and idempotency records.
pub const COMPONENT: &str = "intake";
/// The key-value store holding applications (declared in `spin.toml`).
pub const STORE_LABEL: &str = "applications";
/// Largest page of a listing.
pub const PAGE_LIMIT_MAX: usize = 100;
/// Page size when `limit` is not given.
pub const PAGE_LIMIT_DEFAULT: usize = 50;

/// Who may submit: borrower channels, partners and brokers.
const SUBMITTERS: &[Role] = &[Role::Applicant, Role::Partner, Role::Broker];
/// Who may read any application and list them.
const REVIEWERS: &[Role] = &[Role::Underwriter, Role::Operations];
/// Who may read decisions and credit reports, and replay decisions.
const DECISION_READERS: &[Role] = &[Role::Risk, Role::Underwriter];
/// Administrators only (admin passes every role check).
const ADMINS: &[Role] = &[];
/// Who may read one application: reviewers, and its submitter.
const READERS: &[Role] = &[
    Role::Applicant,
    Role::Partner,
    Role::Broker,
    Role::Underwriter,
    Role::Operations,
];

/// The routes of this component (checked against `api/openapi.json` by tests).
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/v1/applications",
        access: Access::Roles(SUBMITTERS),
        summary: "Submit a loan application",
        handler: submit,
    },
    Route {
        method: Method::Get,
        path: "/v1/applications",
        access: Access::Roles(REVIEWERS),
        summary: "List applications",
        handler: list,
    },
    Route {
        method: Method::Get,
        path: "/v1/applications/{id}",
        access: Access::Roles(READERS),
        summary: "Read an application",
        handler: read,
    },
    Route {
        method: Method::Get,
        path: "/v1/applications/{id}/offers/{offer}/disclosure",
        access: Access::Roles(READERS),
        summary: "An offer's truth-in-lending disclosure (JSON, or HTML with Accept: text/html)",
        handler: offers::read_disclosure,
    },
    Route {
        method: Method::Post,
        path: "/v1/applications/{id}/offers/{offer}/accept",
        access: Access::Roles(SUBMITTERS),
        summary: "Accept an offer with an e-signature of its disclosure; books the loan",
        handler: offers::accept,
    },
    Route {
        method: Method::Post,
        path: "/v1/applications/{id}/offers/{offer}/withdrawal",
        access: Access::Roles(&[Role::Underwriter]),
        summary: "Withdraw an offer",
        handler: offers::withdraw,
    },
    Route {
        method: Method::Post,
        path: "/v1/applications/{id}/documents",
        access: Access::Roles(READERS),
        summary: "Attach a document to an application",
        handler: upload_document,
    },
    Route {
        method: Method::Get,
        path: "/v1/applications/{id}/documents",
        access: Access::Roles(READERS),
        summary: "List an application's documents",
        handler: list_documents,
    },
    Route {
        method: Method::Get,
        path: "/v1/applications/{id}/documents/{document}/content",
        access: Access::Roles(REVIEWERS),
        summary: "Download a document's content",
        handler: document_content,
    },
    Route {
        method: Method::Post,
        path: "/v1/applications/{id}/documents/{document}/verification",
        access: Access::Roles(&[Role::Underwriter]),
        summary: "Verify or reject a document",
        handler: verify_document,
    },
    Route {
        method: Method::Post,
        path: "/v1/admin/sanctions",
        access: Access::Roles(ADMINS),
        summary: "Load the sanctions list (replaces the one in force)",
        handler: load_sanctions,
    },
    Route {
        method: Method::Get,
        path: "/v1/admin/sanctions",
        access: Access::Roles(ADMINS),
        summary: "The sanctions list in force",
        handler: sanctions_status,
    },
    Route {
        method: Method::Post,
        path: "/v1/partners/{partner}/applications",
        access: Access::PartnerWebhook,
        summary: "Submit a loan application as a signed partner webhook",
        handler: submit_webhook,
    },
    Route {
        method: Method::Get,
        path: "/v1/review-queue",
        access: Access::Roles(&[Role::Underwriter]),
        summary: "Referred applications awaiting an underwriter, oldest first, with the reasons",
        handler: review::queue,
    },
    Route {
        method: Method::Post,
        path: "/v1/applications/{id}/review",
        access: Access::Roles(&[Role::Underwriter]),
        summary: "Record an underwriter's outcome for a referred application",
        handler: review::review,
    },
    Route {
        method: Method::Get,
        path: "/v1/decisions",
        access: Access::Roles(DECISION_READERS),
        summary: "Credit decisions by arrival, oldest first",
        handler: stages::list_decisions,
    },
    Route {
        method: Method::Get,
        path: "/v1/decisions/{id}",
        access: Access::Roles(DECISION_READERS),
        summary: "A credit decision: the policy, its exact inputs, the outcome and offers",
        handler: stages::read_decision,
    },
    Route {
        method: Method::Post,
        path: "/v1/decisions/{id}/replay",
        access: Access::Roles(DECISION_READERS),
        summary: "Re-run a decision's inputs through the policy and compare",
        handler: stages::replay_decision,
    },
    Route {
        method: Method::Get,
        path: "/v1/applications/{id}/credit-reports",
        access: Access::Roles(DECISION_READERS),
        summary: "The credit reports an application was scored on (account numbers masked)",
        handler: stages::credit_reports,
    },
    Route {
        method: Method::Post,
        path: "/v1/admin/scorecards",
        access: Access::Roles(&[Role::Risk]),
        summary: "Load a scorecard (it applies to the product it names)",
        handler: stages::load_scorecard,
    },
    Route {
        method: Method::Get,
        path: "/v1/admin/scorecards",
        access: Access::Roles(&[Role::Risk]),
        summary: "The scorecards in force",
        handler: stages::scorecards,
    },
    Route {
        method: Method::Get,
        path: "/v1/admin/policies",
        access: Access::Roles(&[Role::Risk]),
        summary: "Policies serving, what a rollback brings back, and their history",
        handler: policy_admin::list,
    },
    Route {
        method: Method::Post,
        path: "/v1/admin/policies/candidates",
        access: Access::Roles(&[Role::Risk]),
        summary: "Upload a candidate policy (.wasm), checked and kept by digest",
        handler: policy_admin::stage,
    },
    Route {
        method: Method::Post,
        path: "/v1/admin/policies/swap",
        access: Access::Roles(&[Role::Risk]),
        summary: "Swap a candidate in (after a dry run on recorded decisions)",
        handler: policy_admin::swap,
    },
    Route {
        method: Method::Post,
        path: "/v1/admin/policies/rollback",
        access: Access::Roles(&[Role::Risk]),
        summary: "Return to the policy version served before",
        handler: policy_admin::rollback,
    },
    Route {
        method: Method::Get,
        path: "/v1/admin/policies/changes/{id}",
        access: Access::Roles(&[Role::Risk]),
        summary: "A swap or rollback: its stage, outcome or problem",
        handler: policy_admin::change,
    },
    Route {
        method: Method::Post,
        path: "/v1/admin/policies/backtests",
        access: Access::Roles(&[Role::Risk]),
        summary: "Start a backtest of a candidate on recorded decisions",
        handler: policy_admin::start_backtest,
    },
    Route {
        method: Method::Get,
        path: "/v1/admin/policies/backtests/{id}",
        access: Access::Roles(&[Role::Risk]),
        summary: "A backtest's progress and report",
        handler: policy_admin::backtest,
    },
    Route {
        method: Method::Get,
        path: "/v1/admin/policies/challenger-report",
        access: Access::Roles(&[Role::Risk]),
        summary: "Champion against shadow challenger",
        handler: policy_admin::challenger_report,
    },
];

pub(crate) fn submitter(principal: &Principal) -> Submitter {
    Submitter {
        role: principal.role.as_str().to_string(),
        key_id: principal.key_id.clone(),
    }
}

/// The channels a role may submit through.
fn channel_allowed(role: Role, channel: Channel) -> bool {
    match role {
        Role::Applicant => matches!(channel, Channel::Web | Channel::Mobile | Channel::Api),
        Role::Partner => channel == Channel::Partner,
        Role::Broker => channel == Channel::Broker,
        Role::Admin => true,
        _ => false,
    }
}

fn validation_problem(errors: Vec<origination::FieldError>) -> Problem {
    let mut problem = Problem::validation(Vec::new());
    for error in errors {
        problem = problem.with_error(error.pointer, error.message);
    }
    problem
}

fn submit(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    submit_once(ctx, ctx.idempotency_key()?)
}

/// A partner's signed webhook: its `webhook-id` (already verified with the signature) is
/// the idempotency key, so a redelivered message answers the first result.
fn submit_webhook(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx
        .header(lendkit::webhook::ID_HEADER)
        .ok_or_else(|| Problem::unauthorized("the webhook-id header is missing"))?;
    let id = idempotency::validate_key(id).map_err(|_| {
        Problem::bad_request("webhook-id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")
    })?;
    submit_once(ctx, Some(id))
}

/// Bounds what one bearer-token subject, device and client address may submit per window
/// (`applicant_rate_limit` per `applicant_rate_window_seconds`, default 10 per hour).
fn limit_token_submissions<K: lendstore::Kv>(
    ctx: &Ctx<'_>,
    store: &K,
    principal: &Principal,
    document: &Value,
    now: chrono::DateTime<Utc>,
) -> Result<(), Problem> {
    let limit = lendkit::rate::Limit::from_variables("applicant", 10, 3600)?;
    let address = ctx
        .header("spin-client-addr")
        .map(|a| a.rsplit_once(':').map_or(a, |(host, _)| host))
        .unwrap_or("");
    let device = document["device_id"].as_str().unwrap_or("");
    lendkit::rate::check(
        store,
        COMPONENT,
        &[
            ("subject", &principal.key_id),
            ("device", device),
            ("address", address),
        ],
        limit,
        u64::try_from(now.timestamp()).unwrap_or(0),
    )
}

/// Validates and stores one application, at most once per idempotency key.
fn submit_once(ctx: &Ctx<'_>, idempotency_key: Option<&str>) -> Result<Response, Problem> {
    let started = std::time::Instant::now();
    let principal = ctx.principal()?.clone();
    let store = idempotency::open(STORE_LABEL)?;
    idempotency::run(&store, ctx, idempotency_key, || {
        let document: Value = ctx.json()?;
        let now = Utc::now();
        if principal.key_id.starts_with(lendkit::token::SUBJECT_PREFIX) {
            limit_token_submissions(ctx, &store, &principal, &document, now)?;
        }
        let application = origination::validate(&document, now).map_err(validation_problem)?;
        if !channel_allowed(principal.role, application.channel) {
            return Err(Problem::validation(Vec::new()).with_error(
                "/channel",
                format!(
                    "is not a channel the {} role submits through",
                    principal.role
                ),
            ));
        }
        // Screening and decisioning write nothing of ours: run them before the
        // application's one write.
        let id = applications::new_id();
        let screening_started = std::time::Instant::now();
        let screened = screening::screen(&application, &id, now);
        let screening_took = screening_started.elapsed();
        // A confident sanctions match is declined before any credit report is pulled.
        let decided = (screened.verdict != screening::Verdict::Decline).then(|| {
            let elapsed = started.elapsed();
            decision::decide(
                &application,
                &id,
                screened.flags,
                now,
                screening_took,
                elapsed,
            )
        });
        let record = applications::create(
            &store,
            id,
            application,
            screened,
            decided,
            submitter(&principal),
            now,
        )?;
        lendkit::json::respond(201, &record.masked_view())
    })
}

fn load_sanctions(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    stages::forward(
        spin_sdk::http::Method::Post,
        screening::sanctions_url(),
        ctx.request.body().to_vec(),
    )
}

fn sanctions_status(_ctx: &Ctx<'_>) -> Result<Response, Problem> {
    stages::forward(
        spin_sdk::http::Method::Get,
        screening::sanctions_url(),
        Vec::new(),
    )
}

/// The application of the route's `{id}` as the caller may see it: any, for reviewers; only
/// its own, for a submitting channel (to which others do not exist).
pub(crate) fn visible_record<K: lendstore::Kv>(
    ctx: &Ctx<'_>,
    store: &K,
) -> Result<record::Record, Problem> {
    let principal = ctx.principal()?;
    let not_found = || Problem::not_found("no such application");
    let record = applications::get(store, ctx.param("id")?)?.ok_or_else(not_found)?;
    let reviewer = principal.role == Role::Admin || REVIEWERS.contains(&principal.role);
    if !reviewer && record.submitted_by.key_id != principal.key_id {
        return Err(not_found());
    }
    Ok(record)
}

fn read(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let record = visible_record(ctx, &store)?;
    lendkit::json::respond(200, &record.masked_view())
}

fn upload_document(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let record = visible_record(ctx, &store)?;
    let by = submitter(ctx.principal()?);
    idempotency::run(&store, ctx, ctx.idempotency_key()?, || {
        let upload = documents::parse_upload(
            ctx.header("content-type"),
            ctx.query.get("type"),
            ctx.request.body(),
        )?;
        let document = documents::attach(&store, &record.id, upload, by.clone(), Utc::now())?;
        lendkit::json::respond(201, &document)
    })
}

fn list_documents(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let record = visible_record(ctx, &store)?;
    lendkit::json::respond(200, &json!({ "documents": record.documents }))
}

fn document_content(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let record = visible_record(ctx, &store)?;
    let document_id = ctx.param("document")?;
    let document = record
        .documents
        .iter()
        .find(|d| d.id == document_id)
        .ok_or_else(|| Problem::not_found("no such document"))?;
    let bytes = documents::content(&store, &record.id, document)?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", document.content_type.as_str())
        .header("x-content-sha256", document.sha256.as_str())
        .body(bytes)
        .build())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Verification {
    status: String,
    reason: Option<String>,
}

fn verify_document(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let verification: Verification = ctx.json()?;
    let mut problem = Problem::validation(Vec::new());
    let status = match verification.status.as_str() {
        "verified" => Some(documents::Review::Verified),
        "rejected" => Some(documents::Review::Rejected),
        _ => {
            problem = problem.with_error("/status", "must be verified or rejected");
            None
        }
    };
    let reason = verification
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if status == Some(documents::Review::Rejected) && reason.is_none() {
        problem = problem.with_error("/reason", "is required to reject a document");
    }
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > documents::REASON_MAX_CHARS)
    {
        problem = problem.with_error(
            "/reason",
            format!("must be at most {} characters", documents::REASON_MAX_CHARS),
        );
    }
    let (Some(status), true) = (status, problem.errors.is_empty()) else {
        return Err(problem);
    };
    let store = idempotency::open(STORE_LABEL)?;
    let by = submitter(ctx.principal()?);
    let document_id = ctx.param("document")?;
    let now = Utc::now();
    let document = documents::change_record(&store, ctx.param("id")?, |record| {
        let document = record
            .documents
            .iter_mut()
            .find(|d| d.id == document_id)
            .ok_or_else(|| Problem::not_found("no such document"))?;
        document.status = status;
        document.reason = reason.clone();
        let document = document.clone();
        record.history.push(record::Event {
            at: now,
            by: by.clone(),
            event: format!("document_{}:{}", verification.status, document.id),
        });
        Ok(document)
    })?;
    lendkit::json::respond(200, &document)
}

fn list(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let status = match ctx.query.get("status") {
        None => None,
        Some(name) => Some(Status::from_name(name).ok_or_else(|| {
            Problem::bad_request("invalid query").with_error(
                "status",
                "must be received, screened, referred, approved or declined",
            )
        })?),
    };
    let (after, limit) = ctx.query.page(PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX)?;
    let page = applications::list(&store, status, after, limit)?;
    let views: Vec<Value> = page.items.iter().map(record::Record::masked_view).collect();
    lendkit::json::respond(
        200,
        &json!({ "applications": views, "next_after": page.next_after.map(|n| n.to_string()) }),
    )
}

// Guest only: a native cdylib cannot link the `wasi:http/...#handle` export name.
#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}
