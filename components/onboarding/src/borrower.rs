//! The borrower's contact details, kept apart from the loan's book (which holds no
//! personal data) in the store labelled `loans`: `loan/{id}/borrower`, written just before
//! the loan's book is created (never for a refused row) — a booking that fails after it
//! leaves details no loan points to, which the retry overwrites with the same.

use lendkit::Problem;
use lendstore::Kv;
use serde_json::Value;

/// The store borrower details are kept in.
pub const STORE_LABEL: &str = "loans";

/// Largest borrower record kept, in bytes.
pub const BORROWER_BYTES_MAX: usize = 4 * 1024;

/// The key of loan `id`'s borrower.
pub fn key(id: &str) -> String {
    format!("loan/{id}/borrower")
}

/// Keeps `borrower` (an object of contact details) for loan `id`.
pub fn keep(id: &str, borrower: &Value) -> Result<(), Problem> {
    if borrower.is_null() {
        return Ok(());
    }
    let bytes = serde_json::to_vec(borrower).map_err(|_| Problem::internal("unencodable"))?;
    if !borrower.is_object() || bytes.len() > BORROWER_BYTES_MAX {
        return Err(Problem::validation(Vec::new()).with_error(
            "/borrower",
            format!("must be an object of contact details, at most {BORROWER_BYTES_MAX} bytes"),
        ));
    }
    let store = lendkit::idempotency::open(STORE_LABEL)?;
    store
        .set(&key(id), &bytes)
        .map_err(lendkit::idempotency::store_problem)
}
