//! The champion against a challenger, inside decisioning.
//!
//! * **Backtests**: `POST /backtests` re-decides a page of recorded automated decisions with
//!   the policy composed into *this* instance and answers both answers side by side
//!   ([`backtest::Pair`]). The host composes a candidate policy into decisioning beside the
//!   serving version and pages through the log with it (dry runs before a swap, and
//!   `lendwork policy backtest`); nothing is written.
//! * **Shadow challengers**: a second decisioning component composed with the challenger
//!   policy (`decisioning-challenger` in `spin.toml`) answers `POST /shadow` for the facts
//!   the champion decided. The champion asks it for a share of applications
//!   (`challenger_share`, percent, chosen by a hash of the application id, so the same
//!   application is always in or out) and stores its answer beside the decision, under
//!   `shadow/{decision id}` and the [`SHADOW_LOG`]. It is never acted on, and a challenger
//!   that fails or is slow costs the champion at most [`CHALLENGER_TIMEOUT_MS`] and nothing
//!   else. `GET /challenger-report` compares the two.

use std::time::Duration;

use backtest::{Answer, Comparison, Pair};
use chrono::NaiveDate;
use lendkit::idempotency::{self, store_problem};
use lendkit::log::{Level, Line};
use lendkit::{Ctx, Problem};
use lendstore::log::Log;
use lendstore::{Created, Kv};
use policykit::outcome_name;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use spin_sdk::http::Response;

use crate::facts::Facts;
use crate::record::{self, DECISION_LOG, Decision, Kind};
use crate::{COMPONENT, STORE_LABEL, evaluate, policy_ref};

/// Every shadow answer by arrival.
pub const SHADOW_LOG: Log = Log {
    prefix: "shadow",
    scan_max: 500,
};
/// The variable naming the challenger's base URL (unset: no challenger).
pub const CHALLENGER_URL_VARIABLE: &str = "challenger_url";
/// The variable holding the challenger's share of applications, in percent (default 0).
pub const CHALLENGER_SHARE_VARIABLE: &str = "challenger_share";
/// Longest the champion waits for its challenger.
pub const CHALLENGER_TIMEOUT_MS: u64 = 2_000;
/// Most decisions one backtest page re-decides.
pub const BACKTEST_PAGE_MAX: usize = 200;
/// Most shadow answers one report request reads (continue with `after`).
pub const REPORT_PAIRS_MAX: usize = 5_000;

/// Which policy's decisions a backtest re-decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FactsKind {
    Consumer,
    Business,
}

/// A backtest page's request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BacktestRequest {
    /// Only decisions of this kind (both when absent).
    kind: Option<FactsKind>,
    /// Only decisions made on or after this day (UTC).
    from: Option<NaiveDate>,
    /// Only decisions made on or before this day (UTC).
    to: Option<NaiveDate>,
    /// Continue after this log position.
    #[serde(default)]
    after: u64,
    /// Start this many positions before the end of the log instead (a recent sample).
    latest: Option<u64>,
    /// Most decisions to re-decide.
    limit: Option<usize>,
}

/// Whether `decided` lies inside `[from, to]`.
fn within(decided: NaiveDate, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
    from.is_none_or(|f| decided >= f) && to.is_none_or(|t| decided <= t)
}

fn kind_of(facts: &Facts) -> FactsKind {
    match facts {
        Facts::Consumer(_) => FactsKind::Consumer,
        Facts::Business(_) => FactsKind::Business,
    }
}

/// A stored decision's answer, in the comparison's terms.
fn recorded(decision: &Decision) -> Option<Answer> {
    Some(Answer {
        policy: decision.policy.as_ref().map(|p| backtest::PolicyRef {
            name: p.name.clone(),
            version: p.version.clone(),
            wasm_sha256: p.wasm_sha256.clone(),
        }),
        outcome: decision.outcome.clone()?,
        reasons: convert(&decision.reasons)?,
        offers: convert(&decision.offers)?,
        counter_offer: convert(&decision.counter_offer)?,
    })
}

/// The policy composed here, on `facts`.
fn decide_now(facts: &Facts) -> Option<Answer> {
    let (made, _) = evaluate(facts);
    let policy = policy_ref(facts);
    Some(Answer {
        policy: Some(backtest::PolicyRef {
            name: policy.name,
            version: policy.version,
            wasm_sha256: policy.wasm_sha256,
        }),
        outcome: outcome_name(made.outcome).into(),
        reasons: convert(&made.reasons)?,
        offers: convert(&made.offers)?,
        counter_offer: convert(&made.counter_offer)?,
    })
}

/// The contract's records in the comparison's types (the same fields, by serde).
fn convert<A: Serialize, B: for<'de> Deserialize<'de>>(value: &A) -> Option<B> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
}

/// `POST /backtests`: a page of recorded decisions, re-decided.
pub fn backtest_page(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let request: BacktestRequest = ctx.json()?;
    let limit = request.limit.unwrap_or(BACKTEST_PAGE_MAX);
    if !(1..=BACKTEST_PAGE_MAX).contains(&limit) {
        return Err(Problem::validation(Vec::new())
            .with_error("limit", format!("must be from 1 to {BACKTEST_PAGE_MAX}")));
    }
    let store = idempotency::open(STORE_LABEL)?;
    let length = DECISION_LOG.len(&store).map_err(store_problem)?;
    let after = match request.latest {
        Some(latest) => length.saturating_sub(latest),
        None => request.after,
    };
    let page = record::page(&store, after, limit, |decision| {
        let keep = decision.kind == Kind::Automated
            && !decision.pending
            && decision.policy.is_some()
            && decision.facts.as_ref().is_some_and(|f| {
                request.kind.is_none_or(|k| k == kind_of(f))
                    && within(decision.decided_at.date_naive(), request.from, request.to)
            });
        keep.then_some(decision)
    })?;
    let mut pairs = Vec::with_capacity(page.items.len());
    for decision in &page.items {
        let Some(facts) = &decision.facts else {
            continue;
        };
        let (Some(champion), Some(challenger)) = (recorded(decision), decide_now(facts)) else {
            return Err(Problem::internal("a decision could not be compared"));
        };
        pairs.push(Pair {
            decision_id: decision.id.clone(),
            application_id: decision.application_id.clone(),
            decided_at: decision.decided_at.to_rfc3339(),
            champion,
            challenger,
        });
    }
    lendkit::json::respond(
        200,
        &json!({
            "pairs": pairs,
            "next_after": page.next_after,
            "log_length": length,
        }),
    )
}

/// `POST /shadow`: this instance's policy on the champion's facts.
pub fn shadow(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let facts: Facts = ctx.json()?;
    let answer =
        decide_now(&facts).ok_or_else(|| Problem::internal("the policy's answer is unreadable"))?;
    lendkit::json::respond(200, &answer)
}

/// Whether the application is in the challenger's share, and where the challenger is.
fn challenger_for(application_id: &str) -> Option<String> {
    let url = lendkit::vars::text(CHALLENGER_URL_VARIABLE)?;
    let share = lendkit::vars::number(CHALLENGER_SHARE_VARIABLE, 0, 0..=100).ok()?;
    let digest = Sha256::digest(application_id.as_bytes());
    let bucket = u64::from(u16::from_be_bytes([digest[0], digest[1]])) % 100;
    (bucket < share).then_some(url)
}

/// Asks the challenger about `decision` (just completed by the champion) when the
/// application is in its share, and stores its answer beside the decision. Never fails the
/// champion: a challenger that is down, slow or unreadable is logged and skipped.
pub fn shadow_decision(decision: &Decision) {
    let (Some(url), Some(facts)) = (
        challenger_for(&decision.application_id),
        decision.facts.as_ref(),
    ) else {
        return;
    };
    let asked = serde_json::to_vec(facts).ok().and_then(|body| {
        lendkit::outbound::post_json(
            &format!("{}/shadow", url.trim_end_matches('/')),
            &body,
            Duration::from_millis(CHALLENGER_TIMEOUT_MS),
        )
        .ok()
    });
    let challenger = asked
        .filter(|answer| answer.status == 200)
        .and_then(|answer| serde_json::from_slice::<Answer>(&answer.body).ok());
    let (Some(challenger), Some(champion)) = (challenger, recorded(decision)) else {
        Line::new(
            Level::Warn,
            COMPONENT,
            "challenger unavailable; decision not shadowed",
        )
        .emit();
        return;
    };
    let pair = Pair {
        decision_id: decision.id.clone(),
        application_id: decision.application_id.clone(),
        decided_at: decision.decided_at.to_rfc3339(),
        champion,
        challenger,
    };
    if let Err(e) = store_shadow(&pair) {
        Line::new(Level::Warn, COMPONENT, "shadow answer not stored")
            .field("status", u64::from(e.status))
            .emit();
    }
}

fn store_shadow(pair: &Pair) -> Result<(), Problem> {
    let store = idempotency::open(STORE_LABEL)?;
    let bytes = serde_json::to_vec(pair).map_err(|_| Problem::internal("shadow"))?;
    SHADOW_LOG
        .append(&store, &pair.decision_id)
        .map_err(store_problem)?;
    match lendstore::create(&store, &shadow_key(&pair.decision_id), &bytes)
        .map_err(store_problem)?
    {
        Created::Created | Created::Exists(_) => Ok(()),
    }
}

fn shadow_key(decision_id: &str) -> String {
    format!("shadow/{decision_id}")
}

/// The shadow answer recorded beside decision `id`, if any.
pub fn shadow_of<K: Kv>(kv: &K, id: &str) -> Result<Option<Pair>, Problem> {
    match kv.get(&shadow_key(id)).map_err(store_problem)? {
        Some(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        None => Ok(None),
    }
}

/// `GET /challenger-report?from=&to=&after=`: champion against challenger over the shadow
/// answers recorded (at most [`REPORT_PAIRS_MAX`] per request; `next_after` continues).
pub fn challenger_report(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let from = ctx.query.parse_as::<NaiveDate>("from")?;
    let to = ctx.query.parse_as::<NaiveDate>("to")?;
    let mut after = ctx.query.parse_as::<u64>("after")?.unwrap_or(0);
    let store = idempotency::open(STORE_LABEL)?;
    let mut comparison = Comparison::default();
    let mut seen = std::collections::BTreeSet::new();
    let mut read = 0;
    let next_after = loop {
        let page = SHADOW_LOG
            .page(&store, after, BACKTEST_PAGE_MAX, shadow_key, |bytes| {
                Ok::<_, lendstore::StoreError>(serde_json::from_slice::<Pair>(bytes).ok())
            })
            .map_err(store_problem)?;
        for pair in page.items {
            read += 1;
            let decided = chrono::DateTime::parse_from_rfc3339(&pair.decided_at)
                .map(|d| d.date_naive())
                .ok();
            // Racing writers may both have logged one answer: count it once.
            if decided.is_some_and(|d| within(d, from, to)) && seen.insert(pair.decision_id.clone())
            {
                comparison.add(&pair);
            }
        }
        match page.next_after {
            Some(next) if read < REPORT_PAIRS_MAX => after = next,
            other => break other,
        }
    };
    lendkit::json::respond(
        200,
        &json!({ "report": comparison.report(), "next_after": next_after.map(|n| n.to_string()) }),
    )
}
