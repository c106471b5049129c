//! The `loans` component: the read side of servicing.
//!
//! * `GET /v1/loans/{id}?as_of=` — status, product, terms, balances, the next amount due,
//!   days past due, the business date the figures are current to;
//! * `GET /v1/loans/{id}/schedule?as_of=` — every installment with what it asked, what was
//!   billed and what has been paid;
//! * `GET /v1/loans/{id}/transactions?after=&limit=` — every ledger entry of the loan with
//!   its allocation, by sequence;
//! * `GET /v1/loans/{id}/statement?from=&to=` — opening balance, each transaction, closing
//!   balance, which add up;
//! * `GET /v1/loans/{id}/payoff?as_of=` — the payoff amount, its parts, the per-diem;
//! * `GET /v1/loans/{id}/accruals` — the daily accrual's record of the loan: the day it
//!   has accrued through, the interest its book recognises for those days, and the last
//!   days' figures (adjustments on the day they were found).
//!
//! Roles `operations` and `collections` read every loan; the channel that submitted a
//! loan's application (roles `applicant`, `partner`, `broker`) reads its own loans only —
//! others do not exist for it.
#![deny(missing_docs)]

pub mod transactions;

use chrono::NaiveDate;
use lendkit::{Access, Ctx, Method, Problem, Role, Route};
use serde_json::json;
use servicing::Loan;
use spin_sdk::http::Response;

/// The component's name in logs.
pub const COMPONENT: &str = "loans";

/// Who may read loans (borrower channels only their own).
const READERS: Access = Access::Roles(&[
    Role::Operations,
    Role::Collections,
    Role::Applicant,
    Role::Partner,
    Role::Broker,
]);

/// Every route this component serves.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/v1/loans/{id}",
        access: READERS,
        summary: "A loan: status, terms, balances, next due, days past due",
        handler: read,
    },
    Route {
        method: Method::Get,
        path: "/v1/loans/{id}/schedule",
        access: READERS,
        summary: "A loan's installments and what each has been paid",
        handler: schedule,
    },
    Route {
        method: Method::Get,
        path: "/v1/loans/{id}/transactions",
        access: READERS,
        summary: "A loan's ledger entries with their allocation",
        handler: transactions::list,
    },
    Route {
        method: Method::Get,
        path: "/v1/loans/{id}/statement",
        access: READERS,
        summary: "Opening balance, transactions and closing balance over a period",
        handler: transactions::statement,
    },
    Route {
        method: Method::Get,
        path: "/v1/loans/{id}/payoff",
        access: READERS,
        summary: "What pays the loan off on a date",
        handler: payoff,
    },
    Route {
        method: Method::Get,
        path: "/v1/loans/{id}/accruals",
        access: READERS,
        summary: "A loan's daily accrual: accrued through, recognised, the last days' figures",
        handler: accruals,
    },
];

/// The loan of the route's `{id}` as the caller may see it.
pub fn visible_loan(ctx: &Ctx<'_>) -> Result<Loan, Problem> {
    let principal = ctx.principal()?;
    let not_found = || Problem::not_found("no such loan");
    let book = loanbook::read(ctx.param("id")?)?.ok_or_else(not_found)?;
    let staff = matches!(
        principal.role,
        Role::Operations | Role::Collections | Role::Admin
    );
    if !staff && book.loan.profile.owner.as_deref() != Some(principal.key_id.as_str()) {
        return Err(not_found());
    }
    Ok(book.loan)
}

/// The `name` query parameter as a date, if given.
pub fn date_param(ctx: &Ctx<'_>, name: &str) -> Result<Option<NaiveDate>, Problem> {
    ctx.query
        .get(name)
        .map(|text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                Problem::validation(Vec::new())
                    .with_error(name, "must be a date written YYYY-MM-DD")
            })
        })
        .transpose()
}

/// The `as_of` date of a view: the business date unless given; never before the loan's
/// last activity (a view cannot undo events).
fn as_of(ctx: &Ctx<'_>, loan: &Loan) -> Result<NaiveDate, Problem> {
    let date = match date_param(ctx, "as_of")? {
        Some(date) => date,
        None => loanbook::calendar::business_date()?.max(loan.position.date),
    };
    if date < loan.position.date {
        return Err(Problem::validation(Vec::new()).with_error(
            "as_of",
            format!(
                "must be on or after the loan's last activity ({})",
                loan.position.date
            ),
        ));
    }
    Ok(date)
}

fn read(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let loan = visible_loan(ctx)?;
    let date = as_of(ctx, &loan)?;
    lendkit::json::respond(200, &loanbook::views::summary(&loan, date)?)
}

fn schedule(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let loan = visible_loan(ctx)?;
    let date = as_of(ctx, &loan)?;
    lendkit::json::respond(200, &loanbook::views::schedule(&loan, date)?)
}

fn payoff(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let loan = visible_loan(ctx)?;
    let date = as_of(ctx, &loan)?;
    lendkit::json::respond(200, &loanbook::views::payoff(&loan, date)?)
}

fn accruals(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let loan = visible_loan(ctx)?;
    let kept = loanbook::accrual::kept(&loan.id)?;
    let amount = |minor| loanbook::views::amount(&loan, minor);
    let body = match kept {
        None => json!({
            "loan_id": loan.id,
            "accrued_through": null,
            "recognised": amount(0),
            "days": [],
        }),
        Some(kept) => json!({
            "loan_id": loan.id,
            "accrued_through": kept.record.through.pred_opt(),
            "recognised": amount(kept.recognised),
            "days": kept
                .figures()
                .map(|(date, interest)| json!({"date": date, "interest": amount(interest)}))
                .collect::<Vec<_>>(),
        }),
    };
    lendkit::json::respond(200, &body)
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> spin_sdk::http::Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}
