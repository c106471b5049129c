//! How a loan is shown: its summary, its schedule with what each installment has been
//! paid, and its payoff, as of a business date. Amounts are decimal strings in the loan's
//! currency.

use chrono::NaiveDate;
use lendkit::Problem;
use serde_json::{Value, json};
use servicing::position::Applied;
use servicing::{Item, Kind, Loan, Position};

fn servicing_problem(error: servicing::ServicingError) -> Problem {
    Problem::internal(format!("servicing: {error}"))
}

/// `minor` units of the loan's currency as text.
pub fn amount(loan: &Loan, minor: i64) -> String {
    loan.terms.money(minor).to_decimal_string()
}

/// The loan's position on `as_of` (never before its last event).
pub fn position(loan: &Loan, as_of: NaiveDate) -> Result<Position, Problem> {
    loan.as_of(as_of).map_err(servicing_problem)
}

/// `active` or `paid_off`.
pub fn status(position: &Position) -> &'static str {
    if position.is_paid_off() {
        "paid_off"
    } else {
        "active"
    }
}

/// What the borrower owes and holds.
pub fn balances(loan: &Loan, position: &Position) -> Result<Value, Problem> {
    let accrued = position
        .accrued_rounded(&loan.terms)
        .map_err(servicing_problem)?;
    Ok(json!({
        "principal": amount(loan, position.principal),
        "interest": amount(loan, position.unpaid(|k| k == Kind::Interest) + accrued),
        "fees": amount(loan, position.unpaid(Kind::is_fee)),
        "unapplied": amount(loan, position.unapplied + position.pay_ahead),
    }))
}

/// A payment's application.
pub fn applied(loan: &Loan, applied: &Applied) -> Value {
    json!({
        "fees": amount(loan, applied.fees),
        "interest": amount(loan, applied.interest),
        "principal": amount(loan, applied.principal),
        "principal_prepaid": amount(loan, applied.principal_prepaid),
        "pay_ahead": amount(loan, applied.pay_ahead),
        "unapplied": amount(loan, applied.unapplied),
    })
}

/// The next amount due and when: what is billed and unpaid (since its oldest due date), or
/// else the next installment less the credit held.
fn next_due(loan: &Loan, position: &Position) -> Value {
    if position.is_paid_off() {
        return Value::Null;
    }
    let billed: i64 = position.unpaid(|_| true);
    if billed > 0 {
        let since = position.open.iter().map(|i| i.charged_on).min();
        return json!({ "date": since, "amount": amount(loan, billed) });
    }
    match loan.terms.schedule.get(position.billed as usize) {
        Some(next) => json!({
            "date": next.due_date,
            "amount": amount(loan, (next.payment - position.pay_ahead).max(0)),
        }),
        None => Value::Null,
    }
}

/// `GET /v1/loans/{id}`.
pub fn summary(loan: &Loan, as_of: NaiveDate) -> Result<Value, Problem> {
    let position = position(loan, as_of)?;
    let terms = &loan.terms;
    Ok(json!({
        "id": loan.id,
        "status": status(&position),
        "product": loan.profile.product,
        "origin": terms.origin,
        "application_id": loan.profile.application_id,
        "offer_id": loan.profile.offer_id,
        "external_id": loan.profile.external_id,
        "currency": terms.currency,
        "terms": {
            "principal": amount(loan, terms.principal),
            "disbursed": amount(loan, terms.disbursed),
            "origination_fee": amount(loan, terms.origination_fee),
            "annual_rate": terms.annual_rate_percent.normalize().to_string(),
            "day_count": terms.day_count.code(),
            "start_date": terms.start_date,
            "installments": terms.schedule.len(),
            "payment": terms.schedule.first().map(|s| amount(loan, s.payment)),
            "maturity_date": terms.maturity(),
            "grace_days": terms.rules.grace_days,
            "late_fee": amount(loan, terms.rules.late_fee),
            "nsf_fee": amount(loan, terms.rules.nsf_fee),
            "overpayment": terms.rules.overpayment,
        },
        "balances": balances(loan, &position)?,
        "next_due": next_due(loan, &position),
        "days_past_due": position.days_past_due(),
        "paid_off_on": position.paid_off_on,
        "current_to": position.date,
    }))
}

/// Billed and paid per installment, from a full replay with history.
fn per_installment(items: &[Item], number: u32) -> (i64, i64, i64, i64, i64, i64) {
    let mut sums = (0, 0, 0, 0, 0, 0);
    for item in items.iter().filter(|i| i.installment == Some(number)) {
        match item.kind {
            Kind::Interest => {
                sums.0 += item.amount;
                sums.3 += item.paid;
            }
            Kind::Principal => {
                sums.1 += item.amount;
                sums.4 += item.paid;
            }
            Kind::LateFee | Kind::NsfFee => {
                sums.2 += item.amount;
                sums.5 += item.paid;
            }
        }
    }
    sums
}

/// `GET /v1/loans/{id}/schedule`: every installment with what it asked, what was billed
/// and what has been paid, as of `as_of`.
pub fn schedule(loan: &Loan, as_of: NaiveDate) -> Result<Value, Problem> {
    let (mut position, mut kept) = loan.replay(true).map_err(servicing_problem)?;
    position
        .advance_to(&loan.terms, as_of.max(position.date), &mut kept)
        .map_err(servicing_problem)?;
    let closed = kept.map(|h| h.closed).unwrap_or_default();
    let mut all: Vec<Item> = closed;
    all.extend(position.open.iter().cloned());
    let installments: Vec<Value> = loan
        .terms
        .schedule
        .iter()
        .zip(1u32..)
        .map(|(scheduled, number)| {
            let (interest, principal, fees, paid_interest, paid_principal, paid_fees) =
                per_installment(&all, number);
            let billed = number <= position.billed;
            let unpaid = interest + principal + fees - paid_interest - paid_principal - paid_fees;
            let state = match (billed, unpaid) {
                (false, _) => "upcoming",
                (true, 0) => "paid",
                (true, _) if scheduled.due_date < position.date => "past_due",
                (true, _) => "due",
            };
            json!({
                "number": number,
                "due_date": scheduled.due_date,
                "scheduled_payment": amount(loan, scheduled.payment),
                "status": state,
                "billed": billed.then(|| json!({
                    "interest": amount(loan, interest),
                    "principal": amount(loan, principal),
                    "fees": amount(loan, fees),
                })),
                "paid": {
                    "interest": amount(loan, paid_interest),
                    "principal": amount(loan, paid_principal),
                    "fees": amount(loan, paid_fees),
                },
            })
        })
        .collect();
    let other: Vec<Value> = all
        .iter()
        .filter(|i| i.installment.is_none())
        .map(|i| {
            json!({
                "kind": i.kind,
                "charged_on": i.charged_on,
                "amount": amount(loan, i.amount),
                "paid": amount(loan, i.paid),
            })
        })
        .collect();
    Ok(json!({
        "loan_id": loan.id,
        "as_of": position.date,
        "installments": installments,
        "other_charges": other,
    }))
}

/// `GET /v1/loans/{id}/payoff?as_of=`.
pub fn payoff(loan: &Loan, as_of: NaiveDate) -> Result<Value, Problem> {
    let position = position(loan, as_of)?;
    let quote = position.payoff(&loan.terms).map_err(servicing_problem)?;
    Ok(json!({
        "loan_id": loan.id,
        "status": status(&position),
        "payoff_amount": amount(loan, quote.amount),
        "principal": amount(loan, quote.principal),
        "interest": amount(loan, quote.interest),
        "fees": amount(loan, quote.fees),
        "credit": amount(loan, quote.credit),
        "per_diem": quote.per_diem.round_dp(6).normalize().to_string(),
        "good_through": quote.good_through,
    }))
}
