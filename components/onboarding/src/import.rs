//! `POST /v1/loans/import` (role `operations`): loans bought or migrated from another
//! servicer, booked with their balances.
//!
//! A request carries up to [`ROWS_MAX`] loans (`{"loans": [...]}`); larger files are sent
//! in chunks (`lendwork loans import FILE` streams them, several chunks at once). Each row
//! is checked field by field and booked on its own — one commit of its book with the
//! opening-balance entry (principal, interest and fees owed against loan purchase
//! clearing) — or refused with every failing field, as JSON pointers into the request;
//! nothing is ever half-booked. A loan's id is derived from its `external_id`, so the same
//! row again books nothing twice (`already_booked`), and a row whose external id was
//! booked with other terms is refused. Balances are as of `balances_as_of` (the cut-over
//! date; default the business date, never later): interest accrues from that day.

use chrono::{Days, NaiveDate};
use lendkit::{Ctx, Problem};
use lendmath::frequency::Frequency;
use lendmath::money::{Currency, Money};
use loanbook::{Decision, Entry};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use servicing::products::ServicingProduct;
use servicing::{Loan, Opening, Origin, Profile, Scheduled, Terms};
use spin_sdk::http::Response;

use crate::borrower;

/// Most loans one request carries.
pub const ROWS_MAX: usize = 500;
/// Largest request body, in bytes: 500 rows of up to 2 KiB each.
pub const BODY_BYTES_MAX: usize = 1 << 20;
/// Longest external id.
pub const EXTERNAL_ID_MAX_CHARS: usize = 64;
/// Most days past due an imported loan may be (beyond, it is charged off, not serviced).
pub const DAYS_PAST_DUE_MAX: i64 = 720;

/// Loan id of an imported loan: `loan-x` and 24 hex digits of the external id's SHA-256.
pub fn loan_id(external_id: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(external_id.as_bytes());
    format!("loan-x{}", &hex::encode(digest)[..24])
}

/// One row's failing fields.
struct Fields<'a> {
    row: &'a Value,
    pointer: String,
    errors: Vec<(String, String)>,
}

impl<'a> Fields<'a> {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .push((format!("{}/{field}", self.pointer), message.into()));
    }

    fn text(&mut self, field: &str) -> Option<&'a str> {
        match self.row.get(field) {
            Some(Value::String(text)) if !text.trim().is_empty() => Some(text),
            Some(Value::Null) | None => {
                self.fail(field, "is required");
                None
            }
            _ => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    fn money(&mut self, field: &str, currency: Currency, default: Option<i64>) -> Option<i64> {
        if default.is_some() && self.row.get(field).is_none_or(Value::is_null) {
            return default;
        }
        let text = self.text(field)?;
        match Money::parse(text, currency) {
            Ok(money) if !money.is_negative() => Some(money.to_minor()),
            Ok(_) => {
                self.fail(field, "must not be negative");
                None
            }
            Err(_) => {
                self.fail(field, "must be a decimal amount in the loan's currency");
                None
            }
        }
    }

    fn date(&mut self, field: &str) -> Option<NaiveDate> {
        let text = self.text(field)?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| self.fail(field, "must be a date written YYYY-MM-DD"))
            .ok()
    }

    fn whole(&mut self, field: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        match self.row.get(field).and_then(Value::as_i64) {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                self.fail(
                    field,
                    format!(
                        "must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }
}

/// A checked row: the loan's id, its profile, terms and borrower.
struct Row {
    loan_id: String,
    profile: Profile,
    terms: Terms,
    borrower: Value,
}

/// Checks row `index` against the business date `today`; every failing field.
fn check(row: &Value, index: usize, today: NaiveDate) -> Result<Row, Vec<(String, String)>> {
    let mut f = Fields {
        row,
        pointer: format!("/loans/{index}"),
        errors: Vec::new(),
    };
    if !row.is_object() {
        return Err(vec![(f.pointer, "must be an object".into())]);
    }
    let external_id = f.text("external_id");
    if let Some(id) = external_id
        && (id.chars().count() > EXTERNAL_ID_MAX_CHARS || id.chars().any(char::is_control))
    {
        f.fail(
            "external_id",
            format!("must be at most {EXTERNAL_ID_MAX_CHARS} printable characters"),
        );
    }
    let product = f.text("product").and_then(|name| {
        ServicingProduct::named(name).or_else(|| {
            f.fail("product", "must be personal_installment or sme_term");
            None
        })
    });
    let currency = match row.get("currency").and_then(Value::as_str) {
        None => Some(Currency::USD),
        Some(code) => Currency::from_code(code)
            .map_err(|_| f.fail("currency", "must be an ISO 4217 code"))
            .ok(),
    }
    .unwrap_or(Currency::USD);
    let rate = f.text("annual_rate").and_then(|text| {
        text.parse::<Decimal>()
            .ok()
            .filter(|r| !r.is_sign_negative() && *r <= Decimal::ONE_HUNDRED)
            .or_else(|| {
                f.fail("annual_rate", "must be a percent from 0 to 100 (\"9.99\")");
                None
            })
    });
    let original = f.money("original_principal", currency, None);
    let current = f.money("current_principal", currency, None);
    let interest = f.money("accrued_interest", currency, Some(0));
    let fees = f.money("fees_owed", currency, Some(0));
    let past_due_principal = f.money("past_due_principal", currency, Some(0));
    let payment = f.money("payment_amount", currency, None);
    // The cut-over date the balances are as of: the business date unless the file says.
    let as_of = match row.get("balances_as_of") {
        None | Some(Value::Null) => Some(today),
        Some(_) => f.date("balances_as_of"),
    };
    if as_of.is_some_and(|d| d > today) {
        f.fail(
            "balances_as_of",
            "must not be after the import's business date",
        );
    }
    let as_of = as_of.unwrap_or(today);
    let next_due = f.date("next_due_date");
    let paid_to = f.date("paid_to_date");
    let installments = f.whole("remaining_installments", 1..=360);
    let days_past_due = f.whole("days_past_due", 0..=DAYS_PAST_DUE_MAX);
    if let (Some(original), Some(current)) = (original, current)
        && (current == 0 || current > original)
    {
        f.fail(
            "current_principal",
            "must be more than zero and at most the original principal",
        );
    }
    if payment == Some(0) {
        f.fail("payment_amount", "must be more than zero");
    }
    if let Some(next) = next_due
        && next <= as_of
    {
        f.fail(
            "next_due_date",
            "must be after the date the balances are as of",
        );
    }
    if let Some(paid_to) = paid_to
        && paid_to > as_of
    {
        f.fail(
            "paid_to_date",
            "must not be after the date the balances are as of",
        );
    }
    if let (Some(current), Some(past)) = (current, past_due_principal)
        && past > current
    {
        f.fail(
            "past_due_principal",
            "must be at most the current principal",
        );
    }
    if days_past_due.is_some_and(|d| d > 0)
        && interest.unwrap_or(0) + past_due_principal.unwrap_or(0) == 0
    {
        f.fail(
            "days_past_due",
            "a loan past due owes past-due principal or accrued interest",
        );
    }
    let borrower = row.get("borrower").cloned().unwrap_or(Value::Null);
    if !(borrower.is_null() || borrower.is_object()) {
        f.fail("borrower", "must be an object of contact details");
    }
    let (
        Some(external_id),
        Some(product),
        Some(rate),
        Some(current),
        Some(interest),
        Some(fees),
        Some(past_due_principal),
        Some(payment),
        Some(next_due),
        Some(installments),
        Some(days_past_due),
        true,
    ) = (
        external_id,
        product,
        rate,
        current,
        interest,
        fees,
        past_due_principal,
        payment,
        next_due,
        installments,
        days_past_due,
        f.errors.is_empty(),
    )
    else {
        return Err(f.errors);
    };
    let schedule = (0..installments as u32)
        .map(|k| {
            Frequency::Monthly
                .due_date(next_due, k)
                .map(|due_date| Scheduled { due_date, payment })
        })
        .collect::<Option<Vec<_>>>();
    let Some(schedule) = schedule else {
        return Err(vec![(
            format!("/loans/{index}/remaining_installments"),
            "runs past the last supported date".into(),
        )]);
    };
    let past_due_since = (days_past_due > 0)
        .then(|| as_of.checked_sub_days(Days::new(days_past_due as u64)))
        .flatten();
    let terms = Terms {
        origin: Origin::Imported,
        opening: Opening {
            interest,
            fees,
            past_due_principal,
            past_due_since,
        },
        currency,
        principal: current,
        disbursed: current,
        origination_fee: 0,
        annual_rate_percent: rate,
        day_count: product.day_count,
        start_date: as_of,
        schedule,
        rules: product.rules(),
    };
    if let Err(error) = terms.check() {
        return Err(vec![(format!("/loans/{index}"), error.to_string())]);
    }
    Ok(Row {
        loan_id: loan_id(external_id),
        profile: Profile {
            product: product.name.to_string(),
            owner: None,
            application_id: None,
            offer_id: None,
            external_id: Some(external_id.to_string()),
        },
        terms,
        borrower,
    })
}

/// Books one checked row: `booked`, `already_booked`, or a refusal.
fn book(row: Row) -> Result<&'static str, Problem> {
    let as_of = row.terms.start_date;
    let changed = loanbook::change(&row.loan_id, |existing| match existing {
        Some(loan) if loan.terms == row.terms && loan.profile == row.profile => {
            Ok(Decision::Keep("already_booked"))
        }
        Some(_) => Err(Problem::conflict(
            "a loan with this external id was booked with other terms",
        )),
        None => {
            let loan = Loan::book(&row.loan_id, row.profile.clone(), row.terms.clone())
                .map_err(|e| Problem::unprocessable(e.to_string()))?;
            // Only for a loan about to be booked: a refused row changes nothing.
            borrower::keep(&row.loan_id, &row.borrower)?;
            Ok(Decision::Write(
                Box::new(loan),
                Entry {
                    id: "opening".into(),
                    date: as_of,
                    description: "opening balances (import)".into(),
                },
                "booked",
            ))
        }
    })?;
    Ok(changed.value)
}

/// `POST /v1/loans/import`.
pub fn import(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let body: Value = lendkit::json::parse_body_with_limit(
        ctx.header("content-type"),
        ctx.request.body(),
        BODY_BYTES_MAX,
    )?;
    let Some(rows) = body.get("loans").and_then(Value::as_array) else {
        return Err(Problem::validation(Vec::new()).with_error("/loans", "must be a list of loans"));
    };
    if rows.is_empty() || rows.len() > ROWS_MAX {
        return Err(Problem::validation(Vec::new()).with_error(
            "/loans",
            format!("must hold from 1 to {ROWS_MAX} loans; send larger files in chunks"),
        ));
    }
    let today = loanbook::calendar::business_date()?;
    let mut counts = [0u32; 3];
    let mut results = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let external_id = row.get("external_id").cloned().unwrap_or(Value::Null);
        let outcome = match check(row, index, today) {
            Ok(checked) => {
                let loan_id = checked.loan_id.clone();
                match book(checked) {
                    Ok(status) => Ok((loan_id, status)),
                    // The store failing is no fault of the row: the whole request fails,
                    // and sending the chunk again books only what is missing.
                    Err(problem) if problem.status >= 500 => return Err(problem),
                    Err(problem) => Err(vec![(
                        format!("/loans/{index}"),
                        problem.detail.as_deref().unwrap_or("refused").to_string(),
                    )]),
                }
            }
            Err(errors) => Err(errors),
        };
        results.push(match outcome {
            Ok((loan_id, status)) => {
                counts[usize::from(status != "booked")] += 1;
                json!({ "index": index, "external_id": external_id, "loan_id": loan_id, "status": status })
            }
            Err(errors) => {
                counts[2] += 1;
                let errors: Vec<Value> = errors
                    .into_iter()
                    .map(|(pointer, message)| json!({ "pointer": pointer, "message": message }))
                    .collect();
                json!({ "index": index, "external_id": external_id, "status": "refused", "errors": errors })
            }
        });
    }
    lendkit::json::respond(
        200,
        &json!({
            "booked": counts[0],
            "already_booked": counts[1],
            "refused": counts[2],
            "loans": results,
        }),
    )
}
