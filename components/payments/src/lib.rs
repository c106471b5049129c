//! The `payments` component: money received on a loan, and payments undone.
//!
//! * `POST /v1/loans/{id}/payments` (roles `operations`, `collections`; `Idempotency-Key`
//!   required): `amount`, `effective_date` (default: the business date; never later),
//!   `channel` (`ach`, `debit_card`, `cash`, `check`). Allocated by the product's
//!   waterfall; a backdated payment re-applies every later event in date order, so its
//!   entry carries the re-allocation too. The payment's id is derived from the loan and
//!   the key: the same request again answers the payment as it stands (200), the same key
//!   with another request is refused (422).
//! * `POST /v1/loans/{id}/payments/{payment}/reversal` (role `operations`): `reason`
//!   (`nsf`, `chargeback`, `error`), `effective_date`. Undoes the payment as if it never
//!   came (later payments re-applied) and charges the product's NSF fee for `nsf`.
//!
//! Each is one commit of the loan's book through [`loanbook::change`]: the loan's state
//! and the entry moving its book together, retried from a fresh read when another change
//! of the same loan committed first — concurrent payments to one loan are all applied,
//! exactly, in the order they commit.
#![deny(missing_docs)]

use chrono::NaiveDate;
use lendkit::{Access, Ctx, Method, Problem, Role, Route};
use lendmath::money::Money;
use loanbook::{Decision, Entry};
use serde::Deserialize;
use serde_json::json;
use servicing::{Channel, EventKind, Loan, Reason, ServicingError};
use spin_sdk::http::Response;

/// The component's name in logs.
pub const COMPONENT: &str = "payments";

/// Every route this component serves.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/v1/loans/{id}/payments",
        access: Access::Roles(&[Role::Operations, Role::Collections]),
        summary: "Post a payment to a loan",
        handler: post_payment,
    },
    Route {
        method: Method::Post,
        path: "/v1/loans/{id}/payments/{payment}/reversal",
        access: Access::Roles(&[Role::Operations]),
        summary: "Reverse a payment (returned, charged back or in error)",
        handler: reverse_payment,
    },
];

/// A payment as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentRequest {
    amount: String,
    #[serde(default)]
    effective_date: Option<NaiveDate>,
    channel: Channel,
}

/// A reversal as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReversalRequest {
    reason: Reason,
    #[serde(default)]
    effective_date: Option<NaiveDate>,
}

/// The id of the payment posted to `loan` with idempotency key `key`.
pub fn payment_id(loan: &str, key: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{loan}\n{key}").as_bytes());
    format!("pmt-{}", &hex::encode(digest)[..24])
}

fn refused(error: ServicingError) -> Problem {
    match error {
        ServicingError::PaidOff => Problem::conflict("the loan is paid off").with_type("paid-off"),
        ServicingError::UnknownPayment => Problem::not_found("no such payment on this loan"),
        ServicingError::Refused(text) => Problem::unprocessable(text),
        other => Problem::internal(format!("servicing: {other}")),
    }
}

/// The effective date asked, within the loan's life and not after the business date.
fn effective(
    asked: Option<NaiveDate>,
    today: NaiveDate,
    field: &str,
) -> Result<NaiveDate, Problem> {
    let date = asked.unwrap_or(today);
    if date > today {
        return Err(Problem::validation(Vec::new())
            .with_error(field, "must not be after the business date"));
    }
    Ok(date)
}

fn loan_of(loan: Option<Loan>) -> Result<Loan, Problem> {
    loan.ok_or_else(|| Problem::not_found("no such loan"))
}

/// The payment's application as it stands (after any later re-application).
fn standing(loan: &Loan, id: &str) -> Result<servicing::Applied, Problem> {
    let (_, history) = loan.replay(true).map_err(refused)?;
    Ok(history
        .and_then(|h| h.payments.into_iter().find(|(paid, _, _)| paid == id))
        .map(|(_, _, applied)| applied)
        .unwrap_or_default())
}

fn post_payment(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let loan_id = ctx.param("id")?;
    let key = ctx
        .idempotency_key()?
        .ok_or_else(|| Problem::bad_request("an Idempotency-Key header is required"))?;
    let request: PaymentRequest = ctx.json()?;
    let today = loanbook::calendar::business_date()?;
    let date = effective(request.effective_date, today, "/effective_date")?;
    let id = payment_id(loan_id, key);
    let changed = loanbook::change(loan_id, |loan| {
        let mut loan = loan_of(loan)?;
        let amount = Money::parse(&request.amount, loan.terms.currency)
            .ok()
            .filter(|m| m.is_positive())
            .ok_or_else(|| {
                Problem::validation(Vec::new()).with_error(
                    "/amount",
                    "must be a positive decimal amount in the loan's currency",
                )
            })?
            .to_minor();
        if let Some(event) = loan.payment(&id) {
            let same = matches!(&event.kind, EventKind::Payment { amount: a, channel: c, .. }
                if *a == amount && *c == request.channel)
                && event.date == date;
            if !same {
                return Err(Problem::unprocessable(
                    "this Idempotency-Key was used for another payment to this loan",
                )
                .with_type("idempotency-key-reused"));
            }
            let applied = standing(&loan, &id)?;
            return Ok(Decision::Keep((applied, false)));
        }
        let recorded = loan
            .pay(&id, amount, date, request.channel)
            .map_err(refused)?;
        let description = format!(
            "payment by {}{}",
            channel_name(request.channel),
            if recorded.replayed {
                " (backdated: later activity re-applied)"
            } else {
                ""
            }
        );
        Ok(Decision::Write(
            Box::new(loan),
            Entry {
                id: id.clone(),
                date,
                description,
            },
            (recorded.applied, recorded.replayed),
        ))
    })?;
    let (applied, backdated) = changed.value;
    let loan = &changed.loan;
    let position = loanbook::views::position(loan, today)?;
    let body = json!({
        "payment_id": id,
        "loan_id": loan.id,
        "amount": request.amount,
        "effective_date": date,
        "channel": request.channel,
        "backdated": backdated,
        "allocation": loanbook::views::applied(loan, &applied),
        "balances": loanbook::views::balances(loan, &position)?,
        "status": loanbook::views::status(&position),
        "days_past_due": position.days_past_due(),
    });
    answer(changed.written, &body)
}

/// 201 for a change written now, 200 (`idempotent-replayed`) for one found made before.
fn answer(written: bool, body: &serde_json::Value) -> Result<Response, Problem> {
    let mut response = lendkit::json::respond(if written { 201 } else { 200 }, body)?;
    if !written {
        response.set_header("idempotent-replayed", "true");
    }
    Ok(response)
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Ach => "ACH",
        Channel::DebitCard => "debit card",
        Channel::Cash => "cash",
        Channel::Check => "check",
    }
}

fn reverse_payment(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let loan_id = ctx.param("id")?;
    let payment = ctx.param("payment")?.to_string();
    let request: ReversalRequest = ctx.json()?;
    let today = loanbook::calendar::business_date()?;
    let date = effective(request.effective_date, today, "/effective_date")?;
    let changed = loanbook::change(loan_id, |loan| {
        let mut loan = loan_of(loan)?;
        if loan.is_reversed(&payment) {
            return Ok(Decision::Keep(()));
        }
        loan.reverse(&payment, request.reason, date)
            .map_err(refused)?;
        Ok(Decision::Write(
            Box::new(loan),
            Entry {
                id: format!("rev-{payment}"),
                date,
                description: format!("payment reversed ({})", reason_name(request.reason)),
            },
            (),
        ))
    })?;
    let loan = &changed.loan;
    let position = loanbook::views::position(loan, today)?;
    let body = json!({
        "payment_id": payment,
        "loan_id": loan.id,
        "reversed": true,
        "reason": request.reason,
        "effective_date": date,
        "fee_charged": loanbook::views::amount(
            loan,
            if request.reason == Reason::Nsf { loan.terms.rules.nsf_fee } else { 0 },
        ),
        "balances": loanbook::views::balances(loan, &position)?,
        "status": loanbook::views::status(&position),
        "days_past_due": position.days_past_due(),
    });
    answer(changed.written, &body)
}

fn reason_name(reason: Reason) -> &'static str {
    match reason {
        Reason::Nsf => "returned: insufficient funds",
        Reason::Chargeback => "charged back",
        Reason::Error => "entered in error",
    }
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(request: spin_sdk::http::Request) -> spin_sdk::http::Response {
    lendkit::serve(COMPONENT, ROUTES, &request)
}
