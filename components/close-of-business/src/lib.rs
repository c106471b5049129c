//! The `close-of-business` component: the business date, and closing it one day at a time.
//!
//! * `GET /v1/servicing/business-date` (roles `operations`, `collections`, `underwriter`,
//!   `risk`) — the business date, the last day closed, and whether the date is still the
//!   starting one (no day closed yet: the `business_date` variable, else today UTC);
//! * `POST /v1/servicing/close-of-business` (role `operations`) — `{"business_date"?}`:
//!   closes that day (default: the business date) and moves the date to the next day. Naming
//!   the day makes a retry safe: the day just closed answers `200` with `"closed": false`;
//!   any other day than the business date is a `409`. A day after today (UTC) is refused
//!   unless the `business_date` variable is set (an environment replaying a calendar).
//! * Cron (`[[trigger.cron]]`): closes every day that has ended (UTC) in order, catching up
//!   days missed; an environment replaying a calendar (`business_date` set) closes days
//!   only on request.
//!
//! Closing day `D` runs the day's jobs first, in this order, and moves the date only once
//! they are done:
//!
//! 1. **Due dates and overdue charges** — every loan whose calendar date (an installment
//!    due, a grace period ending with its late fee) falls on or before `D` has its book
//!    advanced to it, the period's interest recognised by the book's own entry;
//! 2. **Accrual** — every loan accrues each day through `D`, exactly once
//!    ([`loanbook::accrual`]).
//!
//! Both are one pass per loan over the portfolio's partitions; a day too large for one
//! request answers `202` with the run's progress (`"stage": "accruing"`), and posting the
//! same close again goes on where it stands (the `accrual` component's cron and route
//! work on the same run).
//!
//! The calendar itself is [`loanbook::calendar`], read by every servicing component.
#![deny(missing_docs)]

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use lendkit::{Access, Ctx, Method, Problem, Role, Route};
use loanbook::accrual;
use loanbook::calendar::{self, Calendar, Closing};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;

/// The component's name in logs.
pub const COMPONENT: &str = "close-of-business";
/// A scheduled run's budget (inside the cron trigger's five minutes on `lendwork`).
pub const CRON_BUDGET: Duration = Duration::from_secs(240);
/// Who closes a day on schedule, as the calendar records it.
pub const SCHEDULE: &str = "schedule";

/// Every route this component serves.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/v1/servicing/business-date",
        access: Access::Roles(&[
            Role::Operations,
            Role::Collections,
            Role::Underwriter,
            Role::Risk,
        ]),
        summary: "The business date servicing works on",
        handler: business_date,
    },
    Route {
        method: Method::Post,
        path: "/v1/servicing/close-of-business",
        access: Access::Roles(&[Role::Operations]),
        summary: "Close the business date and move to the next day",
        handler: close_of_business,
    },
];

/// A close as asked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseRequest {
    #[serde(default)]
    business_date: Option<NaiveDate>,
}

fn business_date(_ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    let calendar = calendar::read(&kv, lendkit::vars::business_date()?)?;
    lendkit::json::respond(200, &view(&calendar))
}

fn close_of_business(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let request: CloseRequest = ctx.json()?;
    let by = ctx.principal()?.key_id.clone();
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    let start = lendkit::vars::business_date()?;
    let now = Utc::now();
    let replaying = lendkit::vars::text(lendkit::vars::BUSINESS_DATE).is_some();
    let day = match request.business_date {
        Some(day) => day,
        None => calendar::read(&kv, start)?.business_date,
    };
    if !replaying && day > now.date_naive() {
        return Err(Problem::conflict(format!(
            "{day} has not begun (UTC): a day is closed on or after it"
        )));
    }
    if calendar::read(&kv, start)?.business_date == day {
        let run = accrual::work(day, accrual::slice_budget()?)?;
        if !run.is_finished() {
            let calendar = calendar::read(&kv, start)?;
            let mut body = view(&calendar);
            body["closed"] = json!(false);
            body["stage"] = json!("accruing");
            body["accrual"] = accrual::view(&run);
            return lendkit::json::respond(202, &body);
        }
    }
    let (closed, calendar) = match calendar::close(&kv, Some(day), start, &by, now)? {
        Closing::Closed(calendar) => (true, calendar),
        Closing::AlreadyClosed(calendar) => (false, calendar),
    };
    let mut body = view(&calendar);
    body["closed"] = json!(closed);
    lendkit::json::respond(200, &body)
}

/// The scheduled close: every day that has ended (UTC), in order, for [`CRON_BUDGET`].
pub fn scheduled() -> Result<(), Problem> {
    if lendkit::vars::text(lendkit::vars::BUSINESS_DATE).is_some() {
        return Ok(());
    }
    let kv = lendkit::idempotency::open(calendar::STORE)?;
    let start = lendkit::vars::business_date()?;
    let began = Instant::now();
    loop {
        let now = Utc::now();
        let day = calendar::read(&kv, start)?.business_date;
        let left = CRON_BUDGET.saturating_sub(began.elapsed());
        if day >= now.date_naive() || left.is_zero() {
            return Ok(());
        }
        if !accrual::work(day, left)?.is_finished() {
            return Ok(());
        }
        calendar::close(&kv, Some(day), start, SCHEDULE, now)?;
    }
}

/// The calendar as answered.
fn view(calendar: &Calendar) -> serde_json::Value {
    json!({
        "business_date": calendar.business_date,
        "last_closed": calendar.last_closed,
        "starting": calendar.last_closed.is_none(),
    })
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> spin_sdk::http::Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}

lendcron::cron_job!(crate::scheduled);
