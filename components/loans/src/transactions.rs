//! A loan's ledger entries as transactions, and statements over a period.
//!
//! Each entry moves the borrower's accounts — principal, interest and fees owed, and the
//! credit held for them — and the statement's balance is what the borrower owes net of
//! that credit. Opening balance, the transactions of the period and the closing balance
//! come from the same entries, so they always add up.

use chrono::NaiveDate;
use lendkit::{Ctx, Problem};
use serde_json::{Value, json};
use servicing::Loan;
use servicing::accounts::{
    BORROWER_CREDIT, FEES_RECEIVABLE, INTEREST_RECEIVABLE, PAYMENTS_CLEARING, PRINCIPAL,
};
use spin_sdk::http::Response;

use crate::{date_param, visible_loan};

/// Page size of `GET …/transactions` without a `limit`.
pub const PAGE_DEFAULT: u32 = 100;
/// Largest page.
pub const PAGE_MAX: u32 = 500;

/// What one entry did to the borrower's accounts, minor units.
#[derive(Debug, Clone, Copy, Default)]
struct Movement {
    principal: i64,
    interest: i64,
    fees: i64,
    /// Credit held for the borrower (more held: positive).
    credit: i64,
    /// Money received (payments standing).
    received: i64,
}

impl Movement {
    fn of(entry: &loanbook::StoredEntry) -> Result<Movement, Problem> {
        let mut movement = Movement::default();
        for line in &entry.entry.lines {
            let signed = loanbook::signed_minor(line)?;
            match line.account.as_str() {
                PRINCIPAL => movement.principal += signed,
                INTEREST_RECEIVABLE => movement.interest += signed,
                FEES_RECEIVABLE => movement.fees += signed,
                BORROWER_CREDIT => movement.credit -= signed,
                PAYMENTS_CLEARING => movement.received += signed,
                _ => {}
            }
        }
        Ok(movement)
    }

    /// What the borrower owes, net of credit.
    fn owed(&self) -> i64 {
        self.principal + self.interest + self.fees - self.credit
    }

    fn add(&mut self, other: Movement) {
        self.principal += other.principal;
        self.interest += other.interest;
        self.fees += other.fees;
        self.credit += other.credit;
        self.received += other.received;
    }

    fn json(&self, loan: &Loan) -> Value {
        let amount = |minor| loanbook::views::amount(loan, minor);
        json!({
            "principal": amount(self.principal),
            "interest": amount(self.interest),
            "fees": amount(self.fees),
            "credit": amount(self.credit),
            "owed": amount(self.owed()),
        })
    }
}

fn transaction(loan: &Loan, entry: &loanbook::StoredEntry) -> Result<Value, Problem> {
    let movement = Movement::of(entry)?;
    let lines: Vec<Value> = entry
        .entry
        .lines
        .iter()
        .map(|l| {
            json!({
                "account": l.account,
                "side": match l.side {
                    loanbook::Side::Debit => "debit",
                    loanbook::Side::Credit => "credit",
                },
                "amount": l.amount,
            })
        })
        .collect();
    Ok(json!({
        "sequence": entry.sequence,
        "id": entry.entry.id,
        "effective_date": entry.entry.effective_date,
        "description": entry.entry.description,
        "received": loanbook::views::amount(loan, movement.received),
        "allocation": movement.json(loan),
        "lines": lines,
    }))
}

/// `GET /v1/loans/{id}/transactions?after=&limit=`.
pub fn list(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let loan = visible_loan(ctx)?;
    let after: Option<u64> = ctx.query.parse_as("after")?;
    let limit: u32 = ctx.query.parse_as("limit")?.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(Problem::validation(Vec::new())
            .with_error("limit", format!("must be from 1 to {PAGE_MAX}")));
    }
    let (entries, next_after) = loanbook::entries(&loan.id, after, limit)?;
    let transactions = entries
        .iter()
        .map(|e| transaction(&loan, e))
        .collect::<Result<Vec<_>, _>>()?;
    lendkit::json::respond(
        200,
        &json!({ "loan_id": loan.id, "transactions": transactions, "next_after": next_after }),
    )
}

/// Every entry of the loan, by sequence.
fn all_entries(loan: &Loan) -> Result<Vec<loanbook::StoredEntry>, Problem> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = loanbook::entries(&loan.id, after, PAGE_MAX)?;
        all.extend(page);
        match next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}

fn entry_date(entry: &loanbook::StoredEntry) -> Result<NaiveDate, Problem> {
    NaiveDate::parse_from_str(&entry.entry.effective_date, "%Y-%m-%d")
        .map_err(|_| Problem::internal("a loan's entry has an unreadable date"))
}

/// `GET /v1/loans/{id}/statement?from=&to=`.
pub fn statement(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let loan = visible_loan(ctx)?;
    let from = date_param(ctx, "from")?.unwrap_or(loan.terms.start_date);
    let to = match date_param(ctx, "to")? {
        Some(to) => to,
        None => loanbook::calendar::business_date()?,
    };
    if to < from {
        return Err(Problem::validation(Vec::new()).with_error("to", "must not be before from"));
    }
    let mut entries = all_entries(&loan)?
        .into_iter()
        .map(|e| Ok((entry_date(&e)?, e)))
        .collect::<Result<Vec<_>, Problem>>()?;
    // By effective date: a backdated entry appears on its own date.
    entries.sort_by_key(|(date, e)| (*date, e.sequence));
    let mut opening = Movement::default();
    let mut closing = Movement::default();
    let mut listed = Vec::new();
    for (date, entry) in &entries {
        let movement = Movement::of(entry)?;
        if *date < from {
            opening.add(movement);
        }
        if *date <= to {
            closing.add(movement);
        }
        if (from..=to).contains(date) {
            listed.push(transaction(&loan, entry)?);
        }
    }
    lendkit::json::respond(
        200,
        &json!({
            "loan_id": loan.id,
            "from": from,
            "to": to,
            "opening_balance": opening.json(&loan),
            "transactions": listed,
            "closing_balance": closing.json(&loan),
        }),
    )
}
