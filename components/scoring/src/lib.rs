//! The `scoring` component: a Spin private endpoint (`http://scoring.spin.internal`) that
//! decisioning calls for every application it decides. It pulls the credit bureau's reports
//! ([`bureau`]), reads their attributes, works out affordability and scores the application
//! with the product's scorecard ([`scorecards`]).
//!
//! Routes (private: nothing outside the application can reach them):
//! * `POST /score` — [`ScoreRequest`] in; the pulls, attributes, affordability and score out;
//! * `GET /reports/{application}` — the reports an application was scored on, account
//!   numbers masked (decisioning's `GET /v1/applications/{id}/credit-reports` forwards here);
//! * `POST /scorecards` — load a scorecard file; `GET /scorecards` — those in force.
//!
//! | key (store `scoring`) | value |
//! |---|---|
//! | `application/{id}/reports` | the report keys an application was scored on |

pub mod bureau;
pub mod scorecards;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use lendkit::idempotency::{self, store_problem};
use lendkit::vars::IdentifierKey;
use lendkit::{Access, Ctx, Method, Problem, Route};
use lendstore::{Change, Kv};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spin_sdk::http::Response;
use underwriting::affordability::{self, Quote};
use underwriting::bureau::{BusinessReport, ConsumerAttributes, ConsumerReport};

use bureau::{Pull, Settings};

/// The component's name in logs.
pub const COMPONENT: &str = "scoring";
/// The store it keeps reports and scorecards in.
pub const STORE_LABEL: &str = "scoring";
/// Largest scorecard file accepted, in bytes.
pub const SCORECARD_MAX_BYTES: usize = 256 << 10;
/// Compare-and-swap attempts on an application's report list.
const UPDATE_ATTEMPTS: u32 = 8;

/// The routes (`Access::Public`: the trigger is private, see the module docs).
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/score",
        access: Access::Public,
        summary: "Score an application (private)",
        handler: score,
    },
    Route {
        method: Method::Get,
        path: "/reports/{application}",
        access: Access::Public,
        summary: "The credit reports an application was scored on (private)",
        handler: reports,
    },
    Route {
        method: Method::Post,
        path: "/scorecards",
        access: Access::Public,
        summary: "Load a scorecard (private)",
        handler: load_scorecard,
    },
    Route {
        method: Method::Get,
        path: "/scorecards",
        access: Access::Public,
        summary: "The scorecards in force (private)",
        handler: list_scorecards,
    },
];

/// Who the bureau is asked about.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// SSN or ITIN, nine digits.
    pub national_id: String,
    /// ZIP code.
    pub postal_code: String,
}

/// The business the bureau is asked about, and its figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessIdentity {
    /// Legal name.
    pub legal_name: String,
    /// EIN, nine digits.
    pub ein: String,
    /// Formation date.
    pub formation_date: NaiveDate,
    /// Annual revenue, money.
    pub annual_revenue: Decimal,
    /// Annual debt service, money.
    pub annual_debt_service: Decimal,
}

/// What decisioning asks scoring.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// The application.
    pub application_id: String,
    /// `personal_installment` or `sme_term`.
    pub product: String,
    /// The day attributes are read as of.
    pub as_of: NaiveDate,
    /// Principal requested.
    pub amount: Decimal,
    /// Term requested, months.
    pub term_months: u32,
    /// The person whose consumer report is pulled (the applicant, or a business's
    /// principal owner).
    pub person: Identity,
    /// Their annual income.
    pub annual_income: Decimal,
    /// Their monthly housing cost.
    pub monthly_housing_cost: Decimal,
    /// Months with the current employer.
    pub months_employed: Option<u32>,
    /// The business, for a business product.
    pub business: Option<BusinessIdentity>,
}

fn invalid(field: &str, message: &str) -> Problem {
    Problem::validation(Vec::new()).with_error(field, message)
}

fn score(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let request: ScoreRequest = ctx.json()?;
    let product = origination::Product::from_name(&request.product)
        .ok_or_else(|| invalid("product", "is not a product"))?;
    let limits = product.limits();
    if (product == origination::Product::SmeTerm) != request.business.is_some() {
        return Err(invalid(
            "business",
            "is required for sme_term and only for it",
        ));
    }
    let store = idempotency::open(STORE_LABEL)?;
    let key = IdentifierKey::from_variable()?;
    let settings = Settings::from_variables()?;
    let now = Utc::now();
    let person = &request.person;
    let person_hash = key.hash("national_id", &person.national_id);
    let consumer: Pull<ConsumerReport> = bureau::pull(
        &store,
        &settings,
        "consumer",
        &person_hash,
        "/consumer-reports",
        &json!({
            "first_name": person.first_name, "last_name": person.last_name,
            "date_of_birth": person.date_of_birth, "national_id": person.national_id,
            "postal_code": person.postal_code, "as_of": request.as_of,
        }),
        now,
    );
    let attributes = consumer
        .report
        .as_ref()
        .filter(|s| s.report.hit)
        .map(|s| ConsumerAttributes::of(&s.report, request.as_of));
    let quote = Quote {
        amount: request.amount,
        term_months: request.term_months,
        annual_rate: Decimal::new(i64::from(limits.quote_rate_bp), 4),
    };
    let loaded = scorecards::in_force(&store, &request.product)?;
    let mut report_keys = vec![bureau::report_key("consumer", &person_hash)];
    let (affordability, business_pull, vector) = match &request.business {
        None => {
            let figures = affordability::consumer(
                request.annual_income,
                request.monthly_housing_cost,
                attributes
                    .as_ref()
                    .map(|a| a.monthly_debt_payments)
                    .unwrap_or_default(),
                quote,
            );
            let vector = consumer_vector(attributes.as_ref(), &figures, request.months_employed);
            (json!(figures), None, vector)
        }
        Some(business) => {
            let business_hash = key.hash("ein", &business.ein);
            let pulled: Pull<BusinessReport> = bureau::pull(
                &store,
                &settings,
                "business",
                &business_hash,
                "/business-reports",
                &json!({
                    "legal_name": business.legal_name, "ein": business.ein,
                    "formation_date": business.formation_date, "as_of": request.as_of,
                }),
                now,
            );
            report_keys.push(bureau::report_key("business", &business_hash));
            let figures = affordability::business(
                business.annual_revenue,
                business.annual_debt_service,
                Decimal::new(i64::from(limits.cash_flow_margin_percent), 2),
                quote,
                business.formation_date,
                request.as_of,
            );
            let report = pulled.report.as_ref().map(|s| &s.report).filter(|r| r.hit);
            let vector = business_vector(report, &figures, attributes.as_ref());
            let summary = json!({ "pull": pulled.summary(), "report": report });
            (json!(figures), Some(summary), vector)
        }
    };
    let scored = loaded
        .score(&vector)
        .map_err(|_| Problem::internal("the scorecard in force cannot score"))?;
    remember_reports(&store, &request.application_id, &report_keys)?;
    lendkit::json::respond(
        200,
        &json!({
            "bureau": { "pull": consumer.summary(), "attributes": attributes },
            "business_bureau": business_pull,
            "affordability": affordability,
            "score": {
                "scorecard": scored.scorecard,
                "points": scored.points,
                "probability_of_default": scored.probability_of_default,
                "key_factors": scored.key_factors(),
                "contributions": scored.contributions,
            },
        }),
    )
}

/// The consumer scorecard's attributes (names as `data/scorecards/consumer-v1.json`).
fn consumer_vector(
    bureau: Option<&ConsumerAttributes>,
    figures: &affordability::Consumer,
    months_employed: Option<u32>,
) -> BTreeMap<&'static str, Option<Decimal>> {
    let from = |f: fn(&ConsumerAttributes) -> Option<Decimal>| bureau.and_then(f);
    BTreeMap::from([
        ("bureau-score", from(|a| a.score.map(Decimal::from))),
        ("revolving-utilisation", from(|a| a.revolving_utilisation)),
        (
            "delinquencies-24-months",
            from(|a| Some(a.delinquencies_24_months.into())),
        ),
        (
            "inquiries-6-months",
            from(|a| Some(a.inquiries_6_months.into())),
        ),
        (
            "oldest-tradeline-months",
            from(|a| a.oldest_tradeline_months.map(Decimal::from)),
        ),
        ("open-tradelines", from(|a| Some(a.open_tradelines.into()))),
        ("debt-to-income", figures.debt_to_income),
        ("months-employed", months_employed.map(Decimal::from)),
    ])
}

/// The SME scorecard's attributes (names as `data/scorecards/sme-v1.json`).
fn business_vector(
    report: Option<&BusinessReport>,
    figures: &affordability::Business,
    owner: Option<&ConsumerAttributes>,
) -> BTreeMap<&'static str, Option<Decimal>> {
    BTreeMap::from([
        (
            "business-score",
            report.and_then(|r| r.score).map(Decimal::from),
        ),
        (
            "trade-payment-index",
            report
                .and_then(|r| r.trade_payment_index)
                .map(Decimal::from),
        ),
        (
            "months-in-business",
            Some(figures.months_in_business.into()),
        ),
        ("debt-service-coverage", figures.debt_service_coverage),
        (
            "owner-bureau-score",
            owner.and_then(|a| a.score).map(Decimal::from),
        ),
        (
            "owner-delinquencies-24-months",
            owner.map(|a| a.delinquencies_24_months.into()),
        ),
    ])
}

/// Records which report keys `application` was scored on (each once).
fn remember_reports<K: Kv>(kv: &K, application: &str, keys: &[String]) -> Result<(), Problem> {
    lendstore::update(
        kv,
        &format!("application/{application}/reports"),
        UPDATE_ATTEMPTS,
        |current| {
            let mut known: Vec<String> = current
                .and_then(|bytes| serde_json::from_slice(bytes).ok())
                .unwrap_or_default();
            let before = known.len();
            for key in keys {
                if !known.contains(key) {
                    known.push(key.clone());
                }
            }
            if known.len() == before && current.is_some() {
                return Ok(Change::Keep(()));
            }
            let bytes = serde_json::to_vec(&known)
                .map_err(|_| lendstore::StoreError::Backend("report list".into()))?;
            Ok(Change::Write(bytes, ()))
        },
    )
    .map_err(store_problem)
}

/// A stored report as a reader sees it.
#[derive(Deserialize)]
struct AnyStored {
    pulled_at: DateTime<Utc>,
    report: Value,
}

fn reports(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let application = ctx.param("application")?;
    let store = idempotency::open(STORE_LABEL)?;
    let keys: Vec<String> = match store
        .get(&format!("application/{application}/reports"))
        .map_err(store_problem)?
    {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|_| Problem::internal("a report list is unreadable"))?,
        None => {
            return Err(Problem::not_found(
                "no credit report was pulled for this application",
            ));
        }
    };
    let mut answer = Vec::new();
    for key in keys {
        let Some(bytes) = store.get(&key).map_err(store_problem)? else {
            continue;
        };
        let stored: AnyStored = serde_json::from_slice(&bytes)
            .map_err(|_| Problem::internal("a stored report is unreadable"))?;
        let kind = if key.starts_with(&bureau::report_key("business", "")) {
            "business"
        } else {
            "consumer"
        };
        let report = match kind {
            "consumer" => serde_json::from_value::<ConsumerReport>(stored.report)
                .map(|r| json!(r.masked()))
                .map_err(|_| Problem::internal("a stored report is unreadable"))?,
            _ => stored.report,
        };
        answer.push(json!({ "kind": kind, "pulled_at": stored.pulled_at, "report": report }));
    }
    lendkit::json::respond(
        200,
        &json!({ "application_id": application, "reports": answer }),
    )
}

fn load_scorecard(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let body = ctx.request.body();
    if body.len() > SCORECARD_MAX_BYTES {
        return Err(Problem::payload_too_large(SCORECARD_MAX_BYTES));
    }
    let store = idempotency::open(STORE_LABEL)?;
    let current = scorecards::load(&store, body, Utc::now())?;
    lendkit::json::respond(201, &current)
}

fn list_scorecards(_ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let mut answer = Vec::new();
    for (product, _) in scorecards::BUILT_IN {
        let loaded = scorecards::in_force(&store, product)?;
        answer.push(json!({
            "product": product,
            "scorecard": loaded.id(),
            "digest": loaded.digest,
            "description": loaded.scorecard.description,
        }));
    }
    lendkit::json::respond(200, &json!({ "scorecards": answer }))
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}
