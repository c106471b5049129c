//! `POST /loans` (private): books an accepted offer. Intake calls it once the borrower has
//! signed the offer's disclosure; the loan is created with its schedule and its
//! disbursement entry (principal against disbursement clearing, the withheld origination
//! fee deferred) in one commit of its book. Booking the same application again answers the
//! loan booked (200).

use chrono::NaiveDate;
use lendkit::{Ctx, Problem};
use loanbook::{Decision, Entry};
use serde::Deserialize;
use serde_json::{Value, json};
use servicing::disclosure::{self, Offer};
use servicing::products::ServicingProduct;
use servicing::{Loan, Profile};
use spin_sdk::http::Response;

use crate::{borrower, valid_loan_id};

/// What intake sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    /// The new loan's id.
    pub loan_id: String,
    /// The application.
    pub application_id: String,
    /// The offer accepted.
    pub offer_id: String,
    /// The product.
    pub product: String,
    /// The key or token-subject id of the applicant's channel.
    pub owner: String,
    /// The offer's currency.
    pub currency: String,
    /// The loan amount.
    pub amount: String,
    /// Installments.
    pub term_months: u32,
    /// Annual rate, a fraction.
    pub annual_rate: String,
    /// Origination fee.
    pub origination_fee: String,
    /// The day the disclosure signed was computed for: the disbursement date.
    pub disbursement_date: NaiveDate,
    /// SHA-256 of the disclosure document signed.
    pub disclosure_sha256: String,
    /// The borrower's contact details.
    #[serde(default)]
    pub borrower: Value,
}

fn refused(error: servicing::ServicingError) -> Problem {
    Problem::unprocessable(error.to_string())
}

/// `POST /loans`.
pub fn book(ctx: &Ctx<'_>) -> Result<Response, Problem> {
    let booking: Booking = ctx.json()?;
    if !valid_loan_id(&booking.loan_id) {
        return Err(Problem::validation(Vec::new()).with_error("/loan_id", "is not a loan id"));
    }
    let product = ServicingProduct::named(&booking.product)
        .ok_or_else(|| Problem::validation(Vec::new()).with_error("/product", "unknown"))?;
    let offer = Offer::parse(
        &booking.currency,
        &booking.amount,
        booking.term_months,
        &booking.annual_rate,
        &booking.origination_fee,
    )
    .map_err(refused)?;
    let (disclosure, terms) =
        disclosure::disclose(product, &offer, booking.disbursement_date).map_err(refused)?;
    if disclosure.sha256() != booking.disclosure_sha256 {
        return Err(Problem::conflict(
            "the disclosure signed is not the one these terms give on the disbursement date",
        )
        .with_type("disclosure-mismatch"));
    }
    let profile = Profile {
        product: booking.product.clone(),
        owner: Some(booking.owner.clone()),
        application_id: Some(booking.application_id.clone()),
        offer_id: Some(booking.offer_id.clone()),
        external_id: None,
    };
    let changed = loanbook::change(&booking.loan_id, |existing| match existing {
        Some(loan) if loan.profile.application_id == profile.application_id => {
            Ok(Decision::Keep(()))
        }
        Some(_) => Err(Problem::conflict("another loan has this id")),
        None => {
            let loan =
                Loan::book(&booking.loan_id, profile.clone(), terms.clone()).map_err(refused)?;
            // Only for a loan about to be booked: a refused booking changes nothing.
            borrower::keep(&booking.loan_id, &booking.borrower)?;
            Ok(Decision::Write(
                Box::new(loan),
                Entry {
                    id: "booking".into(),
                    date: booking.disbursement_date,
                    description: "disbursement".into(),
                },
                (),
            ))
        }
    })?;
    let today = loanbook::calendar::business_date()?;
    let summary = loanbook::views::summary(&changed.loan, today)?;
    let status = if changed.written { 201 } else { 200 };
    lendkit::json::respond(
        status,
        &json!({ "loan": summary, "booked": changed.written }),
    )
}
